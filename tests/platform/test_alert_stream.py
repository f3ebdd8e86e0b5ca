"""WatchAlerts: ordered, resumable with the token, nothing missed, nothing repeated."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import grpc
import pytest
from customs.seal.v1 import seal_pb2, seal_pb2_grpc

from devstack.suite import Suite
from tests.support.stack import auth, channel, raises_status


@pytest.fixture(scope="module")
def stub(suite: Suite) -> seal_pb2_grpc.SealServiceStub:
    return seal_pb2_grpc.SealServiceStub(channel(suite, "seal"))


def low_battery_seal(seal_id: str) -> seal_pb2.CreateSealRequest:
    return seal_pb2.CreateSealRequest(
        seal_id=seal_id,
        seal=seal_pb2.Seal(manufacturer="VNSEAL", serial_number=seal_id, battery_percent=5),
    )


def stream(
    stub: seal_pb2_grpc.SealServiceStub, token: str, metadata: list[tuple[str, str]]
) -> Iterator[seal_pb2.WatchAlertsResponse]:
    return stub.WatchAlerts(  # type: ignore[no-any-return]
        seal_pb2.WatchAlertsRequest(resume_token=token), metadata=metadata, timeout=20
    )


def take(
    responses: Iterator[seal_pb2.WatchAlertsResponse], prefix: str, count: int
) -> list[seal_pb2.WatchAlertsResponse]:
    """The next ``count`` responses whose subject starts with ``prefix``."""
    taken = []
    for item in responses:
        if item.alert.subject.startswith(prefix):
            taken.append(item)
            if len(taken) == count:
                break
    return taken


def test_reconnect_with_token_misses_nothing_and_repeats_nothing(
    suite: Suite, stub: seal_pb2_grpc.SealServiceStub
) -> None:
    officer = auth(suite.token("watcher", "officer"))
    run = uuid.uuid4().hex[:6]
    prefix = f"seals/W{run}-"
    for i in range(5):
        stub.CreateSeal(low_battery_seal(f"W{run}-{i}"), metadata=officer)
    first = stream(stub, "", officer)
    seen = take(first, prefix, 2)
    first.cancel()  # type: ignore[attr-defined]
    assert [s.alert.subject for s in seen] == [f"{prefix}0", f"{prefix}1"]
    for i in range(5, 8):  # raised while the consumer is away
        stub.CreateSeal(low_battery_seal(f"W{run}-{i}"), metadata=officer)
    resumed = stream(stub, seen[-1].resume_token, officer)
    rest = take(resumed, prefix, 6)
    resumed.cancel()  # type: ignore[attr-defined]
    assert [r.alert.subject for r in rest] == [f"{prefix}{i}" for i in range(2, 8)]
    assert all(r.alert.kind == "SEAL_BATTERY_LOW" and r.alert.source == "seal" for r in rest)
    names = [r.alert.name for r in seen + rest]
    assert len(set(names)) == len(names)


def test_concurrent_writers_are_streamed_in_commit_order_exactly_once(
    suite: Suite, stub: seal_pb2_grpc.SealServiceStub
) -> None:
    officer = auth(suite.token("watcher", "officer"))
    run = uuid.uuid4().hex[:6]
    prefix = f"seals/C{run}-"
    received: list[seal_pb2.WatchAlertsResponse] = []
    responses = stream(stub, "", officer)

    def consume() -> None:
        received.extend(take(responses, prefix, 24))

    consumer = threading.Thread(target=consume)
    consumer.start()
    futures = [
        stub.CreateSeal.future(low_battery_seal(f"C{run}-{i}"), metadata=officer) for i in range(24)
    ]
    for future in futures:
        future.result()
    consumer.join(timeout=30)
    responses.cancel()  # type: ignore[attr-defined]
    assert sorted(r.alert.subject for r in received) == sorted(f"{prefix}{i}" for i in range(24))
    assert len({r.resume_token for r in received}) == 24


def test_foreign_or_garbled_token_is_invalid_argument(
    suite: Suite, stub: seal_pb2_grpc.SealServiceStub
) -> None:
    officer = auth(suite.token("watcher", "officer"))
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        next(iter(stream(stub, "not-a-token", officer)))
    assert error["violations"] == ["resume_token"]
