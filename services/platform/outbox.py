"""The alert outbox: alerts written in the same transaction as the change that caused them, and
streamed in commit order to consumers that resume after the last sequence number they saw.

Sequence numbers come from a counter document incremented inside the writing transaction. Two
transactions that both raise alerts conflict on that document, so the second one only reads the
counter after the first committed: sequence order is commit order, and a reader that has seen
sequence ``n`` can never later find a committed alert below ``n`` that it has not seen.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

from pymongo import IndexModel, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.platform.alerts import AlertDraft
from services.platform.mongo import utcnow

ALERTS = "outbox_alerts"
COUNTERS = "outbox_counters"
INDEXES = {
    ALERTS: [IndexModel("seq", unique=True), IndexModel([("subject", 1), ("seq", 1)])],
}


class Outbox:
    def __init__(
        self, db: AsyncDatabase[dict[str, Any]], source: str, poll_seconds: float = 0.5
    ) -> None:
        self.source = source
        self._alerts = db[ALERTS]
        self._counters = db[COUNTERS]
        self._poll = poll_seconds
        self._changed = asyncio.Event()
        self._closing = asyncio.Event()

    async def publish(self, session: AsyncClientSession, draft: AlertDraft) -> dict[str, Any]:
        """Adds ``draft`` inside the caller's transaction; returns the stored document.
        Call :meth:`notify` after the transaction commits."""
        return (await self.publish_all(session, [draft]))[0]

    async def publish_all(
        self, session: AsyncClientSession, drafts: Sequence[AlertDraft]
    ) -> list[dict[str, Any]]:
        """Adds ``drafts`` in order inside the caller's transaction, with consecutive sequence
        numbers, in two round trips whatever their number; returns the stored documents."""
        if not drafts:
            return []
        counter = await self._counters.find_one_and_update(
            {"_id": ALERTS},
            {"$inc": {"seq": len(drafts)}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        assert counter is not None  # upsert with ReturnDocument.AFTER always returns it
        first = int(counter["seq"]) - len(drafts) + 1
        now = utcnow()
        docs = [
            {
                "_id": uuid.uuid4().hex,
                "seq": first + i,
                "source": self.source,
                "create_time": now,
                **draft.document(),
            }
            for i, draft in enumerate(drafts)
        ]
        await self._alerts.insert_many(docs, ordered=True, session=session)
        return docs

    def notify(self) -> None:
        """Wakes the watchers of this process (others find new alerts by polling)."""
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def close(self) -> None:
        """Ends every watch stream (at shutdown): consumers reconnect and resume."""
        self._closing.set()
        self.notify()

    async def watch(self, after: int, batch: int = 256) -> AsyncIterator[dict[str, Any]]:
        """Alerts with sequence above ``after`` in order, then new ones as they commit."""
        while not self._closing.is_set():
            changed = self._changed
            docs = (
                await self._alerts.find({"seq": {"$gt": after}})
                .sort("seq", 1)
                .limit(batch)
                .to_list()
            )
            for doc in docs:
                yield doc
                after = doc["seq"]
            if len(docs) < batch:
                try:
                    await asyncio.wait_for(changed.wait(), timeout=self._poll)
                except TimeoutError:
                    pass
