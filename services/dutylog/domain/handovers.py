"""Handovers (bàn giao) between shifts, and the open items that carry over.

A handover closes the outgoing shift with a
HANDOVER_NOTE built from the log (open alarms, open directives, notable entries of the shift);
the incoming shift, once opened, must acknowledge it before ``ack_deadline`` or
``handover_ack_overdue`` produces an alert. Open alarms and directives carry over from shift to
shift until closed; ``carried_over`` computes them from the log alone.

The summary is built from the open items and the shift's own entries (``summarise``), so the
service reads only those (open alarms, open directives, the shift's notable entries) through
indexes; ``build_handover_summary`` builds the same summary from a whole log. The note lists at
most ``MAX_LISTED`` items per section (the handover resource keeps every one).

Entry attributes written: ``shift_event`` = CLOSED and ``shift_id`` (of the outgoing shift);
``handover_event`` (HANDED_OVER, ACKNOWLEDGED), ``handover_id``, ``from_shift``, ``to_shift``,
``ack_deadline``, ``notable_count`` and ``notable_seqs`` (comma-separated; left out when the
list is longer than an attribute may be: the notable entries follow from the log). The service
takes a HANDOVER checkpoint right after appending the HANDED_OVER note (``handed_over``).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.dutylog.domain.alarms import Alarm, AlarmState, alarms_from_log
from services.dutylog.domain.canonical import format_time
from services.dutylog.domain.chain import SealedEntry
from services.dutylog.domain.directives import Directive, DirectiveState, directives_from_log
from services.dutylog.domain.entries import (
    MAX_ATTRIBUTE_CHARS,
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
# Kinds a notable entry can have: the notable kinds, and ACTION for escalations.
NOTABLE_CANDIDATE_KINDS = NOTABLE_KINDS | {EntryKind.ACTION}
MAX_LISTED = 30  # items per section written in the note's text
_MAX_LINE = 160


def is_notable(entry: SealedEntry) -> bool:
    """Alerts, directives, results, corrections and escalations are handed over."""
    return entry.kind in NOTABLE_KINDS or entry.draft.attribute("alarm_state") == "ESCALATED"


def handed_over(entry: SealedEntry) -> bool:
    """True for the HANDOVER_NOTE that closes a shift (a checkpoint is taken there)."""
    return (
        entry.kind is EntryKind.HANDOVER_NOTE
        and entry.draft.attribute("handover_event") == "HANDED_OVER"
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
        """Human-readable text of the handover note (at most MAX_LISTED lines per section)."""
        alarms = [
            f"- {a.alert_id} [{a.severity.value}] {a.code} {a.state.value}"
            + (f", assignee {a.assignee}" if a.assignee else "")
            for a in self.carry_over.open_alarms
        ]
        directives = [
            f"- {d.directive_id} to {d.assignee.display_name}, due {format_time(d.due_at)}"
            for d in self.carry_over.open_directives
        ]
        notable = [
            f"- #{e.seq} {e.kind.value}: {(e.draft.text.strip().splitlines() or [''])[0][:120]}"
            for e in self.notable
        ]
        lines = [f"Handover of shift {self.from_shift_id}."]
        for title, items in (
            ("Open alarms", alarms),
            ("Open directives", directives),
            ("Notable entries", notable),
        ):
            lines.append(f"{title} ({len(items)}):")
            lines += [item[:_MAX_LINE] for item in items[:MAX_LISTED]]
            if len(items) > MAX_LISTED:
                lines.append(f"- ... and {len(items) - MAX_LISTED} more (see the handover)")
        return "\n".join(lines)


def summarise(
    outgoing: Shift, carry: CarryOver, shift_entries: Iterable[SealedEntry]
) -> HandoverSummary:
    """The summary of ``outgoing`` from the open items and the entries written since it opened
    (any superset of its notable entries will do: the others are left out)."""
    notable = tuple(sorted((e for e in shift_entries if is_notable(e)), key=lambda e: e.seq))
    return HandoverSummary(outgoing.shift_id, carry, notable)


def build_handover_summary(entries: Sequence[SealedEntry], outgoing: Shift) -> HandoverSummary:
    """Summary from the room's whole log: open items, and the shift's notable entries (alerts,
    directives, results, corrections and escalations since the shift opened)."""
    start = shift_start_seq(entries, outgoing.shift_id)
    if start is None:
        in_shift = [e for e in entries if e.time >= outgoing.started_at]
    else:
        in_shift = [e for e in entries if e.seq >= start]
    return summarise(outgoing, carried_over(entries), in_shift)


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
    summary: HandoverSummary,
    author: Officer,
    time: datetime,
    ack_within: timedelta,
) -> HandoverStep:
    """Close ``outgoing`` with a HANDOVER_NOTE of ``summary``; returns the closed shift."""
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
    if summary.from_shift_id != outgoing.shift_id:
        raise DomainValidationError("summary", "is the summary of another shift")
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
            ("notable_count", str(len(notable))),
            *_notable_seqs(notable),
            ("shift_event", "CLOSED"),
            ("shift_id", outgoing.shift_id),
        ),
    )
    return HandoverStep(dataclasses.replace(outgoing, ended_at=time), handover, draft)


def _notable_seqs(seqs: Sequence[int]) -> tuple[tuple[str, str], ...]:
    listed = ",".join(str(s) for s in seqs)
    return (("notable_seqs", listed),) if len(listed) <= MAX_ATTRIBUTE_CHARS else ()


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
