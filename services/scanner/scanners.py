"""Scanner registration: validation, the stored calibration, and what it alerts on."""

from __future__ import annotations

import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from services.platform.alerts import AlertDraft, Severity
from services.platform.errors import FieldViolation, collect
from services.platform.mongo import utcnow
from services.platform.names import check_id, parse_name

KINDS = ("CONTAINER", "BAGGAGE")
#: Air minus dark below this many counts: the detector row cannot be used.
MIN_DYNAMIC_RANGE = 64
UINT16_MAX = 65535


@dataclass(frozen=True, slots=True)
class CalibrationInput:
    energy_kev: int
    dark: Sequence[int]
    air: Sequence[int]


@dataclass(frozen=True, slots=True)
class NewScanner:
    scanner_id: str
    display_name: str
    site: str
    kind: str
    energies_kev: Sequence[int]
    pixel_pitch_mm: float
    detector_rows: int
    calibration: Sequence[CalibrationInput]


@dataclass(frozen=True, slots=True)
class Registration:
    """What creating a scanner stores: the document, the calibration object and its alerts."""

    doc: dict[str, Any]
    calibration_key: str
    calibration_blob: bytes
    alerts: list[AlertDraft]


def _validate(req: NewScanner) -> None:
    check_id("scanner_id", req.scanner_id)
    problems: list[FieldViolation] = []
    if not req.display_name.strip():
        problems.append(FieldViolation("scanner.display_name", "is required"))
    try:
        parse_name("scanner.site", req.site, "sites")
    except Exception:
        problems.append(FieldViolation("scanner.site", "must be 'sites/{id}'"))
    if req.kind not in KINDS:
        problems.append(FieldViolation("scanner.kind", "must be CONTAINER or BAGGAGE"))
    energies = list(req.energies_kev)
    if len(energies) != 2 or not 0 < energies[0] < energies[1]:
        problems.append(
            FieldViolation("scanner.energies_kev", "must be two energies, low then high, > 0")
        )
    if not req.pixel_pitch_mm > 0:
        problems.append(FieldViolation("scanner.pixel_pitch_mm", "must be > 0"))
    if not 16 <= req.detector_rows <= 8192:
        problems.append(FieldViolation("scanner.detector_rows", "must be between 16 and 8192"))
    collect(problems)
    if sorted(c.energy_kev for c in req.calibration) != energies:
        collect([FieldViolation("calibration", "needs exactly one entry per scanner energy")])
    for i, line in enumerate(req.calibration):
        for part, values in (("dark", line.dark), ("air", line.air)):
            if len(values) != req.detector_rows:
                problems.append(
                    FieldViolation(
                        f"calibration[{i}].{part}",
                        f"has {len(values)} values; the scanner has {req.detector_rows} rows",
                    )
                )
            elif any(not 0 <= v <= UINT16_MAX for v in values):
                problems.append(FieldViolation(f"calibration[{i}].{part}", "values must be uint16"))
    collect(problems)


def _lines(req: NewScanner) -> dict[str, npt.NDArray[np.uint16]]:
    by_energy = sorted(req.calibration, key=lambda c: c.energy_kev)
    return {
        "dark": np.array([c.dark for c in by_energy], dtype=np.uint16),
        "air": np.array([c.air for c in by_energy], dtype=np.uint16),
        "energies_kev": np.array([c.energy_kev for c in by_energy], dtype=np.uint16),
    }


def dead_rows(dark: npt.NDArray[np.uint16], air: npt.NDArray[np.uint16]) -> list[int]:
    """Rows whose air reading exceeds dark by less than MIN_DYNAMIC_RANGE at any energy."""
    span = air.astype(np.int32) - dark.astype(np.int32)
    return [int(r) for r in np.flatnonzero((span < MIN_DYNAMIC_RANGE).any(axis=0))]


def register(req: NewScanner) -> Registration:
    _validate(req)
    lines = _lines(req)
    dead = dead_rows(lines["dark"], lines["air"])
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **lines)  # type: ignore[arg-type]
    now = utcnow()
    name = f"scanners/{req.scanner_id}"
    key = f"{name}/calibrations/{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.npz"
    doc: dict[str, Any] = {
        "name": name,
        "display_name": req.display_name.strip(),
        "site": req.site,
        "kind": req.kind,
        "energies_kev": list(req.energies_kev),
        "pixel_pitch_mm": req.pixel_pitch_mm,
        "detector_rows": req.detector_rows,
        "calibration": {"object_key": key, "sha256": "", "dead_rows": dead, "calibrate_time": now},
        "create_time": now,
    }
    alerts = []
    if dead:
        alerts.append(
            AlertDraft(
                kind="SCANNER_DEAD_DETECTOR_ROWS",
                severity=Severity.WARNING,
                subject=name,
                site=req.site,
                message=(
                    f"Scanner {req.scanner_id}: {len(dead)} detector row(s) without usable "
                    "dynamic range; images will have blind lines until serviced."
                ),
                evidence={"rows": ",".join(map(str, dead[:50])), "count": str(len(dead))},
            )
        )
    return Registration(doc, key, buffer.getvalue(), alerts)
