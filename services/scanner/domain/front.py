"""Steps 1-3 and 7 (and step 4's occupancy profiles) fused: one pass over the raw planes.

Each block keeps a rolling window of three calibrated rows per energy, then smooths, classifies
and renders its rows with the same row functions the single-step kernels use, so the result is
identical to running the steps one after another, with one trip through memory instead of five.

Caution (numba): an on-disk cache entry is invalidated only when the file that defines the
kernel changes, not when a function it calls from another module does. After editing the row
functions in calibration/smoothing/classes/render, clear NUMBA_CACHE_DIR (or the __pycache__
*.nbi/*.nbc files) so that _front is recompiled; test_front would catch a stale build.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit, prange

from services.platform.jit import KERNEL, PARALLEL_KERNEL

from .calibration import RowCalibration, _calibrate_row
from .classes import _classify_row, classifier_args
from .model import F32Array, U8Array, U16Array
from .params import AnalysisParameters
from .render import DISPLAY_MU_MAX, PALETTE_I32, _render_row
from .smoothing import _smooth_row
from .structure import Profiles

ROWS_PER_BLOCK: int = 64


@dataclass(frozen=True, slots=True, eq=False)
class FrontResult:
    """Smoothed high-energy attenuation, class bytes and false colour of one scan."""

    mu_high: F32Array
    classes: U8Array
    rgb: U8Array
    profiles: Profiles


@njit(**KERNEL)  # type: ignore[untyped-decorator]
def _profile_row(
    mu: Any, r: Any, step: Any, cmin: Any, wmin: Any, row_c: Any, row_w: Any, col_c: Any,
    col_w: Any,
) -> None:  # fmt: skip
    nc = 0
    nw = 0
    for c in range(mu.shape[0]):
        v = mu[c]
        nc += v > cmin
        nw += v > wmin
    row_c[r] = nc
    row_w[r] = nw
    if r % step == 0:
        for c in range(mu.shape[0]):
            v = mu[c]
            col_c[c] += v > cmin
            col_w[c] += v > wmin


@njit(**PARALLEL_KERNEL)  # type: ignore[untyped-decorator]
def _front(
    low: Any,
    high: Any,
    dl: Any,
    sl: Any,
    ll: Any,
    fl: Any,
    tl: Any,
    dh: Any,
    sh_: Any,
    lh: Any,
    fh: Any,
    th: Any,
    saturation: Any,
    start: Any,
    width: Any,
    base: Any,
    slope: Any,
    bg_max: Any,
    imp_mu: Any,
    dense_min: Any,
    palette: Any,
    inv_max: Any,
    block: Any,
    step: Any,
    cmin: Any,
    wmin: Any,
    out_mu: Any,
    out_cls: Any,
    out_rgb: Any,
    row_c: Any,
    row_w: Any,
    col_c: Any,
    col_w: Any,
) -> None:
    h, w = low.shape
    nblocks = (h + block - 1) // block
    for b in prange(nblocks):
        r0 = b * block
        r1 = min(r0 + block, h)
        wl = np.empty((3, w), np.float32)
        wh = np.empty((3, w), np.float32)
        buf = np.empty(w, np.float32)
        ebuf = np.empty(w, np.int32)
        s_low = np.empty(w, np.float32)
        thr = np.empty((3, w), np.float32)
        # window slot of row r is r % 3; preload rows r0-1 (clamped) and r0
        for r in range(max(r0 - 1, 0), min(r0 + 1, h)):
            _calibrate_row(low[r], dl[r], sl[r], ll[r], fl[r], saturation, buf, ebuf, wl[r % 3])
            _calibrate_row(high[r], dh[r], sh_[r], lh[r], fh[r], saturation, buf, ebuf, wh[r % 3])
        for r in range(r0, r1):
            if r + 1 < h:
                q = r + 1
                _calibrate_row(low[q], dl[q], sl[q], ll[q], fl[q], saturation, buf, ebuf, wl[q % 3])
                _calibrate_row(
                    high[q], dh[q], sh_[q], lh[q], fh[q], saturation, buf, ebuf, wh[q % 3]
                )
            up = max(r - 1, 0) % 3
            dn = min(r + 1, h - 1) % 3
            mid = r % 3
            _smooth_row(wl[up], wl[mid], wl[dn], tl[r], s_low)
            _smooth_row(wh[up], wh[mid], wh[dn], th[r], out_mu[r])
            _classify_row(
                s_low,
                out_mu[r],
                start,
                width,
                base,
                slope,
                bg_max,
                imp_mu,
                dense_min,
                thr,
                out_cls[r],
            )
            _render_row(out_cls[r], out_mu[r], palette, inv_max, out_rgb[r])
            _profile_row(out_mu[r], r, step, cmin, wmin, row_c, row_w, col_c[b], col_w[b])


def run_front(
    low: U16Array,
    high: U16Array,
    cal_low: RowCalibration,
    cal_high: RowCalibration,
    tol_low: F32Array,
    tol_high: F32Array,
    params: AnalysisParameters,
) -> FrontResult:
    """Calibrate, smooth, classify and render in one fused pass (inputs already validated)."""
    h, w = low.shape
    out_mu = np.empty((h, w), np.float32)
    out_cls = np.empty((h, w), np.uint8)
    out_rgb = np.empty((h, w, 3), np.uint8)
    nblocks = (h + ROWS_PER_BLOCK - 1) // ROWS_PER_BLOCK
    row_c, row_w = np.zeros(h, np.int64), np.zeros(h, np.int64)
    col_c, col_w = np.zeros((nblocks, w), np.int64), np.zeros((nblocks, w), np.int64)
    st = params.structure
    if low.size:
        _front(
            np.ascontiguousarray(low), np.ascontiguousarray(high),
            cal_low.dark, cal_low.span, cal_low.log_span, cal_low.floor, tol_low,
            cal_high.dark, cal_high.span, cal_high.log_span, cal_high.floor, tol_high,
            cal_low.saturation,
            *classifier_args(params.materials),
            PALETTE_I32, np.float32(1.0 / DISPLAY_MU_MAX), ROWS_PER_BLOCK,
            st.subsample, np.float32(st.container_min), np.float32(st.wall_min),
            out_mu, out_cls, out_rgb, row_c, row_w, col_c, col_w,
        )  # fmt: skip
    prof = Profiles(row_c, row_w, col_c.sum(axis=0), col_w.sum(axis=0), st.subsample)
    return FrontResult(mu_high=out_mu, classes=out_cls, rgb=out_rgb, profiles=prof)
