"""The analyst's and the officer's part: annotations, verdicts and inspection outcomes. Each
state change is checked against the domain's transition table and written, with its alert, in
one transaction that also checks the state did not change meanwhile."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from pymongo import AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.platform.alerts import AlertDraft
from services.platform.errors import FieldViolation, InvalidArgument, collect
from services.platform.mongo import find_page, in_transaction, utcnow
from services.platform.outbox import Outbox
from services.platform.paging import Page
from services.scanner import alerting
from services.scanner.domain.errors import IllegalTransition
from services.scanner.domain.workflow import (
    ANNOTATABLE,
    Decision,
    ScanState,
    decide,
    inspect,
)
from services.scanner.scan_store import ANNOTATIONS, ScanStore

MAX_LABEL = 100
MAX_NOTE = 2000
MAX_VERTICES = 200


@dataclass(frozen=True, slots=True)
class Shape:
    """An annotation's area: a rectangle (top, bottom, left, right) or a polygon of (row, col)."""

    rectangle: tuple[int, int, int, int] | None
    polygon: tuple[tuple[int, int], ...] | None


def _check_shape(shape: Shape, rows: int, columns: int) -> list[FieldViolation]:
    a = "annotation"
    if shape.rectangle is not None:
        top, bottom, left, right = shape.rectangle
        if not (top < bottom <= rows and left < right <= columns):
            return [
                FieldViolation(
                    f"{a}.rectangle",
                    f"needs top < bottom <= {rows} and left < right <= {columns}",
                )
            ]
        return []
    if shape.polygon is not None:
        points = shape.polygon
        if not 3 <= len(points) <= MAX_VERTICES:
            return [FieldViolation(f"{a}.polygon.points", f"needs 3..{MAX_VERTICES} points")]
        for i, (row, col) in enumerate(points):
            if row >= rows or col >= columns:
                return [FieldViolation(f"{a}.polygon.points[{i}]", "lies outside the image")]
        return []
    return [FieldViolation(f"{a}.shape", "a rectangle or a polygon is required")]


class Reviews:
    def __init__(
        self,
        mongo: AsyncMongoClient[dict[str, Any]],
        db: AsyncDatabase[dict[str, Any]],
        outbox: Outbox,
        store: ScanStore,
    ) -> None:
        self._mongo = mongo
        self._annotations = db[ANNOTATIONS]
        self._outbox = outbox
        self._store = store

    async def _change(
        self,
        name: str,
        current: ScanState,
        target: ScanState,
        fields: dict[str, Any],
        by: str,
        alert: AlertDraft | None,
    ) -> dict[str, Any]:
        now = utcnow()

        async def work(session: AsyncClientSession) -> dict[str, Any]:
            updated = await self._store.scans.find_one_and_update(
                {"name": name, "state": current.value},
                {
                    "$set": {**fields, "state": target.value, "update_time": now},
                    "$push": {"history": {"state": target.value, "by": by, "time": now}},
                },
                return_document=ReturnDocument.AFTER,
                session=session,
            )
            if updated is None:
                raise IllegalTransition(
                    name, current.value, target.value, "the scan changed meanwhile; read it again"
                )
            if alert is not None:
                await self._outbox.publish(session, alert)
            return updated

        updated = await in_transaction(self._mongo, work)
        if alert is not None:
            self._outbox.notify()
        return updated

    async def decide(
        self, name: str, decision: Decision | None, note: str, analyst: str
    ) -> dict[str, Any]:
        if decision is None:
            raise InvalidArgument.one("decision", "must be CLEAR or HOLD")
        scan = await self._store.get(name)
        current = ScanState(scan["state"])
        target = decide(name, current, decision, note)
        verdict = {
            "decision": decision.value,
            "note": note.strip(),
            "analyst": analyst,
            "decide_time": utcnow(),
        }
        alert = alerting.hold(scan, analyst, note.strip()) if target is ScanState.HOLD else None
        return await self._change(name, current, target, {"verdict": verdict}, analyst, alert)

    async def inspect(
        self, name: str, violation_found: bool, description: str, officer: str
    ) -> dict[str, Any]:
        scan = await self._store.get(name)
        current = ScanState(scan["state"])
        target = inspect(name, current, violation_found, description)
        text = description.strip()
        outcome = {
            "violation_found": violation_found,
            "description": text,
            "officer": officer,
            "inspect_time": utcnow(),
        }
        alert = None
        if current is ScanState.HOLD or violation_found:
            alert = alerting.inspected(scan, officer, violation_found, text)
        return await self._change(name, current, target, {"inspection": outcome}, officer, alert)

    async def annotate(
        self, scan_name: str, shape: Shape, label: str, note: str, author: str
    ) -> dict[str, Any]:
        scan = await self._store.get(scan_name)
        state = ScanState(scan["state"])
        problems = _check_shape(shape, scan["rows"], scan["columns"])
        if not label.strip() or len(label) > MAX_LABEL:
            problems.append(FieldViolation("annotation.label", f"is required, 1-{MAX_LABEL} chars"))
        if len(note) > MAX_NOTE:
            problems.append(FieldViolation("annotation.note", f"at most {MAX_NOTE} characters"))
        collect(problems)
        if state not in ANNOTATABLE:
            allowed = ", ".join(sorted(s.value for s in ANNOTATABLE))
            raise IllegalTransition(
                scan_name,
                state.value,
                state.value,
                f"annotations are taken only while the scan is {allowed}",
            )
        now = utcnow()
        doc: dict[str, Any] = {
            "name": f"{scan_name}/annotations/{now:%Y%m%d%H%M%S%f}-{uuid.uuid4().hex[:6]}",
            "scan": scan_name,
            "rectangle": list(shape.rectangle) if shape.rectangle else None,
            "polygon": [list(p) for p in shape.polygon] if shape.polygon else None,
            "label": label.strip(),
            "note": note,
            "author": author,
            "create_time": now,
        }
        await self._annotations.insert_one(doc)
        return doc

    async def annotations(self, scan_name: str, page: Page) -> tuple[list[dict[str, Any]], str]:
        await self._store.get(scan_name)
        return await find_page(self._annotations, {"scan": scan_name}, page, scan_name)
