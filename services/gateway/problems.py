"""gRPC statuses as HTTP ``application/problem+json`` (RFC 9457) bodies."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import grpc
from fastapi.responses import JSONResponse
from google.rpc import error_details_pb2
from grpc_status import rpc_status

HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.CANCELLED: 499,
}


class Problem(Exception):
    """An HTTP problem raised by the gateway itself (authentication, roles, rate limit, input)."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra

    def response(self) -> JSONResponse:
        found = problem(self.status, self.title, self.detail, **self.extra)
        found.headers.update(self.headers)
        return found


def invalid(field: str, description: str) -> Problem:
    """400 naming the field at fault, shaped like the services' BadRequest mapping."""
    return Problem(
        400,
        "Invalid argument",
        f"{field}: {description}",
        reason="INVALID_ARGUMENT",
        grpc_status="INVALID_ARGUMENT",
        errors=[{"field": field, "description": description}],
    )


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def rpc_problem(error: grpc.aio.AioRpcError, rename: Callable[[str], str] = str) -> Problem:
    """The problem of a failed call, with its field violations (each field named by
    ``rename``: from its path in the request to the name the HTTP client gave it), unmet
    preconditions and the error reason."""
    code = error.code()
    title = code.name.replace("_", " ").capitalize()
    detail = error.details() or title
    extra: dict[str, Any] = {"grpc_status": code.name}
    status = rpc_status.from_call(error)
    for item in status.details if status is not None else ():
        if item.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            item.Unpack(bad)
            errors = [
                {"field": rename(v.field), "description": v.description}
                for v in bad.field_violations
            ]
            extra["errors"] = errors
            if any(
                e["field"] != v.field for e, v in zip(errors, bad.field_violations, strict=True)
            ):
                detail = "; ".join(f"{e['field']}: {e['description']}" for e in errors)
        elif item.Is(error_details_pb2.PreconditionFailure.DESCRIPTOR):
            pre = error_details_pb2.PreconditionFailure()
            item.Unpack(pre)
            extra["preconditions"] = [
                {"type": v.type, "subject": v.subject, "description": v.description}
                for v in pre.violations
            ]
        elif item.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            item.Unpack(info)
            extra["reason"] = info.reason
            extra["domain"] = info.domain
    return Problem(HTTP_STATUS.get(code, 500), title, detail, **extra)


@dataclass(frozen=True, slots=True)
class FieldNames:
    """How a route fills its request message from what the HTTP client sent, so that a field
    the service rejects is named as the client gave it: ``body`` is the request field the JSON
    body fills (None when the body is the whole request or there is none), ``renames`` maps
    request paths filled from path or query parameters of another name to those names."""

    body: str | None = None
    renames: Mapping[str, str] = field(default_factory=dict)

    def __call__(self, path: str) -> str:
        for source, target in (*self.renames.items(), *([(self.body, "")] if self.body else [])):
            if path == source:
                return target or "body"
            if path.startswith((f"{source}.", f"{source}[")):
                rest = path[len(source) :]
                return target + rest if target else rest.removeprefix(".")
        return path


@contextmanager
def naming(names: FieldNames) -> Iterator[None]:
    """Turns a failed call into its problem, with the fields at fault named by ``names``."""
    try:
        yield
    except grpc.aio.AioRpcError as error:
        raise rpc_problem(error, names) from error
