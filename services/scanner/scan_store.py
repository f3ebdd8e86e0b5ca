"""Scan ingestion: the checked upload is stored (raw object, then the RECEIVED record), analysed
off the event loop, and completed (derived objects, then ANALYSED with its alert, in one
transaction). Nothing is stored before the whole upload is verified; an object whose record
cannot be written is removed, and one whose process died before its record is removed later
(:mod:`services.scanner.orphans`)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import numpy as np
from customs.scanner.v1 import scanner_pb2
from pymongo import AsyncMongoClient, IndexModel, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.platform.errors import AlreadyExists, InvalidArgument, NotFound
from services.platform.mongo import in_transaction, utcnow
from services.platform.objects import ObjectStore
from services.platform.outbox import Outbox
from services.platform.resources import name_indexes
from services.scanner import alerting, intake
from services.scanner.domain import Declaration, GoodsCategory, GoodsLine, ScannerGeometry
from services.scanner.domain.workflow import ScanState, transition
from services.scanner.engine import Engine, Job, Outcome
from services.scanner.intake import UploadBuffer, UploadPlan
from services.scanner.orphans import PendingObjects
from services.scanner.products import PRODUCTS
from services.scanner.settings import ScannerSettings

log = logging.getLogger("customs.scanner.scans")
SCANNERS = "scanners"
SCANS = "scans"
ANNOTATIONS = "annotations"
RAW_FILE = "raw.u16le"
INDEXES = {
    SCANNERS: name_indexes(IndexModel([("site", 1), ("name", 1)])),
    SCANS: name_indexes(
        IndexModel([("scanner", 1), ("idempotency_key", 1)], unique=True),
        IndexModel([("container_numbers", 1), ("create_time", -1)]),
        IndexModel([("scanner", 1), ("name", 1)]),
        IndexModel([("state", 1), ("name", 1)]),
    ),
    ANNOTATIONS: name_indexes(IndexModel([("scan", 1), ("name", 1)])),
}


def new_id() -> str:
    """Time-ordered, unique: names sort in upload order."""
    return f"{utcnow():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:10]}"


class ScanStore:
    def __init__(
        self,
        mongo: AsyncMongoClient[dict[str, Any]],
        db: AsyncDatabase[dict[str, Any]],
        objects: ObjectStore,
        outbox: Outbox,
        engine: Engine,
        settings: ScannerSettings,
        pending: PendingObjects,
    ) -> None:
        self._pending = pending
        self._mongo = mongo
        self._db = db
        self.scans = db[SCANS]
        self._objects = objects
        self._outbox = outbox
        self._engine = engine
        self._settings = settings
        self._uploads = asyncio.Semaphore(settings.max_concurrent_uploads)
        self._tasks: set[asyncio.Task[Any]] = set()

    async def get(self, name: str) -> dict[str, Any]:
        doc = await self.scans.find_one({"name": name})
        if doc is None:
            raise NotFound(f"scan {name} not found", "NOT_FOUND", {"name": name})
        return doc

    # ------------------------------------------------------------------ upload
    async def _same(self, plan: UploadPlan) -> dict[str, Any] | None:
        """The scan stored under the plan's idempotency key, if any; ALREADY_EXISTS when that
        key was used for another payload."""
        found = await self.scans.find_one(
            {"scanner": plan.scanner, "idempotency_key": plan.idempotency_key}
        )
        if found is not None and found["raw"]["sha256"] != plan.sha256:
            raise AlreadyExists(
                f"idempotency key {plan.idempotency_key!r} of {plan.scanner} was used for "
                f"another payload ({found['name']})",
                "IDEMPOTENCY_KEY_REUSED",
                {"scan": found["name"]},
            )
        return found

    async def upload(
        self, requests: AsyncIterator[scanner_pb2.UploadScanRequest]
    ) -> tuple[dict[str, Any], bool]:
        """Reads, checks, stores and analyses one upload; returns (scan, duplicate)."""
        stream = aiter(requests)
        first = await anext(stream, None)
        if first is None or first.WhichOneof("part") != "metadata":
            raise InvalidArgument.one("metadata", "the first message must carry the metadata")
        meta = first.metadata
        scanner = await self._db[SCANNERS].find_one({"name": intake.scanner_name(meta)})
        plan = intake.plan(meta, scanner, self._settings.max_scan_bytes)
        existing = await self._same(plan)
        if existing is not None:
            return existing, True
        async with self._uploads:
            buffer = UploadBuffer(plan.payload_bytes)
            async for request in stream:
                if request.WhichOneof("part") != "chunk":
                    raise InvalidArgument.one("chunk", "only the first message carries metadata")
                if request.chunk:
                    await asyncio.to_thread(buffer.append, request.chunk)
            data, low, high = buffer.finish(plan.sha256, plan.rows, plan.columns)
            # Verified: store and analyse it even if the caller goes away now.
            task = asyncio.create_task(self._store(plan, data, low, high))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return await asyncio.shield(task)

    async def _store(
        self, plan: UploadPlan, data: bytearray, low: Any, high: Any
    ) -> tuple[dict[str, Any], bool]:
        name = f"{plan.scanner}/scans/{new_id()}"
        raw_key = f"{name}/{RAW_FILE}"
        job = Job(name, low, high, plan.calibration, plan.declaration, plan.geometry)
        # The analysis runs alongside the storage of the raw planes and the record.
        running = asyncio.ensure_future(self._engine.run(job))
        now = utcnow()
        doc: dict[str, Any] = {
            "name": name,
            "scanner": plan.scanner,
            "site": plan.site,
            "idempotency_key": plan.idempotency_key,
            "container_numbers": list(plan.container_numbers),
            "declaration": plan.declaration_doc,
            "state": ScanState.RECEIVED.value,
            "rows": plan.rows,
            "columns": plan.columns,
            "pixel_pitch_mm": [plan.geometry.pixel_pitch_row_mm, plan.geometry.pixel_pitch_col_mm],
            "calibration": plan.calibration,
            "raw": {"key": raw_key, "sha256": plan.sha256, "bytes": plan.payload_bytes},
            "analysis": None,
            "analysis_error": "",
            "rules": [],
            "risk": 0.0,
            "products": {},
            "verdict": None,
            "inspection": None,
            "history": [{"state": ScanState.RECEIVED.value, "by": "", "time": now}],
            "scan_time": plan.scan_time or now,
            "create_time": now,
            "update_time": now,
        }
        try:
            await self._pending.announce(raw_key, name)
            await self._objects.put(raw_key, bytes(data), "application/octet-stream")
            try:
                await self.scans.insert_one(doc)
            except BaseException:
                await self._objects.remove(raw_key)  # leave no orphan object
                await self._pending.settled(raw_key)
                raise
            await self._pending.settled(raw_key)
        except DuplicateKeyError:
            await asyncio.gather(running, return_exceptions=True)
            existing = await self._same(plan)  # a concurrent retry stored it first
            if existing is None:
                raise
            return existing, True
        except BaseException:
            await asyncio.gather(running, return_exceptions=True)
            raise
        doc.pop("_id", None)
        return await self._complete(doc, running), False

    # ------------------------------------------------------------------ analysis
    async def analyse(self, doc: dict[str, Any], job: Job) -> dict[str, Any]:
        """Runs the analysis of a stored RECEIVED scan and completes it."""
        return await self._complete(doc, asyncio.ensure_future(self._engine.run(job)))

    async def _complete(self, doc: dict[str, Any], running: Awaitable[Outcome]) -> dict[str, Any]:
        """Stores the products and makes the scan ANALYSED (with its alert); when the analysis
        failed the scan stays RECEIVED with the error recorded (retried at the next start)."""
        name = doc["name"]
        try:
            outcome = await running
        except Exception as exc:
            log.exception("analysis of %s failed", name)
            await self.scans.update_one(
                {"name": name},
                {
                    "$set": {
                        "analysis_error": f"{type(exc).__name__}: {exc}",
                        "update_time": utcnow(),
                    }
                },
            )
            return await self.get(name)
        keys = {product: f"{name}/{file}" for product, file, _ in PRODUCTS}
        try:
            await asyncio.gather(
                *(
                    self._objects.put(keys[product], outcome.products.blobs[product], ctype)
                    for product, _, ctype in PRODUCTS
                )
            )
            now = utcnow()
            analysis = {**outcome.analysis, "analyse_time": now}
            alert = (
                alerting.high_risk(doc, analysis)
                if outcome.risk >= self._settings.alert_risk
                else None
            )
            target = transition(name, ScanState.RECEIVED, ScanState.ANALYSED)

            async def work(session: AsyncClientSession) -> dict[str, Any] | None:
                updated = await self.scans.find_one_and_update(
                    {"name": name, "state": ScanState.RECEIVED.value},
                    {
                        "$set": {
                            "state": target.value,
                            "analysis": analysis,
                            "analysis_error": "",
                            "rules": outcome.rules,
                            "risk": outcome.risk,
                            "products": keys,
                            "update_time": now,
                        },
                        "$push": {"history": {"state": target.value, "by": "", "time": now}},
                    },
                    return_document=ReturnDocument.AFTER,
                    session=session,
                )
                if updated is not None and alert is not None:
                    await self._outbox.publish(session, alert)
                return updated

            updated = await in_transaction(self._mongo, work)
        except BaseException:
            await asyncio.gather(
                *(self._objects.remove(k) for k in keys.values()), return_exceptions=True
            )
            raise
        if updated is None:  # analysed meanwhile (a restart raced us): keep what is stored
            await asyncio.gather(*(self._objects.remove(k) for k in keys.values()))
            return await self.get(name)
        if alert is not None:
            self._outbox.notify()
        return updated

    async def resume_pending(self) -> None:
        """Analyses the scans left RECEIVED (stored, but the service stopped or the analysis
        failed before it completed). Runs in the background after start."""
        async for doc in self.scans.find({"state": ScanState.RECEIVED.value}):
            try:
                data = bytearray(await self._objects.get(doc["raw"]["key"]))
                n = doc["rows"] * doc["columns"]
                planes = np.frombuffer(data, "<u2", 2 * n).astype(np.uint16, copy=False)
                plan_decl = _declaration(doc["declaration"])
                row_mm, col_mm = doc["pixel_pitch_mm"]
                job = Job(
                    doc["name"],
                    planes[:n].reshape(doc["rows"], doc["columns"]),
                    planes[n:].reshape(doc["rows"], doc["columns"]),
                    doc["calibration"],
                    plan_decl,
                    ScannerGeometry(row_mm, col_mm),
                )
                await self.analyse(doc, job)
                log.info("resumed analysis of %s", doc["name"])
            except Exception:
                log.exception("could not resume the analysis of %s", doc["name"])

    async def drain(self) -> None:
        """Waits for the uploads being stored and analysed (at shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def _declaration(doc: dict[str, Any]) -> Declaration:
    goods = tuple(
        GoodsLine(g["hs_code"], g["description"], GoodsCategory[g["category"]])
        for g in doc["goods"]
    )
    return Declaration(goods, doc["gross_weight_kg"], doc["declared_empty"])
