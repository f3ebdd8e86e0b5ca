"""Gate equipment through the gateway's device routes: a recognition camera's reads and a truck
scale's readings join the lane's passage, retries are answered with what was stored, the
barrier controller closes the passage, and bad input is 400 naming the field as the device sent
it, storing nothing. (Seal ping batches: test_seal_routes.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import httpx

from devstack.suite import Suite
from tests.gateway.scenery import (
    bearer,
    container_number,
    make_site,
    plate_number,
    report_read,
    report_weight,
    stamp,
    unique,
)


def test_reads_and_weighings_make_a_passage_that_the_gate_closes(
    suite: Suite, http: httpx.Client
) -> None:
    site = make_site(suite)
    device = suite.token("gate-device", "device")
    number, plate = container_number(), plate_number()
    event = {
        "camera": site.camera,
        "observe_time": stamp(),  # the same in the retry
        "plate": {"text": plate, "confidence": 0.95},
        "containers": [{"text": number, "confidence": 0.97}],
        "seal_presence": "SEAL_PRESENCE_PRESENT",
        "declaration": {"reference": "104512345670", "declared_goods_weight_kg": 12000},
    }
    event_id = unique("ev")
    first = report_read(http, device, site.exit, event, event_id)
    passage = first["passage"]
    assert first["recognition_event"]["containers"][0]["status"] == "CONTAINER_READ_STATUS_VERIFIED"
    assert passage["state"] == "PASSAGE_STATE_ASSEMBLING" and passage["site"] == site.name
    retried = report_read(http, device, site.exit, event, event_id)  # the answer was lost
    assert retried["recognition_event"]["name"] == first["recognition_event"]["name"]
    assert retried["passage"]["recognition_events"] == [first["recognition_event"]["name"]]
    weighed = report_weight(http, device, site.exit, 30_100.0)
    assert weighed["passage"]["name"] == passage["name"]
    assert weighed["passage"]["scale_readings"] == [weighed["scale_reading"]["name"]]

    closed = http.post(f"/v1/{passage['name']}:close", headers=bearer(device))
    assert closed.status_code == 200, closed.text
    assert closed.json()["state"] == "PASSAGE_STATE_PROCESSED"
    assert closed.json()["decision"]["action"] in ("BARRIER_ACTION_OPEN", "BARRIER_ACTION_HOLD")
    commands = http.get(f"/v1/{site.exit}/barrierCommands", headers=bearer(device))
    assert commands.status_code == 200, commands.text
    assert [c["passage"] for c in commands.json()["barrier_commands"]] == [passage["name"]]


def test_bad_device_input_names_the_field_and_stores_nothing(
    suite: Suite, http: httpx.Client
) -> None:
    site = make_site(suite)
    device = bearer(suite.token("gate-device", "device"))
    number = container_number()
    path = f"/v1/{site.exit}/recognitionEvents"
    good = {
        "camera": site.camera,
        "observe_time": stamp(),
        "plate": {"text": plate_number(), "confidence": 0.95},
        "containers": [{"text": number, "confidence": 0.97}],
    }
    cases = [
        # rejected by the service (recognition_event.plate.confidence), named as sent
        ({**good, "plate": {"text": "51C-111.22", "confidence": 1.5}}, "plate.confidence"),
        ({**good, "camera": f"{site.name}/cameras/none-such"}, "camera"),
        # rejected by the gateway before any call
        (
            {**good, "containers": [{"text": number, "confidence": "high"}]},
            "containers[0].confidence",
        ),
        ({**good, "observe_time": "yesterday"}, "observe_time"),
        ({**good, "plates": []}, "plates"),
    ]
    for body, field in cases:
        refused = http.post(path, params={"event_id": unique("ev")}, json=body, headers=device)
        assert refused.status_code == 400, (field, refused.text)
        problem = refused.json()
        assert problem["errors"][0]["field"] == field, problem
        assert refused.headers["content-type"] == "application/problem+json"
    no_id = http.post(path, json=good, headers=device)
    assert no_id.status_code == 400 and no_id.json()["errors"][0]["field"] == "event_id"
    weight = http.post(
        f"/v1/{site.exit}/scaleReadings",
        params={"event_id": unique("sc")},
        json={"scale_id": "scale-1", "measure_time": stamp(), "gross_weight_kg": -5},
        headers=device,
    )
    assert weight.status_code == 400 and weight.json()["errors"][0]["field"] == "gross_weight_kg"
    officer = bearer(suite.token("officer:devices", "officer"))
    listed = http.get(
        f"/v1/{site.exit}/passages", params={"container_number": number}, headers=officer
    )
    assert listed.status_code == 200 and listed.json().get("passages", []) == []


def test_passages_are_listed_between_two_times(suite: Suite, http: httpx.Client) -> None:
    site = make_site(suite)
    device = suite.token("gate-device", "device")
    officer = bearer(suite.token("officer:times", "officer"))
    seen = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    event = {
        "camera": site.camera,
        "observe_time": stamp(seen),
        "plate": {"text": plate_number(), "confidence": 0.95},
    }
    passage = report_read(http, device, site.entry, event)["passage"]["name"]

    def listed(**times: str) -> list[str]:
        reply = http.get(f"/v1/{site.entry}/passages", params=times, headers=officer)
        assert reply.status_code == 200, reply.text
        return [p["name"] for p in reply.json().get("passages", [])]

    assert listed(start_time=stamp(seen - timedelta(minutes=1))) == [passage]
    assert listed(start_time=stamp(seen + timedelta(seconds=1))) == []
    assert listed(end_time=stamp(seen)) == []  # before: the passage started at ``seen``
    east = timezone(timedelta(hours=7))  # any offset: the same instant
    assert listed(end_time=(seen + timedelta(seconds=1)).astimezone(east).isoformat()) == [passage]
    assert listed(
        start_time=stamp(seen - timedelta(seconds=1)), end_time=stamp(seen + timedelta(seconds=1))
    ) == [passage]
    for name, value in (("start_time", "2026-05-01"), ("end_time", "10 minutes ago")):
        bad = http.get(f"/v1/{site.entry}/passages", params={name: value}, headers=officer)
        assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == name, bad.text
