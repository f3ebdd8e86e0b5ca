"""Outgoing gRPC channels: bearer credentials, a deadline on every call, tracing.

Every channel a service opens comes from :func:`channel`, so every outgoing call carries the
caller's trace context (``traceparent``), a deadline and the service's own token. The gateway,
whose every call already names its deadline and forwards its caller's token, uses
:func:`direct_channel` and :func:`call_metadata` instead: the same context on the wire, without
the interceptors (each costs grpc.aio a Python layer on every call, and the gateway's latency is
a bar).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import grpc
from opentelemetry import propagate
from opentelemetry.instrumentation.grpc import aio_client_interceptors

from services.platform import tls


class _Outgoing:
    """Adds ``authorization`` and a default deadline to calls that have none.

    Streams that are meant to stay open (``WatchAlerts``) are listed in ``long_lived`` and get
    no default deadline. grpc.aio files an interceptor object under one call kind only, so each
    kind has its own subclass below."""

    def __init__(
        self, token: Callable[[], str], timeout: float, long_lived: Sequence[str] = ()
    ) -> None:
        self._token = token
        self._timeout = timeout
        self._long_lived = tuple(long_lived)

    def _details(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        metadata = grpc.aio.Metadata(*(details.metadata or ()))
        if not any(key == "authorization" for key, _ in metadata):
            metadata.add("authorization", f"Bearer {self._token()}")
        method = details.method.decode() if isinstance(details.method, bytes) else details.method
        timeout = details.timeout
        if timeout is None and not method.endswith(self._long_lived):
            timeout = self._timeout
        return grpc.aio.ClientCallDetails(
            details.method, timeout, metadata, details.credentials, details.wait_for_ready
        )


class _UnaryUnary(_Outgoing, grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._details(details), request)


class _UnaryStream(_Outgoing, grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._details(details), request)


class _StreamUnary(_Outgoing, grpc.aio.StreamUnaryClientInterceptor):
    async def intercept_stream_unary(self, continuation: Any, details: Any, requests: Any) -> Any:
        return await continuation(self._details(details), requests)


class _StreamStream(_Outgoing, grpc.aio.StreamStreamClientInterceptor):
    async def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
        return await continuation(self._details(details), requests)


def token_from_file(path: Path) -> Callable[[], str]:
    """Reads the token file on each call, so a rotated (projected) token is picked up."""
    return lambda: path.read_text(encoding="utf-8").strip()


def call_metadata(token: str) -> tuple[tuple[str, str], ...]:
    """Metadata of a call made on a caller's behalf: its bearer token and the current trace
    context (``traceparent``), for :func:`direct_channel` calls."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return (("authorization", f"Bearer {token}"), *carrier.items())


def reconnect_backoff_ms(timeout_seconds: float) -> int:
    """Longest wait between reconnection attempts: 1 s, or half the call deadline if shorter,
    so that a call waiting for its connection sees a reconnection within its deadline (gRPC's
    own default grows to 120 s: a restarted service would stay unreachable for minutes)."""
    return max(100, int(min(1.0, timeout_seconds / 2) * 1000))


def channel(
    target: str,
    token: Callable[[], str],
    timeout: float,
    extra_interceptors: Sequence[Any] = (),
    long_lived: Sequence[str] = ("/WatchAlerts",),
    max_message_bytes: int = 8 * 1024 * 1024,
    options: Sequence[tuple[str, Any]] = (),
) -> grpc.aio.Channel:
    """A channel to ``target``: TLS when the process has a CA configured (GRPC_TLS_CA_FILE,
    presenting its own certificate for mutual TLS), plaintext otherwise (in-cluster behind
    NetworkPolicies or a mesh).

    ``token`` is this process's own identity. Calls are traced with the process's tracer
    provider, and a lost connection is retried at most every :func:`reconnect_backoff_ms`."""
    interceptors = [
        *aio_client_interceptors(),  # type: ignore[no-untyped-call]
        *extra_interceptors,
        *(
            kind(token, timeout, long_lived)
            for kind in (_UnaryUnary, _UnaryStream, _StreamUnary, _StreamStream)
        ),
    ]
    return _open(target, timeout, max_message_bytes, options, interceptors)


def direct_channel(
    target: str,
    timeout: float,
    max_message_bytes: int = 8 * 1024 * 1024,
    options: Sequence[tuple[str, Any]] = (),
) -> grpc.aio.Channel:
    """A channel without interceptors (TLS and reconnection as :func:`channel`): every call on
    it must pass its own ``timeout`` and ``metadata=call_metadata(token)``."""
    return _open(target, timeout, max_message_bytes, options, None)


def _open(
    target: str,
    timeout: float,
    max_message_bytes: int,
    options: Sequence[tuple[str, Any]],
    interceptors: Sequence[Any] | None,
) -> grpc.aio.Channel:
    """TLS when :func:`tls.outgoing` has credentials, plaintext otherwise; message limits and
    the reconnection backoff of :func:`reconnect_backoff_ms`."""
    backoff = reconnect_backoff_ms(timeout)
    channel_options = [
        ("grpc.max_send_message_length", max_message_bytes),
        ("grpc.max_receive_message_length", max_message_bytes),
        # not grpc.min_reconnect_backoff_ms: it is also the connect timeout, and a server that
        # hangs must show as a call's DEADLINE_EXCEEDED, not as UNAVAILABLE after 200 ms
        ("grpc.initial_reconnect_backoff_ms", min(backoff, 200)),
        ("grpc.max_reconnect_backoff_ms", backoff),
        *options,
    ]
    credentials = tls.outgoing()
    if credentials is not None:
        return grpc.aio.secure_channel(
            target, credentials, interceptors=interceptors, options=channel_options
        )
    return grpc.aio.insecure_channel(target, interceptors=interceptors, options=channel_options)
