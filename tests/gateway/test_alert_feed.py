"""GET /v1/alerts:stream: alerts of every service as SSE, resumable with Last-Event-ID."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from customs.seal.v1 import seal_pb2, seal_pb2_grpc

from devstack.suite import RunningService, Suite
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


def collect(
    gateway: RunningService, token: str, prefix: str, count: int, last_id: str = ""
) -> list[tuple[str, dict[str, Any]]]:
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
            if event == "alert" and data["subject"].startswith(prefix):
                assert event_id
                got.append((event_id, data))
                if len(got) == count:
                    break
    return got


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
