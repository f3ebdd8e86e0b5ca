"""The gateway, started once for the gateway tests, in front of the session's services, and
more gateways with settings of their own for the tests that need them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import httpx
import pytest

from devstack.suite import RunningService, Suite


@contextmanager
def own_gateway(
    suite: Suite, name: str, extra: Mapping[str, str] | None = None
) -> Iterator[RunningService]:
    """One more gateway in front of ``suite`` (with ``extra`` environment), registered under
    ``name`` while it runs, stopped at the end."""
    running = suite.start_gateway(extra, name=name)
    try:
        yield running
    finally:
        running.process.stop()
        del suite.services[name]


@pytest.fixture(scope="session")
def gateway(suite: Suite) -> Iterator[RunningService]:
    with own_gateway(suite, "gateway") as running:
        yield running


@pytest.fixture(scope="session")
def http(gateway: RunningService) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.address, timeout=10) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
