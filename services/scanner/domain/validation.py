"""Argument checks shared by the public wrappers; each raises DomainValidationError(field)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import DomainValidationError
from .model import F64Array, RawScan


def require_array(
    value: Any, field: str, dtype: type[np.generic], ndim: int
) -> np.ndarray[Any, Any]:
    if not isinstance(value, np.ndarray):
        raise DomainValidationError(field, f"must be a numpy array, got {type(value).__name__}")
    if value.dtype != dtype:
        raise DomainValidationError(
            field, f"dtype must be {np.dtype(dtype).name}, got {value.dtype}"
        )
    if value.ndim != ndim:
        raise DomainValidationError(field, f"must have {ndim} dimensions, got {value.ndim}")
    return value


def require_same_shape(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any], field: str) -> None:
    if a.shape != b.shape:
        raise DomainValidationError(field, f"shape {b.shape} does not match {a.shape}")


def calibration_line(value: Any, field: str, rows: int) -> F64Array:
    """A per-row calibration line: 1-D, length ``rows``, numeric, finite; returned as float64."""
    if not isinstance(value, np.ndarray):
        raise DomainValidationError(field, f"must be a numpy array, got {type(value).__name__}")
    if value.dtype.kind not in "uif":
        raise DomainValidationError(field, f"must be numeric, got {value.dtype}")
    if value.ndim != 1 or value.shape[0] != rows:
        raise DomainValidationError(field, f"must have shape ({rows},), got {value.shape}")
    line = np.ascontiguousarray(value, dtype=np.float64)
    if not np.all(np.isfinite(line)):
        raise DomainValidationError(field, "must be finite")
    return line


def validate_scan(scan: RawScan) -> None:
    """Planes uint16, 2-D, same shape; calibration lines of length H."""
    low = require_array(scan.low, "scan.low", np.uint16, 2)
    high = require_array(scan.high, "scan.high", np.uint16, 2)
    require_same_shape(low, high, "scan.high")
    rows = low.shape[0]
    for name in ("dark_low", "air_low", "dark_high", "air_high"):
        calibration_line(getattr(scan, name), f"scan.{name}", rows)
