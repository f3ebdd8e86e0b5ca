"""The duty log service over real gRPC against the real embedded stores."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from customs.dutylog.v1 import dutylog_pb2, dutylog_pb2_grpc
from grpc_health.v1 import health_pb2
from pymongo import MongoClient

from devstack.suite import Suite
from tests.support.stack import auth, channel, database, health, raises_status


@pytest.fixture(scope="module")
def stub(suite: Suite) -> dutylog_pb2_grpc.DutyLogServiceStub:
    return dutylog_pb2_grpc.DutyLogServiceStub(channel(suite, "dutylog"))


def new_room(room_id: str) -> dutylog_pb2.CreateRoomRequest:
    return dutylog_pb2.CreateRoomRequest(
        room_id=room_id,
        room=dutylog_pb2.Room(
            display_name="HCMC monitoring room",
            sites=["sites/cat-lai", "sites/moc-bai"],
            time_zone="Asia/Ho_Chi_Minh",
        ),
    )


def test_health_is_serving(suite: Suite) -> None:
    assert health(suite, "dutylog") == health_pb2.HealthCheckResponse.SERVING


def test_create_get_round_trip_is_persisted(
    suite: Suite, stub: dutylog_pb2_grpc.DutyLogServiceStub, mongo: MongoClient[dict[str, Any]]
) -> None:
    supervisor = auth(suite.token("sup", "supervisor"))
    created = stub.CreateRoom(new_room("hcm"), metadata=supervisor).room
    fetched = stub.GetRoom(dutylog_pb2.GetRoomRequest(name="rooms/hcm"), metadata=supervisor).room
    assert fetched == created
    stored = mongo[database(suite, "dutylog")]["rooms"].find_one({"name": "rooms/hcm"})
    assert stored is not None and stored["time_zone"] == "Asia/Ho_Chi_Minh"


def test_invalid_request_names_the_fields(
    suite: Suite, stub: dutylog_pb2_grpc.DutyLogServiceStub
) -> None:
    bad = new_room("bad")
    bad.room.time_zone = "Mars/Olympus"
    bad.room.sites.append("cat-lai")
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        stub.CreateRoom(bad, metadata=auth(suite.token("sup", "supervisor")))
    assert error["violations"] == ["room.sites[2]", "room.time_zone"]


def test_without_token_is_unauthenticated(stub: dutylog_pb2_grpc.DutyLogServiceStub) -> None:
    with raises_status(grpc.StatusCode.UNAUTHENTICATED):
        stub.ListRooms(dutylog_pb2.ListRoomsRequest())


def test_wrong_role_is_permission_denied(
    suite: Suite, stub: dutylog_pb2_grpc.DutyLogServiceStub
) -> None:
    # Analysts read scans, not the duty log.
    with raises_status(grpc.StatusCode.PERMISSION_DENIED):
        stub.ListRooms(dutylog_pb2.ListRoomsRequest(), metadata=auth(suite.token("a", "analyst")))
