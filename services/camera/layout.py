"""Gates, lanes and cameras of a site: validation of new ones and their stored documents."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from services.platform.errors import FieldViolation, collect
from services.platform.mongo import utcnow
from services.platform.names import check_id

DIRECTIONS = ("ENTRY", "EXIT")
CAMERA_KINDS = ("GATE_OCR", "SURVEILLANCE", "BODY_WORN")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_SITE = re.compile(r"^sites/[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
_ID = r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}"
_GATE = re.compile(rf"^sites/{_ID}/gates/{_ID}$")
_LANE = re.compile(rf"^(sites/{_ID})/gates/{_ID}/lanes/{_ID}$")


def is_site(name: str) -> bool:
    return bool(_SITE.match(name))


def is_gate(name: str) -> bool:
    return bool(_GATE.match(name))


def is_lane(name: str) -> bool:
    return bool(_LANE.match(name))


def site_of(name: str) -> str:
    """``sites/{id}`` of any name under a site."""
    parts = name.split("/")
    return "/".join(parts[:2])


def gate_of(lane: str) -> str:
    return "/".join(lane.split("/")[:4])


def _location(
    problems: list[FieldViolation], field: str, has: bool, lat: float, lon: float
) -> list[float] | None:
    if not has:
        return None
    if not -90.0 <= lat <= 90.0:
        problems.append(FieldViolation(f"{field}.latitude", "must be in [-90, 90]"))
    if not -180.0 <= lon <= 180.0:
        problems.append(FieldViolation(f"{field}.longitude", "must be in [-180, 180]"))
    return [lat, lon]


@dataclass(frozen=True, slots=True)
class NewGate:
    parent: str
    gate_id: str
    display_name: str
    has_location: bool
    latitude: float
    longitude: float


def gate_document(req: NewGate) -> dict[str, Any]:
    check_id("gate_id", req.gate_id)
    problems: list[FieldViolation] = []
    if not req.display_name.strip():
        problems.append(FieldViolation("gate.display_name", "is required"))
    location = _location(problems, "gate.location", req.has_location, req.latitude, req.longitude)
    collect(problems)
    return {
        "name": f"{req.parent}/gates/{req.gate_id}",
        "site": req.parent,
        "display_name": req.display_name.strip(),
        "location": location,
        "create_time": utcnow(),
    }


@dataclass(frozen=True, slots=True)
class NewLane:
    parent: str
    lane_id: str
    display_name: str
    direction: str
    country_hint: str


def lane_document(req: NewLane, site_country: str, location: list[float]) -> dict[str, Any]:
    """The lane document; ``location`` (the gate's, else the site's) goes on its alerts."""
    check_id("lane_id", req.lane_id)
    problems: list[FieldViolation] = []
    if not req.display_name.strip():
        problems.append(FieldViolation("lane.display_name", "is required"))
    if req.direction not in DIRECTIONS:
        problems.append(FieldViolation("lane.direction", "must be ENTRY or EXIT"))
    country = req.country_hint.strip().upper() or site_country
    if not _COUNTRY.match(country):
        problems.append(FieldViolation("lane.country_hint", "must be an ISO 3166-1 alpha-2 code"))
    collect(problems)
    return {
        "name": f"{req.parent}/lanes/{req.lane_id}",
        "site": site_of(req.parent),
        "gate": req.parent,
        "display_name": req.display_name.strip(),
        "direction": req.direction,
        "country_hint": country,
        "location": location,
        "create_time": utcnow(),
    }


@dataclass(frozen=True, slots=True)
class NewCamera:
    parent: str
    camera_id: str
    display_name: str
    kind: str
    stream_address: str
    has_position: bool
    latitude: float
    longitude: float
    lane: str


def camera_document(req: NewCamera) -> dict[str, Any]:
    """The camera document; the caller checks that ``lane`` exists."""
    check_id("camera_id", req.camera_id)
    problems: list[FieldViolation] = []
    if not req.display_name.strip():
        problems.append(FieldViolation("camera.display_name", "is required"))
    if req.kind not in CAMERA_KINDS:
        problems.append(FieldViolation("camera.kind", f"must be one of {', '.join(CAMERA_KINDS)}"))
    position = _location(problems, "camera.position", req.has_position, req.latitude, req.longitude)
    if req.lane:
        if not is_lane(req.lane) or site_of(req.lane) != req.parent:
            problems.append(FieldViolation("camera.lane", f"must be a lane of {req.parent}"))
    elif req.kind == "GATE_OCR":
        problems.append(FieldViolation("camera.lane", "is required for a GATE_OCR camera"))
    stream = req.stream_address.strip()
    if stream and "://" not in stream:
        problems.append(FieldViolation("camera.stream_address", "must be a URL (rtsp://...)"))
    collect(problems)
    return {
        "name": f"{req.parent}/cameras/{req.camera_id}",
        "site": req.parent,
        "display_name": req.display_name.strip(),
        "kind": req.kind,
        "stream_address": stream,
        "position": position,
        "lane": req.lane,
        "create_time": utcnow(),
    }
