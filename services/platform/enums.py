"""Proto enum values from requests: the one way to turn them into names."""

from __future__ import annotations

from typing import Any

from services.platform.errors import InvalidArgument


def enum_name(enum_type: Any, value: int, field: str, prefix: str) -> str:
    """The name of ``value`` without ``prefix`` (``UNSPECIFIED`` for 0). A value the contract
    does not define (a newer client, or garbage) is INVALID_ARGUMENT naming ``field``."""
    try:
        name: str = enum_type.Name(value)
    except ValueError:
        raise InvalidArgument.one(field, f"unknown value {value}") from None
    return name.removeprefix(prefix)
