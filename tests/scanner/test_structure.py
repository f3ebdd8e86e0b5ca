import numpy as np
import pytest

from services.scanner.domain.calibration import calibrate
from services.scanner.domain.errors import DomainValidationError
from services.scanner.domain.params import CalibrationParams, StructureParams
from services.scanner.domain.phantoms import Phantom, PhantomKind
from services.scanner.domain.structure import (
    Profiles,
    detect_structure,
    profiles,
    profiles_reference,
)

NAMES = ("row_container", "row_wall", "col_container", "col_wall")
SATURATED = 0.0  # a saturated detector reads as unattenuated
ALL_DARK = float(-np.log(CalibrationParams().transmission_floor))


def mu_high(ph: Phantom) -> np.ndarray:
    s = ph.scan
    return calibrate(s.high, s.dark_high, s.air_high)


def test_profiles_agree_with_reference(phantoms: dict[PhantomKind, Phantom]) -> None:
    mu = mu_high(phantoms[PhantomKind.WALL_LAYER])
    for step in (1, 3, 4):
        p = StructureParams(subsample=step)
        agree(mu, p)


def agree(mu: np.ndarray, p: StructureParams) -> Profiles:
    got, want = profiles(mu, p), profiles_reference(mu, p)
    for name in NAMES:
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == np.int64, name
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert got.step == want.step == p.subsample
    s, r = detect_structure(mu, p, 0.2), detect_structure(mu, p, 0.2, reference=True)
    assert s == r
    return got


def _edges() -> dict[str, np.ndarray]:
    p = StructureParams()
    at_thresholds = np.array([[0.0, p.container_min, p.wall_min, ALL_DARK]], np.float32)
    rng = np.random.default_rng(21)
    random = (rng.random((2 * p.subsample + 3, 13)) * 4).astype(np.float32)
    random[::3] = SATURATED
    random[1::5] = ALL_DARK
    return {
        "empty": np.zeros((0, 0), np.float32),
        "no rows": np.zeros((0, 5), np.float32),
        "no columns": np.zeros((5, 0), np.float32),
        "one saturated pixel": np.full((1, 1), SATURATED, np.float32),
        "one dark pixel": np.full((1, 1), ALL_DARK, np.float32),
        "saturated": np.full((20, 30), SATURATED, np.float32),
        "all dark": np.full((20, 30), ALL_DARK, np.float32),
        "exactly at the thresholds": np.repeat(at_thresholds, 3, axis=0),
        "fewer rows than the step": np.full((3, 10), ALL_DARK, np.float32),
        "mixed rows": random,
    }


@pytest.mark.parametrize("step", [1, 3, 8])
@pytest.mark.parametrize("case", list(_edges()))
def test_profiles_edge_cases_agree_with_reference(case: str, step: int) -> None:
    mu = _edges()[case]
    got = agree(mu, StructureParams(subsample=step))
    if case == "all dark":
        assert np.all(got.row_wall == 30) and np.all(got.col_wall == -(-20 // step))
    if case in ("saturated", "one saturated pixel"):
        assert not any(getattr(got, name).any() for name in NAMES)
    if case == "exactly at the thresholds":  # strictly above counts, equal does not
        assert list(got.row_container) == [2, 2, 2] and list(got.row_wall) == [1, 1, 1]


def test_non_contiguous_plane_agrees(phantoms: dict[PhantomKind, Phantom]) -> None:
    mu = mu_high(phantoms[PhantomKind.STEEL_IN_ORGANIC])
    p = StructureParams(subsample=3)
    want = profiles(mu[:, ::2].copy(), p)
    got = agree(mu[:, ::2], p)
    for name in NAMES:
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name))
    agree(np.asfortranarray(mu), p)


@pytest.mark.parametrize("dtype", [np.float64, np.uint16, np.uint8])
def test_profiles_reject_other_dtypes(dtype: type) -> None:
    with pytest.raises(DomainValidationError) as e:
        profiles(np.zeros((4, 4), dtype), StructureParams())
    assert e.value.field == "mu_high" and "float32" in e.value.description


def test_interior_found_for_every_phantom(phantoms: dict[PhantomKind, Phantom]) -> None:
    for kind, ph in phantoms.items():
        s = detect_structure(mu_high(ph), StructureParams(), 0.2)
        assert s.found, kind
        truth, got = ph.interior, s.interior
        for a, b in ((got.top, truth.top), (got.bottom, truth.bottom), (got.left, truth.left),
                     (got.right, truth.right)):  # fmt: skip
            assert abs(a - b) <= 2, (kind, got, truth)
        assert 0.05 < s.wall_baseline < 0.15


def test_no_container_in_air_or_empty_image() -> None:
    p = StructureParams()
    assert not detect_structure(np.zeros((50, 80), np.float32), p, 0.2).found
    assert not detect_structure(np.zeros((0, 0), np.float32), p, 0.2).found
    one = detect_structure(np.ones((1, 1), np.float32), p, 0.2)
    assert one.interior.height <= 1 and one.interior.width <= 1
