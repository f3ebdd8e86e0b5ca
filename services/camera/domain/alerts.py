"""Alerts raised by the camera domain, as plain values the outbox stores and streams."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType


class AlertKind(enum.Enum):
    """What happened."""

    BARRIER_HOLD = "BARRIER_HOLD"
    OVERRIDE = "OVERRIDE"
    WEIGHT_DISCREPANCY = "WEIGHT_DISCREPANCY"
    WATCHLIST_HIT = "WATCHLIST_HIT"
    UNVERIFIED_CONTAINER_AT_EXIT = "UNVERIFIED_CONTAINER_AT_EXIT"
    WATCHLIST_ENTRY_REMOVED = "WATCHLIST_ENTRY_REMOVED"


class Severity(enum.IntEnum):
    """How urgently the monitoring room should look; ordered, higher is more urgent."""

    INFO = 1
    WARNING = 2
    HIGH = 3
    CRITICAL = 4


class SubjectKind(enum.Enum):
    """What the alert is about."""

    CONTAINER = "CONTAINER"
    PLATE = "PLATE"
    DECLARANT = "DECLARANT"
    PASSAGE = "PASSAGE"


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert: ``subject`` is the container number, plate or passage key it concerns;
    ``evidence`` holds the facts behind it (reason codes, weights, reads) as text."""

    kind: AlertKind
    severity: Severity
    message: str
    subject: str
    subject_kind: SubjectKind
    lane_id: str
    raised_at: datetime
    evidence: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


def make_alert(
    kind: AlertKind,
    severity: Severity,
    message: str,
    *,
    subject: str,
    subject_kind: SubjectKind,
    lane_id: str,
    raised_at: datetime,
    evidence: Mapping[str, str] | None = None,
) -> Alert:
    """Build an alert with an immutable copy of ``evidence``."""
    return Alert(
        kind=kind,
        severity=severity,
        message=message,
        subject=subject,
        subject_kind=subject_kind,
        lane_id=lane_id,
        raised_at=raised_at,
        evidence=MappingProxyType(dict(evidence or {})),
    )
