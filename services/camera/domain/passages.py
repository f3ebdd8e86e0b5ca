"""Passage assembly: camera reads and scale readings on one lane become one passage.

Rules (per lane, events in time order across all lanes):

* the first event on a lane with no open passage opens one;
* an event joins the open passage when it comes at most ``AssemblyConfig.window`` after the
  passage's first event, and, for a plate read, when the plate is the passage's plate (or the
  passage has no plate yet);
* a plate read of a different plate, or any event after the window, closes the open passage
  and opens a new one: two trucks close together become two passages;
* time moving past the window (an event on any lane, or :meth:`PassageAssembler.close_expired`)
  closes passages; :meth:`PassageAssembler.flush` closes all.

Container reads of one passage are merged: verified reads of the same number become one, and
misreads with the same text become one. A misread is never merged into another number, even a
verified one nearby: it could be a second container, so it stays and holds the exit (fail
closed) until an officer confirms it (:func:`confirm_passage_container`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from services.camera.domain.errors import DomainValidationError
from services.camera.domain.reads import (
    ContainerRead,
    ContainerReadStatus,
    PlateRead,
    RecognitionEvent,
    SealPresence,
    confirm_container,
)
from services.camera.domain.validation import require_aware, require_country, require_text
from services.camera.domain.weighing import ScaleReading
from services.platform import iso6346

LaneEvent = RecognitionEvent | ScaleReading


class Direction(enum.Enum):
    """Whether a lane lets vehicles into or out of the controlled area."""

    ENTRY = "ENTRY"
    EXIT = "EXIT"


@dataclass(frozen=True, slots=True)
class Lane:
    """A gate lane: its site, direction and the country plates are read for."""

    lane_id: str
    site_id: str
    direction: Direction
    country_hint: str = "VN"

    def __post_init__(self) -> None:
        require_text(self.lane_id, "lane_id")
        require_text(self.site_id, "site_id")
        require_country(self.country_hint, "country_hint")


@dataclass(frozen=True, slots=True)
class AssemblyConfig:
    """How long after its first event a passage still takes events."""

    window: timedelta = timedelta(seconds=90)

    def __post_init__(self) -> None:
        if self.window <= timedelta(0):
            raise DomainValidationError("window", "must be positive")


_STATUS_RANK = {
    ContainerReadStatus.CONFIRMED: 0,
    ContainerReadStatus.VERIFIED: 1,
    ContainerReadStatus.CORRECTED: 2,
    ContainerReadStatus.UNVERIFIED: 3,
}


def _merge_key(read: ContainerRead) -> str:
    if read.verified and read.number is not None:
        return read.number
    return "?" + iso6346.normalise(read.raw_text)


def merge_container_reads(reads: Iterable[ContainerRead]) -> tuple[ContainerRead, ...]:
    """One read per container, in order of first sighting, the most trusted read of each."""
    best: dict[str, ContainerRead] = {}
    for read in reads:
        key = _merge_key(read)
        current = best.get(key)
        if current is None or (_STATUS_RANK[read.status], -read.confidence) < (
            _STATUS_RANK[current.status],
            -current.confidence,
        ):
            best[key] = read
    return tuple(best.values())


@dataclass(frozen=True, slots=True)
class Passage:
    """One vehicle passing one lane: the reads and scale readings taken within the window."""

    lane: Lane
    started_at: datetime
    ended_at: datetime
    recognitions: tuple[RecognitionEvent, ...] = ()
    scale_readings: tuple[ScaleReading, ...] = ()

    @property
    def key(self) -> str:
        """Stable identifier: lane and start instant in UTC."""
        return f"{self.lane.lane_id}/{self.started_at.astimezone(UTC):%Y%m%dT%H%M%S.%fZ}"

    @property
    def direction(self) -> Direction:
        return self.lane.direction

    @property
    def plate(self) -> PlateRead | None:
        """The most confident plate read (all plate reads of a passage have the same key)."""
        reads = [event.plate for event in self.recognitions if event.plate is not None]
        return max(reads, key=lambda read: read.confidence, default=None)

    @property
    def containers(self) -> tuple[ContainerRead, ...]:
        return merge_container_reads(
            read for event in self.recognitions for read in event.containers
        )

    @property
    def seal(self) -> SealPresence:
        """PRESENT if any camera saw a seal, else ABSENT if any saw none, else NOT_OBSERVED."""
        seen = {event.seal for event in self.recognitions}
        for presence in (SealPresence.PRESENT, SealPresence.ABSENT):
            if presence in seen:
                return presence
        return SealPresence.NOT_OBSERVED

    @property
    def gross_kg(self) -> float | None:
        """The last stable scale reading, None when the scale never settled."""
        stable = [reading.gross_kg for reading in self.scale_readings if reading.stable]
        return stable[-1] if stable else None

    @property
    def subject(self) -> str:
        """What to call the passage in alerts: the plate if read, else the passage key."""
        plate = self.plate
        return plate.plate.text if plate is not None else self.key


def confirm_passage_container(
    passage: Passage, raw_text: str, number: str, officer_id: str
) -> Passage:
    """Replace every read of ``raw_text`` in the passage by an officer-confirmed ``number``."""
    target = iso6346.normalise(raw_text)
    found = False
    events: list[RecognitionEvent] = []
    for event in passage.recognitions:
        reads: list[ContainerRead] = []
        for read in event.containers:
            if iso6346.normalise(read.raw_text) == target:
                read = confirm_container(read, number, officer_id)
                found = True
            reads.append(read)
        events.append(replace(event, containers=tuple(reads)))
    if not found:
        raise DomainValidationError("raw_text", f"no container read {raw_text!r} in the passage")
    return replace(passage, recognitions=tuple(events))


@dataclass(slots=True)
class _Open:
    started_at: datetime
    ended_at: datetime
    plate_key: str | None
    recognitions: list[RecognitionEvent]
    scale_readings: list[ScaleReading]


class PassageAssembler:
    """Turns a time-ordered stream of lane events into passages (see the module docstring)."""

    def __init__(self, lanes: Iterable[Lane], config: AssemblyConfig | None = None) -> None:
        self._lanes = {lane.lane_id: lane for lane in lanes}
        self._config = config or AssemblyConfig()
        self._open: dict[str, _Open] = {}
        self._last_at: datetime | None = None

    def add(self, event: LaneEvent) -> list[Passage]:
        """Take one event; return the passages it closed (on any lane), oldest first."""
        lane = self._lanes.get(event.lane_id)
        if lane is None:
            raise DomainValidationError("lane_id", f"unknown lane {event.lane_id!r}")
        at = require_aware(event.observed_at, "observed_at")
        if self._last_at is not None and at < self._last_at:
            raise DomainValidationError("observed_at", "events must arrive in time order")
        self._last_at = at
        closed = self.close_expired(at)
        current = self._open.get(lane.lane_id)
        plate_key = None
        if isinstance(event, RecognitionEvent) and event.plate is not None:
            plate_key = event.plate.plate.key
        if current is not None and plate_key is not None and current.plate_key is not None:
            if plate_key != current.plate_key:
                closed.append(self._close(lane.lane_id))
                current = None
        if current is None:
            current = _Open(at, at, None, [], [])
            self._open[lane.lane_id] = current
        current.ended_at = at
        if plate_key is not None:
            current.plate_key = plate_key
        if isinstance(event, RecognitionEvent):
            current.recognitions.append(event)
        else:
            current.scale_readings.append(event)
        return closed

    def close_expired(self, now: datetime) -> list[Passage]:
        """Close the passages whose window ended before ``now``."""
        require_aware(now, "now")
        expired = [
            lane_id
            for lane_id, current in self._open.items()
            if now - current.started_at > self._config.window
        ]
        return sorted((self._close(lane_id) for lane_id in expired), key=_start)

    def flush(self) -> list[Passage]:
        """Close every open passage (end of stream)."""
        return sorted((self._close(lane_id) for lane_id in list(self._open)), key=_start)

    def _close(self, lane_id: str) -> Passage:
        current = self._open.pop(lane_id)
        return Passage(
            lane=self._lanes[lane_id],
            started_at=current.started_at,
            ended_at=current.ended_at,
            recognitions=tuple(current.recognitions),
            scale_readings=tuple(current.scale_readings),
        )


def _start(passage: Passage) -> datetime:
    return passage.started_at


def assemble(
    events: Iterable[LaneEvent], lanes: Iterable[Lane], config: AssemblyConfig | None = None
) -> Iterator[Passage]:
    """All passages of a finite, time-ordered event sequence, in the order they close."""
    assembler = PassageAssembler(lanes, config)
    for event in events:
        yield from assembler.add(event)
    yield from assembler.flush()


def build_passage(lane: Lane, events: Iterable[LaneEvent]) -> Passage:
    """The passage made of ``events`` (any order; at least one), events sorted by time.

    Used by the service, which keeps a lane's open passage as stored events and rebuilds it."""
    ordered = sorted(events, key=lambda event: require_aware(event.observed_at, "observed_at"))
    if not ordered:
        raise DomainValidationError("events", "a passage needs at least one event")
    for event in ordered:
        if event.lane_id != lane.lane_id:
            raise DomainValidationError("lane_id", f"event of lane {event.lane_id!r}")
    return Passage(
        lane=lane,
        started_at=ordered[0].observed_at,
        ended_at=ordered[-1].observed_at,
        recognitions=tuple(e for e in ordered if isinstance(e, RecognitionEvent)),
        scale_readings=tuple(e for e in ordered if isinstance(e, ScaleReading)),
    )


def fits_passage(passage: Passage, event: LaneEvent, config: AssemblyConfig | None = None) -> bool:
    """True when ``event`` belongs to the open ``passage``: same lane, the passage with it
    spans at most the window (whatever order events arrive in), and a plate read has the
    passage's plate (or the passage has none yet). Otherwise the passage closes and the event
    opens a new one, as in :class:`PassageAssembler`."""
    config = config or AssemblyConfig()
    at = require_aware(event.observed_at, "observed_at")
    if event.lane_id != passage.lane.lane_id:
        return False
    if max(passage.ended_at, at) - min(passage.started_at, at) > config.window:
        return False
    if isinstance(event, RecognitionEvent) and event.plate is not None:
        current = passage.plate
        if current is not None and current.plate.key != event.plate.plate.key:
            return False
    return True
