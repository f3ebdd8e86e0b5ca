"""What every route needs: configuration, the service stubs, security, the roles of each kind
of route, calls that forward the caller, and protobuf messages as JSON responses (JSON bodies
into messages: json_input.py)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Body, Query, Response
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

from services.gateway.backends import Backends, forwarded
from services.gateway.config import GatewayConfig
from services.gateway.problems import FieldNames, naming
from services.gateway.security import Security
from services.platform.auth import EVERYONE, Principal, Role

# Who may do what through the gateway. Each service checks again with its own policy; these
# mirror the roles named in the protos so that a refusal costs no backend call.
ANYONE = EVERYONE
WATCHERS = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR, Role.SERVICE})
ROOM_WRITERS = frozenset({Role.OFFICER, Role.SUPERVISOR})
GATE_OPERATORS = frozenset({Role.DEVICE, Role.OFFICER, Role.SUPERVISOR, Role.SERVICE})
SUPERVISORS = frozenset({Role.SUPERVISOR})
DOSSIER_READERS = frozenset({Role.OFFICER, Role.ANALYST, Role.SUPERVISOR, Role.AUDITOR})


@dataclass(frozen=True, slots=True)
class Gateway:
    config: GatewayConfig
    backends: Backends
    security: Security

    def caller(self, roles: Iterable[Role]) -> Callable[..., Awaitable[Principal]]:
        return self.security.allow(roles)

    async def call(
        self,
        method: Any,
        request: Message,
        who: Principal,
        *,
        body: str | None = None,
        renames: Mapping[str, str] | None = None,
    ) -> Any:
        """One unary call with the caller's token and the configured deadline; a rejected
        field is named as the client sent it (see :class:`FieldNames`)."""
        with naming(FieldNames(body, renames or {})):
            return await method(
                request, metadata=forwarded(who), timeout=self.config.call_timeout_seconds
            )


def as_dict(message: Message) -> dict[str, Any]:
    return MessageToDict(message, preserving_proto_field_name=True)


def json_response(body: Any, status: int = 200) -> Response:
    """JSON bytes straight to the response (no validation pass over a dict we built)."""
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(raw, status_code=status, media_type="application/json")


def message_response(message: Message, status: int = 200) -> Response:
    return json_response(as_dict(message), status)


JsonBody = Annotated[dict[str, Any], Body(description="the resource in its proto JSON form")]
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
PageSize = Annotated[
    int,
    Query(
        ge=INT32_MIN,  # the services answer a negative size with 400 naming page_size
        le=INT32_MAX,
        description="AIP-158: 0 = the default (50); above 1000 is coerced; negative is 400",
    ),
]
PageToken = Annotated[
    str, Query(description="AIP-158: `next_page_token` of the previous page; empty for the first")
]
