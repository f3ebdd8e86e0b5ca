"""Protos of the demo transit (Cát Lái port → Mộc Bài border gate) and simulated pings as
gateways send them: shared by the demo data, the tests and the ingestion benchmark."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from customs.common.v1 import geo_pb2
from customs.seal.v1 import seal_pb2

from services.seal.domain.geometry import CircleFence, LatLon, Route
from services.seal.domain.simulator import demo_trip

_LOCK = {
    "CLOSED": seal_pb2.LOCK_STATE_CLOSED,
    "OPENED": seal_pb2.LOCK_STATE_OPENED,
    "CUT": seal_pb2.LOCK_STATE_CUT,
}


def geo(p: LatLon) -> geo_pb2.GeoPoint:
    return geo_pb2.GeoPoint(latitude=p.lat, longitude=p.lon)


def circle(fence: CircleFence) -> seal_pb2.Geofence:
    return seal_pb2.Geofence(
        display_name=fence.name,
        circle=seal_pb2.Circle(center=geo(fence.center), radius_m=fence.radius_m),
    )


def demo_sites() -> list[tuple[str, seal_pb2.Site]]:
    """(site_id, site) of the demo transit's origin and destination."""
    trip = demo_trip()
    out = []
    for site_id, fence in (("cat-lai", trip.origin), ("moc-bai", trip.destination)):
        assert isinstance(fence, CircleFence)
        out.append((site_id, seal_pb2.Site(display_name=fence.name, geofence=circle(fence))))
    return out


def route_proto(route: Route, display_name: str) -> seal_pb2.Route:
    zones = []
    for z in route.stop_zones:
        assert isinstance(z, CircleFence)
        zones.append(circle(z))
    return seal_pb2.Route(
        display_name=display_name,
        polyline=[geo(p) for p in route.polyline],
        corridor_width_m=route.corridor_width_m,
        stop_zones=zones,
    )


def demo_route() -> seal_pb2.Route:
    return route_proto(demo_trip().route, "Cát Lái → Mộc Bài by QL22")


def ping(row: dict[str, Any], time_shift: float = 0.0) -> seal_pb2.Ping:
    """The proto of a simulator row; ``time_shift`` moves its device time."""
    out = seal_pb2.Ping(
        seq=int(row["seq"]),
        position=geo_pb2.GeoPoint(latitude=row["lat"], longitude=row["lon"]),
        speed_mps=row["speed_mps"],
        heading_deg=row["heading_deg"],
        battery_percent=row["battery_pct"],
        lock=_LOCK[row["lock"]],
        tamper=bool(row["tamper"]),
        signal_dbm=int(row["signal_dbm"]),
    )
    out.device_time.FromNanoseconds(round((row["device_time"] + time_shift) * 1e3) * 1_000_000)
    return out


def requests(
    seal: str, uploads: Iterable[Sequence[dict[str, Any]]], time_shift: float = 0.0
) -> list[seal_pb2.StreamPingsRequest]:
    return [
        seal_pb2.StreamPingsRequest(seal=seal, pings=[ping(r, time_shift) for r in rows])
        for rows in uploads
    ]
