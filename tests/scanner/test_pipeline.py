import dataclasses

import numpy as np
import pytest

from services.scanner.domain import (
    PIPELINE_VERSION,
    RULES_VERSION,
    Declaration,
    DomainValidationError,
    GoodsCategory,
    GoodsLine,
    Material,
    RawScan,
    Rule,
    ScannerGeometry,
    analyse,
    analyse_reference,
    warm_up,
)
from services.scanner.domain.model import Analysis, Bounds
from services.scanner.domain.phantoms import Phantom, PhantomKind

TEXTILES = (GoodsLine("6109", "cotton t-shirts", GoodsCategory.TEXTILES),)
MACHINERY = (GoodsLine("8429", "excavator parts", GoodsCategory.MACHINERY),)


def run(ph: Phantom, goods: tuple[GoodsLine, ...] = TEXTILES, weight: float | None = None,
        empty: bool = False) -> Analysis:  # fmt: skip
    w = ph.cargo_mass_kg if weight is None else weight
    decl = Declaration(goods=() if empty else goods, gross_weight_kg=w, empty=empty)
    return analyse(ph.scan, decl, ph.geometry)


def rules(a: Analysis) -> set[Rule]:
    return {f.rule for f in a.findings}


def finding(a: Analysis, rule: Rule) -> tuple[Bounds, ...]:
    return next(tuple(r.bbox for r in f.evidence) for f in a.findings if f.rule == rule)


def test_empty_container_declared_empty_passes(phantoms: dict[PhantomKind, Phantom]) -> None:
    a = run(phantoms[PhantomKind.EMPTY], empty=True)
    assert a.findings == () and a.risk == 0.0 and not a.loaded
    assert a.estimated_mass_kg < 50 and a.dense_regions == () and a.material_regions == ()
    assert (a.pipeline_version, a.rules_version) == (PIPELINE_VERSION, RULES_VERSION)


def test_empty_container_with_declared_goods(phantoms: dict[PhantomKind, Phantom]) -> None:
    a = run(phantoms[PhantomKind.EMPTY], weight=5000)
    assert Rule.DECLARED_GOODS_NOT_SEEN in rules(a) and Rule.MASS_MISMATCH in rules(a)


def test_declared_empty_but_loaded(phantoms: dict[PhantomKind, Phantom]) -> None:
    ph = phantoms[PhantomKind.ORGANIC]
    a = run(ph, empty=True)
    assert rules(a) == {Rule.DECLARED_EMPTY_BUT_LOADED} and a.loaded
    assert any(b.overlaps(ph.objects[0].bbox) for b in finding(a, Rule.DECLARED_EMPTY_BUT_LOADED))
    assert 0 < a.risk <= 1 and a.reasons


def test_organic_cargo_matching_declaration_is_clean(phantoms: dict[PhantomKind, Phantom]) -> None:
    ph = phantoms[PhantomKind.ORGANIC]
    a = run(ph)
    assert a.findings == ()
    assert a.material_fractions[Material.ORGANIC] > 0.95
    assert abs(a.estimated_mass_kg - ph.cargo_mass_kg) < 0.1 * ph.cargo_mass_kg
    region = a.material_regions[0]
    assert region.dominant_material == Material.ORGANIC and region.bbox.overlaps(ph.objects[0].bbox)


@pytest.mark.parametrize("factor", [0.3, 3.0])
def test_mass_mismatch_fires_when_far_off(
    phantoms: dict[PhantomKind, Phantom], factor: float
) -> None:
    ph = phantoms[PhantomKind.ORGANIC]
    a = run(ph, weight=factor * ph.cargo_mass_kg)
    assert rules(a) == {Rule.MASS_MISMATCH}
    assert run(ph, weight=1.2 * ph.cargo_mass_kg).findings == ()


def test_steel_block_in_textiles(phantoms: dict[PhantomKind, Phantom]) -> None:
    ph = phantoms[PhantomKind.STEEL_IN_ORGANIC]
    block = ph.objects[1].bbox
    a = run(ph)
    assert Rule.MATERIAL_INCONSISTENT in rules(a)
    assert Rule.FALSE_COMPARTMENT not in rules(a)
    assert any(b.overlaps(block) for b in finding(a, Rule.MATERIAL_INCONSISTENT))
    dense = a.dense_regions[0]
    assert dense.bbox.overlaps(block) and dense.dominant_material == Material.INORGANIC
    assert abs(dense.centroid_row - (block.top + block.bottom - 1) / 2) < 2
    # declared machinery as well: the steel is expected, no inconsistency
    assert Rule.MATERIAL_INCONSISTENT not in rules(run(ph, goods=TEXTILES + MACHINERY))


def test_organic_cargo_declared_as_metals_is_inconsistent(
    phantoms: dict[PhantomKind, Phantom],
) -> None:
    ph = phantoms[PhantomKind.ORGANIC]
    metals = (GoodsLine("7208", "steel coils", GoodsCategory.METALS),)
    assert Rule.MATERIAL_INCONSISTENT in rules(run(ph, goods=metals))


def test_heavy_metal_block(phantoms: dict[PhantomKind, Phantom]) -> None:
    ph = phantoms[PhantomKind.HEAVY_METAL]
    a = run(ph, goods=MACHINERY)
    assert Rule.HEAVY_METAL in rules(a)
    assert any(b.overlaps(ph.objects[0].bbox) for b in finding(a, Rule.HEAVY_METAL))


@pytest.mark.parametrize(
    ("kind", "wall"),
    [(PhantomKind.WALL_LAYER, "floor"), (PhantomKind.FRONT_WALL_LAYER, "front wall"),
     (PhantomKind.ROOF_LAYER, "roof")],
)  # fmt: skip
def test_dense_layer_against_a_wall_is_false_compartment(
    phantoms: dict[PhantomKind, Phantom], kind: PhantomKind, wall: str
) -> None:
    ph = phantoms[kind]
    layer = ph.objects[1]
    assert layer.material == "steel" and layer.name.startswith("dense")
    a = run(ph, goods=MACHINERY)
    assert rules(a) == {Rule.FALSE_COMPARTMENT}
    reason = next(f.reason for f in a.findings if f.rule == Rule.FALSE_COMPARTMENT)
    others = {"floor", "roof", "front wall", "door end"} - {wall}
    assert f"along the {wall}:" in reason and not any(o in reason for o in others)
    (found,) = finding(a, Rule.FALSE_COMPARTMENT)
    b = layer.bbox
    for got, want in ((found.top, b.top), (found.bottom, b.bottom), (found.left, b.left),
                      (found.right, b.right)):  # fmt: skip
        assert abs(got - want) <= 2, (found, b)


def test_impenetrable_region(phantoms: dict[PhantomKind, Phantom]) -> None:
    ph = phantoms[PhantomKind.ORGANIC]
    s = ph.scan
    low, high = s.low.copy(), s.high.copy()
    box = Bounds(120, 150, 100, 140)
    for plane, dark in ((low, s.dark_low), (high, s.dark_high)):
        plane[box.top : box.bottom, box.left : box.right] = dark[box.top : box.bottom, None]
    scan = dataclasses.replace(s, low=low, high=high)
    a = analyse(scan, Declaration(goods=TEXTILES), ph.geometry)
    assert Rule.IMPENETRABLE in rules(a)
    assert any(b.overlaps(box) for b in finding(a, Rule.IMPENETRABLE))


def test_reference_pipeline_agrees(phantoms: dict[PhantomKind, Phantom]) -> None:
    for ph in phantoms.values():
        decl = Declaration(goods=TEXTILES, gross_weight_kg=1000.0)
        a = analyse(ph.scan, decl, ph.geometry)
        b = analyse_reference(ph.scan, decl, ph.geometry)
        assert [f.rule for f in a.findings] == [f.rule for f in b.findings]
        assert a.structure.interior == b.structure.interior
        assert [(r.bbox, r.area_px) for r in a.material_regions] == [
            (r.bbox, r.area_px) for r in b.material_regions
        ]
        assert [(r.bbox, r.area_px) for r in a.dense_regions] == [
            (r.bbox, r.area_px) for r in b.dense_regions
        ]
        assert a.estimated_mass_kg == pytest.approx(b.estimated_mass_kg, rel=1e-3, abs=1e-3)
        np.testing.assert_array_equal(a.false_colour, b.false_colour)
        assert a.false_colour.shape == (*ph.scan.low.shape, 3)


def test_invalid_inputs_name_the_field(phantoms: dict[PhantomKind, Phantom]) -> None:
    ph = phantoms[PhantomKind.EMPTY]
    s, g, d = ph.scan, ph.geometry, Declaration(empty=True)
    cases = {
        "scan.low": dataclasses.replace(s, low=s.low.astype(np.int32)),
        "scan.high": dataclasses.replace(s, high=s.high[:, :-1]),
        "scan.dark_low": dataclasses.replace(s, dark_low=s.dark_low[:-1]),
        "scan.air_high": dataclasses.replace(s, air_high=s.air_high.astype(str)),
    }
    for field, scan in cases.items():
        for fn in (analyse, analyse_reference):
            with pytest.raises(DomainValidationError) as e:
                fn(scan, d, g)
            assert e.value.field == field
    with pytest.raises(DomainValidationError) as e:
        analyse(s, d, ScannerGeometry(0.0, 2.0))
    assert e.value.field == "scanner.pixel_pitch_row_mm"
    with pytest.raises(DomainValidationError) as e:
        analyse(s, Declaration(gross_weight_kg=-1.0), g)
    assert e.value.field == "declaration.gross_weight_kg"


def test_warm_up_reports() -> None:
    steps: list[str] = []
    warm_up(steps.append)
    assert steps


@pytest.mark.parametrize("shape", [(0, 0), (1, 1), (3, 5)])
def test_degenerate_scans_do_not_crash(shape: tuple[int, int]) -> None:
    h = shape[0]
    plane = np.full(shape, 1000, np.uint16)
    scan = RawScan(plane, plane.copy(), np.zeros(h), np.full(h, 5e4), np.zeros(h), np.full(h, 5e4))
    for fn in (analyse, analyse_reference):
        a = fn(scan, Declaration(empty=True), ScannerGeometry(2.0, 2.0))
        assert a.false_colour.shape == (*shape, 3) and 0.0 <= a.risk < 1.0
        if h == 0:
            assert [f.rule for f in a.findings] == [Rule.NO_CONTAINER]
