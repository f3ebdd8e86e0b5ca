"""Step 6: rules over the observed regions and the declaration; findings, risk and reasons."""

from __future__ import annotations

from dataclasses import dataclass

from .model import (
    Bounds,
    ContainerStructure,
    Declaration,
    Finding,
    GoodsCategory,
    Material,
    Region,
    Rule,
)
from .params import RuleParams

_ORGANIC = frozenset({Material.ORGANIC})
_METALLIC = frozenset({Material.MIXED, Material.INORGANIC, Material.HEAVY_METAL})
#: Materials a goods category is expected to show (IMPENETRABLE has its own rule).
EXPECTED_MATERIALS: dict[GoodsCategory, frozenset[Material]] = {
    GoodsCategory.TEXTILES: _ORGANIC,
    GoodsCategory.FOODSTUFFS: _ORGANIC,
    GoodsCategory.WOOD_PAPER: _ORGANIC,
    GoodsCategory.PLASTICS: _ORGANIC | {Material.MIXED},
    GoodsCategory.MACHINERY: _METALLIC | {Material.ORGANIC},
    GoodsCategory.METALS: _METALLIC,
    GoodsCategory.ELECTRONICS: _METALLIC | {Material.ORGANIC},
    GoodsCategory.MINERALS: frozenset({Material.MIXED, Material.INORGANIC}),
    GoodsCategory.OTHER: _ORGANIC | _METALLIC,
}
MAX_EVIDENCE: int = 5


@dataclass(frozen=True, slots=True)
class Observation:
    """What the image processing saw, as the rules need it."""

    structure: ContainerStructure
    cargo_area_px: int
    interior_area_px: int
    material_area_px: dict[Material, int]
    estimated_mass_kg: float
    dense_regions: tuple[Region, ...]
    material_regions: tuple[Region, ...]

    @property
    def cargo_fraction(self) -> float:
        return self.cargo_area_px / self.interior_area_px if self.interior_area_px else 0.0


def _against_wall(box: Bounds, inner: Bounds, p: RuleParams) -> str | None:
    """Name of the wall a thin layer lies along, if any."""
    m = p.wall_margin_px
    long_h = box.width >= p.layer_min_length * inner.width
    thin_h = box.height <= p.max_layer_thickness * inner.height
    long_v = box.height >= p.layer_min_length * inner.height
    thin_v = box.width <= p.max_layer_thickness * inner.width
    if long_h and thin_h and box.bottom >= inner.bottom - m:
        return "floor"
    if long_h and thin_h and box.top <= inner.top + m:
        return "roof"
    if long_v and thin_v and box.left <= inner.left + m:
        return "front wall"
    if long_v and thin_v and box.right >= inner.right - m:
        return "door end"
    return None


def evaluate(obs: Observation, declaration: Declaration, p: RuleParams) -> tuple[Finding, ...]:
    """Every rule that fires, strongest first."""
    w = p.weights
    out: list[Finding] = []
    loaded = obs.cargo_fraction >= p.loaded_fraction
    big = tuple(r for r in obs.material_regions if r.area_px >= p.min_region_px)
    if not obs.structure.found:
        out.append(Finding(Rule.NO_CONTAINER, "no container structure found in the image",
                           w["no_container"]))  # fmt: skip
    if declaration.empty and loaded:
        out.append(Finding(
            Rule.DECLARED_EMPTY_BUT_LOADED,
            f"declared empty but {obs.cargo_fraction:.1%} of the interior holds cargo "
            f"(~{obs.estimated_mass_kg:,.0f} kg)",
            w["declared_empty_but_loaded"], big[:MAX_EVIDENCE],
        ))  # fmt: skip
    if not declaration.empty and declaration.goods and not loaded:
        out.append(Finding(Rule.DECLARED_GOODS_NOT_SEEN,
                           "goods declared but the container looks empty",
                           w["declared_goods_not_seen"]))  # fmt: skip
    if not declaration.empty and declaration.goods and loaded:
        expected = frozenset().union(*(EXPECTED_MATERIALS[g.category] for g in declaration.goods))
        odd = tuple(
            r for r in big
            if r.dominant_material not in expected and r.dominant_material != Material.IMPENETRABLE
        )  # fmt: skip
        odd_area = sum(r.area_px for r in odd)
        if odd and odd_area >= p.inconsistent_fraction * obs.cargo_area_px:
            names = sorted({r.dominant_material.name.lower() for r in odd})
            cats = sorted({g.category.value for g in declaration.goods})
            out.append(Finding(
                Rule.MATERIAL_INCONSISTENT,
                f"{', '.join(names)} material ({odd_area / obs.cargo_area_px:.0%} of cargo) "
                f"inconsistent with declared {', '.join(cats)}",
                w["material_inconsistent"], odd[:MAX_EVIDENCE],
            ))  # fmt: skip
    for material, rule, key in (
        (Material.HEAVY_METAL, Rule.HEAVY_METAL, "heavy_metal"),
        (Material.IMPENETRABLE, Rule.IMPENETRABLE, "impenetrable"),
    ):
        hits = tuple(r for r in big if r.dominant_material == material)
        if hits:
            out.append(Finding(
                rule, f"{len(hits)} {material.name.lower().replace('_', ' ')} region(s), "
                f"largest {hits[0].area_px} px", w[key], hits[:MAX_EVIDENCE],
            ))  # fmt: skip
    inner = obs.structure.interior
    layers = [
        (r, wall)
        for r in obs.dense_regions
        if r.area_px >= p.min_region_px and (wall := _against_wall(r.bbox, inner, p))
    ]
    if layers:
        walls = sorted({wall for _, wall in layers})
        out.append(Finding(
            Rule.FALSE_COMPARTMENT,
            f"dense layer along the {', '.join(walls)}: possible false compartment",
            w["false_compartment"], tuple(r for r, _ in layers)[:MAX_EVIDENCE],
        ))  # fmt: skip
    declared = declaration.gross_weight_kg
    if not declaration.empty and declared > 0:
        rel = (obs.estimated_mass_kg - declared) / declared
        if abs(rel) > p.mass_tolerance:
            out.append(Finding(
                Rule.MASS_MISMATCH,
                f"estimated cargo mass {obs.estimated_mass_kg:,.0f} kg vs declared "
                f"{declared:,.0f} kg ({rel:+.0%}, tolerance {p.mass_tolerance:.0%})",
                w["mass_mismatch"],
            ))  # fmt: skip
    out.sort(key=lambda f: -f.weight)
    return tuple(out)


def risk_score(findings: tuple[Finding, ...]) -> float:
    """1 - prod(1 - weight): 0 with no findings, approaching 1 as independent findings add up."""
    keep = 1.0
    for f in findings:
        keep *= 1.0 - min(max(f.weight, 0.0), 1.0)
    return 1.0 - keep
