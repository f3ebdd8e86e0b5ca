"""Closing and processing passages (weight check, watchlists, exit barrier decision) and
supervisor overrides. The decision asks the scanner and the seal service outside any
transaction, then writes the decision, the barrier command and the alerts in one."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from services.camera.alerting import draft
from services.camera.dependencies import ClearanceSources
from services.camera.domain.alerts import Alert, SubjectKind
from services.camera.domain.barrier import decide_exit
from services.camera.domain.clearance import (
    BarrierAction,
    BarrierDecision,
    Reason,
    ReasonCode,
)
from services.camera.domain.errors import IllegalTransition
from services.camera.domain.overrides import record_override
from services.camera.domain.passages import Direction, build_passage
from services.camera.domain.screening import screen_passage
from services.camera.domain.weighing import (
    EmptyWeighing,
    WeightCheck,
    check_weight,
    choose_tare,
    is_empty_weighing,
    vehicle_load,
    weight_alert,
)
from services.camera.events import event_value, lane_value
from services.camera.passage_store import (
    ASSEMBLING,
    PROCESSED,
    PassageStore,
    command_document,
)
from services.camera.settings import CameraSettings
from services.camera.watchlist_store import WatchlistStore
from services.platform.auth import Principal
from services.platform.mongo import Document, utcnow

log = logging.getLogger("customs.camera.processing")
SYSTEM = "system"


def _weight_doc(check: WeightCheck) -> Document:
    tare = check.tare
    return {
        "outcome": check.outcome.value,
        "gross_kg": check.gross_kg,
        "tare_kg": tare.kg if tare else None,
        "tare_source": tare.source.value if tare else None,
        "tare_time": tare.measured_at if tare else None,
        "containers_tare_kg": check.containers_tare_kg,
        "declared_kg": check.declared_kg,
        "net_kg": check.net_kg,
        "difference_kg": check.difference_kg,
        "allowed_kg": check.allowed_kg,
        "missing": list(check.missing),
    }


def _decision_doc(decision: BarrierDecision, passage_key: str, name: str) -> Document:
    return {
        "action": decision.action.value,
        "reasons": [
            {
                "code": r.code.value,
                "subject": name if r.subject == passage_key else r.subject,
                "text": r.text,
            }
            for r in decision.reasons
        ],
        "decide_time": decision.decided_at,
    }


def decision_value(doc: Document) -> BarrierDecision:
    """The domain decision stored on a processed exit passage."""
    d = doc["decision"]
    subject = doc["plate"]["text"] if doc.get("plate") else doc["name"]
    return BarrierDecision(
        passage_key=doc["name"],
        lane_id=doc["lane"],
        action=BarrierAction(d["action"]),
        reasons=tuple(Reason(ReasonCode(r["code"]), r["subject"], r["text"]) for r in d["reasons"]),
        decided_at=d["decide_time"],
        subject=subject,
    )


class PassageProcessor:
    def __init__(
        self,
        store: PassageStore,
        watchlist: WatchlistStore,
        sources: ClearanceSources,
        settings: CameraSettings,
    ) -> None:
        self._store = store
        self._watchlist = watchlist
        self._sources = sources
        self._settings = settings
        self._tasks: set[asyncio.Task[Any]] = set()

    def process_later(self, name: str) -> None:
        """Processes a passage in the background (the sweeper retries what fails)."""
        task = asyncio.create_task(self._quietly(name))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _quietly(self, name: str) -> None:
        try:
            await self.process(name)
        except Exception:
            log.exception("processing %s failed; the sweeper will retry", name)

    async def process(self, name: str) -> Document:
        """Closes the passage if open and processes it once; returns the stored passage."""
        doc = await self._store.passage(name)
        if doc["state"] == PROCESSED:
            return doc
        if doc["state"] == ASSEMBLING:
            await self._store.close(name)
        lane_doc = await self._store.lane(doc["lane"])
        lane = lane_value(lane_doc)
        members = await self._store.members(name)
        passage = build_passage(lane, [event_value(d) for d in members])
        declaration = doc.get("declaration") or {}
        tax_code = declaration.get("declarant_tax_code") or None
        now = utcnow()
        plate = passage.plate
        last_empty = None
        if plate is not None:
            known = await self._store.empty_weighing(plate.plate.key)
            if known is not None:
                last_empty = EmptyWeighing(known["_id"], known["weight_kg"], known["weighed_at"])
        tare = choose_tare(
            passage.started_at,
            last_empty,
            declaration.get("vehicle_tare_kg"),
            self._settings.weight,
        )
        check = check_weight(
            passage.gross_kg,
            tare,
            declaration.get("goods_kg"),
            self._settings.weight,
            declaration.get("containers_tare_kg") or 0.0,
        )
        alerts: list[Alert] = []
        found = weight_alert(
            check,
            subject=passage.subject,
            subject_kind=SubjectKind.PLATE if plate else SubjectKind.PASSAGE,
            lane_id=lane.lane_id,
            at=now,
        )
        if found is not None:
            alerts.append(found)
        watchlist = await self._watchlist.load()
        fields: Document = {"weight": _weight_doc(check)}
        command = None
        if passage.direction is Direction.EXIT:
            numbers = list(dict.fromkeys(r.number for r in passage.containers if r.number))
            scans, seals = await self._sources.ask(numbers)
            declarants = {n: tax_code for n in numbers} if tax_code else None
            decision = decide_exit(
                passage,
                scans,
                seals,
                now,
                watchlist,
                declarants,
                declaration.get("goods_kg"),
                vehicle_load(passage.gross_kg, tare, self._settings.weight),
            )
            alerts.extend(decision.alerts)
            fields["decision"] = _decision_doc(decision, passage.key, name)
            command = command_document(
                lane.lane_id,
                name,
                decision.action.value,
                [code.value for code in decision.reason_codes],
                SYSTEM,
            )
        else:
            alerts.extend(screen_passage(passage, watchlist, now, tax_code))
        empty = None
        if plate is not None and is_empty_weighing(
            passage.gross_kg,
            bool(passage.containers),
            declaration.get("goods_kg"),
            last_empty,
            passage.started_at,
            self._settings.weight,
        ):
            empty = {
                "_id": plate.plate.key,
                "weight_kg": passage.gross_kg,
                "weighed_at": passage.ended_at,
                "passage": name,
            }
        drafts = [draft(a, {**doc, **fields}, lane_doc) for a in alerts]
        await self._store.finish(name, fields, command, empty, drafts)
        return await self._store.passage(name)

    async def override(
        self, name: str, reason: str, principal: Principal
    ) -> tuple[Document, Document]:
        """Opens a held exit barrier; returns the passage and the OPEN command."""
        doc = await self._store.passage(name)
        if doc["direction"] != Direction.EXIT.value:
            raise IllegalTransition(name, "ENTRY", "OPEN_BY_OVERRIDE", "not an exit passage")
        if doc["state"] != PROCESSED or doc.get("decision") is None:
            raise IllegalTransition(
                name, doc["state"], "OPEN_BY_OVERRIDE", "the barrier is not decided yet"
            )
        if doc.get("override") is not None:
            raise IllegalTransition(
                name, "OPEN_BY_OVERRIDE", "OPEN_BY_OVERRIDE", "already overridden"
            )
        now = utcnow()
        override, alert = record_override(decision_value(doc), principal.subject, reason, now)
        override_doc = {
            "supervisor": override.supervisor_id,
            "supervisor_name": principal.name,
            "reason": override.reason,
            "override_time": now,
        }
        command = command_document(
            doc["lane"], name, BarrierAction.OPEN.value, ["SUPERVISOR_OVERRIDE"], principal.subject
        )
        lane_doc = await self._store.lane(doc["lane"])
        recorded = await self._store.record_override(
            name, override_doc, command, draft(alert, doc, lane_doc)
        )
        if not recorded:
            raise IllegalTransition(
                name, "OPEN_BY_OVERRIDE", "OPEN_BY_OVERRIDE", "already overridden"
            )
        return await self._store.passage(name), command

    async def sweep_once(self, now: datetime | None = None) -> int:
        """Processes passages whose window passed and closed ones left unprocessed."""
        now = now or utcnow()
        names = await self._store.pending(now - self._settings.assembly.window)
        for name in names:
            await self._quietly(name)
        return len(names)

    async def sweep_forever(self) -> None:
        while True:
            try:
                await self.sweep_once()
            except Exception:
                log.exception("passage sweep failed")
            await asyncio.sleep(self._settings.sweep_seconds)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
