"""Recognition events and scale readings: checking a device's report, its stored document,
and the domain value rebuilt from that document."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.camera.domain.errors import DomainValidationError
from services.camera.domain.passages import Direction, Lane, LaneEvent
from services.camera.domain.plates import NormalisedPlate, PlateKind
from services.camera.domain.reads import (
    ContainerRead,
    ContainerReadStatus,
    PlateRead,
    ReadPolicy,
    RecognitionEvent,
    SealPresence,
    read_container,
    read_plate,
)
from services.camera.domain.watchlists import declarant_key
from services.camera.domain.weighing import ScaleReading
from services.platform.errors import FieldViolation, collect
from services.platform.mongo import utcnow
from services.platform.names import check_id

RECOGNITION = "RECOGNITION"
SCALE = "SCALE"
SNAPSHOT_TYPES = {"image/jpeg": "jpg", "image/png": "png"}


def lane_value(doc: dict[str, Any]) -> Lane:
    """The domain lane of a stored lane document (its name is the lane id)."""
    return Lane(doc["name"], doc["site"], Direction(doc["direction"]), doc["country_hint"])


@dataclass(frozen=True, slots=True)
class ContainerInput:
    text: str
    confidence: float


@dataclass(frozen=True, slots=True)
class DeclarationInput:
    reference: str
    declarant_tax_code: str
    goods_kg: float | None
    vehicle_tare_kg: float | None
    containers_tare_kg: float


@dataclass(frozen=True, slots=True)
class RecognitionInput:
    """A RecordRecognitionEvent request as plain values."""

    lane: dict[str, Any]
    event_id: str
    camera: str
    observe_time: datetime | None
    plate_text: str
    plate_confidence: float
    plate_country: str
    containers: tuple[ContainerInput, ...]
    seal: str
    snapshot: bytes
    snapshot_content_type: str
    declaration: DeclarationInput | None


_PREFIX = "recognition_event"


def _declaration(problems: list[FieldViolation], d: DeclarationInput) -> dict[str, Any]:
    field = f"{_PREFIX}.declaration"
    if not d.reference.strip():
        problems.append(FieldViolation(f"{field}.reference", "is required"))
    tax = ""
    if d.declarant_tax_code.strip():
        try:
            tax = declarant_key(d.declarant_tax_code)
        except DomainValidationError as error:
            problems.append(FieldViolation(f"{field}.declarant_tax_code", error.description))
    for name, value in (
        ("declared_goods_weight_kg", d.goods_kg),
        ("declared_vehicle_tare_kg", d.vehicle_tare_kg),
        ("declared_containers_tare_kg", d.containers_tare_kg),
    ):
        if value is not None and (not math.isfinite(value) or value < 0):
            problems.append(FieldViolation(f"{field}.{name}", "must be a weight in kg >= 0"))
    return {
        "reference": d.reference.strip(),
        "declarant_tax_code": tax,
        "goods_kg": d.goods_kg,
        "vehicle_tare_kg": d.vehicle_tare_kg,
        "containers_tare_kg": d.containers_tare_kg,
    }


def _container_doc(read: ContainerRead) -> dict[str, Any]:
    return {
        "raw_text": read.raw_text,
        "confidence": read.confidence,
        "status": read.status.value,
        "number": read.number,
        "proposals": list(read.proposals),
        "problem": read.problem,
        "confirmed_by": read.confirmed_by,
    }


def _plate_doc(read: PlateRead) -> dict[str, Any]:
    p = read.plate
    return {
        "text": p.text,
        "country": p.country,
        "kind": p.kind.value,
        "raw": p.raw,
        "key": p.key,
        "confidence": read.confidence,
    }


def recognition_document(
    req: RecognitionInput, policy: ReadPolicy, max_snapshot: int
) -> dict[str, Any]:
    """The stored document of a recognition event (without ``passage`` and ``snapshot``).

    A container read that fails ISO 6346 is kept unverified with its proposals, or with none
    when no OCR correction makes it valid: the event, its plate and snapshot are never lost
    for a bad read, and an exit holds on it. Input that is not a read (empty text, a confidence
    outside [0, 1]) is INVALID_ARGUMENT naming the field."""
    check_id("event_id", req.event_id)
    problems: list[FieldViolation] = []
    lane = req.lane
    if not req.camera.startswith(f"{lane['site']}/cameras/"):
        problems.append(FieldViolation(f"{_PREFIX}.camera", f"must be a camera of {lane['site']}"))
    if req.observe_time is None:
        problems.append(FieldViolation(f"{_PREFIX}.observe_time", "is required"))
    plate = None
    if req.plate_text.strip():
        try:
            plate = _plate_doc(
                read_plate(
                    req.plate_text, req.plate_confidence, req.plate_country or lane["country_hint"]
                )
            )
        except DomainValidationError as error:
            field = {"confidence": "confidence", "country_hint": "country_code"}.get(
                error.field, "text"
            )
            problems.append(FieldViolation(f"{_PREFIX}.plate.{field}", error.description))
    containers: list[dict[str, Any]] = []
    for i, item in enumerate(req.containers):
        field = f"{_PREFIX}.containers[{i}]"
        try:
            read = read_container(item.text, item.confidence, policy)
        except DomainValidationError as error:
            sub = "confidence" if error.field == "confidence" else "text"
            problems.append(FieldViolation(f"{field}.{sub}", error.description))
            continue
        containers.append(_container_doc(read))
    if plate is None and not containers and not req.snapshot:
        problems.append(FieldViolation(_PREFIX, "reports no plate, container or snapshot"))
    if len(req.snapshot) > max_snapshot:
        problems.append(
            FieldViolation(
                f"{_PREFIX}.snapshot", f"is {len(req.snapshot)} bytes; at most {max_snapshot}"
            )
        )
    content_type = req.snapshot_content_type or "image/jpeg"
    if req.snapshot and content_type not in SNAPSHOT_TYPES:
        problems.append(
            FieldViolation(f"{_PREFIX}.snapshot_content_type", "must be image/jpeg or image/png")
        )
    declaration = _declaration(problems, req.declaration) if req.declaration else None
    collect(problems)
    assert req.observe_time is not None
    return {
        "name": f"{lane['name']}/recognitionEvents/{req.event_id}",
        "kind": RECOGNITION,
        "lane": lane["name"],
        "site": lane["site"],
        "event_id": req.event_id,
        "camera": req.camera,
        "time": req.observe_time,
        "plate": plate,
        "containers": containers,
        "seal": req.seal,
        "snapshot": None,
        "declaration": declaration,
        "passage": "",
        "create_time": utcnow(),
    }


def snapshot_key(event_name: str, content_type: str) -> str:
    """Object key of an event's snapshot: under the lane and the event."""
    return f"{event_name}/snapshot.{SNAPSHOT_TYPES[content_type]}"


@dataclass(frozen=True, slots=True)
class ScaleInput:
    lane: dict[str, Any]
    event_id: str
    scale_id: str
    measure_time: datetime | None
    gross_kg: float
    stable: bool


def scale_document(req: ScaleInput) -> dict[str, Any]:
    check_id("event_id", req.event_id)
    problems: list[FieldViolation] = []
    if not req.scale_id.strip():
        problems.append(FieldViolation("scale_reading.scale_id", "is required"))
    if req.measure_time is None:
        problems.append(FieldViolation("scale_reading.measure_time", "is required"))
    if not math.isfinite(req.gross_kg) or req.gross_kg < 0:
        problems.append(FieldViolation("scale_reading.gross_weight_kg", "must be a weight >= 0"))
    collect(problems)
    return {
        "name": f"{req.lane['name']}/scaleReadings/{req.event_id}",
        "kind": SCALE,
        "lane": req.lane["name"],
        "site": req.lane["site"],
        "event_id": req.event_id,
        "scale_id": req.scale_id.strip(),
        "time": req.measure_time,
        "gross_kg": req.gross_kg,
        "stable": req.stable,
        "passage": "",
        "create_time": utcnow(),
    }


def _container_value(doc: dict[str, Any]) -> ContainerRead:
    return ContainerRead(
        raw_text=doc["raw_text"],
        confidence=doc["confidence"],
        status=ContainerReadStatus(doc["status"]),
        number=doc["number"],
        proposals=tuple(doc["proposals"]),
        problem=doc["problem"],
        confirmed_by=doc["confirmed_by"],
    )


def event_value(doc: dict[str, Any]) -> LaneEvent:
    """The domain event of a stored event document."""
    if doc["kind"] == SCALE:
        return ScaleReading(
            doc["lane"], doc["scale_id"], doc["time"], doc["gross_kg"], doc["stable"]
        )
    plate = None
    if doc["plate"] is not None:
        p = doc["plate"]
        plate = PlateRead(
            NormalisedPlate(p["text"], p["country"], PlateKind(p["kind"]), p["raw"]),
            p["confidence"],
        )
    return RecognitionEvent(
        lane_id=doc["lane"],
        camera_id=doc["camera"],
        observed_at=doc["time"],
        plate=plate,
        containers=tuple(_container_value(c) for c in doc["containers"]),
        seal=SealPresence(doc["seal"]),
        snapshot=(doc["snapshot"] or {}).get("key", ""),
    )


def container_doc(read: ContainerRead) -> dict[str, Any]:
    """The stored form of a (merged) container read."""
    return _container_doc(read)


def plate_doc(read: PlateRead) -> dict[str, Any]:
    """The stored form of a plate read."""
    return _plate_doc(read)
