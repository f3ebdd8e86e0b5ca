"""The fused production pass (front.py) against the single-step kernels and against the plain
NumPy reference of the same steps, on phantoms and on edge cases."""

import dataclasses

import numpy as np
import pytest

from services.scanner.domain import (
    Declaration,
    DomainValidationError,
    RawScan,
    ScannerGeometry,
    analyse,
)
from services.scanner.domain.calibration import calibrate, calibrate_reference, row_calibration
from services.scanner.domain.classes import DENSE_BIT, classify, classify_reference
from services.scanner.domain.front import ROWS_PER_BLOCK, FrontResult, run_front
from services.scanner.domain.model import Material
from services.scanner.domain.params import AnalysisParameters
from services.scanner.domain.phantoms import Phantom, PhantomKind
from services.scanner.domain.render import PALETTE, render, render_reference
from services.scanner.domain.smoothing import (
    noise_gain_reference,
    row_tolerance,
    smooth,
    smooth_reference,
)
from services.scanner.domain.structure import profiles_reference

P = AnalysisParameters()
PROFILES = ("row_container", "row_wall", "col_container", "col_wall")
DARK, AIR = 400.0, 50400.0
GEOMETRY = ScannerGeometry(2.0, 2.0)


def fused(s: RawScan) -> FrontResult:
    h = s.low.shape[0]
    return run_front(
        s.low, s.high,
        row_calibration(s.dark_low, s.air_low, h, P.calibration, "low"),
        row_calibration(s.dark_high, s.air_high, h, P.calibration, "high"),
        row_tolerance(s.dark_low, s.air_low, h, P.smoothing),
        row_tolerance(s.dark_high, s.air_high, h, P.smoothing),
        P,
    )  # fmt: skip


def reference(s: RawScan) -> tuple[FrontResult, np.ndarray]:
    """The same steps in plain NumPy, and the sigma filter's per-pixel tolerance on mu_high."""
    mu_l = calibrate_reference(s.low, s.dark_low, s.air_low, P.calibration)
    mu_h = calibrate_reference(s.high, s.dark_high, s.air_high, P.calibration)
    sl = smooth_reference(mu_l, s.dark_low, s.air_low, P.smoothing)
    sh = smooth_reference(mu_h, s.dark_high, s.air_high, P.smoothing)
    cls = classify_reference(sl, sh, P.materials)
    tol = row_tolerance(s.dark_high, s.air_high, sh.shape[0], P.smoothing)[:, None]
    result = FrontResult(sh, cls, render_reference(cls, sh), profiles_reference(sh, P.structure))
    return result, tol * noise_gain_reference(mu_h)


def agree_with_reference(s: RawScan) -> FrontResult:
    """Classes, colours and profiles equal the reference's; mu_high equals it to float32
    rounding, except where a neighbour within rounding of the sigma filter's threshold is kept
    by one and dropped by the other: a few pixels in 10^4, off by at most that threshold."""
    got, (want, threshold) = fused(s), reference(s)
    assert got.mu_high.dtype == np.float32 and got.mu_high.shape == s.low.shape
    assert got.rgb.shape == (*s.low.shape, 3)
    np.testing.assert_array_equal(got.classes, want.classes)
    np.testing.assert_array_equal(got.rgb, want.rgb)
    for name in PROFILES:
        np.testing.assert_array_equal(
            getattr(got.profiles, name), getattr(want.profiles, name), err_msg=name
        )
    diff = np.abs(got.mu_high - want.mu_high)
    assert np.all(diff <= threshold + 2e-5)
    assert np.count_nonzero(diff > 2e-5) <= 1e-4 * diff.size
    return got


def plain(low: np.ndarray, high: np.ndarray | None = None, dark: float = DARK,
          air: float = AIR) -> RawScan:  # fmt: skip
    h = low.shape[0]
    hi = low.copy() if high is None else high
    return RawScan(low, hi, np.full(h, dark), np.full(h, air), np.full(h, dark), np.full(h, air))


def test_fused_pass_equals_the_steps(phantoms: dict[PhantomKind, Phantom]) -> None:
    for ph in (phantoms[PhantomKind.STEEL_IN_ORGANIC], phantoms[PhantomKind.HEAVY_METAL]):
        s = ph.scan
        assert s.low.shape[0] % ROWS_PER_BLOCK != 1  # blocks and their borders are exercised
        got = fused(s)
        sl = smooth(calibrate(s.low, s.dark_low, s.air_low), s.dark_low, s.air_low)
        sh = smooth(calibrate(s.high, s.dark_high, s.air_high), s.dark_high, s.air_high)
        cls = classify(sl, sh)
        np.testing.assert_array_equal(got.mu_high, sh)
        np.testing.assert_array_equal(got.classes, cls)
        np.testing.assert_array_equal(got.rgb, render(cls, sh))


def test_fused_pass_agrees_with_numpy_reference_on_every_phantom(
    phantoms: dict[PhantomKind, Phantom],
) -> None:
    for ph in phantoms.values():
        agree_with_reference(ph.scan)


@pytest.mark.parametrize(
    "shape",
    [(0, 0), (0, 6), (6, 0), (1, 1), (1, 9), (9, 1), (2, 2),
     (ROWS_PER_BLOCK - 1, 5), (ROWS_PER_BLOCK + 1, 4), (2 * ROWS_PER_BLOCK + 2, 3)],
)  # fmt: skip
def test_degenerate_and_block_border_shapes_agree(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(sum(shape))
    h = shape[0]
    dark = rng.uniform(300, 500, h)
    air = dark + rng.uniform(40000, 60000, h)
    low = rng.integers(0, 65536, shape, dtype=np.uint16)
    high = rng.integers(0, 65536, shape, dtype=np.uint16)
    agree_with_reference(RawScan(low, high, dark, air, dark.copy(), air.copy()))


def test_saturated_scan_is_unattenuated_background() -> None:
    got = agree_with_reference(plain(np.full((ROWS_PER_BLOCK + 3, 7), 65535, np.uint16)))
    assert np.all(got.mu_high == 0.0) and np.all(got.classes == Material.BACKGROUND)
    assert np.all(got.rgb == PALETTE[Material.BACKGROUND])
    assert not got.profiles.row_container.any() and not got.profiles.col_wall.any()


def test_all_dark_scan_is_impenetrable_and_dense() -> None:
    got = agree_with_reference(plain(np.full((ROWS_PER_BLOCK + 3, 7), int(DARK), np.uint16)))
    floor = -np.log(P.calibration.transmission_floor)
    np.testing.assert_allclose(got.mu_high, floor, rtol=1e-5)
    assert np.all(got.classes == Material.IMPENETRABLE | DENSE_BIT)
    assert np.all(got.rgb == 0)
    assert np.all(got.profiles.row_wall == 7)


def test_mixed_edge_rows_agree() -> None:
    """Saturated, all-dark, above-air and dead detector rows side by side, and a low plane
    that is dark where the high plane saturates."""
    low = np.full((12, 10), 20000, np.uint16)
    low[1] = 65535
    low[2] = int(DARK)
    low[3] = 60000  # above air: clipped to transmission 1
    low[4] = 0  # below dark
    high = low.copy()
    high[5], low[5] = 65535, int(DARK)
    high[6], low[6] = int(DARK), 65535
    s = plain(low, high)
    air = s.air_high.copy()
    air[7] = DARK + 1.0  # dead row (air - dark <= 1): reads 0, no smoothing
    got = agree_with_reference(dataclasses.replace(s, air_high=air, air_low=air.copy()))
    assert np.all(got.mu_high[7] == 0.0)


@pytest.mark.parametrize("dtype", [np.int16, np.uint8, np.uint32, np.float32, ">u2"])
@pytest.mark.parametrize("plane", ["low", "high"])
def test_other_dtypes_are_rejected_naming_the_plane(dtype: object, plane: str) -> None:
    s = plain(np.full((4, 5), 20000, np.uint16))
    bad = dataclasses.replace(s, **{plane: getattr(s, plane).astype(dtype)})
    with pytest.raises(DomainValidationError) as e:
        analyse(bad, Declaration(empty=True), GEOMETRY)
    assert e.value.field == f"scan.{plane}" and "uint16" in e.value.description


def test_non_contiguous_planes_give_the_same_result(phantoms: dict[PhantomKind, Phantom]) -> None:
    s = phantoms[PhantomKind.STEEL_IN_ORGANIC].scan
    want = fused(s)
    wide = np.zeros((s.low.shape[0], 2 * s.low.shape[1]), np.uint16)
    for view in (np.asfortranarray, lambda a: _strided(wide, a)):
        got = fused(dataclasses.replace(s, low=view(s.low), high=view(s.high)))
        np.testing.assert_array_equal(got.mu_high, want.mu_high)
        np.testing.assert_array_equal(got.rgb, want.rgb)


def _strided(buffer: np.ndarray, plane: np.ndarray) -> np.ndarray:
    """``plane`` as a view on every other column of a copy of ``buffer``."""
    out = buffer.copy()
    out[:, ::2] = plane
    view = out[:, ::2]
    assert not view.flags.c_contiguous
    return view
