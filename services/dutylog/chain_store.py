"""The hash-chained log in MongoDB: appending entries to a room, one transaction at a time.

Collections: ``entries`` (one document per sealed entry, unique (room, seq)), ``room_heads``
(per room: the head seq and hash, and the open shift) and ``checkpoints``. An append runs in a
transaction that reads the room's head, inserts entry seq+1 and moves the head with a filter on
the old seq, so two appends that race conflict and one of them is retried: the chain never
forks. Everything an operation writes besides the entry (alarm, directive, shift, resume
token, checkpoint) goes in the same transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pymongo import ASCENDING, AsyncMongoClient, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.dutylog.domain.canonical import GENESIS_SHA256, content_object
from services.dutylog.domain.chain import SealedEntry, entry_from_json, seal_after
from services.dutylog.domain.checkpoints import (
    Checkpoint,
    CheckpointReason,
    checkpoint_due,
    create_checkpoint,
    public_key_b64,
)
from services.dutylog.domain.entries import EntryDraft
from services.platform.errors import Unavailable
from services.platform.mongo import Document, in_transaction, utcnow
from services.platform.outbox import Outbox

T = TypeVar("T")
log = logging.getLogger("customs.dutylog.chain")
ENTRIES = "entries"
HEADS = "room_heads"
CHECKPOINTS = "checkpoints"
INDEXES = {
    ENTRIES: [
        IndexModel([("room", ASCENDING), ("seq", ASCENDING)], unique=True),
        IndexModel("name", unique=True),
        IndexModel([("room", ASCENDING), ("kind", ASCENDING), ("seq", ASCENDING)]),
        IndexModel(
            [
                ("room", ASCENDING),
                ("content.references.container_numbers", ASCENDING),
                ("seq", ASCENDING),
            ]
        ),
    ],
    CHECKPOINTS: [
        IndexModel("name", unique=True),
        IndexModel([("room", ASCENDING), ("seq", ASCENDING)]),
    ],
}
_ATTEMPTS = 5


def entry_doc(entry: SealedEntry) -> Document:
    """The stored form of a sealed entry: its content object and the three hashes."""
    return {
        "name": entry.name,
        "room": entry.room,
        "seq": entry.seq,
        "kind": entry.kind.value,
        "content": content_object(entry.draft, entry.seq),
        "content_sha256": entry.content_sha256,
        "prev_sha256": entry.prev_sha256,
        "entry_sha256": entry.entry_sha256,
        "record_time": utcnow(),
    }


def entry_from_doc(doc: Document) -> SealedEntry:
    """The sealed entry a stored document holds; DomainValidationError when it is malformed."""
    return entry_from_json(
        {
            **doc.get("content", {}),
            "content_sha256": doc.get("content_sha256"),
            "prev_sha256": doc.get("prev_sha256"),
            "entry_sha256": doc.get("entry_sha256"),
        }
    )


def checkpoint_doc(checkpoint: Checkpoint, public_key: str) -> Document:
    return {
        "name": f"rooms/{checkpoint.room}/checkpoints/{checkpoint.seq}",
        "room": checkpoint.room,
        "seq": checkpoint.seq,
        "head_sha256": checkpoint.head_sha256,
        "time": checkpoint.time,
        "reason": checkpoint.reason.value,
        "signature": checkpoint.signature,
        "public_key": public_key,
    }


def checkpoint_from_doc(doc: Document) -> Checkpoint:
    return Checkpoint(
        room=doc["room"],
        seq=doc["seq"],
        head_sha256=doc["head_sha256"],
        time=doc["time"],
        reason=CheckpointReason(doc["reason"]),
        signature=doc["signature"],
    )


class Txn:
    """One transaction on one room: appends entries and carries the session for other writes."""

    def __init__(self, store: ChainStore, session: AsyncClientSession, room: str) -> None:
        self.store = store
        self.session = session
        self.room = room
        self.now = utcnow()
        self.published = False
        self._head: Document | None = None

    async def head(self) -> Document:
        """The room's head document (seq 0 and the genesis hash for an empty room)."""
        if self._head is None:
            found = await self.store.heads.find_one({"_id": self.room}, session=self.session)
            self._head = found or {
                "_id": self.room,
                "seq": 0,
                "head_sha256": GENESIS_SHA256,
                "open_shift": None,
            }
        return self._head

    async def append(
        self,
        draft: EntryDraft,
        *,
        checkpoint: CheckpointReason | None = None,
        state: Document | None = None,
    ) -> SealedEntry:
        """Seals ``draft`` after the head, inserts it, moves the head (setting ``state`` fields
        on the head document too) and signs a checkpoint when one is due."""
        head = await self.head()
        sealed = seal_after(draft, int(head["seq"]), str(head["head_sha256"]))
        await self.store.entries.insert_one(entry_doc(sealed), session=self.session)
        update = {"seq": sealed.seq, "head_sha256": sealed.entry_sha256, **(state or {})}
        await self.store.heads.update_one(
            {"_id": self.room, "seq": head["seq"]},
            {"$set": update},
            upsert=True,
            session=self.session,
        )
        self._head = {**head, **update}
        if checkpoint is None and checkpoint_due(sealed.seq, self.store.checkpoint_every):
            checkpoint = CheckpointReason.INTERVAL
        if checkpoint is not None:
            await self.store.sign(sealed, checkpoint, self.now, self.session)
        return sealed


def _bound(
    store: ChainStore, room: str, work: Callable[[Txn], Awaitable[T]], txns: list[Txn]
) -> Callable[[AsyncClientSession], Awaitable[T]]:
    """The transaction body: a fresh Txn per attempt, remembered in ``txns``."""

    async def body(session: AsyncClientSession) -> T:
        txn = Txn(store, session, room)
        txns.append(txn)
        return await work(txn)

    return body


class ChainStore:
    """Appends to room chains and reads them back."""

    def __init__(
        self,
        mongo: AsyncMongoClient[Document],
        db: AsyncDatabase[Document],
        outbox: Outbox,
        key: Ed25519PrivateKey,
        checkpoint_every: int,
        trusted: Sequence[Ed25519PublicKey] = (),
    ) -> None:
        self._mongo = mongo
        self.outbox = outbox
        self.db = db
        self.entries = db[ENTRIES]
        self.heads = db[HEADS]
        self.checkpoints = db[CHECKPOINTS]
        self.key = key
        self.public_key = public_key_b64(key)
        # Keys whose checkpoints VerifyChain accepts: this key's, then the configured ones
        # (DUTYLOG_TRUSTED_PUBLIC_KEYS). Never the public_key stored with a checkpoint.
        others = (k for k in trusted if public_key_b64(k) != self.public_key)
        self.trusted: tuple[Ed25519PublicKey, ...] = (key.public_key(), *others)
        self.checkpoint_every = checkpoint_every
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def sign(
        self,
        head: SealedEntry,
        reason: CheckpointReason,
        time: datetime,
        session: AsyncClientSession | None = None,
    ) -> Checkpoint:
        """Signs ``head`` and keeps the checkpoint (one per seq: an existing one is kept). The
        log line is a witness outside the database (see ``domain.audit``); it is written before
        the transaction commits, so a line may name a checkpoint of an aborted attempt."""
        checkpoint = create_checkpoint(head, time, reason, self.key)
        doc = checkpoint_doc(checkpoint, self.public_key)
        await self.checkpoints.update_one(
            {"name": doc["name"]}, {"$setOnInsert": doc}, upsert=True, session=session
        )
        log.info(
            "checkpoint signed",
            extra={
                "checkpoint": doc["name"],
                "head_sha256": head.entry_sha256,
                "reason": reason.value,
            },
        )
        return checkpoint

    async def run(self, room: str, work: Callable[[Txn], Awaitable[T]]) -> T:
        """Runs ``work`` in a transaction on ``room``, serialised with the other appends of this
        process and retried when another writer moved the head first."""
        async with self._locks[room]:
            for attempt in range(_ATTEMPTS):
                txns: list[Txn] = []
                try:
                    result = await in_transaction(self._mongo, _bound(self, room, work, txns))
                except DuplicateKeyError as exc:
                    log.info("append conflict on room %s (attempt %d): %s", room, attempt + 1, exc)
                    continue
                if txns and txns[-1].published:
                    self.outbox.notify()
                return result
        raise Unavailable(f"the log of room {room} is busy; retry", "CHAIN_BUSY")

    async def head(self, room: str) -> Document:
        found = await self.heads.find_one({"_id": room})
        return found or {"_id": room, "seq": 0, "head_sha256": GENESIS_SHA256, "open_shift": None}

    async def entry_docs(
        self,
        room: str,
        first_seq: int = 1,
        last_seq: int | None = None,
        session: AsyncClientSession | None = None,
    ) -> list[Document]:
        """Stored entries of ``room`` with seq in [first_seq, last_seq], by seq."""
        selector: dict[str, Any] = {"$gte": first_seq}
        if last_seq is not None:
            selector["$lte"] = last_seq
        cursor = self.entries.find({"room": room, "seq": selector}, session=session)
        cursor = cursor.sort("seq", ASCENDING)
        return await cursor.to_list()
