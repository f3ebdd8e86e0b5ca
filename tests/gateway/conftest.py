"""The gateway, started once for the gateway tests, in front of the session's services."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from devstack.suite import RunningService, Suite


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
