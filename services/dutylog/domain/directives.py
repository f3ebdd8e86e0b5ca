"""Directives (ý kiến chỉ đạo): issued to an assignee with a due time, closed by a result.

A directive is issued as a DIRECTIVE entry and closed by a RESULT entry; both carry the
directive id as the only ``references.directive_ids`` item. Attributes written:
``directive_event`` (ISSUED or CLOSED); on ISSUED also ``assignee``, ``assignee_name``,
``assignee_department`` and ``due_at`` (canonical time). ``directives_from_log`` rebuilds them.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from services.dutylog.domain.canonical import format_time, parse_time
from services.dutylog.domain.chain import SealedEntry
from services.dutylog.domain.entries import (
    EntryDraft,
    EntryKind,
    Officer,
    References,
    check_name,
    check_text,
    check_utc,
    parse_department,
)
from services.dutylog.domain.errors import DomainValidationError, IllegalTransition
from services.dutylog.domain.notices import AlertDescription, Severity

DIRECTIVE_OVERDUE = "DIRECTIVE_OVERDUE"


class DirectiveState(enum.Enum):
    """OPEN until a result closes it."""

    OPEN = "OPEN"
    CLOSED = "CLOSED"


@dataclass(frozen=True, slots=True)
class Directive:
    """A directive of a room."""

    directive_id: str
    room: str
    issued_by: str
    assignee: Officer
    text: str
    issued_at: datetime
    due_at: datetime
    state: DirectiveState = DirectiveState.OPEN
    closed_at: datetime | None = None
    result_text: str | None = None

    def is_overdue(self, now: datetime) -> bool:
        """Still open after its due time."""
        return self.state is DirectiveState.OPEN and check_utc(now, "now") > self.due_at


@dataclass(frozen=True, slots=True)
class DirectiveStep:
    """The directive after a step and the entry to append."""

    directive: Directive
    draft: EntryDraft


def issue_directive(
    directive_id: str,
    room: str,
    issued_by: Officer,
    assignee: Officer,
    text: str,
    time: datetime,
    due_at: datetime,
    references: References | None = None,
) -> DirectiveStep:
    """Issue a directive to ``assignee``, due at ``due_at`` (after ``time``)."""
    check_name(directive_id, "directive_id")
    check_text(text, "text")
    time = check_utc(time, "time")
    due_at = check_utc(due_at, "due_at")
    if due_at <= time:
        raise DomainValidationError("due_at", "must be after the time the directive is issued")
    refs = dataclasses.replace(references or References(), directive_ids=(directive_id,))
    draft = EntryDraft(
        room=room,
        kind=EntryKind.DIRECTIVE,
        author=issued_by,
        time=time,
        text=text,
        references=refs,
        attributes=(
            ("assignee", assignee.subject),
            ("assignee_department", assignee.department.value),
            ("assignee_name", assignee.display_name),
            ("directive_event", "ISSUED"),
            ("due_at", format_time(due_at)),
        ),
    )
    directive = apply_entry(None, draft)
    assert directive is not None
    return DirectiveStep(directive, draft)


def close_directive(
    directive: Directive, author: Officer, time: datetime, result_text: str
) -> DirectiveStep:
    """Close an open directive with its result (a RESULT entry whose text is the result)."""
    if not isinstance(result_text, str) or not result_text.strip():
        raise DomainValidationError("result_text", "a directive result must not be empty")
    if directive.state is not DirectiveState.OPEN:
        raise IllegalTransition(
            f"directives/{directive.directive_id}",
            directive.state.value,
            DirectiveState.CLOSED.value,
            "the directive is already closed",
        )
    draft = EntryDraft(
        room=directive.room,
        kind=EntryKind.RESULT,
        author=author,
        time=time,
        text=result_text,
        references=References(directive_ids=(directive.directive_id,)),
        attributes=(("directive_event", "CLOSED"),),
    )
    new = apply_entry(directive, draft)
    assert new is not None
    return DirectiveStep(new, draft)


def overdue_alerts(directives: Iterable[Directive], now: datetime) -> list[AlertDescription]:
    """One alert description per open directive past its due time."""
    now = check_utc(now, "now")
    alerts = []
    for d in directives:
        if d.is_overdue(now):
            late = now - d.due_at
            alerts.append(
                AlertDescription(
                    code=DIRECTIVE_OVERDUE,
                    room=d.room,
                    severity=Severity.WARNING,
                    subject=d.directive_id,
                    summary=(
                        f"Directive {d.directive_id} assigned to {d.assignee.display_name} "
                        f"({d.assignee.subject}) was due {format_time(d.due_at)} and has no "
                        f"result ({int(late.total_seconds() // 60)} min late)"
                    ),
                    raised_at=now,
                )
            )
    return alerts


def apply_entry(directive: Directive | None, draft: EntryDraft) -> Directive | None:
    """The directive after ``draft`` (unchanged when the draft is not a step of it)."""
    event = draft.attribute("directive_event")
    if event is None or len(draft.references.directive_ids) != 1:
        return directive
    if event == "ISSUED" and draft.kind is EntryKind.DIRECTIVE and directive is None:
        assignee = Officer(
            subject=draft.attribute("assignee") or "",
            display_name=draft.attribute("assignee_name") or "",
            department=parse_department(draft.attribute("assignee_department") or ""),
        )
        return Directive(
            directive_id=draft.references.directive_ids[0],
            room=draft.room,
            issued_by=draft.author.subject,
            assignee=assignee,
            text=draft.text,
            issued_at=draft.time,
            due_at=parse_time(draft.attribute("due_at"), "due_at"),
        )
    if event == "CLOSED" and directive is not None and directive.state is DirectiveState.OPEN:
        return dataclasses.replace(
            directive, state=DirectiveState.CLOSED, closed_at=draft.time, result_text=draft.text
        )
    return directive


def directives_from_log(entries: Iterable[SealedEntry]) -> dict[str, Directive]:
    """Rebuild every directive of a room from its log, keyed by id (in first-seen order).

    A malformed DIRECTIVE entry (missing assignee or due time) is skipped, not fatal.
    """
    directives: dict[str, Directive] = {}
    for entry in entries:
        draft = entry.draft
        if draft.attribute("directive_event") is None or len(draft.references.directive_ids) != 1:
            continue
        directive_id = draft.references.directive_ids[0]
        try:
            new = apply_entry(directives.get(directive_id), draft)
        except DomainValidationError:
            continue
        if new is not None:
            directives[directive_id] = new
    return directives
