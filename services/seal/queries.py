"""Read side: status of a seal or a container, open alerts, tracks, listings."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import numpy as np
from customs.common.v1 import alert_pb2
from customs.seal.v1 import seal_pb2
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from services.platform import iso6346
from services.platform.alerts import to_proto
from services.platform.errors import InvalidArgument, NotFound
from services.platform.outbox import ALERTS
from services.seal.convert import device_ping_to_proto
from services.seal.domain.track import Track, track_geojson
from services.seal.store import ATTACHMENTS, PINGS, last_ping


def attachment_to_proto(
    doc: dict[str, Any], last: dict[str, Any] | None = None, drifted: int = 0
) -> seal_pb2.Attachment:
    out = seal_pb2.Attachment(
        name=doc["name"],
        seal=doc["seal"],
        transit_declaration=doc["transit_declaration"],
        origin=doc["origin"],
        destination=doc["destination"],
        route=doc["route"],
        state=seal_pb2.SealState.Value(f"SEAL_STATE_{doc['state']}"),
        closed=bool(doc["closed"]),
        attached_by=doc.get("attached_by", ""),
        armed_by=doc.get("armed_by", ""),
        removed_by=doc.get("removed_by", ""),
        intact=bool(doc.get("intact", True)),
        integrity_issues=doc.get("integrity_issues", []),
        clock_drift_pings=drifted,
    )
    out.container_number.value = doc["container_number"]
    out.deadline.FromDatetime(doc["deadline"])
    out.create_time.FromDatetime(doc["create_time"])
    for field in ("arm_time", "arrive_time", "remove_time"):
        if doc.get(field) is not None:
            getattr(out, field).FromDatetime(doc[field])
    if last is not None:
        out.last_ping.CopyFrom(device_ping_to_proto(last))
    return out


async def attachment_detail(
    db: AsyncDatabase[dict[str, Any]], doc: dict[str, Any]
) -> seal_pb2.Attachment:
    """An attachment with its last ping and clock-drift count (read from its pings)."""
    last, drifted = await last_ping(db, doc["name"])
    return attachment_to_proto(doc, last, drifted)


async def open_alerts(
    db: AsyncDatabase[dict[str, Any]], attachment: dict[str, Any] | None
) -> list[alert_pb2.Alert]:
    """OPENED events of the attachment's episodes that are still open, oldest first."""
    if attachment is None or not attachment.get("open_episodes"):
        return []
    docs = (
        await db[ALERTS]
        .find({"episode": {"$in": list(attachment["open_episodes"])}, "phase": "OPENED"})
        .sort("seq", ASCENDING)
        .to_list()
    )
    return [to_proto(d) for d in docs]


async def seal_status(
    db: AsyncDatabase[dict[str, Any]], seal: dict[str, Any]
) -> tuple[dict[str, Any] | None, list[alert_pb2.Alert]]:
    if seal.get("attachment"):
        att = await db[ATTACHMENTS].find_one({"name": seal["attachment"]})
    else:
        att = await db[ATTACHMENTS].find_one(
            {"seal": seal["name"]}, sort=[("create_time", DESCENDING)]
        )
    alerts = await open_alerts(db, att) if att is not None and not att["closed"] else []
    return att, alerts


async def container_status(
    db: AsyncDatabase[dict[str, Any]], number: str
) -> seal_pb2.GetContainerSealStatusResponse:
    """GetContainerSealStatus: the open attachment of the container, judged for a gate."""
    if not number.strip():
        raise InvalidArgument.one("container_number.value", "is required")
    try:
        container = iso6346.validate(number).text
    except iso6346.InvalidContainerNumber as exc:
        raise InvalidArgument.one("container_number.value", exc.description) from exc
    att = await db[ATTACHMENTS].find_one(
        {"container_number": container, "closed": False}, sort=[("create_time", DESCENDING)]
    )
    if att is None:
        return seal_pb2.GetContainerSealStatusResponse(sealed=False, intact=False, arrived=False)
    issues = list(att.get("integrity_issues", []))
    arrived = att["state"] == "ARRIVED"
    reasons = list(issues)
    if not arrived:
        reasons.append(f"not arrived: seal state is {att['state']}")
    return seal_pb2.GetContainerSealStatusResponse(
        sealed=True,
        seal=att["seal"],
        state=seal_pb2.SealState.Value(f"SEAL_STATE_{att['state']}"),
        intact=bool(att.get("intact", True)) and not issues,
        arrived=arrived,
        reasons=reasons,
        attachment=att["name"],
        open_alerts=await open_alerts(db, att),
        origin=att["origin"],
        destination=att["destination"],
    )


async def track(
    db: AsyncDatabase[dict[str, Any]],
    attachment: str,
    start: datetime | None,
    end: datetime | None,
    tolerance_m: float,
) -> seal_pb2.GetTrackResponse:
    if not tolerance_m >= 0:
        raise InvalidArgument.one("tolerance_m", "must not be negative")
    if start is not None and end is not None and end < start:
        raise InvalidArgument.one("end_time", "must not be before start_time")
    att = await db[ATTACHMENTS].find_one(
        {"name": attachment}, {"name": 1, "seal": 1, "container_number": 1}
    )
    if att is None:
        raise NotFound(f"attachment {attachment} not found", "NOT_FOUND", {"name": attachment})
    query: dict[str, Any] = {"attachment": attachment}
    window: dict[str, Any] = {}
    if start is not None:
        window["$gte"] = start
    if end is not None:
        window["$lte"] = end
    if window:
        query["device_time"] = window
    docs = (
        await db[PINGS]
        .find(query, {"seq": 1, "device_time": 1, "lat": 1, "lon": 1, "_id": 0})
        .sort("seq", ASCENDING)
        .to_list()
    )
    full = Track(
        np.array([d["seq"] for d in docs], dtype=np.int64),
        np.array([d["device_time"].timestamp() for d in docs], dtype=np.float64),
        np.array([d["lat"] for d in docs], dtype=np.float64),
        np.array([d["lon"] for d in docs], dtype=np.float64),
    )
    kept = full.simplified(tolerance_m)
    geojson = track_geojson(
        kept,
        {
            "attachment": attachment,
            "seal": att["seal"],
            "container_number": att["container_number"],
            "tolerance_m": tolerance_m,
        },
    )
    return seal_pb2.GetTrackResponse(
        geojson=json.dumps(geojson, separators=(",", ":"), ensure_ascii=False),
        total_points=len(full.seq),
        returned_points=len(kept.seq),
    )
