"""Seals through the gateway: sites and route planned, a seal attached and armed, a device
gateway uploading the trip's pings in batches (resent batches are duplicates; a bad ping is 400
naming it and stores nothing of its batch), then status, track and the container dossier with
the track over the corridor."""

from __future__ import annotations

import time
import uuid

import httpx

from devstack.suite import Suite
from services.seal.domain.simulator import CAT_LAI, MOC_BAI, Scenario, demo_trip, simulate
from tests.gateway.scenery import (
    bearer,
    container_number,
    pings_body,
    plan_transit,
    send_pings,
)


def test_transit_through_the_gateway_and_its_dossier(suite: Suite, http: httpx.Client) -> None:
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
    number = container_number()
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
    assert attached.json()["seal"]["state"] == "SEAL_STATE_ATTACHED"
    armed = http.post(
        f"/v1/seals/{seal_id}:arm",
        json={"position": {"latitude": CAT_LAI.lat, "longitude": CAT_LAI.lon}},
        headers=officer,
    )
    assert armed.status_code == 200, armed.text
    assert armed.json()["seal"]["state"] == "SEAL_STATE_IN_TRANSIT"
    outside = http.post(
        f"/v1/seals/{seal_id}:arm",
        json={"position": {"latitude": 91, "longitude": 0}},
        headers=officer,
    )
    assert (
        outside.status_code == 400 and outside.json()["errors"][0]["field"] == "position.latitude"
    )

    trip = demo_trip(trip_id=f"T-{tag}", device_id=seal_id, start_time=time.time())
    rows = simulate(trip, Scenario())
    acks = send_pings(http, suite.token("seal-gateway", "device"), seal_id, rows)
    assert acks and int(acks[-1]["highest_seq"]) == max(r["seq"] for r in rows)
    assert sum(a["accepted"] for a in acks) == len(rows)

    status = http.get(f"/v1/seals/{seal_id}:status", headers=officer).json()
    assert status["attachment"]["name"] == f"attachments/T-{tag}"
    assert status["seal"]["state"] == "SEAL_STATE_ARRIVED"
    track = http.get(f"/v1/attachments/T-{tag}/track", params={"tolerance_m": 50}, headers=officer)
    assert track.status_code == 200, track.text
    line = track.json()["geojson"]["features"][0]
    assert line["geometry"]["type"] == "LineString"
    assert 2 <= track.json()["returned_points"] < track.json()["total_points"]
    later = http.get(
        f"/v1/attachments/T-{tag}/track",
        params={"start_time": "2099-01-01T00:00:00Z"},
        headers=officer,
    )
    assert later.status_code == 200 and later.json()["total_points"] == 0, later.text
    garbled = http.get(
        f"/v1/attachments/T-{tag}/track", params={"end_time": "tomorrow"}, headers=officer
    )
    assert garbled.status_code == 400 and garbled.json()["errors"][0]["field"] == "end_time"

    dossier = http.get(f"/v1/containers/{number}", headers=officer).json()
    seal = dossier["seal"]
    assert seal["status"]["sealed"] and seal["status"]["intact"] and seal["status"]["arrived"]
    assert seal["attachment"]["route"] == route
    assert len(seal["track"]["points"]) >= 2 and len(seal["track"]["corridor"]) >= 2
    assert {p["role"] for p in seal["track"]["places"]} == {"origin", "destination"}
    assert seal["track"]["problems"] == []
    first = seal["track"]["points"][0]
    assert abs(first["latitude"] - CAT_LAI.lat) < 0.01 and first["time"]
    assert not [
        s for s in dossier["risk"]["signals"] if s["source"] == "seal"
    ]  # arrival is no risk

    removed = http.post(
        f"/v1/seals/{seal_id}:remove",
        json={"position": {"latitude": MOC_BAI.lat, "longitude": MOC_BAI.lon}},
        headers=officer,
    )
    assert removed.status_code == 200, removed.text
    assert removed.json()["attachment"]["closed"] is True


def test_ping_batches_are_acknowledged_once_durable_and_safe_to_resend(
    suite: Suite, http: httpx.Client
) -> None:
    seal_id = f"GP-{uuid.uuid4().hex[:6]}"
    officer = bearer(suite.token("officer:pings", "officer"))
    created = http.post(
        "/v1/seals",
        params={"seal_id": seal_id},
        json={"manufacturer": "VNSEAL", "serial_number": seal_id, "battery_percent": 90},
        headers=officer,
    )
    assert created.status_code == 201, created.text
    device = suite.token("seal-gateway", "device")
    rows = simulate(demo_trip(device_id=seal_id, start_time=time.time() - 3600), Scenario())[:30]
    first, second = pings_body(rows[:20]), pings_body(rows[20:])
    path = f"/v1/seals/{seal_id}/pings:batch"

    spoiled = {
        "pings": [
            *second["pings"][:3],
            {**second["pings"][3], "position": {"latitude": 91, "longitude": 106.7}},
        ]
    }
    refused = http.post(path, json=spoiled, headers=bearer(device))
    assert refused.status_code == 400, refused.text
    assert refused.json()["errors"][0]["field"] == "pings[3].position.latitude"
    garbled = http.post(
        path, json={"pings": [{**first["pings"][0], "seq": "first"}]}, headers=bearer(device)
    )
    assert garbled.status_code == 400 and garbled.json()["errors"][0]["field"] == "pings[0].seq"

    acked = http.post(path, json=first, headers=bearer(device))
    assert acked.status_code == 200, acked.text
    assert acked.json()["accepted"] == 20 and acked.json()["duplicates"] == 0
    assert int(acked.json()["highest_seq"]) == rows[19]["seq"]
    again = http.post(path, json=first, headers=bearer(device)).json()  # the answer was lost
    assert (again["accepted"], again["duplicates"]) == (0, 20)
    # nothing of the refused batch was stored: all of its pings are new now
    rest = http.post(path, json=second, headers=bearer(device)).json()
    assert (rest["accepted"], rest["duplicates"]) == (10, 0)
    assert int(rest["highest_seq"]) == rows[-1]["seq"]

    unknown = http.post("/v1/seals/none-such/pings:batch", json=first, headers=bearer(device))
    assert unknown.status_code == 404
    malformed = http.post("/v1/seals/Not%20An%20Id/pings:batch", json=first, headers=bearer(device))
    assert malformed.status_code == 400 and malformed.json()["errors"][0]["field"] == "seal_id"
