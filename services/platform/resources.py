"""Storage of named resources (AIP-122 names as ``_id``): create, get, paged list.

Creation runs in a transaction together with any alerts it raises (the outbox), so a resource
and its alerts exist together or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.platform.alerts import AlertDraft
from services.platform.errors import AlreadyExists, NotFound
from services.platform.mongo import Document, find_page, in_transaction
from services.platform.outbox import Outbox
from services.platform.paging import Page


def name_indexes(*extra: IndexModel) -> list[IndexModel]:
    """Indexes of a resource collection: unique ``name`` plus ``extra``."""
    return [IndexModel("name", unique=True), *extra]


class ResourceCollection:
    """One collection of resources named ``{collection}/{id}``."""

    def __init__(
        self,
        mongo: AsyncMongoClient[Document],
        db: AsyncDatabase[Document],
        collection: str,
        outbox: Outbox,
        kind: str,
    ) -> None:
        self._mongo = mongo
        self.collection = db[collection]
        self._outbox = outbox
        self._kind = kind

    async def create(self, doc: Document, alerts: Sequence[AlertDraft] = ()) -> Document:
        """Inserts ``doc`` (which has a ``name``) and its alerts atomically."""

        async def work(session: AsyncClientSession) -> None:
            await self.collection.insert_one(doc, session=session)
            await self._outbox.publish_all(session, alerts)

        try:
            await in_transaction(self._mongo, work)
        except DuplicateKeyError as exc:
            raise AlreadyExists(f"{doc['name']} already exists", "ALREADY_EXISTS") from exc
        if alerts:
            self._outbox.notify()
        return doc

    async def get(self, name: str) -> Document:
        doc = await self.collection.find_one({"name": name})
        if doc is None:
            raise NotFound(f"{self._kind} {name} not found", "NOT_FOUND", {"name": name})
        return doc

    async def list(
        self, page: Page, query: Mapping[str, Any] | None = None, fingerprint: str = ""
    ) -> tuple[list[Document], str]:
        return await find_page(self.collection, query or {}, page, fingerprint)
