"""The ``WatchAlerts`` RPC body every domain service shares."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TypeVar

from customs.common.v1 import alert_pb2

from services.platform.alerts import parse_resume_token, resume_token, to_proto
from services.platform.outbox import Outbox

R = TypeVar("R")


async def alert_stream(outbox: Outbox, token: str, response: Callable[..., R]) -> AsyncIterator[R]:
    """Responses built with ``response(alert=..., resume_token=...)`` from just after ``token``."""
    after = parse_resume_token(outbox.source, token)
    async for doc in outbox.watch(after):
        alert: alert_pb2.Alert = to_proto(doc)
        yield response(alert=alert, resume_token=resume_token(outbox.source, doc["seq"]))
