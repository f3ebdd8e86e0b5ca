"""Step 3: dual-energy material classes from the low/high attenuation ratio.

Class byte = Material value (bits 0-2) | DENSE_BIT when mu_high >= dense_min. IMPENETRABLE
when high-energy transmission is below the floor, BACKGROUND when mu_high < background_max,
otherwise the ratio mu_low / mu_high against the calibration table (see MaterialCalibration).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, prange

from services.platform.jit import KERNEL, PARALLEL_KERNEL

from .model import F32Array, Material, U8Array
from .params import MaterialCalibration
from .validation import require_array, require_same_shape

DENSE_BIT: int = 8
ROWS_PER_BLOCK: int = 32
MATERIAL_MASK: int = 7


@njit(**KERNEL)  # type: ignore[untyped-decorator]
def _classify_row(
    sl: Any, sh: Any, start: Any, width: Any, base: Any, slope: Any,
    bg_max: Any, imp_mu: Any, dense_min: Any, thr: Any, out: Any,
) -> None:  # fmt: skip
    n = sh.shape[0]
    t0, t1, t2 = thr[0], thr[1], thr[2]
    zero = np.float32(0.0)
    for c in range(n):
        t0[c] = base[0]
        t1[c] = base[1]
        t2[c] = base[2]
    for i in range(start.shape[0]):
        k, w = start[i], width[i]
        s0, s1, s2 = slope[0, i], slope[1, i], slope[2, i]
        for c in range(n):
            d = min(max(sh[c] - k, zero), w)
            t0[c] += s0 * d
            t1[c] += s1 * d
            t2[c] += s2 * d
    tiny = np.float32(1e-6)
    for c in range(n):
        h = sh[c]
        r = sl[c] / max(h, tiny)
        m = np.int32(4)
        m = np.int32(3) if r < t2[c] else m
        m = np.int32(2) if r < t1[c] else m
        m = np.int32(1) if r < t0[c] else m
        m = np.int32(0) if h < bg_max else m
        m = np.int32(5) if h >= imp_mu else m
        m += np.int32(8) if h >= dense_min else np.int32(0)
        out[c] = np.uint8(m)


@njit(**PARALLEL_KERNEL)  # type: ignore[untyped-decorator]
def _classify_plane(
    sl: Any, sh: Any, start: Any, width: Any, base: Any, slope: Any,
    bg_max: Any, imp_mu: Any, dense_min: Any, block: Any, out: Any,
) -> None:  # fmt: skip
    h, w = sh.shape
    for b in prange((h + block - 1) // block):
        thr = np.empty((3, w), np.float32)
        for r in range(b * block, min(b * block + block, h)):
            _classify_row(sl[r], sh[r], start, width, base, slope, bg_max, imp_mu, dense_min,
                          thr, out[r])  # fmt: skip


def classifier_args(cal: MaterialCalibration) -> tuple[Any, ...]:
    """Kernel arguments of a calibration: segments and float32 limits."""
    return (
        *cal.segments(),
        np.float32(cal.background_max),
        np.float32(cal.impenetrable_mu),
        np.float32(cal.dense_min),
    )


def classify(
    mu_low: F32Array, mu_high: F32Array, calibration: MaterialCalibration | None = None
) -> U8Array:
    """Class byte image (uint8) from smoothed low and high attenuation planes."""
    cal = calibration or MaterialCalibration()
    sl = require_array(mu_low, "mu_low", np.float32, 2)
    sh = require_array(mu_high, "mu_high", np.float32, 2)
    require_same_shape(sl, sh, "mu_high")
    out = np.empty(sh.shape, np.uint8)
    if sh.size:
        _classify_plane(
            np.ascontiguousarray(sl),
            np.ascontiguousarray(sh),
            *classifier_args(cal),
            ROWS_PER_BLOCK,
            out,
        )
    return out


def classify_reference(
    mu_low: F32Array, mu_high: F32Array, calibration: MaterialCalibration | None = None
) -> U8Array:
    """Plain NumPy reference of :func:`classify`."""
    cal = calibration or MaterialCalibration()
    sl = require_array(mu_low, "mu_low", np.float32, 2)
    sh = require_array(mu_high, "mu_high", np.float32, 2)
    require_same_shape(sl, sh, "mu_high")
    start, width, base, slope = cal.segments()
    zero = np.float32(0.0)
    thr = [np.full(sh.shape, base[j], np.float32) for j in range(3)]
    for i in range(start.shape[0]):
        d = np.minimum(np.maximum(sh - start[i], zero), width[i])
        for j in range(3):
            thr[j] += slope[j, i] * d
    ratio = sl / np.maximum(sh, np.float32(1e-6))
    m = np.full(sh.shape, int(Material.HEAVY_METAL), np.uint8)
    m[ratio < thr[2]] = Material.INORGANIC
    m[ratio < thr[1]] = Material.MIXED
    m[ratio < thr[0]] = Material.ORGANIC
    m[sh < np.float32(cal.background_max)] = Material.BACKGROUND
    m[sh >= np.float32(cal.impenetrable_mu)] = Material.IMPENETRABLE
    m[sh >= np.float32(cal.dense_min)] |= DENSE_BIT
    return m
