"""Helpers of the camera API tests: a site with an entry and an exit lane, device events,
alerts. Every call makes unique ids so tests share the session's stack safely."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from customs.camera.v1 import camera_pb2, camera_pb2_grpc
from customs.common.v1 import alert_pb2, geo_pb2
from google.protobuf import timestamp_pb2

from devstack.suite import Suite
from services.platform import iso6346
from tests.support.stack import auth


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def container_number(first_digit: str = "") -> str:
    """A fresh valid container number (its serial starting with ``first_digit`` if given)."""
    serial = f"{uuid.uuid4().int % 1_000_000:06d}"
    return iso6346.make("TST", "U", (first_digit + serial)[:6]).text


def stamp(at: datetime) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(at)
    return ts


@dataclass
class Gate:
    stub: camera_pb2_grpc.CameraServiceStub
    suite: Suite
    site: str
    entry: str
    exit: str
    camera: str

    def device(self) -> list[tuple[str, str]]:
        return auth(self.suite.token("gate-device", "device"))

    def supervisor(self) -> list[tuple[str, str]]:
        return auth(self.suite.token("sup-1", "supervisor"))

    def officer(self) -> list[tuple[str, str]]:
        return auth(self.suite.token("officer-1", "officer"))

    def read(
        self,
        lane: str,
        at: datetime,
        plate: str | None = None,
        containers: Iterable[tuple[str, float]] = (),
        *,
        event_id: str | None = None,
        snapshot: bytes = b"",
        declaration: camera_pb2.Declaration | None = None,
        country: str = "",
    ) -> camera_pb2.RecordRecognitionEventResponse:
        event = camera_pb2.RecognitionEvent(
            camera=self.camera,
            observe_time=stamp(at),
            containers=[camera_pb2.ContainerRead(text=t, confidence=c) for t, c in containers],
            snapshot=snapshot,
        )
        if plate is not None:
            event.plate.CopyFrom(
                camera_pb2.PlateRead(text=plate, confidence=0.95, country_code=country)
            )
        if declaration is not None:
            event.declaration.CopyFrom(declaration)
        return self.stub.RecordRecognitionEvent(
            camera_pb2.RecordRecognitionEventRequest(
                parent=lane, event_id=event_id or unique("ev"), recognition_event=event
            ),
            metadata=self.device(),
        )

    def weigh(
        self, lane: str, at: datetime, gross: float, stable: bool = True
    ) -> camera_pb2.RecordScaleReadingResponse:
        return self.stub.RecordScaleReading(
            camera_pb2.RecordScaleReadingRequest(
                parent=lane,
                event_id=unique("sc"),
                scale_reading=camera_pb2.ScaleReading(
                    scale_id="scale-1", measure_time=stamp(at), gross_weight_kg=gross, stable=stable
                ),
            ),
            metadata=self.device(),
        )

    def second_camera(self, camera_id: str = "ocr-rear") -> Gate:
        """This gate seen through another OCR camera over the exit lane."""
        name = self.stub.CreateCamera(
            camera_pb2.CreateCameraRequest(
                parent=self.site,
                camera_id=camera_id,
                camera=camera_pb2.Camera(
                    display_name=camera_id, kind=camera_pb2.CAMERA_KIND_GATE_OCR, lane=self.exit
                ),
            ),
            metadata=self.supervisor(),
        ).camera.name
        return Gate(self.stub, self.suite, self.site, self.entry, self.exit, name)

    def close(self, passage: str) -> camera_pb2.Passage:
        return self.stub.ClosePassage(
            camera_pb2.ClosePassageRequest(name=passage), metadata=self.officer()
        ).passage


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=5)


def make_gate(
    suite: Suite,
    stub: camera_pb2_grpc.CameraServiceStub,
    country_hint: str = "",
    site_id: str | None = None,
) -> Gate:
    """A new site (``site_id``, or a unique one) with gate g1, lanes in-1 and out-1 and an OCR
    camera over the exit lane."""
    sup = auth(suite.token("sup-1", "supervisor"))
    site_id = site_id or unique("site")
    stub.CreateSite(
        camera_pb2.CreateSiteRequest(
            site_id=site_id,
            site=camera_pb2.Site(
                display_name="Test port",
                kind=camera_pb2.SITE_KIND_SEAPORT,
                location=geo_pb2.GeoPoint(latitude=10.757, longitude=106.790),
                country_code="VN",
            ),
        ),
        metadata=sup,
    )
    site = f"sites/{site_id}"
    gate = stub.CreateGate(
        camera_pb2.CreateGateRequest(
            parent=site, gate_id="g1", gate=camera_pb2.Gate(display_name="Gate 1")
        ),
        metadata=sup,
    ).gate
    lanes = {}
    for lane_id, direction in (
        ("in-1", camera_pb2.LANE_DIRECTION_ENTRY),
        ("out-1", camera_pb2.LANE_DIRECTION_EXIT),
    ):
        lanes[lane_id] = stub.CreateLane(
            camera_pb2.CreateLaneRequest(
                parent=gate.name,
                lane_id=lane_id,
                lane=camera_pb2.Lane(
                    display_name=lane_id, direction=direction, country_hint=country_hint
                ),
            ),
            metadata=sup,
        ).lane.name
    camera = stub.CreateCamera(
        camera_pb2.CreateCameraRequest(
            parent=site,
            camera_id="ocr-1",
            camera=camera_pb2.Camera(
                display_name="OCR 1",
                kind=camera_pb2.CAMERA_KIND_GATE_OCR,
                stream_address="rtsp://10.0.0.1/ocr1",
                lane=lanes["out-1"],
            ),
        ),
        metadata=sup,
    ).camera.name
    return Gate(stub, suite, site, lanes["in-1"], lanes["out-1"], camera)


def alerts_about(
    stub: camera_pb2_grpc.CameraServiceStub,
    suite: Suite,
    subject: str,
    kinds: set[str],
    resume_token: str = "",
    seen: list[str] | None = None,
) -> dict[str, camera_pb2.WatchAlertsResponse]:
    """Reads WatchAlerts until an alert of every kind in ``kinds`` about ``subject`` came."""
    found: dict[str, camera_pb2.WatchAlertsResponse] = {}
    stream = stub.WatchAlerts(
        camera_pb2.WatchAlertsRequest(resume_token=resume_token),
        metadata=auth(suite.token("watcher", "officer")),
        timeout=30,
    )
    try:
        for response in stream:
            alert: alert_pb2.Alert = response.alert
            if seen is not None:
                seen.append(alert.name)
            if alert.subject == subject and alert.kind in kinds:
                found.setdefault(alert.kind, response)
            if set(found) == kinds:
                break
    finally:
        stream.cancel()
    return found


def plate_number() -> str:
    """A fresh Vietnamese truck plate, canonical form."""
    digits = f"{uuid.uuid4().int % 100_000:05d}"
    return f"51C-{digits[:3]}.{digits[3:]}"


def wait_processed(gate: Gate, name: str, within_seconds: float = 30.0) -> camera_pb2.Passage:
    """Polls GetPassage until the passage is processed (background processing)."""
    import time

    deadline = time.monotonic() + within_seconds
    while True:
        passage = gate.stub.GetPassage(
            camera_pb2.GetPassageRequest(name=name), metadata=gate.officer()
        ).passage
        if passage.state == camera_pb2.PASSAGE_STATE_PROCESSED or time.monotonic() > deadline:
            return passage
        time.sleep(0.2)


def reason_codes(passage: camera_pb2.Passage) -> list[str]:
    return [r.code for r in passage.decision.reasons]
