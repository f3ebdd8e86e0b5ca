"""The issue's end-to-end scenario, driven from outside through the gateway only.

A container declared as textiles is scanned at Cát Lái and flagged; an analyst holds it; the
truck tries to leave the port and the exit gate holds it (the scan hold; it is also weighed far
heavier than declared); the inspection records its outcome; a seal is attached for the transit
to the Mộc Bài border gate; the truck leaves its corridor and comes back; it arrives; the exit
gate decides. Every alert the services wrote about the scenario (read from each service's own
outbox, not only what the live feed showed) is in the duty log exactly once, as one alarm and
one ALERT entry, and the room resolves them.

People act through the gateway's HTTP API, and so does the equipment: the scanner uploads its
scan (streamed), the gate cameras and the scale report through the device routes, the barrier
controller closes the passages and the seal's gateway uploads its pings in batches.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from google.protobuf.json_format import MessageToDict, MessageToJson
from pymongo import MongoClient

from devstack.suite import RunningService, Suite
from services.gateway.routes.scanner import UPLOAD_MEDIA_TYPE
from services.platform import iso6346
from services.scanner.domain.phantoms import PhantomKind, make_phantom
from services.seal import sample
from services.seal.domain.simulator import CAT_LAI, MOC_BAI, Detour, Scenario, demo_trip, simulate
from tests.gateway.scenery import (
    eventually,
    plate_number,
    report_read,
    report_weight,
    send_pings,
    stamp,
)
from tests.scanner.uploads import TEXTILES, Upload, scanner_request
from tests.support.stack import database

REQUIRED = {
    ("SCAN_HOLD", "ALERT_PHASE_OPENED"),
    ("SCAN_HOLD", "ALERT_PHASE_CLOSED"),
    ("BARRIER_HOLD", "ALERT_PHASE_OPENED"),
    ("WEIGHT_DISCREPANCY", "ALERT_PHASE_OPENED"),
    ("SEAL_CORRIDOR_DEVIATION", "ALERT_PHASE_OPENED"),
    ("SEAL_CORRIDOR_DEVIATION", "ALERT_PHASE_CLOSED"),
    ("SEAL_ARRIVAL", "ALERT_PHASE_OPENED"),
}
SOURCES = ("scanner", "camera", "seal", "dutylog")


def as_json(message: Any) -> dict[str, Any]:
    return MessageToDict(message, preserving_proto_field_name=True)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, f"{response.request.url}: {response.text}"
    body: dict[str, Any] = response.json()
    return body


class Story:
    """What the scenario is about: its container and the names of its scan, seal and passages
    (an alert is the scenario's when it names the container or one of them)."""

    def __init__(self, number: str) -> None:
        self.number = number
        self.subjects: set[str] = set()

    def owns(self, container_number: str, subject: str) -> bool:
        return container_number == self.number or subject in self.subjects


class AlertLog:
    """Reads the gateway's alert stream in the background and keeps every alert it sends."""

    def __init__(self, gateway: RunningService, token: str) -> None:
        self.alerts: dict[str, dict[str, Any]] = {}  # by "{source}-{alert id}", as alarms are
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
                    key = f"{alert['source']}-{alert['name'].removeprefix('alerts/')}"
                    with self._lock:
                        self.alerts.setdefault(key, alert)
                    event, data = "", ""

    def of(self, scenario: Story) -> dict[str, dict[str, Any]]:
        assert self.error is None, f"alert stream failed: {self.error!r}"
        with self._lock:
            return {
                key: alert
                for key, alert in self.alerts.items()
                if scenario.owns(
                    alert.get("container_number", {}).get("value", ""), alert["subject"]
                )
            }

    def stop(self) -> None:
        self._stop.set()


def outbox_alerts(
    mongo: MongoClient[dict[str, Any]], suite: Suite, scenario: Story
) -> dict[str, dict[str, Any]]:
    """Every alert the services wrote about the scenario, from their own outboxes, by the id
    the duty log gives its alarm ("{source}-{alert id}")."""
    found = {}
    query = {
        "$or": [
            {"container_number": scenario.number},
            {"subject": {"$in": sorted(scenario.subjects)}},
        ]
    }
    for service in SOURCES:
        for doc in mongo[database(suite, service)]["outbox_alerts"].find(query):
            assert scenario.owns(doc.get("container_number", ""), doc["subject"])
            found[f"{doc['source']}-{doc['_id']}"] = doc
    return found


def pages(
    http: httpx.Client, headers: dict[str, str], path: str, key: str, **params: Any
) -> Iterator[dict[str, Any]]:
    token = ""
    while True:
        page = ok(
            http.get(
                path, params={**params, "page_size": 1000, "page_token": token}, headers=headers
            )
        )
        yield from page.get(key, [])
        token = page.get("next_page_token", "")
        if not token:
            return


def rooms(http: httpx.Client, headers: dict[str, str]) -> list[str]:
    return [room["name"] for room in pages(http, headers, "/v1/rooms", "rooms")]


def alarms_by_id(http: httpx.Client, headers: dict[str, str]) -> dict[str, list[str]]:
    """Alarm names of every room by alarm id (one name each, when nothing is duplicated)."""
    found: dict[str, list[str]] = {}
    for room in rooms(http, headers):
        for alarm in pages(http, headers, f"/v1/{room}/alarms", "alarms"):
            found.setdefault(alarm["name"].rsplit("/", 1)[1], []).append(alarm["name"])
    return found


def alert_entries(http: httpx.Client, headers: dict[str, str]) -> Counter[str]:
    """How many ALERT entries, over every room, record each alarm id."""
    counted: Counter[str] = Counter()
    for room in rooms(http, headers):
        for entry in pages(http, headers, f"/v1/{room}/entries", "entries", kind="ALERT"):
            counted.update(entry.get("references", {}).get("alarms", []))
    return counted


def test_textiles_container_from_cat_lai_to_moc_bai(
    suite: Suite,
    e2e_gateway: RunningService,
    e2e_http: httpx.Client,
    mongo: MongoClient[dict[str, Any]],
) -> None:
    http = e2e_http
    tag = uuid.uuid4().hex[:6]
    supervisor = bearer(suite.token("sup:e2e", "supervisor", "officer"))
    officer_subject = f"officer:e2e-{tag}"
    officer = bearer(suite.token(officer_subject, "officer"))
    analyst = bearer(suite.token("analyst:e2e", "analyst"))
    device = bearer(suite.token("scanner:cl-01", "device"))
    gate_device = suite.token("gate:e2e", "device")
    number = iso6346.make("EEU", "U", f"{uuid.uuid4().int % 1_000_000:06d}").text
    scenario = Story(number)
    cat_lai, moc_bai = f"cat-lai-{tag}", f"moc-bai-{tag}"
    alerts = AlertLog(e2e_gateway, suite.token("room:e2e", "supervisor"))
    try:
        # --- the places, as supervisors set them up ---------------------------------------
        def create(path: str, ident: dict[str, str], resource: dict[str, Any]) -> str:
            made = ok(http.post(path, params=ident, json=resource, headers=supervisor), 201)
            name: str = made["name"]
            return name

        exits = {}
        for site_id, kind, where, abroad in (
            (cat_lai, "SITE_KIND_SEAPORT", CAT_LAI, "VN"),
            (moc_bai, "SITE_KIND_LAND_BORDER", MOC_BAI, "KH"),
        ):
            location = {"latitude": where.lat, "longitude": where.lon}
            site = {
                "display_name": site_id,
                "kind": kind,
                "location": location,
                "country_code": "VN",
            }
            create("/v1/sites", {"site_id": site_id}, site)
            gate = create(f"/v1/sites/{site_id}/gates", {"gate_id": "g1"}, {"display_name": "G1"})
            lane = create(
                f"/v1/{gate}/lanes",
                {"lane_id": "out-1"},
                {
                    "display_name": "Exit 1",
                    "direction": "LANE_DIRECTION_EXIT",
                    "country_hint": abroad,
                },
            )
            camera = create(
                f"/v1/sites/{site_id}/cameras",
                {"camera_id": "ocr-1"},
                {"display_name": "OCR exit 1", "kind": "CAMERA_KIND_GATE_OCR", "lane": lane},
            )
            exits[site_id] = (lane, camera)
        for (_, fence), site_id in zip(sample.demo_sites(), (cat_lai, moc_bai), strict=True):
            create("/v1/sealSites", {"site_id": site_id}, as_json(fence))
        route = create("/v1/routes", {"route_id": f"cl-mb-{tag}"}, as_json(sample.demo_route()))
        room_id = f"hcm-{tag}"
        create(
            "/v1/rooms",
            {"room_id": room_id},
            {
                "display_name": "HCMC monitoring room",
                "sites": [f"sites/{cat_lai}", f"sites/{moc_bai}"],
                "time_zone": "Asia/Ho_Chi_Minh",
            },
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
        scanner = create("/v1/scanners", {"scanner_id": f"CL-{tag}"}, body)

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
        scenario.subjects.add(scan["name"])
        assert scan["declaration"]["goods"][0]["category"] == "GOODS_CATEGORY_TEXTILES"
        assert scan["state"] == "SCAN_STATE_ANALYSED" and scan["analysis"]["findings"]
        flagged = ok(http.get(f"/v1/containers/{number}", headers=supervisor))
        assert any(s["kind"] == "SCAN_FINDING" for s in flagged["risk"]["signals"])

        # --- an analyst holds it ----------------------------------------------------------
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

        # --- the truck tries to leave Cát Lái: the exit gate holds it -----------------------
        plate = plate_number()
        cl_exit, cl_camera = exits[cat_lai]
        at_cat_lai = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
        cl_passage = report_read(
            http,
            gate_device,
            cl_exit,
            {
                "camera": cl_camera,
                "observe_time": stamp(at_cat_lai),  # before the Mộc Bài exit, a minute ago
                "plate": {"text": plate, "confidence": 0.96},
                "containers": [{"text": number, "confidence": 0.98}],
                "seal_presence": "SEAL_PRESENCE_ABSENT",
                "declaration": {
                    "reference": f"1045{tag}",
                    "declared_goods_weight_kg": 12_000.0,
                    "declared_vehicle_tare_kg": 15_000.0,
                    "declared_containers_tare_kg": 3_800.0,
                },
            },
        )["passage"]["name"]
        scenario.subjects.add(cl_passage)
        # net 40,100 - 15,000 - 3,800 = 21,300 kg for 12,000 declared
        report_weight(http, gate_device, cl_exit, 40_100.0, at_cat_lai + timedelta(seconds=6))
        stopped = ok(http.post(f"/v1/{cl_passage}:close", headers=bearer(gate_device)))
        assert stopped["decision"]["action"] == "BARRIER_ACTION_HOLD", stopped["decision"]
        assert "SCAN_HOLD_OPEN" in {r["code"] for r in stopped["decision"]["reasons"]}
        assert stopped["weight"]["outcome"] == "WEIGHT_OUTCOME_DISCREPANCY", stopped["weight"]
        commands = ok(http.get(f"/v1/{cl_exit}/barrierCommands", headers=bearer(gate_device)))
        assert [c["action"] for c in commands["barrier_commands"]] == ["BARRIER_ACTION_HOLD"]

        # --- the inspection records the outcome --------------------------------------------
        inspected = ok(
            http.post(
                f"/v1/{scan['name']}:recordInspection",
                json={
                    "violation_found": False,
                    "description": "block is a sewing-machine base left off the declaration",
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
        scenario.subjects.add(f"seals/{seal_id}")
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
        scenario.subjects.add(attached["attachment"]["name"])
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
        acks = send_pings(http, suite.token("seal-gateway", "device"), seal_id, rows)
        assert int(acks[-1]["highest_seq"]) == max(r["seq"] for r in rows)
        assert sum(a["accepted"] for a in acks) == len(rows)
        status = ok(http.get(f"/v1/seals/{seal_id}:status", headers=officer))
        assert status["seal"]["state"] == "SEAL_STATE_ARRIVED"
        assert status["attachment"]["intact"] is True

        # --- the exit gate at Mộc Bài decides ------------------------------------------------
        mb_exit, mb_camera = exits[moc_bai]
        mb_passage = report_read(
            http,
            gate_device,
            mb_exit,
            {
                "camera": mb_camera,
                "plate": {"text": plate, "confidence": 0.96},
                "containers": [{"text": number, "confidence": 0.98}],
                "seal_presence": "SEAL_PRESENCE_PRESENT",
            },
        )["passage"]["name"]
        scenario.subjects.add(mb_passage)
        decided = ok(http.post(f"/v1/{mb_passage}:close", headers=bearer(gate_device)))
        assert decided["decision"]["action"] == "BARRIER_ACTION_OPEN", decided["decision"]
        commands = ok(http.get(f"/v1/{mb_exit}/barrierCommands", headers=officer))
        assert [c["action"] for c in commands["barrier_commands"]] == ["BARRIER_ACTION_OPEN"]

        # --- every alert of the scenario is in the duty log exactly once --------------------
        written = outbox_alerts(mongo, suite, scenario)
        kinds = {(doc["kind"], f"ALERT_PHASE_{doc['phase']}") for doc in written.values()}
        assert REQUIRED <= kinds, f"not written: {REQUIRED - kinds}"
        eventually(
            lambda: True if set(written) <= set(alerts.of(scenario)) else None,
            lambda: f"on the live feed: {sorted(set(written) - set(alerts.of(scenario)))}",
            within=90,
        )
        alarms = eventually(
            lambda: found if set(written) <= set(found := alarms_by_id(http, supervisor)) else None,
            lambda: f"alarms of {sorted(set(written) - set(alarms_by_id(http, supervisor)))}",
            within=90,
        )
        entries = alert_entries(http, supervisor)
        for alarm_id, doc in written.items():
            assert len(alarms[alarm_id]) == 1, (doc["kind"], alarms[alarm_id])
            assert entries[alarm_id] == 1, (doc["kind"], alarm_id, entries[alarm_id])
            at_site = doc.get("site") in (f"sites/{cat_lai}", f"sites/{moc_bai}")
            assert alarms[alarm_id][0].startswith(f"rooms/{room_id}/") == at_site, doc

        # --- the room works its alarms off; the dossier tells the whole story ----------------
        for alarm_id in written:
            name = alarms[alarm_id][0]
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
        assert [p["name"] for p in final["camera"]["passages"]] == [cl_passage, mb_passage]
        assert final["seal"]["status"]["arrived"] and len(final["seal"]["track"]["points"]) > 2
        assert final["scanner"]["scans"][0]["state"] == "SCAN_STATE_INSPECTED"
        assert final["dutylog"]["open_alarms"] == []
        # what stays on record: the Cát Lái weighing, far above the declared weight
        signals = [(s["kind"], s["subject"]) for s in final["risk"]["signals"]]
        assert signals == [("WEIGHT_DISCREPANCY", cl_passage)], final["risk"]
        assert final["risk"]["level"] == "MEDIUM"
    finally:
        alerts.stop()
