"""The vocabulary of barrier decisions: actions, reason codes, the scanner's and the seal
service's answers about a container, and the decision value itself."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from services.camera.domain.alerts import Alert
from services.camera.domain.errors import DomainValidationError
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
    SEAL_NOT_ARMED = "SEAL_NOT_ARMED"
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

    @classmethod
    def explained(cls, code: ReasonCode, subject: str, text: str, detail: str) -> Reason:
        """A reason whose text ends with ``detail`` in parentheses, when there is one."""
        return cls(code, subject, f"{text} ({detail})" if detail else text)


class ScanStatus(enum.Enum):
    """The scanner service's answer about a container."""

    NO_OPEN_HOLD = "NO_OPEN_HOLD"
    OPEN_HOLD = "OPEN_HOLD"
    UNAVAILABLE = "UNAVAILABLE"


class SealStatus(enum.Enum):
    """The seal service's answer about a container."""

    NO_SEAL = "NO_SEAL"
    SEALED = "SEALED"
    UNAVAILABLE = "UNAVAILABLE"


class SealStage(enum.Enum):
    """Where a seal on a container is in its lifecycle, as far as an exit gate cares."""

    ATTACHED = "ATTACHED"  # on the container, not armed: not supervised yet
    IN_TRANSIT = "IN_TRANSIT"  # armed at the origin: supervised on the road
    ARRIVED = "ARRIVED"  # the transit reached its destination
    OTHER = "OTHER"  # any other state: clears no exit


@dataclass(frozen=True, slots=True)
class SealedTransit:
    """The open attachment of a sealed container: the names of its origin and destination
    sites (``sites/{site_id}``; empty when the seal service did not say), the seal's stage and
    whether it is intact."""

    origin: str
    destination: str
    stage: SealStage
    intact: bool


@dataclass(frozen=True, slots=True)
class ScanAnswer:
    """What the scanner service said about one container; ``detail`` explains (e.g. the
    error or the hold's scan name)."""

    container_number: str
    status: ScanStatus
    detail: str = ""


@dataclass(frozen=True, slots=True)
class SealAnswer:
    """What the seal service said about one container; ``detail`` explains; ``transit`` is
    given exactly when the container is SEALED."""

    container_number: str
    status: SealStatus
    detail: str = ""
    transit: SealedTransit | None = None

    def __post_init__(self) -> None:
        if (self.status is SealStatus.SEALED) != (self.transit is not None):
            raise DomainValidationError("transit", "is given exactly when the status is SEALED")

    @classmethod
    def sealed(
        cls,
        container_number: str,
        origin: str,
        destination: str,
        stage: SealStage,
        intact: bool,
        detail: str = "",
    ) -> SealAnswer:
        """The answer about a container sealed for a transit from ``origin`` to ``destination``
        (site names)."""
        transit = SealedTransit(origin, destination, stage, intact)
        return cls(container_number, SealStatus.SEALED, detail, transit)


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
