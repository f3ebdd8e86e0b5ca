import numpy as np
import pytest

from services.scanner.domain.errors import DomainValidationError
from services.scanner.domain.smoothing import smooth, smooth_reference

N0 = 50000.0


def lines(h: int) -> tuple[np.ndarray, np.ndarray]:
    return np.full(h, 400.0), np.full(h, 400.0 + N0)


def agree(mu: np.ndarray) -> np.ndarray:
    dark, air = lines(mu.shape[0])
    got = smooth(mu, dark, air)
    want = smooth_reference(mu, dark, air)
    assert got.dtype == np.float32 and got.shape == mu.shape
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    return got


def test_random_agrees_with_reference() -> None:
    rng = np.random.default_rng(2)
    mu = (rng.random((41, 67)) * 4).astype(np.float32)
    agree(mu)


@pytest.mark.parametrize("shape", [(0, 0), (0, 3), (3, 0), (1, 1), (1, 7), (7, 1), (2, 2)])
def test_small_and_empty(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(3)
    agree((rng.random(shape) * 2).astype(np.float32))


def test_noise_is_reduced_and_edges_kept() -> None:
    rng = np.random.default_rng(4)
    truth = np.zeros((64, 64), np.float32)
    truth[:, 32:] = 3.0
    sigma = np.exp(truth / 2) / np.sqrt(N0)
    mu = (truth + sigma * rng.standard_normal(truth.shape)).astype(np.float32)
    out = agree(mu)
    flat = slice(2, -2), slice(2, 29)
    assert out[flat].std() < 0.5 * mu[flat].std()
    # the step between 0 and 3 is not blurred: columns 31 and 32 keep their levels
    assert abs(out[:, 31].mean()) < 0.05 and abs(out[:, 32].mean() - 3.0) < 0.05


def test_saturated_and_all_dark_planes_unchanged() -> None:
    for value in (0.0, 11.5):
        mu = np.full((5, 6), value, np.float32)
        np.testing.assert_allclose(agree(mu), value, rtol=1e-6)


def test_rejects_wrong_dtype() -> None:
    dark, air = lines(2)
    with pytest.raises(DomainValidationError) as e:
        smooth(np.zeros((2, 2), np.float64), dark, air)  # type: ignore[arg-type]
    assert e.value.field == "mu"
