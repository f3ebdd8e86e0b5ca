"""Monitoring rooms: validation of a new room."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.platform.errors import AlreadyExists, FieldViolation, collect
from services.platform.mongo import utcnow
from services.platform.names import check_id, parse_name
from services.platform.resources import ResourceCollection


@dataclass(frozen=True, slots=True)
class NewRoom:
    room_id: str
    display_name: str
    sites: Sequence[str]
    time_zone: str


def register(req: NewRoom) -> dict[str, Any]:
    """The stored document of a new room."""
    check_id("room_id", req.room_id)
    problems: list[FieldViolation] = []
    if not req.display_name.strip():
        problems.append(FieldViolation("room.display_name", "is required"))
    for i, site in enumerate(req.sites):
        try:
            parse_name(f"room.sites[{i}]", site, "sites")
        except Exception:
            problems.append(FieldViolation(f"room.sites[{i}]", "must be 'sites/{id}'"))
    try:
        if not req.time_zone:
            raise ZoneInfoNotFoundError
        ZoneInfo(req.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(
            FieldViolation("room.time_zone", "must be an IANA zone, e.g. Asia/Ho_Chi_Minh")
        )
    collect(problems)
    return {
        "name": f"rooms/{req.room_id}",
        "display_name": req.display_name.strip(),
        "sites": list(req.sites),
        "time_zone": req.time_zone,
        "create_time": utcnow(),
    }


async def ensure_room(rooms: ResourceCollection, room_id: str) -> None:
    """Creates the default room (which records alerts of unsupervised sites) when missing."""
    if await rooms.collection.find_one({"name": f"rooms/{room_id}"}):
        return
    doc = register(NewRoom(room_id, "National monitoring room", [], "Asia/Ho_Chi_Minh"))
    try:
        await rooms.create(doc)
    except AlreadyExists:
        return
