"""A small, deterministic trip simulator for tests, demo data and benchmarks.

Geography: the demo transit Cát Lái port (HCMC) → Mộc Bài border gate (Tây Ninh) along a
plausible highway polyline (Mai Chí Thọ, Xa lộ Hà Nội, Phạm Văn Đồng, An Sương, QL22 through
Hóc Môn, Củ Chi, Trảng Bàng and Gò Dầu), about 80 km, with a permitted rest stop at Củ Chi.

The simulator drives a truck along the route at a constant speed, pinging every
``interval_s`` with GPS noise, and applies scenario events: stops, lateral detours, a constant
offset (to hug the corridor edge), lock and tamper changes, battery drain, coverage outages
(pings buffered on the device and replayed after reconnect, the live ping first) and duplicates.
It returns wire dicts (:meth:`services.seal.domain.pings.Ping.to_wire`) in delivery order.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from services.seal.domain.geometry import CircleFence, LatLon, Route
from services.seal.domain.pings import LockState
from services.seal.domain.trip import Trip

CAT_LAI = LatLon(10.757, 106.790)
MOC_BAI = LatLon(11.072, 106.163)
CU_CHI_REST_STOP = LatLon(10.9755, 106.4905)

DEMO_POLYLINE: tuple[LatLon, ...] = (
    CAT_LAI,
    LatLon(10.772, 106.770),
    LatLon(10.790, 106.755),
    LatLon(10.822, 106.758),
    LatLon(10.838, 106.735),
    LatLon(10.845, 106.690),
    LatLon(10.850, 106.655),
    LatLon(10.862, 106.618),
    LatLon(10.888, 106.592),
    LatLon(10.915, 106.560),
    LatLon(10.945, 106.525),
    LatLon(10.975, 106.490),
    LatLon(11.005, 106.440),
    LatLon(11.030, 106.380),
    LatLon(11.050, 106.320),
    LatLon(11.062, 106.270),
    LatLon(11.068, 106.215),
    MOC_BAI,
)


def demo_trip(
    trip_id: str = "trip-0001",
    device_id: str = "SEAL-0001",
    start_time: float = 1_790_000_000.0,
    duration_allowed_s: float = 4 * 3600.0,
    corridor_width_m: float = 300.0,
) -> Trip:
    """The demo transit with its origin, destination and the Củ Chi rest stop."""
    return Trip(
        trip_id=trip_id,
        device_id=device_id,
        container_number="MSCU1234565",
        declaration="305123456780/G22",
        origin=CircleFence("Cát Lái port", CAT_LAI, 800.0),
        destination=CircleFence("Mộc Bài border gate", MOC_BAI, 500.0),
        route=Route(
            DEMO_POLYLINE,
            corridor_width_m,
            (CircleFence("Củ Chi rest stop", CU_CHI_REST_STOP, 300.0),),
        ),
        start_time=start_time,
        deadline=start_time + duration_allowed_s,
    )


@dataclass(frozen=True, slots=True)
class Stop:
    """Stand still ``duration_s`` when reaching ``at_m`` along the route, ``offset_m`` aside."""

    at_m: float
    duration_s: float
    offset_m: float = 0.0


@dataclass(frozen=True, slots=True)
class Detour:
    """Drive ``offset_m`` to the side of the route between ``from_m`` and ``to_m``."""

    from_m: float
    to_m: float
    offset_m: float


@dataclass(frozen=True, slots=True)
class Scenario:
    speed_mps: float = 18.0
    interval_s: float = 15.0
    noise_m: float = 4.0
    seed: int = 0
    latency_s: float = 1.5
    first_seq: int = 1
    #: constant lateral offset for the whole drive (e.g. the corridor edge)
    offset_m: float = 0.0
    stops: tuple[Stop, ...] = ()
    detours: tuple[Detour, ...] = ()
    #: (seconds after start, lock state) changes
    lock_changes: tuple[tuple[float, LockState], ...] = ()
    tamper_between: tuple[float, float] | None = None
    battery_start_pct: float = 95.0
    battery_drain_pct_per_h: float = 2.0
    #: (start, end) seconds after start without coverage; pings are buffered and replayed
    outages: tuple[tuple[float, float], ...] = ()
    #: seconds spent at the destination after reaching the end of the route
    dwell_s: float = 600.0
    #: seqs delivered twice
    duplicate_seqs: tuple[int, ...] = ()


class _RouteWalker:
    def __init__(self, route: Route) -> None:
        self.proj = route.projection()
        self.px, self.py = self.proj.to_xy(
            [p.lat for p in route.polyline], [p.lon for p in route.polyline]
        )
        seg = np.hypot(np.diff(self.px), np.diff(self.py))
        self.cum = np.concatenate(([0.0], np.cumsum(seg)))
        self.length = float(self.cum[-1])

    def at(self, s: float, offset: float) -> tuple[float, float, float]:
        """(x, y, heading_deg) at arc length ``s`` shifted ``offset`` metres to the left."""
        s = min(max(s, 0.0), self.length)
        i = min(int(np.searchsorted(self.cum, s, side="right")) - 1, len(self.cum) - 2)
        dx, dy = self.px[i + 1] - self.px[i], self.py[i + 1] - self.py[i]
        ln = math.hypot(dx, dy)
        u = (s - self.cum[i]) / ln
        nx, ny = -dy / ln, dx / ln
        x = self.px[i] + u * dx + offset * nx
        y = self.py[i] + u * dy + offset * ny
        return x, y, math.degrees(math.atan2(dx, dy)) % 360.0


def route_length_m(route: Route) -> float:
    """Length of the route in the trip projection (what the simulator drives)."""
    return _RouteWalker(route).length


def simulate(trip: Trip, scenario: Scenario = Scenario()) -> list[dict[str, Any]]:
    """Wire dicts of one trip, in delivery (server time) order."""
    sc = scenario
    walker = _RouteWalker(trip.route)
    rng = np.random.default_rng(sc.seed)
    pending = sorted(sc.stops, key=lambda st: st.at_m)
    rows: list[dict[str, Any]] = []
    s, t, seq = 0.0, 0.0, sc.first_seq
    stop_until, stop_offset = -1.0, 0.0
    end_reached_at: float | None = None
    while True:
        if end_reached_at is not None and t - end_reached_at > sc.dwell_s:
            break
        moving = t >= stop_until and end_reached_at is None
        if t >= stop_until and pending and s >= pending[0].at_m:
            st = pending.pop(0)
            stop_until, stop_offset, moving = t + st.duration_s, st.offset_m, False
        if t < stop_until:
            offset = stop_offset
        else:
            offset = sc.offset_m + sum(d.offset_m for d in sc.detours if d.from_m <= s <= d.to_m)
        x, y, heading = walker.at(s, offset)
        x += rng.normal(0.0, sc.noise_m)
        y += rng.normal(0.0, sc.noise_m)
        lat, lon = walker.proj.to_lat_lon(x, y)
        lock = LockState.CLOSED
        for when, state in sc.lock_changes:
            if t >= when:
                lock = state
        tamper = sc.tamper_between is not None and sc.tamper_between[0] <= t < sc.tamper_between[1]
        battery = max(0.0, sc.battery_start_pct - sc.battery_drain_pct_per_h * t / 3600.0)
        device_time = trip.start_time + t
        server_time = device_time + sc.latency_s
        for k, (a, b) in enumerate(sc.outages):
            if a <= t < b:  # buffered: replayed after the live ping at reconnect, in order
                server_time = trip.start_time + b + sc.latency_s + 3.0 + 0.01 * seq + k * 1e-6
        rows.append(
            {
                "seq": seq,
                "device_time": device_time,
                "server_time": server_time,
                "lat": float(lat),
                "lon": float(lon),
                "speed_mps": sc.speed_mps if moving else 0.0,
                "heading_deg": heading,
                "battery_pct": battery,
                "lock": lock.name,
                "tamper": tamper,
                "signal_dbm": -75,
            }
        )
        if sc.duplicate_seqs and seq in sc.duplicate_seqs:
            rows.append({**rows[-1], "server_time": server_time + 0.5})
        seq += 1
        t += sc.interval_s
        if moving:
            s += sc.speed_mps * sc.interval_s
            if s >= walker.length:
                s = walker.length
                end_reached_at = t
    rows.sort(key=lambda r: (r["server_time"], r["seq"]))
    return rows


def batches(rows: Sequence[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    """Consecutive slices of ``size`` rows (the device's upload batches)."""
    for i in range(0, len(rows), size):
        yield list(rows[i : i + size])


def by_reception(rows: Sequence[dict[str, Any]], window_s: float) -> Iterator[list[dict[str, Any]]]:
    """Group rows received within the same ``window_s`` of server time (one upload each)."""
    current: list[dict[str, Any]] = []
    start = -math.inf
    for r in rows:
        if current and r["server_time"] - start >= window_s:
            yield current
            current = []
        if not current:
            start = r["server_time"]
        current.append(r)
    if current:
        yield current
