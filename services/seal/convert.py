"""Conversions between the seal protos and domain values or stored documents (no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from customs.common.v1 import geo_pb2
from customs.seal.v1 import seal_pb2

from services.platform.errors import InvalidArgument
from services.seal.domain.errors import DomainValidationError
from services.seal.domain.geometry import (
    CircleFence,
    Geofence,
    LatLon,
    PolygonFence,
    Route,
    geofence_from_document,
)
from services.seal.domain.pings import LockState, PingBatch

#: domain ping column -> request field path (after ``pings[i].``)
_PING_FIELDS = {
    "lat": "position.latitude",
    "lon": "position.longitude",
    "battery_pct": "battery_percent",
    "device_time": "device_time",
    "speed_mps": "speed_mps",
    "seq": "seq",
}
_LOCK_FROM_PROTO = {
    seal_pb2.LOCK_STATE_CLOSED: int(LockState.CLOSED),
    seal_pb2.LOCK_STATE_OPENED: int(LockState.OPENED),
    seal_pb2.LOCK_STATE_CUT: int(LockState.CUT),
}
_LOCK_TO_PROTO = {v: k for k, v in _LOCK_FROM_PROTO.items()}


def renamed(error: DomainValidationError, prefix: str) -> InvalidArgument:
    return InvalidArgument.one(
        f"{prefix}.{error.field}" if prefix else error.field, error.description
    )


def position(point: geo_pb2.GeoPoint, field_path: str) -> LatLon:
    try:
        return LatLon(point.latitude, point.longitude)
    except DomainValidationError as exc:
        axis = "latitude" if exc.field == "lat" else "longitude"
        raise InvalidArgument.one(f"{field_path}.{axis}", exc.description) from exc


def point(p: LatLon | Sequence[float]) -> geo_pb2.GeoPoint:
    lat, lon = (p.lat, p.lon) if isinstance(p, LatLon) else (p[0], p[1])
    return geo_pb2.GeoPoint(latitude=lat, longitude=lon)


def geofence(msg: seal_pb2.Geofence, field_path: str) -> Geofence:
    shape = msg.WhichOneof("shape")
    name = msg.display_name.strip()
    try:
        if shape == "circle":
            center = position(msg.circle.center, f"{field_path}.circle.center")
            return CircleFence(name, center, msg.circle.radius_m)
        if shape == "polygon":
            vertices = tuple(
                position(v, f"{field_path}.polygon.vertices[{i}]")
                for i, v in enumerate(msg.polygon.vertices)
            )
            return PolygonFence(name, vertices)
    except DomainValidationError as exc:
        raise renamed(exc, f"{field_path}.{shape}") from exc
    raise InvalidArgument.one(field_path, "needs a circle or a polygon")


def geofence_to_proto(doc: dict[str, Any]) -> seal_pb2.Geofence:
    fence = geofence_from_document(doc)
    if isinstance(fence, CircleFence):
        return seal_pb2.Geofence(
            display_name=fence.name,
            circle=seal_pb2.Circle(center=point(fence.center), radius_m=fence.radius_m),
        )
    return seal_pb2.Geofence(
        display_name=fence.name,
        polygon=seal_pb2.Polygon(vertices=[point(v) for v in fence.vertices]),
    )


def route(msg: seal_pb2.Route, field_path: str) -> Route:
    polyline = tuple(position(p, f"{field_path}.polyline[{i}]") for i, p in enumerate(msg.polyline))
    zones = tuple(
        geofence(z, f"{field_path}.stop_zones[{i}]") for i, z in enumerate(msg.stop_zones)
    )
    try:
        return Route(polyline, msg.corridor_width_m, zones)
    except DomainValidationError as exc:
        raise renamed(exc, field_path) from exc


def timestamp_seconds(ts: Any) -> float:
    """Epoch seconds of a Timestamp, at millisecond precision (what BSON dates keep)."""
    return round(float(ts.seconds) + float(ts.nanos) / 1e9, 3)


def to_datetime(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def ping_batch(pings: Sequence[seal_pb2.Ping], server_time: float, max_pings: int) -> PingBatch:
    """The columns of a request's pings, validated; errors name ``pings[i].<field>``."""
    n = len(pings)
    if n == 0:
        raise InvalidArgument.one("pings", "must not be empty")
    if n > max_pings:
        raise InvalidArgument.one("pings", f"at most {max_pings} per request, got {n}")
    for i, p in enumerate(pings):
        if not p.HasField("position"):
            raise InvalidArgument.one(f"pings[{i}].position", "is required")
        if not p.HasField("device_time"):
            raise InvalidArgument.one(f"pings[{i}].device_time", "is required")
        if p.lock not in _LOCK_FROM_PROTO:
            raise InvalidArgument.one(f"pings[{i}].lock", "is required (CLOSED, OPENED or CUT)")
    cols: dict[str, npt.NDArray[Any]] = {
        "seq": np.fromiter((p.seq for p in pings), np.int64, n),
        "device_time": np.fromiter(
            (p.device_time.seconds + p.device_time.nanos / 1e9 for p in pings), np.float64, n
        ).round(3),
        "server_time": np.full(n, server_time, dtype=np.float64),
        "lat": np.fromiter((p.position.latitude for p in pings), np.float64, n),
        "lon": np.fromiter((p.position.longitude for p in pings), np.float64, n),
        "speed_mps": np.fromiter((p.speed_mps for p in pings), np.float64, n),
        "heading_deg": np.fromiter((p.heading_deg for p in pings), np.float64, n),
        "battery_pct": np.fromiter((p.battery_percent for p in pings), np.float64, n),
        "lock": np.fromiter((_LOCK_FROM_PROTO[p.lock] for p in pings), np.int8, n),
        "tamper": np.fromiter((p.tamper for p in pings), np.bool_, n),
        "signal_dbm": np.fromiter(
            (max(-32768, min(32767, p.signal_dbm)) for p in pings), np.int16, n
        ),
    }
    try:
        return PingBatch.from_columns(cols)
    except DomainValidationError as exc:
        head, _, column = exc.field.partition("].")
        raise InvalidArgument.one(
            f"{head}].{_PING_FIELDS.get(column, column)}" if column else exc.field,
            exc.description,
        ) from exc


def ping_documents(
    seal: str, attachment: str, batch: PingBatch, keep: npt.NDArray[np.bool_], drift: set[int]
) -> list[dict[str, Any]]:
    """Stored documents of the pings of ``batch`` selected by ``keep``."""
    c = batch.columns
    idx = np.nonzero(keep)[0]
    seq = c["seq"][idx].tolist()
    dev = c["device_time"][idx].tolist()
    srv = c["server_time"][idx].tolist()
    lat = c["lat"][idx].tolist()
    lon = c["lon"][idx].tolist()
    spd = c["speed_mps"][idx].tolist()
    hdg = c["heading_deg"][idx].tolist()
    bat = c["battery_pct"][idx].tolist()
    lock = c["lock"][idx].tolist()
    tamper = c["tamper"][idx].tolist()
    sig = c["signal_dbm"][idx].tolist()
    server_dt = {t: to_datetime(t) for t in set(srv)}
    return [
        {
            "device": seal,
            "seq": seq[k],
            "attachment": attachment,
            "device_time": to_datetime(dev[k]),
            "server_time": server_dt[srv[k]],
            "lat": lat[k],
            "lon": lon[k],
            "speed_mps": spd[k],
            "heading_deg": hdg[k],
            "battery_pct": bat[k],
            "lock": lock[k],
            "tamper": tamper[k],
            "signal_dbm": sig[k],
            "drift": seq[k] in drift,
        }
        for k in range(len(seq))
    ]


def device_ping_to_proto(doc: dict[str, Any]) -> seal_pb2.DevicePing:
    ping = seal_pb2.Ping(
        seq=int(doc["seq"]),
        position=geo_pb2.GeoPoint(latitude=doc["lat"], longitude=doc["lon"]),
        speed_mps=doc["speed_mps"],
        heading_deg=doc["heading_deg"],
        battery_percent=doc["battery_pct"],
        lock=_LOCK_TO_PROTO.get(int(doc["lock"]), seal_pb2.LOCK_STATE_UNSPECIFIED),
        tamper=bool(doc["tamper"]),
        signal_dbm=int(doc["signal_dbm"]),
    )
    ping.device_time.FromDatetime(doc["device_time"])
    out = seal_pb2.DevicePing(ping=ping, clock_drift=bool(doc.get("drift", False)))
    out.server_time.FromDatetime(doc["server_time"])
    return out
