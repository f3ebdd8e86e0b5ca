"""Recognition events over the real API: check digits, plates, snapshots, idempotency."""

from __future__ import annotations

import urllib.request
from datetime import timedelta

import grpc
import pytest
from customs.camera.v1 import camera_pb2, camera_pb2_grpc
from minio import Minio

from devstack.suite import Suite
from tests.camera.gates import container_number, make_gate, now, stamp
from tests.support.stack import auth, bucket, channel, raises_status


@pytest.fixture(scope="module")
def stub(suite: Suite) -> camera_pb2_grpc.CameraServiceStub:
    return camera_pb2_grpc.CameraServiceStub(channel(suite, "camera"))


def _misread(number: str) -> str:
    """``number`` with its first serial digit 0 read as the letter O (a forced correction)."""
    return number[:4] + "O" + number[5:]


def test_valid_read_is_verified(suite: Suite, stub: camera_pb2_grpc.CameraServiceStub) -> None:
    gate = make_gate(suite, stub)
    number = container_number()
    event = gate.read(gate.exit, now(), "51C-123.45", [(number, 0.97)]).recognition_event
    (read,) = event.containers
    assert read.status == camera_pb2.CONTAINER_READ_STATUS_VERIFIED
    assert read.number.value == number
    assert list(read.proposals) == []


def test_correctable_read_is_accepted_unverified_with_proposals(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    gate = make_gate(suite, stub)
    valid = container_number(first_digit="0")
    misread = _misread(valid)
    confident = gate.read(gate.exit, now(), None, [(misread, 0.95)]).recognition_event
    (read,) = confident.containers
    assert read.status == camera_pb2.CONTAINER_READ_STATUS_CORRECTED
    assert read.number.value == valid
    assert valid in read.proposals
    assert "serial" in read.problem
    unsure = gate.read(gate.entry, now(), None, [(misread, 0.5)]).recognition_event
    (read,) = unsure.containers
    assert read.status == camera_pb2.CONTAINER_READ_STATUS_UNVERIFIED
    assert not read.HasField("number")
    assert valid in read.proposals


def test_unreadable_read_is_kept_as_read_with_the_rest_of_the_event(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    """A read no OCR correction makes valid (a wrong length) loses neither the event, nor its
    plate, snapshot or other reads."""
    gate = make_gate(suite, stub)
    number = container_number()
    reply = gate.read(
        gate.exit, now(), "51C-123.45", [(number, 0.9), ("CSQU30543", 0.9)], snapshot=b"jpeg"
    )
    verified, unreadable = reply.recognition_event.containers
    assert verified.status == camera_pb2.CONTAINER_READ_STATUS_VERIFIED
    assert unreadable.status == camera_pb2.CONTAINER_READ_STATUS_UNVERIFIED
    assert (unreadable.text, list(unreadable.proposals)) == ("CSQU30543", [])
    assert not unreadable.HasField("number")
    assert "expected 11 characters" in unreadable.problem
    assert reply.recognition_event.plate.normalised == "51C-123.45"
    assert reply.recognition_event.snapshot_uri
    assert [c.text for c in reply.passage.containers] == [number, "CSQU30543"]


def test_malformed_reads_are_invalid_argument_naming_the_field_and_store_nothing(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    gate = make_gate(suite, stub)
    number = container_number()
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        gate.read(
            gate.exit,
            now(),
            "51C-123.45",
            [(" ", 0.9), (number, 1.5), ("X" * 33, 0.9)],
            event_id="malformed",
        )
    assert error["violations"] == [
        "recognition_event.containers[0].text",
        "recognition_event.containers[1].confidence",
        "recognition_event.containers[2].text",
    ]
    stored = gate.read(gate.exit, now(), "51C-999.99", [(number, 0.9)], event_id="malformed")
    assert stored.recognition_event.plate.normalised == "51C-999.99"  # the first was not kept
    assert list(stored.passage.recognition_events) == [stored.recognition_event.name]


def test_plates_are_normalised_and_foreign_plates_kept_with_their_country(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    gate = make_gate(suite, stub, country_hint="KH")
    vietnamese = gate.read(gate.entry, now(), "51c 12345").recognition_event.plate
    assert (vietnamese.normalised, vietnamese.country_code) == ("51C-123.45", "VN")
    assert vietnamese.kind == camera_pb2.PLATE_KIND_VN_VEHICLE
    later = now() + timedelta(minutes=5)
    cambodian = gate.read(gate.entry, later, "2a 1234").recognition_event.plate
    assert (cambodian.normalised, cambodian.country_code) == ("2A 1234", "KH")
    assert cambodian.kind == camera_pb2.PLATE_KIND_AS_READ


def test_snapshot_is_stored_under_the_lane_and_event_and_presigned(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub, s3: Minio
) -> None:
    gate = make_gate(suite, stub)
    image = b"\xff\xd8\xff\xe0" + b"snapshot" * 100
    reply = gate.read(gate.exit, now(), "51C-123.45", snapshot=image)
    event = reply.recognition_event
    key = f"{event.name}/snapshot.jpg"
    assert key.startswith(gate.exit + "/")
    stored = s3.get_object(bucket(suite, "camera"), key)
    try:
        assert stored.read() == image
    finally:
        stored.close()
        stored.release_conn()
    with urllib.request.urlopen(event.snapshot_uri, timeout=10) as response:
        assert response.read() == image
    assert list(reply.passage.snapshot_uris) and len(event.snapshot_sha256) == 64


def test_oversized_snapshot_is_invalid_argument(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    gate = make_gate(suite, stub)
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        gate.read(gate.exit, now(), "51C-123.45", snapshot=b"x" * (2 * 1024 * 1024 + 1))
    assert error["violations"] == ["recognition_event.snapshot"]


def test_retried_event_is_stored_once(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    gate = make_gate(suite, stub)
    first = gate.read(gate.exit, now(), "51C-123.45", event_id="dev-1")
    again = gate.read(gate.exit, now() + timedelta(seconds=3), "51C-999.99", event_id="dev-1")
    assert again.recognition_event == first.recognition_event
    assert list(again.passage.recognition_events) == [first.recognition_event.name]


def test_events_need_the_device_role(suite: Suite, stub: camera_pb2_grpc.CameraServiceStub) -> None:
    gate = make_gate(suite, stub)
    request = camera_pb2.RecordRecognitionEventRequest(
        parent=gate.exit,
        event_id="x",
        recognition_event=camera_pb2.RecognitionEvent(camera=gate.camera),
    )
    with raises_status(grpc.StatusCode.PERMISSION_DENIED):
        stub.RecordRecognitionEvent(request, metadata=auth(suite.token("o", "officer")))


def test_retried_scale_reading_is_stored_once(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    gate = make_gate(suite, stub)
    request = camera_pb2.RecordScaleReadingRequest(
        parent=gate.entry,
        event_id="scale-evt-1",
        scale_reading=camera_pb2.ScaleReading(
            scale_id="scale-1", measure_time=stamp(now()), gross_weight_kg=21_000.0, stable=True
        ),
    )
    first = stub.RecordScaleReading(request, metadata=gate.device())
    again = stub.RecordScaleReading(request, metadata=gate.device())
    assert again.scale_reading == first.scale_reading
    assert list(again.passage.scale_readings) == [first.scale_reading.name]
    assert again.passage.weight == first.passage.weight


def test_scale_reading_must_be_a_weight(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    gate = make_gate(suite, stub)
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        stub.RecordScaleReading(
            camera_pb2.RecordScaleReadingRequest(
                parent=gate.entry,
                event_id="bad",
                scale_reading=camera_pb2.ScaleReading(scale_id="s", gross_weight_kg=-1.0),
            ),
            metadata=gate.device(),
        )
    assert error["violations"] == [
        "scale_reading.measure_time",
        "scale_reading.gross_weight_kg",
    ]


def test_unknown_camera_or_lane_is_refused(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    gate = make_gate(suite, stub)
    gate.camera = f"{gate.site}/cameras/not-installed"
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        gate.read(gate.exit, now(), "51C-123.45")
    assert error["violations"] == ["recognition_event.camera"]
    with raises_status(grpc.StatusCode.NOT_FOUND):
        gate.read(f"{gate.site}/gates/g1/lanes/nope", now(), "51C-123.45")
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        gate.read("lanes/nope", now(), "51C-123.45")
    assert error["violations"] == ["parent"]
