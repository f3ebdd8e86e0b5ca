"""Fixtures of the seal integration tests on the session's stack."""

from __future__ import annotations

import pytest
from customs.seal.v1 import seal_pb2_grpc

from devstack.suite import Suite
from tests.seal import transit as t


@pytest.fixture(scope="module")
def stub(suite: Suite) -> seal_pb2_grpc.SealServiceStub:
    return seal_pb2_grpc.SealServiceStub(t.channel_of(suite))


@pytest.fixture(scope="module")
def places(stub: seal_pb2_grpc.SealServiceStub, suite: Suite) -> t.Places:
    """Origin, destination and route of this module's transits (fresh per module)."""
    return t.create_places(stub, suite)
