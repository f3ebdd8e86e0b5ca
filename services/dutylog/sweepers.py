"""The periodic sweeper: DIRECTIVE_OVERDUE and HANDOVER_UNACKNOWLEDGED, each raised once.

Each alert is published on this service's outbox in the same transaction that marks the
directive or handover as alerted, with a filter on its still being open/pending, so a restart
or a concurrent close can neither repeat nor wrongly raise it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.dutylog.domain.directives import overdue_alerts
from services.dutylog.domain.handovers import handover_ack_overdue
from services.dutylog.domain.notices import AlertDescription
from services.dutylog.store import DIRECTIVES, HANDOVERS, directive_from_doc, handover_from_doc
from services.platform.alerts import AlertDraft, Severity
from services.platform.mongo import Document, in_transaction, utcnow
from services.platform.outbox import Outbox

log = logging.getLogger("customs.dutylog.sweeper")


class Sweeper:
    def __init__(
        self,
        mongo: AsyncMongoClient[Document],
        db: AsyncDatabase[Document],
        outbox: Outbox,
        period_seconds: float,
    ) -> None:
        self._mongo = mongo
        self._db = db
        self._outbox = outbox
        self._period = period_seconds

    async def run(self) -> None:
        while True:
            try:
                await self.sweep(utcnow())
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sweep failed; next one in %.0fs", self._period)
            await asyncio.sleep(self._period)

    async def sweep(self, now: datetime) -> int:
        """Raises what is due at ``now``; returns how many alerts it published."""
        published = 0
        directives = self._db[DIRECTIVES]
        due = {"state": "OPEN", "due_time": {"$lt": now}, "overdue_alerted": False}
        for doc in await directives.find(due).to_list():
            for description in overdue_alerts([directive_from_doc(doc)], now):
                published += await self._raise_once(DIRECTIVES, doc, "overdue_alerted", description)
        handovers = self._db[HANDOVERS]
        late = {"state": "PENDING", "ack_deadline": {"$lt": now}, "unack_alerted": False}
        for doc in await handovers.find(late).to_list():
            late_ack = handover_ack_overdue(handover_from_doc(doc), now)
            if late_ack is not None:
                published += await self._raise_once(HANDOVERS, doc, "unack_alerted", late_ack)
        if published:
            self._outbox.notify()
        return published

    async def _raise_once(
        self, collection: str, doc: Document, flag: str, description: AlertDescription
    ) -> int:
        async def work(session: AsyncClientSession) -> int:
            marked = await self._db[collection].update_one(
                {"name": doc["name"], "state": doc["state"], flag: False},
                {"$set": {flag: True}},
                session=session,
            )
            if marked.modified_count == 0:
                return 0
            await self._outbox.publish(
                session,
                AlertDraft(
                    kind=description.code,
                    severity=Severity(description.severity.value),
                    subject=doc["name"],
                    message=description.summary,
                    evidence={"room": f"rooms/{description.room}"},
                ),
            )
            return 1

        count: int = await in_transaction(self._mongo, work)
        if count:
            log.info("raised %s for %s", description.code, doc["name"])
        return count
