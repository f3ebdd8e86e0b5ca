"""Truck scale readings, tare choice, net weight and the weight-discrepancy check.

Net weight of the goods = gross (the passage's last stable scale reading) - vehicle tare -
tare of the containers carried. The vehicle tare is the vehicle's last empty weighing on a
suite scale when it is recent enough (``WeightConfig.max_empty_weighing_age``), else the
declared tare; with neither, the weight is not checked.

The net is compared with the declared weight of the goods. The allowed difference is the
larger of ``absolute_tolerance_kg`` and ``relative_tolerance`` x declared weight: the
absolute part covers scale accuracy on light loads, the relative part declaration rounding on
heavy ones. A difference beyond it is a finding (WeightOutcome.DISCREPANCY).

Whether a vehicle is empty (:func:`vehicle_load`) is read off the scale the same way: EMPTY
when the gross is at most ``absolute_tolerance_kg`` above the tare, LADEN when above that,
UNKNOWN without a stable reading or a tare. A passage's weight becomes the vehicle's empty
weighing (its future tare, :func:`is_empty_weighing`) only when no container was read, no goods
are declared, and it is not heavier, beyond that tolerance, than a recent empty weighing of the
vehicle: a truck whose container the cameras missed must not become its own tare, or its loaded
exit would weigh "empty".
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.camera.domain.alerts import Alert, AlertKind, Severity, SubjectKind, make_alert
from services.camera.domain.errors import DomainValidationError
from services.camera.domain.validation import require_aware, require_text, require_weight


@dataclass(frozen=True, slots=True)
class ScaleReading:
    """One reading of a lane's truck scale; ``stable`` when the scale reported it settled."""

    lane_id: str
    scale_id: str
    measured_at: datetime
    gross_kg: float
    stable: bool = True

    def __post_init__(self) -> None:
        require_text(self.lane_id, "lane_id")
        require_text(self.scale_id, "scale_id")
        require_aware(self.measured_at, "measured_at")
        require_weight(self.gross_kg, "gross_kg")

    @property
    def observed_at(self) -> datetime:
        """Same as ``measured_at``: lets passages order camera and scale events together."""
        return self.measured_at


@dataclass(frozen=True, slots=True)
class WeightConfig:
    """Tolerances of the weight check and how old an empty weighing may be to serve as tare."""

    relative_tolerance: float = 0.05
    absolute_tolerance_kg: float = 500.0
    max_empty_weighing_age: timedelta = timedelta(days=30)

    def __post_init__(self) -> None:
        if not math.isfinite(self.relative_tolerance) or not 0.0 <= self.relative_tolerance < 1:
            raise DomainValidationError("relative_tolerance", "must be in [0, 1)")
        require_weight(self.absolute_tolerance_kg, "absolute_tolerance_kg")
        if self.max_empty_weighing_age <= timedelta(0):
            raise DomainValidationError("max_empty_weighing_age", "must be positive")

    def allowed_difference_kg(self, declared_kg: float) -> float:
        """The largest net-vs-declared difference that is not a finding."""
        return max(self.absolute_tolerance_kg, self.relative_tolerance * declared_kg)


class TareSource(enum.Enum):
    """Where the vehicle tare came from."""

    LAST_EMPTY_WEIGHING = "LAST_EMPTY_WEIGHING"
    DECLARED = "DECLARED"


@dataclass(frozen=True, slots=True)
class EmptyWeighing:
    """The vehicle's last weighing without load, keyed by plate key."""

    plate_key: str
    weight_kg: float
    weighed_at: datetime

    def __post_init__(self) -> None:
        require_text(self.plate_key, "plate_key")
        require_weight(self.weight_kg, "weight_kg", allow_zero=False)
        require_aware(self.weighed_at, "weighed_at")


@dataclass(frozen=True, slots=True)
class Tare:
    """The vehicle tare used for a net weight."""

    kg: float
    source: TareSource
    measured_at: datetime | None = None


def choose_tare(
    at: datetime,
    last_empty: EmptyWeighing | None,
    declared_tare_kg: float | None,
    config: WeightConfig | None = None,
) -> Tare | None:
    """The last empty weighing if at most ``max_empty_weighing_age`` old, else the declared
    tare, else None."""
    config = config or WeightConfig()
    require_aware(at, "at")
    if last_empty is not None:
        age = at - last_empty.weighed_at
        if timedelta(0) <= age <= config.max_empty_weighing_age:
            return Tare(last_empty.weight_kg, TareSource.LAST_EMPTY_WEIGHING, last_empty.weighed_at)
    if declared_tare_kg is not None:
        return Tare(require_weight(declared_tare_kg, "declared_tare_kg"), TareSource.DECLARED)
    return None


class WeightOutcome(enum.Enum):
    """Result of the weight check."""

    WITHIN_TOLERANCE = "WITHIN_TOLERANCE"
    DISCREPANCY = "DISCREPANCY"
    NOT_CHECKED = "NOT_CHECKED"


@dataclass(frozen=True, slots=True)
class WeightCheck:
    """Everything the weight check used and found; ``missing`` names absent inputs."""

    outcome: WeightOutcome
    gross_kg: float | None
    tare: Tare | None
    containers_tare_kg: float
    declared_kg: float | None
    net_kg: float | None = None
    difference_kg: float | None = None
    allowed_kg: float | None = None
    missing: tuple[str, ...] = ()

    @property
    def is_finding(self) -> bool:
        return self.outcome is WeightOutcome.DISCREPANCY


def check_weight(
    gross_kg: float | None,
    tare: Tare | None,
    declared_kg: float | None,
    config: WeightConfig | None = None,
    containers_tare_kg: float = 0.0,
) -> WeightCheck:
    """Compare net weight (gross - tare - containers' tare) with the declared goods weight."""
    config = config or WeightConfig()
    if gross_kg is not None:
        require_weight(gross_kg, "gross_kg")
    if declared_kg is not None:
        require_weight(declared_kg, "declared_kg")
    require_weight(containers_tare_kg, "containers_tare_kg")
    missing = tuple(
        name
        for name, value in (("gross", gross_kg), ("tare", tare), ("declared", declared_kg))
        if value is None
    )
    if gross_kg is None or tare is None or declared_kg is None:
        return WeightCheck(
            WeightOutcome.NOT_CHECKED,
            gross_kg,
            tare,
            containers_tare_kg,
            declared_kg,
            missing=missing,
        )
    net = gross_kg - tare.kg - containers_tare_kg
    difference = net - declared_kg
    allowed = config.allowed_difference_kg(declared_kg)
    outcome = (
        WeightOutcome.DISCREPANCY if abs(difference) > allowed else WeightOutcome.WITHIN_TOLERANCE
    )
    return WeightCheck(
        outcome, gross_kg, tare, containers_tare_kg, declared_kg, net, difference, allowed
    )


def weight_alert(
    check: WeightCheck, *, subject: str, subject_kind: SubjectKind, lane_id: str, at: datetime
) -> Alert | None:
    """A WEIGHT_DISCREPANCY alert for a finding (HIGH beyond twice the tolerance), else None."""
    if not check.is_finding:
        return None
    assert check.difference_kg is not None and check.allowed_kg is not None
    assert check.net_kg is not None and check.tare is not None
    severity = (
        Severity.HIGH if abs(check.difference_kg) > 2 * check.allowed_kg else Severity.WARNING
    )
    direction = "heavier" if check.difference_kg > 0 else "lighter"
    message = (
        f"Net weight {check.net_kg:.0f} kg is {abs(check.difference_kg):.0f} kg {direction} "
        f"than declared {check.declared_kg:.0f} kg (tolerance {check.allowed_kg:.0f} kg)"
    )
    evidence = {
        "gross_kg": f"{check.gross_kg:.1f}",
        "tare_kg": f"{check.tare.kg:.1f}",
        "tare_source": check.tare.source.value,
        "containers_tare_kg": f"{check.containers_tare_kg:.1f}",
        "net_kg": f"{check.net_kg:.1f}",
        "declared_kg": f"{check.declared_kg:.1f}",
        "difference_kg": f"{check.difference_kg:.1f}",
        "allowed_kg": f"{check.allowed_kg:.1f}",
    }
    return make_alert(
        AlertKind.WEIGHT_DISCREPANCY,
        severity,
        message,
        subject=subject,
        subject_kind=subject_kind,
        lane_id=lane_id,
        raised_at=at,
        evidence=evidence,
    )


class Load(enum.Enum):
    """What the scale says about a vehicle's load."""

    EMPTY = "EMPTY"
    LADEN = "LADEN"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True, slots=True)
class LoadCheck:
    """The load the scale shows and, for a person, what it was judged from."""

    load: Load
    detail: str


def vehicle_load(
    gross_kg: float | None, tare: Tare | None, config: WeightConfig | None = None
) -> LoadCheck:
    """EMPTY, LADEN or UNKNOWN from the gross and the vehicle tare (see the module docstring)."""
    config = config or WeightConfig()
    if gross_kg is None:
        return LoadCheck(Load.UNKNOWN, "no stable scale reading")
    if tare is None:
        return LoadCheck(Load.UNKNOWN, f"gross {gross_kg:.0f} kg, but no tare for the vehicle")
    load = gross_kg - tare.kg
    detail = f"gross {gross_kg:.0f} kg, tare {tare.kg:.0f} kg ({tare.source.value.lower()})"
    if load <= config.absolute_tolerance_kg:
        return LoadCheck(Load.EMPTY, detail)
    return LoadCheck(Load.LADEN, detail)


def is_empty_weighing(
    gross_kg: float | None,
    containers_read: bool,
    declared_goods_kg: float | None,
    last_empty: EmptyWeighing | None,
    at: datetime,
    config: WeightConfig | None = None,
) -> bool:
    """Whether a passage's gross may be kept as the vehicle's empty weighing."""
    config = config or WeightConfig()
    if gross_kg is None or gross_kg <= 0 or containers_read or declared_goods_kg is not None:
        return False
    known = choose_tare(at, last_empty, None, config)
    return known is None or gross_kg - known.kg <= config.absolute_tolerance_kg
