"""The duty log's own alerts (DIRECTIVE_OVERDUE, HANDOVER_UNACKNOWLEDGED) are recorded in the duty
log itself: the sweeper, run in-process against the real database with a clock of its own,
raises each once and writes its ALERT entry and alarm in the same transaction."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pymongo import AsyncMongoClient

from devstack.stores import Stores
from services.dutylog.chain_store import ChainStore, Txn, entry_doc
from services.dutylog.domain.chain import seal_after
from services.dutylog.domain.directives import issue_directive
from services.dutylog.service import SPEC
from services.dutylog.store import ALARMS, DIRECTIVES, directive_doc
from services.dutylog.sweepers import Sweeper
from services.platform.errors import Unavailable
from services.platform.mongo import Document, ensure_indexes, utcnow
from services.platform.outbox import ALERTS, Outbox
from services.platform.outbox import INDEXES as OUTBOX_INDEXES
from tests.dutylog.helpers import HUNG, LAN, ROOM, draft


async def issue(chain: ChainStore, directive_id: str, minutes: int) -> Document:
    """A directive issued now, due in ``minutes``."""

    async def work(txn: Txn) -> Document:
        step = issue_directive(
            directive_id,
            ROOM,
            HUNG,
            LAN,
            f"Report on {directive_id}",
            txn.now,
            txn.now + timedelta(minutes=minutes),
        )
        sealed = await txn.append(step.draft)
        doc = directive_doc(step.directive, step.draft.references, sealed.name)
        await txn.store.db[DIRECTIVES].insert_one(doc, session=txn.session)
        return doc

    return await chain.run(ROOM, work)


async def scenario(uri: str, database: str) -> None:
    client: AsyncMongoClient[Document] = AsyncMongoClient(uri, tz_aware=True)
    db = client[database]
    try:
        await ensure_indexes(db, {**OUTBOX_INDEXES, **SPEC.indexes})
        chain = ChainStore(
            client, db, Outbox(db, "dutylog"), Ed25519PrivateKey.generate(), checkpoint_every=100
        )
        sweeper = Sweeper(chain, period_seconds=60)
        late = await issue(chain, "late", 1)
        later = utcnow() + timedelta(minutes=5)

        assert await sweeper.sweep(later) == 1
        assert await sweeper.sweep(later + timedelta(minutes=1)) == 0  # raised once
        alerts = await db[ALERTS].find({"subject": late["name"]}).to_list()
        alarms = await db[ALARMS].find({"subject": late["name"]}).to_list()
        assert [a["kind"] for a in alerts] == ["DIRECTIVE_OVERDUE"]
        assert len(alarms) == 1
        alarm = alarms[0]
        assert alarm["room"] == ROOM and alarm["source"] == "dutylog"
        assert alarm["alert"] == f"alerts/{alerts[0]['_id']}" and alarm["state"] == "OPEN"
        entry = await db["entries"].find_one({"name": alarm["entry"]})
        assert entry is not None and entry["kind"] == "ALERT" and entry["room"] == ROOM
        refs = entry["content"]["references"]
        assert refs["alert_ids"] == [alarm["alarm_id"]] and refs["directive_ids"] == ["late"]
        assert entry["content"]["attributes"]["alarm_code"] == "DIRECTIVE_OVERDUE"

        # The ALERT entry cannot be appended (its seq is taken behind the service's back): the
        # alert is not published and the directive not marked either, then both happen once.
        blocked = await issue(chain, "blocked", 1)
        head = await chain.head(ROOM)
        squatter = entry_doc(seal_after(draft(), head["seq"], head["head_sha256"]))
        await db["entries"].insert_one(squatter)
        with pytest.raises(Unavailable):
            await sweeper.sweep(later)
        assert await db[ALERTS].count_documents({"subject": blocked["name"]}) == 0
        stored = await db[DIRECTIVES].find_one({"name": blocked["name"]})
        assert stored is not None and stored["overdue_alerted"] is False
        assert await db[ALARMS].count_documents({"subject": blocked["name"]}) == 0
        await db["entries"].delete_one({"name": squatter["name"]})
        assert await sweeper.sweep(later) == 1
        assert await db[ALERTS].count_documents({"subject": blocked["name"]}) == 1
        assert await db[ALARMS].count_documents({"subject": blocked["name"]}) == 1
    finally:
        await client.drop_database(database)
        await client.close()


def test_overdue_directive_is_recorded_once_in_the_transaction_that_raises_it(
    stores: Stores,
) -> None:
    asyncio.run(scenario(stores.mongodb_uri, f"selfalerts_{uuid.uuid4().hex[:8]}"))
