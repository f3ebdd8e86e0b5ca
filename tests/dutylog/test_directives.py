from __future__ import annotations

from datetime import timedelta

import pytest

from services.dutylog.domain.chain import seal_all
from services.dutylog.domain.directives import (
    DIRECTIVE_OVERDUE,
    DirectiveState,
    DirectiveStep,
    close_directive,
    directives_from_log,
    issue_directive,
    overdue_alerts,
)
from services.dutylog.domain.entries import EntryKind
from services.dutylog.domain.errors import DomainValidationError, IllegalTransition
from tests.dutylog.helpers import HUNG, LAN, ROOM, at


def issue(n: int = 1, due_minutes: float = 60) -> DirectiveStep:
    return issue_directive(
        f"dir-{n}",
        ROOM,
        HUNG,
        LAN,
        "Soi chiếu 100% container CSQU3054383 trước khi cho qua",
        at(0),
        at(due_minutes),
    )


def test_issue_and_close_with_a_result() -> None:
    issued = issue()
    d = issued.directive
    assert issued.draft.kind is EntryKind.DIRECTIVE
    assert issued.draft.references.directive_ids == ("dir-1",)
    assert d.assignee == LAN and d.state is DirectiveState.OPEN and d.due_at == at(60)
    closed = close_directive(d, LAN, at(30), "Đã soi, không phát hiện bất thường")
    assert closed.draft.kind is EntryKind.RESULT
    assert closed.draft.references.directive_ids == ("dir-1",)
    assert closed.directive.state is DirectiveState.CLOSED
    assert closed.directive.closed_at == at(30)
    log = seal_all([issued.draft, closed.draft])
    assert directives_from_log(log[:1]) == {"dir-1": d}
    assert directives_from_log(log) == {"dir-1": closed.directive}


def test_close_twice_and_empty_result_are_refused() -> None:
    d = issue().directive
    with pytest.raises(DomainValidationError) as info:
        close_directive(d, LAN, at(5), "  ")
    assert info.value.field == "result_text"
    closed = close_directive(d, LAN, at(5), "Xong").directive
    with pytest.raises(IllegalTransition) as ill:
        close_directive(closed, LAN, at(6), "Xong lần nữa")
    assert ill.value.from_state == "CLOSED"


def test_due_time_must_follow_issue_time() -> None:
    with pytest.raises(DomainValidationError) as info:
        issue(due_minutes=0)
    assert info.value.field == "due_at"


def test_overdue_detection() -> None:
    open_one = issue(1, 60).directive
    later = issue(2, 240).directive
    done = close_directive(issue(3, 30).directive, LAN, at(20), "Đã xong").directive
    directives = [open_one, later, done]
    assert overdue_alerts(directives, at(60)) == []
    alerts = overdue_alerts(directives, at(90))
    assert [a.subject for a in alerts] == ["dir-1"]
    alert = alerts[0]
    assert alert.code == DIRECTIVE_OVERDUE and alert.room == ROOM
    assert "30 min late" in alert.summary and LAN.display_name in alert.summary
    assert alert.raised_at == at(90)
    assert [a.subject for a in overdue_alerts(directives, at(60) + timedelta(hours=4))] == [
        "dir-1",
        "dir-2",
    ]
