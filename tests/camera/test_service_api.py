"""The camera service over real gRPC against the real embedded stores."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from customs.camera.v1 import camera_pb2, camera_pb2_grpc
from customs.common.v1 import geo_pb2
from grpc_health.v1 import health_pb2
from pymongo import MongoClient

from devstack.suite import Suite
from tests.support.stack import auth, channel, database, health, raises_status


@pytest.fixture(scope="module")
def stub(suite: Suite) -> camera_pb2_grpc.CameraServiceStub:
    return camera_pb2_grpc.CameraServiceStub(channel(suite, "camera"))


def new_site(site_id: str) -> camera_pb2.CreateSiteRequest:
    return camera_pb2.CreateSiteRequest(
        site_id=site_id,
        site=camera_pb2.Site(
            display_name="Mộc Bài border gate",
            kind=camera_pb2.SITE_KIND_LAND_BORDER,
            location=geo_pb2.GeoPoint(latitude=11.072, longitude=106.163),
            country_code="VN",
        ),
    )


def test_health_is_serving(suite: Suite) -> None:
    assert health(suite, "camera") == health_pb2.HealthCheckResponse.SERVING


def test_create_get_round_trip_is_persisted(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub, mongo: MongoClient[dict[str, Any]]
) -> None:
    supervisor = auth(suite.token("sup", "supervisor"))
    created = stub.CreateSite(new_site("moc-bai"), metadata=supervisor).site
    fetched = stub.GetSite(camera_pb2.GetSiteRequest(name="sites/moc-bai"), metadata=supervisor)
    assert fetched.site == created
    stored = mongo[database(suite, "camera")]["sites"].find_one({"name": "sites/moc-bai"})
    assert stored is not None and stored["location"] == [11.072, 106.163]


def test_invalid_request_names_the_fields(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    bad = new_site("bad-site")
    bad.site.location.latitude = 123.0
    bad.site.country_code = "Vietnam"
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        stub.CreateSite(bad, metadata=auth(suite.token("sup", "supervisor")))
    assert error["violations"] == ["site.location.latitude", "site.country_code"]


def test_without_token_is_unauthenticated(stub: camera_pb2_grpc.CameraServiceStub) -> None:
    with raises_status(grpc.StatusCode.UNAUTHENTICATED):
        stub.ListSites(camera_pb2.ListSitesRequest())


def test_wrong_role_is_permission_denied(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    with raises_status(grpc.StatusCode.PERMISSION_DENIED):
        stub.CreateSite(new_site("x"), metadata=auth(suite.token("o", "officer")))
