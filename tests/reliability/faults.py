"""Helpers of the fault tests: waiting on health, restarting a killed store on its own port
and data, and a private gRPC channel that reconnects quickly."""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid
from pathlib import Path

from grpc_health.v1 import health_pb2

from devstack.processes import Process, wait_until
from devstack.stores import Stores, start_mongo
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
    wait_until(lambda: s3_answers(endpoint), 90, "seaweedfs restart", process)
    return process


def durable_stack(root: Path, stores: Stores, prefix: str) -> tuple[Process, int, str, Suite]:
    """A database of its own (killable) beside the session's object store, and a Suite
    on it: (database process, its port, its URI, the suite)."""
    process, uri = start_mongo(root / "mongo", root / "logs")
    port = int(uri.rsplit(":", 1)[1].split("/", 1)[0])
    own = Stores(
        uri, stores.s3_endpoint, stores.s3_access_key, stores.s3_secret_key, stores.s3_secure
    )
    return process, port, uri, Suite(root, own, namespace=f"{prefix}{uuid.uuid4().hex[:6]}")
