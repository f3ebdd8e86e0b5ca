"""The seal service over real gRPC against the real embedded stores."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from customs.seal.v1 import seal_pb2, seal_pb2_grpc
from grpc_health.v1 import health_pb2
from pymongo import MongoClient

from devstack.suite import Suite
from tests.support.stack import auth, channel, database, health, raises_status


@pytest.fixture(scope="module")
def stub(suite: Suite) -> seal_pb2_grpc.SealServiceStub:
    return seal_pb2_grpc.SealServiceStub(channel(suite, "seal"))


def new_seal(seal_id: str, battery: int = 90) -> seal_pb2.CreateSealRequest:
    return seal_pb2.CreateSealRequest(
        seal_id=seal_id,
        seal=seal_pb2.Seal(
            manufacturer="VNSEAL",
            serial_number=f"SN-{seal_id}",
            model="GS-4",
            firmware="2.1",
            battery_percent=battery,
        ),
    )


def test_health_is_serving(suite: Suite) -> None:
    assert health(suite, "seal") == health_pb2.HealthCheckResponse.SERVING


def test_create_get_round_trip_is_persisted(
    suite: Suite, stub: seal_pb2_grpc.SealServiceStub, mongo: MongoClient[dict[str, Any]]
) -> None:
    officer = auth(suite.token("officer-1", "officer"))
    created = stub.CreateSeal(new_seal("SL-RT-1"), metadata=officer).seal
    assert created.name == "seals/SL-RT-1"
    assert created.state == seal_pb2.SEAL_STATE_IN_STOCK
    fetched = stub.GetSeal(seal_pb2.GetSealRequest(name="seals/SL-RT-1"), metadata=officer).seal
    assert fetched == created
    stored = mongo[database(suite, "seal")]["seals"].find_one({"name": "seals/SL-RT-1"})
    assert stored is not None and stored["serial_number"] == "SN-SL-RT-1"


def test_duplicate_is_already_exists(suite: Suite, stub: seal_pb2_grpc.SealServiceStub) -> None:
    officer = auth(suite.token("officer-1", "officer"))
    stub.CreateSeal(new_seal("SL-DUP"), metadata=officer)
    with raises_status(grpc.StatusCode.ALREADY_EXISTS):
        stub.CreateSeal(new_seal("SL-DUP"), metadata=officer)


def test_invalid_request_names_the_fields_and_stores_nothing(
    suite: Suite, stub: seal_pb2_grpc.SealServiceStub, mongo: MongoClient[dict[str, Any]]
) -> None:
    officer = auth(suite.token("officer-1", "officer"))
    bad = new_seal("SL-BAD")
    bad.seal.manufacturer = ""
    bad.seal.battery_percent = 140
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        stub.CreateSeal(bad, metadata=officer)
    assert error["violations"] == ["seal.manufacturer", "seal.battery_percent"]
    assert error["reason"] == "INVALID_ARGUMENT" and error["domain"] == "seal"
    assert mongo[database(suite, "seal")]["seals"].count_documents({"name": "seals/SL-BAD"}) == 0


def test_get_unknown_is_not_found(suite: Suite, stub: seal_pb2_grpc.SealServiceStub) -> None:
    with raises_status(grpc.StatusCode.NOT_FOUND):
        stub.GetSeal(
            seal_pb2.GetSealRequest(name="seals/none"),
            metadata=auth(suite.token("a", "auditor")),
        )


def test_without_token_is_unauthenticated(stub: seal_pb2_grpc.SealServiceStub) -> None:
    with raises_status(grpc.StatusCode.UNAUTHENTICATED):
        stub.ListSeals(seal_pb2.ListSealsRequest())


def test_wrong_role_is_permission_denied(suite: Suite, stub: seal_pb2_grpc.SealServiceStub) -> None:
    analyst = auth(suite.token("analyst-1", "analyst"))
    with raises_status(grpc.StatusCode.PERMISSION_DENIED) as error:
        stub.CreateSeal(new_seal("SL-ROLE"), metadata=analyst)
    assert error["reason"] == "ROLE_NOT_ALLOWED"


def test_list_pages_through_everything_in_name_order(
    suite: Suite, stub: seal_pb2_grpc.SealServiceStub
) -> None:
    officer = auth(suite.token("officer-1", "officer"))
    for i in range(7):
        stub.CreateSeal(new_seal(f"SL-PG-{i}"), metadata=officer)
    names: list[str] = []
    token = ""
    while True:
        page = stub.ListSeals(
            seal_pb2.ListSealsRequest(page_size=3, page_token=token), metadata=officer
        )
        assert len(page.seals) <= 3
        names += [s.name for s in page.seals]
        token = page.next_page_token
        if not token:
            break
    assert names == sorted(names)
    assert {f"seals/SL-PG-{i}" for i in range(7)} <= set(names)
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        stub.ListSeals(seal_pb2.ListSealsRequest(page_size=-1), metadata=officer)
    assert error["violations"] == ["page_size"]
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        stub.ListSeals(seal_pb2.ListSealsRequest(page_token="garbage"), metadata=officer)
    assert error["violations"] == ["page_token"]
