import numpy as np
import pytest

from services.scanner.domain.errors import DomainValidationError
from services.scanner.domain.phantoms import COEFFICIENTS, Phantom, PhantomKind, make_phantom


def test_planes_and_lines(phantoms: dict[PhantomKind, Phantom]) -> None:
    for ph in phantoms.values():
        s = ph.scan
        assert s.low.dtype == s.high.dtype == np.uint16
        assert s.low.shape == s.high.shape == (256, 600)
        for line in (s.dark_low, s.air_low, s.dark_high, s.air_high):
            assert line.shape == (256,)
        assert np.all(s.air_low > s.dark_low + 1000)


def test_ratio_grows_with_atomic_number() -> None:
    ratios = [
        COEFFICIENTS[m][0] / COEFFICIENTS[m][1] for m in ("organic", "aluminium", "steel", "lead")
    ]
    assert ratios == sorted(ratios) and 1.0 < ratios[0] < 1.2


def test_known_objects_and_mass(phantoms: dict[PhantomKind, Phantom]) -> None:
    assert phantoms[PhantomKind.EMPTY].objects == ()
    steel = phantoms[PhantomKind.STEEL_IN_ORGANIC]
    names = [o.name for o in steel.objects]
    assert names == ["organic cargo", "steel block"]
    organic, block = steel.objects
    assert organic.bbox.overlaps(block.bbox)
    assert organic.mass_kg < phantoms[PhantomKind.ORGANIC].objects[0].mass_kg


def test_dense_layers_lie_against_their_walls(phantoms: dict[PhantomKind, Phantom]) -> None:
    walls = {
        PhantomKind.WALL_LAYER: lambda b, i: b.bottom == i.bottom and b.width > b.height,
        PhantomKind.FRONT_WALL_LAYER: lambda b, i: b.left == i.left and b.height > b.width,
        PhantomKind.ROOF_LAYER: lambda b, i: b.top == i.top and b.width > b.height,
    }
    for kind, against in walls.items():
        ph = phantoms[kind]
        cargo, layer = ph.objects
        assert (cargo.material, layer.material) == ("organic", "steel")
        assert against(layer.bbox, ph.interior), kind
        assert not cargo.bbox.overlaps(layer.bbox) and layer.mass_kg > 0


def test_sizes_are_parameters_and_noise_is_seeded() -> None:
    a = make_phantom(PhantomKind.ORGANIC, rows=128, cols=300, seed=1)
    b = make_phantom(PhantomKind.ORGANIC, rows=128, cols=300, seed=1)
    assert a.scan.low.shape == (128, 300)
    np.testing.assert_array_equal(a.scan.low, b.scan.low)
    with pytest.raises(DomainValidationError) as e:
        make_phantom(PhantomKind.ORGANIC, rows=10)
    assert e.value.field == "rows"
