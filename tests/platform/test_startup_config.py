"""Configuration is validated at start and a bad value fails with the variable's name."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from devstack.processes import free_port
from devstack.stores import Stores
from devstack.suite import REPO, Suite
from services.platform.config import ConfigError, PlatformConfig

BASE = {
    "MONGODB_URI": "mongodb://127.0.0.1:1",
    "S3_ENDPOINT": "127.0.0.1:2",
    "S3_ACCESS_KEY": "a",
    "S3_SECRET_KEY": "b",
    "AUTH_ISSUER": "https://issuer",
}


def test_defaults_and_required(tmp_path: Path) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text('{"keys": []}')
    config = PlatformConfig.from_env("seal", {**BASE, "AUTH_JWKS_FILE": str(jwks)})
    assert config.mongodb_database == "customs_seal"
    assert config.s3_bucket == "customs-seal"
    assert config.otlp_endpoint is None
    assert config.listen == "127.0.0.1:50051"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MONGODB_URI", ""),
        ("AUTH_JWKS_FILE", "/does/not/exist.json"),
        ("GRPC_LISTEN", "no-port"),
        ("S3_ENDPOINT", "http://127.0.0.1:9000"),
        ("SHUTDOWN_GRACE_SECONDS", "-1"),
        ("LOG_LEVEL", "LOUD"),
    ],
)
def test_bad_value_names_the_variable(tmp_path: Path, variable: str, value: str) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text('{"keys": []}')
    env = {**BASE, "AUTH_JWKS_FILE": str(jwks), variable: value}
    with pytest.raises(ConfigError) as info:
        PlatformConfig.from_env("seal", env)
    assert info.value.variable == variable


def test_service_exits_2_naming_the_missing_variable() -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{REPO}:{REPO / 'gen' / 'python'}"}
    done = subprocess.run(
        [sys.executable, "-m", "services.seal"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "MONGODB_URI" in done.stderr


def test_presigned_urls_use_the_public_endpoint(tmp_path: Path) -> None:
    from services.platform.objects import ObjectStore

    store = ObjectStore(
        "seaweedfs-s3:8333",
        "a",
        "b",
        "customs-scanner",
        public_endpoint="s3.customs.example:443",
        public_secure=True,
    )
    try:
        import asyncio
        from datetime import timedelta

        url = asyncio.run(store.presigned_get("scans/x.png", timedelta(minutes=5)))
    finally:
        store.close()
    assert url.startswith("https://s3.customs.example/customs-scanner/scans/x.png?")
    assert "X-Amz-Signature=" in url


def _processes_with(marker: bytes) -> list[int]:
    """Pids of live processes whose environment holds ``marker``."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:
            continue  # gone meanwhile, or not ours to read
    return found


def test_a_service_that_never_becomes_ready_is_not_left_running(tmp_path: Path) -> None:
    """A start that fails (here: storage that never answers, so health stays NOT_SERVING) stops
    the process it started: a failed run leaves nothing behind."""
    mongo = f"mongodb://127.0.0.1:{free_port()}/?directConnection=true"
    suite = Suite(tmp_path, Stores(mongo, "127.0.0.1:9", "a", "b"), namespace=uuid.uuid4().hex)
    marker = f"MONGODB_DATABASE={suite.namespace}_seal".encode()
    with pytest.raises(TimeoutError, match="service seal: not ready"):
        suite.start("seal", timeout=8.0)
    assert "seal" not in suite.services
    assert _processes_with(marker) == []
