"""VerifyChain and the signed shift export, over what storage holds.

VerifyChain recomputes a room's chain, compares its end with the recorded head, and audits the
checkpoints (``domain.audit``): each must be signed by a key the service trusts from its
configuration (its DUTYLOG_SIGNING_KEY's public key and DUTYLOG_TRUSTED_PUBLIC_KEYS), never by the
``public_key`` stored beside it, and one must exist every DUTYLOG_CHECKPOINT_EVERY entries and at
each handover. So someone who can write the database, recomputes the hashes after changing an
entry and deletes or re-signs the checkpoints is caught for every entry up to the last genuine
checkpoint (``signed_seq``).

What it cannot catch: entries after the last checkpoint (fewer than DUTYLOG_CHECKPOINT_EVERY, or
those since the last handover) are only as good as the database; and the tail of a log deleted
together with the checkpoints over it (and the head moved back) looks like a shorter log, which
only a checkpoint or bundle kept elsewhere (exports, the "checkpoint signed" log lines) reveals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pymongo import ASCENDING

from services.dutylog.chain_store import ChainStore, checkpoint_from_doc, entry_from_doc
from services.dutylog.domain.audit import audit_checkpoints
from services.dutylog.domain.bundle import StoredSlice, build_bundle, dump_bundle
from services.dutylog.domain.canonical import GENESIS_SHA256
from services.dutylog.domain.chain import ChainBreak, SealedEntry, verify_chain
from services.dutylog.domain.checkpoints import Checkpoint
from services.dutylog.domain.entries import entry_name
from services.dutylog.domain.errors import DomainValidationError
from services.dutylog.store import SHIFTS
from services.platform.errors import FailedPrecondition, NotFound, PreconditionViolation
from services.platform.mongo import Document, utcnow


@dataclass(frozen=True, slots=True)
class Break:
    """The first broken link, in the proto's terms (``check`` is a ChainCheck name)."""

    entry: str
    seq: int
    check: str
    expected: str
    actual: str
    explanation: str


@dataclass(frozen=True, slots=True)
class Verification:
    intact: bool
    entries_checked: int
    head_seq: int
    head_sha256: str
    first_break: Break | None
    checkpoint_problems: list[str] = field(default_factory=list)
    checkpoints_checked: int = 0
    signed_seq: int = 0


def _from_domain(brk: ChainBreak) -> Break:
    return Break(brk.name, brk.seq, brk.check.value, brk.expected, brk.actual, brk.explanation)


def _parse(room: str, docs: list[Document]) -> tuple[list[SealedEntry], Break | None]:
    """Entries up to the first malformed document, and that document's break."""
    entries = []
    for doc in docs:
        try:
            entries.append(entry_from_doc(doc))
        except DomainValidationError as exc:
            seq = int(doc.get("seq", 0))
            return entries, Break(
                entry_name(room, seq),
                seq,
                "MALFORMED",
                "a well-formed entry",
                str(exc),
                "the stored document is not a well-formed entry",
            )
    return entries, None


def _checkpoints(docs: list[Document]) -> tuple[list[Checkpoint], list[str]]:
    """The readable checkpoints, and a problem per unreadable one (it counts as absent)."""
    found, unreadable = [], []
    for doc in docs:
        try:
            checkpoint = checkpoint_from_doc(doc)
            checkpoint.statement()
            fields = (checkpoint.seq, checkpoint.head_sha256, checkpoint.signature)
            if not all(isinstance(v, t) for v, t in zip(fields, (int, str, str), strict=True)):
                raise TypeError("wrong field types")
        except (KeyError, TypeError, ValueError):
            unreadable.append(f"checkpoint {doc.get('name', doc.get('_id'))}: unreadable")
            continue
        found.append(checkpoint)
    return found, unreadable


async def verify_room(chain: ChainStore, room: str) -> Verification:
    """Recomputes the room's chain, compares its end with the recorded head and audits the
    checkpoints against the trusted keys and the cadence (see the module docstring)."""
    entries, malformed = _parse(room, await chain.entry_docs(room))
    report = verify_chain(entries)
    brk = _from_domain(report.first_break) if report.first_break else None
    if brk is None and malformed is not None:
        brk = malformed
    head = await chain.head(room)
    good_seq = report.head_seq or 0
    if brk is None and (good_seq, report.head_sha256) != (head["seq"], head["head_sha256"]):
        brk = Break(
            entry_name(room, good_seq + 1),
            good_seq + 1,
            "TRUNCATED",
            f"head seq {head['seq']} {head['head_sha256']}",
            f"chain ends at seq {good_seq} {report.head_sha256}",
            "entries missing at the end of the chain (deleted after the recorded head)",
        )
    docs = await chain.checkpoints.find({"room": room}).sort("seq", ASCENDING).to_list()
    checkpoints, unreadable = _checkpoints(docs)
    audit = audit_checkpoints(
        room,
        entries,
        checkpoints,
        chain.trusted,
        interval=chain.checkpoint_every,
        first_seq=1,
        last_seq=max((e.seq for e in entries), default=0),
        broken_at=brk.seq if brk else None,
    )
    if audit.findings and (brk is None or audit.findings[0].seq < brk.seq):
        found = audit.findings[0]
        brk = Break(
            entry_name(room, found.seq),
            found.seq,
            found.check.value,
            found.expected,
            found.actual,
            found.description,
        )
    return Verification(
        intact=brk is None,
        entries_checked=report.entries_checked,
        head_seq=good_seq,
        head_sha256=report.head_sha256,
        first_break=brk,
        checkpoint_problems=[f.description for f in audit.findings] + unreadable,
        checkpoints_checked=len(docs),
        signed_seq=audit.signed_seq,
    )


async def export_shift(chain: ChainStore, shift_name: str) -> tuple[bytes, str]:
    """The signed bundle (file bytes) of a shift's slice of the chain and its checkpoints, as
    stored (a forged checkpoint is exported too: the verifier rejects it), and a file name."""
    shift = await chain.db[SHIFTS].find_one({"name": shift_name})
    if shift is None:
        raise NotFound(f"shift {shift_name} not found", "NOT_FOUND", {"name": shift_name})
    room, first = shift["room"], int(shift["first_seq"])
    if shift.get("last_seq"):
        last, last_hash = int(shift["last_seq"]), str(shift["last_sha256"])
    else:
        head = await chain.head(room)
        last, last_hash = int(head["seq"]), str(head["head_sha256"])
    docs = await chain.entry_docs(room, first, last)
    entries, malformed = _parse(room, docs)
    if malformed is not None or not entries:
        why = (
            f"entry {malformed.entry} is malformed; run VerifyChain"
            if malformed
            else "the shift has no stored entry"
        )
        raise FailedPrecondition(
            why, "CHAIN_DAMAGED", {}, [PreconditionViolation("CHAIN", shift_name, why)]
        )
    anchor = shift.get("anchor_sha256") or (GENESIS_SHA256 if first == 1 else "")
    anchor = anchor or entries[0].prev_sha256
    checkpoint_docs = (
        await chain.checkpoints.find({"room": room, "seq": {"$gte": first, "$lte": last}})
        .sort("seq", ASCENDING)
        .to_list()
    )
    bundle = build_bundle(
        room,
        shift["shift_id"],
        entries,
        [checkpoint_from_doc(d) for d in checkpoint_docs],
        chain.key,
        utcnow(),
        checkpoint_every=chain.checkpoint_every,
        as_stored=StoredSlice(anchor, first, last, last_hash),
    )
    return dump_bundle(bundle), f"{room}-{shift['shift_id']}.dutylog.json"
