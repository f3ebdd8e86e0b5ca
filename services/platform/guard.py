"""The call guard: authentication, role checks, error mapping and RPC metrics for every call.

One server interceptor wraps each handler so that, inside the handler's own task:
the bearer token is verified, the caller's roles are checked against the service's access
policy (methods missing from the policy are denied: fail closed), the principal is available
through :func:`current_principal`, and :class:`~services.platform.errors.ServiceError` raised by
domain or storage code becomes a canonical status with google.rpc details.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_status import rpc_status
from opentelemetry import metrics
from pymongo.errors import ConnectionFailure, PyMongoError

from services.platform.auth import Principal, Role, TokenVerifier, bearer
from services.platform.domain_errors import DomainValidationError, IllegalTransition
from services.platform.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    PermissionDenied,
    PreconditionViolation,
    ServiceError,
    Unauthenticated,
    Unavailable,
    to_status,
)

_PUBLIC_PREFIXES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)

_principal: ContextVar[Principal | None] = ContextVar("principal", default=None)
log = logging.getLogger("customs.guard")


def current_principal() -> Principal:
    """The authenticated caller of the RPC being served (only valid inside a handler)."""
    principal = _principal.get()
    if principal is None:
        raise Unauthenticated("no authenticated caller", "MISSING_TOKEN")
    return principal


@dataclass(frozen=True, slots=True)
class AccessPolicy:
    """Which roles may call each method of one gRPC service (``package.Service``)."""

    service: str
    methods: Mapping[str, frozenset[Role]]

    def roles_for(self, full_method: str) -> frozenset[Role]:
        prefix = f"/{self.service}/"
        if not full_method.startswith(prefix):
            return frozenset()
        return self.methods.get(full_method[len(prefix) :], frozenset())


class CallGuard(grpc.aio.ServerInterceptor):
    def __init__(self, domain: str, verifier: TokenVerifier, policies: list[AccessPolicy]):
        self._domain = domain
        self._verifier = verifier
        self._policies = {f"/{p.service}/": p for p in policies}
        meter = metrics.get_meter("customs.guard")
        self._duration = meter.create_histogram(
            "rpc.server.duration", unit="ms", description="Duration of served RPCs"
        )

    def _allowed(self, method: str) -> frozenset[Role]:
        service_prefix = method[: method.rfind("/") + 1]
        policy = self._policies.get(service_prefix)
        return policy.roles_for(method) if policy else frozenset()

    def _admit(self, method: str, context: Any) -> None:
        principal = self._verifier.verify(bearer(context.invocation_metadata()))
        allowed = self._allowed(method)
        if not principal.has_any(allowed):
            raise PermissionDenied(
                f"{method.rsplit('/', 1)[-1]} needs one of the roles "
                f"{', '.join(sorted(allowed)) or '(none)'}",
                "ROLE_NOT_ALLOWED",
                {"method": method},
            )
        _principal.set(principal)

    async def _fail(self, context: Any, error: ServiceError) -> None:
        await context.abort_with_status(rpc_status.to_status(to_status(error, self._domain)))

    def _record(self, method: str, started: float, code: str) -> None:
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        self._duration.record(elapsed_ms, {"rpc.method": method, "rpc.grpc.status_code": code})

    async def intercept_service(
        self,
        continuation: Any,
        details: grpc.HandlerCallDetails,
    ) -> Any:
        handler = await continuation(details)
        method: str = details.method
        if handler is None or method.startswith(_PUBLIC_PREFIXES):
            return handler
        return _wrap(handler, self, method)


def as_service_error(error: Exception) -> ServiceError | None:
    """The ServiceError a domain or storage exception stands for, or None for unexpected
    errors. A database that cannot be reached is UNAVAILABLE, not INTERNAL."""
    if isinstance(error, ServiceError):
        return error
    if isinstance(error, DomainValidationError):
        return InvalidArgument(
            message=str(error),
            reason="INVALID_ARGUMENT",
            violations=[FieldViolation(error.field, error.description)],
        )
    if isinstance(error, IllegalTransition):
        return FailedPrecondition(
            message=str(error),
            reason="ILLEGAL_TRANSITION",
            metadata={"from_state": error.from_state, "to_state": error.to_state},
            violations=[PreconditionViolation("STATE", error.subject, error.reason)],
        )
    if isinstance(error, ConnectionFailure) or (
        isinstance(error, PyMongoError)
        and (
            error.has_error_label("TransientTransactionError")
            or error.has_error_label("RetryableWriteError")
        )
    ):
        # The database cannot be reached (or stepped down) right now: retrying is safe.
        return Unavailable(f"database unavailable: {type(error).__name__}", "DATABASE_UNAVAILABLE")
    return None


def _code_of(error: BaseException | None) -> str:
    if error is None:
        return "OK"
    if isinstance(error, ServiceError):
        return error.code.name
    return "ABORTED_OR_INTERNAL"


def _wrap(handler: Any, guard: CallGuard, method: str) -> Any:
    async def around_unary(call: Callable[[], Awaitable[Any]], context: Any) -> Any:
        started = time.perf_counter()
        failure: BaseException | None = None
        try:
            guard._admit(method, context)
            return await call()
        except Exception as error:
            if isinstance(error, grpc.aio.AbortError):
                raise
            mapped = as_service_error(error)
            failure = mapped or error
            if mapped is not None:
                await guard._fail(context, mapped)
            log.exception("unhandled error in %s", method)
            await context.abort(grpc.StatusCode.INTERNAL, "internal error")
        finally:
            guard._record(method, started, _code_of(failure))
        return None

    async def around_stream(stream: Callable[[], AsyncIterator[Any]], context: Any) -> Any:
        started = time.perf_counter()
        failure: BaseException | None = None
        try:
            guard._admit(method, context)
            async for item in stream():
                yield item
        except Exception as error:
            if isinstance(error, grpc.aio.AbortError):
                raise
            mapped = as_service_error(error)
            failure = mapped or error
            if mapped is not None:
                await guard._fail(context, mapped)
            log.exception("unhandled error in %s", method)
            await context.abort(grpc.StatusCode.INTERNAL, "internal error")
        finally:
            guard._record(method, started, _code_of(failure))

    kwargs = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    if handler.unary_unary:
        inner_uu = handler.unary_unary

        async def unary_unary(request: Any, context: Any) -> Any:
            return await around_unary(lambda: inner_uu(request, context), context)

        return grpc.unary_unary_rpc_method_handler(unary_unary, **kwargs)
    if handler.stream_unary:
        inner_su = handler.stream_unary

        async def stream_unary(requests: Any, context: Any) -> Any:
            return await around_unary(lambda: inner_su(requests, context), context)

        return grpc.stream_unary_rpc_method_handler(stream_unary, **kwargs)
    if handler.unary_stream:
        inner_us: Any = handler.unary_stream

        async def unary_stream(request: Any, context: Any) -> AsyncIterator[Any]:
            async for item in around_stream(lambda: inner_us(request, context), context):
                yield item

        return grpc.unary_stream_rpc_method_handler(unary_stream, **kwargs)
    inner_ss: Any = handler.stream_stream

    async def stream_stream(requests: Any, context: Any) -> AsyncIterator[Any]:
        async for item in around_stream(lambda: inner_ss(requests, context), context):
            yield item

    return grpc.stream_stream_rpc_method_handler(stream_stream, **kwargs)
