"""Checking an upload before anything is stored: the metadata against the scanner, and the
payload as it streams in (size bounded by the metadata, SHA-256 of the whole).

No I/O here: the caller looks the scanner up and stores what :class:`Received` holds.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from customs.scanner.v1 import scanner_pb2

from services.platform import iso6346
from services.platform.enums import enum_name
from services.platform.errors import FieldViolation, collect
from services.platform.names import parse_name
from services.scanner.domain import Declaration, GoodsCategory, GoodsLine, ScannerGeometry
from services.scanner.domain.errors import DomainValidationError
from services.scanner.domain.model import U16Array

MAX_CONTAINERS = 4
MAX_COLUMNS = 65536
MAX_TEXT = 200
_KEY = re.compile(r"^[\x21-\x7e]{1,128}$")
_HS = re.compile(r"^[0-9]{4,10}$")
_SHA = re.compile(r"^[0-9a-f]{64}$")
_M = "metadata"


@dataclass(frozen=True, slots=True)
class UploadPlan:
    """A valid upload's metadata as plain values, and the payload size it announces."""

    scanner: str
    site: str
    idempotency_key: str
    container_numbers: tuple[str, ...]
    declaration: Declaration
    declaration_doc: dict[str, Any]
    rows: int
    columns: int
    calibration: dict[str, list[int]]
    sha256: str
    geometry: ScannerGeometry
    scan_time: datetime | None

    @property
    def payload_bytes(self) -> int:
        """Two uint16 planes of rows x columns."""
        return 2 * 2 * self.rows * self.columns


def _declaration(
    d: scanner_pb2.Declaration, problems: list[FieldViolation]
) -> tuple[Declaration, dict[str, Any]]:
    f = f"{_M}.declaration"
    if not d.reference.strip() or len(d.reference) > MAX_TEXT:
        problems.append(FieldViolation(f"{f}.reference", f"is required, 1-{MAX_TEXT} characters"))
    if d.declared_empty and len(d.goods):
        problems.append(FieldViolation(f"{f}.goods", "must be empty when declared_empty"))
    if not d.declared_empty and not len(d.goods):
        problems.append(FieldViolation(f"{f}.goods", "at least one line, or set declared_empty"))
    if not (np.isfinite(d.gross_weight_kg) and d.gross_weight_kg >= 0):
        problems.append(FieldViolation(f"{f}.gross_weight_kg", "must be a number >= 0"))
    lines: list[GoodsLine] = []
    for i, g in enumerate(d.goods):
        if not _HS.match(g.hs_code):
            problems.append(FieldViolation(f"{f}.goods[{i}].hs_code", "must be 4 to 10 digits"))
        if not g.description.strip() or len(g.description) > MAX_TEXT:
            problems.append(
                FieldViolation(f"{f}.goods[{i}].description", f"is required, 1-{MAX_TEXT} chars")
            )
        if g.category == scanner_pb2.GOODS_CATEGORY_UNSPECIFIED:
            problems.append(FieldViolation(f"{f}.goods[{i}].category", "is required"))
            continue
        name = enum_name(
            scanner_pb2.GoodsCategory, g.category, f"{f}.goods[{i}].category", "GOODS_CATEGORY_"
        )
        lines.append(GoodsLine(g.hs_code, g.description.strip(), GoodsCategory[name]))
    doc = {
        "reference": d.reference.strip(),
        "goods": [
            {"hs_code": g.hs_code, "description": g.description, "category": g.category.name}
            for g in lines
        ],
        "gross_weight_kg": float(d.gross_weight_kg),
        "declared_empty": d.declared_empty,
    }
    weight = float(d.gross_weight_kg) if np.isfinite(d.gross_weight_kg) else 0.0
    return Declaration(tuple(lines), max(weight, 0.0), d.declared_empty), doc


def _containers(
    meta: scanner_pb2.UploadScanMetadata, kind: str, problems: list[FieldViolation]
) -> tuple[str, ...]:
    numbers: list[str] = []
    for i, c in enumerate(meta.container_numbers):
        try:
            numbers.append(iso6346.validate(c.value).text)
        except iso6346.InvalidContainerNumber as exc:
            problems.append(FieldViolation(f"{_M}.container_numbers[{i}].value", exc.description))
    field = f"{_M}.container_numbers"
    if len(meta.container_numbers) > MAX_CONTAINERS:
        problems.append(FieldViolation(field, f"at most {MAX_CONTAINERS}"))
    elif kind == "CONTAINER" and not len(meta.container_numbers):
        problems.append(FieldViolation(field, "a container scanner's scan needs at least one"))
    elif len(set(numbers)) != len(numbers):
        problems.append(FieldViolation(field, "must not repeat a container"))
    return tuple(numbers)


def _calibration(
    meta: scanner_pb2.UploadScanMetadata,
    energies: list[int],
    rows: int,
    problems: list[FieldViolation],
) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    if sorted(c.energy_kev for c in meta.calibration) != sorted(energies):
        problems.append(
            FieldViolation(f"{_M}.calibration", f"needs one entry per scanner energy {energies}")
        )
        return out
    low = min(energies)
    for i, line in enumerate(meta.calibration):
        suffix = "low" if line.energy_kev == low else "high"
        for part, values in (("dark", line.dark), ("air", line.air)):
            field = f"{_M}.calibration[{i}].{part}"
            if len(values) != rows:
                problems.append(FieldViolation(field, f"has {len(values)} values, needs {rows}"))
            elif any(v > 65535 for v in values):
                problems.append(FieldViolation(field, "values must be uint16"))
            out[f"{part}_{suffix}"] = list(values)
    return out


def plan(
    meta: scanner_pb2.UploadScanMetadata, scanner: Mapping[str, Any] | None, max_bytes: int
) -> UploadPlan:
    """The upload plan, or InvalidArgument naming every bad field. ``scanner`` is the stored
    scanner named by ``meta.scanner`` (None when it does not exist)."""
    problems: list[FieldViolation] = []
    if scanner is None:
        problems.append(FieldViolation(f"{_M}.scanner", f"{meta.scanner!r} does not exist"))
    if not _KEY.match(meta.idempotency_key):
        problems.append(
            FieldViolation(f"{_M}.idempotency_key", "is required: 1-128 printable characters")
        )
    declaration, declaration_doc = _declaration(meta.declaration, problems)
    if not _SHA.match(meta.sha256):
        problems.append(FieldViolation(f"{_M}.sha256", "must be 64 lower-case hex characters"))
    if not 1 <= meta.columns <= MAX_COLUMNS:
        problems.append(FieldViolation(f"{_M}.columns", f"must be 1..{MAX_COLUMNS}"))
    if not (np.isfinite(meta.line_pitch_mm) and meta.line_pitch_mm >= 0):
        problems.append(FieldViolation(f"{_M}.line_pitch_mm", "must be >= 0"))
    if scanner is None:
        collect(problems)
        raise AssertionError("unreachable: a missing scanner is a violation")
    numbers = _containers(meta, scanner["kind"], problems)
    rows = int(scanner["detector_rows"])
    if meta.rows != rows:
        problems.append(
            FieldViolation(f"{_M}.rows", f"is {meta.rows}; the scanner has {rows} detector rows")
        )
    calibration = _calibration(meta, list(scanner["energies_kev"]), rows, problems)
    size = 4 * rows * meta.columns
    if meta.columns and size > max_bytes:
        problems.append(
            FieldViolation(f"{_M}.columns", f"payload of {size} bytes exceeds {max_bytes}")
        )
    collect(problems)
    pitch = float(scanner["pixel_pitch_mm"])
    return UploadPlan(
        scanner=scanner["name"],
        site=scanner["site"],
        idempotency_key=meta.idempotency_key,
        container_numbers=numbers,
        declaration=declaration,
        declaration_doc=declaration_doc,
        rows=rows,
        columns=int(meta.columns),
        calibration=calibration,
        sha256=meta.sha256,
        geometry=ScannerGeometry(pitch, float(meta.line_pitch_mm) or pitch),
        scan_time=meta.scan_time.ToDatetime(tzinfo=UTC) if meta.HasField("scan_time") else None,
    )


def scanner_name(meta: scanner_pb2.UploadScanMetadata) -> str:
    """``meta.scanner`` when it is a well-formed scanner name (InvalidArgument otherwise)."""
    parse_name(f"{_M}.scanner", meta.scanner, "scanners")
    return meta.scanner


class UploadBuffer:
    """The payload as it arrives: a buffer of exactly the announced size and a running SHA-256.

    ``append`` refuses bytes beyond the announced size; ``finish`` refuses a short payload or a
    checksum mismatch. Both raise DomainValidationError naming the field."""

    def __init__(self, size: int) -> None:
        self._data = bytearray(size)
        self._view = memoryview(self._data)
        self._filled = 0
        self._hash = hashlib.sha256()

    @property
    def received(self) -> int:
        return self._filled

    def append(self, chunk: bytes) -> None:
        end = self._filled + len(chunk)
        if end > len(self._data):
            raise DomainValidationError(
                "chunk", f"payload exceeds the announced {len(self._data)} bytes (rows x columns)"
            )
        self._view[self._filled : end] = chunk
        self._hash.update(chunk)
        self._filled = end

    def finish(self, sha256: str, rows: int, columns: int) -> tuple[bytearray, U16Array, U16Array]:
        """The payload and its two planes (views on it) once complete and verified."""
        if self._filled != len(self._data):
            raise DomainValidationError(
                "chunk",
                f"stream ended after {self._filled} of {len(self._data)} bytes: truncated upload",
            )
        digest = self._hash.hexdigest()
        if digest != sha256:
            raise DomainValidationError(
                "metadata.sha256", f"does not match the payload received (SHA-256 {digest})"
            )
        n = rows * columns
        planes = np.frombuffer(self._data, dtype="<u2", count=2 * n).astype(np.uint16, copy=False)
        low: U16Array = planes[:n].reshape(rows, columns)
        high: U16Array = planes[n:].reshape(rows, columns)
        return self._data, low, high
