"""The container dossier: the risk summary alone, and GET /v1/containers/{number} over real
services, including one service stopped."""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from devstack.stores import Stores
from devstack.suite import DOMAIN_SERVICES, Suite
from services.gateway.dossier import Level, Part, assemble, risk_summary
from tests.gateway.scenery import (
    bearer,
    container_number,
    eventually,
    make_room,
    make_site,
    plate_number,
    unique,
)

NUMBER = "CSQU3054383"


def answered(**data: dict[str, Any]) -> dict[str, Part]:
    parts = {name: Part(name, {}) for name in ("scanner", "camera", "seal", "dutylog")}
    parts.update({name: Part(name, value) for name, value in data.items()})
    return parts


def test_nothing_found_everywhere_is_low() -> None:
    assert risk_summary(answered(), NUMBER).level is Level.LOW


def test_nothing_found_but_a_part_missing_is_unknown_not_low() -> None:
    parts = answered()
    parts["seal"] = Part.failed("seal", "UNAVAILABLE", "connection refused")
    summary = risk_summary(parts, NUMBER)
    assert summary.level is Level.UNKNOWN
    assert summary.missing == ("seal",)


def test_each_equipment_signal_is_named_with_its_reason() -> None:
    parts = answered(
        scanner={
            "hold": {
                "open_hold": True,
                "held_scans": ["scanners/CL-01/scans/1"],
                "reasons": ["steel block"],
            },
            "scans": [
                {
                    "name": "scanners/CL-01/scans/1",
                    "findings": [{"weight": 0.3, "reason": "dense organic mass"}],
                }
            ],
        },
        camera={
            "passages": [
                {
                    "name": "p1",
                    "weight": {
                        "outcome": "WEIGHT_OUTCOME_DISCREPANCY",
                        "difference_kg": 2400.0,
                        "allowed_difference_kg": 500.0,
                    },
                    "decision": {"reasons": [{"code": "WATCHLIST_CONTAINER", "text": "listed"}]},
                }
            ]
        },
        seal={
            "status": {
                "sealed": True,
                "intact": False,
                "seal": "seals/S1",
                "reasons": ["lock opened"],
            }
        },
        dutylog={
            "open_alarms": [
                {
                    "name": "rooms/r/alarms/a",
                    "kind": "SEAL_OPENED",
                    "severity": "SEVERITY_CRITICAL",
                    "summary": "opened",
                }
            ]
        },
    )
    summary = risk_summary(parts, NUMBER)
    kinds = [(s.kind, s.source, s.severity) for s in summary.signals]
    assert kinds == [
        ("SCAN_HOLD", "scanner", "CRITICAL"),
        ("SCAN_FINDING", "scanner", "WARNING"),
        ("WEIGHT_DISCREPANCY", "camera", "WARNING"),
        ("WATCHLIST_HIT", "camera", "CRITICAL"),
        ("SEAL_NOT_INTACT", "seal", "CRITICAL"),
        ("OPEN_ALARM", "dutylog", "CRITICAL"),
    ]
    assert summary.level is Level.HIGH
    reasons = {s.kind: s.reason for s in summary.signals}
    assert reasons["SCAN_HOLD"] == "steel block"
    assert "+2400 kg" in reasons["WEIGHT_DISCREPANCY"] and "500" in reasons["WEIGHT_DISCREPANCY"]
    assert reasons["SEAL_NOT_INTACT"] == "lock opened"


def test_information_is_no_risk() -> None:
    arrival = {"kind": "SEAL_ARRIVAL", "severity": "SEVERITY_INFO", "message": "arrived"}
    parts = answered(
        seal={"status": {"sealed": True, "intact": True, "open_alerts": [arrival]}},
        dutylog={"open_alarms": [{**arrival, "name": "rooms/r/alarms/a"}]},
    )
    assert risk_summary(parts, NUMBER).level is Level.LOW


def test_warnings_only_are_medium_and_alert_only_listing_is_a_warning() -> None:
    parts = answered(
        camera={
            "passages": [],
            "watchlist": [{"name": "w", "reason": "target", "action": "WATCH_ACTION_ALERT"}],
        }
    )
    summary = risk_summary(parts, NUMBER)
    assert summary.level is Level.MEDIUM
    assert summary.signals[0].reason == "on the watchlist: target"


def test_assembled_document_lists_missing_parts_with_their_reason() -> None:
    parts = [Part("scanner", {"hold": {}}), Part.failed("seal", "DEADLINE_EXCEEDED", "slow")]
    document = assemble(NUMBER, parts, "2026-11-23T10:00:00.000Z")
    assert document["scanner"] == {"hold": {}}
    assert document["seal"] is None and document["camera"] is None
    assert document["missing"] == [
        {"service": "seal", "status": "DEADLINE_EXCEEDED", "detail": "slow"}
    ]
    assert document["risk"]["incomplete"] is True


def test_invalid_number_is_400_naming_it(suite: Suite, http: httpx.Client) -> None:
    response = http.get("/v1/containers/CSQU3054384", headers=bearer(suite.token("o", "officer")))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "number"
    assert "check digit" in response.json()["errors"][0]["description"]


def test_dossier_joins_gate_passages_watchlist_and_duty_log(
    suite: Suite, http: httpx.Client
) -> None:
    site = make_site(suite)
    room_id = make_room(http, suite, [site.name])
    supervisor = bearer(suite.token("sup:dossier", "supervisor", "officer"))
    number = container_number()
    listed = http.post(
        "/v1/watchlistEntries",
        params={"watchlist_entry_id": unique("w")},
        json={
            "kind": "WATCH_KIND_CONTAINER",
            "value": number,
            "reason": "Tip-off: undeclared goods",
        },
        headers=supervisor,
    )
    assert listed.status_code == 201, listed.text
    passage = site.read(site.exit, plate_number(), [number])
    closed = http.post(f"/v1/sites/{passage.name.removeprefix('sites/')}:close", headers=supervisor)
    assert closed.json()["decision"]["action"] == "BARRIER_ACTION_HOLD"

    def with_alarm() -> dict[str, Any] | None:
        body: dict[str, Any] = http.get(f"/v1/containers/{number}", headers=supervisor).json()
        dutylog = body["dutylog"] or {}
        return body if dutylog.get("open_alarms") else None

    dossier = eventually(with_alarm, "the dossier showing the room's open alarm")
    assert dossier["container_number"] == number
    assert [p["name"] for p in dossier["camera"]["passages"]] == [passage.name]
    assert dossier["camera"]["watchlist"][0]["reason"] == "Tip-off: undeclared goods"
    assert dossier["seal"]["status"].get("sealed", False) is False
    assert {a["name"].split("/")[1] for a in dossier["dutylog"]["open_alarms"]} == {room_id}
    assert any(
        number in e["references"]["container_numbers"] for e in dossier["dutylog"]["entries"]
    )
    assert dossier["risk"]["level"] == "HIGH"
    kinds = {s["kind"] for s in dossier["risk"]["signals"]}
    assert {"WATCHLIST_HIT", "OPEN_ALARM"} <= kinds
    hit = next(s for s in dossier["risk"]["signals"] if s["kind"] == "WATCHLIST_HIT")
    assert hit["source"] == "camera" and hit["subject"] == passage.name and hit["reason"]


@pytest.fixture
def own_suite(stack_root: Any, stores: Stores) -> Iterator[Suite]:
    running = Suite(stack_root / unique("own"), stores, namespace=f"d{uuid.uuid4().hex[:8]}")
    try:
        for name in DOMAIN_SERVICES:
            running.start(name)
        yield running
    finally:
        running.stop()


def test_a_stopped_service_is_a_missing_part_not_a_failed_dossier(own_suite: Suite) -> None:
    gateway = own_suite.start_gateway()
    own_suite.stop_service("seal")
    camera = own_suite.services["camera"].process
    headers = bearer(own_suite.token("sup", "supervisor", "officer"))
    os.kill(camera.pid, signal.SIGSTOP)  # camera hangs: accepts connections, never answers
    try:
        with httpx.Client(base_url=gateway.address, timeout=30) as http:
            response = http.get(f"/v1/containers/{container_number()}", headers=headers)
    finally:
        os.kill(camera.pid, signal.SIGCONT)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["seal"] is None and body["camera"] is None
    missing = {m["service"]: m for m in body["missing"]}
    assert set(missing) == {"seal", "camera"}
    assert missing["seal"]["status"] == "UNAVAILABLE" and missing["seal"]["detail"]
    assert missing["camera"]["status"] == "DEADLINE_EXCEEDED", missing["camera"]
    assert body["scanner"] is not None and body["dutylog"] is not None
    assert body["risk"]["incomplete"] is True and set(body["risk"]["missing"]) == {"seal", "camera"}
    assert body["risk"]["level"] == "UNKNOWN"  # nothing known about it, and parts are missing
