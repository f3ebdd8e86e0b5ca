import numpy as np
import pytest

from services.scanner.domain.calibration import calibrate_reference
from services.scanner.domain.classes import (
    DENSE_BIT,
    MATERIAL_MASK,
    ROWS_PER_BLOCK,
    classify,
    classify_reference,
)
from services.scanner.domain.errors import DomainValidationError
from services.scanner.domain.model import Material
from services.scanner.domain.params import MaterialCalibration


def agree(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    got = classify(low, high)
    assert got.dtype == np.uint8 and got.shape == high.shape
    np.testing.assert_array_equal(got, classify_reference(low, high))
    return got


def test_random_agrees_with_reference() -> None:
    rng = np.random.default_rng(5)
    high = (rng.random((50, 70)) * 13).astype(np.float32)
    low = (high * rng.uniform(0.9, 2.2, high.shape)).astype(np.float32)
    cls = agree(low, high)
    assert set(np.unique(cls & MATERIAL_MASK)) == set(range(6))


@pytest.mark.parametrize(
    ("ratio", "material"),
    [(1.12, Material.ORGANIC), (1.28, Material.MIXED), (1.55, Material.INORGANIC),
     (2.0, Material.HEAVY_METAL)],
)  # fmt: skip
def test_ratio_decides_material(ratio: float, material: Material) -> None:
    high = np.array([[0.5, 1.5, 4.0]], np.float32)
    cls = agree((high * ratio).astype(np.float32), high)
    assert np.all(cls & MATERIAL_MASK == material)


def test_background_impenetrable_and_dense() -> None:
    cal = MaterialCalibration()
    high = np.array([[0.0, 0.1, 3.5, 9.0, 11.5]], np.float32)
    cls = agree(high * np.float32(1.1), high)
    assert list(cls[0] & MATERIAL_MASK) == [0, 0, 1, 5, 5]
    assert list(cls[0] & DENSE_BIT > 0) == [False, False, True, True, True]
    assert cal.impenetrable_mu < 9.0


@pytest.mark.parametrize("shape", [(0, 0), (1, 1), (0, 4)])
def test_empty_and_one_pixel(shape: tuple[int, int]) -> None:
    agree(np.ones(shape, np.float32), np.ones(shape, np.float32))


def calibrated(raw: int, shape: tuple[int, int]) -> np.ndarray:
    """A plane of attenuation as calibration makes it from raw counts ``raw`` everywhere."""
    h = shape[0]
    return calibrate_reference(np.full(shape, raw, np.uint16), np.full(h, 400.0), np.full(h, 5e4))


# more rows than one kernel block, so several blocks and their borders are exercised
EDGE_SHAPE = (2 * ROWS_PER_BLOCK + 5, 9)
SATURATED, ALL_DARK = 65535, 400


@pytest.mark.parametrize(
    ("low_raw", "high_raw", "expected"),
    [
        (SATURATED, SATURATED, Material.BACKGROUND),
        (ALL_DARK, ALL_DARK, Material.IMPENETRABLE | DENSE_BIT),
        (ALL_DARK, SATURATED, Material.BACKGROUND),  # decided by the high energy
        (SATURATED, ALL_DARK, Material.IMPENETRABLE | DENSE_BIT),
    ],
)
def test_saturated_and_all_dark_planes(low_raw: int, high_raw: int, expected: int) -> None:
    cls = agree(calibrated(low_raw, EDGE_SHAPE), calibrated(high_raw, EDGE_SHAPE))
    assert np.all(cls == expected)


def test_saturated_and_dark_patches_in_a_random_plane() -> None:
    rng = np.random.default_rng(13)
    high = (rng.random(EDGE_SHAPE) * 13).astype(np.float32)
    low = (high * rng.uniform(0.9, 2.2, high.shape)).astype(np.float32)
    low[:5], high[:5] = calibrated(SATURATED, (5, 9)), calibrated(SATURATED, (5, 9))
    low[-7:], high[-7:] = calibrated(ALL_DARK, (7, 9)), calibrated(ALL_DARK, (7, 9))
    cls = agree(low, high)
    assert np.all(cls[:5] == Material.BACKGROUND)
    assert np.all(cls[-7:] & MATERIAL_MASK == Material.IMPENETRABLE)


def test_non_contiguous_planes_agree() -> None:
    rng = np.random.default_rng(14)
    high = (rng.random((40, 30)) * 13).astype(np.float32)
    low = (high * rng.uniform(0.9, 2.2, high.shape)).astype(np.float32)
    want = agree(low, high)
    np.testing.assert_array_equal(agree(low[:, ::2], high[:, ::2]), want[:, ::2])
    np.testing.assert_array_equal(agree(np.asfortranarray(low), np.asfortranarray(high)), want)


@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.uint16, np.int32])
@pytest.mark.parametrize("field", ["mu_low", "mu_high"])
def test_other_dtypes_are_rejected_naming_the_plane(dtype: type, field: str) -> None:
    planes = {"mu_low": np.ones((3, 4), np.float32), "mu_high": np.ones((3, 4), np.float32)}
    planes[field] = planes[field].astype(dtype)
    with pytest.raises(DomainValidationError) as e:
        classify(planes["mu_low"], planes["mu_high"])
    assert e.value.field == field and "float32" in e.value.description


def test_mismatched_planes_name_argument() -> None:
    with pytest.raises(DomainValidationError) as e:
        classify(np.zeros((2, 2), np.float32), np.zeros((2, 3), np.float32))
    assert e.value.field == "mu_high"
    with pytest.raises(DomainValidationError) as e:
        classify(np.ones(4, np.float32), np.ones(4, np.float32))
    assert e.value.field == "mu_low"


def test_bad_table_rejected() -> None:
    with pytest.raises(DomainValidationError) as e:
        MaterialCalibration(organic_max=(1.2,))
    assert e.value.field == "organic_max"
