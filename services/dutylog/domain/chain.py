"""The per-room hash chain: sealing drafts and verifying a sequence of sealed entries.

See ``canonical`` for the exact hash definitions.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.dutylog.domain.canonical import (
    GENESIS_SHA256,
    check_sha256,
    content_object,
    content_sha256,
    draft_from_content_object,
    entry_sha256,
)
from services.dutylog.domain.entries import EntryDraft, EntryKind, entry_name
from services.dutylog.domain.errors import DomainValidationError


@dataclass(frozen=True, slots=True)
class SealedEntry:
    """An appended entry: its draft, sequence number and the three hashes."""

    draft: EntryDraft
    seq: int
    content_sha256: str
    prev_sha256: str
    entry_sha256: str

    @property
    def room(self) -> str:
        return self.draft.room

    @property
    def kind(self) -> EntryKind:
        return self.draft.kind

    @property
    def time(self) -> datetime:
        return self.draft.time

    @property
    def name(self) -> str:
        """``rooms/{room}/entries/{seq}``."""
        return entry_name(self.draft.room, self.seq)


def seal_entry(draft: EntryDraft, prev: SealedEntry | None) -> SealedEntry:
    """Give ``draft`` the next sequence number of its room after ``prev`` and its hashes.

    ``prev`` is the current head of the room (None for the first entry). A CORRECTION must
    correct an existing earlier entry.
    """
    if prev is None:
        return seal_after(draft, 0, GENESIS_SHA256)
    if prev.room != draft.room:
        raise DomainValidationError("room", "previous entry belongs to another room")
    return seal_after(draft, prev.seq, prev.entry_sha256)


def seal_after(draft: EntryDraft, head_seq: int, head_sha256: str) -> SealedEntry:
    """Seal ``draft`` after a room head known only by its seq (0 for an empty room) and hash
    (``GENESIS_SHA256`` for an empty room): what storage keeps per room."""
    if head_seq < 0:
        raise DomainValidationError("head_seq", "must not be negative")
    check_sha256(head_sha256, "head_sha256")
    seq, prev_hash = head_seq + 1, head_sha256
    if draft.corrects_seq is not None and draft.corrects_seq >= seq:
        raise DomainValidationError("corrects_seq", "must name an earlier entry of the room")
    content_hash = content_sha256(draft, seq)
    return SealedEntry(
        draft=draft,
        seq=seq,
        content_sha256=content_hash,
        prev_sha256=prev_hash,
        entry_sha256=entry_sha256(prev_hash, content_hash, seq),
    )


def seal_all(drafts: Sequence[EntryDraft], head: SealedEntry | None = None) -> list[SealedEntry]:
    """Seal drafts one after the other, starting after ``head``."""
    out: list[SealedEntry] = []
    for draft in drafts:
        head = seal_entry(draft, head)
        out.append(head)
    return out


class ChainCheck(enum.Enum):
    """Which check failed on the first broken entry."""

    ROOM_MISMATCH = "ROOM_MISMATCH"
    CONTENT_CHANGED = "CONTENT_CHANGED"
    SEQUENCE_GAP = "SEQUENCE_GAP"
    REORDERED = "REORDERED"
    LINK_BROKEN = "LINK_BROKEN"
    ENTRY_HASH_MISMATCH = "ENTRY_HASH_MISMATCH"


_EXPLAIN = {
    ChainCheck.ROOM_MISMATCH: "entry belongs to another room",
    ChainCheck.CONTENT_CHANGED: "content changed (content hash does not match the content)",
    ChainCheck.SEQUENCE_GAP: "sequence gap (an entry was deleted or is missing)",
    ChainCheck.REORDERED: "entries reordered or duplicated",
    ChainCheck.LINK_BROKEN: "link broken (prev hash is not the previous entry's hash)",
    ChainCheck.ENTRY_HASH_MISMATCH: "entry hash changed (does not match prev, content and seq)",
}


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first broken link: the entry as found at ``position`` (0-based) in the input."""

    seq: int
    name: str
    position: int
    check: ChainCheck
    expected: str
    actual: str

    @property
    def explanation(self) -> str:
        """What the failed check means, in words."""
        return _EXPLAIN[self.check]

    @property
    def message(self) -> str:
        return (
            f"entry {self.name} (seq {self.seq}, position {self.position}): "
            f"{_EXPLAIN[self.check]}; expected {self.expected}, found {self.actual}"
        )


@dataclass(frozen=True, slots=True)
class ChainReport:
    """Outcome of ``verify_chain``: OK with the head, or the first break."""

    ok: bool
    entries_checked: int
    head_seq: int | None
    head_sha256: str
    first_break: ChainBreak | None = None


def verify_chain(
    entries: Sequence[SealedEntry],
    *,
    anchor_prev_sha256: str = GENESIS_SHA256,
    first_seq: int = 1,
) -> ChainReport:
    """Recompute the chain over ``entries`` (in the given order) and report the first break.

    A full room log starts at seq 1 after the genesis hash; a slice (an exported shift) passes
    the ``prev_sha256`` its first entry must have and that entry's seq. Checks per entry, in this
    order: room, content hash, sequence (gap vs reordered), link to the previous entry, entry hash.
    ``head_sha256`` is the last good entry hash (the anchor when nothing is good).
    """
    check_sha256(anchor_prev_sha256, "anchor_prev_sha256")
    room = entries[0].room if entries else ""
    present = {e.seq for e in entries}
    expected_seq, prev_hash = first_seq, anchor_prev_sha256
    head_seq: int | None = None
    seen: set[int] = set()
    for position, entry in enumerate(entries):
        problem = _check_entry(entry, room, expected_seq, prev_hash, present, seen)
        if problem is not None:
            check, expected, actual = problem
            brk = ChainBreak(entry.seq, entry.name, position, check, expected, actual)
            return ChainReport(False, position, head_seq, prev_hash, brk)
        seen.add(entry.seq)
        expected_seq, prev_hash, head_seq = entry.seq + 1, entry.entry_sha256, entry.seq
    return ChainReport(True, len(entries), head_seq, prev_hash)


def _check_entry(
    entry: SealedEntry,
    room: str,
    expected_seq: int,
    prev_hash: str,
    present: set[int],
    seen: set[int],
) -> tuple[ChainCheck, str, str] | None:
    if entry.room != room:
        return ChainCheck.ROOM_MISMATCH, room, entry.room
    recomputed = content_sha256(entry.draft, entry.seq)
    if recomputed != entry.content_sha256:
        return ChainCheck.CONTENT_CHANGED, recomputed, entry.content_sha256
    if entry.seq != expected_seq:
        comes_later = expected_seq in present and expected_seq not in seen
        if entry.seq < expected_seq or entry.seq in seen or comes_later:
            return ChainCheck.REORDERED, f"seq {expected_seq}", f"seq {entry.seq}"
        return ChainCheck.SEQUENCE_GAP, f"seq {expected_seq}", f"seq {entry.seq}"
    if entry.prev_sha256 != prev_hash:
        return ChainCheck.LINK_BROKEN, prev_hash, entry.prev_sha256
    recomputed_entry = entry_sha256(entry.prev_sha256, entry.content_sha256, entry.seq)
    if recomputed_entry != entry.entry_sha256:
        return ChainCheck.ENTRY_HASH_MISMATCH, recomputed_entry, entry.entry_sha256
    return None


def entry_to_json(entry: SealedEntry) -> dict[str, Any]:
    """JSON object of a sealed entry: the content object plus the three hashes."""
    obj = content_object(entry.draft, entry.seq)
    obj["content_sha256"] = entry.content_sha256
    obj["prev_sha256"] = entry.prev_sha256
    obj["entry_sha256"] = entry.entry_sha256
    return obj


HASH_KEYS = ("content_sha256", "prev_sha256", "entry_sha256")


def entry_from_json(obj: object) -> SealedEntry:
    """Strictly parse ``entry_to_json`` output. Hashes are parsed, not checked (verify_chain)."""
    if not isinstance(obj, dict):
        raise DomainValidationError("entry", "must be a JSON object")
    hashes = {k: check_sha256(obj.get(k), k) for k in HASH_KEYS}
    draft, seq = draft_from_content_object({k: v for k, v in obj.items() if k not in HASH_KEYS})
    return SealedEntry(draft=draft, seq=seq, **hashes)
