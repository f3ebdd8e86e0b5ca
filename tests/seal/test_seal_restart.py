"""Clock-driven alerts (sweeper) and a kill -9 of the seal service mid-trip, on a Suite of its own
with short thresholds."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from customs.seal.v1 import seal_pb2_grpc
from pymongo import MongoClient

from devstack.stores import Stores
from devstack.suite import Suite
from services.seal.domain.simulator import Detour, Scenario
from tests.seal import transit as t
from tests.support.stack import fast_channel, raises_status

FAST = {
    "SEAL_SWEEP_SECONDS": "0.3",
    "SEAL_RULE_SIGNAL_LOST_S": "2",
}


@pytest.fixture(scope="module")
def own(stack_root: Path, stores: Stores) -> Iterator[Suite]:
    suite = Suite(
        stack_root / f"seal-own-{uuid.uuid4().hex[:6]}", stores, f"x{uuid.uuid4().hex[:8]}"
    )
    try:
        suite.start("seal", FAST)
        yield suite
    finally:
        suite.stop()


def stub_of(suite: Suite) -> seal_pb2_grpc.SealServiceStub:
    """A stub on a channel of its own that reconnects quickly after the restart."""
    return seal_pb2_grpc.SealServiceStub(fast_channel(suite.services["seal"].address))


def test_silence_opens_signal_lost_and_the_next_ping_closes_it(
    own: Suite, mongo: MongoClient[dict[str, Any]]
) -> None:
    stub = stub_of(own)
    places = t.create_places(stub, own)
    tr = t.start(stub, own, places)
    rows = t.rows(tr)
    t.send(stub, own, tr.seal, [rows[:10]])
    t.wait_for(
        lambda: ("OPENED", "SEAL_SIGNAL_LOST") in t.alerts(mongo, own, tr.seal), "signal lost"
    )
    t.send(stub, own, tr.seal, [rows[10:12]])
    found = t.alerts(mongo, own, tr.seal)
    assert found[-1] == ("CLOSED", "SEAL_SIGNAL_LOST")
    assert found.count(("OPENED", "SEAL_SIGNAL_LOST")) == 1


LOST, REFUSED = ("OPENED", "SEAL_SIGNAL_LOST"), ("OPENED", "SEAL_UNAUTHORISED_REMOVAL")


def _refused_then_silent(
    stub: seal_pb2_grpc.SealServiceStub,
    own: Suite,
    places: t.Places,
    mongo: MongoClient[dict[str, Any]],
) -> list[tuple[str, str]]:
    """A trip that pings, has a removal refused on the road, then falls silent; its alerts
    once SIGNAL_LOST is raised."""
    tr = t.start(stub, own, places)
    rows = t.rows(tr)
    road = t.drive_to(stub, own, tr, rows, 10)
    with raises_status(grpc.StatusCode.FAILED_PRECONDITION):
        t.remove(stub, own, tr.seal, road)
    # no ping after the refused removal: only the sweeper can find the silence
    t.wait_for(lambda: LOST in t.alerts(mongo, own, tr.seal), "signal lost")
    return t.alerts(mongo, own, tr.seal)


def test_silence_after_a_refused_removal_is_still_found_by_the_sweeper(
    own: Suite, mongo: MongoClient[dict[str, Any]]
) -> None:
    stub = stub_of(own)
    places = t.create_places(stub, own)
    for _ in range(3):
        found = _refused_then_silent(stub, own, places, mongo)
        if found.index(REFUSED) < found.index(LOST):
            return
        # the silence began before the removal (a slow machine): it proves nothing, again
    pytest.fail("the removal never came within SEAL_RULE_SIGNAL_LOST_S of the last ping")


def test_overdue_then_arrival_closes_it(own: Suite, mongo: MongoClient[dict[str, Any]]) -> None:
    stub = stub_of(own)
    places = t.create_places(stub, own)
    tr = t.start(stub, own, places, deadline_s=3.0)
    t.wait_for(lambda: ("OPENED", "SEAL_OVERDUE") in t.alerts(mongo, own, tr.seal), "overdue")
    t.send(stub, own, tr.seal, t.uploads(t.rows(tr)))
    found = t.alerts(mongo, own, tr.seal)
    assert ("OPENED", "SEAL_ARRIVAL") in found and ("CLOSED", "SEAL_OVERDUE") in found
    assert found.count(("OPENED", "SEAL_OVERDUE")) == 1


def test_kill_9_mid_trip_loses_no_acknowledged_ping_and_no_state(
    own: Suite, mongo: MongoClient[dict[str, Any]]
) -> None:
    stub = stub_of(own)
    places = t.create_places(stub, own)
    tr = t.start(stub, own, places)
    rows = t.rows(tr, Scenario(detours=(Detour(30_000, 36_000, 800.0),)))
    t.send(stub, own, tr.seal, t.uploads(rows[:125]))  # deviation under way
    assert t.alerts(mongo, own, tr.seal)[-1] == ("OPENED", "SEAL_CORRIDOR_DEVIATION")

    # a gateway streams one ping per request; the service is killed while it streams
    rest = rows[125:]
    gateway = t.PacedPings(stub, own.token("gw", "device"), tr.seal, rest, timeout=60)
    gateway.wait_for_acks(30)
    killed = own.services["seal"].process
    killed.kill()  # SIGKILL, as a crash
    killed.stop()  # reaps it and closes its log
    gateway.thread.join(30)
    assert gateway.failed and 30 <= len(gateway.acks) < len(rest), (
        gateway.failed,
        len(gateway.acks),
        len(rest),
    )
    acknowledged = {rest[i]["seq"] for i in range(gateway.acknowledged)}
    stored = set(t.stored_seqs(mongo, own, tr.seal))
    assert acknowledged <= stored  # nothing acknowledged was lost

    own.start("seal", FAST)
    stub = stub_of(own)
    # the gateway resends everything it has no ack for (here: all of the rest)
    unacked = [[r] for r in rest[gateway.acknowledged :]]
    t.send(stub, own, tr.seal, unacked)
    assert t.stored_seqs(mongo, own, tr.seal) == sorted(r["seq"] for r in rows)
    found = t.alerts(mongo, own, tr.seal)
    assert found.count(("OPENED", "SEAL_CORRIDOR_DEVIATION")) == 1
    assert found.count(("CLOSED", "SEAL_CORRIDOR_DEVIATION")) == 1
    assert ("OPENED", "SEAL_ARRIVAL") in found
    assert t.status(stub, own, tr.container).arrived
