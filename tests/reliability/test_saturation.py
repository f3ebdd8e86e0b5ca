"""A saturated service answers at once instead of queueing without limit: with
GRPC_MAX_CONCURRENT_RPCS calls in flight (here, open WatchAlerts streams) the next call is
RESOURCE_EXHAUSTED, and the service serves again as soon as one of them ends."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from customs.seal.v1 import seal_pb2, seal_pb2_grpc

from devstack.stores import Stores
from devstack.suite import Suite
from tests.support.stack import auth, raises_status, wait_for

LIMIT = 3


@pytest.fixture
def limited(tmp_path: Path, stack_root: Path, stores: Stores) -> Iterator[Suite]:
    suite = Suite(tmp_path, stores, namespace=f"sat{uuid.uuid4().hex[:6]}")
    try:
        suite.start(
            "seal",
            {
                "GRPC_MAX_CONCURRENT_RPCS": str(LIMIT),
                "NUMBA_CACHE_DIR": str(stack_root / "numba-cache"),
            },
        )
        yield suite
    finally:
        suite.stop()


def test_calls_over_the_concurrency_limit_are_refused_not_queued(limited: Suite) -> None:
    channel = grpc.insecure_channel(limited.services["seal"].address)
    stub = seal_pb2_grpc.SealServiceStub(channel)
    officer = auth(limited.token("o", "officer"))
    stub.CreateSeal(  # at 5% battery: one alert that every watcher is sent first
        seal_pb2.CreateSealRequest(
            seal_id="SAT-1",
            seal=seal_pb2.Seal(manufacturer="M", serial_number="S", battery_percent=5),
        ),
        metadata=auth(limited.token("svc", "service")),
    )
    streams = [
        stub.WatchAlerts(seal_pb2.WatchAlertsRequest(), metadata=officer) for _ in range(LIMIT)
    ]
    try:
        for stream in streams:  # each is being served: it has sent its first alert
            assert next(stream).alert.subject == "seals/SAT-1"
        for _ in range(5):
            with raises_status(grpc.StatusCode.RESOURCE_EXHAUSTED):
                stub.ListSeals(seal_pb2.ListSealsRequest(), metadata=officer, timeout=10)
        streams.pop().cancel()

        def served() -> bool:
            try:
                stub.ListSeals(seal_pb2.ListSealsRequest(), metadata=officer, timeout=10)
                return True
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, error
                return False

        wait_for(served, "served again once a call ended", 30)
    finally:
        for stream in streams:
            stream.cancel()
        channel.close()
