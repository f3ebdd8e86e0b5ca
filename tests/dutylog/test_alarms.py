from __future__ import annotations

from collections.abc import Callable

import pytest

from services.dutylog.domain.alarms import (
    Alarm,
    AlarmState,
    IncomingAlert,
    acknowledge,
    alarms_from_log,
    assign,
    escalate,
    open_alarm,
    resolve,
)
from services.dutylog.domain.chain import seal_all
from services.dutylog.domain.entries import EntryKind, References
from services.dutylog.domain.errors import DomainValidationError, IllegalTransition
from services.dutylog.domain.notices import Severity
from tests.dutylog.helpers import HUNG, LAN, MINH, ROOM, SYSTEM, at


def incoming(n: int = 1) -> IncomingAlert:
    return IncomingAlert(
        alert_id=f"seals/SL-{n}/alerts/1",
        source="seal",
        code="LOCK_OPENED",
        severity=Severity.CRITICAL,
        summary="Seal mở khóa ngoài khu vực giám sát trên QL22",
        raised_at=at(0),
        references=References(container_numbers=("CSQU3054383",)),
    )


def opened() -> Alarm:
    return open_alarm(ROOM, incoming(), SYSTEM, at(1)).alarm


def test_incoming_alert_becomes_an_open_alarm_and_an_alert_entry() -> None:
    step = open_alarm(ROOM, incoming(), SYSTEM, at(1))
    assert step.alarm.state is AlarmState.OPEN
    assert step.draft.kind is EntryKind.ALERT
    assert step.draft.references.alert_ids == ("seals/SL-1/alerts/1",)
    assert step.draft.references.container_numbers == ("CSQU3054383",)
    assert "LOCK_OPENED" in step.draft.text


def test_full_legal_path_and_replay_from_log() -> None:
    s0 = open_alarm(ROOM, incoming(), SYSTEM, at(1))
    s1 = acknowledge(s0.alarm, LAN, at(2))
    s2 = assign(s1.alarm, LAN, MINH, at(3), "Kiểm tra camera cổng")
    s3 = escalate(s2.alarm, MINH, "officer:hung", at(4), "Cần lãnh đạo quyết định")
    s4 = assign(s3.alarm, HUNG, LAN, at(5))
    s5 = resolve(s4.alarm, LAN, at(6), "Seal bị lỗi cảm biến, đã thay seal mới, hàng nguyên vẹn")
    states = [s.alarm.state for s in (s0, s1, s2, s3, s4, s5)]
    assert states == [
        AlarmState.OPEN,
        AlarmState.ACKNOWLEDGED,
        AlarmState.ASSIGNED,
        AlarmState.ESCALATED,
        AlarmState.ASSIGNED,
        AlarmState.RESOLVED,
    ]
    assert s2.alarm.assignee == "officer:minh" and s4.alarm.assignee == "officer:lan"
    assert s3.alarm.escalated_to == "officer:hung"
    assert s5.draft.kind is EntryKind.RESULT and not s5.alarm.is_open
    log = seal_all([s.draft for s in (s0, s1, s2, s3, s4, s5)])
    assert alarms_from_log(log) == {s5.alarm.alert_id: s5.alarm}
    assert alarms_from_log(log[:4])[s5.alarm.alert_id] == s3.alarm


def test_acknowledged_alarm_may_be_resolved_directly() -> None:
    step = resolve(acknowledge(opened(), LAN, at(2)).alarm, LAN, at(3), "Báo động giả")
    assert step.alarm.state is AlarmState.RESOLVED
    assert step.alarm.resolution_note == "Báo động giả"


def test_illegal_transitions_carry_the_reason() -> None:
    alarm = opened()
    with pytest.raises(IllegalTransition) as info:
        resolve(alarm, LAN, at(2), "xong")
    assert (info.value.from_state, info.value.to_state) == ("OPEN", "RESOLVED")
    assert "acknowledged first" in info.value.reason
    with pytest.raises(IllegalTransition):
        assign(alarm, LAN, MINH, at(2))
    with pytest.raises(IllegalTransition):
        escalate(alarm, LAN, "officer:hung", at(2), "gấp")
    acked = acknowledge(alarm, LAN, at(2)).alarm
    with pytest.raises(IllegalTransition) as info:
        acknowledge(acked, LAN, at(3))
    assert "already ACKNOWLEDGED" in info.value.reason
    assigned = assign(acked, LAN, MINH, at(3)).alarm
    with pytest.raises(IllegalTransition) as info:
        assign(assigned, LAN, MINH, at(4))
    assert "already assigned" in info.value.reason
    escalated = escalate(assigned, LAN, "officer:hung", at(4), "gấp").alarm
    with pytest.raises(IllegalTransition):
        escalate(escalated, LAN, "officer:hung", at(5), "gấp hơn")
    done = resolve(escalated, HUNG, at(6), "Đã xử lý").alarm
    attempts: list[Callable[[], object]] = [
        lambda: acknowledge(done, LAN, at(7)),
        lambda: assign(done, LAN, MINH, at(7)),
        lambda: escalate(done, LAN, "officer:hung", at(7), "lại"),
        lambda: resolve(done, LAN, at(7), "lại"),
    ]
    for attempt in attempts:
        with pytest.raises(IllegalTransition) as info:
            attempt()
        assert info.value.from_state == "RESOLVED" and "final" in info.value.reason


@pytest.mark.parametrize("note", ["", "   \n\t"])
def test_resolve_without_note_is_rejected(note: str) -> None:
    acked = acknowledge(opened(), LAN, at(2)).alarm
    with pytest.raises(DomainValidationError) as info:
        resolve(acked, LAN, at(3), note)
    assert info.value.field == "note"


def test_escalation_needs_a_reason() -> None:
    acked = acknowledge(opened(), LAN, at(2)).alarm
    with pytest.raises(DomainValidationError) as info:
        escalate(acked, LAN, "officer:hung", at(3), " ")
    assert info.value.field == "reason"


def test_replayed_duplicate_alert_does_not_reopen_the_alarm() -> None:
    first = open_alarm(ROOM, incoming(), SYSTEM, at(1))
    acked = acknowledge(first.alarm, LAN, at(2))
    again = open_alarm(ROOM, incoming(), SYSTEM, at(3))
    log = seal_all([first.draft, acked.draft, again.draft])
    assert alarms_from_log(log)[first.alarm.alert_id].state is AlarmState.ACKNOWLEDGED
