"""numba kernels of the rule pipeline, each behind a typed wrapper that checks dtype and shape.

Plain NumPy references of the same computations live in :mod:`services.seal.domain.reference`
and tests check that both agree. All coordinates are metres in the trip's local projection;
times are seconds.

Episode kernels return ``(starts, ends, open)``: ``starts[k]`` is the index of the first fix of
episode k; for a closed episode ``ends[k]`` is the index of the fix that ended it (the first fix
back to normal, so its time is the closing time); for an episode still running at the last fix
(``open[k]``) ``ends[k]`` is the last index.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

from services.platform.jit import KERNEL

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B1 = npt.NDArray[np.bool_]
Episodes = tuple[I64, I64, B1]


@njit(**KERNEL)  # type: ignore[untyped-decorator]
def _distance_to_polyline(x: F64, y: F64, px: F64, py: F64) -> F64:
    n = x.shape[0]
    m = px.shape[0]
    out = np.empty(n, dtype=np.float64)
    for i in range(n):
        best = np.inf
        for s in range(m - 1):
            ax = px[s]
            ay = py[s]
            dx = px[s + 1] - ax
            dy = py[s + 1] - ay
            qx = x[i] - ax
            qy = y[i] - ay
            ll = dx * dx + dy * dy
            u = 0.0
            if ll > 0.0:
                u = (qx * dx + qy * dy) / ll
                if u < 0.0:
                    u = 0.0
                elif u > 1.0:
                    u = 1.0
            ex = qx - u * dx
            ey = qy - u * dy
            d2 = ex * ex + ey * ey
            if d2 < best:
                best = d2
        out[i] = np.sqrt(best)
    return out


@njit(**KERNEL)  # type: ignore[untyped-decorator]
def _points_in_polygon(x: F64, y: F64, vx: F64, vy: F64) -> B1:
    n = x.shape[0]
    m = vx.shape[0]
    out = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        inside = False
        j = m - 1
        for k in range(m):
            yk = vy[k]
            yj = vy[j]
            if (yk > y[i]) != (yj > y[i]):
                xc = vx[k] + (y[i] - yk) * (vx[j] - vx[k]) / (yj - yk)
                if x[i] < xc:
                    inside = not inside
            j = k
        out[i] = inside
    return out


@njit(**KERNEL)  # type: ignore[untyped-decorator]
def _stop_episodes(x: F64, y: F64, t: F64, radius: float, min_duration: float) -> Episodes:
    n = x.shape[0]
    starts = np.empty(n, dtype=np.int64)
    ends = np.empty(n, dtype=np.int64)
    opened = np.zeros(n, dtype=np.bool_)
    r2 = radius * radius
    count = 0
    i = 0
    while i < n:
        j = i + 1
        while j < n:
            dx = x[j] - x[i]
            dy = y[j] - y[i]
            if dx * dx + dy * dy > r2:
                break
            j += 1
        if t[j - 1] - t[i] >= min_duration:
            starts[count] = i
            if j == n:
                ends[count] = n - 1
                opened[count] = True
            else:
                ends[count] = j
            count += 1
            i = j
        else:
            i += 1
    return starts[:count].copy(), ends[:count].copy(), opened[:count].copy()


@njit(**KERNEL)  # type: ignore[untyped-decorator]
def _flag_episodes(
    flags: B1, t: F64, min_duration: float, min_count: int, close_after: float
) -> Episodes:
    n = flags.shape[0]
    starts = np.empty(n, dtype=np.int64)
    ends = np.empty(n, dtype=np.int64)
    opened = np.zeros(n, dtype=np.bool_)
    count = 0
    i = 0
    in_episode = False
    start = 0
    while i < n:
        if not in_episode:
            if not flags[i]:
                i += 1
                continue
            j = i
            while j + 1 < n and flags[j + 1]:
                j += 1
            if j - i + 1 >= min_count and t[j] - t[i] >= min_duration:
                in_episode = True
                start = i
            i = j + 1
            continue
        if flags[i]:
            i += 1
            continue
        first_normal = i
        k = i
        closed = False
        while k < n and not flags[k]:
            if t[k] - t[first_normal] >= close_after:
                closed = True
                break
            k += 1
        if closed:
            starts[count] = start
            ends[count] = first_normal
            count += 1
            in_episode = False
            i = k + 1
        elif k == n:
            break
        else:
            i = k
    if in_episode:
        starts[count] = start
        ends[count] = n - 1
        opened[count] = True
        count += 1
    return starts[:count].copy(), ends[:count].copy(), opened[:count].copy()


def _vector(name: str, a: object, dtype: type[np.generic]) -> npt.NDArray[np.generic]:
    if not isinstance(a, np.ndarray):
        raise ValueError(f"{name}: expected a numpy array, got {type(a).__name__}")
    if a.dtype != dtype:
        raise ValueError(f"{name}: expected dtype {np.dtype(dtype)}, got {a.dtype}")
    if a.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array, got shape {a.shape}")
    return a


def _same_length(names: str, *arrays: npt.NDArray[np.generic]) -> None:
    if len({a.shape[0] for a in arrays}) > 1:
        raise ValueError(f"{names}: lengths differ {[a.shape[0] for a in arrays]}")


def distance_to_polyline(x: F64, y: F64, px: F64, py: F64) -> F64:
    """Distance in metres from each point (x, y) to the polyline (px, py), min over segments."""
    for name, a in (("x", x), ("y", y), ("px", px), ("py", py)):
        _vector(name, a, np.float64)
    _same_length("x/y", x, y)
    _same_length("px/py", px, py)
    if px.shape[0] < 2:
        raise ValueError(f"px: a polyline needs at least 2 vertices, got {px.shape[0]}")
    out: F64 = _distance_to_polyline(x, y, px, py)
    return out


def points_in_polygon(x: F64, y: F64, vx: F64, vy: F64) -> B1:
    """Even-odd (ray casting) containment of each point in the ring (vx, vy)."""
    for name, a in (("x", x), ("y", y), ("vx", vx), ("vy", vy)):
        _vector(name, a, np.float64)
    _same_length("x/y", x, y)
    _same_length("vx/vy", vx, vy)
    if vx.shape[0] < 3:
        raise ValueError(f"vx: a polygon needs at least 3 vertices, got {vx.shape[0]}")
    out: B1 = _points_in_polygon(x, y, vx, vy)
    return out


def points_in_circle(x: F64, y: F64, cx: float, cy: float, radius: float) -> B1:
    """Containment in a circle (NumPy; one fused expression is all it needs)."""
    _vector("x", x, np.float64)
    _vector("y", y, np.float64)
    _same_length("x/y", x, y)
    out: B1 = (x - cx) ** 2 + (y - cy) ** 2 <= radius * radius
    return out


def stop_episodes(x: F64, y: F64, t: F64, radius_m: float, min_duration_s: float) -> Episodes:
    """Stationary episodes: fixes staying within ``radius_m`` of the episode's first fix for at
    least ``min_duration_s``. Greedy from each anchor, so episodes never overlap. ``t`` must be
    non-decreasing."""
    for name, a in (("x", x), ("y", y), ("t", t)):
        _vector(name, a, np.float64)
    _same_length("x/y/t", x, y, t)
    if radius_m < 0 or min_duration_s < 0:
        raise ValueError("radius_m/min_duration_s: must be non-negative")
    out: Episodes = _stop_episodes(x, y, t, float(radius_m), float(min_duration_s))
    return out


def flag_episodes(
    flags: B1, t: F64, min_duration_s: float, min_count: int, close_after_s: float
) -> Episodes:
    """Debounced episodes of a boolean condition over time-ordered fixes.

    An episode opens on a run of consecutive flagged fixes at least ``min_count`` long spanning at
    least ``min_duration_s`` (so an isolated jittery fix never opens one). Once open it closes only
    when the condition has been false on consecutive fixes spanning ``close_after_s``; shorter
    normal spells are absorbed into the episode. An unconfirmed run at the end is not reported.
    """
    _vector("flags", flags, np.bool_)
    _vector("t", t, np.float64)
    _same_length("flags/t", flags, t)
    if min_count < 1:
        raise ValueError(f"min_count: must be at least 1, got {min_count}")
    if min_duration_s < 0 or close_after_s < 0:
        raise ValueError("min_duration_s/close_after_s: must be non-negative")
    out: Episodes = _flag_episodes(
        flags, t, float(min_duration_s), int(min_count), float(close_after_s)
    )
    return out
