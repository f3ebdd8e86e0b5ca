"""Seals through the gateway: sites and route planned, a seal attached and armed over HTTP, a
device streaming the trip's pings (gRPC, as device gateways do), then status, track and the
container dossier with the track over the corridor."""

from __future__ import annotations

import time
import uuid

import grpc
import httpx
from customs.seal.v1 import seal_pb2_grpc

from devstack.suite import Suite
from services.seal import sample
from services.seal.domain.simulator import (
    CAT_LAI,
    MOC_BAI,
    Scenario,
    by_reception,
    demo_trip,
    simulate,
)
from tests.gateway.scenery import bearer, container_number, plan_transit
from tests.support.stack import auth


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
    with grpc.insecure_channel(suite.services["seal"].address) as channel:
        acks = list(
            seal_pb2_grpc.SealServiceStub(channel).StreamPings(
                iter(sample.requests(f"seals/{seal_id}", by_reception(rows, 300.0))),
                metadata=auth(suite.token("seal-gateway", "device")),
                timeout=60,
            )
        )
    assert acks and acks[-1].highest_seq == max(r["seq"] for r in rows)

    status = http.get(f"/v1/seals/{seal_id}:status", headers=officer).json()
    assert status["attachment"]["name"] == f"attachments/T-{tag}"
    assert status["seal"]["state"] == "SEAL_STATE_ARRIVED"
    track = http.get(f"/v1/attachments/T-{tag}/track", params={"tolerance_m": 50}, headers=officer)
    assert track.status_code == 200, track.text
    line = track.json()["geojson"]["features"][0]
    assert line["geometry"]["type"] == "LineString"
    assert 2 <= track.json()["returned_points"] < track.json()["total_points"]

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
