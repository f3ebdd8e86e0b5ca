"""A gateway of its own for the end-to-end tests, in front of the session's services."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from devstack.suite import RunningService, Suite
from tests.gateway.conftest import start_gateway_with


@pytest.fixture(scope="module")
def e2e_gateway(suite: Suite) -> Iterator[RunningService]:
    running = start_gateway_with(suite, {}, "e2e")
    try:
        yield running
    finally:
        running.process.stop()


@pytest.fixture(scope="module")
def e2e_http(e2e_gateway: RunningService) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=e2e_gateway.address, timeout=30) as client:
        yield client
