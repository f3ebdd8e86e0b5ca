"""Automatic capture: every alert of scanner, camera and seal becomes an entry and an alarm.

One consumer per configured source follows its ``WatchAlerts`` stream. Each alert is recorded
in one transaction with the source's resume token (``intake.record_alarm``): the ALERT entry,
the alarm (unique per (source, alert name)) and the token commit together, so a consumer
restarted at any point resumes after the last recorded alert and a replayed alert finds its
alarm and only moves the token. Sources that are down are retried with exponential backoff.
The duty log's own alerts are recorded by the sweeper that raises them (``sweepers``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

import grpc
from customs.camera.v1 import camera_pb2
from customs.common.v1 import alert_pb2
from customs.scanner.v1 import scanner_pb2
from customs.seal.v1 import seal_pb2

from services.dutylog.chain_store import ChainStore, Txn
from services.dutylog.intake import record_alarm
from services.dutylog.store import CAPTURE_TOKENS
from services.platform import clients

log = logging.getLogger("customs.dutylog.capture")
_METHODS: dict[str, tuple[str, Any, Any]] = {
    "scanner": (
        "/customs.scanner.v1.ScannerService/WatchAlerts",
        scanner_pb2.WatchAlertsRequest,
        scanner_pb2.WatchAlertsResponse,
    ),
    "camera": (
        "/customs.camera.v1.CameraService/WatchAlerts",
        camera_pb2.WatchAlertsRequest,
        camera_pb2.WatchAlertsResponse,
    ),
    "seal": (
        "/customs.seal.v1.SealService/WatchAlerts",
        seal_pb2.WatchAlertsRequest,
        seal_pb2.WatchAlertsResponse,
    ),
}


class Recorder:
    """Records received alerts into the room that supervises their site."""

    def __init__(self, chain: ChainStore, default_room: str) -> None:
        self._chain = chain
        self._default_room = default_room

    async def room_for(self, site: str) -> str:
        if site:
            found = await self._chain.db["rooms"].find_one({"sites": site}, sort=[("name", 1)])
            if found is not None:
                return str(found["name"]).removeprefix("rooms/")
        return self._default_room

    async def resume_token(self, source: str) -> str:
        doc = await self._chain.db[CAPTURE_TOKENS].find_one({"_id": source})
        return str(doc["resume_token"]) if doc else ""

    async def record(self, source: str, alert: alert_pb2.Alert, token: str) -> bool:
        """Records ``alert`` once; returns False when it was already recorded."""
        room = await self.room_for(alert.site)

        async def work(txn: Txn) -> bool:
            recorded = await record_alarm(txn, source, alert)
            await txn.store.db[CAPTURE_TOKENS].update_one(
                {"_id": source},
                {"$set": {"resume_token": token, "update_time": txn.now}},
                upsert=True,
                session=txn.session,
            )
            return recorded

        return await self._chain.run(room, work)


class Consumer:
    """Follows one source's WatchAlerts forever, reconnecting with backoff."""

    def __init__(
        self,
        source: str,
        address: str,
        recorder: Recorder,
        token: Callable[[], str],
        backoff_max: float,
    ) -> None:
        self.source = source
        self._address = address
        self._recorder = recorder
        self._token = token
        self._backoff_max = backoff_max
        self.recorded = 0

    async def run(self) -> None:
        method, request_type, response_type = _METHODS[self.source]
        backoff, down = 0.5, False
        while True:
            channel = clients.channel(self._address, self._token, 30.0)
            try:
                watch = channel.unary_stream(
                    method,
                    request_serializer=request_type.SerializeToString,
                    response_deserializer=response_type.FromString,
                )
                token = await self._recorder.resume_token(self.source)
                async for response in watch(request_type(resume_token=token)):
                    if await self._recorder.record(
                        self.source, response.alert, response.resume_token
                    ):
                        self.recorded += 1
                    if down:
                        log.info("%s alerts flowing again", self.source)
                    backoff, down = 0.5, False
            except asyncio.CancelledError:
                raise
            except grpc.aio.AioRpcError as exc:
                if not down:
                    log.warning(
                        "%s at %s unreachable (%s); retrying with backoff",
                        self.source,
                        self._address,
                        exc.code().name,
                    )
                down = True
            except Exception:
                log.exception("capturing %s alerts failed; retrying", self.source)
                down = True
            finally:
                await channel.close()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._backoff_max)


def consumers(
    sources: Mapping[str, str], recorder: Recorder, token: Callable[[], str], backoff_max: float
) -> list[Consumer]:
    """A consumer per configured source; each unset source is logged once and skipped."""
    found = []
    for source in _METHODS:
        address = sources.get(source)
        if not address:
            log.info("%s_ADDRESS is unset: %s alerts are not captured", source.upper(), source)
            continue
        found.append(Consumer(source, address, recorder, token, backoff_max))
    return found
