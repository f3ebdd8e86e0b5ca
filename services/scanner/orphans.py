"""Raw objects whose scan record was never written, found and removed.

An upload stores its raw planes first and its record second; a process killed between the two
would leave an object no scan points at. So the object's key is written down (``pending``)
before the object is put, and struck off once the record exists. A sweeper looks at the keys
written down longer than a grace period ago: a key whose scan exists is struck off, any other's
object is removed. The grace period covers uploads still under way in other replicas, so it
must be far longer than the step between the object and its record (milliseconds, or seconds
while a database is slow).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from services.platform.mongo import utcnow
from services.platform.objects import ObjectStore

log = logging.getLogger("customs.scanner.orphans")
PENDING = "pending_raw_objects"
INDEXES = {PENDING: [IndexModel([("create_time", 1)])]}


class PendingObjects:
    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        objects: ObjectStore,
        scans: str,
        grace_seconds: float,
        period_seconds: float,
    ) -> None:
        self._pending = db[PENDING]
        self._scans = db[scans]
        self._objects = objects
        self._grace = timedelta(seconds=grace_seconds)
        self._period = period_seconds

    async def announce(self, key: str, scan: str) -> None:
        """Before ``key`` is put: written down until the record of ``scan`` exists."""
        await self._pending.insert_one({"_id": key, "scan": scan, "create_time": utcnow()})

    async def settled(self, key: str) -> None:
        """The record exists, or the object was removed: nothing left to watch. Best effort:
        what is not struck off now the sweeper strikes off later."""
        with contextlib.suppress(Exception):
            await self._pending.delete_one({"_id": key})

    async def sweep(self) -> int:
        """Settles every key written down before the grace period; returns how many objects
        without a scan were removed."""
        removed = 0
        cutoff = utcnow() - self._grace
        async for doc in self._pending.find({"create_time": {"$lt": cutoff}}):
            if await self._scans.find_one({"name": doc["scan"]}, {"_id": 1}) is None:
                await self._objects.remove(doc["_id"])
                removed += 1
                log.warning("removed a raw object without its scan", extra={"key": doc["_id"]})
            await self._pending.delete_one({"_id": doc["_id"]})
        return removed

    async def run(self) -> None:
        """Sweeps at start and then every period, for as long as the service runs."""
        while True:
            try:
                await self.sweep()
            except Exception:  # storage down: the next round tries again
                log.exception("orphan sweep failed")
            await asyncio.sleep(self._period)
