"""The rest of the HTTP surface, one call each over the real services: layout listings,
sightings, watchlist removal, barrier override refusal, directives, alarm assignment and
escalation refusals, annotations, rule statistics, attachments and seal sites."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from devstack.suite import Suite
from tests.gateway.scenery import (
    bearer,
    container_number,
    make_room,
    make_site,
    officer_json,
    plate_number,
    scan_container,
    unique,
)


def test_layout_sightings_watchlist_and_override(suite: Suite, http: httpx.Client) -> None:
    site = make_site(suite)
    sup = bearer(suite.token("sup:more", "supervisor", "officer"))
    site_id = site.site_id
    assert [
        g["name"] for g in http.get(f"/v1/sites/{site_id}/gates", headers=sup).json()["gates"]
    ] == [f"{site.name}/gates/g1"]
    lanes = http.get(f"/v1/sites/{site_id}/gates/g1/lanes", headers=sup).json()["lanes"]
    assert {lane["direction"] for lane in lanes} == {"LANE_DIRECTION_ENTRY", "LANE_DIRECTION_EXIT"}
    assert (
        http.get(f"/v1/sites/{site_id}/cameras", headers=sup).json()["cameras"][0]["lane"]
        == site.exit
    )
    number, plate = container_number(), plate_number()
    passage = site.read(site.entry, plate, [number])
    seen = http.get("/v1/sightings:last", params={"container_number": number}, headers=sup)
    assert seen.json()["name"] == passage.name
    both = http.get(
        "/v1/sightings:last", params={"container_number": number, "plate": plate}, headers=sup
    )
    assert both.status_code == 400 and both.json()["errors"][0]["field"] == "container_number"
    path = "/v1/" + passage.name
    assert http.get(path, headers=sup).json()["state"] == "PASSAGE_STATE_ASSEMBLING"
    refused = http.post(f"{path}:overrideBarrier", json={"reason": "urgent"}, headers=sup)
    assert refused.status_code == 409 and refused.json()["grpc_status"] == "FAILED_PRECONDITION"
    assert http.post(f"{path}:overrideBarrier", json={}, headers=sup).json()["errors"][0][
        "field"
    ] == ("reason")
    entry_id = unique("w")
    created = http.post(
        "/v1/watchlistEntries",
        params={"watchlist_entry_id": entry_id},
        json={"kind": "WATCH_KIND_PLATE", "value": plate, "reason": "stolen truck"},
        headers=sup,
    )
    assert created.status_code == 201, created.text
    listed = http.get(
        "/v1/watchlistEntries", params={"kind": "plate", "page_size": 1000}, headers=sup
    )
    assert f"watchlistEntries/{entry_id}" in {e["name"] for e in listed.json()["watchlist_entries"]}
    removed = http.delete(
        f"/v1/watchlistEntries/{entry_id}", params={"reason": "truck recovered"}, headers=sup
    )
    assert removed.status_code == 200, removed.text
    taken_off = removed.json()
    assert taken_off["name"] == f"watchlistEntries/{entry_id}" and taken_off["delete_time"]
    assert (taken_off["deleted_by"], taken_off["delete_reason"]) == ("sup:more", "truck recovered")
    assert http.delete(f"/v1/watchlistEntries/{entry_id}", headers=sup).status_code == 404

    def names(**params: object) -> set[str]:
        reply = http.get("/v1/watchlistEntries", params={"page_size": 1000, **params}, headers=sup)
        assert reply.status_code == 200, reply.text
        return {e["name"] for e in reply.json().get("watchlist_entries", [])}

    assert taken_off["name"] not in names(kind="plate")
    assert taken_off["name"] in names(kind="plate", show_deleted=True)


def test_directives_and_alarm_actions(suite: Suite, http: httpx.Client) -> None:
    room_id = make_room(http, suite, [])
    sup = bearer(suite.token("sup:directives", "supervisor"))
    due = (datetime.now(UTC) + timedelta(hours=2)).isoformat().replace("+00:00", "Z")
    issued = http.post(
        f"/v1/rooms/{room_id}/directives",
        params={"directive_id": "d1"},
        json={
            "text": "Check seal at lane 2",
            "assignee": officer_json("officer:an", "An"),
            "due_time": due,
        },
        headers=sup,
    )
    assert issued.status_code == 201, issued.text
    assert issued.json()["entry"]["kind"] == "ENTRY_KIND_DIRECTIVE"
    open_only = http.get(f"/v1/rooms/{room_id}/directives", params={"open_only": True}, headers=sup)
    assert [d["name"] for d in open_only.json()["directives"]] == [f"rooms/{room_id}/directives/d1"]
    closed = http.post(
        f"/v1/rooms/{room_id}/directives/d1:close", json={"result": "Seal intact"}, headers=sup
    )
    assert closed.json()["directive"]["state"] == "DIRECTIVE_STATE_CLOSED"
    alarm = f"/v1/rooms/{room_id}/alarms/seal-none"
    assert (
        http.post(
            f"{alarm}:assign", json={"assignee": officer_json("officer:an", "An")}, headers=sup
        ).status_code
        == 404
    )
    assert (
        http.post(
            f"{alarm}:escalate", json={"escalated_to": "HQ", "reason": "big"}, headers=sup
        ).status_code
        == 404
    )
    unknown = http.post(f"{alarm}:assign", json={"assigne": {}}, headers=sup)
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["field"] == "assigne"


def test_annotations_statistics_attachments_and_seal_sites(
    suite: Suite, http: httpx.Client
) -> None:
    number = container_number()
    scan = scan_container(http, suite, number, "sites/cat-lai")
    analyst = bearer(suite.token("analyst:more", "analyst"))
    path = "/v1/" + scan["name"]
    assert http.get(path, headers=analyst).json()["name"] == scan["name"]
    marked = http.post(
        f"{path}/annotations",
        json={
            "rectangle": {"top": 10, "bottom": 40, "left": 100, "right": 180},
            "label": "dense block",
            "note": "check",
        },
        headers=analyst,
    )
    assert marked.status_code == 201, marked.text
    listed = http.get(f"{path}/annotations", headers=analyst).json()["annotations"]
    assert [a["label"] for a in listed] == ["dense block"]
    statistics = http.get(
        "/v1/ruleStatistics", params={"scanner": scan["scanner"]}, headers=analyst
    )
    assert statistics.status_code == 200 and int(statistics.json()["analysed_scans"]) >= 1
    officer = bearer(suite.token("officer:more", "officer"))
    assert (
        http.get("/v1/attachments", params={"open_only": True}, headers=officer).status_code == 200
    )
    assert (
        http.get("/v1/attachments", params={"state": "floating"}, headers=officer).status_code
        == 400
    )
    assert http.get("/v1/sealSites/none-such", headers=officer).status_code == 404
    assert http.post("/v1/seals/none-such:returnToStock", headers=officer).status_code == 404
