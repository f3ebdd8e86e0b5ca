"""The duty log through the gateway: rooms, shifts, entries, handovers, and alarms raised by
another service's alert, acknowledged and resolved over HTTP."""

from __future__ import annotations

from typing import Any

import httpx

from devstack.suite import Suite
from tests.gateway.scenery import (
    bearer,
    container_number,
    eventually,
    make_room,
    make_site,
    officer_json,
    plate_number,
    unique,
)


def open_shift(http: httpx.Client, suite: Suite, room_id: str, subject: str) -> dict[str, Any]:
    leader = officer_json(subject, "Nguyễn Thị Lan")
    response = http.post(
        f"/v1/rooms/{room_id}/shifts",
        params={"shift_id": unique("day")},
        json={"leader": leader},
        headers=bearer(suite.token(subject, "officer")),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_shift_entries_and_handover(suite: Suite, http: httpx.Client) -> None:
    room_id = make_room(http, suite, [])
    officer = bearer(suite.token("officer:lan", "officer"))
    shift = open_shift(http, suite, room_id, "officer:lan")
    assert shift["state"] == "SHIFT_STATE_OPEN"
    number = container_number()
    created = http.post(
        f"/v1/rooms/{room_id}/entries",
        json={
            "kind": "ENTRY_KIND_OBSERVATION",
            "text": "Seal intact on arrival",
            "references": {"container_numbers": [number]},
        },
        headers=officer,
    )
    assert created.status_code == 201, created.text
    assert created.json()["author"]["subject"] == "officer:lan"
    listed = http.get(
        f"/v1/rooms/{room_id}/entries", params={"kind": "observation"}, headers=officer
    )
    assert number in [
        n
        for e in listed.json()["entries"]
        for n in e.get("references", {}).get("container_numbers", [])
    ]
    seq = created.json()["seq"]
    assert http.get(f"/v1/rooms/{room_id}/entries/{seq}", headers=officer).json()["text"] == (
        "Seal intact on arrival"
    )
    shift_id = shift["name"].rsplit("/", 1)[1]
    handed = http.post(
        f"/v1/rooms/{room_id}/shifts/{shift_id}:handOver",
        json={"handover_id": "h1"},
        headers=officer,
    )
    assert handed.status_code == 200, handed.text
    assert handed.json()["handover"]["state"] == "HANDOVER_STATE_PENDING"
    assert handed.json()["shift"]["state"] == "SHIFT_STATE_CLOSED"
    handovers = http.get(f"/v1/rooms/{room_id}/handovers", headers=officer).json()["handovers"]
    assert [h["name"] for h in handovers] == [f"rooms/{room_id}/handovers/h1"]
    assert http.get(f"/v1/rooms/{room_id}:verifyChain", headers=officer).json()["intact"] is True


def test_bad_input_names_the_field(suite: Suite, http: httpx.Client) -> None:
    room_id = make_room(http, suite, [])
    supervisor = bearer(suite.token("sup", "supervisor"))
    unknown = http.post(
        f"/v1/rooms/{room_id}/entries",
        json={"kind": "ENTRY_KIND_OBSERVATION", "txt": "x"},
        headers=supervisor,
    )
    assert unknown.status_code == 400
    assert unknown.headers["content-type"] == "application/problem+json"
    assert unknown.json()["errors"][0]["field"] == "txt"  # as sent, not CreateEntryRequest.entry
    empty = http.post(
        f"/v1/rooms/{room_id}/entries",
        json={"kind": "ENTRY_KIND_OBSERVATION", "text": ""},
        headers=supervisor,
    )
    assert empty.status_code == 400
    assert empty.json()["grpc_status"] == "INVALID_ARGUMENT"
    assert [e["field"] for e in empty.json()["errors"]] == ["text"]
    missing_body = http.post(f"/v1/rooms/{room_id}/alarms/x:escalate", json={}, headers=supervisor)
    assert missing_body.status_code == 400
    assert {e["field"] for e in missing_body.json()["errors"]} == {"escalated_to", "reason"}
    kind = http.get(f"/v1/rooms/{room_id}/entries", params={"kind": "gossip"}, headers=supervisor)
    assert kind.status_code == 400 and kind.json()["errors"][0]["field"] == "kind"


def test_roles_are_checked_by_the_gateway(suite: Suite, http: httpx.Client) -> None:
    analyst = bearer(suite.token("an", "analyst"))
    refused = http.post("/v1/rooms", params={"room_id": "r"}, json={}, headers=analyst)
    assert refused.status_code == 403
    assert refused.json()["reason"] == "ROLE_NOT_ALLOWED"
    auditor = bearer(suite.token("au", "auditor"))
    assert http.post("/v1/rooms/r/entries", json={}, headers=auditor).status_code == 403


def test_alarm_from_a_gate_alert_is_acknowledged_and_resolved(
    suite: Suite, http: httpx.Client
) -> None:
    site = make_site(suite)
    room_id = make_room(http, suite, [site.name])
    supervisor = bearer(suite.token("sup:minh", "supervisor"))
    number = container_number()
    listed = http.post(
        "/v1/watchlistEntries",
        params={"watchlist_entry_id": unique("w")},
        json={
            "kind": "WATCH_KIND_CONTAINER",
            "value": number,
            "reason": "Risk management target",
            "action": "WATCH_ACTION_ALERT",
        },
        headers=supervisor,
    )
    assert listed.status_code == 201, listed.text
    passage = site.read(site.entry, plate_number(), [number])
    passage_path = passage.name.removeprefix("sites/")
    closed = http.post(f"/v1/sites/{passage_path}:close", headers=supervisor)
    assert closed.status_code == 200, closed.text
    assert closed.json()["state"] == "PASSAGE_STATE_PROCESSED"

    def alarm() -> dict[str, Any] | None:
        alarms = http.get(
            f"/v1/rooms/{room_id}/alarms", params={"open_only": "true"}, headers=supervisor
        ).json()
        return next((a for a in alarms.get("alarms", []) if a["kind"] == "WATCHLIST_HIT"), None)

    found = eventually(alarm, "the WATCHLIST_HIT alarm in the room")
    alarm_id = found["name"].rsplit("/", 1)[1]
    path = f"/v1/rooms/{room_id}/alarms/{alarm_id}"
    too_early = http.post(f"{path}:resolve", json={"note": "done"}, headers=supervisor)
    assert too_early.status_code == 409
    acknowledged = http.post(f"{path}:acknowledge", json={"note": "looking"}, headers=supervisor)
    assert acknowledged.status_code == 200, acknowledged.text
    assert acknowledged.json()["alarm"]["state"] == "ALARM_STATE_ACKNOWLEDGED"
    resolved = http.post(
        f"{path}:resolve", json={"note": "Inspected, released"}, headers=supervisor
    )
    assert resolved.json()["alarm"]["state"] == "ALARM_STATE_RESOLVED"
    assert resolved.json()["entry"]["kind"] == "ENTRY_KIND_RESULT"
    assert alarm() is None


def test_entries_by_container_newest_first(suite: Suite, http: httpx.Client) -> None:
    room_id = make_room(http, suite, [])
    officer = bearer(suite.token("officer:lan", "officer"))
    open_shift(http, suite, room_id, "officer:lan")
    wanted, other = container_number(), container_number()
    written = []
    for text, number in [("first", wanted), ("other", other), ("second", wanted)]:
        created = http.post(
            f"/v1/rooms/{room_id}/entries",
            json={
                "kind": "ENTRY_KIND_OBSERVATION",
                "text": f"{text} check",
                "references": {"container_numbers": [number]},
            },
            headers=officer,
        )
        assert created.status_code == 201, created.text
        written.append(created.json())
    path = f"/v1/rooms/{room_id}/entries"
    listed = http.get(
        path,
        params={"container_number": wanted.lower(), "order_by": "seq desc", "page_size": 1},
        headers=officer,
    )
    assert listed.status_code == 200, listed.text
    assert [e["text"] for e in listed.json()["entries"]] == ["second check"]
    rest = http.get(
        path,
        params={
            "container_number": wanted.lower(),
            "order_by": "seq desc",
            "page_token": listed.json()["next_page_token"],
        },
        headers=officer,
    )
    assert [e["text"] for e in rest.json()["entries"]] == ["first check"]
    assert "next_page_token" not in rest.json() or not rest.json()["next_page_token"]
    bad = http.get(path, params={"order_by": "time desc"}, headers=officer)
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "order_by"
    bad = http.get(path, params={"container_number": "CSQU3054384"}, headers=officer)
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "container_number.value"
