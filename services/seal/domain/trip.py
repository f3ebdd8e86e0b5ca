"""A trip: a seal attached to a container under a transit declaration, with its plan."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from services.seal.domain.errors import DomainValidationError
from services.seal.domain.geometry import Geofence, Route, geofence_from_document


@dataclass(frozen=True, slots=True)
class Trip:
    """The attachment and its plan. Times are UTC epoch seconds."""

    trip_id: str
    device_id: str
    container_number: str
    declaration: str
    origin: Geofence
    destination: Geofence
    route: Route
    start_time: float
    deadline: float

    def __post_init__(self) -> None:
        for name in ("trip_id", "device_id", "container_number", "declaration"):
            if not str(getattr(self, name)).strip():
                raise DomainValidationError(name, "must not be empty")
        for name in ("start_time", "deadline"):
            if not math.isfinite(getattr(self, name)):
                raise DomainValidationError(name, "must be a finite time")
        if self.deadline <= self.start_time:
            raise DomainValidationError("deadline", "must be after start_time")

    def to_document(self) -> dict[str, Any]:
        return {
            "trip_id": self.trip_id,
            "device_id": self.device_id,
            "container_number": self.container_number,
            "declaration": self.declaration,
            "origin": self.origin.to_document(),
            "destination": self.destination.to_document(),
            "route": self.route.to_document(),
            "start_time": self.start_time,
            "deadline": self.deadline,
        }

    @staticmethod
    def from_document(doc: dict[str, Any]) -> Trip:
        try:
            return Trip(
                trip_id=str(doc["trip_id"]),
                device_id=str(doc["device_id"]),
                container_number=str(doc["container_number"]),
                declaration=str(doc["declaration"]),
                origin=geofence_from_document(doc["origin"], "origin"),
                destination=geofence_from_document(doc["destination"], "destination"),
                route=Route.from_document(doc["route"]),
                start_time=float(doc["start_time"]),
                deadline=float(doc["deadline"]),
            )
        except KeyError as exc:
            raise DomainValidationError(str(exc.args[0]), "missing") from None
