"""The orphan sweep against the real database and object store: a raw object written down but
never given its scan record is removed once its grace period is over, one whose record exists
is kept, and one still within its grace period (an upload under way elsewhere) is left alone."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from devstack.stores import Stores
from services.platform import mongo
from services.platform.objects import ObjectStore
from services.scanner.orphans import PendingObjects

GRACE = 0.5


@pytest.fixture
async def parts(stores: Stores) -> AsyncIterator[tuple[Any, ObjectStore]]:
    client: AsyncMongoClient[dict[str, Any]] = mongo.client(stores.mongodb_uri, "orphan-test")
    db = client[f"orphans_{uuid.uuid4().hex[:8]}"]
    objects = ObjectStore(
        stores.s3_endpoint,
        stores.s3_access_key,
        stores.s3_secret_key,
        f"orphans-{uuid.uuid4().hex[:8]}",
        secure=stores.s3_secure,
    )
    await objects.ensure_bucket()
    try:
        yield db, objects
    finally:
        await client.drop_database(db.name)
        await client.close()
        objects.close()


async def test_sweep_removes_only_objects_left_without_their_scan(
    parts: tuple[Any, ObjectStore],
) -> None:
    db, objects = parts
    pending = PendingObjects(db, objects, "scans", GRACE, 60)
    for scan in ("scans/orphan", "scans/recorded", "scans/young"):
        key = f"{scan}/raw.u16le"
        if scan != "scans/young":
            await pending.announce(key, scan)
        await objects.put(key, b"planes", "application/octet-stream")
    await db["scans"].insert_one({"name": "scans/recorded"})
    await asyncio.sleep(GRACE * 2)
    await pending.announce("scans/young/raw.u16le", "scans/young")  # an upload under way

    assert await pending.sweep() == 1
    assert not await objects.exists("scans/orphan/raw.u16le")
    assert await objects.exists("scans/recorded/raw.u16le")
    assert await objects.exists("scans/young/raw.u16le")
    left = [doc["_id"] async for doc in db["pending_raw_objects"].find()]
    assert left == ["scans/young/raw.u16le"]  # the settled ones are struck off
    assert await pending.sweep() == 0
