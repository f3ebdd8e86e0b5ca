"""Shifts and handovers: opening a shift, handing it over, acknowledging the handover."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from services.dutylog.chain_store import ChainStore, Txn, entry_from_doc
from services.dutylog.domain.checkpoints import CheckpointReason
from services.dutylog.domain.entries import Officer
from services.dutylog.domain.errors import DomainValidationError, IllegalTransition
from services.dutylog.domain.handovers import acknowledge_handover, hand_over
from services.dutylog.domain.shifts import open_shift
from services.dutylog.officers import member
from services.dutylog.officers import open_shift as current_shift
from services.dutylog.store import (
    HANDOVERS,
    SHIFTS,
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
            try:
                entries = [
                    entry_from_doc(d) for d in await txn.store.entry_docs(room, session=txn.session)
                ]
            except DomainValidationError as exc:
                why = f"the log of rooms/{room} is damaged ({exc}); run VerifyChain"
                raise FailedPrecondition(
                    why, "CHAIN_DAMAGED", {}, [PreconditionViolation("CHAIN", f"rooms/{room}", why)]
                ) from exc
            step = hand_over(
                handover_id, outgoing, entries, writer, txn.now, ack_within or self._default_ack
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
