"""Alert events produced by the rules, persisted by the service in its outbox."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from services.seal.domain.geometry import LatLon


class AlertKind(enum.StrEnum):
    CORRIDOR_DEVIATION = "CORRIDOR_DEVIATION"
    UNPLANNED_STOP = "UNPLANNED_STOP"
    LOCK_OPENED = "LOCK_OPENED"
    TAMPER = "TAMPER"
    LOW_BATTERY = "LOW_BATTERY"
    SIGNAL_LOST = "SIGNAL_LOST"
    OVERDUE = "OVERDUE"
    ARRIVAL = "ARRIVAL"
    UNAUTHORISED_REMOVAL = "UNAUTHORISED_REMOVAL"


class Severity(enum.StrEnum):
    INFO = "INFO"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


SEVERITY: dict[AlertKind, Severity] = {
    AlertKind.CORRIDOR_DEVIATION: Severity.HIGH,
    AlertKind.UNPLANNED_STOP: Severity.MEDIUM,
    AlertKind.LOCK_OPENED: Severity.CRITICAL,
    AlertKind.TAMPER: Severity.CRITICAL,
    AlertKind.LOW_BATTERY: Severity.LOW,
    AlertKind.SIGNAL_LOST: Severity.HIGH,
    AlertKind.OVERDUE: Severity.MEDIUM,
    AlertKind.ARRIVAL: Severity.INFO,
    AlertKind.UNAUTHORISED_REMOVAL: Severity.CRITICAL,
}


class AlertPhase(enum.StrEnum):
    OPENED = "OPENED"
    CLOSED = "CLOSED"


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One outbox entry: an episode of ``kind`` was OPENED or CLOSED.

    ``episode_id`` is stable across the two events of one episode and unique per trip
    (``<trip_id>/<kind>/<n>``), so the outbox can use (episode_id, phase) as an idempotency key.
    ``evidence_seqs`` are the device sequence numbers of the pings that prove the change
    (empty for the sweeper's silence/overdue events); ``time`` is the device time of the
    deciding ping, or the sweeper's ``now``.
    """

    phase: AlertPhase
    kind: AlertKind
    severity: Severity
    episode_id: str
    evidence_seqs: tuple[int, ...]
    message: str
    position: LatLon | None
    time: float

    def to_document(self) -> dict[str, Any]:
        return {
            "phase": self.phase.value,
            "kind": self.kind.value,
            "severity": self.severity.value,
            "episode_id": self.episode_id,
            "evidence_seqs": list(self.evidence_seqs),
            "message": self.message,
            "position": None if self.position is None else self.position.to_document(),
            "time": self.time,
        }
