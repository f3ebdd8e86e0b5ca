import numpy as np

from services.scanner.domain.calibration import calibrate
from services.scanner.domain.params import StructureParams
from services.scanner.domain.phantoms import Phantom, PhantomKind
from services.scanner.domain.structure import detect_structure, profiles, profiles_reference


def mu_high(ph: Phantom) -> np.ndarray:
    s = ph.scan
    return calibrate(s.high, s.dark_high, s.air_high)


def test_profiles_agree_with_reference(phantoms: dict[PhantomKind, Phantom]) -> None:
    mu = mu_high(phantoms[PhantomKind.WALL_LAYER])
    for step in (1, 3, 4):
        p = StructureParams(subsample=step)
        got, want = profiles(mu, p), profiles_reference(mu, p)
        for name in ("row_container", "row_wall", "col_container", "col_wall"):
            np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)


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
