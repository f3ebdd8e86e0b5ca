"""Supervisor overrides of held barriers."""

from __future__ import annotations

import pytest

from services.camera.domain.alerts import AlertKind, Severity, SubjectKind
from services.camera.domain.barrier import decide_exit
from services.camera.domain.clearance import (
    BarrierAction,
    BarrierDecision,
    ScanAnswer,
    ScanStatus,
    SealAnswer,
    SealStatus,
)
from services.camera.domain.errors import DomainValidationError, IllegalTransition
from services.camera.domain.overrides import record_override
from services.camera.domain.weighing import Load, LoadCheck
from tests.camera.factories import T0, at, exit_passage

C1 = "CSQU3054383"


def held(scan: ScanStatus = ScanStatus.UNAVAILABLE) -> BarrierDecision:
    passage = exit_passage(containers=(C1,))
    return decide_exit(passage, [ScanAnswer(C1, scan)], [SealAnswer(C1, SealStatus.NO_SEAL)], T0)


def test_override_records_reason_and_raises_alert() -> None:
    decision = held()
    override, alert = record_override(
        decision, "sup-3", "  scanner down, manual check done ", at(60)
    )
    assert override.action is BarrierAction.OPEN
    assert override.reason == "scanner down, manual check done"
    assert override.supervisor_id == "sup-3"
    assert override.overridden_reasons == decision.reasons
    assert alert.kind is AlertKind.OVERRIDE
    assert alert.severity is Severity.HIGH
    assert alert.subject == "51C-123.45"
    assert alert.subject_kind is SubjectKind.PLATE
    assert alert.evidence["override_reason"] == "scanner down, manual check done"
    assert alert.evidence["overridden_reasons"] == "SCAN_STATUS_UNKNOWN"


def test_overriding_a_serious_hold_is_critical() -> None:
    _, alert = record_override(held(ScanStatus.OPEN_HOLD), "sup-3", "director's order", at(60))
    assert alert.severity is Severity.CRITICAL


@pytest.mark.parametrize(
    ("supervisor", "reason", "field"),
    [("sup-3", "", "reason"), ("sup-3", "   ", "reason"), ("", "ok", "supervisor_id")],
)
def test_override_needs_a_reason_and_a_supervisor(supervisor: str, reason: str, field: str) -> None:
    with pytest.raises(DomainValidationError) as caught:
        record_override(held(), supervisor, reason, at(60))
    assert caught.value.field == field


def test_open_barrier_cannot_be_overridden() -> None:
    passage = exit_passage(containers=())
    decision = decide_exit(passage, [], [], T0, load=LoadCheck(Load.EMPTY, "weighed empty"))
    assert decision.action is BarrierAction.OPEN
    with pytest.raises(IllegalTransition) as caught:
        record_override(decision, "sup-3", "why not", at(60))
    assert caught.value.from_state == "OPEN"
    assert caught.value.subject == passage.key
