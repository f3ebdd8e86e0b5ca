import numpy as np
import pytest

from services.scanner.domain.errors import DomainValidationError
from services.scanner.domain.labelling import (
    label_keys,
    label_reference,
    label_runs,
    paint_labels,
)
from services.scanner.domain.model import Bounds
from services.scanner.domain.regions import region_table, region_table_reference


def agree(img: np.ndarray, bounds: Bounds | None = None, connectivity: int = 8, shift: int = 0,
          mask: int = 0xFF) -> np.ndarray:  # fmt: skip
    runs = label_runs(img, bounds, shift=shift, mask=mask, connectivity=connectivity)
    got = paint_labels(runs, img.shape)
    want, n = label_reference(img, bounds, shift=shift, mask=mask, connectivity=connectivity)
    assert runs.count == n
    np.testing.assert_array_equal(got, want)
    return got


@pytest.mark.parametrize("connectivity", [4, 8])
@pytest.mark.parametrize("density", [0.2, 0.5, 0.8])
def test_random_binary_agrees_with_scipy(connectivity: int, density: float) -> None:
    rng = np.random.default_rng(8)
    img = (rng.random((61, 83)) < density).astype(np.uint8)
    agree(img, connectivity=connectivity)


@pytest.mark.parametrize("connectivity", [4, 8])
def test_multi_valued_keys_agree_with_scipy(connectivity: int) -> None:
    rng = np.random.default_rng(9)
    img = rng.integers(0, 4, (47, 59), dtype=np.uint8)
    agree(img, connectivity=connectivity)
    agree(np.repeat(np.repeat(img, 3, axis=0), 2, axis=1), connectivity=connectivity)


def test_shift_and_mask_select_key_bits_inside_bounds() -> None:
    rng = np.random.default_rng(10)
    img = rng.integers(0, 16, (40, 50), dtype=np.uint8)
    b = Bounds(5, 33, 7, 44)
    got = agree(img, b, shift=3, mask=1)
    assert np.all(got[:5] == 0) and np.all(got[:, 44:] == 0)
    agree(img, b, shift=0, mask=7)


def test_diagonals_and_ties() -> None:
    # runs of the two rows ending at the same column, touching the next run only diagonally
    img = np.array([[1, 1, 0, 1], [1, 1, 1, 0], [0, 0, 0, 1]], np.uint8)
    assert label_runs(img, connectivity=8).count == 1
    assert label_runs(img, connectivity=4).count == 3
    checker = (np.indices((9, 9)).sum(axis=0) % 2).astype(np.uint8)
    assert agree(checker, connectivity=8).max() == 1
    assert agree(checker, connectivity=4).max() == 40
    agree(np.array([[1, 2, 1], [2, 1, 2]], np.uint8))


def test_u_shape_merges_late() -> None:
    img = np.zeros((6, 7), np.uint8)
    img[:, 0] = img[:, 6] = img[5, :] = 1
    labels = agree(img)
    assert labels.max() == 1


@pytest.mark.parametrize("shape", [(0, 0), (0, 4), (4, 0), (1, 1)])
def test_empty_and_one_pixel(shape: tuple[int, int]) -> None:
    agree(np.ones(shape, np.uint8))
    agree(np.zeros(shape, np.uint8))


def test_all_set_is_one_region_with_right_statistics() -> None:
    img = np.full((4, 5), 3, np.uint8)
    mu = np.arange(20, dtype=np.float32).reshape(4, 5)
    runs = label_runs(img)
    t = region_table(runs, mu, img)
    assert runs.count == 1 and t.area[0] == 20
    assert (t.top[0], t.bottom[0], t.left[0], t.right[0]) == (0, 4, 0, 5)
    assert t.sum_row[0] / 20 == 1.5 and t.sum_col[0] / 20 == 2.0
    assert t.sum_mu[0] == mu.sum() and t.class_counts[0, 3] == 20


def test_region_table_agrees_with_reference() -> None:
    rng = np.random.default_rng(11)
    img = rng.integers(0, 6, (53, 71), dtype=np.uint8) | (rng.random((53, 71)) < 0.3) * np.uint8(8)
    mu = (rng.random(img.shape) * 5).astype(np.float32)
    b = Bounds(3, 50, 2, 69)
    for shift, mask in ((0, 7), (3, 1)):
        runs = label_runs(img, b, shift=shift, mask=mask)
        labels, n = label_reference(img, b, shift=shift, mask=mask)
        got = region_table(runs, mu, img)
        want = region_table_reference(labels, n, mu, img)
        for name in ("area", "top", "bottom", "left", "right", "class_counts"):
            np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
        for name in ("sum_row", "sum_col", "sum_mu"):
            np.testing.assert_allclose(getattr(got, name), getattr(want, name), rtol=1e-9)


def test_rejects_bad_arguments() -> None:
    with pytest.raises(DomainValidationError) as e:
        label_runs(np.zeros((3, 3), np.int32))  # type: ignore[arg-type]
    assert e.value.field == "image"
    with pytest.raises(DomainValidationError) as e:
        label_runs(np.zeros((3, 3), np.uint8), Bounds(0, 4, 0, 3))
    assert e.value.field == "bounds"
    with pytest.raises(DomainValidationError) as e:
        label_runs(np.zeros((3, 3), np.uint8), connectivity=6)
    assert e.value.field == "connectivity"


def test_two_keys_in_one_pass_equal_two_single_labellings() -> None:
    rng = np.random.default_rng(12)
    img = rng.integers(0, 6, (45, 66), dtype=np.uint8) | (rng.random((45, 66)) < 0.4) * np.uint8(8)
    b = Bounds(2, 40, 1, 60)
    dense, materials = label_keys(img, b, ((3, 1), (0, 7)))
    for runs, (shift, mask) in ((dense, (3, 1)), (materials, (0, 7))):
        single = label_runs(img, b, shift=shift, mask=mask)
        np.testing.assert_array_equal(
            paint_labels(runs, img.shape), paint_labels(single, img.shape)
        )
        np.testing.assert_array_equal(runs.key, single.key)
        assert (runs.shift, runs.mask, runs.count) == (shift, mask, single.count)
    with pytest.raises(DomainValidationError) as e:
        label_keys(img, b, ())
    assert e.value.field == "keys"
    with pytest.raises(DomainValidationError):
        label_keys(img, b, ((9, 1),))
