"""Every REST route against every role, derived from the routes themselves.

Each route's role check puts its roles in the OpenAPI document (the scopes of its bearer
requirement), so the matrix covers a new route as soon as it exists, and a route under /v1/
without a role check fails here. Each route is called with dummy ids as each role and without
a token: a role the route does not allow is 403 from the gateway itself (no backend asked),
no token is 401, and an allowed role is never refused, by the gateway or by the service behind
it (it may get 400 or 404 for the dummy ids). The duty log has no route that alters it."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from devstack.suite import RunningService, Suite
from services.platform.auth import Role
from tests.gateway.conftest import bearer

PUBLIC = {("get", "/healthz"), ("get", "/readyz")}  # probes: no token by design
SCHEME = "HTTPBearer"
DUMMY = {"number": "MSCU1000059"}  # a valid ISO 6346 number; every other id: "none-such"


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]


def allowed_roles(operation: dict[str, Any]) -> frozenset[Role] | None:
    """The roles of the operation's bearer requirement; None when it has none."""
    for requirement in operation.get("security", []):
        if SCHEME in requirement:
            return frozenset(Role(name) for name in requirement[SCHEME])
    return None


@pytest.fixture(scope="module")
def document(http: httpx.Client) -> dict[str, Any]:
    served: dict[str, Any] = http.get("/openapi.json").json()
    return served


def test_every_route_checks_roles_and_says_which(document: dict[str, Any]) -> None:
    unchecked, misdocumented = [], []
    for method, path, operation in operations(document):
        roles = allowed_roles(operation)
        if roles is None:
            if (method, path) not in PUBLIC:
                unchecked.append(f"{method.upper()} {path}")
            continue
        assert roles, f"{method.upper()} {path} admits no role at all"
        text = f"{operation.get('summary', '')} {operation.get('description', '')}"
        said = re.search(r"Roles: ([a-z, ]+)", text)
        listed = said.group(1).strip().rstrip(",") if said else ""
        named = set(Role) if listed == "any" else {Role(r.strip()) for r in listed.split(",") if r}
        if named != roles:
            misdocumented.append(
                f"{method.upper()} {path}: says {listed!r}, admits {sorted(roles)}"
            )
    assert not unchecked, f"routes without a role check: {unchecked}"
    assert not misdocumented, "\n".join(misdocumented)
    assert document["components"]["securitySchemes"][SCHEME]["scheme"] == "bearer"


def test_the_duty_log_cannot_be_altered_through_any_route(
    document: dict[str, Any], http: httpx.Client, suite: Suite
) -> None:
    """Rooms, entries and everything under them are only read (GET) or appended to and acted
    on with custom verbs (POST); nothing replaces, patches or deletes, and an entry, once
    written, has no route but GET."""
    under_rooms = [(m, p) for m, p, _ in operations(document) if p.startswith("/v1/rooms")]
    assert under_rooms, "no duty-log route found"
    assert not [(m, p) for m, p in under_rooms if m not in ("get", "post")], under_rooms
    entry = re.compile(r"^/v1/rooms/\{room_id\}/entries/\{[a-z_]+\}")
    assert [m for m, p in under_rooms if entry.match(p)] == ["get"]
    token = bearer(suite.token("sup:alter", "supervisor", "officer", "auditor"))
    for method in ("PUT", "PATCH", "DELETE"):
        for path in ("/v1/rooms/none-such", "/v1/rooms/none-such/entries/1"):
            refused = http.request(method, path, headers=token, json={"text": "rewritten"})
            assert refused.status_code == 405, (method, path, refused.text)


def call(
    gateway: RunningService, method: str, path: str, token: str | None
) -> tuple[int, dict[str, Any]]:
    """Status and problem document (empty when there is none) of one call; a stream (the
    alert feed) is left as soon as its status is known."""
    headers = bearer(token) if token else {}
    body = {} if method in ("post", "put", "patch") else None
    with (
        httpx.Client(base_url=gateway.address, timeout=30) as client,
        client.stream(method.upper(), path, headers=headers, json=body) as response,
    ):
        if response.headers.get("content-type", "").startswith("application/problem+json"):
            response.read()
            found: dict[str, Any] = response.json()
            return response.status_code, found
        return response.status_code, {}


def test_each_role_is_admitted_exactly_where_the_route_allows(
    document: dict[str, Any], suite: Suite, gateway: RunningService
) -> None:
    run = uuid.uuid4().hex[:6]
    wrong: list[str] = []
    for method, template, operation in operations(document):
        roles = allowed_roles(operation)
        if roles is None:
            continue
        path = re.sub(r"\{(\w+)\}", lambda m: DUMMY.get(m.group(1), "none-such"), template)
        where = f"{method.upper()} {template}"
        status, problem = call(gateway, method, path, None)
        if status != 401:
            wrong.append(f"{where} without a token: {status}")
        for role in Role:
            # a subject of its own per call: no rate limit is shared across the matrix
            token = suite.token(f"matrix-{run}-{role.value}-{method}-{path}", role.value)
            status, problem = call(gateway, method, path, token)
            if role not in roles:
                own = problem.get("reason") == "ROLE_NOT_ALLOWED" and "domain" not in problem
                if status != 403 or not own:
                    wrong.append(
                        f"{where} as {role.value}: {status} {problem}, not the gateway's 403"
                    )
            elif status in (401, 403) or status >= 500:
                wrong.append(f"{where} as {role.value} (allowed): {status} {problem}")
    assert not wrong, "\n".join(wrong)
