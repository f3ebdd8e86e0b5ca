"""The position and device-state rules, as episodes derived from a time-ordered timeline prefix.

Each rule is a pure function of the evaluated prefix of the timeline (see
:mod:`services.seal.domain.monitor` for which prefix and why), so re-running it after late pings
land gives the corrected picture; the monitor reconciles it with the episodes already announced.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from services.seal.domain.alerts import AlertKind
from services.seal.domain.config import RuleConfig
from services.seal.domain.kernels import Episodes, flag_episodes, stop_episodes
from services.seal.domain.pings import LockState

#: Kinds derived from pings (the others, SIGNAL_LOST and OVERDUE, come from the clock).
DERIVED_KINDS: tuple[AlertKind, ...] = (
    AlertKind.CORRIDOR_DEVIATION,
    AlertKind.UNPLANNED_STOP,
    AlertKind.LOCK_OPENED,
    AlertKind.TAMPER,
    AlertKind.LOW_BATTERY,
    AlertKind.ARRIVAL,
)


@dataclass(frozen=True, slots=True)
class DerivedEpisode:
    """Indices into the evaluated prefix: first fix, closing fix (or last fix while open)."""

    kind: AlertKind
    start: int
    end: int
    open: bool
    #: False for episodes found but not alerting (a stop in a permitted zone, a lock opened at
    #: the destination): they still count when choosing where the next derivation may start.
    reported: bool = True


@dataclass(frozen=True, slots=True)
class Derivation:
    """Episodes over a slice of the timeline, and the condition arrays they came from."""

    episodes: list[DerivedEpisode]
    flags: list[npt.NDArray[np.bool_]]

    @property
    def reported(self) -> list[DerivedEpisode]:
        return [e for e in self.episodes if e.reported]

    def settle_point(self, t: npt.NDArray[np.float64], stop_min_s: float) -> int:
        """The first index from which a later derivation can restart and find exactly what a
        derivation from the slice start would find there (given only appended fixes).

        It must not lie strictly inside any episode, or inside a run of any condition, or at or
        after the start of an open episode or of a condition run reaching the last fix (those
        may still grow), and every stop anchor at or after it must still be undecided-free:
        anchors less than ``stop_min_s`` before the last fix may still become stops.
        """
        n = int(t.shape[0])
        if n == 0:
            return 0
        young = np.nonzero(t > t[-1] - stop_min_s)[0]
        cand = int(young[0]) if young.size else n
        for ep in self.episodes:
            if ep.open:
                cand = min(cand, ep.start)
        for f in self.flags:
            if f[-1]:
                cand = min(cand, _run_start(f, n - 1))
        moved = True
        while moved:
            moved = False
            for ep in self.episodes:
                if ep.start < cand < ep.end:
                    cand, moved = ep.start, True
            for f in self.flags:
                if 0 < cand < n and f[cand] and f[cand - 1]:
                    cand, moved = _run_start(f, cand), True
        return cand


def _run_start(f: npt.NDArray[np.bool_], i: int) -> int:
    """First index of the run of True containing ``i``."""
    falses = np.nonzero(~f[: i + 1])[0]
    return int(falses[-1]) + 1 if falses.size else 0


def outside_corridor(
    cols: dict[str, npt.NDArray[Any]], half_width_m: float, cfg: RuleConfig
) -> Any:
    """Fixes counting as outside: beyond half-width + GPS tolerance, and in no permitted zone,
    origin or destination (a rest area may lie off the road)."""
    return (
        (cols["dist"] > half_width_m + cfg.corridor_tolerance_m)
        & ~cols["in_zone"]
        & ~cols["in_origin"]
        & ~cols["in_dest"]
    )


def derive_episodes(
    cols: dict[str, npt.NDArray[Any]], half_width_m: float, cfg: RuleConfig
) -> Derivation:
    """All episodes of every derived kind over ``cols`` (a slice of the evaluated prefix)."""
    t = cols["device_time"]
    found: list[DerivedEpisode] = []

    def add(kind: AlertKind, eps: Episodes, keep: Callable[[int, int], bool] | None = None) -> None:
        starts, ends, opened = eps
        for k in range(starts.shape[0]):
            s, e = int(starts[k]), int(ends[k])
            reported = keep is None or keep(s, e)
            found.append(DerivedEpisode(kind, s, e, bool(opened[k]), reported))

    outside = outside_corridor(cols, half_width_m, cfg)
    lock_open = cols["lock"] != int(LockState.CLOSED)
    low = cols["battery_pct"] < cfg.low_battery_pct
    add(
        AlertKind.CORRIDOR_DEVIATION,
        flag_episodes(
            outside,
            t,
            cfg.deviation_debounce_s,
            cfg.deviation_min_fixes,
            cfg.deviation_close_s,
        ),
    )
    allowed_stop = cols["in_zone"] | cols["in_origin"] | cols["in_dest"]
    add(
        AlertKind.UNPLANNED_STOP,
        stop_episodes(cols["x"], cols["y"], t, cfg.stop_radius_m, cfg.stop_min_s),
        keep=lambda s, e: not allowed_stop[s],
    )
    # an open/cut lock is an episode until CLOSED again; it alerts if any of its fixes is
    # outside the destination (opening at the destination is the normal end of a transit)
    in_dest = cols["in_dest"]
    add(
        AlertKind.LOCK_OPENED,
        flag_episodes(lock_open, t, 0.0, 1, cfg.lock_close_s),
        keep=lambda s, e: not bool(in_dest[s : e + 1].all()),
    )
    add(AlertKind.TAMPER, flag_episodes(cols["tamper"], t, 0.0, 1, cfg.tamper_close_s))
    add(
        AlertKind.LOW_BATTERY,
        flag_episodes(low, t, 0.0, cfg.battery_min_fixes, cfg.battery_close_s),
    )
    add(AlertKind.ARRIVAL, flag_episodes(in_dest, t, 0.0, 1, cfg.arrival_close_s))
    return Derivation(found, [outside, lock_open, cols["tamper"], low, in_dest])


def describe(
    kind: AlertKind, cols: dict[str, npt.NDArray[Any]], ep: DerivedEpisode, half_width_m: float
) -> str:
    """Human message for the OPENED event of a derived episode."""
    s, e = ep.start, ep.end
    t = cols["device_time"]
    span = float(t[e] - t[s])
    if kind is AlertKind.CORRIDOR_DEVIATION:
        worst = float(np.max(cols["dist"][s : e + 1])) - half_width_m
        return f"outside the route corridor, up to {worst:.0f} m beyond its edge, for {span:.0f} s"
    if kind is AlertKind.UNPLANNED_STOP:
        return f"stationary for {span:.0f} s outside permitted stop zones"
    if kind is AlertKind.LOCK_OPENED:
        state = LockState(int(cols["lock"][s])).name
        return f"lock {state} outside the destination"
    if kind is AlertKind.TAMPER:
        return "tamper switch triggered"
    if kind is AlertKind.LOW_BATTERY:
        return f"battery at {float(cols['battery_pct'][s]):.0f} %"
    return "entered the destination geofence"
