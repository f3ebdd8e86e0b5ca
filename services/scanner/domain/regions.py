"""Step 5b: region statistics from a run labelling (and the NumPy/SciPy reference).

Per region: area, bbox, centroid, mean high-energy attenuation, pixel counts per Material and
estimated mass. Mass model (documented, simple): at scanner energies attenuation is dominated by
Compton scattering, so mu_high ~ (mu/rho) * areal density with nearly the same mass-attenuation
coefficient for all common materials; a pixel's cargo areal density is
(mu_high - wall baseline) / (mu/rho) [g/cm2] and its mass that times the pixel area.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit, prange
from scipy import ndimage

from services.platform.jit import KERNEL, PARALLEL_KERNEL

from .classes import MATERIAL_MASK
from .errors import DomainValidationError
from .labelling import RunLabels
from .model import (
    Bounds,
    F32Array,
    F64Array,
    I32Array,
    I64Array,
    Material,
    Region,
    RegionKind,
    U8Array,
)
from .validation import require_array, require_same_shape

N_CLASSES: int = 8


@dataclass(frozen=True, slots=True, eq=False)
class RegionTable:
    """Statistics of regions 1..n (row i describes label i + 1)."""

    area: I64Array
    top: I64Array
    bottom: I64Array
    left: I64Array
    right: I64Array
    sum_row: F64Array
    sum_col: F64Array
    sum_mu: F64Array
    class_counts: I64Array  # (n, N_CLASSES)

    @property
    def count(self) -> int:
        return int(self.area.shape[0])


@njit(**PARALLEL_KERNEL)  # type: ignore[untyped-decorator]
def _run_sums(
    offsets: Any, rs: Any, re: Any, rk: Any, uniform: Any, top: Any, mu: Any, cls: Any,
    run_mu: Any, run_cls: Any,
) -> None:  # fmt: skip
    for i in prange(offsets.shape[0] - 1):
        mrow = mu[top + i]
        crow = cls[top + i]
        for j in range(offsets[i], offsets[i + 1]):
            s = 0.0
            for c in range(rs[j], re[j]):
                s += mrow[c]
            run_mu[j] = s
            if uniform:  # the key is the material: no per-pixel histogram needed
                run_cls[j, rk[j]] = re[j] - rs[j]
            else:
                for c in range(rs[j], re[j]):
                    run_cls[j, crow[c] & 7] += 1


@njit(**KERNEL)  # type: ignore[untyped-decorator]
def _reduce(
    offsets: Any,
    rs: Any,
    re: Any,
    labels: Any,
    top: Any,
    run_mu: Any,
    run_cls: Any,
    n: Any,
    area: Any,
    t: Any,
    b: Any,
    lft: Any,
    rgt: Any,
    sr: Any,
    sc: Any,
    sm: Any,
    cc: Any,
) -> None:
    for i in range(offsets.shape[0] - 1):
        row = top + i
        for j in range(offsets[i], offsets[i + 1]):
            k = labels[j] - 1
            ln = re[j] - rs[j]
            area[k] += ln
            t[k] = min(t[k], row)
            b[k] = max(b[k], row + 1)
            lft[k] = min(lft[k], rs[j])
            rgt[k] = max(rgt[k], re[j])
            sr[k] += row * ln
            sc[k] += 0.5 * ln * (rs[j] + re[j] - 1)
            sm[k] += run_mu[j]
            for q in range(run_cls.shape[1]):
                cc[k, q] += run_cls[j, q]


def region_table(runs: RunLabels, mu_high: F32Array, classes: U8Array) -> RegionTable:
    """Statistics of every region of a run labelling (mu_high and classes of the same image)."""
    mu = require_array(mu_high, "mu_high", np.float32, 2)
    cls = require_array(classes, "classes", np.uint8, 2)
    require_same_shape(cls, mu, "mu_high")
    b = runs.bounds
    if b.bottom > mu.shape[0] or b.right > mu.shape[1]:
        raise DomainValidationError("mu_high", f"shape {mu.shape} does not hold the runs' {b}")
    n = runs.count
    nr = runs.start.shape[0]
    run_mu = np.zeros(nr, np.float64)
    run_cls = np.zeros((nr, N_CLASSES), np.int64)
    big = np.iinfo(np.int64).max
    table = RegionTable(
        area=np.zeros(n, np.int64),
        top=np.full(n, big, np.int64),
        bottom=np.zeros(n, np.int64),
        left=np.full(n, big, np.int64),
        right=np.zeros(n, np.int64),
        sum_row=np.zeros(n, np.float64),
        sum_col=np.zeros(n, np.float64),
        sum_mu=np.zeros(n, np.float64),
        class_counts=np.zeros((n, N_CLASSES), np.int64),
    )
    if nr:
        o, s, e, top = runs.offsets, runs.start, runs.end, runs.bounds.top
        uniform = runs.shift == 0 and runs.mask == MATERIAL_MASK
        _run_sums(o, s, e, runs.key, uniform, top, np.ascontiguousarray(mu),
                  np.ascontiguousarray(cls), run_mu, run_cls)  # fmt: skip
        _reduce(o, s, e, runs.label, top, run_mu, run_cls, n, table.area, table.top,
                table.bottom, table.left, table.right, table.sum_row, table.sum_col,
                table.sum_mu, table.class_counts)  # fmt: skip
    return table


def region_table_reference(
    labels: I32Array, count: int, mu_high: F32Array, classes: U8Array
) -> RegionTable:
    """NumPy/SciPy reference: find_objects for boxes, bincount for sums."""
    flat = labels.ravel()
    m = count + 1
    area = np.bincount(flat, minlength=m)[1:].astype(np.int64)
    rows, cols = np.indices(labels.shape)
    boxes = ndimage.find_objects(labels, max_label=count) if count else []
    top = np.array([s[0].start for s in boxes], np.int64) if count else np.zeros(0, np.int64)
    return RegionTable(
        area=area,
        top=top,
        bottom=np.array([s[0].stop for s in boxes], np.int64).reshape(-1),
        left=np.array([s[1].start for s in boxes], np.int64).reshape(-1),
        right=np.array([s[1].stop for s in boxes], np.int64).reshape(-1),
        sum_row=np.bincount(flat, rows.ravel(), minlength=m)[1:].astype(np.float64),
        sum_col=np.bincount(flat, cols.ravel(), minlength=m)[1:].astype(np.float64),
        sum_mu=np.bincount(flat, mu_high.ravel().astype(np.float64), minlength=m)[1:].astype(
            np.float64
        ),
        class_counts=np.bincount(
            flat * N_CLASSES + (classes.ravel() & MATERIAL_MASK), minlength=m * N_CLASSES
        )
        .reshape(m, N_CLASSES)[1:]
        .astype(np.int64),
    )


def to_regions(
    table: RegionTable,
    kind: RegionKind,
    min_area: int,
    baseline: float,
    pixel_area_cm2: float,
    mass_attenuation_cm2_g: float,
) -> tuple[Region, ...]:
    """Region objects for regions of at least ``min_area`` pixels, largest first."""
    keep = np.flatnonzero(table.area >= min_area)
    out = []
    for i in keep:
        area = int(table.area[i])
        cargo_mu = float(table.sum_mu[i]) - baseline * area
        mass_kg = max(cargo_mu, 0.0) * pixel_area_cm2 / mass_attenuation_cm2_g / 1000.0
        counts = table.class_counts[i, 1:6]
        out.append(
            Region(
                kind=kind,
                label=int(i) + 1,
                area_px=area,
                bbox=Bounds(
                    int(table.top[i]), int(table.bottom[i]), int(table.left[i]), int(table.right[i])
                ),
                centroid_row=float(table.sum_row[i]) / area,
                centroid_col=float(table.sum_col[i]) / area,
                mean_attenuation=float(table.sum_mu[i]) / area,
                dominant_material=Material(int(np.argmax(counts)) + 1),
                mass_kg=mass_kg,
            )
        )
    out.sort(key=lambda r: (-r.area_px, r.bbox.top, r.bbox.left))
    return tuple(out)
