"""Licence plate normalisation: Vietnamese formats to one canonical text, foreign plates kept.

Vietnamese plates (canonical forms):

* cars, trucks, trailers: province code 11-99, a one- or two-letter series, a 5-digit serial
  written ``51C-123.45`` or an older 4-digit serial written ``29A-1234``; two-letter series
  such as ``51LD-123.45``;
* motorbikes: province code, a letter-and-digit series, serial: ``29-B1 123.45`` or
  ``29-B1 1234``.

OCR reads such as ``51C12345`` or ``51c 123 45`` become ``51C-123.45``. A compact read that
fits both a truck and a motorbike reading is taken as a truck (this service watches truck
lanes); the motorbike form is chosen when a separator follows the letter-and-digit series
(``29-B1 12345``) or when only the motorbike reading fits (``29B112345``).

Any read that fits the Vietnamese grammar is Vietnamese, whatever the lane's country hint:
Vietnamese trucks cross every border. A read that starts with a Chinese province
abbreviation (``桂A12345``) is Chinese. Anything else is kept as read (upper-cased, spaces
collapsed) with the lane's country hint, e.g. Lao or Cambodian plates at those borders.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Final

from services.camera.domain.errors import DomainValidationError
from services.camera.domain.validation import require_country

VIETNAM: Final[str] = "VN"
CHINA: Final[str] = "CN"

_CAR: Final[re.Pattern[str]] = re.compile(r"(\d{2})([A-Z]{1,2})(\d{4,5})")
_MOTORBIKE_COMPACT: Final[re.Pattern[str]] = re.compile(r"(\d{2})([A-Z]\d)(\d{4,5})")
_MOTORBIKE_SEPARATED: Final[re.Pattern[str]] = re.compile(
    r"(\d{2})[-. ]*([A-Z]\d)[-. ]+(\d{3}[. ]?\d{2}|\d{4})"
)
_SEPARATORS: Final[re.Pattern[str]] = re.compile(r"[\s\-.·_]+")
_CHINESE_PROVINCES: Final[str] = (
    "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领"
)
_CHINESE: Final[re.Pattern[str]] = re.compile(rf"[{_CHINESE_PROVINCES}][A-Z][A-Z0-9]{{5,6}}")


class PlateKind(enum.Enum):
    """Which grammar a plate was recognised by."""

    VN_VEHICLE = "VN_VEHICLE"
    VN_MOTORBIKE = "VN_MOTORBIKE"
    CN_VEHICLE = "CN_VEHICLE"
    AS_READ = "AS_READ"


@dataclass(frozen=True, slots=True)
class NormalisedPlate:
    """A plate read: ``text`` is canonical for recognised formats, else the cleaned read;
    ``key`` (text without separators) is what watchlists and passages compare."""

    text: str
    country: str
    kind: PlateKind
    raw: str

    @property
    def key(self) -> str:
        return plate_key(self.text)

    @property
    def well_formed(self) -> bool:
        """True when the read fits a known grammar (Vietnamese or Chinese)."""
        return self.kind is not PlateKind.AS_READ


def plate_key(text: str) -> str:
    """Upper-case ``text`` without whitespace, dashes, dots or middle dots."""
    return _SEPARATORS.sub("", text.upper())


def _serial(serial: str) -> str:
    return f"{serial[:3]}.{serial[3:]}" if len(serial) == 5 else serial


def _province_ok(code: str) -> bool:
    return 11 <= int(code) <= 99


def _vietnamese(cleaned: str) -> tuple[str, PlateKind] | None:
    separated = _MOTORBIKE_SEPARATED.fullmatch(cleaned)
    if separated is not None and _province_ok(separated.group(1)):
        serial = plate_key(separated.group(3))
        canonical = f"{separated.group(1)}-{separated.group(2)} {_serial(serial)}"
        return canonical, PlateKind.VN_MOTORBIKE
    compact = plate_key(cleaned)
    car = _CAR.fullmatch(compact)
    if car is not None and _province_ok(car.group(1)):
        return f"{car.group(1)}{car.group(2)}-{_serial(car.group(3))}", PlateKind.VN_VEHICLE
    bike = _MOTORBIKE_COMPACT.fullmatch(compact)
    if bike is not None and _province_ok(bike.group(1)):
        return f"{bike.group(1)}-{bike.group(2)} {_serial(bike.group(3))}", PlateKind.VN_MOTORBIKE
    return None


def normalise_plate(text: str, country_hint: str = VIETNAM) -> NormalisedPlate:
    """Normalise an OCR plate read; ``country_hint`` is the lane's or site's country.

    Raises DomainValidationError when ``text`` is empty or the hint is not a two-letter code.
    """
    hint = require_country(country_hint, "country_hint")
    cleaned = " ".join(text.upper().split())
    if not cleaned:
        raise DomainValidationError("plate_text", "must not be empty")
    vietnamese = _vietnamese(cleaned)
    if vietnamese is not None:
        canonical, kind = vietnamese
        return NormalisedPlate(text=canonical, country=VIETNAM, kind=kind, raw=text)
    if cleaned[0] in _CHINESE_PROVINCES:
        kind = PlateKind.CN_VEHICLE if _CHINESE.fullmatch(plate_key(cleaned)) else PlateKind.AS_READ
        return NormalisedPlate(text=cleaned, country=CHINA, kind=kind, raw=text)
    return NormalisedPlate(text=cleaned, country=hint, kind=PlateKind.AS_READ, raw=text)
