"""The gateway over real HTTP in front of the real services."""

from __future__ import annotations

import grpc
import httpx
from customs.seal.v1 import seal_pb2, seal_pb2_grpc
from google.protobuf.json_format import MessageToDict

from devstack.suite import Suite
from tests.support.stack import auth, channel


def test_get_returns_what_the_service_returns(suite: Suite, http: httpx.Client) -> None:
    token = suite.token("officer", "officer")
    stub = seal_pb2_grpc.SealServiceStub(channel(suite, "seal"))
    created = stub.CreateSeal(
        seal_pb2.CreateSealRequest(
            seal_id="GW-1",
            seal=seal_pb2.Seal(manufacturer="M", serial_number="GW-1", battery_percent=70),
        ),
        metadata=auth(token),
    ).seal
    response = http.get("/v1/seals/GW-1", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json() == MessageToDict(created, preserving_proto_field_name=True)


def test_missing_token_is_401_problem(http: httpx.Client) -> None:
    response = http.get("/v1/seals")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["reason"] == "MISSING_TOKEN"


def test_invalid_paging_is_400_naming_the_field(suite: Suite, http: httpx.Client) -> None:
    headers = {"Authorization": f"Bearer {suite.token('officer', 'officer')}"}
    response = http.get("/v1/seals", params={"page_size": -3}, headers=headers)
    assert response.status_code == 400
    body = response.json()
    assert body["errors"][0]["field"] == "page_size"
    assert body["grpc_status"] == "INVALID_ARGUMENT"


def test_unknown_is_404_and_role_checked_by_the_service(suite: Suite, http: httpx.Client) -> None:
    officer = {"Authorization": f"Bearer {suite.token('officer', 'officer')}"}
    assert http.get("/v1/seals/none-such", headers=officer).status_code == 404
    analyst = {"Authorization": f"Bearer {suite.token('analyst', 'analyst')}"}
    denied = http.get("/v1/rooms", headers=analyst)
    assert denied.status_code == 403
    assert denied.json()["reason"] == "ROLE_NOT_ALLOWED"


def test_readiness_reports_every_service(http: httpx.Client) -> None:
    body = http.get("/readyz").json()
    assert body == {
        "ready": True,
        "services": dict.fromkeys(("scanner", "camera", "seal", "dutylog"), "SERVING"),
    }


def test_openapi_lists_the_routes(http: httpx.Client) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    assert {
        "/v1/seals",
        "/v1/seals/{seal_id}",
        "/v1/scanners",
        "/v1/rooms",
        "/v1/containers/{number}",
        "/v1/rooms/{room_id}/alarms/{alarm_id}:acknowledge",
        "/v1/alerts:stream",
    } <= set(paths)


def test_grpc_error_mapping_covers_unavailable() -> None:
    from services.gateway.problems import HTTP_STATUS

    assert HTTP_STATUS[grpc.StatusCode.UNAVAILABLE] == 503


def test_console_is_served_with_a_strict_content_policy(http: httpx.Client) -> None:
    assert http.get("/console").headers["location"] == "/console/"
    page = http.get("/console/")
    assert page.status_code == 200 and "console.js" in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy
    assert page.headers["referrer-policy"] == "no-referrer"
    script = http.get("/console/console.js")
    assert script.status_code == 200 and "fetch(" in script.text
    own = script.text.replace('"http://www.w3.org/2000/svg"', "")  # a namespace, not a fetch
    for text in (own, page.text, http.get("/console/console.css").text):
        assert "http://" not in text and "https://" not in text  # nothing loaded from elsewhere


def test_fields_at_fault_are_named_as_the_client_sent_them(
    suite: Suite, http: httpx.Client
) -> None:
    """Whether the gateway or the service finds the fault, ``errors[].field`` is the member's
    path in the JSON body or the query parameter, never the service's request path."""
    supervisor = {"Authorization": f"Bearer {suite.token('sup:fields', 'supervisor')}"}

    def fields(response: httpx.Response) -> list[str]:
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        named = [e["field"] for e in problem["errors"]]
        assert all(name in problem["detail"] for name in named), problem
        return named

    site = {"display_name": "Port", "kind": "SITE_KIND_SEAPORT", "country_code": "VN"}
    # the gateway: a member that is not in the message, and one of the wrong type
    assert fields(
        http.post(
            "/v1/sites",
            params={"site_id": "fields-1"},
            json={**site, "location": {"lat": 10.7, "longitude": 106.7}},
            headers=supervisor,
        )
    ) == ["location.lat"]
    assert fields(
        http.post(
            "/v1/rooms",
            params={"room_id": "fields-1"},
            json={"display_name": "Room", "sites": ["sites/a", 7]},
            headers=supervisor,
        )
    ) == ["sites[1]"]
    # the service: CreateSiteRequest.site.location, CreateRoomRequest.room.sites[0] and
    # CreateWatchlistEntryRequest.watchlist_entry.value, named as members of the body
    assert fields(
        http.post("/v1/sites", params={"site_id": "fields-2"}, json=site, headers=supervisor)
    ) == ["location"]
    assert fields(
        http.post(
            "/v1/rooms",
            params={"room_id": "fields-2"},
            json={"display_name": "Room", "sites": ["cat-lai"], "time_zone": "Asia/Ho_Chi_Minh"},
            headers=supervisor,
        )
    ) == ["sites[0]"]
    assert "value" in fields(
        http.post(
            "/v1/watchlistEntries",
            params={"watchlist_entry_id": "fields-3"},
            json={"kind": "WATCH_KIND_CONTAINER", "value": "NOT A NUMBER", "reason": "test"},
            headers=supervisor,
        )
    )
    # query parameters keep their own names, whoever checks them
    located = {**site, "location": {"latitude": 10.7, "longitude": 106.7}}
    assert fields(
        http.post("/v1/sites", params={"site_id": "Bad Id"}, json=located, headers=supervisor)
    ) == ["site_id"]
    officer = {"Authorization": f"Bearer {suite.token('officer:fields', 'officer')}"}
    assert fields(
        http.post(
            "/v1/seals/none-such:attach",
            params={"attachment_id": "a", "latitude": 95, "longitude": 106.7},
            json={},
            headers=officer,
        )
    ) == ["latitude"]
    assert fields(
        http.get("/v1/sites/-/passages", params={"container_number": "ABC"}, headers=officer)
    ) == ["container_number"]
