"""Handovers (bàn giao) between shifts, and the open items that carry over.

A handover closes the outgoing shift with a
HANDOVER_NOTE built from the log (open alarms, open directives, notable entries of the shift);
the incoming shift, once opened, must acknowledge it before ``ack_deadline`` or
``handover_ack_overdue`` produces an alert. Open alarms and directives carry over from shift to
shift until closed; ``carried_over`` computes them from the log alone.

Entry attributes written: ``shift_event`` = CLOSED and ``shift_id`` (of the outgoing shift);
``handover_event`` (HANDED_OVER, ACKNOWLEDGED), ``handover_id``, ``from_shift``, ``to_shift``,
``ack_deadline`` and ``notable_seqs`` (comma-separated). The service takes a HANDOVER checkpoint
right after appending the HANDED_OVER note.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.dutylog.domain.alarms import Alarm, AlarmState, alarms_from_log
from services.dutylog.domain.canonical import format_time
from services.dutylog.domain.chain import SealedEntry
from services.dutylog.domain.directives import Directive, DirectiveState, directives_from_log
from services.dutylog.domain.entries import (
    EntryDraft,
    EntryKind,
    Officer,
    References,
    check_name,
    check_utc,
)
from services.dutylog.domain.errors import DomainValidationError, IllegalTransition
from services.dutylog.domain.notices import AlertDescription, Severity
from services.dutylog.domain.shifts import Shift, shift_start_seq

HANDOVER_UNACKNOWLEDGED = "HANDOVER_UNACKNOWLEDGED"
NOTABLE_KINDS = frozenset(
    {EntryKind.ALERT, EntryKind.DIRECTIVE, EntryKind.RESULT, EntryKind.CORRECTION}
)


@dataclass(frozen=True, slots=True)
class CarryOver:
    """Open items at a point of the log."""

    open_alarms: tuple[Alarm, ...]
    open_directives: tuple[Directive, ...]

    @property
    def alert_ids(self) -> tuple[str, ...]:
        return tuple(a.alert_id for a in self.open_alarms)

    @property
    def directive_ids(self) -> tuple[str, ...]:
        return tuple(d.directive_id for d in self.open_directives)


def carried_over(entries: Sequence[SealedEntry]) -> CarryOver:
    """Alarms not RESOLVED and directives not CLOSED after ``entries`` (a room's log in order)."""
    alarms = alarms_from_log(entries).values()
    directives = directives_from_log(entries).values()
    return CarryOver(
        tuple(a for a in alarms if a.state is not AlarmState.RESOLVED),
        tuple(d for d in directives if d.state is DirectiveState.OPEN),
    )


@dataclass(frozen=True, slots=True)
class HandoverSummary:
    """What the outgoing shift hands over."""

    from_shift_id: str
    carry_over: CarryOver
    notable: tuple[SealedEntry, ...]

    def render(self) -> str:
        """Human-readable text of the handover note."""
        lines = [f"Handover of shift {self.from_shift_id}."]
        lines.append(f"Open alarms ({len(self.carry_over.open_alarms)}):")
        for a in self.carry_over.open_alarms:
            who = f", assignee {a.assignee}" if a.assignee else ""
            lines.append(f"- {a.alert_id} [{a.severity.value}] {a.code} {a.state.value}{who}")
        lines.append(f"Open directives ({len(self.carry_over.open_directives)}):")
        for d in self.carry_over.open_directives:
            lines.append(
                f"- {d.directive_id} to {d.assignee.display_name}, due {format_time(d.due_at)}"
            )
        lines.append(f"Notable entries ({len(self.notable)}):")
        for e in self.notable:
            lines.append(f"- #{e.seq} {e.kind.value}: {e.draft.text.splitlines()[0][:120]}")
        return "\n".join(lines)


def build_handover_summary(entries: Sequence[SealedEntry], outgoing: Shift) -> HandoverSummary:
    """Summary from the room's log: open items, and the shift's notable entries (alerts,
    directives, results, corrections and escalations since the shift opened)."""
    start = shift_start_seq(entries, outgoing.shift_id)
    if start is None:
        in_shift = [e for e in entries if e.time >= outgoing.started_at]
    else:
        in_shift = [e for e in entries if e.seq >= start]
    notable = tuple(
        e
        for e in in_shift
        if e.kind in NOTABLE_KINDS or e.draft.attribute("alarm_state") == "ESCALATED"
    )
    return HandoverSummary(outgoing.shift_id, carried_over(entries), notable)


class HandoverState(enum.Enum):
    """PENDING until the incoming shift acknowledges."""

    PENDING = "PENDING"
    ACKNOWLEDGED = "ACKNOWLEDGED"


@dataclass(frozen=True, slots=True)
class Handover:
    """A handover from one shift to the next."""

    handover_id: str
    room: str
    from_shift_id: str
    created_at: datetime
    ack_deadline: datetime
    open_alert_ids: tuple[str, ...]
    open_directive_ids: tuple[str, ...]
    notable_seqs: tuple[int, ...]
    state: HandoverState = HandoverState.PENDING
    to_shift_id: str | None = None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class HandoverStep:
    """Result of a handover step: the shift concerned, the handover and the entry to append."""

    shift: Shift
    handover: Handover
    draft: EntryDraft


def hand_over(
    handover_id: str,
    outgoing: Shift,
    entries: Sequence[SealedEntry],
    author: Officer,
    time: datetime,
    ack_within: timedelta,
) -> HandoverStep:
    """Close ``outgoing`` with a HANDOVER_NOTE summarising the log; returns the closed shift."""
    check_name(handover_id, "handover_id")
    time = check_utc(time, "time")
    if not outgoing.is_open:
        raise IllegalTransition(
            f"rooms/{outgoing.room}/shifts/{outgoing.shift_id}",
            "CLOSED",
            "CLOSED",
            "the shift is already closed",
        )
    if not outgoing.has_officer(author):
        raise DomainValidationError("author", "must be an officer of the outgoing shift")
    if ack_within <= timedelta(0):
        raise DomainValidationError("ack_within", "must be positive")
    summary = build_handover_summary(entries, outgoing)
    deadline = time + ack_within
    notable = tuple(e.seq for e in summary.notable)
    handover = Handover(
        handover_id=handover_id,
        room=outgoing.room,
        from_shift_id=outgoing.shift_id,
        created_at=time,
        ack_deadline=deadline,
        open_alert_ids=summary.carry_over.alert_ids,
        open_directive_ids=summary.carry_over.directive_ids,
        notable_seqs=notable,
    )
    draft = EntryDraft(
        room=outgoing.room,
        kind=EntryKind.HANDOVER_NOTE,
        author=author,
        time=time,
        text=summary.render(),
        references=References(
            alert_ids=handover.open_alert_ids, directive_ids=handover.open_directive_ids
        ),
        attributes=(
            ("ack_deadline", format_time(deadline)),
            ("from_shift", outgoing.shift_id),
            ("handover_event", "HANDED_OVER"),
            ("handover_id", handover_id),
            ("notable_seqs", ",".join(str(s) for s in notable)),
            ("shift_event", "CLOSED"),
            ("shift_id", outgoing.shift_id),
        ),
    )
    return HandoverStep(dataclasses.replace(outgoing, ended_at=time), handover, draft)


def acknowledge_handover(
    handover: Handover, incoming: Shift, officer: Officer, time: datetime
) -> HandoverStep:
    """The incoming (open) shift takes over the open items."""
    time = check_utc(time, "time")
    subject = f"rooms/{handover.room}/handovers/{handover.handover_id}"
    if handover.state is not HandoverState.PENDING:
        raise IllegalTransition(
            subject, handover.state.value, "ACKNOWLEDGED", "the handover is already acknowledged"
        )
    if not incoming.is_open or incoming.room != handover.room:
        raise IllegalTransition(
            subject, "PENDING", "ACKNOWLEDGED", "the incoming shift must be open in the same room"
        )
    if incoming.shift_id == handover.from_shift_id:
        raise IllegalTransition(
            subject, "PENDING", "ACKNOWLEDGED", "the outgoing shift cannot acknowledge itself"
        )
    if not incoming.has_officer(officer):
        raise DomainValidationError("officer", "must be an officer of the incoming shift")
    new = dataclasses.replace(
        handover,
        state=HandoverState.ACKNOWLEDGED,
        to_shift_id=incoming.shift_id,
        acknowledged_by=officer.subject,
        acknowledged_at=time,
    )
    draft = EntryDraft(
        room=handover.room,
        kind=EntryKind.HANDOVER_NOTE,
        author=officer,
        time=time,
        text=(
            f"Handover {handover.handover_id} from shift {handover.from_shift_id} acknowledged "
            f"by {officer.display_name} for shift {incoming.shift_id}: "
            f"{len(handover.open_alert_ids)} open alarms, "
            f"{len(handover.open_directive_ids)} open directives taken over."
        ),
        references=References(
            alert_ids=handover.open_alert_ids, directive_ids=handover.open_directive_ids
        ),
        attributes=(
            ("handover_event", "ACKNOWLEDGED"),
            ("handover_id", handover.handover_id),
            ("to_shift", incoming.shift_id),
        ),
    )
    return HandoverStep(incoming, new, draft)


def handover_ack_overdue(handover: Handover, now: datetime) -> AlertDescription | None:
    """An alert when the handover is still unacknowledged after its deadline."""
    now = check_utc(now, "now")
    if handover.state is not HandoverState.PENDING or now <= handover.ack_deadline:
        return None
    return AlertDescription(
        code=HANDOVER_UNACKNOWLEDGED,
        room=handover.room,
        severity=Severity.WARNING,
        subject=handover.handover_id,
        summary=(
            f"Handover {handover.handover_id} from shift {handover.from_shift_id} not "
            f"acknowledged by {format_time(handover.ack_deadline)} "
            f"({len(handover.open_alert_ids)} open alarms, "
            f"{len(handover.open_directive_ids)} open directives)"
        ),
        raised_at=now,
    )
