"""Helpers of the fault tests: waiting on health, restarting a killed store on its own port
and data, and a private gRPC channel that reconnects quickly."""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2

from devstack.processes import Process, free_port, port_open, wait_until
from devstack.stores import Stores
from devstack.suite import Suite, health_status
from tests.support.stack import wait_for

SERVING = int(health_pb2.HealthCheckResponse.SERVING)
NOT_SERVING = int(health_pb2.HealthCheckResponse.NOT_SERVING)


def wait_for_health(address: str, status: int, what: str, within: float = 60.0) -> None:
    seen: list[int | None] = []

    def reached() -> bool:
        seen.append(health_status(address))
        return seen[-1] == status

    try:
        wait_for(reached, what, within)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last health status {seen[-1:]}") from None


def fast_channel(address: str) -> grpc.Channel:
    """A channel of its own that reconnects quickly after an outage."""
    return grpc.insecure_channel(
        address,
        options=[
            ("grpc.use_local_subchannel_pool", 1),
            ("grpc.initial_reconnect_backoff_ms", 100),
            ("grpc.max_reconnect_backoff_ms", 500),
        ],
    )


def s3_answers(endpoint: str) -> bool:
    try:
        urllib.request.urlopen(f"http://{endpoint}/status", timeout=1)
        return True
    except urllib.error.HTTPError:
        return True  # it answers HTTP
    except OSError:
        return False


def restart_s3(killed: Process, endpoint: str) -> Process:
    """SeaweedFS again with the killed process's arguments (same ports, data and identities)."""
    process = Process(killed.name, killed.argv, killed.log_path)
    _ready_or_stop(process, lambda: s3_answers(endpoint), 90, "seaweedfs restart")
    return process


def start_durable_mongo(data: Path, logs: Path, port: int | None = None) -> tuple[Process, int]:
    """SecantusDB with ``--sync-on-commit`` (every commit fsyncs its log), on ``port`` or a free
    one. devstack starts it without: then a kill -9 loses the last acknowledged commits (see
    docs/reliability.md), which a real MongoDB with journaled writes does not."""
    port = port or free_port()
    data.mkdir(parents=True, exist_ok=True)
    argv = [
        str(Path(sys.executable).parent / "secantusd-py"),
        *("--host", "127.0.0.1", "--port", str(port), "--storage-path", str(data)),
        *("--log-level", "WARNING", "--sync-on-commit"),
    ]
    process = Process("secantusdb", argv, logs / "secantusdb.log")
    _ready_or_stop(process, lambda: port_open(port), 60, "secantusdb")
    return process, port


def _ready_or_stop(process: Process, ready: Callable[[], bool], within: float, what: str) -> None:
    """Waits until ``ready``; stops the process (so that nothing lingers) when it never is."""
    try:
        wait_until(ready, within, what, process)
    except BaseException:
        process.stop()
        raise


def durable_stack(root: Path, stores: Stores, prefix: str) -> tuple[Process, int, str, Suite]:
    """A database of its own (durable, killable) beside the session's object store, and a Suite
    on it: (database process, its port, its URI, the suite)."""
    process, port = start_durable_mongo(root / "mongo", root / "logs")
    uri = f"mongodb://127.0.0.1:{port}/?directConnection=true"
    own = Stores(
        uri, stores.s3_endpoint, stores.s3_access_key, stores.s3_secret_key, stores.s3_secure
    )
    return process, port, uri, Suite(root, own, namespace=f"{prefix}{uuid.uuid4().hex[:6]}")
