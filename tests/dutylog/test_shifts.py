from __future__ import annotations

from datetime import timedelta

import pytest

from services.dutylog.domain.alarms import (
    IncomingAlert,
    acknowledge,
    alarms_from_log,
    assign,
    escalate,
    open_alarm,
    resolve,
)
from services.dutylog.domain.chain import SealedEntry, seal_entry, verify_chain
from services.dutylog.domain.directives import close_directive, directives_from_log, issue_directive
from services.dutylog.domain.entries import EntryDraft, EntryKind
from services.dutylog.domain.errors import DomainValidationError, IllegalTransition
from services.dutylog.domain.handovers import (
    HANDOVER_UNACKNOWLEDGED,
    MAX_LISTED,
    HandoverState,
    HandoverSummary,
    acknowledge_handover,
    build_handover_summary,
    carried_over,
    hand_over,
    handover_ack_overdue,
    summarise,
)
from services.dutylog.domain.notices import Severity
from services.dutylog.domain.shifts import Shift, check_can_open_shift, open_shift
from tests.dutylog.helpers import HUNG, LAN, MINH, ROOM, SYSTEM, THAO, at


def summary(shift: Shift, entries: list[SealedEntry]) -> HandoverSummary:
    """The handover summary of ``shift`` from the whole log, as the domain defines it."""
    return build_handover_summary(entries, shift)


class Log:
    """A room log being appended to, as the service would."""

    def __init__(self) -> None:
        self.entries: list[SealedEntry] = []

    def append(self, draft: EntryDraft) -> SealedEntry:
        entry = seal_entry(draft, self.entries[-1] if self.entries else None)
        self.entries.append(entry)
        return entry


def alert(n: int, minutes: float) -> IncomingAlert:
    return IncomingAlert(
        f"camera/alerts/{n}",
        "camera",
        "WEIGHT_MISMATCH",
        Severity.WARNING,
        f"Chênh lệch trọng lượng xe số {n}",
        at(minutes),
    )


def test_at_most_one_open_shift_per_room() -> None:
    first = open_shift("S1", ROOM, LAN, [MINH], at(0), current_open=None).shift
    assert first.is_open and [o.subject for o in first.officers] == [LAN.subject, MINH.subject]
    with pytest.raises(IllegalTransition) as info:
        open_shift("S2", ROOM, HUNG, [THAO], at(1), current_open=first)
    assert "S1" in info.value.reason and info.value.to_state == "OPEN"
    with pytest.raises(IllegalTransition):
        check_can_open_shift(ROOM, "S2", first)
    check_can_open_shift("HN-LONGBIEN", "S9", first)  # another room is independent
    closed = hand_over("H1", first, summary(first, []), LAN, at(5), timedelta(minutes=30)).shift
    assert not closed.is_open
    assert open_shift("S2", ROOM, HUNG, [THAO], at(6), current_open=closed).shift.is_open


def test_shift_lists_each_officer_once() -> None:
    with pytest.raises(DomainValidationError) as info:
        open_shift("S1", ROOM, LAN, [MINH, MINH], at(0), current_open=None)
    assert info.value.field == "officers"


def test_open_items_carry_over_across_two_handovers() -> None:
    log = Log()
    # --- shift 1: two alarms, one directive
    s1 = open_shift("S1", ROOM, LAN, [MINH], at(0), None)
    log.append(s1.draft)
    a1 = open_alarm(ROOM, alert(1, 1), SYSTEM, at(1))
    a2 = open_alarm(ROOM, alert(2, 2), SYSTEM, at(2))
    log.append(a1.draft)
    log.append(a2.draft)
    a1b = acknowledge(a1.alarm, LAN, at(3))
    log.append(a1b.draft)
    d1 = issue_directive("dir-1", ROOM, LAN, MINH, "Kiểm tra lại cân số 2", at(4), at(120))
    log.append(d1.draft)
    log.append(
        EntryDraft(ROOM, EntryKind.OBSERVATION, MINH, at(5), "Trời mưa, tầm nhìn camera giảm")
    )
    h1 = hand_over(
        "H1", s1.shift, summary(s1.shift, log.entries), LAN, at(10), timedelta(minutes=30)
    )
    note1 = log.append(h1.draft)
    assert set(h1.handover.open_alert_ids) == {"camera/alerts/1", "camera/alerts/2"}
    assert h1.handover.open_directive_ids == ("dir-1",)
    assert set(note1.draft.references.alert_ids) == {"camera/alerts/1", "camera/alerts/2"}
    assert h1.handover.notable_seqs == (2, 3, 5)  # two alerts and the directive
    assert "Open alarms (2)" in note1.draft.text and "dir-1" in note1.draft.text
    assert h1.handover.state is HandoverState.PENDING
    # --- shift 2 opens, acknowledges, resolves alarm 1, closes dir-1, opens alarm 3 and dir-2
    s2 = open_shift("S2", ROOM, HUNG, [THAO], at(11), h1.shift)
    log.append(s2.draft)
    ack1 = acknowledge_handover(h1.handover, s2.shift, THAO, at(12))
    log.append(ack1.draft)
    assert ack1.handover.state is HandoverState.ACKNOWLEDGED
    assert ack1.handover.to_shift_id == "S2"
    log.append(resolve(a1b.alarm, HUNG, at(13), "Cân đã hiệu chuẩn lại, sai số trong ngưỡng").draft)
    log.append(close_directive(d1.directive, MINH, at(14), "Cân số 2 hoạt động bình thường").draft)
    a3 = open_alarm(ROOM, alert(3, 15), SYSTEM, at(15))
    log.append(a3.draft)
    log.append(assign(acknowledge(a3.alarm, THAO, at(16)).alarm, THAO, HUNG, at(16)).draft)
    d2 = issue_directive("dir-2", ROOM, HUNG, THAO, "Theo dõi xe 51C-123.45", at(17), at(200))
    log.append(d2.draft)
    carry = carried_over(log.entries)
    assert carry.alert_ids == ("camera/alerts/2", "camera/alerts/3")
    assert carry.directive_ids == ("dir-2",)
    h2 = hand_over(
        "H2", s2.shift, summary(s2.shift, log.entries), HUNG, at(20), timedelta(minutes=30)
    )
    log.append(h2.draft)
    assert h2.handover.open_alert_ids == ("camera/alerts/2", "camera/alerts/3")
    assert h2.handover.open_directive_ids == ("dir-2",)
    # notable entries are those of shift 2 only
    assert all(seq > note1.seq for seq in h2.handover.notable_seqs)
    # --- shift 3 takes over; the still-open alarm 2 has crossed two handovers
    s3 = open_shift("S3", ROOM, LAN, [MINH], at(21), h2.shift)
    log.append(s3.draft)
    log.append(acknowledge_handover(h2.handover, s3.shift, MINH, at(22)).draft)
    final = carried_over(log.entries)
    assert final.alert_ids == ("camera/alerts/2", "camera/alerts/3")
    assert [a.assignee for a in final.open_alarms] == [None, HUNG.subject]
    assert final.directive_ids == ("dir-2",)
    assert verify_chain(log.entries).ok
    # handover and shift entries did not disturb the alarm and directive replay
    assert len(alarms_from_log(log.entries)) == 3
    assert set(directives_from_log(log.entries)) == {"dir-1", "dir-2"}


def test_handover_acknowledgement_rules() -> None:
    s1 = open_shift("S1", ROOM, LAN, [MINH], at(0), None).shift
    h = hand_over("H1", s1, summary(s1, []), LAN, at(10), timedelta(minutes=30))
    s2 = open_shift("S2", ROOM, HUNG, [THAO], at(11), h.shift).shift
    with pytest.raises(DomainValidationError) as info:
        acknowledge_handover(h.handover, s2, LAN, at(12))
    assert info.value.field == "officer"
    with pytest.raises(IllegalTransition):
        acknowledge_handover(h.handover, h.shift, LAN, at(12))
    acked = acknowledge_handover(h.handover, s2, HUNG, at(12)).handover
    with pytest.raises(IllegalTransition) as ill:
        acknowledge_handover(acked, s2, HUNG, at(13))
    assert ill.value.from_state == "ACKNOWLEDGED"
    with pytest.raises(IllegalTransition):
        hand_over("H0", h.shift, summary(h.shift, []), LAN, at(12), timedelta(minutes=30))
    with pytest.raises(DomainValidationError) as info:
        hand_over("H2", s2, summary(s2, []), LAN, at(20), timedelta(minutes=30))
    assert info.value.field == "author"


def test_unacknowledged_handover_after_deadline_raises_an_alert() -> None:
    s1 = open_shift("S1", ROOM, LAN, [MINH], at(0), None).shift
    h = hand_over("H1", s1, summary(s1, []), LAN, at(10), timedelta(minutes=30)).handover
    assert h.ack_deadline == at(40)
    assert handover_ack_overdue(h, at(40)) is None
    alert_description = handover_ack_overdue(h, at(41))
    assert alert_description is not None
    assert alert_description.code == HANDOVER_UNACKNOWLEDGED
    assert alert_description.subject == "H1" and "S1" in alert_description.summary
    s2 = open_shift("S2", ROOM, HUNG, [THAO], at(11), None).shift
    acked = acknowledge_handover(h, s2, HUNG, at(50)).handover
    assert handover_ack_overdue(acked, at(60)) is None


def test_a_busy_shift_is_handed_over_with_a_bounded_note() -> None:
    log = Log()
    s1 = open_shift("S1", ROOM, LAN, [MINH], at(0), None)
    log.append(s1.draft)
    for n in range(700):
        log.append(open_alarm(ROOM, alert(n, 1), SYSTEM, at(1)).draft)
    h = hand_over(
        "H1", s1.shift, summary(s1.shift, log.entries), LAN, at(10), timedelta(minutes=30)
    )
    assert len(h.handover.open_alert_ids) == 700 and len(h.handover.notable_seqs) == 700
    text = h.draft.text
    assert "Open alarms (700):" in text and "- ... and 670 more (see the handover)" in text
    assert text.count("\n- camera/alerts/") == MAX_LISTED
    assert h.draft.attribute("notable_count") == "700"
    assert h.draft.attribute("notable_seqs") is None  # too long for an attribute
    small = hand_over("H2", s1.shift, summary(s1.shift, log.entries[:3]), LAN, at(10), timedelta(1))
    assert small.draft.attribute("notable_seqs") == "2,3"


def test_summary_from_open_items_and_shift_entries_equals_the_summary_from_the_log() -> None:
    log = Log()
    s1 = open_shift("S1", ROOM, LAN, [MINH], at(0), None)
    log.append(s1.draft)
    a1 = open_alarm(ROOM, alert(1, 1), SYSTEM, at(1))
    log.append(a1.draft)
    log.append(resolve(acknowledge(a1.alarm, LAN, at(2)).alarm, LAN, at(3), "Đã xử lý").draft)
    h1 = hand_over("H1", s1.shift, summary(s1.shift, log.entries), LAN, at(4), timedelta(1))
    log.append(h1.draft)
    s2 = open_shift("S2", ROOM, HUNG, [THAO], at(5), h1.shift)
    log.append(s2.draft)
    a2 = open_alarm(ROOM, alert(2, 6), SYSTEM, at(6))
    log.append(a2.draft)
    acked = acknowledge(a2.alarm, THAO, at(7))
    log.append(acked.draft)
    log.append(escalate(acked.alarm, THAO, "officer:boss", at(8), "Cần lãnh đạo quyết định").draft)
    log.append(issue_directive("d1", ROOM, HUNG, THAO, "Kiểm tra", at(9), at(99)).draft)
    whole = build_handover_summary(log.entries, s2.shift)
    start = next(e.seq for e in log.entries if e.draft == s2.draft)
    from_parts = summarise(
        s2.shift, carried_over(log.entries), [e for e in log.entries if e.seq >= start]
    )
    assert from_parts == whole
    assert [e.kind for e in whole.notable] == [
        EntryKind.ALERT,
        EntryKind.ACTION,  # the escalation
        EntryKind.DIRECTIVE,
    ]
