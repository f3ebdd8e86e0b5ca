"""WGS84 positions, geofences, routes and the local metric projection used by the rules.

Distances: every trip gets one :class:`LocalProjection`, an equirectangular projection centred on
the middle of its route's bounding box (``x = R·Δλ·cos φ0``, ``y = R·Δφ``, R = 6 371 008.8 m,
the mean Earth radius). Over the ~100 km extent of a transit the east-west scale error is
``|tan φ0 · Δφ|``: at 11° N and 0.3° (33 km) from the centre that is 0.1 %, and the sphere vs
ellipsoid error is below 0.5 %. The rules only measure short distances (metres to a few km from
the corridor, tens of metres for stops), so the absolute error is centimetres to a few metres,
well under GPS noise. :func:`haversine_m` is used where one great-circle distance is cheap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from services.seal.domain.errors import DomainValidationError

EARTH_RADIUS_M = 6_371_008.8

F64 = npt.NDArray[np.float64]


def _check_finite(name: str, value: float) -> None:
    if not math.isfinite(value):
        raise DomainValidationError(name, f"must be a finite number, got {value!r}")


def validate_lat_lon(lat: float, lon: float, field_prefix: str = "") -> None:
    """Raise :class:`DomainValidationError` naming ``<prefix>lat``/``lon`` when out of range."""
    _check_finite(f"{field_prefix}lat", lat)
    _check_finite(f"{field_prefix}lon", lon)
    if not -90.0 <= lat <= 90.0:
        raise DomainValidationError(f"{field_prefix}lat", f"must be within [-90, 90], got {lat}")
    if not -180.0 <= lon <= 180.0:
        raise DomainValidationError(f"{field_prefix}lon", f"must be within [-180, 180], got {lon}")


@dataclass(frozen=True, slots=True)
class LatLon:
    """A WGS84 position in decimal degrees."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        validate_lat_lon(self.lat, self.lon)

    def to_document(self) -> list[float]:
        return [self.lat, self.lon]

    @staticmethod
    def from_document(doc: Any, field_name: str = "position") -> LatLon:
        if not isinstance(doc, list | tuple) or len(doc) != 2:
            raise DomainValidationError(field_name, "must be a [lat, lon] pair")
        try:
            return LatLon(float(doc[0]), float(doc[1]))
        except DomainValidationError as exc:
            raise DomainValidationError(f"{field_name}.{exc.field}", exc.description) from None


def haversine_m(a: LatLon, b: LatLon) -> float:
    """Great-circle distance in metres on the mean-radius sphere."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp = p2 - p1
    dl = math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2.0 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True, slots=True)
class LocalProjection:
    """Equirectangular projection to metres around ``origin`` (see module docstring)."""

    origin: LatLon
    _kx: float = field(init=False, repr=False)
    _ky: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        ky = EARTH_RADIUS_M * math.pi / 180.0
        object.__setattr__(self, "_ky", ky)
        object.__setattr__(self, "_kx", ky * math.cos(math.radians(self.origin.lat)))

    def to_xy(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> tuple[F64, F64]:
        """Project degree arrays to (x east, y north) metre arrays."""
        la = np.asarray(lat, dtype=np.float64)
        lo = np.asarray(lon, dtype=np.float64)
        return (lo - self.origin.lon) * self._kx, (la - self.origin.lat) * self._ky

    def to_lat_lon(self, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[F64, F64]:
        """Inverse of :meth:`to_xy`."""
        xa = np.asarray(x, dtype=np.float64)
        ya = np.asarray(y, dtype=np.float64)
        return ya / self._ky + self.origin.lat, xa / self._kx + self.origin.lon

    def point_xy(self, p: LatLon) -> tuple[float, float]:
        return (p.lon - self.origin.lon) * self._kx, (p.lat - self.origin.lat) * self._ky


@dataclass(frozen=True, slots=True)
class CircleFence:
    """A circular geofence: centre and radius in metres."""

    name: str
    center: LatLon
    radius_m: float

    def __post_init__(self) -> None:
        _check_finite("radius_m", self.radius_m)
        if self.radius_m <= 0:
            raise DomainValidationError("radius_m", f"must be positive, got {self.radius_m}")

    def to_document(self) -> dict[str, Any]:
        return {
            "type": "circle",
            "name": self.name,
            "center": self.center.to_document(),
            "radius_m": self.radius_m,
        }


@dataclass(frozen=True, slots=True)
class PolygonFence:
    """A polygon geofence (simple ring, implicitly closed, at least 3 distinct vertices)."""

    name: str
    vertices: tuple[LatLon, ...]

    def __post_init__(self) -> None:
        ring = list(self.vertices)
        if len(ring) > 1 and ring[0] == ring[-1]:
            ring = ring[:-1]
        if len(set(ring)) < 3:
            raise DomainValidationError("vertices", "a polygon needs at least 3 distinct vertices")
        object.__setattr__(self, "vertices", tuple(ring))

    def to_document(self) -> dict[str, Any]:
        return {
            "type": "polygon",
            "name": self.name,
            "vertices": [v.to_document() for v in self.vertices],
        }


Geofence = CircleFence | PolygonFence


def geofence_from_document(doc: Any, field_name: str = "geofence") -> Geofence:
    """Rebuild a geofence from :meth:`to_document` output, validating it."""
    if not isinstance(doc, dict):
        raise DomainValidationError(field_name, "must be an object")
    kind = doc.get("type")
    name = str(doc.get("name", ""))
    if kind == "circle":
        center = LatLon.from_document(doc.get("center"), f"{field_name}.center")
        return CircleFence(name, center, float(doc.get("radius_m", 0.0)))
    if kind == "polygon":
        raw = doc.get("vertices")
        if not isinstance(raw, list):
            raise DomainValidationError(f"{field_name}.vertices", "must be a list")
        verts = tuple(
            LatLon.from_document(v, f"{field_name}.vertices[{i}]") for i, v in enumerate(raw)
        )
        return PolygonFence(name, verts)
    raise DomainValidationError(f"{field_name}.type", f"unknown geofence type {kind!r}")


@dataclass(frozen=True, slots=True)
class Route:
    """A planned route: polyline, full corridor width in metres, and permitted stop zones."""

    polyline: tuple[LatLon, ...]
    corridor_width_m: float
    stop_zones: tuple[Geofence, ...] = ()

    def __post_init__(self) -> None:
        if len(self.polyline) == 0:
            raise DomainValidationError("polyline", "must not be empty")
        if len(self.polyline) < 2:
            raise DomainValidationError("polyline", "needs at least 2 points")
        _check_finite("corridor_width_m", self.corridor_width_m)
        if self.corridor_width_m <= 0:
            raise DomainValidationError(
                "corridor_width_m", f"must be positive, got {self.corridor_width_m}"
            )

    @property
    def half_width_m(self) -> float:
        return self.corridor_width_m / 2.0

    def projection(self) -> LocalProjection:
        """The trip's projection, centred on the route's bounding box."""
        lats = [p.lat for p in self.polyline]
        lons = [p.lon for p in self.polyline]
        return LocalProjection(LatLon((min(lats) + max(lats)) / 2.0, (min(lons) + max(lons)) / 2.0))

    def length_m(self) -> float:
        return sum(
            haversine_m(a, b) for a, b in zip(self.polyline, self.polyline[1:], strict=False)
        )

    def to_document(self) -> dict[str, Any]:
        return {
            "polyline": [p.to_document() for p in self.polyline],
            "corridor_width_m": self.corridor_width_m,
            "stop_zones": [z.to_document() for z in self.stop_zones],
        }

    @staticmethod
    def from_document(doc: Any, field_name: str = "route") -> Route:
        if not isinstance(doc, dict):
            raise DomainValidationError(field_name, "must be an object")
        raw = doc.get("polyline")
        if not isinstance(raw, list):
            raise DomainValidationError(f"{field_name}.polyline", "must be a list")
        zones = doc.get("stop_zones", [])
        if not isinstance(zones, list):
            raise DomainValidationError(f"{field_name}.stop_zones", "must be a list")
        return Route(
            polyline=tuple(
                LatLon.from_document(p, f"{field_name}.polyline[{i}]") for i, p in enumerate(raw)
            ),
            corridor_width_m=float(doc.get("corridor_width_m", 0.0)),
            stop_zones=tuple(
                geofence_from_document(z, f"{field_name}.stop_zones[{i}]")
                for i, z in enumerate(zones)
            ),
        )
