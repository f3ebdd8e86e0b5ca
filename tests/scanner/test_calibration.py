import numpy as np
import pytest

from services.scanner.domain.calibration import calibrate, calibrate_reference
from services.scanner.domain.errors import DomainValidationError
from services.scanner.domain.params import CalibrationParams


def lines(h: int, dark: float = 400.0, air: float = 50000.0) -> tuple[np.ndarray, np.ndarray]:
    return np.full(h, dark), np.full(h, air)


def agree(raw: np.ndarray, dark: np.ndarray, air: np.ndarray) -> np.ndarray:
    got = calibrate(raw, dark, air)
    want = calibrate_reference(raw, dark, air)
    assert got.dtype == np.float32 and got.shape == raw.shape
    np.testing.assert_allclose(got, want, rtol=0, atol=2e-5)
    return got


def test_random_planes_agree_with_reference() -> None:
    rng = np.random.default_rng(1)
    raw = rng.integers(0, 65536, size=(37, 53), dtype=np.uint16)
    dark = rng.uniform(300, 500, 37)
    air = dark + rng.uniform(40000, 60000, 37)
    mu = agree(raw, dark, air)
    assert np.all(np.isfinite(mu)) and mu.min() >= 0


def test_known_transmission() -> None:
    dark, air = lines(1, 100.0, 10100.0)
    raw = np.array([[10100, 5100, 1100, 100 + 1]], dtype=np.uint16)
    mu = agree(raw, dark, air)
    np.testing.assert_allclose(mu[0], -np.log([1.0, 0.5, 0.1, 1e-4]), atol=1e-5)


@pytest.mark.parametrize("shape", [(0, 0), (0, 5), (5, 0)])
def test_empty(shape: tuple[int, int]) -> None:
    raw = np.zeros(shape, np.uint16)
    dark, air = lines(shape[0])
    assert agree(raw, dark, air).size == 0


def test_one_pixel() -> None:
    dark, air = lines(1)
    agree(np.array([[20000]], np.uint16), dark, air)


def test_saturated_reads_unattenuated() -> None:
    dark, air = lines(3)
    raw = np.full((3, 4), 65535, np.uint16)
    assert np.all(agree(raw, dark, air) == 0.0)


def test_all_dark_is_clipped_at_the_floor() -> None:
    dark, air = lines(4)
    raw = np.full((4, 6), 400, np.uint16)
    mu = agree(raw, dark, air)
    floor = CalibrationParams().transmission_floor
    np.testing.assert_allclose(mu, -np.log(floor), rtol=1e-5)


def test_above_air_and_below_dark_are_clipped() -> None:
    dark, air = lines(1)
    raw = np.array([[60000, 0, 399]], np.uint16)
    mu = agree(raw, dark, air)
    assert mu[0, 0] == 0.0 and mu[0, 1] == mu[0, 2] > 11


def test_dead_row_reads_zero() -> None:
    dark = np.array([400.0, 400.0])
    air = np.array([50000.0, 400.0])
    raw = np.full((2, 3), 1000, np.uint16)
    mu = agree(raw, dark, air)
    assert np.all(mu[1] == 0.0) and np.all(mu[0] > 0)


def test_wrong_dtype_names_argument() -> None:
    dark, air = lines(2)
    with pytest.raises(DomainValidationError) as e:
        calibrate(np.zeros((2, 2), np.float32), dark, air)  # type: ignore[arg-type]
    assert e.value.field == "raw"


def test_wrong_line_length_names_argument() -> None:
    with pytest.raises(DomainValidationError) as e:
        calibrate(np.zeros((2, 2), np.uint16), np.zeros(3), np.ones(2))
    assert e.value.field == "calibration.dark"


def test_non_finite_line_rejected() -> None:
    with pytest.raises(ValueError, match=r"calibration\.air"):
        calibrate(np.zeros((2, 2), np.uint16), np.zeros(2), np.array([1.0, np.nan]))
