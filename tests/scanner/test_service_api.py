"""The scanner service over real gRPC against the real embedded stores."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import grpc
import numpy as np
import pytest
from customs.scanner.v1 import scanner_pb2, scanner_pb2_grpc
from grpc_health.v1 import health_pb2
from minio import Minio
from pymongo import MongoClient

from devstack.suite import Suite
from tests.support.stack import auth, bucket, channel, database, health, raises_status

ROWS = 64


@pytest.fixture(scope="module")
def stub(suite: Suite) -> scanner_pb2_grpc.ScannerServiceStub:
    return scanner_pb2_grpc.ScannerServiceStub(channel(suite, "scanner"))


def new_scanner(scanner_id: str, dead: tuple[int, ...] = ()) -> scanner_pb2.CreateScannerRequest:
    dark = [100 + r % 7 for r in range(ROWS)]
    air = [60000 - r for r in range(ROWS)]
    for row in dead:
        air[row] = dark[row] + 3
    return scanner_pb2.CreateScannerRequest(
        scanner_id=scanner_id,
        scanner=scanner_pb2.Scanner(
            display_name="Cát Lái gate 2 drive-through",
            site="sites/cat-lai",
            kind=scanner_pb2.SCANNER_KIND_CONTAINER,
            energies_kev=[4000, 6000],
            pixel_pitch_mm=5.0,
            detector_rows=ROWS,
        ),
        calibration=[
            scanner_pb2.CalibrationLines(energy_kev=4000, dark=dark, air=air),
            scanner_pb2.CalibrationLines(energy_kev=6000, dark=dark, air=air),
        ],
    )


def test_health_is_serving(suite: Suite) -> None:
    assert health(suite, "scanner") == health_pb2.HealthCheckResponse.SERVING


def test_create_get_persists_record_and_calibration_object(
    suite: Suite,
    stub: scanner_pb2_grpc.ScannerServiceStub,
    mongo: MongoClient[dict[str, Any]],
    s3: Minio,
) -> None:
    supervisor = auth(suite.token("sup-1", "supervisor"))
    created = stub.CreateScanner(new_scanner("CL-01"), metadata=supervisor).scanner
    fetched = stub.GetScanner(
        scanner_pb2.GetScannerRequest(name="scanners/CL-01"), metadata=supervisor
    ).scanner
    assert fetched == created
    assert list(created.calibration.dead_rows) == []
    record = mongo[database(suite, "scanner")]["scanners"].find_one({"name": "scanners/CL-01"})
    assert record is not None and record["detector_rows"] == ROWS
    blob = s3.get_object(bucket(suite, "scanner"), created.calibration.object_key).read()
    assert hashlib.sha256(blob).hexdigest() == created.calibration.sha256
    lines = np.load(io.BytesIO(blob))
    assert lines["dark"].shape == (2, ROWS) and lines["air"][0, 3] == 60000 - 3


def test_dead_rows_are_reported_and_alerted(
    suite: Suite, stub: scanner_pb2_grpc.ScannerServiceStub
) -> None:
    supervisor = auth(suite.token("sup-1", "supervisor"))
    created = stub.CreateScanner(new_scanner("CL-DEAD", dead=(5, 9)), metadata=supervisor).scanner
    assert list(created.calibration.dead_rows) == [5, 9]
    watch = stub.WatchAlerts(scanner_pb2.WatchAlertsRequest(), metadata=supervisor, timeout=5)
    kinds = []
    for item in watch:
        kinds.append((item.alert.kind, item.alert.subject))
        if item.alert.subject == "scanners/CL-DEAD":
            watch.cancel()
            break
    assert ("SCANNER_DEAD_DETECTOR_ROWS", "scanners/CL-DEAD") in kinds


def test_invalid_calibration_names_the_field_and_leaves_nothing(
    suite: Suite,
    stub: scanner_pb2_grpc.ScannerServiceStub,
    mongo: MongoClient[dict[str, Any]],
    s3: Minio,
) -> None:
    supervisor = auth(suite.token("sup-1", "supervisor"))
    scanners = mongo[database(suite, "scanner")]["scanners"]
    records = scanners.count_documents({})
    stored = len(list(s3.list_objects(bucket(suite, "scanner"), prefix="scanners/")))
    bad = new_scanner("CL-BAD")
    del bad.calibration[1].air[10:]
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        stub.CreateScanner(bad, metadata=supervisor)
    assert error["violations"] == ["calibration[1].air"]
    assert scanners.find_one({"name": "scanners/CL-BAD"}) is None
    assert scanners.count_documents({}) == records  # no record under any other name either
    leftovers = list(
        s3.list_objects(bucket(suite, "scanner"), prefix="scanners/CL-BAD/", recursive=True)
    )
    assert leftovers == []
    assert len(list(s3.list_objects(bucket(suite, "scanner"), prefix="scanners/"))) == stored


def test_duplicate_leaves_no_orphan_object(
    suite: Suite, stub: scanner_pb2_grpc.ScannerServiceStub, s3: Minio
) -> None:
    supervisor = auth(suite.token("sup-1", "supervisor"))
    stub.CreateScanner(new_scanner("CL-TWICE"), metadata=supervisor)
    with raises_status(grpc.StatusCode.ALREADY_EXISTS):
        stub.CreateScanner(new_scanner("CL-TWICE"), metadata=supervisor)
    objects = list(
        s3.list_objects(bucket(suite, "scanner"), prefix="scanners/CL-TWICE/", recursive=True)
    )
    assert len(objects) == 1


def test_without_token_is_unauthenticated(stub: scanner_pb2_grpc.ScannerServiceStub) -> None:
    with raises_status(grpc.StatusCode.UNAUTHENTICATED):
        stub.GetScanner(scanner_pb2.GetScannerRequest(name="scanners/CL-01"))


def test_wrong_role_is_permission_denied(
    suite: Suite, stub: scanner_pb2_grpc.ScannerServiceStub
) -> None:
    with raises_status(grpc.StatusCode.PERMISSION_DENIED):
        stub.CreateScanner(new_scanner("CL-X"), metadata=auth(suite.token("o", "officer")))


def test_list_filters_by_site(suite: Suite, stub: scanner_pb2_grpc.ScannerServiceStub) -> None:
    supervisor = auth(suite.token("sup-1", "supervisor"))
    other = new_scanner("MB-01")
    other.scanner.site = "sites/moc-bai"
    stub.CreateScanner(other, metadata=supervisor)
    listed = stub.ListScanners(
        scanner_pb2.ListScannersRequest(site="sites/moc-bai"), metadata=supervisor
    )
    assert [s.name for s in listed.scanners] == ["scanners/MB-01"]
