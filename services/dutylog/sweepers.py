"""The periodic sweeper: DIRECTIVE_OVERDUE and HANDOVER_UNACKNOWLEDGED, each raised once and
recorded in the duty log itself.

Each alert is raised in one transaction on the room of its directive or handover: the directive
or handover is marked as alerted (with a filter on its still being open/pending, so a restart or
a concurrent close can neither repeat nor wrongly raise it), the alert is published on this
service's outbox (for WatchAlerts consumers), and it is recorded like any other alert: an ALERT
entry and an alarm of that room (``intake.record_alarm``, source ``dutylog``). Either all of it
commits or none of it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from services.dutylog.chain_store import ChainStore, Txn
from services.dutylog.domain.directives import overdue_alerts
from services.dutylog.domain.handovers import handover_ack_overdue
from services.dutylog.domain.notices import AlertDescription
from services.dutylog.intake import record_alarm
from services.dutylog.store import DIRECTIVES, HANDOVERS, directive_from_doc, handover_from_doc
from services.platform.alerts import AlertDraft, Severity, to_proto
from services.platform.mongo import Document, utcnow

log = logging.getLogger("customs.dutylog.sweeper")
SOURCE = "dutylog"


class Sweeper:
    def __init__(self, chain: ChainStore, period_seconds: float) -> None:
        self._chain = chain
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
        """Raises what is due at ``now``; returns how many alerts it raised."""
        raised = 0
        db = self._chain.db
        due = {"state": "OPEN", "due_time": {"$lt": now}, "overdue_alerted": False}
        for doc in await db[DIRECTIVES].find(due).to_list():
            for description in overdue_alerts([directive_from_doc(doc)], now):
                raised += await self._raise_once(DIRECTIVES, doc, "overdue_alerted", description)
        late = {"state": "PENDING", "ack_deadline": {"$lt": now}, "unack_alerted": False}
        for doc in await db[HANDOVERS].find(late).to_list():
            late_ack = handover_ack_overdue(handover_from_doc(doc), now)
            if late_ack is not None:
                raised += await self._raise_once(HANDOVERS, doc, "unack_alerted", late_ack)
        return raised

    async def _raise_once(
        self, collection: str, doc: Document, flag: str, description: AlertDescription
    ) -> int:
        async def work(txn: Txn) -> int:
            marked = await txn.store.db[collection].update_one(
                {"name": doc["name"], "state": doc["state"], flag: False},
                {"$set": {flag: True}},
                session=txn.session,
            )
            if marked.modified_count == 0:
                return 0
            alert = await self._chain.outbox.publish(
                txn.session,
                AlertDraft(
                    kind=description.code,
                    severity=Severity(description.severity.value),
                    subject=doc["name"],
                    message=description.summary,
                    evidence={"room": f"rooms/{description.room}"},
                ),
            )
            txn.published = True
            await record_alarm(txn, SOURCE, to_proto(alert))
            return 1

        count: int = await self._chain.run(description.room, work)
        if count:
            log.info("raised %s for %s", description.code, doc["name"])
        return count
