"""Step 2: noise-aware 3x3 sigma filter on attenuation planes.

Photon noise of attenuation is sigma(mu) ~ exp(mu / 2) / sqrt(N0) with N0 = air - dark counts of
the detector row. Each output pixel is the mean of the centre and those of its 8 neighbours
within k_sigma * sigma(centre) of it: flat areas are averaged (noise down by up to 3x), edges
between materials are kept. Borders replicate the edge pixels. exp(mu/2) is a float32 polynomial
(vectorisable; numba has no SVML here) that the reference evaluates with the same operations.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, prange

from services.platform.jit import KERNEL, PARALLEL_KERNEL

from .model import F32Array
from .params import SmoothingParams
from .validation import calibration_line, require_array

_Z = np.float32(0.0)
_ONE = np.float32(1.0)
_C = tuple(np.float32(x) for x in (1.0 / 16.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0))


def row_tolerance(dark: Any, air: Any, rows: int, params: SmoothingParams) -> F32Array:
    """k_sigma / sqrt(N0) per row (float32); dead rows (N0 <= 1) get 0, i.e. no smoothing."""
    d = calibration_line(dark, "smoothing.dark", rows)
    a = calibration_line(air, "smoothing.air", rows)
    n0 = a - d
    tol = np.where(n0 > 1.0, params.k_sigma / np.sqrt(np.maximum(n0, 1.0)), 0.0)
    return tol.astype(np.float32)


@njit(**KERNEL)  # type: ignore[untyped-decorator]
def _noise_gain(v: Any) -> Any:
    """exp(v / 2) as (Taylor_5(v / 16)) ** 8 in float32 (rel. error < 1e-3 on [0, 12])."""
    x = v * _C[0]
    p = _C[1]
    p = _C[2] + x * p
    p = _C[3] + x * p
    p = _C[4] + x * p
    p = _C[5] + x * p
    p = _ONE + x * p
    p = p * p
    p = p * p
    return p * p


def noise_gain_reference(v: F32Array) -> F32Array:
    """NumPy twin of the kernel's exp(v / 2), same float32 operations in the same order."""
    x = v * _C[0]
    p = np.full_like(v, _C[1])
    for c in _C[2:]:
        p = c + x * p
    p = _ONE + x * p
    p = p * p
    p = p * p
    return (p * p).astype(np.float32)


@njit(**KERNEL)  # type: ignore[untyped-decorator]
def _sigma_pixel(up: Any, mid: Any, dn: Any, c: Any, cl: Any, cr: Any, tol: Any) -> Any:
    v = mid[c]
    t = tol * _noise_gain(v)
    s = v
    n = _ONE
    x = up[cl]
    k = abs(x - v) <= t
    s += x if k else _Z
    n += _ONE if k else _Z
    x = up[c]
    k = abs(x - v) <= t
    s += x if k else _Z
    n += _ONE if k else _Z
    x = up[cr]
    k = abs(x - v) <= t
    s += x if k else _Z
    n += _ONE if k else _Z
    x = mid[cl]
    k = abs(x - v) <= t
    s += x if k else _Z
    n += _ONE if k else _Z
    x = mid[cr]
    k = abs(x - v) <= t
    s += x if k else _Z
    n += _ONE if k else _Z
    x = dn[cl]
    k = abs(x - v) <= t
    s += x if k else _Z
    n += _ONE if k else _Z
    x = dn[c]
    k = abs(x - v) <= t
    s += x if k else _Z
    n += _ONE if k else _Z
    x = dn[cr]
    k = abs(x - v) <= t
    s += x if k else _Z
    n += _ONE if k else _Z
    return s / n


@njit(**KERNEL)  # type: ignore[untyped-decorator]
def _smooth_row(up: Any, mid: Any, dn: Any, tol: Any, out: Any) -> None:
    w = mid.shape[0]
    if w == 0:
        return
    out[0] = _sigma_pixel(up, mid, dn, 0, 0, min(1, w - 1), tol)
    # interior columns written out directly (constant offsets), so LLVM vectorises the loop
    for c in range(1, w - 1):
        v = mid[c]
        t = tol * _noise_gain(v)
        s = v
        n = _ONE
        for x in (up[c - 1], up[c], up[c + 1], mid[c - 1], mid[c + 1], dn[c - 1], dn[c], dn[c + 1]):
            k = abs(x - v) <= t
            s += x if k else _Z
            n += _ONE if k else _Z
        out[c] = s / n
    if w > 1:
        out[w - 1] = _sigma_pixel(up, mid, dn, w - 1, w - 2, w - 1, tol)


@njit(**PARALLEL_KERNEL)  # type: ignore[untyped-decorator]
def _smooth_plane(mu: Any, tol: Any, out: Any) -> None:
    h = mu.shape[0]
    for r in prange(h):
        _smooth_row(mu[max(r - 1, 0)], mu[r], mu[min(r + 1, h - 1)], tol[r], out[r])


def smooth(mu: F32Array, dark: Any, air: Any, params: SmoothingParams | None = None) -> F32Array:
    """Sigma-filtered copy of one attenuation plane (float32)."""
    p = params or SmoothingParams()
    plane = require_array(mu, "mu", np.float32, 2)
    tol = row_tolerance(dark, air, plane.shape[0], p)
    out = np.empty(plane.shape, np.float32)
    if plane.size:
        _smooth_plane(np.ascontiguousarray(plane), tol, out)
    return out


def smooth_reference(
    mu: F32Array, dark: Any, air: Any, params: SmoothingParams | None = None
) -> F32Array:
    """Plain NumPy reference of :func:`smooth` (nine shifted views of an edge-padded plane)."""
    p = params or SmoothingParams()
    plane = require_array(mu, "mu", np.float32, 2)
    h, w = plane.shape
    if plane.size == 0:
        return plane.copy()
    tol = row_tolerance(dark, air, h, p)
    t = tol[:, None] * noise_gain_reference(plane)
    padded = np.pad(plane, 1, mode="edge")
    total = plane.copy()
    count = np.ones_like(plane)
    for dr in (0, 1, 2):
        for dc in (0, 1, 2):
            if dr == 1 and dc == 1:
                continue
            x = padded[dr : dr + h, dc : dc + w]
            keep = np.abs(x - plane) <= t
            total += np.where(keep, x, np.float32(0.0))
            count += keep
    return (total / count).astype(np.float32)
