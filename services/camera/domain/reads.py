"""Recognition reads from gate cameras: plate, container numbers, seal presence.

Container numbers are checked with ISO 6346. Rule for a read that fails the check:

* the read gets the correction proposals of :func:`services.platform.iso6346.propose_corrections`
  (at most ``ReadPolicy.max_substitutions`` OCR confusions, fewest first);
* it is auto-corrected (status CORRECTED, ``number`` set to the proposal) only when exactly one
  proposal needs the fewest substitutions and the OCR confidence is at least
  ``ReadPolicy.auto_correct_min_confidence``; otherwise it stays UNVERIFIED with no number;
* a CORRECTED read is still not verified: the number is good enough to ask the scanner and
  the seal service about, never good enough to open an exit barrier on. Only VERIFIED (passes
  as read) and CONFIRMED (an officer confirmed it) reads are verified;
* a read no OCR correction makes valid (wrong length, letters where digits belong, ...) is
  still a read: it is kept as read, UNVERIFIED with no proposals, and holds an exit like any
  unverified read. Only input that is not a read at all is refused: empty text, text longer
  than :data:`MAX_READ_CHARS`, a confidence outside [0, 1].
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from services.camera.domain.errors import DomainValidationError
from services.camera.domain.plates import NormalisedPlate, normalise_plate
from services.camera.domain.validation import require_aware, require_confidence, require_text
from services.platform import iso6346

#: Longest container read accepted (an ISO 6346 number is 11 characters; OCR may add a few
#: separators or stray characters, never dozens).
MAX_READ_CHARS = 32


class ContainerReadStatus(enum.Enum):
    """How far a container number read can be trusted."""

    VERIFIED = "VERIFIED"
    CORRECTED = "CORRECTED"
    UNVERIFIED = "UNVERIFIED"
    CONFIRMED = "CONFIRMED"


class SealPresence(enum.Enum):
    """Whether the camera saw a seal on the container doors."""

    NOT_OBSERVED = "NOT_OBSERVED"
    PRESENT = "PRESENT"
    ABSENT = "ABSENT"


@dataclass(frozen=True, slots=True)
class ReadPolicy:
    """How container reads that fail the check digit are handled."""

    auto_correct_min_confidence: float = 0.90
    max_substitutions: int = 2

    def __post_init__(self) -> None:
        require_confidence(self.auto_correct_min_confidence, "auto_correct_min_confidence")
        if not 0 <= self.max_substitutions <= 4:
            raise DomainValidationError("max_substitutions", "must be between 0 and 4")


@dataclass(frozen=True, slots=True)
class ContainerRead:
    """One container number read.

    ``number`` is the validated (VERIFIED, CONFIRMED) or auto-corrected (CORRECTED) number,
    None when UNVERIFIED; ``proposals`` are the candidate corrections of a failing read;
    ``problem`` says why the read as such failed ("" when it passed).
    """

    raw_text: str
    confidence: float
    status: ContainerReadStatus
    number: str | None
    proposals: tuple[str, ...] = ()
    problem: str = ""
    confirmed_by: str = ""

    @property
    def verified(self) -> bool:
        """True for VERIFIED and CONFIRMED reads: the number can be acted on."""
        return self.status in (ContainerReadStatus.VERIFIED, ContainerReadStatus.CONFIRMED)

    @property
    def label(self) -> str:
        """The number if known, else the normalised read (for messages and alerts)."""
        return self.number if self.number is not None else iso6346.normalise(self.raw_text)


def _substitutions(read: str, candidate: str) -> int:
    return sum(1 for a, b in zip(read, candidate, strict=True) if a != b)


def read_container(
    raw_text: str, confidence: float, policy: ReadPolicy | None = None
) -> ContainerRead:
    """Check an OCR container number read and, if it fails, propose corrections."""
    policy = policy or ReadPolicy()
    require_text(raw_text, "container_text")
    if len(raw_text) > MAX_READ_CHARS:
        raise DomainValidationError(
            "container_text", f"must be at most {MAX_READ_CHARS} characters, got {len(raw_text)}"
        )
    require_confidence(confidence, "confidence")
    try:
        number = iso6346.validate(raw_text)
    except iso6346.InvalidContainerNumber as error:
        problem = error.description
    else:
        return ContainerRead(raw_text, confidence, ContainerReadStatus.VERIFIED, number.text)
    proposals = tuple(iso6346.propose_corrections(raw_text, policy.max_substitutions))
    normalised = iso6346.normalise(raw_text)
    counts = [_substitutions(normalised, proposal) for proposal in proposals]
    unique_best = len(proposals) == 1 or (len(proposals) > 1 and counts[0] < counts[1])
    if unique_best and confidence >= policy.auto_correct_min_confidence:
        status, corrected = ContainerReadStatus.CORRECTED, proposals[0]
        return ContainerRead(raw_text, confidence, status, corrected, proposals, problem)
    return ContainerRead(
        raw_text, confidence, ContainerReadStatus.UNVERIFIED, None, proposals, problem
    )


def confirm_container(read: ContainerRead, number: str, officer_id: str) -> ContainerRead:
    """An officer confirms (or types) the number of a read; it must pass ISO 6346."""
    officer = require_text(officer_id, "officer_id")
    try:
        valid = iso6346.validate(number)
    except iso6346.InvalidContainerNumber as error:
        raise DomainValidationError("container_number", error.description) from error
    return ContainerRead(
        raw_text=read.raw_text,
        confidence=read.confidence,
        status=ContainerReadStatus.CONFIRMED,
        number=valid.text,
        proposals=read.proposals,
        problem=read.problem,
        confirmed_by=officer,
    )


@dataclass(frozen=True, slots=True)
class PlateRead:
    """A normalised plate with the OCR confidence."""

    plate: NormalisedPlate
    confidence: float


def read_plate(text: str, confidence: float, country_hint: str) -> PlateRead:
    """Normalise a plate read (see :mod:`services.camera.domain.plates`)."""
    require_confidence(confidence, "confidence")
    return PlateRead(normalise_plate(text, country_hint), confidence)


@dataclass(frozen=True, slots=True)
class RecognitionEvent:
    """What one recognition camera reported at one instant on one lane."""

    lane_id: str
    camera_id: str
    observed_at: datetime
    plate: PlateRead | None = None
    containers: tuple[ContainerRead, ...] = ()
    seal: SealPresence = SealPresence.NOT_OBSERVED
    snapshot: str = ""

    def __post_init__(self) -> None:
        require_text(self.lane_id, "lane_id")
        require_text(self.camera_id, "camera_id")
        require_aware(self.observed_at, "observed_at")
