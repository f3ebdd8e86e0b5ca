"""A gateway of its own for the end-to-end tests, in front of the session's services."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from devstack.suite import RunningService, Suite
from tests.gateway.conftest import own_gateway


@pytest.fixture(scope="module")
def e2e_gateway(suite: Suite) -> Iterator[RunningService]:
    with own_gateway(suite, "gateway-e2e") as running:
        yield running


@pytest.fixture(scope="module")
def e2e_http(e2e_gateway: RunningService) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=e2e_gateway.address, timeout=30) as client:
        yield client
