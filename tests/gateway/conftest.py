"""The gateway, started once for the gateway tests, in front of the session's services."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping

import httpx
import pytest

from devstack.processes import Process, free_port, wait_until
from devstack.suite import REPO, RunningService, Suite


@pytest.fixture(scope="session")
def gateway(suite: Suite) -> Iterator[RunningService]:
    running = suite.start_gateway()
    try:
        yield running
    finally:
        running.process.stop()
        del suite.services["gateway"]


@pytest.fixture(scope="session")
def http(gateway: RunningService) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.address, timeout=10) as client:
        yield client


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def start_gateway_with(suite: Suite, extra: Mapping[str, str], label: str) -> RunningService:
    """A second gateway in front of ``suite`` with extra environment (Suite.start_gateway takes
    none); the caller stops its process."""
    port = free_port()
    env = suite.service_env("gateway", f"127.0.0.1:{free_port()}")
    env["GATEWAY_LISTEN"] = f"127.0.0.1:{port}"
    env.update(extra)
    process = Process(
        f"gateway-{label}",
        [sys.executable, "-m", "services.gateway"],
        suite.root / "logs" / f"gateway-{label}.log",
        env=env,
        cwd=REPO,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: _healthy(url), 60, f"gateway {label}", process)
    return RunningService(f"gateway-{label}", url, process, env)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
