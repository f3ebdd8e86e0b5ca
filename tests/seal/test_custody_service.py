"""Custody over gRPC: attaching at the origin only, and the UNAUTHORISED_REMOVAL episode (one alert
however many refused attempts, closed with the transit)."""

from __future__ import annotations

from typing import Any

import grpc
from customs.seal.v1 import seal_pb2, seal_pb2_grpc
from pymongo import MongoClient

from devstack.suite import Suite
from tests.seal import transit as t
from tests.support.stack import auth, database, raises_status

REMOVAL = "SEAL_UNAUTHORISED_REMOVAL"


def test_attach_away_from_the_origin_is_refused_and_changes_nothing(
    stub: seal_pb2_grpc.SealServiceStub,
    suite: Suite,
    places: t.Places,
    mongo: MongoClient[dict[str, Any]],
) -> None:
    officer = auth(suite.token("officer-1", "officer"))
    seal = t.create_seal(stub, suite)
    far = t.attach_request(seal, places, where=t.MOC_BAI)
    with raises_status(grpc.StatusCode.FAILED_PRECONDITION) as error:
        stub.AttachSeal(far, metadata=officer)
    assert error["preconditions"] == [("STATE", seal)]
    assert error["reason"] == "ILLEGAL_TRANSITION"
    assert "at the origin" in error["message"] and "outside its geofence" in error["message"]
    after = stub.GetSeal(seal_pb2.GetSealRequest(name=seal), metadata=officer).seal
    assert after.state == seal_pb2.SEAL_STATE_IN_STOCK and not after.attachment
    attachments = mongo[database(suite, "seal")]["attachments"]
    assert attachments.count_documents({"seal": seal}) == 0
    # the same request from inside the origin goes through
    near = t.attach_request(seal, places)
    assert stub.AttachSeal(near, metadata=officer).seal.state == seal_pb2.SEAL_STATE_ATTACHED


def _removal_episodes(docs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(d["phase"], d["episode"]) for d in docs if d["kind"] == REMOVAL]


def test_repeated_refused_removals_are_one_episode_closed_by_the_legal_removal(
    stub: seal_pb2_grpc.SealServiceStub,
    suite: Suite,
    places: t.Places,
    mongo: MongoClient[dict[str, Any]],
) -> None:
    tr = t.start(stub, suite, places)
    rows = t.rows(tr)
    road = t.drive_to(stub, suite, tr, rows, 100)
    for _ in range(2):
        with raises_status(grpc.StatusCode.FAILED_PRECONDITION):
            t.remove(stub, suite, tr.seal, road)
    [(phase, episode)] = _removal_episodes(t.alert_docs(mongo, suite, tr.seal))
    assert phase == "OPENED"
    status = t.status(stub, suite, tr.container)
    assert [a.episode for a in status.open_alerts] == [episode]
    attempts = [r for r in status.reasons if r.startswith("removal attempted")]
    assert len(attempts) == 2  # both attempts are on record
    # the rest of the trip: it arrives, and the officer removes the seal at Mộc Bài
    t.send(stub, suite, tr.seal, t.uploads(rows[100:]))
    removed = t.remove(stub, suite, tr.seal)
    assert removed.attachment.closed and not removed.attachment.intact
    assert _removal_episodes(t.alert_docs(mongo, suite, tr.seal)) == [
        ("OPENED", episode),
        ("CLOSED", episode),
    ]
    closed = t.alert_docs(mongo, suite, tr.seal)[-2:]
    assert {d["kind"] for d in closed} == {REMOVAL, "SEAL_ARRIVAL"}
    assert all(d["phase"] == "CLOSED" for d in closed)
    officer = auth(suite.token("officer-1", "officer"))
    after = stub.GetSealStatus(seal_pb2.GetSealStatusRequest(name=tr.seal), metadata=officer)
    assert not after.open_alerts


def test_unauthorised_removal_stays_open_on_a_faulty_seal_until_it_returns_to_stock(
    stub: seal_pb2_grpc.SealServiceStub,
    suite: Suite,
    places: t.Places,
    mongo: MongoClient[dict[str, Any]],
) -> None:
    officer = auth(suite.token("officer-1", "officer"))
    tr = t.start(stub, suite, places)
    rows = t.rows(tr)
    road = t.drive_to(stub, suite, tr, rows, 50)
    with raises_status(grpc.StatusCode.FAILED_PRECONDITION):
        t.remove(stub, suite, tr.seal, road)
    stub.ReportSealFault(
        seal_pb2.ReportSealFaultRequest(name=tr.seal, reason="bolt sensor broken"),
        metadata=officer,
    )
    # the container is still on the road with a broken seal: nothing is settled yet
    [(phase, episode)] = _removal_episodes(t.alert_docs(mongo, suite, tr.seal))
    assert phase == "OPENED"
    assert [a.episode for a in t.status(stub, suite, tr.container).open_alerts] == [episode]
    stub.ReturnSealToStock(seal_pb2.ReturnSealToStockRequest(name=tr.seal), metadata=officer)
    assert _removal_episodes(t.alert_docs(mongo, suite, tr.seal)) == [
        ("OPENED", episode),
        ("CLOSED", episode),
    ]
    closing = t.alert_docs(mongo, suite, tr.seal)[-1]
    assert "faulty seal returned to stock" in closing["message"]
    assert not t.status(stub, suite, tr.container).sealed
