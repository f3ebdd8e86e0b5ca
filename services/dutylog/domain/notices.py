"""Alerts raised by the dutylog itself (overdue directive, unacknowledged handover)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class Severity(enum.Enum):
    """How urgent an alert is."""

    INFO = "INFO"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"


@dataclass(frozen=True, slots=True)
class AlertDescription:
    """What the service publishes in its alert outbox: ``code`` is UPPER_SNAKE, ``subject`` the
    name of the thing the alert is about (a directive id, a handover id)."""

    code: str
    room: str
    severity: Severity
    subject: str
    summary: str
    raised_at: datetime
