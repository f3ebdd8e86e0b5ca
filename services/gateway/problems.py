"""gRPC statuses as HTTP ``application/problem+json`` (RFC 9457) bodies."""

from __future__ import annotations

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


def from_rpc_error(error: grpc.aio.AioRpcError) -> JSONResponse:
    """The problem document of a failed call, with field violations and the error reason."""
    code = error.code()
    extra: dict[str, Any] = {"grpc_status": code.name}
    status = rpc_status.from_call(error)
    for detail in status.details if status is not None else ():
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            extra["errors"] = [
                {"field": v.field, "description": v.description} for v in bad.field_violations
            ]
        elif detail.Is(error_details_pb2.PreconditionFailure.DESCRIPTOR):
            pre = error_details_pb2.PreconditionFailure()
            detail.Unpack(pre)
            extra["preconditions"] = [
                {"type": v.type, "subject": v.subject, "description": v.description}
                for v in pre.violations
            ]
        elif detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            extra["reason"] = info.reason
            extra["domain"] = info.domain
    http = HTTP_STATUS.get(code, 500)
    title = code.name.replace("_", " ").capitalize()
    return problem(http, title, error.details() or title, **extra)
