"""MongoDB through PyMongo's asyncio API: connecting, indexes, transactions, paged listings."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from services.platform.paging import Page, next_token

T = TypeVar("T")
Document = dict[str, Any]
Indexes = Mapping[str, Sequence[IndexModel]]


#: How long a connection attempt, and the monitor's heartbeat on its own connection, may take
#: (PyMongo's default). A heartbeat answered later marks the server unknown and pauses the pool,
#: failing every queued operation: a server slow under load must not count as a dead one (a dead
#: one refuses the connection at once). docs/reliability.md, finding 8.
_CONNECT_TIMEOUT_MS = 20_000


def client(
    uri: str, app_name: str, timeout_seconds: float = 5.0, max_pool_size: int | None = None
) -> AsyncMongoClient[Document]:
    """A client; connections open lazily; an operation waits at most ``timeout_seconds`` for a
    server to be selectable; ``max_pool_size`` overrides the URI's. Times are timezone-aware
    UTC."""
    pool: dict[str, Any] = {} if max_pool_size is None else {"maxPoolSize": max_pool_size}
    return AsyncMongoClient(
        uri,
        appname=app_name,
        tz_aware=True,
        serverSelectionTimeoutMS=int(timeout_seconds * 1000),
        connectTimeoutMS=_CONNECT_TIMEOUT_MS,
        retryWrites=True,
        **pool,
    )


async def wait_until_up(mongo: AsyncMongoClient[Document], within_seconds: float) -> None:
    """Pings until the server answers; raises the last error after ``within_seconds``."""
    deadline = time.monotonic() + within_seconds
    while True:
        try:
            await mongo.admin.command("ping")
            return
        except PyMongoError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.25)


async def ensure_indexes(db: AsyncDatabase[Document], indexes: Indexes) -> None:
    """Creates the indexes; creating an existing identical index is a no-op."""
    for collection, models in indexes.items():
        if models:
            await db[collection].create_indexes(list(models))


async def in_transaction(
    mongo: AsyncMongoClient[Document], work: Callable[[AsyncClientSession], Awaitable[T]]
) -> T:
    """Runs ``work`` in a transaction, retried on transient errors (needs a replica set)."""
    async with mongo.start_session() as session:
        result: T = await session.with_transaction(work)
        return result


async def find_page(
    collection: AsyncCollection[Document],
    query: Mapping[str, Any],
    page: Page,
    fingerprint: str = "",
) -> tuple[list[Document], str]:
    """One page of documents ordered by ``name``, and the token of the next page ('' if last)."""
    selector: dict[str, Any] = dict(query)
    if page.after is not None:
        selector["name"] = {"$gt": page.after}
    docs = await collection.find(selector).sort("name", 1).limit(page.size + 1).to_list()
    if len(docs) > page.size:
        docs = docs[: page.size]
        return docs, next_token(docs[-1]["name"], fingerprint)
    return docs, ""


def utcnow() -> datetime:
    """Now in UTC at millisecond precision: what BSON dates keep, so a value read back equals
    the value written."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
