"""Test scenery for the gateway tests: a site with an entry and an exit lane and a recognition
camera, a room supervising the site, a scanner that scans a container, a sealed transit driven
by its device's pings, fresh container numbers and plates. People's steps go through the
gateway; devices report through the gateway's device routes (a seal gateway's ping batches, a
gate camera's reads and a scale's readings with :func:`report_read` and :func:`report_weight`)
or, as a gate camera wired to its service does, over gRPC (:meth:`Site.read`)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
from customs.camera.v1 import camera_pb2, camera_pb2_grpc
from customs.common.v1 import geo_pb2
from google.protobuf import timestamp_pb2
from google.protobuf.json_format import MessageToDict, MessageToJson

from devstack.suite import Suite
from services.gateway.routes.scanner import UPLOAD_MEDIA_TYPE
from services.platform import iso6346
from services.scanner.domain.phantoms import PhantomKind, make_phantom
from services.seal import sample
from services.seal.domain.simulator import CAT_LAI, Scenario, by_reception, demo_trip, simulate
from tests.scanner.uploads import Upload, scanner_request
from tests.support.stack import auth, channel

T = TypeVar("T")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def container_number() -> str:
    return iso6346.make("GWT", "U", f"{uuid.uuid4().int % 1_000_000:06d}").text


def plate_number() -> str:
    digits = f"{uuid.uuid4().int % 100_000:05d}"
    return f"51C-{digits[:3]}.{digits[3:]}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def eventually(
    probe: Callable[[], T | None], what: str | Callable[[], str], within: float = 30.0
) -> T:
    """Polls ``probe`` until it returns something (background work: alert capture); ``what``
    says what never happened (a callable: computed when it is said)."""
    deadline = time.monotonic() + within
    while True:
        found = probe()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what if isinstance(what, str) else what()}")
        time.sleep(0.3)


@dataclass
class Site:
    suite: Suite
    stub: camera_pb2_grpc.CameraServiceStub
    name: str
    entry: str
    exit: str
    camera: str

    @property
    def site_id(self) -> str:
        return self.name.removeprefix("sites/")

    def read(
        self, lane: str, plate: str, containers: list[str], at: datetime | None = None
    ) -> camera_pb2.Passage:
        """A recognition camera's read on ``lane``; returns the passage it joined."""
        stamp = timestamp_pb2.Timestamp()
        stamp.FromDatetime(at or datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=5))
        event = camera_pb2.RecognitionEvent(
            camera=self.camera,
            observe_time=stamp,
            plate=camera_pb2.PlateRead(text=plate, confidence=0.95),
            containers=[camera_pb2.ContainerRead(text=c, confidence=0.97) for c in containers],
        )
        return self.stub.RecordRecognitionEvent(
            camera_pb2.RecordRecognitionEventRequest(
                parent=lane, event_id=unique("ev"), recognition_event=event
            ),
            metadata=auth(self.suite.token("gate-device", "device")),
        ).passage


def make_site(suite: Suite, latitude: float = 10.757, longitude: float = 106.790) -> Site:
    stub = camera_pb2_grpc.CameraServiceStub(channel(suite, "camera"))
    sup = auth(suite.token("layout-supervisor", "supervisor"))
    site_id = unique("gws")
    site = stub.CreateSite(
        camera_pb2.CreateSiteRequest(
            site_id=site_id,
            site=camera_pb2.Site(
                display_name=f"Port {site_id}",
                kind=camera_pb2.SITE_KIND_SEAPORT,
                location=geo_pb2.GeoPoint(latitude=latitude, longitude=longitude),
                country_code="VN",
            ),
        ),
        metadata=sup,
    ).site
    gate = stub.CreateGate(
        camera_pb2.CreateGateRequest(
            parent=site.name, gate_id="g1", gate=camera_pb2.Gate(display_name="Gate 1")
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
                lane=camera_pb2.Lane(display_name=lane_id, direction=direction),
            ),
            metadata=sup,
        ).lane.name
    camera = stub.CreateCamera(
        camera_pb2.CreateCameraRequest(
            parent=site.name,
            camera_id="ocr-1",
            camera=camera_pb2.Camera(
                display_name="OCR 1", kind=camera_pb2.CAMERA_KIND_GATE_OCR, lane=lanes["out-1"]
            ),
        ),
        metadata=sup,
    ).camera.name
    return Site(suite, stub, site.name, lanes["in-1"], lanes["out-1"], camera)


def make_room(http: httpx.Client, suite: Suite, sites: list[str]) -> str:
    """A room supervising ``sites``, created through the gateway; returns its id."""
    room_id = unique("gwroom")
    created = http.post(
        "/v1/rooms",
        params={"room_id": room_id},
        json={"display_name": f"Room {room_id}", "sites": sites, "time_zone": "Asia/Ho_Chi_Minh"},
        headers=bearer(suite.token("room-supervisor", "supervisor")),
    )
    assert created.status_code == 201, created.text
    return room_id


def officer_json(subject: str, name: str) -> dict[str, Any]:
    return {"subject": subject, "display_name": name, "department": "DEPARTMENT_SUPERVISION"}


def scan_upload_body(up: Upload, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """An upload as a client streams it through the gateway: metadata line, then the payload."""
    metadata = up.metadata.__deepcopy__()
    metadata.ClearField("scanner")
    yield MessageToJson(metadata, preserving_proto_field_name=True, indent=None).encode() + b"\n"
    for start in range(0, len(up.data), chunk):
        yield up.data[start : start + chunk]


def scan_container(http: httpx.Client, suite: Suite, number: str, site: str) -> dict[str, Any]:
    """A scanner registered through the gateway scans ``number`` (steel among textiles); returns
    the analysed scan."""
    phantom = make_phantom(PhantomKind.STEEL_IN_ORGANIC, rows=256, cols=600, seed=7)
    scanner_id = unique("SC")
    request = scanner_request(scanner_id, phantom)
    request.scanner.site = site
    body = MessageToDict(request, preserving_proto_field_name=True)
    body.pop("scanner_id")
    supervisor = bearer(suite.token("sup:scanners", "supervisor"))
    created = http.post(
        "/v1/scanners", params={"scanner_id": scanner_id}, json=body, headers=supervisor
    )
    assert created.status_code == 201, created.text
    up = Upload(phantom, f"scanners/{scanner_id}", unique("key"), (number,))
    device = {**bearer(suite.token("scanner-device", "device")), "Content-Type": UPLOAD_MEDIA_TYPE}
    uploaded = http.post(
        f"/v1/scanners/{scanner_id}/scans:upload",
        content=scan_upload_body(up),
        headers=device,
        timeout=120,
    )
    assert uploaded.status_code == 201, uploaded.text
    scan: dict[str, Any] = uploaded.json()["scan"]
    return scan


def plan_transit(http: httpx.Client, suite: Suite, tag: str) -> tuple[str, str, str]:
    """Cát Lái and Mộc Bài seal sites and the route between them; returns their names."""
    supervisor = bearer(suite.token("sup:plan", "supervisor"))
    names = []
    for site_id, site in sample.demo_sites():
        created = http.post(
            "/v1/sealSites",
            params={"site_id": f"{site_id}-{tag}"},
            json=MessageToDict(site, preserving_proto_field_name=True),
            headers=supervisor,
        )
        assert created.status_code == 201, created.text
        names.append(created.json()["name"])
    route = http.post(
        "/v1/routes",
        params={"route_id": f"cl-mb-{tag}"},
        json=MessageToDict(sample.demo_route(), preserving_proto_field_name=True),
        headers=supervisor,
    )
    assert route.status_code == 201, route.text
    return names[0], names[1], route.json()["name"]


def stamp(at: datetime | None = None) -> str:
    """``at`` (default: five seconds ago, on the second) in RFC 3339, as devices send times."""
    moment = at or datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=5)
    return moment.isoformat().replace("+00:00", "Z")


def report_read(
    http: httpx.Client,
    token: str,
    lane: str,
    event: dict[str, Any],
    event_id: str | None = None,
) -> dict[str, Any]:
    """A recognition camera's read ``event`` (RecognitionEvent JSON) on ``lane`` through the
    gateway; returns the stored event and the passage it joined."""
    reply = http.post(
        f"/v1/{lane}/recognitionEvents",
        params={"event_id": event_id or unique("ev")},
        json={"observe_time": stamp(), **event},
        headers=bearer(token),
    )
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def report_weight(
    http: httpx.Client, token: str, lane: str, gross_kg: float, at: datetime | None = None
) -> dict[str, Any]:
    """A stable truck scale reading on ``lane`` through the gateway."""
    reply = http.post(
        f"/v1/{lane}/scaleReadings",
        params={"event_id": unique("sc")},
        json={
            "scale_id": "scale-1",
            "measure_time": stamp(at),
            "gross_weight_kg": gross_kg,
            "stable": True,
        },
        headers=bearer(token),
    )
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def pings_body(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Simulated ping ``rows`` as one StorePings body."""
    return {
        "pings": [MessageToDict(sample.ping(r), preserving_proto_field_name=True) for r in rows]
    }


def ping_batches(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A simulated trip's ``rows`` as its seal gateway uploads them: one batch per 300 s of
    reception."""
    return [pings_body(batch) for batch in by_reception(rows, 300.0)]


def send_pings(
    http: httpx.Client, token: str, seal_id: str, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Uploads ``rows`` through the gateway, batch after batch, as a seal gateway does; returns
    the acknowledgements."""
    acks = []
    for batch in ping_batches(rows):
        reply = http.post(
            f"/v1/seals/{seal_id}/pings:batch", json=batch, headers=bearer(token), timeout=60
        )
        assert reply.status_code == 200, reply.text
        acks.append(reply.json())
    return acks


def seal_transit(
    http: httpx.Client, suite: Suite, number: str, scenario: Scenario | None = None
) -> str:
    """Plans, seals and drives (the device's pings) the Cát Lái → Mộc Bài transit of ``number``,
    all through the gateway; returns the seal id."""
    tag = uuid.uuid4().hex[:6]
    origin, destination, route = plan_transit(http, suite, tag)
    officer = bearer(suite.token("officer:seal", "officer"))
    seal_id = f"GW-{tag}"
    created = http.post(
        "/v1/seals",
        params={"seal_id": seal_id},
        json={"manufacturer": "VNSEAL", "serial_number": f"SN-{tag}", "battery_percent": 95},
        headers=officer,
    )
    assert created.status_code == 201, created.text
    attached = http.post(
        f"/v1/seals/{seal_id}:attach",
        params={"attachment_id": f"T-{tag}", "latitude": CAT_LAI.lat, "longitude": CAT_LAI.lon},
        json={
            "container_number": {"value": number},
            "transit_declaration": f"30{tag}/G22",
            "origin": origin,
            "destination": destination,
            "route": route,
            "deadline": "2099-01-01T00:00:00Z",
        },
        headers=officer,
    )
    assert attached.status_code == 200, attached.text
    armed = http.post(
        f"/v1/seals/{seal_id}:arm",
        json={"position": {"latitude": CAT_LAI.lat, "longitude": CAT_LAI.lon}},
        headers=officer,
    )
    assert armed.status_code == 200, armed.text
    trip = demo_trip(trip_id=f"T-{tag}", device_id=seal_id, start_time=time.time() - 4 * 3600)
    rows = simulate(trip, scenario or Scenario())
    acks = send_pings(http, suite.token("seal-gateway", "device"), seal_id, rows)
    assert acks and int(acks[-1]["highest_seq"]) == max(r["seq"] for r in rows)
    return seal_id
