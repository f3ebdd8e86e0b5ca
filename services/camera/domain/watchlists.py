"""Watchlists of plates, containers and declarants, and matching reads against them.

Keys: plates compare without separators and case (``51C-123.45`` = ``51c12345``), whatever
the country; containers compare as validated ISO 6346 numbers; declarants compare by tax
code digits, and a 10-digit entry (a company) also matches its 13-digit branch codes
(``0301234567`` matches ``0301234567-001``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from services.camera.domain.alerts import Severity
from services.camera.domain.errors import DomainValidationError
from services.camera.domain.plates import NormalisedPlate, plate_key
from services.camera.domain.reads import ContainerRead
from services.camera.domain.validation import require_text
from services.platform import iso6346


class WatchKind(enum.Enum):
    """What a watchlist entry is about."""

    PLATE = "PLATE"
    CONTAINER = "CONTAINER"
    DECLARANT = "DECLARANT"


class WatchAction(enum.Enum):
    """What a hit does at an exit: hold the barrier, or only raise an alert."""

    HOLD = "HOLD"
    ALERT = "ALERT"


def declarant_key(tax_code: str) -> str:
    """A Vietnamese tax code as digits only: 10 digits, or 13 for a branch."""
    digits = "".join(char for char in tax_code if char not in " -.")
    if not digits.isdigit() or len(digits) not in (10, 13):
        raise DomainValidationError("tax_code", f"must be 10 or 13 digits, got {tax_code!r}")
    return digits


def watch_key(kind: WatchKind, value: str) -> str:
    """The key ``value`` is compared by; DomainValidationError(field="value") if invalid."""
    require_text(value, "value")
    if kind is WatchKind.PLATE:
        return plate_key(value)
    if kind is WatchKind.CONTAINER:
        try:
            return iso6346.validate(value).text
        except iso6346.InvalidContainerNumber as error:
            raise DomainValidationError("value", error.description) from error
    try:
        return declarant_key(value)
    except DomainValidationError as error:
        raise DomainValidationError("value", error.description) from error


@dataclass(frozen=True, slots=True)
class WatchlistEntry:
    """One listed plate, container or declarant, with why and what a hit does."""

    kind: WatchKind
    value: str
    reason: str
    action: WatchAction = WatchAction.HOLD
    severity: Severity = Severity.HIGH
    listed_by: str = ""

    def __post_init__(self) -> None:
        watch_key(self.kind, self.value)
        require_text(self.reason, "reason")

    @property
    def key(self) -> str:
        return watch_key(self.kind, self.value)


@dataclass(frozen=True, slots=True)
class WatchlistHit:
    """A read that matched an entry; ``exact`` is False when only a correction proposal of an
    unverified container read matched."""

    entry: WatchlistEntry
    matched: str
    exact: bool = True


class Watchlist:
    """An immutable set of entries with matching by normalised key."""

    def __init__(self, entries: Iterable[WatchlistEntry] = ()) -> None:
        self._entries = tuple(entries)
        self._by_key: dict[tuple[WatchKind, str], list[WatchlistEntry]] = {}
        for entry in self._entries:
            self._by_key.setdefault((entry.kind, entry.key), []).append(entry)

    @property
    def entries(self) -> tuple[WatchlistEntry, ...]:
        return self._entries

    def _lookup(self, kind: WatchKind, key: str, matched: str, exact: bool) -> list[WatchlistHit]:
        return [WatchlistHit(entry, matched, exact) for entry in self._by_key.get((kind, key), [])]

    def match_plate(self, plate: NormalisedPlate) -> tuple[WatchlistHit, ...]:
        """Entries listing this plate."""
        return tuple(self._lookup(WatchKind.PLATE, plate.key, plate.text, True))

    def match_container(self, number: str) -> tuple[WatchlistHit, ...]:
        """Entries listing this container number (compared normalised, not validated)."""
        key = iso6346.normalise(number)
        return tuple(self._lookup(WatchKind.CONTAINER, key, key, True))

    def match_container_read(self, read: ContainerRead) -> tuple[WatchlistHit, ...]:
        """Hits on the read's number; for an unverified read, inexact hits on its proposals."""
        if read.verified and read.number is not None:
            return self.match_container(read.number)
        hits: list[WatchlistHit] = []
        for candidate in dict.fromkeys([*([read.number] if read.number else []), *read.proposals]):
            hits.extend(self._lookup(WatchKind.CONTAINER, candidate, candidate, False))
        return tuple(hits)

    def match_declarant(self, tax_code: str) -> tuple[WatchlistHit, ...]:
        """Entries listing this declarant, or the company a branch code belongs to."""
        key = declarant_key(tax_code)
        hits = self._lookup(WatchKind.DECLARANT, key, key, True)
        if len(key) == 13:
            hits.extend(self._lookup(WatchKind.DECLARANT, key[:10], key, True))
        return tuple(hits)
