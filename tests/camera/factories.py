"""Builders for camera domain test data (plain functions, no fixtures)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.camera.domain.clearance import ScanAnswer, ScanStatus, SealAnswer, SealStage
from services.camera.domain.passages import Direction, Lane, Passage, assemble
from services.camera.domain.reads import (
    ContainerRead,
    RecognitionEvent,
    SealPresence,
    read_container,
    read_plate,
)
from services.camera.domain.weighing import ScaleReading

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
EXIT_LANE = Lane("CL-G1-OUT-1", "CL", Direction.EXIT, "VN")
ENTRY_LANE = Lane("CL-G1-IN-1", "CL", Direction.ENTRY, "VN")
BORDER_LANE = Lane("MC-IN-2", "MC", Direction.ENTRY, "CN")
LANES = (EXIT_LANE, ENTRY_LANE, BORDER_LANE)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def camera(
    seconds: float,
    plate: str | None = None,
    containers: tuple[str, ...] = (),
    *,
    lane: Lane = EXIT_LANE,
    confidence: float = 0.97,
    seal: SealPresence = SealPresence.NOT_OBSERVED,
    camera_id: str = "cam-front",
) -> RecognitionEvent:
    return RecognitionEvent(
        lane_id=lane.lane_id,
        camera_id=camera_id,
        observed_at=at(seconds),
        plate=read_plate(plate, confidence, lane.country_hint) if plate is not None else None,
        containers=tuple(read_container(text, confidence) for text in containers),
        seal=seal,
    )


def scale(
    seconds: float, gross_kg: float, *, lane: Lane = EXIT_LANE, stable: bool = True
) -> ScaleReading:
    return ScaleReading(lane.lane_id, "scale-1", at(seconds), gross_kg, stable)


def exit_passage(
    plate: str | None = "51C-123.45", containers: tuple[str, ...] = (), lane: Lane = EXIT_LANE
) -> Passage:
    (passage,) = list(assemble([camera(0, plate, containers, lane=lane)], (lane,)))
    return passage


def clear_scans(*numbers: str) -> list[ScanAnswer]:
    """The scanner service's answers: no open hold on any of ``numbers``."""
    return [ScanAnswer(n, ScanStatus.NO_OPEN_HOLD) for n in numbers]


def sealed(
    number: str, stage: SealStage, origin: str, destination: str, intact: bool = True
) -> SealAnswer:
    """The seal service's answer about a container sealed for a transit."""
    detail = f"seals/S-{number}, state {stage.value}"
    return SealAnswer.sealed(number, origin, destination, stage, intact, detail)


def read(text: str, confidence: float = 0.97) -> ContainerRead:
    return read_container(text, confidence)
