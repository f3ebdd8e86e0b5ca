"""Track output: Douglas–Peucker simplification in metres and GeoJSON (RFC 7946)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from services.seal.domain.errors import DomainValidationError
from services.seal.domain.geometry import LatLon, LocalProjection
from services.seal.domain.kernels import F64, I64
from services.seal.domain.monitor import TripMonitor


def douglas_peucker(x: F64, y: F64, tolerance_m: float) -> I64:
    """Indices of the points kept so that no dropped point is farther than ``tolerance_m`` from
    the simplified line (distance to the segment, not the infinite line). Endpoints always kept."""
    if not tolerance_m >= 0:
        raise DomainValidationError("tolerance_m", f"must be non-negative, got {tolerance_m}")
    n = x.shape[0]
    if n != y.shape[0]:
        raise DomainValidationError("y", "must have the same length as x")
    if n <= 2:
        return np.arange(n, dtype=np.int64)
    keep = np.zeros(n, dtype=np.bool_)
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        qx, qy = x[a + 1 : b] - x[a], y[a + 1 : b] - y[a]
        dx, dy = x[b] - x[a], y[b] - y[a]
        ll = dx * dx + dy * dy
        u = np.clip((qx * dx + qy * dy) / ll, 0.0, 1.0) if ll > 0 else np.zeros_like(qx)
        d = np.hypot(qx - u * dx, qy - u * dy)
        i = int(np.argmax(d))
        if d[i] > tolerance_m:
            m = a + 1 + i
            keep[m] = True
            stack.append((a, m))
            stack.append((m, b))
    out: I64 = np.nonzero(keep)[0].astype(np.int64)
    return out


@dataclass(frozen=True, slots=True)
class Track:
    """A trip's fixes in sequence order."""

    seq: I64
    time: F64
    lat: F64
    lon: F64

    @staticmethod
    def of(monitor: TripMonitor) -> Track:
        c = monitor.timeline.cols
        return Track(c["seq"].copy(), c["device_time"].copy(), c["lat"].copy(), c["lon"].copy())

    def simplified(self, tolerance_m: float) -> Track:
        if len(self.seq) == 0:
            return self
        mid = len(self.seq) // 2
        proj = LocalProjection(LatLon(float(self.lat[mid]), float(self.lon[mid])))
        x, y = proj.to_xy(self.lat, self.lon)
        k = douglas_peucker(x, y, tolerance_m)
        return Track(self.seq[k], self.time[k], self.lat[k], self.lon[k])


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, tz=UTC).isoformat().replace("+00:00", "Z")


def track_geojson(track: Track, properties: dict[str, Any] | None = None) -> dict[str, Any]:
    """A FeatureCollection with one LineString ([lon, lat] order, per RFC 7946) whose
    properties carry the fix times (ISO 8601 UTC) and sequence numbers, index-aligned with the
    coordinates. A one-fix track is a Point (a LineString needs two positions)."""
    coords = [[float(lo), float(la)] for la, lo in zip(track.lat, track.lon, strict=True)]
    props: dict[str, Any] = dict(properties or {})
    props["times"] = [_iso(float(t)) for t in track.time]
    props["seqs"] = [int(s) for s in track.seq]
    features: list[dict[str, Any]] = []
    if len(coords) >= 2:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": coords},
                "properties": props,
            }
        )
    elif coords:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": coords[0]},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": features}
