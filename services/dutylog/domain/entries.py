"""Duty log entries: kinds, authors, references, attachments and the validated entry draft.

An ``EntryDraft`` is what a caller asks to append; ``chain.seal_entry`` gives it its sequence
number and hashes. Drafts validate themselves on construction and raise DomainValidationError
naming the field. Entries are never edited: a mistake is fixed by a CORRECTION entry that names
the sequence number of the entry it corrects (``corrects_seq``).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.dutylog.domain.errors import DomainValidationError
from services.platform import iso6346

MAX_TEXT_CHARS = 20_000
MAX_NAME_CHARS = 256
MAX_ATTRIBUTE_CHARS = 2_000

ROOM_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
NAME_RE = re.compile(r"[^\s]+")
SHA256_RE = re.compile(r"[0-9a-f]{64}")
CONTENT_TYPE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*")
ATTRIBUTE_KEY_RE = re.compile(r"[a-z][a-z0-9_]{0,63}")


class EntryKind(enum.Enum):
    """What an entry records."""

    OBSERVATION = "OBSERVATION"
    ALERT = "ALERT"
    DIRECTIVE = "DIRECTIVE"
    ACTION = "ACTION"
    RESULT = "RESULT"
    HANDOVER_NOTE = "HANDOVER_NOTE"
    CORRECTION = "CORRECTION"


class Department(enum.Enum):
    """Department a duty officer belongs to."""

    ANTI_SMUGGLING = "ANTI_SMUGGLING"
    RISK_MANAGEMENT = "RISK_MANAGEMENT"
    POST_CLEARANCE_AUDIT = "POST_CLEARANCE_AUDIT"
    SUPERVISION = "SUPERVISION"


def parse_kind(value: str, field_name: str = "kind") -> EntryKind:
    """Parse an entry kind from its name; unknown names raise DomainValidationError."""
    try:
        return EntryKind(value)
    except ValueError:
        raise DomainValidationError(field_name, f"unknown entry kind {value!r}") from None


def parse_department(value: str, field_name: str = "department") -> Department:
    """Parse a department from its name; unknown names raise DomainValidationError."""
    try:
        return Department(value)
    except ValueError:
        raise DomainValidationError(field_name, f"unknown department {value!r}") from None


def check_utc(value: datetime, field_name: str) -> datetime:
    """Return ``value`` converted to UTC; naive datetimes raise DomainValidationError."""
    if not isinstance(value, datetime):
        raise DomainValidationError(field_name, "must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise DomainValidationError(field_name, "must be timezone-aware (UTC)")
    return value.astimezone(UTC)


def check_text(value: str, field_name: str, max_chars: int = MAX_TEXT_CHARS) -> None:
    """Non-empty (after trimming), bounded, valid Unicode text."""
    if not isinstance(value, str):
        raise DomainValidationError(field_name, "must be a string")
    if not value.strip():
        raise DomainValidationError(field_name, "must not be empty")
    if len(value) > max_chars:
        raise DomainValidationError(field_name, f"longer than {max_chars} characters")
    check_encodable(value, field_name)


def check_encodable(value: str, field_name: str) -> None:
    """Reject strings that cannot be encoded as UTF-8 (lone surrogates) or contain NUL."""
    if "\x00" in value:
        raise DomainValidationError(field_name, "must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise DomainValidationError(field_name, "is not valid Unicode text") from None


def check_name(value: str, field_name: str) -> None:
    """A resource name or identifier: non-empty, no whitespace, bounded."""
    if not isinstance(value, str) or not NAME_RE.fullmatch(value):
        raise DomainValidationError(field_name, "must be a non-empty name without whitespace")
    if len(value) > MAX_NAME_CHARS:
        raise DomainValidationError(field_name, f"longer than {MAX_NAME_CHARS} characters")
    check_encodable(value, field_name)


def check_room(value: str, field_name: str = "room") -> None:
    """A room identifier: 1-63 characters of letters, digits, '.', '_' or '-'."""
    if not isinstance(value, str) or not ROOM_RE.fullmatch(value):
        raise DomainValidationError(
            field_name, "must be 1-63 letters, digits, '.', '_' or '-', starting alphanumeric"
        )


@dataclass(frozen=True, slots=True)
class Officer:
    """A duty officer; also the author of an entry."""

    subject: str
    display_name: str
    department: Department

    def __post_init__(self) -> None:
        check_name(self.subject, "subject")
        check_text(self.display_name, "display_name", MAX_NAME_CHARS)
        if not isinstance(self.department, Department):
            raise DomainValidationError("department", f"unknown department {self.department!r}")


@dataclass(frozen=True, slots=True)
class Attachment:
    """An object stored elsewhere (object storage key), pinned by its SHA-256."""

    object_key: str
    sha256: str
    content_type: str

    def __post_init__(self) -> None:
        check_name(self.object_key, "object_key")
        if not isinstance(self.sha256, str) or not SHA256_RE.fullmatch(self.sha256):
            raise DomainValidationError("sha256", "must be 64 lowercase hexadecimal digits")
        if not isinstance(self.content_type, str) or not CONTENT_TYPE_RE.fullmatch(
            self.content_type
        ):
            raise DomainValidationError("content_type", "must look like 'type/subtype'")


@dataclass(frozen=True, slots=True)
class References:
    """Things an entry is about, by their names in the other services (order is kept)."""

    container_numbers: tuple[str, ...] = ()
    scan_names: tuple[str, ...] = ()
    seal_names: tuple[str, ...] = ()
    passage_names: tuple[str, ...] = ()
    alert_ids: tuple[str, ...] = ()
    directive_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for group in REFERENCE_GROUPS:
            values = getattr(self, group)
            if not isinstance(values, tuple):
                raise DomainValidationError(group, "must be a tuple of strings")
            if len(set(values)) != len(values):
                raise DomainValidationError(group, "contains duplicates")
            for index, value in enumerate(values):
                check_name(value, f"{group}[{index}]")
        for index, number in enumerate(self.container_numbers):
            name = f"container_numbers[{index}]"
            try:
                canonical = iso6346.validate(number).text
            except iso6346.InvalidContainerNumber as exc:
                raise DomainValidationError(name, exc.description) from None
            if canonical != number:
                raise DomainValidationError(name, f"write it as {canonical}")


REFERENCE_GROUPS: tuple[str, ...] = (
    "container_numbers",
    "scan_names",
    "seal_names",
    "passage_names",
    "alert_ids",
    "directive_ids",
)


@dataclass(frozen=True, slots=True)
class EntryDraft:
    """An entry as asked to be appended (no sequence number or hashes yet).

    ``attributes`` are structured string facts the domain reads back from the log (alarm state,
    directive assignee and due time, handover identifiers); they are normalised to a tuple of
    (key, value) pairs sorted by key. ``time`` is normalised to UTC.
    """

    room: str
    kind: EntryKind
    author: Officer
    time: datetime
    text: str
    references: References = field(default_factory=References)
    attachments: tuple[Attachment, ...] = ()
    corrects_seq: int | None = None
    attributes: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        check_room(self.room)
        if not isinstance(self.kind, EntryKind):
            object.__setattr__(self, "kind", parse_kind(str(self.kind)))
        if not isinstance(self.author, Officer):
            raise DomainValidationError("author", "must be an Officer")
        object.__setattr__(self, "time", check_utc(self.time, "time"))
        check_text(self.text, "text")
        if not isinstance(self.references, References):
            raise DomainValidationError("references", "must be References")
        if not isinstance(self.attachments, tuple) or not all(
            isinstance(a, Attachment) for a in self.attachments
        ):
            raise DomainValidationError("attachments", "must be a tuple of Attachment")
        self._check_correction()
        object.__setattr__(self, "attributes", normalise_attributes(self.attributes))

    def _check_correction(self) -> None:
        if self.kind is EntryKind.CORRECTION:
            if self.corrects_seq is None:
                raise DomainValidationError(
                    "corrects_seq", "a CORRECTION must name the entry it corrects"
                )
            if (
                isinstance(self.corrects_seq, bool)
                or not isinstance(self.corrects_seq, int)
                or self.corrects_seq < 1
            ):
                raise DomainValidationError("corrects_seq", "must be a positive sequence number")
        elif self.corrects_seq is not None:
            raise DomainValidationError("corrects_seq", "only a CORRECTION may name a target")

    def attribute(self, key: str) -> str | None:
        """The value of attribute ``key``, or None."""
        for k, v in self.attributes:
            if k == key:
                return v
        return None


def normalise_attributes(pairs: object) -> tuple[tuple[str, str], ...]:
    """Validate (key, value) pairs and return them sorted by key; duplicate keys are rejected."""
    if isinstance(pairs, dict):
        items = list(pairs.items())
    elif isinstance(pairs, tuple | list):
        items = list(pairs)
    else:
        raise DomainValidationError("attributes", "must be (key, value) pairs")
    result: dict[str, str] = {}
    for item in items:
        if not (isinstance(item, tuple | list) and len(item) == 2):
            raise DomainValidationError("attributes", "must be (key, value) pairs")
        key, value = item
        if not isinstance(key, str) or not ATTRIBUTE_KEY_RE.fullmatch(key):
            raise DomainValidationError("attributes", f"bad key {key!r}")
        if key in result:
            raise DomainValidationError(f"attributes.{key}", "duplicate key")
        if not isinstance(value, str) or len(value) > MAX_ATTRIBUTE_CHARS:
            raise DomainValidationError(f"attributes.{key}", "must be a bounded string")
        check_encodable(value, f"attributes.{key}")
        result[key] = value
    return tuple(sorted(result.items()))


def entry_name(room: str, seq: int) -> str:
    """Resource name of an entry: ``rooms/{room}/entries/{seq}``."""
    return f"rooms/{room}/entries/{seq}"
