"""VerifyChain and the signed shift export, over what storage holds."""

from __future__ import annotations

from dataclasses import dataclass, field

from pymongo import ASCENDING

from services.dutylog.chain_store import ChainStore, checkpoint_from_doc, entry_from_doc
from services.dutylog.domain.bundle import StoredSlice, build_bundle, dump_bundle
from services.dutylog.domain.canonical import GENESIS_SHA256
from services.dutylog.domain.chain import ChainBreak, SealedEntry, verify_chain
from services.dutylog.domain.checkpoints import checkpoint_problem, load_public_key
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


async def verify_room(chain: ChainStore, room: str) -> Verification:
    """Recomputes the room's chain, compares its end with the recorded head and checks every
    checkpoint (signature, and the signed hash against the stored entry)."""
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
    by_seq = {e.seq: e for e in entries}
    problems = []
    docs = await chain.checkpoints.find({"room": room}).sort("seq", ASCENDING).to_list()
    for doc in docs:
        key = load_public_key(doc["public_key"])
        problem = checkpoint_problem(checkpoint_from_doc(doc), key, by_seq.get(doc["seq"]))
        if problem is not None:
            problems.append(problem)
    return Verification(
        intact=brk is None and not problems,
        entries_checked=report.entries_checked,
        head_seq=good_seq,
        head_sha256=report.head_sha256,
        first_break=brk,
        checkpoint_problems=problems,
        checkpoints_checked=len(docs),
    )


async def export_shift(chain: ChainStore, shift_name: str) -> tuple[bytes, str]:
    """The signed bundle (file bytes) of a shift's slice of the chain, as stored, and a file
    name. Checkpoints signed with another key than the current one are left out."""
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
        await chain.checkpoints.find(
            {"room": room, "seq": {"$gte": first, "$lte": last}, "public_key": chain.public_key}
        )
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
        as_stored=StoredSlice(anchor, first, last, last_hash),
    )
    return dump_bundle(bundle), f"{room}-{shift['shift_id']}.dutylog.json"
