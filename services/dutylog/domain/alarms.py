"""Alarm lifecycle: every alert of the other services becomes an alarm of a room.

States: OPEN -> ACKNOWLEDGED -> (ASSIGNED <-> ESCALATED) -> RESOLVED. Allowed moves:

=============  ==========================================
from           to
=============  ==========================================
OPEN           ACKNOWLEDGED
ACKNOWLEDGED   ASSIGNED, ESCALATED, RESOLVED
ASSIGNED       ASSIGNED (to another officer), ESCALATED, RESOLVED
ESCALATED      ASSIGNED, RESOLVED
RESOLVED       (none: a resolved alarm is final)
=============  ==========================================

Resolving needs a non-empty note; escalating needs a reason. Each step returns the new alarm and
the entry draft the service appends; the alarm state is always derived from the draft by
``apply_entry``, which ``alarms_from_log`` also uses to rebuild alarms from the log.

Entry attributes written: ``alarm_state`` on every step; ``alarm_code``, ``severity``,
``source`` on the ALERT entry; ``assignee`` (officer subject) on ASSIGNED; ``escalated_to`` on
ESCALATED. The alarm is identified by the alert id (the alert's name in its service), carried as
the only ``references.alert_ids`` item.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from services.dutylog.domain.chain import SealedEntry
from services.dutylog.domain.entries import (
    EntryDraft,
    EntryKind,
    Officer,
    References,
    check_name,
    check_text,
    check_utc,
)
from services.dutylog.domain.errors import DomainValidationError, IllegalTransition
from services.dutylog.domain.notices import Severity


class AlarmState(enum.Enum):
    """Where an alarm is in its lifecycle."""

    OPEN = "OPEN"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    ASSIGNED = "ASSIGNED"
    ESCALATED = "ESCALATED"
    RESOLVED = "RESOLVED"


ALLOWED: dict[AlarmState, frozenset[AlarmState]] = {
    AlarmState.OPEN: frozenset({AlarmState.ACKNOWLEDGED}),
    AlarmState.ACKNOWLEDGED: frozenset(
        {AlarmState.ASSIGNED, AlarmState.ESCALATED, AlarmState.RESOLVED}
    ),
    AlarmState.ASSIGNED: frozenset(
        {AlarmState.ASSIGNED, AlarmState.ESCALATED, AlarmState.RESOLVED}
    ),
    AlarmState.ESCALATED: frozenset({AlarmState.ASSIGNED, AlarmState.RESOLVED}),
    AlarmState.RESOLVED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class IncomingAlert:
    """An alert received from another service (scanner, camera, seal)."""

    alert_id: str
    source: str
    code: str
    severity: Severity
    summary: str
    raised_at: datetime
    references: References = dataclasses.field(default_factory=References)

    def __post_init__(self) -> None:
        check_name(self.alert_id, "alert_id")
        check_name(self.source, "source")
        check_name(self.code, "code")
        if not isinstance(self.severity, Severity):
            raise DomainValidationError("severity", f"unknown severity {self.severity!r}")
        check_text(self.summary, "summary")
        object.__setattr__(self, "raised_at", check_utc(self.raised_at, "raised_at"))


@dataclass(frozen=True, slots=True)
class Alarm:
    """An alarm of a room, as rebuilt from its entries."""

    alert_id: str
    room: str
    code: str
    severity: Severity
    summary: str
    state: AlarmState
    opened_at: datetime
    updated_at: datetime
    assignee: str | None = None
    escalated_to: str | None = None
    resolution_note: str | None = None

    @property
    def is_open(self) -> bool:
        return self.state is not AlarmState.RESOLVED


@dataclass(frozen=True, slots=True)
class AlarmStep:
    """Result of a lifecycle step: the alarm after it and the entry to append."""

    alarm: Alarm
    draft: EntryDraft


def _check(alarm: Alarm, target: AlarmState, reason: str | None = None) -> None:
    if target not in ALLOWED[alarm.state]:
        if reason is None:
            if alarm.state is AlarmState.RESOLVED:
                reason = "the alarm is resolved; resolved alarms are final"
            elif alarm.state is AlarmState.OPEN:
                reason = "the alarm must be acknowledged first"
            elif target is alarm.state:
                reason = f"the alarm is already {alarm.state.value}"
            else:
                reason = f"{alarm.state.value} cannot move to {target.value}"
        raise IllegalTransition(f"alarms/{alarm.alert_id}", alarm.state.value, target.value, reason)


def open_alarm(room: str, alert: IncomingAlert, recorded_by: Officer, time: datetime) -> AlarmStep:
    """Record an incoming alert as a new OPEN alarm (an ALERT entry)."""
    refs = alert.references
    if alert.alert_id not in refs.alert_ids:
        refs = dataclasses.replace(refs, alert_ids=(alert.alert_id,))
    draft = EntryDraft(
        room=room,
        kind=EntryKind.ALERT,
        author=recorded_by,
        time=time,
        text=f"[{alert.severity.value}] {alert.code} from {alert.source}: {alert.summary}",
        references=refs,
        attributes=(
            ("alarm_code", alert.code),
            ("alarm_state", AlarmState.OPEN.value),
            ("severity", alert.severity.value),
            ("source", alert.source),
            ("summary", alert.summary[:2000]),
        ),
    )
    alarm = apply_entry(None, draft)
    assert alarm is not None
    return AlarmStep(alarm, draft)


def _step(
    alarm: Alarm,
    kind: EntryKind,
    author: Officer,
    time: datetime,
    text: str,
    attributes: tuple[tuple[str, str], ...],
) -> AlarmStep:
    draft = EntryDraft(
        room=alarm.room,
        kind=kind,
        author=author,
        time=time,
        text=text,
        references=References(alert_ids=(alarm.alert_id,)),
        attributes=attributes,
    )
    new = apply_entry(alarm, draft)
    assert new is not None
    return AlarmStep(new, draft)


def acknowledge(alarm: Alarm, officer: Officer, time: datetime, note: str = "") -> AlarmStep:
    """OPEN -> ACKNOWLEDGED."""
    _check(alarm, AlarmState.ACKNOWLEDGED)
    text = f"Alarm {alarm.alert_id} acknowledged by {officer.display_name}"
    text += f": {note}" if note.strip() else "."
    return _step(alarm, EntryKind.ACTION, officer, time, text, (("alarm_state", "ACKNOWLEDGED"),))


def assign(
    alarm: Alarm, officer: Officer, assignee: Officer, time: datetime, note: str = ""
) -> AlarmStep:
    """-> ASSIGNED to ``assignee`` (reassigning to the same officer is refused)."""
    if alarm.state is AlarmState.ASSIGNED and alarm.assignee == assignee.subject:
        raise IllegalTransition(
            f"alarms/{alarm.alert_id}",
            "ASSIGNED",
            "ASSIGNED",
            f"already assigned to {assignee.subject}",
        )
    _check(alarm, AlarmState.ASSIGNED)
    text = f"Alarm {alarm.alert_id} assigned to {assignee.display_name} ({assignee.subject})"
    text += f": {note}" if note.strip() else "."
    attributes = (("alarm_state", "ASSIGNED"), ("assignee", assignee.subject))
    return _step(alarm, EntryKind.ACTION, officer, time, text, attributes)


def escalate(
    alarm: Alarm, officer: Officer, escalated_to: str, time: datetime, reason: str
) -> AlarmStep:
    """-> ESCALATED to ``escalated_to`` (a supervisor's subject or a unit); needs a reason."""
    check_name(escalated_to, "escalated_to")
    check_text(reason, "reason")
    _check(alarm, AlarmState.ESCALATED)
    text = f"Alarm {alarm.alert_id} escalated to {escalated_to}: {reason}"
    attributes = (("alarm_state", "ESCALATED"), ("escalated_to", escalated_to))
    return _step(alarm, EntryKind.ACTION, officer, time, text, attributes)


def resolve(alarm: Alarm, officer: Officer, time: datetime, note: str) -> AlarmStep:
    """-> RESOLVED with a mandatory, non-empty note (a RESULT entry whose text is the note)."""
    if not isinstance(note, str) or not note.strip():
        raise DomainValidationError("note", "resolving an alarm needs a non-empty note")
    _check(alarm, AlarmState.RESOLVED)
    return _step(alarm, EntryKind.RESULT, officer, time, note, (("alarm_state", "RESOLVED"),))


def apply_entry(alarm: Alarm | None, draft: EntryDraft) -> Alarm | None:
    """The alarm after ``draft`` (None when the draft is not an alarm step for it)."""
    state_name = draft.attribute("alarm_state")
    if state_name is None or len(draft.references.alert_ids) != 1:
        return alarm
    try:
        state = AlarmState(state_name)
    except ValueError:
        return alarm
    if state is AlarmState.OPEN and draft.kind is EntryKind.ALERT:
        if alarm is not None:
            return alarm
        try:
            severity = Severity(draft.attribute("severity") or "")
        except ValueError:
            severity = Severity.WARNING
        return Alarm(
            alert_id=draft.references.alert_ids[0],
            room=draft.room,
            code=draft.attribute("alarm_code") or "UNKNOWN",
            severity=severity,
            summary=draft.attribute("summary") or draft.text,
            state=AlarmState.OPEN,
            opened_at=draft.time,
            updated_at=draft.time,
        )
    if alarm is None or state is AlarmState.OPEN:
        return alarm
    changes: dict[str, object] = {"state": state, "updated_at": draft.time}
    if state is AlarmState.ASSIGNED:
        changes["assignee"] = draft.attribute("assignee")
    elif state is AlarmState.ESCALATED:
        changes["escalated_to"] = draft.attribute("escalated_to")
    elif state is AlarmState.RESOLVED:
        changes["resolution_note"] = draft.text
    return dataclasses.replace(alarm, **changes)  # type: ignore[arg-type]


def alarms_from_log(entries: Iterable[SealedEntry]) -> dict[str, Alarm]:
    """Rebuild every alarm of a room from its log, keyed by alert id (in first-seen order)."""
    alarms: dict[str, Alarm] = {}
    for entry in entries:
        draft = entry.draft
        if draft.attribute("alarm_state") is None or len(draft.references.alert_ids) != 1:
            continue
        alert_id = draft.references.alert_ids[0]
        new = apply_entry(alarms.get(alert_id), draft)
        if new is not None:
            alarms[alert_id] = new
    return alarms
