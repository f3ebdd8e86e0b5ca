"""Entries written by people, alarm steps and directives: each one entry in the room's chain."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from services.dutylog.chain_store import ChainStore, Txn
from services.dutylog.domain import alarms as alarm_steps
from services.dutylog.domain.alarms import AlarmStep
from services.dutylog.domain.chain import SealedEntry
from services.dutylog.domain.directives import close_directive, issue_directive
from services.dutylog.domain.entries import (
    Attachment,
    EntryDraft,
    EntryKind,
    Officer,
    References,
)
from services.dutylog.officers import author
from services.dutylog.shift_ops import absent, find
from services.dutylog.store import (
    ALARMS,
    DIRECTIVES,
    alarm_from_doc,
    alarm_state_doc,
    directive_doc,
    directive_from_doc,
    directive_state_doc,
)
from services.platform.auth import Principal
from services.platform.mongo import Document
from services.platform.objects import ObjectStore

log = logging.getLogger("customs.dutylog")


@dataclass(frozen=True, slots=True)
class Upload:
    """An attachment as a client sends it."""

    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class NewEntry:
    """A person's entry, validated field by field by the servicer."""

    kind: EntryKind
    text: str
    references: References
    corrects_seq: int | None
    uploads: Sequence[Upload]


# (alarm, officer, time) -> step
AlarmMove = Callable[[alarm_steps.Alarm, Officer, datetime], AlarmStep]


class LogOps:
    def __init__(self, chain: ChainStore, objects: ObjectStore) -> None:
        self._chain = chain
        self._objects = objects

    async def create_entry(self, room: str, new: NewEntry, principal: Principal) -> SealedEntry:
        stored: list[Attachment] = []
        try:
            for upload in new.uploads:
                key = f"rooms/{room}/attachments/{uuid.uuid4().hex}"
                digest = await self._objects.put(key, upload.data, upload.content_type)
                stored.append(Attachment(key, digest, upload.content_type))

            async def work(txn: Txn) -> SealedEntry:
                draft = EntryDraft(
                    room=room,
                    kind=new.kind,
                    author=await author(txn, principal),
                    time=txn.now,
                    text=new.text,
                    references=new.references,
                    attachments=tuple(stored),
                    corrects_seq=new.corrects_seq,
                )
                return await txn.append(draft)

            return await self._chain.run(room, work)
        except BaseException:
            for attachment in stored:
                try:
                    await self._objects.remove(attachment.object_key)
                except Exception:
                    log.exception("could not remove orphan %s", attachment.object_key)
            raise

    async def alarm_step(
        self, name: str, move: AlarmMove, principal: Principal
    ) -> tuple[Document, SealedEntry]:
        room = name.split("/")[1]

        async def work(txn: Txn) -> tuple[Document, SealedEntry]:
            doc = await find(txn, ALARMS, name, "alarm")
            step = move(alarm_from_doc(doc), await author(txn, principal), txn.now)
            sealed = await txn.append(step.draft)
            changes = alarm_state_doc(step.alarm)
            await txn.store.db[ALARMS].update_one(
                {"name": name}, {"$set": changes}, session=txn.session
            )
            return {**doc, **changes}, sealed

        return await self._chain.run(room, work)

    async def issue_directive(
        self,
        room: str,
        directive_id: str,
        assignee: Officer,
        text: str,
        due: datetime,
        references: References,
        principal: Principal,
    ) -> tuple[Document, SealedEntry]:
        # Milliseconds, what the stored directive keeps: the log's due time and the directive's
        # (which the handover summary reads) are the same instant.
        due = due.replace(microsecond=due.microsecond // 1000 * 1000)

        async def work(txn: Txn) -> tuple[Document, SealedEntry]:
            await absent(txn, DIRECTIVES, f"rooms/{room}/directives/{directive_id}")
            issuer = await author(txn, principal)
            step = issue_directive(
                directive_id, room, issuer, assignee, text, txn.now, due, references
            )
            sealed = await txn.append(step.draft)
            doc = directive_doc(step.directive, step.draft.references, sealed.name)
            await txn.store.db[DIRECTIVES].insert_one(doc, session=txn.session)
            return doc, sealed

        return await self._chain.run(room, work)

    async def close_directive(
        self, name: str, result: str, principal: Principal
    ) -> tuple[Document, SealedEntry]:
        room = name.split("/")[1]

        async def work(txn: Txn) -> tuple[Document, SealedEntry]:
            doc = await find(txn, DIRECTIVES, name, "directive")
            step = close_directive(
                directive_from_doc(doc), await author(txn, principal), txn.now, result
            )
            sealed = await txn.append(step.draft)
            changes = directive_state_doc(step.directive)
            await txn.store.db[DIRECTIVES].update_one(
                {"name": name}, {"$set": changes}, session=txn.session
            )
            return {**doc, **changes}, sealed

        return await self._chain.run(room, work)
