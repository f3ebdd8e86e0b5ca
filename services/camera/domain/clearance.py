"""The vocabulary of barrier decisions: actions, reason codes, the scanner's and the seal
service's answers about a container, and the decision value itself."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from services.camera.domain.alerts import Alert
from services.camera.domain.watchlists import WatchlistHit


class BarrierAction(enum.Enum):
    """What the barrier does."""

    OPEN = "OPEN"
    HOLD = "HOLD"


class ReasonCode(enum.Enum):
    """Why a barrier holds; stable codes for clients and the duty log."""

    PLATE_NOT_READ = "PLATE_NOT_READ"
    CONTAINER_NOT_READ = "CONTAINER_NOT_READ"
    WATCHLIST_PLATE = "WATCHLIST_PLATE"
    WATCHLIST_CONTAINER = "WATCHLIST_CONTAINER"
    WATCHLIST_DECLARANT = "WATCHLIST_DECLARANT"
    CONTAINER_NUMBER_UNVERIFIED = "CONTAINER_NUMBER_UNVERIFIED"
    CONTAINER_NUMBER_AUTO_CORRECTED = "CONTAINER_NUMBER_AUTO_CORRECTED"
    SCAN_HOLD_OPEN = "SCAN_HOLD_OPEN"
    SCAN_STATUS_UNKNOWN = "SCAN_STATUS_UNKNOWN"
    SEAL_NOT_INTACT = "SEAL_NOT_INTACT"
    SEAL_NOT_ARRIVED = "SEAL_NOT_ARRIVED"
    SEAL_STATUS_UNKNOWN = "SEAL_STATUS_UNKNOWN"


#: Reasons that point at a likely offence rather than at missing knowledge.
SERIOUS_REASONS = frozenset(
    {
        ReasonCode.WATCHLIST_PLATE,
        ReasonCode.WATCHLIST_CONTAINER,
        ReasonCode.WATCHLIST_DECLARANT,
        ReasonCode.SCAN_HOLD_OPEN,
        ReasonCode.SEAL_NOT_INTACT,
    }
)


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason for a hold: code, what it is about (container, plate), human text."""

    code: ReasonCode
    subject: str
    text: str


class ScanStatus(enum.Enum):
    """The scanner service's answer about a container."""

    NO_OPEN_HOLD = "NO_OPEN_HOLD"
    OPEN_HOLD = "OPEN_HOLD"
    UNAVAILABLE = "UNAVAILABLE"


class SealStatus(enum.Enum):
    """The seal service's answer about a container."""

    NO_SEAL = "NO_SEAL"
    INTACT_ARRIVED = "INTACT_ARRIVED"
    INTACT_NOT_ARRIVED = "INTACT_NOT_ARRIVED"
    NOT_INTACT = "NOT_INTACT"
    UNAVAILABLE = "UNAVAILABLE"


@dataclass(frozen=True, slots=True)
class ScanAnswer:
    """What the scanner service said about one container; ``detail`` explains (e.g. the
    error or the hold's scan name)."""

    container_number: str
    status: ScanStatus
    detail: str = ""


@dataclass(frozen=True, slots=True)
class SealAnswer:
    """What the seal service said about one container; ``detail`` explains."""

    container_number: str
    status: SealStatus
    detail: str = ""


@dataclass(frozen=True, slots=True)
class BarrierDecision:
    """The decision for one passage, its reasons, and the alerts it raises; ``subject`` is
    the plate text, or the passage key when no plate was read."""

    passage_key: str
    lane_id: str
    action: BarrierAction
    reasons: tuple[Reason, ...]
    decided_at: datetime
    watchlist_hits: tuple[WatchlistHit, ...] = ()
    alerts: tuple[Alert, ...] = ()
    subject: str = ""

    @property
    def reason_codes(self) -> tuple[ReasonCode, ...]:
        return tuple(reason.code for reason in self.reasons)
