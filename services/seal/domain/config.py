"""Thresholds of the alert rules, in one place, with defaults."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from services.seal.domain.errors import DomainValidationError


@dataclass(frozen=True, slots=True)
class RuleConfig:
    """Rule thresholds. Times in seconds, distances in metres, battery in percent."""

    #: GPS tolerance added to the corridor half-width before a fix counts as outside.
    corridor_tolerance_m: float = 25.0
    #: Outside the corridor on consecutive fixes for at least this long (and ...)
    deviation_debounce_s: float = 120.0
    #: ... on at least this many consecutive fixes, before a deviation opens.
    deviation_min_fixes: int = 3
    #: Back inside on consecutive fixes for this long before a deviation closes.
    deviation_close_s: float = 60.0
    #: A stop: all fixes within this radius of the stop's first fix ...
    stop_radius_m: float = 60.0
    #: ... for at least this long, outside permitted zones and origin/destination.
    stop_min_s: float = 900.0
    #: Lock OPENED/CUT outside the destination: closes after CLOSED for this long.
    lock_close_s: float = 30.0
    #: Tamper flag: closes after clear for this long.
    tamper_close_s: float = 30.0
    #: Battery below this opens LOW_BATTERY (on ``battery_min_fixes`` consecutive fixes) ...
    low_battery_pct: float = 20.0
    battery_min_fixes: int = 2
    #: ... and it closes after this long at or above the threshold (e.g. after a swap).
    battery_close_s: float = 600.0
    #: No ping received (server time) for this long opens SIGNAL_LOST (found by the sweeper).
    signal_lost_s: float = 300.0
    #: Leaving the destination for this long closes the ARRIVAL episode.
    arrival_close_s: float = 300.0
    #: |server time - device time| beyond this flags clock drift on a live ping.
    clock_drift_s: float = 120.0
    #: A gap in device sequence numbers holds position rules back at most this long (server
    #: time) waiting for the missing pings; after that they are taken as lost.
    gap_wait_s: float = 120.0
    #: At most this many sequence numbers are kept as an alert's evidence.
    max_evidence: int = 50

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value < 0 or (f.type == "int" and value < 1):
                raise DomainValidationError(f.name, f"out of range: {value}")

    def to_document(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_document(doc: dict[str, Any]) -> RuleConfig:
        known = {f.name for f in fields(RuleConfig)}
        return RuleConfig(**{k: v for k, v in doc.items() if k in known})
