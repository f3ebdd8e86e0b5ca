"""Shifts and handovers: opening a shift, handing it over (its summary read through indexes,
never the whole log), acknowledging the handover."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from pymongo import ASCENDING

from services.dutylog.chain_store import ChainStore, Txn, entry_from_doc
from services.dutylog.domain.alarms import AlarmState
from services.dutylog.domain.checkpoints import CheckpointReason
from services.dutylog.domain.directives import DirectiveState
from services.dutylog.domain.entries import Officer
from services.dutylog.domain.errors import DomainValidationError, IllegalTransition
from services.dutylog.domain.handovers import (
    NOTABLE_CANDIDATE_KINDS,
    CarryOver,
    HandoverSummary,
    acknowledge_handover,
    hand_over,
    summarise,
)
from services.dutylog.domain.shifts import Shift, open_shift
from services.dutylog.officers import member
from services.dutylog.officers import open_shift as current_shift
from services.dutylog.store import (
    ALARMS,
    DIRECTIVES,
    HANDOVERS,
    SHIFTS,
    alarm_from_doc,
    directive_from_doc,
    handover_doc,
    handover_from_doc,
    handover_state_doc,
    shift_doc,
    shift_from_doc,
)
from services.platform.auth import Principal, Role
from services.platform.errors import (
    AlreadyExists,
    FailedPrecondition,
    NotFound,
    PermissionDenied,
    PreconditionViolation,
)
from services.platform.mongo import Document


async def find(txn: Txn, collection: str, name: str, kind: str) -> Document:
    doc = await txn.store.db[collection].find_one({"name": name}, session=txn.session)
    if doc is None:
        raise NotFound(f"{kind} {name} not found", "NOT_FOUND", {"name": name})
    return doc


async def absent(txn: Txn, collection: str, name: str) -> None:
    if await txn.store.db[collection].find_one({"name": name}, session=txn.session):
        raise AlreadyExists(f"{name} already exists", "ALREADY_EXISTS", {"name": name})


def _seq_of(doc: Document) -> int:
    """Seq of the entry that opened an alarm or issued a directive (log order)."""
    return int(str(doc["entry"]).rsplit("/", 1)[1])


async def handover_summary(txn: Txn, outgoing: Shift, first_seq: int) -> HandoverSummary:
    """The handover summary from what it needs only, each through an index: the room's open
    alarms and open directives (their projections, kept in the transaction of each step) and
    the outgoing shift's candidate notable entries (seq from ``first_seq``, the entry that
    opened it). Equal to ``build_handover_summary`` over the whole log."""
    db, room, session = txn.store.db, txn.room, txn.session
    open_states = [s.value for s in AlarmState if s is not AlarmState.RESOLVED]
    alarms = (
        await db[ALARMS]
        .find({"room": room, "state": {"$in": open_states}}, session=session)
        .to_list()
    )
    directives = (
        await db[DIRECTIVES]
        .find({"room": room, "state": DirectiveState.OPEN.value}, session=session)
        .to_list()
    )
    kinds = [k.value for k in NOTABLE_CANDIDATE_KINDS]
    cursor = txn.store.entries.find(
        {"room": room, "kind": {"$in": kinds}, "seq": {"$gte": first_seq}}, session=session
    )
    try:
        candidates = [entry_from_doc(d) for d in await cursor.sort("seq", ASCENDING).to_list()]
    except DomainValidationError as exc:
        why = f"the log of rooms/{room} is damaged ({exc}); run VerifyChain"
        raise FailedPrecondition(
            why, "CHAIN_DAMAGED", {}, [PreconditionViolation("CHAIN", f"rooms/{room}", why)]
        ) from exc
    carry = CarryOver(
        tuple(alarm_from_doc(d) for d in sorted(alarms, key=_seq_of)),
        tuple(directive_from_doc(d) for d in sorted(directives, key=_seq_of)),
    )
    return summarise(outgoing, carry, candidates)


class ShiftOps:
    def __init__(self, chain: ChainStore, default_ack: timedelta) -> None:
        self._chain = chain
        self._default_ack = default_ack

    async def open(
        self,
        room: str,
        shift_id: str,
        leader: Officer,
        officers: Sequence[Officer],
        principal: Principal,
    ) -> Document:
        members = {leader.subject, *(o.subject for o in officers)}
        if principal.subject not in members and Role.SUPERVISOR not in principal.roles:
            raise PermissionDenied(
                "only an officer of the shift or a supervisor may open it", "NOT_ON_SHIFT"
            )

        async def work(txn: Txn) -> Document:
            name = f"rooms/{room}/shifts/{shift_id}"
            await absent(txn, SHIFTS, name)
            step = open_shift(shift_id, room, leader, officers, txn.now, await current_shift(txn))
            head = await txn.head()
            sealed = await txn.append(step.draft, state={"open_shift": shift_id})
            doc = shift_doc(step.shift, sealed.seq, str(head["head_sha256"]))
            await txn.store.db[SHIFTS].insert_one(doc, session=txn.session)
            return doc

        return await self._chain.run(room, work)

    async def hand_over(
        self, shift_name: str, handover_id: str, ack_within: timedelta | None, principal: Principal
    ) -> tuple[Document, Document]:
        room = shift_name.split("/")[1]

        async def work(txn: Txn) -> tuple[Document, Document]:
            shift_doc_ = await find(txn, SHIFTS, shift_name, "shift")
            await absent(txn, HANDOVERS, f"rooms/{room}/handovers/{handover_id}")
            outgoing = shift_from_doc(shift_doc_)
            writer = member(outgoing, principal)
            summary = await handover_summary(txn, outgoing, int(shift_doc_["first_seq"]))
            step = hand_over(
                handover_id, outgoing, summary, writer, txn.now, ack_within or self._default_ack
            )
            sealed = await txn.append(
                step.draft, checkpoint=CheckpointReason.HANDOVER, state={"open_shift": None}
            )
            closed = {
                "state": "CLOSED",
                "end_time": txn.now,
                "last_seq": sealed.seq,
                "last_sha256": sealed.entry_sha256,
            }
            await txn.store.db[SHIFTS].update_one(
                {"name": shift_name}, {"$set": closed}, session=txn.session
            )
            handover = handover_doc(step.handover, step.draft.text, sealed.name)
            await txn.store.db[HANDOVERS].insert_one(handover, session=txn.session)
            return handover, {**shift_doc_, **closed}

        return await self._chain.run(room, work)

    async def acknowledge(self, handover_name: str, principal: Principal) -> Document:
        room = handover_name.split("/")[1]

        async def work(txn: Txn) -> Document:
            doc = await find(txn, HANDOVERS, handover_name, "handover")
            handover = handover_from_doc(doc)
            incoming = await current_shift(txn)
            if incoming is None:
                raise IllegalTransition(
                    handover_name, handover.state.value, "ACKNOWLEDGED", "no shift is open"
                )
            officer = member(incoming, principal)
            step = acknowledge_handover(handover, incoming, officer, txn.now)
            await txn.append(step.draft)
            changes = handover_state_doc(step.handover)
            await txn.store.db[HANDOVERS].update_one(
                {"name": handover_name}, {"$set": changes}, session=txn.session
            )
            return {**doc, **changes}

        return await self._chain.run(room, work)
