"""Stored documents as proto messages (presigned snapshot URLs included)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from customs.camera.v1 import camera_pb2
from customs.common.v1 import alert_pb2, container_pb2, geo_pb2

from services.camera.domain.alerts import Severity
from services.platform.objects import ObjectStore

Doc = dict[str, Any]
_SEVERITY = {
    Severity.INFO.name: alert_pb2.SEVERITY_INFO,
    Severity.WARNING.name: alert_pb2.SEVERITY_WARNING,
    Severity.HIGH.name: alert_pb2.SEVERITY_CRITICAL,
    Severity.CRITICAL.name: alert_pb2.SEVERITY_CRITICAL,
}
_SEAL = {
    "NOT_OBSERVED": camera_pb2.SEAL_PRESENCE_UNSPECIFIED,
    "PRESENT": camera_pb2.SEAL_PRESENCE_PRESENT,
    "ABSENT": camera_pb2.SEAL_PRESENCE_ABSENT,
}
SEAL_FROM_PROTO = {value: key for key, value in _SEAL.items()}


def _point(location: list[float] | None) -> geo_pb2.GeoPoint | None:
    return geo_pb2.GeoPoint(latitude=location[0], longitude=location[1]) if location else None


def gate(doc: Doc) -> camera_pb2.Gate:
    msg = camera_pb2.Gate(name=doc["name"], display_name=doc["display_name"])
    point = _point(doc["location"])
    if point is not None:
        msg.location.CopyFrom(point)
    msg.create_time.FromDatetime(doc["create_time"])
    return msg


def lane(doc: Doc) -> camera_pb2.Lane:
    msg = camera_pb2.Lane(
        name=doc["name"],
        display_name=doc["display_name"],
        direction=camera_pb2.LaneDirection.Value(f"LANE_DIRECTION_{doc['direction']}"),
        country_hint=doc["country_hint"],
    )
    msg.create_time.FromDatetime(doc["create_time"])
    return msg


def camera(doc: Doc) -> camera_pb2.Camera:
    msg = camera_pb2.Camera(
        name=doc["name"],
        display_name=doc["display_name"],
        kind=camera_pb2.CameraKind.Value(f"CAMERA_KIND_{doc['kind']}"),
        stream_address=doc["stream_address"],
        lane=doc["lane"],
    )
    point = _point(doc["position"])
    if point is not None:
        msg.position.CopyFrom(point)
    msg.create_time.FromDatetime(doc["create_time"])
    return msg


def plate(doc: Doc) -> camera_pb2.PlateRead:
    return camera_pb2.PlateRead(
        text=doc["raw"],
        confidence=doc["confidence"],
        country_code=doc["country"],
        normalised=doc["text"],
        kind=camera_pb2.PlateKind.Value(f"PLATE_KIND_{doc['kind']}"),
    )


def container(doc: Doc) -> camera_pb2.ContainerRead:
    msg = camera_pb2.ContainerRead(
        text=doc["raw_text"],
        confidence=doc["confidence"],
        status=camera_pb2.ContainerReadStatus.Value(f"CONTAINER_READ_STATUS_{doc['status']}"),
        proposals=doc["proposals"],
        problem=doc["problem"],
        confirmed_by=doc["confirmed_by"],
    )
    if doc["number"]:
        msg.number.CopyFrom(container_pb2.ContainerNumber(value=doc["number"]))
    return msg


def declaration(doc: Doc) -> camera_pb2.Declaration:
    msg = camera_pb2.Declaration(
        reference=doc["reference"],
        declarant_tax_code=doc["declarant_tax_code"],
        declared_containers_tare_kg=doc["containers_tare_kg"],
    )
    if doc["goods_kg"] is not None:
        msg.declared_goods_weight_kg = doc["goods_kg"]
    if doc["vehicle_tare_kg"] is not None:
        msg.declared_vehicle_tare_kg = doc["vehicle_tare_kg"]
    return msg


async def _url(objects: ObjectStore, key: str, ttl: timedelta) -> str:
    return await objects.presigned_get(key, ttl)


async def recognition_event(
    doc: Doc, objects: ObjectStore, ttl: timedelta
) -> camera_pb2.RecognitionEvent:
    msg = camera_pb2.RecognitionEvent(
        name=doc["name"],
        camera=doc["camera"],
        containers=[container(c) for c in doc["containers"]],
        seal_presence=_SEAL[doc["seal"]],
        passage=doc["passage"],
    )
    msg.observe_time.FromDatetime(doc["time"])
    msg.create_time.FromDatetime(doc["create_time"])
    if doc["plate"]:
        msg.plate.CopyFrom(plate(doc["plate"]))
    if doc["declaration"]:
        msg.declaration.CopyFrom(declaration(doc["declaration"]))
    snapshot = doc.get("snapshot")
    if snapshot:
        msg.snapshot_content_type = snapshot["content_type"]
        msg.snapshot_sha256 = snapshot["sha256"]
        msg.snapshot_uri = await _url(objects, snapshot["key"], ttl)
    return msg


def scale_reading(doc: Doc) -> camera_pb2.ScaleReading:
    msg = camera_pb2.ScaleReading(
        name=doc["name"],
        scale_id=doc["scale_id"],
        gross_weight_kg=doc["gross_kg"],
        stable=doc["stable"],
        passage=doc["passage"],
    )
    msg.measure_time.FromDatetime(doc["time"])
    msg.create_time.FromDatetime(doc["create_time"])
    return msg


def _weight(doc: Doc) -> camera_pb2.WeightCheck:
    msg = camera_pb2.WeightCheck(
        outcome=camera_pb2.WeightOutcome.Value(f"WEIGHT_OUTCOME_{doc['outcome']}"),
        containers_tare_kg=doc["containers_tare_kg"],
        missing=doc["missing"],
    )
    for field, key in (
        ("gross_weight_kg", "gross_kg"),
        ("tare_kg", "tare_kg"),
        ("declared_weight_kg", "declared_kg"),
        ("net_weight_kg", "net_kg"),
        ("difference_kg", "difference_kg"),
        ("allowed_difference_kg", "allowed_kg"),
    ):
        if doc[key] is not None:
            setattr(msg, field, doc[key])
    if doc["tare_source"]:
        msg.tare_source = camera_pb2.TareSource.Value(f"TARE_SOURCE_{doc['tare_source']}")
    if doc["tare_time"] is not None:
        msg.tare_time.FromDatetime(doc["tare_time"])
    return msg


def _decision(doc: Doc) -> camera_pb2.BarrierDecision:
    msg = camera_pb2.BarrierDecision(
        action=camera_pb2.BarrierAction.Value(f"BARRIER_ACTION_{doc['action']}"),
        reasons=[
            camera_pb2.HoldReason(code=r["code"], subject=r["subject"], text=r["text"])
            for r in doc["reasons"]
        ],
    )
    msg.decide_time.FromDatetime(doc["decide_time"])
    return msg


async def passage(doc: Doc, objects: ObjectStore, ttl: timedelta) -> camera_pb2.Passage:
    msg = camera_pb2.Passage(
        name=doc["name"],
        lane=doc["lane"],
        site=doc["site"],
        direction=camera_pb2.LaneDirection.Value(f"LANE_DIRECTION_{doc['direction']}"),
        state=camera_pb2.PassageState.Value(f"PASSAGE_STATE_{doc['state']}"),
        containers=[container(c) for c in doc["containers"]],
        seal_presence=_SEAL[doc["seal"]],
        recognition_events=doc["recognition_events"],
        scale_readings=doc["scale_readings"],
        snapshot_uris=[await _url(objects, key, ttl) for key in doc["snapshot_keys"]],
    )
    msg.start_time.FromDatetime(doc["start_time"])
    msg.end_time.FromDatetime(doc["end_time"])
    if doc["plate"]:
        msg.plate.CopyFrom(plate(doc["plate"]))
    if doc["declaration"]:
        msg.declaration.CopyFrom(declaration(doc["declaration"]))
    if doc["weight"]:
        msg.weight.CopyFrom(_weight(doc["weight"]))
    if doc["decision"]:
        msg.decision.CopyFrom(_decision(doc["decision"]))
    if doc["override"]:
        o = doc["override"]
        msg.override.CopyFrom(
            camera_pb2.BarrierOverride(
                supervisor=o["supervisor"], supervisor_name=o["supervisor_name"], reason=o["reason"]
            )
        )
        msg.override.override_time.FromDatetime(o["override_time"])
    if doc["close_time"] is not None:
        msg.close_time.FromDatetime(doc["close_time"])
    return msg


def command(doc: Doc) -> camera_pb2.BarrierCommand:
    msg = camera_pb2.BarrierCommand(
        name=doc["name"],
        passage=doc["passage"],
        action=camera_pb2.BarrierAction.Value(f"BARRIER_ACTION_{doc['action']}"),
        reasons=doc["reasons"],
        issued_by=doc["issued_by"],
    )
    msg.issue_time.FromDatetime(doc["issue_time"])
    return msg


def watchlist_entry(doc: Doc) -> camera_pb2.WatchlistEntry:
    msg = camera_pb2.WatchlistEntry(
        name=doc["name"],
        kind=camera_pb2.WatchKind.Value(f"WATCH_KIND_{doc['kind']}"),
        value=doc["value"],
        key=doc["key"],
        reason=doc["reason"],
        action=camera_pb2.WatchAction.Value(f"WATCH_ACTION_{doc['action']}"),
        severity=_SEVERITY[doc["severity"]],
        listed_by=doc["listed_by"],
        deleted_by=doc.get("deleted_by", ""),
        delete_reason=doc.get("delete_reason", ""),
    )
    msg.create_time.FromDatetime(doc["create_time"])
    if doc.get("delete_time") is not None:
        msg.delete_time.FromDatetime(doc["delete_time"])
    return msg
