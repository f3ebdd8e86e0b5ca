"""Geofences projected once into a trip's metric frame, with vectorised containment."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.seal.domain.geometry import CircleFence, Geofence, LatLon, LocalProjection
from services.seal.domain.kernels import B1, F64, points_in_circle, points_in_polygon


@dataclass(frozen=True, slots=True)
class PreparedFence:
    """A geofence in metres: a circle (cx, cy, radius) or a polygon ring (vx, vy)."""

    fence: Geofence
    projection: LocalProjection
    vx: F64
    vy: F64
    radius_m: float

    @staticmethod
    def build(fence: Geofence, projection: LocalProjection) -> PreparedFence:
        if isinstance(fence, CircleFence):
            cx, cy = projection.point_xy(fence.center)
            return PreparedFence(fence, projection, np.array([cx]), np.array([cy]), fence.radius_m)
        vx, vy = projection.to_xy([v.lat for v in fence.vertices], [v.lon for v in fence.vertices])
        return PreparedFence(fence, projection, vx, vy, 0.0)

    def contains(self, x: F64, y: F64) -> B1:
        """Containment of projected points (boundary points of a polygon may go either way)."""
        if isinstance(self.fence, CircleFence):
            return points_in_circle(x, y, float(self.vx[0]), float(self.vy[0]), self.radius_m)
        return points_in_polygon(x, y, self.vx, self.vy)

    def contains_point(self, p: LatLon) -> bool:
        x, y = self.projection.point_xy(p)
        return bool(self.contains(np.array([x]), np.array([y]))[0])


def fence_contains(fence: Geofence, p: LatLon) -> bool:
    """Whether one point is inside ``fence`` (projected around the point itself)."""
    return PreparedFence.build(fence, LocalProjection(p)).contains_point(p)


def any_contains(fences: tuple[PreparedFence, ...], x: F64, y: F64) -> B1:
    out = np.zeros(x.shape[0], dtype=np.bool_)
    for f in fences:
        out |= f.contains(x, y)
    return out
