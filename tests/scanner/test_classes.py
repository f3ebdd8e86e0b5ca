import numpy as np
import pytest

from services.scanner.domain.classes import DENSE_BIT, MATERIAL_MASK, classify, classify_reference
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


def test_mismatched_planes_name_argument() -> None:
    with pytest.raises(DomainValidationError) as e:
        classify(np.zeros((2, 2), np.float32), np.zeros((2, 3), np.float32))
    assert e.value.field == "mu_high"


def test_bad_table_rejected() -> None:
    with pytest.raises(DomainValidationError) as e:
        MaterialCalibration(organic_max=(1.2,))
    assert e.value.field == "organic_max"
