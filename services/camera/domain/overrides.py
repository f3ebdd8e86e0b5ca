"""Supervisor override of a held exit barrier: always with a reason, always alerted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.camera.domain.alerts import Alert, AlertKind, Severity, SubjectKind, make_alert
from services.camera.domain.clearance import (
    SERIOUS_REASONS,
    BarrierAction,
    BarrierDecision,
    Reason,
)
from services.camera.domain.errors import IllegalTransition
from services.camera.domain.validation import require_aware, require_text


@dataclass(frozen=True, slots=True)
class Override:
    """A supervisor opened a held barrier: who, why, when, and which reasons were overridden."""

    passage_key: str
    lane_id: str
    supervisor_id: str
    reason: str
    overridden_at: datetime
    overridden_reasons: tuple[Reason, ...]

    @property
    def action(self) -> BarrierAction:
        return BarrierAction.OPEN


def record_override(
    decision: BarrierDecision, supervisor_id: str, reason: str, at: datetime
) -> tuple[Override, Alert]:
    """Record a supervisor's override of a HOLD and build the OVERRIDE alert to raise.

    Raises DomainValidationError when ``reason`` or ``supervisor_id`` is empty, and
    IllegalTransition when the decision was OPEN (nothing to override).
    """
    why = require_text(reason, "reason")
    supervisor = require_text(supervisor_id, "supervisor_id")
    require_aware(at, "at")
    if decision.action is not BarrierAction.HOLD:
        raise IllegalTransition(
            subject=decision.passage_key,
            from_state=decision.action.value,
            to_state="OPEN_BY_OVERRIDE",
            reason="only a held barrier can be overridden",
        )
    override = Override(
        decision.passage_key, decision.lane_id, supervisor, why, at, decision.reasons
    )
    has_plate = decision.subject not in ("", decision.passage_key)
    plate_or_passage = SubjectKind.PLATE if has_plate else SubjectKind.PASSAGE
    serious = any(code in SERIOUS_REASONS for code in decision.reason_codes)
    codes = ", ".join(dict.fromkeys(code.value for code in decision.reason_codes))
    alert = make_alert(
        AlertKind.OVERRIDE,
        Severity.CRITICAL if serious else Severity.HIGH,
        f"Supervisor {supervisor} opened the held barrier for {decision.subject} ({codes}): {why}",
        subject=decision.subject or decision.passage_key,
        subject_kind=plate_or_passage,
        lane_id=decision.lane_id,
        raised_at=at,
        evidence={
            "passage": decision.passage_key,
            "supervisor_id": supervisor,
            "override_reason": why,
            "overridden_reasons": codes,
            "decided_at": decision.decided_at.isoformat(),
        },
    )
    return override, alert
