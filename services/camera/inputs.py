"""Request messages as plain values: names, times, enums, device reports and passage filters.

Only conversion and the checks a proto message needs before domain code sees it."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from customs.camera.v1 import camera_pb2
from customs.common.v1 import alert_pb2
from google.protobuf import timestamp_pb2

from services.camera import layout, render
from services.camera.domain.plates import plate_key
from services.camera.events import ContainerInput, DeclarationInput, RecognitionInput, ScaleInput
from services.platform import iso6346
from services.platform.errors import InvalidArgument
from services.platform.mongo import Document

_ID = r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}"
_PASSAGE = re.compile(rf"^sites/{_ID}/gates/{_ID}/lanes/{_ID}/passages/{_ID}$")
#: Watchlist entry severities: the suite's three levels onto the camera domain's four.
ENTRY_SEVERITY = {
    alert_pb2.SEVERITY_UNSPECIFIED: "",
    alert_pb2.SEVERITY_INFO: "INFO",
    alert_pb2.SEVERITY_WARNING: "WARNING",
    alert_pb2.SEVERITY_CRITICAL: "HIGH",
}


def require(ok: bool, field: str, what: str) -> None:
    """INVALID_ARGUMENT naming ``field`` ("must be ``what``") unless ``ok``."""
    if not ok:
        raise InvalidArgument.one(field, f"must be {what}")


def passage_name(field: str, name: str) -> str:
    require(bool(_PASSAGE.match(name)), field, "'{lane}/passages/{passage_id}'")
    return name


def time(ts: timestamp_pb2.Timestamp) -> datetime:
    """A timestamp as an aware UTC datetime at millisecond precision (what BSON keeps)."""
    value = ts.ToDatetime(tzinfo=UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def enum_name(enum_type: Any, value: int, prefix: str) -> str:
    """The enum value's name without prefix; "" for UNSPECIFIED or a value unknown here."""
    try:
        name: str = enum_type.Name(value).removeprefix(prefix)
    except ValueError:
        return ""
    return "" if name == "UNSPECIFIED" else name


def recognition_input(
    lane: Document, request: camera_pb2.RecordRecognitionEventRequest
) -> RecognitionInput:
    e = request.recognition_event
    d = e.declaration
    declaration = None
    if e.HasField("declaration"):
        declaration = DeclarationInput(
            d.reference,
            d.declarant_tax_code,
            d.declared_goods_weight_kg if d.HasField("declared_goods_weight_kg") else None,
            d.declared_vehicle_tare_kg if d.HasField("declared_vehicle_tare_kg") else None,
            d.declared_containers_tare_kg,
        )
    return RecognitionInput(
        lane=lane,
        event_id=request.event_id,
        camera=e.camera,
        observe_time=time(e.observe_time) if e.HasField("observe_time") else None,
        plate_text=e.plate.text,
        plate_confidence=e.plate.confidence,
        plate_country=e.plate.country_code.strip().upper(),
        containers=tuple(ContainerInput(c.text, c.confidence) for c in e.containers),
        seal=render.SEAL_FROM_PROTO.get(e.seal_presence, "NOT_OBSERVED"),
        snapshot=e.snapshot,
        snapshot_content_type=e.snapshot_content_type,
        declaration=declaration,
    )


def scale_input(lane: Document, request: camera_pb2.RecordScaleReadingRequest) -> ScaleInput:
    s = request.scale_reading
    return ScaleInput(
        lane=lane,
        event_id=request.event_id,
        scale_id=s.scale_id,
        measure_time=time(s.measure_time) if s.HasField("measure_time") else None,
        gross_kg=s.gross_weight_kg,
        stable=s.stable,
    )


def passage_query(
    parent: str,
    container: str,
    plate: str,
    start: datetime | None = None,
    end: datetime | None = None,
) -> tuple[dict[str, Any], str]:
    """The MongoDB filter of a passage listing and its fingerprint (for page tokens)."""
    query: dict[str, Any] = {}
    if parent != "sites/-":
        if layout.is_site(parent):
            query["site"] = parent
        elif layout.is_lane(parent):
            query["lane"] = parent
        else:
            raise InvalidArgument.one(
                "parent", "must be 'sites/{site_id}', a lane name or 'sites/-'"
            )
    if container:
        try:
            query["container_keys"] = iso6346.validate(container).text
        except iso6346.InvalidContainerNumber as exc:
            raise InvalidArgument.one("container_number.value", exc.description) from exc
    if plate.strip():
        query["plate_key"] = plate_key(plate)
    started: dict[str, Any] = {}
    if start is not None:
        started["$gte"] = start
    if end is not None:
        started["$lt"] = end
    if started:
        query["start_time"] = started
    fingerprint = json.dumps({k: str(v) for k, v in sorted(query.items())}, separators=(",", ":"))
    return query, fingerprint
