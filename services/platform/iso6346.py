"""ISO 6346 container numbers: normalising, check digit, validation and OCR corrections.

Shared by the scanner, camera and seal services. A container number is eleven characters:

* a three-letter owner code (``CSQ``),
* an equipment category identifier (``U`` freight container, ``J`` detachable equipment,
  ``Z`` trailer or chassis; ``R`` is also accepted here because the suite's brief lists it,
  although ISO 6346:1995 itself defines only U, J and Z),
* a six-digit serial number (``305438``),
* a check digit (``3``).

The check digit: each letter gets a value starting at A=10 and skipping multiples of 11
(so B=12, L=23, V=34); digits keep their value; the value of the character at position
``i`` (0-based) is multiplied by ``2**i``; the sum modulo 11, then modulo 10, is the check
digit (a remainder of 10 gives 0).
"""

from __future__ import annotations

import itertools
import string
from dataclasses import dataclass
from typing import Final

__all__ = [
    "CONFUSABLE_PAIRS",
    "EQUIPMENT_CATEGORIES",
    "ContainerNumber",
    "InvalidContainerNumber",
    "check_digit",
    "is_valid",
    "make",
    "normalise",
    "propose_corrections",
    "validate",
]

#: Equipment category identifiers accepted in the fourth position.
EQUIPMENT_CATEGORIES: Final[frozenset[str]] = frozenset("UJZR")

#: Characters removed by :func:`normalise`: whitespace and dash-like separators.
_SEPARATORS: Final[frozenset[str]] = frozenset(" \t\r\n-_\u2010\u2011\u2012\u2013\u2014\u00a0")

_LENGTH: Final[int] = 11


def _letter_values() -> dict[str, int]:
    values: dict[str, int] = {}
    value = 10
    for letter in string.ascii_uppercase:
        if value % 11 == 0:
            value += 1
        values[letter] = value
        value += 1
    return values


_LETTER_VALUES: Final[dict[str, int]] = _letter_values()

#: Pairs of characters that optical character recognition confuses, used in both directions.
#: Letter/digit pairs fix a character of the wrong kind for its position; the same-kind pairs
#: fix a character of the right kind that was misread.
CONFUSABLE_PAIRS: Final[tuple[tuple[str, str], ...]] = (
    # letter <-> digit
    ("O", "0"),
    ("D", "0"),
    ("Q", "0"),
    ("I", "1"),
    ("L", "1"),
    ("Z", "2"),
    ("A", "4"),
    ("S", "5"),
    ("G", "6"),
    ("T", "7"),
    ("B", "8"),
    # digit <-> digit
    ("0", "8"),
    ("3", "8"),
    ("5", "6"),
    ("6", "8"),
    ("1", "7"),
    # letter <-> letter
    ("O", "D"),
    ("O", "Q"),
    ("D", "Q"),
    ("U", "V"),
    ("C", "G"),
)


def _confusions() -> dict[str, tuple[str, ...]]:
    table: dict[str, set[str]] = {}
    for a, b in CONFUSABLE_PAIRS:
        table.setdefault(a, set()).add(b)
        table.setdefault(b, set()).add(a)
    return {char: tuple(sorted(others)) for char, others in table.items()}


_CONFUSIONS: Final[dict[str, tuple[str, ...]]] = _confusions()


class InvalidContainerNumber(ValueError):
    """A text that is not a valid ISO 6346 container number; ``description`` says why."""

    def __init__(self, text: str, description: str) -> None:
        super().__init__(f"{text!r} is not a valid container number: {description}")
        self.text = text
        self.description = description


@dataclass(frozen=True, slots=True)
class ContainerNumber:
    """A validated container number, split into its parts."""

    owner_code: str
    category: str
    serial: str
    check_digit: int

    @property
    def text(self) -> str:
        """The eleven characters without separators, e.g. ``CSQU3054383``."""
        return f"{self.owner_code}{self.category}{self.serial}{self.check_digit}"

    @property
    def formatted(self) -> str:
        """The number as painted on a container, e.g. ``CSQU 305438 3``."""
        return f"{self.owner_code}{self.category} {self.serial} {self.check_digit}"

    def __str__(self) -> str:
        return self.text


def normalise(text: str) -> str:
    """Upper-case ``text`` and drop whitespace and dashes; no other check."""
    return "".join(char for char in text.upper() if char not in _SEPARATORS)


def check_digit(prefix: str) -> int:
    """The check digit of the first ten characters (owner code, category, serial).

    ``prefix`` must already be normalised: three letters, a letter and six digits.
    Raises :class:`InvalidContainerNumber` otherwise.
    """
    problem = _format_problem(prefix, with_check_digit=False)
    if problem is not None:
        raise InvalidContainerNumber(prefix, problem)
    return _check_digit_unchecked(prefix)


def _check_digit_unchecked(prefix: str) -> int:
    total = 0
    for position, char in enumerate(prefix):
        value = int(char) if char.isdigit() else _LETTER_VALUES[char]
        total += value << position
    return total % 11 % 10


def _is_ascii_letter(char: str) -> bool:
    return "A" <= char <= "Z"


def _is_ascii_digit(char: str) -> bool:
    return "0" <= char <= "9"


def _format_problem(text: str, *, with_check_digit: bool) -> str | None:
    expected = _LENGTH if with_check_digit else _LENGTH - 1
    if len(text) != expected:
        return f"expected {expected} characters after removing spaces and dashes, got {len(text)}"
    owner = text[:3]
    if not all(_is_ascii_letter(char) for char in owner):
        return f"owner code {owner!r} must be three letters A-Z"
    category = text[3]
    if category not in EQUIPMENT_CATEGORIES:
        allowed = "/".join(sorted(EQUIPMENT_CATEGORIES))
        return f"equipment category {category!r} must be one of {allowed}"
    serial = text[4:10]
    if not all(_is_ascii_digit(char) for char in serial):
        return f"serial number {serial!r} must be six digits"
    if with_check_digit and not _is_ascii_digit(text[10]):
        return f"check digit {text[10]!r} must be a digit"
    return None


def validate(text: str) -> ContainerNumber:
    """Normalise ``text`` and return it as a :class:`ContainerNumber` if it is valid.

    Raises :class:`InvalidContainerNumber` naming the first problem found (length, owner
    code, category, serial, check digit).
    """
    number = normalise(text)
    problem = _format_problem(number, with_check_digit=True)
    if problem is not None:
        raise InvalidContainerNumber(text, problem)
    expected = _check_digit_unchecked(number[:10])
    if int(number[10]) != expected:
        raise InvalidContainerNumber(
            text,
            f"check digit is {number[10]}, but the owner code, category and serial give {expected}",
        )
    return ContainerNumber(number[:3], number[3], number[4:10], expected)


def is_valid(text: str) -> bool:
    """True when ``text`` normalises to a valid container number."""
    try:
        validate(text)
    except InvalidContainerNumber:
        return False
    return True


def make(owner_code: str, category: str, serial: str) -> ContainerNumber:
    """Build a valid container number from its parts, computing the check digit."""
    prefix = normalise(owner_code + category + serial)
    return ContainerNumber(prefix[:3], prefix[3], prefix[4:10], check_digit(prefix))


def _allowed(position: int, char: str) -> bool:
    if position < 3:
        return _is_ascii_letter(char)
    if position == 3:
        return char in EQUIPMENT_CATEGORIES
    return _is_ascii_digit(char)


def propose_corrections(text: str, max_substitutions: int = 2) -> list[str]:
    """Valid container numbers that ``text`` may be an OCR misreading of.

    Each candidate replaces at most ``max_substitutions`` characters by a character that
    OCR confuses with it (:data:`CONFUSABLE_PAIRS`), keeping letters in the owner code and
    category positions and digits in the serial and check positions, and passes the check
    digit. Candidates come fewest substitutions first, then in alphabetical order.

    A text that is already valid has nothing to correct: the result is empty, as it is for a
    text that does not normalise to eleven characters.
    """
    if max_substitutions < 0:
        raise ValueError("max_substitutions must not be negative")
    read = normalise(text)
    if len(read) != _LENGTH or is_valid(read):
        return []
    forced: list[int] = []
    alternatives: dict[int, tuple[str, ...]] = {}
    for position, char in enumerate(read):
        options = tuple(alt for alt in _CONFUSIONS.get(char, ()) if _allowed(position, alt))
        if not _allowed(position, char):
            if not options:
                return []
            forced.append(position)
        if options:
            alternatives[position] = options
    optional = [position for position in alternatives if position not in forced]
    found: list[str] = []
    for extra in range(0, max_substitutions - len(forced) + 1):
        level: list[str] = []
        for chosen in itertools.combinations(optional, extra):
            positions = sorted([*forced, *chosen])
            for replacement in itertools.product(*(alternatives[p] for p in positions)):
                chars = list(read)
                for position, char in zip(positions, replacement, strict=True):
                    chars[position] = char
                candidate = "".join(chars)
                if int(candidate[10]) == _check_digit_unchecked(candidate[:10]):
                    level.append(candidate)
        found.extend(sorted(level))
    return found
