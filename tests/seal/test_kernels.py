"""numba kernels vs their NumPy references, including edge cases."""

from __future__ import annotations

import numpy as np
import pytest

from services.seal.domain import kernels as k
from services.seal.domain import reference as ref

RNG = np.random.default_rng(42)


def _same_episodes(a: k.Episodes, b: k.Episodes) -> None:
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("n", [0, 1, 7, 500])
@pytest.mark.parametrize("m", [2, 3, 40])
def test_distance_to_polyline_agrees(n: int, m: int) -> None:
    x, y = RNG.uniform(-5000, 5000, n), RNG.uniform(-5000, 5000, n)
    px, py = np.cumsum(RNG.uniform(-800, 1500, m)), np.cumsum(RNG.uniform(-800, 1500, m))
    np.testing.assert_allclose(
        k.distance_to_polyline(x, y, px, py), ref.distance_to_polyline_ref(x, y, px, py), atol=1e-9
    )


def test_distance_to_polyline_known_values_and_degenerate_segment() -> None:
    px, py = np.array([0.0, 100.0, 100.0]), np.array([0.0, 0.0, 0.0])  # last segment has length 0
    x, y = np.array([50.0, -30.0, 130.0, 100.0]), np.array([20.0, -40.0, 0.0, -7.0])
    got = k.distance_to_polyline(x, y, px, py)
    np.testing.assert_allclose(got, [20.0, 50.0, 30.0, 7.0])
    np.testing.assert_allclose(ref.distance_to_polyline_ref(x, y, px, py), got)


def test_wrappers_reject_wrong_dtype_and_shape() -> None:
    f = np.zeros(3)
    with pytest.raises(ValueError, match="x: expected dtype float64"):
        k.distance_to_polyline(np.zeros(3, dtype=np.float32), f, f, f)
    with pytest.raises(ValueError, match="px: a polyline needs at least 2"):
        k.distance_to_polyline(f, f, np.zeros(1), np.zeros(1))
    with pytest.raises(ValueError, match="flags: expected dtype bool"):
        k.flag_episodes(np.zeros(3, dtype=np.int8), f, 0.0, 1, 0.0)
    with pytest.raises(ValueError, match="x/y/t: lengths differ"):
        k.stop_episodes(f, f, np.zeros(2), 10.0, 10.0)
    with pytest.raises(ValueError, match="y: expected a 1-D array"):
        k.points_in_polygon(f, np.zeros((3, 1)), f, f)


@pytest.mark.parametrize("n", [0, 1, 300])
def test_points_in_polygon_agrees(n: int) -> None:
    angles = np.sort(RNG.uniform(0, 2 * np.pi, 9))
    radii = RNG.uniform(200, 1000, 9)  # star-shaped, non-convex
    vx, vy = radii * np.cos(angles), radii * np.sin(angles)
    x, y = RNG.uniform(-1100, 1100, n), RNG.uniform(-1100, 1100, n)
    got = k.points_in_polygon(x, y, vx, vy)
    np.testing.assert_array_equal(got, ref.points_in_polygon_ref(x, y, vx, vy))
    if n == 300:
        assert 0 < got.sum() < n


def test_points_in_polygon_square_and_circle() -> None:
    vx, vy = np.array([0.0, 10, 10, 0]), np.array([0.0, 0, 10, 10])
    x, y = np.array([5.0, 15.0, -1.0, 9.9]), np.array([5.0, 5.0, 5.0, 0.1])
    np.testing.assert_array_equal(k.points_in_polygon(x, y, vx, vy), [True, False, False, True])
    np.testing.assert_array_equal(
        k.points_in_circle(x, y, 0.0, 0.0, 7.1), [True, False, True, False]
    )


def _track(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A random walk with stationary spells."""
    t = np.cumsum(RNG.uniform(5, 30, n))
    step = RNG.normal(0, 40, (n, 2))
    still = RNG.uniform(size=n) < 0.6
    step[still] = RNG.normal(0, 3, (int(still.sum()), 2))
    xy = np.cumsum(step, axis=0)
    return xy[:, 0].copy(), xy[:, 1].copy(), t


@pytest.mark.parametrize("n", [0, 1, 2, 50, 1000])
@pytest.mark.parametrize(("radius", "duration"), [(0.0, 0.0), (30.0, 60.0), (100.0, 300.0)])
def test_stop_episodes_agree(n: int, radius: float, duration: float) -> None:
    x, y, t = _track(n)
    got = k.stop_episodes(x, y, t, radius, duration)
    _same_episodes(got, ref.stop_episodes_ref(x, y, t, radius, duration))


def test_stop_episodes_known_case() -> None:
    # moving, then 5 fixes within 10 m over 400 s, then moving again; then a stop at the end
    x = np.array([0.0, 500, 1000, 1003, 998, 1001, 1002, 1600, 2200, 2201, 2202])
    y = np.zeros_like(x)
    t = np.arange(x.shape[0], dtype=np.float64) * 100.0
    starts, ends, opened = k.stop_episodes(x, y, t, 20.0, 300.0)
    assert starts.tolist() == [2] and ends.tolist() == [7] and opened.tolist() == [False]
    starts, ends, opened = k.stop_episodes(x, y, t, 20.0, 200.0)
    assert (
        starts.tolist() == [2, 8] and ends.tolist() == [7, 10] and opened.tolist() == [False, True]
    )


@pytest.mark.parametrize("n", [0, 1, 2, 60, 2000])
@pytest.mark.parametrize(
    ("min_duration", "min_count", "close_after"),
    [(0.0, 1, 0.0), (60.0, 3, 30.0), (200.0, 2, 120.0)],
)
@pytest.mark.parametrize("p_flag", [0.0, 0.3, 0.8, 1.0])
def test_flag_episodes_agree(
    n: int, min_duration: float, min_count: int, close_after: float, p_flag: float
) -> None:
    t = np.cumsum(RNG.uniform(5, 40, n))
    flags = RNG.uniform(size=n) < p_flag
    got = k.flag_episodes(flags, t, min_duration, min_count, close_after)
    _same_episodes(got, ref.flag_episodes_ref(flags, t, min_duration, min_count, close_after))


def test_flag_episodes_debounce_and_close() -> None:
    t = np.arange(20, dtype=np.float64) * 10.0
    f = np.zeros(20, dtype=np.bool_)
    f[1] = True  # isolated fix: never an episode
    f[4:10] = True  # 6 fixes spanning 50 s
    f[11] = True  # a 1-fix normal spell (10) is absorbed (close_after 20)
    assert k.flag_episodes(f, t, 60.0, 3, 20.0)[0].size == 0  # 50 s < 60 s: not confirmed
    starts, ends, opened = k.flag_episodes(f, t, 40.0, 3, 20.0)
    assert starts.tolist() == [4] and ends.tolist() == [12] and not opened[0]
    f[12:] = True
    starts, ends, opened = k.flag_episodes(f, t, 40.0, 3, 20.0)
    assert starts.tolist() == [4] and ends.tolist() == [19] and opened[0]
