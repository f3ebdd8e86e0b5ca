"""Step 1: dark/air normalisation and -log, from raw uint16 counts to float32 attenuation.

mu = -log(clip((raw - dark) / (air - dark), floor, 1)); raw >= saturation reads as 0 (the
detector overflowed, so nothing attenuated it); a dead row (air - dark <= 1) reads as 0.
The kernel computes log(air - dark) - log(clip(raw - dark)) with a vectorisable float32 log
(exponent + odd series of atanh), accurate to ~1e-6, since numba has no SVML here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit, prange

from services.platform.jit import KERNEL, PARALLEL_KERNEL

from .model import F32Array, U16Array
from .params import CalibrationParams
from .validation import calibration_line, require_array

_LN2 = np.float32(math.log(2.0))
_SQRT2 = np.float32(math.sqrt(2.0))


@dataclass(frozen=True, slots=True, eq=False)
class RowCalibration:
    """Per-row constants of one energy, float32, prepared once per scan."""

    dark: F32Array
    span: F32Array
    log_span: F32Array
    floor: F32Array
    saturation: int


def row_calibration(
    dark: Any, air: Any, rows: int, params: CalibrationParams, field: str
) -> RowCalibration:
    """Validate one energy's dark/air lines and derive the per-row constants."""
    d = calibration_line(dark, f"{field}.dark", rows)
    a = calibration_line(air, f"{field}.air", rows)
    span = a - d
    dead = span <= 1.0
    safe = np.where(dead, 1.0, span)
    return RowCalibration(
        dark=d.astype(np.float32),
        span=np.where(dead, 0.0, span).astype(np.float32),
        log_span=np.log(safe).astype(np.float32),
        floor=(params.transmission_floor * safe).astype(np.float32),
        saturation=params.saturation,
    )


@njit(**KERNEL)  # type: ignore[untyped-decorator]
def _calibrate_row(
    raw: Any,
    dark: Any,
    span: Any,
    log_span: Any,
    floor: Any,
    saturation: Any,
    buf: Any,
    ebuf: Any,
    out: Any,
) -> None:
    n = raw.shape[0]
    if span <= 0.0:
        out[:] = 0.0
        return
    for c in range(n):
        x = np.float32(raw[c]) - dark
        x = max(x, floor)
        x = min(x, span)
        buf[c] = x
    bits = buf.view(np.int32)
    for c in range(n):
        b = bits[c]
        ebuf[c] = (b >> 23) - 127
        bits[c] = (b & 0x007FFFFF) | 0x3F800000
    for c in range(n):
        m = buf[c]
        e = np.float32(ebuf[c])
        if m > _SQRT2:
            m = m * np.float32(0.5)
            e = e + np.float32(1.0)
        s = (m - np.float32(1.0)) / (m + np.float32(1.0))
        s2 = s * s
        p = np.float32(1.0 / 9.0)
        p = np.float32(1.0 / 7.0) + s2 * p
        p = np.float32(1.0 / 5.0) + s2 * p
        p = np.float32(1.0 / 3.0) + s2 * p
        p = np.float32(1.0) + s2 * p
        lg = e * _LN2 + np.float32(2.0) * s * p
        mu = log_span - lg
        mu = max(mu, np.float32(0.0))
        out[c] = np.float32(0.0) if raw[c] >= saturation else mu


@njit(**PARALLEL_KERNEL)  # type: ignore[untyped-decorator]
def _calibrate_plane(
    raw: Any, dark: Any, span: Any, log_span: Any, floor: Any, saturation: Any, out: Any
) -> None:
    h, w = raw.shape
    for r in prange(h):
        buf = np.empty(w, np.float32)
        ebuf = np.empty(w, np.int32)
        _calibrate_row(
            raw[r], dark[r], span[r], log_span[r], floor[r], saturation, buf, ebuf, out[r]
        )


def calibrate(
    raw: U16Array, dark: Any, air: Any, params: CalibrationParams | None = None
) -> F32Array:
    """Attenuation (float32, same shape as ``raw``) of one energy plane."""
    plane = require_array(raw, "raw", np.uint16, 2)
    rc = row_calibration(dark, air, plane.shape[0], params or CalibrationParams(), "calibration")
    out = np.empty(plane.shape, np.float32)
    if plane.size:
        _calibrate_plane(
            np.ascontiguousarray(plane), rc.dark, rc.span, rc.log_span, rc.floor, rc.saturation, out
        )
    return out


def calibrate_reference(
    raw: U16Array, dark: Any, air: Any, params: CalibrationParams | None = None
) -> F32Array:
    """Plain NumPy reference of :func:`calibrate`."""
    p = params or CalibrationParams()
    plane = require_array(raw, "raw", np.uint16, 2)
    d = calibration_line(dark, "calibration.dark", plane.shape[0])[:, None]
    a = calibration_line(air, "calibration.air", plane.shape[0])[:, None]
    span = a - d
    dead = span <= 1.0
    t = (plane - d) / np.where(dead, 1.0, span)
    mu = -np.log(np.clip(t, p.transmission_floor, 1.0))
    mu[(plane >= p.saturation) | np.broadcast_to(dead, plane.shape)] = 0.0
    return mu.astype(np.float32)
