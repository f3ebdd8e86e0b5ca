"""GET /v1/alerts:stream: alerts of every service as SSE, resumable with Last-Event-ID, for
the roles the route names, and for a token that names sites only the alerts of those sites and
those of no site."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from customs.common.v1 import alert_pb2
from customs.seal.v1 import seal_pb2, seal_pb2_grpc

from devstack.suite import RunningService, Suite
from services.gateway.alert_feed import visible_to
from services.platform.auth import Principal, Role
from tests.gateway.scenery import bearer, make_site, plate_number, unique
from tests.support.stack import auth, channel


def events(response: httpx.Response) -> Any:
    """(event, id, data) for each SSE event of a streaming response."""
    event, event_id, data = "", None, ""
    for line in response.iter_lines():
        if line.startswith(":"):
            continue
        if not line:
            if event:
                yield event, event_id, json.loads(data)
            event, event_id, data = "", None, ""
        elif line.startswith("event: "):
            event = line[7:]
        elif line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("data: "):
            data = line[6:]


def follow(
    gateway: RunningService,
    token: str,
    keep: Callable[[dict[str, Any]], bool],
    enough: Callable[[list[dict[str, Any]]], bool],
    last_id: str = "",
) -> list[tuple[str, dict[str, Any]]]:
    """(event id, alert) of the alerts the feed sends ``token`` that ``keep`` keeps, in order,
    read until ``enough`` says so."""
    headers = {"Authorization": f"Bearer {token}"}
    if last_id:
        headers["Last-Event-ID"] = last_id
    got: list[tuple[str, dict[str, Any]]] = []
    with httpx.stream(
        "GET", f"{gateway.address}/v1/alerts:stream", headers=headers, timeout=httpx.Timeout(30.0)
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for event, event_id, data in events(response):
            if event == "alert" and keep(data):
                assert event_id
                got.append((event_id, data))
                if enough([alert for _, alert in got]):
                    break
    return got


def collect(
    gateway: RunningService, token: str, prefix: str, count: int, last_id: str = ""
) -> list[tuple[str, dict[str, Any]]]:
    return follow(
        gateway,
        token,
        lambda alert: str(alert["subject"]).startswith(prefix),
        lambda got: len(got) == count,
        last_id,
    )


def create_low_battery(suite: Suite, seal_ids: list[str]) -> None:
    stub = seal_pb2_grpc.SealServiceStub(channel(suite, "seal"))
    for seal_id in seal_ids:
        stub.CreateSeal(
            seal_pb2.CreateSealRequest(
                seal_id=seal_id,
                seal=seal_pb2.Seal(manufacturer="M", serial_number=seal_id, battery_percent=3),
            ),
            metadata=auth(suite.token("officer", "officer")),
        )


def test_feed_resumes_after_last_event_id_without_loss(
    suite: Suite, gateway: RunningService
) -> None:
    run = uuid.uuid4().hex[:6]
    prefix = f"seals/F{run}-"
    token = suite.token("room-officer", "officer")
    create_low_battery(suite, [f"F{run}-{i}" for i in range(3)])
    first = collect(gateway, token, prefix, 2)
    assert [d["subject"] for _, d in first] == [f"{prefix}0", f"{prefix}1"]
    assert first[0][1]["kind"] == "SEAL_BATTERY_LOW" and first[0][1]["source"] == "seal"
    create_low_battery(suite, [f"F{run}-{i}" for i in range(3, 5)])
    rest = collect(gateway, token, prefix, 3, last_id=first[-1][0])
    assert [d["subject"] for _, d in rest] == [f"{prefix}{i}" for i in range(2, 5)]


def test_feed_needs_a_token_and_a_valid_last_event_id(suite: Suite, http: httpx.Client) -> None:
    assert http.get("/v1/alerts:stream").status_code == 401
    response = http.get(
        "/v1/alerts:stream",
        headers={"Authorization": f"Bearer {suite.token('o', 'officer')}", "Last-Event-ID": "%%%"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "Last-Event-ID"


def test_visible_alerts_by_the_sites_a_token_names() -> None:
    def principal(*sites: str) -> Principal:
        return Principal("p", frozenset({Role.OFFICER}), "p", frozenset(sites), "t")

    at_x, at_y, nowhere = (alert_pb2.Alert(site=site) for site in ("sites/x", "sites/y", ""))
    assert [visible_to(principal("sites/x"), a) for a in (at_x, at_y, nowhere)] == [
        True,
        False,
        True,
    ]
    assert all(visible_to(principal(), a) for a in (at_x, at_y, nowhere))


def test_a_token_naming_sites_gets_their_alerts_and_those_of_no_site(
    suite: Suite, gateway: RunningService, http: httpx.Client
) -> None:
    """Camera alerts come in the camera's commit order: the alert at site X is written after
    the one at site Y, so a feed that has sent X's has passed Y's over (no clock involved)."""
    x, y = make_site(suite), make_site(suite)
    plate = plate_number()
    listed = http.post(
        "/v1/watchlistEntries",
        params={"watchlist_entry_id": unique("w")},
        json={
            "kind": "WATCH_KIND_PLATE",
            "value": plate,
            "reason": "site filter test",
            "action": "WATCH_ACTION_ALERT",
        },
        headers=bearer(suite.token("sup:feed", "supervisor")),
    )
    assert listed.status_code == 201, listed.text
    device = bearer(suite.token("gate-device", "device"))
    passages = {}
    for site in (y, x):
        passage = site.read(site.entry, plate, [])
        closed = http.post(f"/v1/{passage.name}:close", headers=device)
        assert closed.status_code == 200, closed.text
        passages[site.name] = passage.name
    seal_id = f"F{uuid.uuid4().hex[:6]}-nosite"
    create_low_battery(suite, [seal_id])  # a seal in stock: an alert of no site
    ours = {*passages.values(), f"seals/{seal_id}"}

    def keep(alert: dict[str, Any]) -> bool:
        return alert["subject"] in ours

    def until_x_and_seal(got: list[dict[str, Any]]) -> bool:
        return {passages[x.name], f"seals/{seal_id}"} <= {a["subject"] for a in got}

    bound = suite.token("auditor:x", "auditor", sites=(x.name,))
    seen = [a for _, a in follow(gateway, bound, keep, until_x_and_seal)]
    assert passages[y.name] not in {a["subject"] for a in seen}, seen
    assert {a["site"] for a in seen if a["source"] == "camera"} == {x.name}
    assert [a.get("site", "") for a in seen if a["source"] == "seal"] == [""]
    everywhere = suite.token("officer:all", "officer")
    seen = [a for _, a in follow(gateway, everywhere, keep, until_x_and_seal)]
    assert passages[y.name] in {a["subject"] for a in seen}


def test_the_feed_admits_the_roles_its_route_names(suite: Suite, http: httpx.Client) -> None:
    for role in ("analyst", "device"):
        refused = http.get("/v1/alerts:stream", headers=bearer(suite.token(f"feed-{role}", role)))
        assert refused.status_code == 403 and refused.json()["reason"] == "ROLE_NOT_ALLOWED"
