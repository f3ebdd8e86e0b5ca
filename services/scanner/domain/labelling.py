"""Step 5a: run-length connected-component labelling of a uint8 key image.

A pixel's key is ``(image >> shift) & mask``; pixels with key 0 are background, and two
neighbouring pixels are connected when their keys are equal (so one key labels per-material
regions, another the dense flag; label_keys() does up to two keys in the same passes). Linear in
pixels, cheap union-find on runs:
1. count runs of equal non-zero keys per row (parallel over rows), prefix sum;
2. fill run start/end/key per row into its own slice (parallel over rows);
3. union touching runs of consecutive rows with a two-pointer sweep (serial, over runs only),
   the root of a set being its first run in raster order;
4. resolve: labels 1..n numbered in raster order of each component's first pixel.
The result stays run-length encoded (RunLabels); paint_labels() draws a full label image.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit, prange
from scipy import ndimage

from services.platform.jit import KERNEL, PARALLEL_KERNEL

from .errors import DomainValidationError
from .model import Bounds, I32Array, I64Array, U8Array
from .validation import require_array


@dataclass(frozen=True, slots=True, eq=False)
class RunLabels:
    """Runs of one labelling: row i of ``bounds`` holds runs offsets[i]:offsets[i+1]."""

    bounds: Bounds
    offsets: I64Array
    start: I32Array
    end: I32Array
    key: U8Array
    label: I32Array
    count: int
    shift: int
    mask: int


@njit(**KERNEL)  # type: ignore[untyped-decorator]
def _count_row(row: Any, left: Any, right: Any, ba: Any, bb: Any) -> Any:
    # runs of two keys at once (one read of the image); a run starts where the key is non-zero
    # and differs from its left neighbour. Keys are compared in place (image & (mask << shift))
    # and without a loop-carried key. Callers guarantee right > left.
    x = row[left]
    na = np.int64(1) if x & ba != 0 else np.int64(0)
    nb = np.int64(1) if x & bb != 0 else np.int64(0)
    for c in range(left + 1, right):
        x = row[c]
        y = row[c - 1]
        ka = x & ba
        kb = x & bb
        na += np.int64(1) if (ka != 0) & (ka != (y & ba)) else np.int64(0)
        nb += np.int64(1) if (kb != 0) & (kb != (y & bb)) else np.int64(0)
    return na, nb


@njit(**PARALLEL_KERNEL)  # type: ignore[untyped-decorator]
def _count_runs(
    img: Any, top: Any, left: Any, right: Any, ba: Any, bb: Any, counts: Any
) -> None:  # fmt: skip
    for i in prange(counts.shape[1]):
        na, nb = _count_row(img[top + i], left, right, ba, bb)
        counts[0, i] = na
        counts[1, i] = nb


@njit(**KERNEL)  # type: ignore[untyped-decorator]
def _fill_row(
    row: Any, left: Any, right: Any, bits: Any, shift: Any, j: Any, rs: Any, re: Any, rk: Any
) -> None:  # fmt: skip
    prev = np.uint8(0)
    for c in range(left, right):
        k = row[c] & bits
        if k != prev:
            if prev != 0:
                re[j - 1] = c
            if k != 0:
                rs[j] = c
                rk[j] = k >> shift
                j += 1
            prev = k
    if prev != 0:
        re[j - 1] = right


@njit(**PARALLEL_KERNEL)  # type: ignore[untyped-decorator]
def _fill_runs(
    img: Any, top: Any, left: Any, right: Any, ba: Any, sa: Any, bb: Any, sb: Any,
    oa: Any, rsa: Any, rea: Any, rka: Any, ob: Any, rsb: Any, reb: Any, rkb: Any,
) -> None:  # fmt: skip
    for i in prange(oa.shape[0] - 1):
        row = img[top + i]
        if oa[i + 1] > oa[i]:
            _fill_row(row, left, right, ba, sa, oa[i], rsa, rea, rka)
        if ob[i + 1] > ob[i]:
            _fill_row(row, left, right, bb, sb, ob[i], rsb, reb, rkb)


@njit(**KERNEL)  # type: ignore[untyped-decorator]
def _find(parent: Any, x: Any) -> Any:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@njit(**KERNEL)  # type: ignore[untyped-decorator]
def _union(parent: Any, x: Any, y: Any) -> None:
    rx = _find(parent, x)
    ry = _find(parent, y)
    if rx < ry:
        parent[ry] = rx
    elif ry < rx:
        parent[rx] = ry


@njit(**KERNEL)  # type: ignore[untyped-decorator]
def _link(parent: Any, rs: Any, re: Any, rk: Any, a: Any, b: Any, d: Any) -> None:
    if rk[a] == rk[b] and rs[a] < re[b] + d and rs[b] < re[a] + d:
        _union(parent, a, b)


@njit(**KERNEL)  # type: ignore[untyped-decorator]
def _resolve(offsets: Any, rs: Any, re: Any, rk: Any, d: Any, labels: Any) -> Any:
    n = rs.shape[0]
    parent = np.arange(n).astype(np.int32)
    for i in range(1, offsets.shape[0] - 1):
        a, a_end = offsets[i - 1], offsets[i]
        b, b_end = offsets[i], offsets[i + 1]
        while a < a_end and b < b_end:
            _link(parent, rs, re, rk, a, b, d)
            if re[a] < re[b]:
                a += 1
            elif re[b] < re[a]:
                b += 1
            else:
                if a + 1 < a_end:
                    _link(parent, rs, re, rk, a + 1, b, d)
                if b + 1 < b_end:
                    _link(parent, rs, re, rk, a, b + 1, d)
                a += 1
                b += 1
    count = 0
    for i in range(n):
        p = _find(parent, i)
        if p == i:
            count += 1
            labels[i] = count
        else:
            labels[i] = labels[p]
    return count


@njit(**PARALLEL_KERNEL)  # type: ignore[untyped-decorator]
def _paint(offsets: Any, rs: Any, re: Any, labels: Any, top: Any, out: Any) -> None:
    for i in prange(offsets.shape[0] - 1):
        row = out[top + i]
        for j in range(offsets[i], offsets[i + 1]):
            row[rs[j] : re[j]] = labels[j]


def _check(image: U8Array, bounds: Bounds | None, connectivity: int) -> tuple[U8Array, Bounds]:
    img = require_array(image, "image", np.uint8, 2)
    h, w = img.shape
    b = bounds or Bounds(0, h, 0, w)
    if not (0 <= b.top <= b.bottom <= h and 0 <= b.left <= b.right <= w):
        raise DomainValidationError("bounds", f"{b} is not inside an image of shape {img.shape}")
    if connectivity not in (4, 8):
        raise DomainValidationError("connectivity", "must be 4 or 8")
    return np.ascontiguousarray(img), b


def label_keys(
    image: U8Array,
    bounds: Bounds | None,
    keys: tuple[tuple[int, int], ...],
    connectivity: int = 8,
) -> tuple[RunLabels, ...]:
    """Label runs of one or two keys ``(shift, mask)`` inside ``bounds`` in a single pass over
    the image per phase (the pipeline labels the dense flag and the materials together)."""
    img, b = _check(image, bounds, connectivity)
    if not 1 <= len(keys) <= 2:
        raise DomainValidationError("keys", "give one or two (shift, mask) keys")
    for shift, mask in keys:
        if not (0 <= shift < 8 and 0 < mask <= 0xFF):
            raise DomainValidationError("keys", f"bad key (shift={shift}, mask={mask})")
    pairs = (*keys, (0, 0)) if len(keys) == 1 else keys
    bits = [np.uint8((mask << shift) & 0xFF) for shift, mask in pairs]
    counts = np.zeros((2, b.height), np.int64)
    if b.height and b.width:
        _count_runs(img, b.top, b.left, b.right, bits[0], bits[1], counts)
    offsets = np.zeros((2, b.height + 1), np.int64)
    np.cumsum(counts, axis=1, out=offsets[:, 1:])
    n = [int(offsets[q, -1]) for q in range(2)]
    rs = [np.empty(m, np.int32) for m in n]
    re = [np.empty(m, np.int32) for m in n]
    rk = [np.empty(m, np.uint8) for m in n]
    if n[0] or n[1]:
        _fill_runs(img, b.top, b.left, b.right,
                   bits[0], pairs[0][0], bits[1], pairs[1][0],
                   offsets[0], rs[0], re[0], rk[0], offsets[1], rs[1], re[1], rk[1])  # fmt: skip
    out = []
    for q, (shift, mask) in enumerate(keys):
        labels = np.empty(n[q], np.int32)
        count = 0
        if n[q]:
            d = 1 if connectivity == 8 else 0
            count = int(_resolve(offsets[q], rs[q], re[q], rk[q], d, labels))
        out.append(RunLabels(b, offsets[q], rs[q], re[q], rk[q], labels, count, shift, mask))
    return tuple(out)


def label_runs(
    image: U8Array, bounds: Bounds | None = None, shift: int = 0, mask: int = 0xFF,
    connectivity: int = 8,
) -> RunLabels:  # fmt: skip
    """Label connected runs of equal non-zero keys inside ``bounds`` (default: whole image)."""
    return label_keys(image, bounds, ((shift, mask),), connectivity)[0]


def paint_labels(runs: RunLabels, shape: tuple[int, int]) -> I32Array:
    """Full int32 label image (0 = background) of a run labelling."""
    b = runs.bounds
    if len(shape) != 2 or b.bottom > shape[0] or b.right > shape[1]:
        raise DomainValidationError("shape", f"{shape} does not hold the runs' {b}")
    out = np.zeros(shape, np.int32)
    if runs.start.size:
        _paint(runs.offsets, runs.start, runs.end, runs.label, runs.bounds.top, out)
    return out


def label_reference(
    image: U8Array, bounds: Bounds | None = None, shift: int = 0, mask: int = 0xFF,
    connectivity: int = 8, raster_order: bool = True,
) -> tuple[I32Array, int]:  # fmt: skip
    """scipy.ndimage.label per key value; with ``raster_order`` labels are renumbered in raster
    order of each component's first pixel (as label_runs numbers them)."""
    img, b = _check(image, bounds, connectivity)
    keys = (img[b.top : b.bottom, b.left : b.right] >> shift) & mask
    structure = np.ones((3, 3), bool) if connectivity == 8 else None
    sub = np.zeros(keys.shape, np.int32)
    total = 0
    for value in np.unique(keys[keys != 0]):
        lab, n = ndimage.label(keys == value, structure=structure)
        sub[lab > 0] = lab[lab > 0] + total
        total += n
    out = np.zeros(img.shape, np.int32)
    if total and raster_order:
        ids, first = np.unique(sub.ravel(), return_index=True)
        order = np.zeros(total + 1, np.int32)
        nz = ids != 0
        order[ids[nz][np.argsort(first[nz])]] = np.arange(1, total + 1, dtype=np.int32)
        sub = order[sub]
    out[b.top : b.bottom, b.left : b.right] = sub
    return out, total
