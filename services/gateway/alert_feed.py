"""The live alert feed: WatchAlerts of every service fanned in to one Server-Sent Events stream.

The SSE event id is a composite resume token (one WatchAlerts token per service), so a browser
that reconnects with ``Last-Event-ID`` resumes every source exactly where it stopped. A source
that fails is retried with backoff from its own last token; the others keep flowing.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import grpc
from customs.camera.v1 import camera_pb2, camera_pb2_grpc
from customs.common.v1 import alert_pb2
from customs.dutylog.v1 import dutylog_pb2, dutylog_pb2_grpc
from customs.scanner.v1 import scanner_pb2, scanner_pb2_grpc
from customs.seal.v1 import seal_pb2, seal_pb2_grpc
from google.protobuf.json_format import MessageToDict

from services.gateway.backends import forwarded
from services.platform.auth import Principal
from services.platform.errors import InvalidArgument

HEARTBEAT_SECONDS = 15.0
_FINAL = (
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.UNAUTHENTICATED,
    grpc.StatusCode.INVALID_ARGUMENT,
)


@dataclass(frozen=True, slots=True)
class Source:
    service: str
    stub: Callable[[grpc.aio.Channel], Any]
    request: Callable[..., Any]


SOURCES = (
    Source("scanner", scanner_pb2_grpc.ScannerServiceStub, scanner_pb2.WatchAlertsRequest),
    Source("camera", camera_pb2_grpc.CameraServiceStub, camera_pb2.WatchAlertsRequest),
    Source("seal", seal_pb2_grpc.SealServiceStub, seal_pb2.WatchAlertsRequest),
    Source("dutylog", dutylog_pb2_grpc.DutyLogServiceStub, dutylog_pb2.WatchAlertsRequest),
)


def encode_position(tokens: Mapping[str, str]) -> str:
    raw = json.dumps(dict(sorted(tokens.items())), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_position(event_id: str) -> dict[str, str]:
    """Per-service resume tokens from a ``Last-Event-ID``; raises InvalidArgument if garbled."""
    if not event_id:
        return {}
    try:
        raw = base64.urlsafe_b64decode((event_id + "=" * (-len(event_id) % 4)).encode())
        tokens = json.loads(raw)
        if not isinstance(tokens, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in tokens.items()
        ):
            raise ValueError("not a token map")
    except ValueError as exc:
        raise InvalidArgument.one("Last-Event-ID", "is not an id this feed issued") from exc
    return tokens


def visible_to(principal: Principal, alert: alert_pb2.Alert) -> bool:
    """People bound to sites see the alerts of their sites (and alerts with no site)."""
    return not principal.sites or not alert.site or alert.site in principal.sites


def sse(event: str, data: Mapping[str, Any], event_id: str | None = None) -> bytes:
    lines = []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append(f"event: {event}")
    lines.append("data: " + json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    return ("\n".join(lines) + "\n\n").encode()


async def feed(
    principal: Principal,
    channels: Mapping[str, grpc.aio.Channel],
    start: Mapping[str, str],
    heartbeat: float = HEARTBEAT_SECONDS,
) -> AsyncIterator[bytes]:
    """SSE bytes: alerts from every source the caller may watch, resumable from ``start``."""
    tokens = dict(start)
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue(maxsize=1024)
    metadata = forwarded(principal)

    async def pump(source: Source) -> None:
        """Streams one source into the queue, reconnecting from its last token, until the
        service refuses the caller for good."""
        delay = 0.5
        while True:
            try:
                stream = source.stub(channels[source.service]).WatchAlerts(
                    source.request(resume_token=tokens.get(source.service, "")),
                    metadata=metadata,
                )
                async for response in stream:
                    delay = 0.5
                    await queue.put((source.service, response))
            except grpc.aio.AioRpcError as error:
                if error.code() in _FINAL:
                    await queue.put((source.service, error))
                    return
            await asyncio.sleep(delay)  # ended (service restarting) or failed: resume
            delay = min(delay * 2, 10.0)

    tasks = [asyncio.create_task(pump(s)) for s in SOURCES if s.service in channels]
    try:
        yield sse("ready", {"sources": [s.service for s in SOURCES if s.service in channels]})
        while True:
            try:
                service, item = await asyncio.wait_for(queue.get(), timeout=heartbeat)
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            if isinstance(item, grpc.aio.AioRpcError):
                yield sse(
                    "source-closed",
                    {"source": service, "status": item.code().name, "detail": item.details() or ""},
                )
                continue
            tokens[service] = item.resume_token
            if visible_to(principal, item.alert):
                alert = MessageToDict(item.alert, preserving_proto_field_name=True)
                yield sse("alert", alert, encode_position(tokens))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
