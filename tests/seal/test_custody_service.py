"""Custody over gRPC: attaching at the origin only."""

from __future__ import annotations

from typing import Any

import grpc
from customs.seal.v1 import seal_pb2, seal_pb2_grpc
from pymongo import MongoClient

from devstack.suite import Suite
from tests.seal import transit as t
from tests.support.stack import auth, database, raises_status


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
