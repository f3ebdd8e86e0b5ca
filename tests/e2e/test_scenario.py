"""The issue's end-to-end scenario, driven from outside through the gateway.

A container declared as textiles is scanned at Cát Lái and flagged; an analyst holds it; the
inspection records its outcome; a seal is attached for the transit to the Mộc Bài border gate;
the truck leaves its corridor and comes back; it arrives; the exit gate decides. Every alert of
the scenario is in the duty log exactly once, and the room resolves them.

People act through the gateway's HTTP API; equipment acts as equipment does: the scanner uploads
through the gateway (streamed), while the seal's device gateway streams pings and the gate's
recognition camera reports its reads to the seal and camera services over gRPC (the gateway
exposes no device ingestion, DESIGN.md §2).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import httpx
from customs.camera.v1 import camera_pb2, camera_pb2_grpc
from customs.seal.v1 import seal_pb2_grpc
from google.protobuf import timestamp_pb2
from google.protobuf.json_format import MessageToDict, MessageToJson

from devstack.suite import RunningService, Suite
from services.gateway.routes.scanner import UPLOAD_MEDIA_TYPE
from services.platform import iso6346
from services.scanner.domain.phantoms import PhantomKind, make_phantom
from services.seal import sample
from services.seal.domain.simulator import (
    CAT_LAI,
    MOC_BAI,
    Detour,
    Scenario,
    by_reception,
    demo_trip,
    simulate,
)
from tests.scanner.uploads import TEXTILES, Upload, scanner_request
from tests.support.stack import auth

REQUIRED = {
    ("SCAN_HOLD", "ALERT_PHASE_OPENED"),
    ("SCAN_HOLD", "ALERT_PHASE_CLOSED"),
    ("SEAL_CORRIDOR_DEVIATION", "ALERT_PHASE_OPENED"),
    ("SEAL_CORRIDOR_DEVIATION", "ALERT_PHASE_CLOSED"),
    ("SEAL_ARRIVAL", "ALERT_PHASE_OPENED"),
}


def as_json(message: Any) -> dict[str, Any]:
    return MessageToDict(message, preserving_proto_field_name=True)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, f"{response.request.url}: {response.text}"
    body: dict[str, Any] = response.json()
    return body


class AlertLog:
    """Reads the gateway's alert stream in the background, keeping the alerts about the
    scenario's container (by container number, or subject once the subjects are known)."""

    def __init__(self, gateway: RunningService, token: str, number: str) -> None:
        self.number = number
        self.subjects: set[str] = set()
        self.alerts: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.error: Exception | None = None
        self._thread = threading.Thread(
            target=self._read, args=(gateway.address, token), daemon=True
        )
        self._thread.start()

    def _read(self, address: str, token: str) -> None:
        try:
            self._follow(address, token)
        except httpx.HTTPError as error:
            if not self._stop.is_set():  # the gateway going away at teardown is no failure
                self.error = error

    def _follow(self, address: str, token: str) -> None:
        with httpx.stream(
            "GET",
            f"{address}/v1/alerts:stream",
            headers=bearer(token),
            timeout=httpx.Timeout(600.0),
        ) as response:
            event, data = "", ""
            for line in response.iter_lines():
                if self._stop.is_set():
                    return
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    data = line[6:]
                elif not line and event == "alert":
                    alert = json.loads(data)
                    about = alert.get("container_number", {}).get("value") == self.number
                    with self._lock:
                        if about or alert.get("subject") in self.subjects:
                            self.alerts.setdefault(alert["name"] + "@" + alert["source"], alert)
                    event, data = "", ""

    def about(self, subject: str) -> None:
        with self._lock:
            self.subjects.add(subject)

    def seen(self) -> set[tuple[str, str]]:
        with self._lock:
            return {(a["kind"], a["phase"]) for a in self.alerts.values()}

    def wait_for(
        self, required: set[tuple[str, str]], within: float = 60.0
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + within
        while not required <= self.seen():
            assert self.error is None, f"alert stream failed: {self.error!r}"
            assert time.monotonic() < deadline, f"alerts missing: {required - self.seen()}"
            time.sleep(0.3)
        with self._lock:
            return list(self.alerts.values())

    def stop(self) -> None:
        self._stop.set()


def entries_naming(http: httpx.Client, headers: dict[str, str], alarm_id: str) -> list[str]:
    """Names of the ALERT entries, in every room, that record the alarm ``alarm_id``."""
    found = []
    for room in ok(http.get("/v1/rooms", params={"page_size": 1000}, headers=headers))["rooms"]:
        token = ""
        while True:
            page = ok(
                http.get(
                    f"/v1/{room['name']}/entries",
                    params={"kind": "ALERT", "page_size": 1000, "page_token": token},
                    headers=headers,
                )
            )
            for entry in page.get("entries", []):
                if alarm_id in entry.get("references", {}).get("alarms", []):
                    found.append(entry["name"])
            token = page.get("next_page_token", "")
            if not token:
                break
    return found


def test_textiles_container_from_cat_lai_to_moc_bai(
    suite: Suite, e2e_gateway: RunningService, e2e_http: httpx.Client
) -> None:
    http = e2e_http
    tag = uuid.uuid4().hex[:6]
    supervisor = bearer(suite.token("sup:e2e", "supervisor", "officer"))
    officer_subject = f"officer:e2e-{tag}"
    officer = bearer(suite.token(officer_subject, "officer"))
    analyst = bearer(suite.token("analyst:e2e", "analyst"))
    device = bearer(suite.token("scanner:cl-01", "device"))
    number = iso6346.make("EEU", "U", f"{uuid.uuid4().int % 1_000_000:06d}").text
    cat_lai, moc_bai = f"cat-lai-{tag}", f"moc-bai-{tag}"
    alerts = AlertLog(e2e_gateway, suite.token("room:e2e", "supervisor"), number)
    try:
        # --- the places, as supervisors set them up ---------------------------------------
        for site_id, kind, where in (
            (cat_lai, "SITE_KIND_SEAPORT", CAT_LAI),
            (moc_bai, "SITE_KIND_LAND_BORDER", MOC_BAI),
        ):
            site = {
                "display_name": site_id,
                "kind": kind,
                "location": {"latitude": where.lat, "longitude": where.lon},
                "country_code": "VN",
            }
            ok(
                http.post("/v1/sites", params={"site_id": site_id}, json=site, headers=supervisor),
                201,
            )
        ok(
            http.post(
                f"/v1/sites/{moc_bai}/gates",
                params={"gate_id": "g1"},
                json={"display_name": "Gate 1"},
                headers=supervisor,
            ),
            201,
        )
        exit_lane = ok(
            http.post(
                f"/v1/sites/{moc_bai}/gates/g1/lanes",
                params={"lane_id": "out-1"},
                json={
                    "display_name": "Exit 1",
                    "direction": "LANE_DIRECTION_EXIT",
                    "country_hint": "KH",
                },
                headers=supervisor,
            ),
            201,
        )["name"]
        camera = ok(
            http.post(
                f"/v1/sites/{moc_bai}/cameras",
                params={"camera_id": "ocr-1"},
                json={
                    "display_name": "OCR exit 1",
                    "kind": "CAMERA_KIND_GATE_OCR",
                    "lane": exit_lane,
                },
                headers=supervisor,
            ),
            201,
        )["name"]
        for (_, fence), site_id in zip(sample.demo_sites(), (cat_lai, moc_bai), strict=True):
            ok(
                http.post(
                    "/v1/sealSites",
                    params={"site_id": site_id},
                    json=as_json(fence),
                    headers=supervisor,
                ),
                201,
            )
        route = ok(
            http.post(
                "/v1/routes",
                params={"route_id": f"cl-mb-{tag}"},
                json=as_json(sample.demo_route()),
                headers=supervisor,
            ),
            201,
        )["name"]
        room_id = f"hcm-{tag}"
        ok(
            http.post(
                "/v1/rooms",
                params={"room_id": room_id},
                json={
                    "display_name": "HCMC monitoring room",
                    "sites": [f"sites/{cat_lai}", f"sites/{moc_bai}"],
                    "time_zone": "Asia/Ho_Chi_Minh",
                },
                headers=supervisor,
            ),
            201,
        )
        leader = {
            "subject": officer_subject,
            "display_name": "Lê Thị Thu",
            "department": "DEPARTMENT_SUPERVISION",
        }
        ok(
            http.post(
                f"/v1/rooms/{room_id}/shifts",
                params={"shift_id": "day-1"},
                json={"leader": leader},
                headers=officer,
            ),
            201,
        )
        phantom = make_phantom(PhantomKind.STEEL_IN_ORGANIC, rows=256, cols=600, seed=11)
        created = scanner_request(f"CL-{tag}", phantom)
        created.scanner.site = f"sites/{cat_lai}"
        body = as_json(created)
        body.pop("scanner_id")
        scanner = ok(
            http.post(
                "/v1/scanners", params={"scanner_id": f"CL-{tag}"}, json=body, headers=supervisor
            ),
            201,
        )["name"]

        # --- scanned at the port and flagged ---------------------------------------------
        up = Upload(phantom, scanner, f"scan-{tag}", (number,), goods=TEXTILES)

        def upload_body() -> Iterator[bytes]:
            metadata = up.metadata.__deepcopy__()
            metadata.ClearField("scanner")
            yield (
                MessageToJson(metadata, preserving_proto_field_name=True, indent=None).encode()
                + b"\n"
            )
            for start in range(0, len(up.data), 256 * 1024):
                yield up.data[start : start + 256 * 1024]

        scan = ok(
            http.post(
                f"/v1/{scanner}/scans:upload",
                content=upload_body(),
                headers={**device, "Content-Type": UPLOAD_MEDIA_TYPE},
                timeout=120,
            ),
            201,
        )["scan"]
        alerts.about(scan["name"])
        assert scan["declaration"]["goods"][0]["category"] == "GOODS_CATEGORY_TEXTILES"
        assert scan["state"] == "SCAN_STATE_ANALYSED" and scan["analysis"]["findings"]
        flagged = ok(http.get(f"/v1/containers/{number}", headers=supervisor))
        assert any(s["kind"] == "SCAN_FINDING" for s in flagged["risk"]["signals"])

        # --- an analyst holds it; the inspection records the outcome ----------------------
        held = ok(
            http.post(
                f"/v1/{scan['name']}:decide",
                json={"decision": "HOLD", "note": "dense steel block among textiles"},
                headers=analyst,
            )
        )
        assert held["state"] == "SCAN_STATE_HOLD"
        dossier = ok(http.get(f"/v1/containers/{number}", headers=supervisor))
        assert dossier["risk"]["level"] == "HIGH" and dossier["scanner"]["hold"]["open_hold"]
        inspected = ok(
            http.post(
                f"/v1/{scan['name']}:recordInspection",
                json={
                    "violation_found": False,
                    "description": "block is the declared sewing-machine base",
                },
                headers=officer,
            )
        )
        assert inspected["state"] == "SCAN_STATE_INSPECTED"
        assert inspected["inspection"]["officer"] == officer_subject

        # --- sealed for the transit to the Mộc Bài border gate ----------------------------
        seal_id = f"SL-{tag}"
        ok(
            http.post(
                "/v1/seals",
                params={"seal_id": seal_id},
                json={
                    "manufacturer": "VNSEAL",
                    "serial_number": f"SN-{tag}",
                    "battery_percent": 95,
                },
                headers=officer,
            ),
            201,
        )
        alerts.about(f"seals/{seal_id}")
        deadline = (datetime.now(UTC) + timedelta(hours=6)).isoformat().replace("+00:00", "Z")
        attached = ok(
            http.post(
                f"/v1/seals/{seal_id}:attach",
                params={
                    "attachment_id": f"T-{tag}",
                    "latitude": CAT_LAI.lat,
                    "longitude": CAT_LAI.lon,
                },
                json={
                    "container_number": {"value": number},
                    "transit_declaration": f"30{tag}/G22",
                    "origin": f"sites/{cat_lai}",
                    "destination": f"sites/{moc_bai}",
                    "route": route,
                    "deadline": deadline,
                },
                headers=officer,
            )
        )
        assert attached["seal"]["state"] == "SEAL_STATE_ATTACHED"
        armed = ok(
            http.post(
                f"/v1/seals/{seal_id}:arm",
                json={"position": {"latitude": CAT_LAI.lat, "longitude": CAT_LAI.lon}},
                headers=officer,
            )
        )
        assert armed["seal"]["state"] == "SEAL_STATE_IN_TRANSIT"

        # --- the truck leaves its corridor, comes back and arrives (the seal's pings) ------
        trip = demo_trip(trip_id=f"T-{tag}", device_id=seal_id, start_time=time.time() - 4 * 3600)
        rows = simulate(trip, Scenario(detours=(Detour(30_000, 36_000, 800.0),)))
        with grpc.insecure_channel(suite.services["seal"].address) as channel:
            acks = list(
                seal_pb2_grpc.SealServiceStub(channel).StreamPings(
                    iter(sample.requests(f"seals/{seal_id}", by_reception(rows, 300.0))),
                    metadata=auth(suite.token("seal-gateway", "device")),
                    timeout=120,
                )
            )
        assert acks[-1].highest_seq == max(r["seq"] for r in rows)
        status = ok(http.get(f"/v1/seals/{seal_id}:status", headers=officer))
        assert status["seal"]["state"] == "SEAL_STATE_ARRIVED"
        assert status["attachment"]["intact"] is True

        # --- the exit gate decides ----------------------------------------------------------
        seen_at = timestamp_pb2.Timestamp()
        seen_at.FromDatetime(datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=5))
        read = camera_pb2.RecognitionEvent(
            camera=camera,
            observe_time=seen_at,
            plate=camera_pb2.PlateRead(text="51C-246.80", confidence=0.96),
            containers=[camera_pb2.ContainerRead(text=number, confidence=0.98)],
            seal_presence=camera_pb2.SEAL_PRESENCE_PRESENT,
        )
        with grpc.insecure_channel(suite.services["camera"].address) as channel:
            passage = (
                camera_pb2_grpc.CameraServiceStub(channel)
                .RecordRecognitionEvent(
                    camera_pb2.RecordRecognitionEventRequest(
                        parent=exit_lane, event_id=f"ev-{tag}", recognition_event=read
                    ),
                    metadata=auth(suite.token("gate-ocr", "device")),
                )
                .passage
            )
        alerts.about(passage.name)
        decided = ok(http.post(f"/v1/{passage.name}:close", headers=officer))
        assert decided["decision"]["action"] == "BARRIER_ACTION_OPEN", decided["decision"]
        commands = ok(http.get(f"/v1/{exit_lane}/barrierCommands", headers=officer))[
            "barrier_commands"
        ]
        assert [c["action"] for c in commands if c["passage"] == passage.name] == [
            "BARRIER_ACTION_OPEN"
        ]

        # --- every alert of the scenario is in the duty log exactly once --------------------
        scenario_alerts = alerts.wait_for(REQUIRED)
        alarms = []
        for alert in scenario_alerts:
            alarm_id = f"{alert['source']}-{alert['name'].removeprefix('alerts/')}"
            deadline_s = time.monotonic() + 60
            while not (recorded := entries_naming(http, supervisor, alarm_id)):
                assert time.monotonic() < deadline_s, f"{alert['kind']} {alarm_id} never recorded"
                time.sleep(0.5)
            assert len(recorded) == 1, (alert["kind"], recorded)
            room = "/".join(
                recorded[0].split("/")[:2]
            )  # site alerts in the HCMC room, others national
            alarms.append(f"{room}/alarms/{alarm_id}")

        # --- the room works its alarms off; the dossier tells the whole story ----------------
        for name in alarms:
            alarm = ok(http.get(f"/v1/{name}", headers=officer))
            if alarm["state"] == "ALARM_STATE_OPEN":
                ok(http.post(f"/v1/{name}:acknowledge", json={"note": "seen"}, headers=supervisor))
            ok(
                http.post(
                    f"/v1/{name}:resolve", json={"note": "scenario handled"}, headers=supervisor
                )
            )
        final = ok(http.get(f"/v1/containers/{number}", headers=supervisor))
        assert final["missing"] == []
        assert [p["name"] for p in final["camera"]["passages"]] == [passage.name]
        assert final["seal"]["status"]["arrived"] and len(final["seal"]["track"]["points"]) > 2
        assert final["scanner"]["scans"][0]["state"] == "SCAN_STATE_INSPECTED"
        assert final["dutylog"]["open_alarms"] == []
        assert final["risk"]["level"] == "LOW", final["risk"]
    finally:
        alerts.stop()
