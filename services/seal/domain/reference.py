"""Plain NumPy references of the kernels in :mod:`services.seal.domain.kernels`.

Written independently of the kernels (broadcasting and run-length arithmetic instead of loops)
so that tests comparing the two catch mistakes in either. Not used on the hot path.
"""

from __future__ import annotations

import numpy as np

from services.seal.domain.kernels import B1, F64, I64, Episodes


def distance_to_polyline_ref(x: F64, y: F64, px: F64, py: F64) -> F64:
    ax, ay = px[:-1][None, :], py[:-1][None, :]
    dx, dy = (px[1:] - px[:-1])[None, :], (py[1:] - py[:-1])[None, :]
    qx, qy = x[:, None] - ax, y[:, None] - ay
    ll = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        u = np.where(ll > 0, (qx * dx + qy * dy) / np.where(ll > 0, ll, 1.0), 0.0)
    u = np.clip(u, 0.0, 1.0)
    d = np.hypot(qx - u * dx, qy - u * dy)
    if x.shape[0] == 0:
        return np.zeros(0, dtype=np.float64)
    out: F64 = d.min(axis=1)
    return out


def points_in_polygon_ref(x: F64, y: F64, vx: F64, vy: F64) -> B1:
    x1, y1 = vx[None, :], vy[None, :]
    x2, y2 = np.roll(vx, 1)[None, :], np.roll(vy, 1)[None, :]
    yy, xx = y[:, None], x[:, None]
    straddles = (y1 > yy) != (y2 > yy)
    with np.errstate(invalid="ignore", divide="ignore"):
        xc = x1 + (yy - y1) * (x2 - x1) / (y2 - y1)
    crossings = straddles & (xx < xc)
    out: B1 = (crossings.sum(axis=1) % 2) == 1
    return out


def _pack(rows: list[tuple[int, int, bool]]) -> Episodes:
    starts: I64 = np.array([r[0] for r in rows], dtype=np.int64)
    ends: I64 = np.array([r[1] for r in rows], dtype=np.int64)
    opened: B1 = np.array([r[2] for r in rows], dtype=np.bool_)
    return starts, ends, opened


def stop_episodes_ref(x: F64, y: F64, t: F64, radius_m: float, min_duration_s: float) -> Episodes:
    n = x.shape[0]
    rows: list[tuple[int, int, bool]] = []
    i = 0
    while i < n:
        far = np.nonzero(np.hypot(x[i + 1 :] - x[i], y[i + 1 :] - y[i]) > radius_m)[0]
        j = i + 1 + int(far[0]) if far.size else n
        if t[j - 1] - t[i] >= min_duration_s:
            rows.append((i, j if j < n else n - 1, j == n))
            i = j
        else:
            i += 1
    return _pack(rows)


def _runs(flags: B1) -> list[tuple[int, int]]:
    """Inclusive (first, last) index of each run of True."""
    padded = np.concatenate(([False], flags, [False])).astype(np.int8)
    edges = np.diff(padded)
    return list(
        zip(
            np.nonzero(edges == 1)[0].tolist(),
            (np.nonzero(edges == -1)[0] - 1).tolist(),
            strict=True,
        )
    )


def flag_episodes_ref(
    flags: B1, t: F64, min_duration_s: float, min_count: int, close_after_s: float
) -> Episodes:
    n = flags.shape[0]
    flagged = _runs(flags)
    normal = _runs(~flags)
    rows: list[tuple[int, int, bool]] = []
    current: int | None = None
    for first, last in flagged:
        if current is None:
            if last - first + 1 >= min_count and t[last] - t[first] >= min_duration_s:
                current = first
            else:
                continue
        # the normal spell after this flagged run, if any
        spell = next(((a, b) for a, b in normal if a == last + 1), None)
        if spell is None:
            continue  # flagged to the end: stays open
        a, b = spell
        long_enough = np.nonzero(t[a : b + 1] - t[a] >= close_after_s)[0]
        if long_enough.size:
            rows.append((current, a, False))
            current = None
        elif b == n - 1:
            break  # undecided normal spell at the end: still open
    if current is not None:
        rows.append((current, n - 1, True))
    return _pack(rows)
