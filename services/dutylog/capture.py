"""Automatic capture: every alert of scanner, camera and seal becomes an entry and an alarm.

One consumer per configured source follows its ``WatchAlerts`` stream. Each alert is recorded in
one transaction with the source's resume token: the ALERT entry, the alarm (unique per
(source, alert name)) and the token commit together, so a consumer restarted at any point
resumes after the last recorded alert and a replayed alert finds its alarm and only moves the
token. Sources that are down are retried with exponential backoff.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import UTC
from typing import Any

import grpc
from customs.camera.v1 import camera_pb2
from customs.common.v1 import alert_pb2
from customs.scanner.v1 import scanner_pb2
from customs.seal.v1 import seal_pb2

from services.dutylog.chain_store import ChainStore, Txn
from services.dutylog.domain.alarms import IncomingAlert, open_alarm
from services.dutylog.domain.entries import References
from services.dutylog.domain.errors import DomainValidationError
from services.dutylog.domain.notices import Severity
from services.dutylog.officers import SYSTEM
from services.dutylog.store import ALARMS, CAPTURE_TOKENS, alarm_doc
from services.platform import clients
from services.platform.mongo import utcnow

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


def _references(alert: alert_pb2.Alert) -> References:
    """What the alert is about, keeping only values the log accepts."""
    groups: dict[str, tuple[str, ...]] = {}
    subject = alert.subject
    if subject.startswith("seals/"):
        groups["seal_names"] = (subject,)
    elif "/scans/" in subject:
        groups["scan_names"] = (subject,)
    elif "/passages/" in subject:
        groups["passage_names"] = (subject,)
    if alert.HasField("container_number"):
        groups["container_numbers"] = (alert.container_number.value,)
    for group, values in list(groups.items()):
        try:
            References(**{group: values})
        except DomainValidationError:
            del groups[group]
    return References(**groups)


def incoming(source: str, alert: alert_pb2.Alert) -> IncomingAlert:
    """The domain form of a received alert; unreadable fields are replaced, never dropped."""
    alert_id = f"{source}-{alert.name.removeprefix('alerts/')}"
    severity_name = alert_pb2.Severity.Name(alert.severity).removeprefix("SEVERITY_")
    severity = (
        Severity(severity_name) if severity_name in Severity.__members__ else Severity.WARNING
    )
    raised = alert.create_time.ToDatetime(tzinfo=UTC) if alert.HasField("create_time") else utcnow()
    text = alert.message.strip() or alert.kind or "alert without message"
    if alert.subject:
        text += f" [{alert.subject}]"
    try:
        return IncomingAlert(
            alert_id, source, alert.kind or "UNKNOWN", severity, text, raised, _references(alert)
        )
    except DomainValidationError as exc:
        log.warning(
            "alert %s from %s is malformed (%s); recorded as UNKNOWN", alert.name, source, exc
        )
        return IncomingAlert(
            alert_id, source, "UNKNOWN", severity, f"unreadable alert {alert.name}: {exc}", raised
        )


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
            alarms = txn.store.db[ALARMS]
            known = await alarms.find_one(
                {"source": source, "alert": alert.name}, session=txn.session
            )
            if known is None:
                step = open_alarm(room, incoming(source, alert), SYSTEM, txn.now)
                sealed = await txn.append(step.draft)
                doc = alarm_doc(
                    step.alarm, source, alert.name, alert.subject, alert.site, sealed.name
                )
                await alarms.insert_one(doc, session=txn.session)
            await txn.store.db[CAPTURE_TOKENS].update_one(
                {"_id": source},
                {"$set": {"resume_token": token, "update_time": txn.now}},
                upsert=True,
                session=txn.session,
            )
            return known is None

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
