"""The seal demo data of ``scripts/run`` loaded into a seal service of its own: every lifecycle
state, alerts at once, a live trip whose deviation opens moments later, and device clocks that
agree with the server's (no ping flagged for drift)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from customs.seal.v1 import seal_pb2, seal_pb2_grpc
from pymongo import MongoClient

from devstack.demo import seal as demo
from devstack.stores import Stores
from devstack.suite import Suite
from tests.seal import transit as t
from tests.support.stack import auth, database


@pytest.fixture(scope="module")
def own(stack_root: Path, stores: Stores) -> Iterator[Suite]:
    suite = Suite(
        stack_root / f"seal-demo-{uuid.uuid4().hex[:6]}", stores, f"d{uuid.uuid4().hex[:8]}"
    )
    try:
        suite.start("seal")
        yield suite
    finally:
        suite.stop()


def test_demo_data_has_every_state_live_alerts_and_no_clock_drift(
    own: Suite, mongo: MongoClient[dict[str, Any]]
) -> None:
    lines = demo.load(own)
    assert any("SL-0008" in line for line in lines)
    stub = seal_pb2_grpc.SealServiceStub(t.channel_of(own))
    officer = auth(own.token("officer-1", "officer"))
    seals = stub.ListSeals(seal_pb2.ListSealsRequest(), metadata=officer).seals
    assert [seal_pb2.SealState.Name(s.state).removeprefix("SEAL_STATE_") for s in seals] == [
        "IN_STOCK",
        "IN_STOCK",
        "IN_STOCK",
        "ATTACHED",
        "ARRIVED",
        "REMOVED",
        "FAULTY",
        "IN_TRANSIT",
    ]
    assert ("OPENED", "SEAL_BATTERY_LOW") in t.alerts(mongo, own, "seals/SL-0003")
    assert ("OPENED", "SEAL_ARRIVAL") in t.alerts(mongo, own, "seals/SL-0005")
    lock = [a for a in t.alerts(mongo, own, "seals/SL-0006") if a[1] == "SEAL_LOCK_OPENED"]
    assert lock == [("OPENED", "SEAL_LOCK_OPENED"), ("CLOSED", "SEAL_LOCK_OPENED")]
    live = "seals/SL-0008"
    t.wait_for(
        lambda: ("OPENED", "SEAL_CORRIDOR_DEVIATION") in t.alerts(mongo, own, live),
        "the live trip's deviation",
    )
    pings = mongo[database(own, "seal")]["pings"]
    assert pings.count_documents({"device": live}) > 0
    assert pings.count_documents({"drift": True}) == 0
