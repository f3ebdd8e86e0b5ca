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
from services.scanner.domain.regions import RegionTable, region_table, region_table_reference


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
        tables_agree(img, mu, b, shift, mask)


def tables_agree(
    img: np.ndarray, mu: np.ndarray, b: Bounds | None, shift: int, mask: int
) -> RegionTable:
    runs = label_runs(img, b, shift=shift, mask=mask)
    labels, n = label_reference(img, b, shift=shift, mask=mask)
    got = region_table(runs, mu, img)
    want = region_table_reference(labels, n, mu, img)
    assert got.count == want.count == n
    for name in ("area", "top", "bottom", "left", "right", "class_counts"):
        a, w = getattr(got, name), getattr(want, name)
        assert a.dtype == w.dtype == np.int64, name
        np.testing.assert_array_equal(a, w, err_msg=name)
    for name in ("sum_row", "sum_col", "sum_mu"):
        np.testing.assert_allclose(getattr(got, name), getattr(want, name), rtol=1e-9)
    return got


KEYS = ((0, 7), (3, 1))  # per-material regions, dense flag (as the pipeline labels them)


def _edge_images() -> dict[str, tuple[np.ndarray, Bounds | None]]:
    dense_organic = np.uint8(8 | 1)
    one = np.zeros((1, 1), np.uint8)
    corner = np.zeros((6, 8), np.uint8)
    corner[5, 7] = dense_organic
    return {
        "empty": (np.zeros((0, 0), np.uint8), None),
        "no rows": (np.zeros((0, 4), np.uint8), None),
        "no columns": (np.zeros((4, 0), np.uint8), None),
        "one pixel set": (np.full((1, 1), dense_organic, np.uint8), None),
        "one pixel zero": (one, None),
        "one pixel in a corner": (corner, None),
        "all set": (np.full((7, 9), dense_organic, np.uint8), None),
        "all set inside bounds": (np.full((7, 9), dense_organic, np.uint8), Bounds(1, 6, 2, 8)),
        "all zero": (np.zeros((7, 9), np.uint8), None),
        "empty bounds": (np.full((7, 9), dense_organic, np.uint8), Bounds(3, 3, 0, 9)),
        "one column": (np.full((9, 1), 3, np.uint8), None),
        "one row": (np.array([[1, 1, 2, 0, 2, 9, 9]], np.uint8), None),
    }


@pytest.mark.parametrize(("shift", "mask"), KEYS)
@pytest.mark.parametrize("case", list(_edge_images()))
def test_region_table_edge_cases_agree_with_reference(case: str, shift: int, mask: int) -> None:
    img, b = _edge_images()[case]
    mu = np.linspace(0.0, 9.0, img.size, dtype=np.float32).reshape(img.shape)
    got = tables_agree(img, mu, b, shift, mask)
    if case in ("empty", "no rows", "no columns", "one pixel zero", "all zero", "empty bounds"):
        assert got.count == 0
    if case == "all set inside bounds":
        assert got.count == 1 and got.area[0] == 5 * 6 and got.class_counts[0, 1] == 30
        assert (got.top[0], got.bottom[0], got.left[0], got.right[0]) == (1, 6, 2, 8)
    if case == "one pixel in a corner":
        assert got.count == 1 and (got.sum_row[0], got.sum_col[0]) == (5.0, 7.0)
        assert got.sum_mu[0] == pytest.approx(9.0)


def test_region_table_of_a_non_contiguous_plane_agrees() -> None:
    rng = np.random.default_rng(15)
    img = rng.integers(0, 16, (30, 40), dtype=np.uint8)
    mu = (rng.random((30, 80)) * 5).astype(np.float32)[:, ::2]
    for shift, mask in KEYS:
        tables_agree(img, mu, Bounds(2, 28, 3, 37), shift, mask)


def test_region_table_rejects_other_dtypes_and_shapes() -> None:
    img = np.full((4, 5), 3, np.uint8)
    mu = np.ones((4, 5), np.float32)
    runs = label_runs(img)
    bad: dict[str, tuple[np.ndarray, np.ndarray]] = {
        "mu_high": (mu.astype(np.float64), img),
        "classes": (mu, img.astype(np.int16)),
    }
    for field, (m, c) in bad.items():
        with pytest.raises(DomainValidationError) as e:
            region_table(runs, m, c)
        assert e.value.field == field
    with pytest.raises(DomainValidationError) as e:
        region_table(runs, mu[:, :4], img[:, :4])  # runs of a larger image
    assert e.value.field == "mu_high"
    with pytest.raises(DomainValidationError) as e:
        region_table(runs, mu, img[:3])
    assert e.value.field == "mu_high"


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
    with pytest.raises(DomainValidationError) as e:
        paint_labels(label_runs(np.ones((3, 3), np.uint8)), (3, 2))  # would write outside
    assert e.value.field == "shape"


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
