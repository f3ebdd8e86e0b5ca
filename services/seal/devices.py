"""Seal devices as registered in stock: validation and the alerts registration raises."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.platform.alerts import AlertDraft, Severity
from services.platform.errors import FieldViolation, collect
from services.platform.mongo import utcnow
from services.platform.names import check_id

IN_STOCK = "IN_STOCK"


@dataclass(frozen=True, slots=True)
class NewSeal:
    """A registration request, as plain values."""

    seal_id: str
    manufacturer: str
    serial_number: str
    model: str
    firmware: str
    battery_percent: int


def register(request: NewSeal, low_battery_percent: int) -> tuple[dict[str, Any], list[AlertDraft]]:
    """The stored document of a new seal in stock, and SEAL_BATTERY_LOW when it needs charging."""
    check_id("seal_id", request.seal_id)
    problems: list[FieldViolation] = []
    if not request.manufacturer.strip():
        problems.append(FieldViolation("seal.manufacturer", "is required"))
    if not request.serial_number.strip():
        problems.append(FieldViolation("seal.serial_number", "is required"))
    if not 0 <= request.battery_percent <= 100:
        problems.append(FieldViolation("seal.battery_percent", "must be between 0 and 100"))
    collect(problems)
    name = f"seals/{request.seal_id}"
    doc: dict[str, Any] = {
        "name": name,
        "manufacturer": request.manufacturer.strip(),
        "serial_number": request.serial_number.strip(),
        "model": request.model.strip(),
        "firmware": request.firmware.strip(),
        "battery_percent": request.battery_percent,
        "state": IN_STOCK,
        "create_time": utcnow(),
    }
    alerts = []
    if request.battery_percent < low_battery_percent:
        alerts.append(
            AlertDraft(
                kind="SEAL_BATTERY_LOW",
                severity=Severity.WARNING,
                subject=name,
                message=(
                    f"Seal {request.seal_id} registered with {request.battery_percent}% battery "
                    f"(below {low_battery_percent}%): charge it before arming."
                ),
                evidence={"battery_percent": str(request.battery_percent)},
            )
        )
    return doc, alerts
