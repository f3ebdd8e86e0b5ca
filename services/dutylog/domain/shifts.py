"""Shifts (ca trực) of a monitoring room: at most one open shift per room.

Opening a shift appends an OBSERVATION entry with attributes ``shift_event`` = OPENED and
``shift_id``; the shift is closed by its handover (see ``handovers``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from services.dutylog.domain.chain import SealedEntry
from services.dutylog.domain.entries import (
    EntryDraft,
    EntryKind,
    Officer,
    check_name,
    check_room,
    check_utc,
)
from services.dutylog.domain.errors import DomainValidationError, IllegalTransition


@dataclass(frozen=True, slots=True)
class Shift:
    """A shift of a room; open while ``ended_at`` is None."""

    shift_id: str
    room: str
    leader: Officer
    officers: tuple[Officer, ...]
    started_at: datetime
    ended_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    def has_officer(self, officer: Officer) -> bool:
        return any(o.subject == officer.subject for o in self.officers)


@dataclass(frozen=True, slots=True)
class ShiftStep:
    """A shift after a step and the entry to append."""

    shift: Shift
    draft: EntryDraft


def check_can_open_shift(room: str, shift_id: str, current_open: Shift | None) -> None:
    """Refuse to open a shift while another shift of the room is open."""
    if current_open is not None and current_open.is_open and current_open.room == room:
        raise IllegalTransition(
            f"rooms/{room}/shifts/{shift_id}",
            "NOT_STARTED",
            "OPEN",
            f"shift {current_open.shift_id} of room {room} is still open; hand it over first",
        )


def open_shift(
    shift_id: str,
    room: str,
    leader: Officer,
    officers: Sequence[Officer],
    time: datetime,
    current_open: Shift | None,
) -> ShiftStep:
    """Open a shift (the leader is always one of its officers)."""
    check_room(room)
    check_name(shift_id, "shift_id")
    check_can_open_shift(room, shift_id, current_open)
    members = [leader] + [o for o in officers if o.subject != leader.subject]
    if len({o.subject for o in members}) != len(members):
        raise DomainValidationError("officers", "an officer is listed twice")
    shift = Shift(shift_id, room, leader, tuple(members), check_utc(time, "time"))
    names = ", ".join(f"{o.display_name} ({o.department.value})" for o in members)
    draft = EntryDraft(
        room=room,
        kind=EntryKind.OBSERVATION,
        author=leader,
        time=time,
        text=f"Shift {shift_id} opened, leader {leader.display_name}; officers: {names}",
        attributes=(("shift_event", "OPENED"), ("shift_id", shift_id)),
    )
    return ShiftStep(shift, draft)


def shift_start_seq(entries: Sequence[SealedEntry], shift_id: str) -> int | None:
    """Seq of the entry that opened ``shift_id``, if it is in ``entries``."""
    for e in entries:
        if e.draft.attribute("shift_event") == "OPENED" and e.draft.attribute("shift_id") == (
            shift_id
        ):
            return e.seq
    return None
