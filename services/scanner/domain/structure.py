"""Step 4: container structure (roof, floor, end frames) from attenuation occupancy profiles.

Rows are detector rows, so the roof is the top band of wall rows and the floor the bottom band;
end frames are bands of wall columns at both ends. From smoothed mu_high we count, per row (over
all columns) and per column (on every ``subsample``-th row), pixels above
``container_min`` (any part of the container) and above ``wall_min`` (roof, floor, frames):
- container columns/rows: occupied on more than ``container_fraction`` of the other axis;
- roof/floor rows and end-frame columns: above wall_min on more than ``wall_fraction`` of the
  container's span, searched within the outer 15 % (rows) / 10 % (columns) of the container;
- interior: between them. The wall baseline (side walls seen through) is the median of interior
  mu_high below background_max, on a coarse 16-pixel grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit, prange

from services.platform.jit import PARALLEL_KERNEL

from .model import Bounds, ContainerStructure, F32Array, I64Array
from .params import StructureParams
from .validation import require_array

BASELINE_GRID: int = 16
ROOF_FLOOR_SEARCH: float = 0.15
FRAME_SEARCH: float = 0.10


@dataclass(frozen=True, slots=True, eq=False)
class Profiles:
    """Occupancy counts: per row over all columns, per column over every step-th row."""

    row_container: I64Array
    row_wall: I64Array
    col_container: I64Array
    col_wall: I64Array
    step: int


@njit(**PARALLEL_KERNEL)  # type: ignore[untyped-decorator]
def _profiles(
    mu: Any, step: Any, cmin: Any, wmin: Any, row_c: Any, row_w: Any, col_c: Any, col_w: Any
) -> None:
    h, w = mu.shape
    for r in prange(h):
        nc = 0
        nw = 0
        row = mu[r]
        for c in range(w):
            v = row[c]
            nc += v > cmin
            nw += v > wmin
        row_c[r] = nc
        row_w[r] = nw
    chunk = 512
    for k in prange((w + chunk - 1) // chunk):
        c0 = k * chunk
        c1 = min(c0 + chunk, w)
        for r in range(0, h, step):
            row = mu[r]
            for c in range(c0, c1):
                v = row[c]
                col_c[c] += v > cmin
                col_w[c] += v > wmin


def profiles(mu_high: F32Array, params: StructureParams) -> Profiles:
    mu = require_array(mu_high, "mu_high", np.float32, 2)
    h, w = mu.shape
    out = [
        np.zeros(h, np.int64),
        np.zeros(h, np.int64),
        np.zeros(w, np.int64),
        np.zeros(w, np.int64),
    ]
    if mu.size:
        _profiles(
            np.ascontiguousarray(mu),
            params.subsample,
            np.float32(params.container_min),
            np.float32(params.wall_min),
            *out,
        )
    return Profiles(out[0], out[1], out[2], out[3], step=params.subsample)


def profiles_reference(mu_high: F32Array, params: StructureParams) -> Profiles:
    mu = require_array(mu_high, "mu_high", np.float32, 2)
    s = params.subsample
    cmin, wmin = np.float32(params.container_min), np.float32(params.wall_min)
    rows = mu[::s, :]
    return Profiles(
        row_container=(mu > cmin).sum(axis=1).astype(np.int64),
        row_wall=(mu > wmin).sum(axis=1).astype(np.int64),
        col_container=(rows > cmin).sum(axis=0).astype(np.int64),
        col_wall=(rows > wmin).sum(axis=0).astype(np.int64),
        step=s,
    )


def _sampled(first: int, last: int, step: int) -> int:
    """How many multiples of ``step`` lie in [first, last] (first >= 0)."""
    return max(last // step - (first - 1) // step, 0)


def _band(flags: np.ndarray, first: int, last: int, search: float) -> tuple[int, int]:
    """Inner edges of the wall bands at both ends of [first, last]."""
    n = last - first + 1
    k = max(int(n * search), 1)
    head = np.flatnonzero(flags[first : first + k])
    tail = np.flatnonzero(flags[last - k + 1 : last + 1])
    start = first + int(head[-1]) + 1 if head.size else first
    stop = last - k + 1 + int(tail[0]) if tail.size else last + 1
    return start, max(stop, start)


def structure_from_profiles(
    p: Profiles, shape: tuple[int, int], params: StructureParams
) -> tuple[bool, Bounds, Bounds]:
    """(found, outer bounds, interior bounds); not found -> whole image for both."""
    h, w = shape
    whole = Bounds(0, h, 0, w)
    if h == 0 or w == 0:
        return False, whole, whole
    n_rows = _sampled(0, h - 1, p.step)
    cols = np.flatnonzero(p.col_container > params.container_fraction * n_rows)
    if cols.size == 0:
        return False, whole, whole
    c_first, c_last = int(cols[0]), int(cols[-1])
    n_cc = c_last - c_first + 1
    rows = np.flatnonzero(p.row_container > params.container_fraction * n_cc)
    if rows.size == 0:
        return False, whole, whole
    r_first, r_last = int(rows[0]), int(rows[-1])
    n_cr = _sampled(r_first, r_last, p.step)
    top, bottom = _band(
        p.row_wall > params.wall_fraction * n_cc, r_first, r_last, ROOF_FLOOR_SEARCH
    )
    left, right = _band(p.col_wall > params.wall_fraction * n_cr, c_first, c_last, FRAME_SEARCH)
    return True, Bounds(r_first, r_last + 1, c_first, c_last + 1), Bounds(top, bottom, left, right)


def wall_baseline(mu_high: F32Array, interior: Bounds, background_max: float) -> float:
    """Median interior attenuation of background pixels (side walls), 0 when there are none."""
    g = BASELINE_GRID
    sample = mu_high[interior.top : interior.bottom : g, interior.left : interior.right : g]
    bg = sample[sample < np.float32(background_max)]
    return float(np.median(bg)) if bg.size else 0.0


def detect_structure(
    mu_high: F32Array,
    params: StructureParams,
    background_max: float,
    reference: bool = False,
    precomputed: Profiles | None = None,
) -> ContainerStructure:
    """Container outer extent, interior (cargo space) and wall baseline of a smoothed plane
    (``precomputed``: profiles the fused front pass already counted)."""
    if precomputed is not None:
        p = precomputed
    elif reference:
        p = profiles_reference(mu_high, params)
    else:
        p = profiles(mu_high, params)
    found, outer, interior = structure_from_profiles(p, mu_high.shape, params)
    return ContainerStructure(
        found=found,
        outer=outer,
        interior=interior,
        wall_baseline=wall_baseline(mu_high, interior, background_max),
    )
