"""Sites (geofences) and planned routes as stored documents, validated from their protos."""

from __future__ import annotations

from typing import Any

from customs.seal.v1 import seal_pb2

from services.platform.errors import FieldViolation, InvalidArgument, collect
from services.platform.mongo import utcnow
from services.platform.names import check_id
from services.seal.convert import geofence, geofence_to_proto, point, route
from services.seal.domain.geometry import Route


def site_document(site_id: str, site: seal_pb2.Site) -> dict[str, Any]:
    check_id("site_id", site_id)
    problems: list[FieldViolation] = []
    if not site.display_name.strip():
        problems.append(FieldViolation("site.display_name", "is required"))
    fence = None
    try:
        fence = geofence(site.geofence, "site.geofence")
    except InvalidArgument as exc:
        problems += exc.violations
    collect(problems)
    assert fence is not None
    return {
        "name": f"sites/{site_id}",
        "display_name": site.display_name.strip(),
        "geofence": fence.to_document(),
        "create_time": utcnow(),
    }


def site_to_proto(doc: dict[str, Any]) -> seal_pb2.Site:
    out = seal_pb2.Site(
        name=doc["name"],
        display_name=doc["display_name"],
        geofence=geofence_to_proto(doc["geofence"]),
    )
    out.create_time.FromDatetime(doc["create_time"])
    return out


def route_document(route_id: str, msg: seal_pb2.Route) -> dict[str, Any]:
    check_id("route_id", route_id)
    problems: list[FieldViolation] = []
    if not msg.display_name.strip():
        problems.append(FieldViolation("route.display_name", "is required"))
    planned = None
    try:
        planned = route(msg, "route")
    except InvalidArgument as exc:
        problems += exc.violations
    collect(problems)
    assert planned is not None
    return {
        "name": f"routes/{route_id}",
        "display_name": msg.display_name.strip(),
        "route": planned.to_document(),
        "create_time": utcnow(),
    }


def route_to_proto(doc: dict[str, Any]) -> seal_pb2.Route:
    planned = Route.from_document(doc["route"])
    out = seal_pb2.Route(
        name=doc["name"],
        display_name=doc["display_name"],
        polyline=[point(p) for p in planned.polyline],
        corridor_width_m=planned.corridor_width_m,
        stop_zones=[geofence_to_proto(z.to_document()) for z in planned.stop_zones],
    )
    out.create_time.FromDatetime(doc["create_time"])
    return out
