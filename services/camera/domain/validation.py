"""Small input checks shared by the camera domain modules; each raises DomainValidationError."""

from __future__ import annotations

import math
from datetime import datetime

from services.camera.domain.errors import DomainValidationError


def require_aware(value: datetime, field: str) -> datetime:
    """``value`` must carry a time zone (the suite stores UTC instants)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise DomainValidationError(field, "must be a time-zone-aware timestamp")
    return value


def require_text(value: str, field: str) -> str:
    """``value`` stripped of surrounding whitespace; must not be empty."""
    stripped = value.strip()
    if not stripped:
        raise DomainValidationError(field, "must not be empty")
    return stripped


def require_confidence(value: float, field: str) -> float:
    """A recognition confidence between 0 and 1 inclusive."""
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise DomainValidationError(field, f"must be between 0 and 1, got {value}")
    return value


def require_weight(value: float, field: str, *, allow_zero: bool = True) -> float:
    """A finite, non-negative weight in kilograms (positive if ``allow_zero`` is False)."""
    if not math.isfinite(value) or value < 0.0 or (not allow_zero and value == 0.0):
        bound = "non-negative" if allow_zero else "positive"
        raise DomainValidationError(field, f"must be a finite {bound} weight in kg, got {value}")
    return value


def require_country(value: str, field: str) -> str:
    """An ISO 3166-1 alpha-2 country code, returned upper-case."""
    code = value.strip().upper()
    if len(code) != 2 or not all("A" <= char <= "Z" for char in code):
        raise DomainValidationError(field, f"must be a two-letter country code, got {value!r}")
    return code
