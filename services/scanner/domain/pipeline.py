"""The public entry points: analyse (numba), analyse_reference (NumPy/SciPy) and warm_up."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .calibration import calibrate_reference, row_calibration
from .classes import MATERIAL_MASK, classify_reference
from .errors import DomainValidationError
from .front import run_front
from .labelling import label_keys, label_reference, label_runs
from .model import (
    Analysis,
    ContainerStructure,
    Declaration,
    F32Array,
    Material,
    RawScan,
    Region,
    RegionKind,
    ScannerGeometry,
    U8Array,
)
from .params import AnalysisParameters
from .regions import RegionTable, region_table, region_table_reference, to_regions
from .render import render_reference
from .rules import Observation, evaluate, risk_score
from .smoothing import row_tolerance, smooth_reference
from .structure import detect_structure
from .validation import validate_scan


def _validate(declaration: Declaration, scanner: ScannerGeometry) -> None:
    for name in ("pixel_pitch_row_mm", "pixel_pitch_col_mm"):
        value = getattr(scanner, name)
        if not (isinstance(value, int | float) and np.isfinite(value) and value > 0):
            raise DomainValidationError(f"scanner.{name}", "must be a positive finite number")
    weight = declaration.gross_weight_kg
    if not (isinstance(weight, int | float) and np.isfinite(weight) and weight >= 0):
        raise DomainValidationError("declaration.gross_weight_kg", "must be >= 0")


@dataclass(frozen=True, slots=True, eq=False)
class _Images:
    mu_high: F32Array
    classes: U8Array
    rgb: U8Array


class _Clock:
    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.times[name] = now - self._t
        self._t = now


def _finish(
    images: _Images,
    structure: ContainerStructure,
    dense: RegionTable,
    materials: RegionTable,
    declaration: Declaration,
    scanner: ScannerGeometry,
    p: AnalysisParameters,
    clock: _Clock,
) -> Analysis:
    r = p.rules
    area_cm2 = scanner.pixel_area_cm2
    base = structure.wall_baseline

    def regions(table: RegionTable, kind: RegionKind) -> tuple[Region, ...]:
        return to_regions(table, kind, r.min_region_px, base, area_cm2, r.mass_attenuation_cm2_g)

    dense_regions = regions(dense, RegionKind.DENSE)
    material_regions = regions(materials, RegionKind.MATERIAL)
    per_class = materials.class_counts.sum(axis=0)
    cargo_area = int(materials.area.sum())
    cargo_mu = float(materials.sum_mu.sum()) - base * cargo_area
    mass = max(cargo_mu, 0.0) * area_cm2 / r.mass_attenuation_cm2_g / 1000.0
    obs = Observation(
        structure=structure,
        cargo_area_px=cargo_area,
        interior_area_px=structure.interior.height * structure.interior.width,
        material_area_px={m: int(per_class[m]) for m in Material if m != Material.BACKGROUND},
        estimated_mass_kg=mass,
        dense_regions=dense_regions,
        material_regions=material_regions,
    )
    findings = evaluate(obs, declaration, r)
    clock.lap("rules")
    return Analysis(
        structure=structure,
        loaded=obs.cargo_fraction >= r.loaded_fraction,
        cargo_fraction=obs.cargo_fraction,
        estimated_mass_kg=mass,
        material_fractions={
            m: (n / cargo_area if cargo_area else 0.0) for m, n in obs.material_area_px.items()
        },
        dense_regions=dense_regions,
        material_regions=material_regions,
        findings=findings,
        risk=risk_score(findings),
        reasons=tuple(f.reason for f in findings),
        false_colour=images.rgb,
        timings_s=clock.times,
    )


def analyse(
    scan: RawScan,
    declaration: Declaration,
    scanner: ScannerGeometry,
    params: AnalysisParameters | None = None,
) -> Analysis:
    """Analyse a raw dual-energy scan against its declaration (numba kernels, GIL released)."""
    p = params or AnalysisParameters()
    validate_scan(scan)
    _validate(declaration, scanner)
    clock = _Clock()
    h = scan.low.shape[0]
    cal_l = row_calibration(scan.dark_low, scan.air_low, h, p.calibration, "scan.low")
    cal_h = row_calibration(scan.dark_high, scan.air_high, h, p.calibration, "scan.high")
    tol_l = row_tolerance(scan.dark_low, scan.air_low, h, p.smoothing)
    tol_h = row_tolerance(scan.dark_high, scan.air_high, h, p.smoothing)
    front = run_front(scan.low, scan.high, cal_l, cal_h, tol_l, tol_h, p)
    clock.lap("calibrate_smooth_classify_render")
    structure = detect_structure(
        front.mu_high, p.structure, p.materials.background_max, precomputed=front.profiles
    )
    clock.lap("structure")
    inner = structure.interior
    dense_runs, material_runs = label_keys(front.classes, inner, ((3, 1), (0, MATERIAL_MASK)))
    clock.lap("labelling")
    dense = region_table(dense_runs, front.mu_high, front.classes)
    materials = region_table(material_runs, front.mu_high, front.classes)
    clock.lap("region_statistics")
    images = _Images(front.mu_high, front.classes, front.rgb)
    return _finish(images, structure, dense, materials, declaration, scanner, p, clock)


def analyse_reference(
    scan: RawScan,
    declaration: Declaration,
    scanner: ScannerGeometry,
    params: AnalysisParameters | None = None,
) -> Analysis:
    """The same analysis in plain NumPy/SciPy (for tests and the benchmark)."""
    p = params or AnalysisParameters()
    validate_scan(scan)
    _validate(declaration, scanner)
    clock = _Clock()
    c, s = p.calibration, p.smoothing
    mu_l = calibrate_reference(scan.low, scan.dark_low, scan.air_low, c)
    mu_h = calibrate_reference(scan.high, scan.dark_high, scan.air_high, c)
    clock.lap("calibration")
    sl = smooth_reference(mu_l, scan.dark_low, scan.air_low, s)
    sh = smooth_reference(mu_h, scan.dark_high, scan.air_high, s)
    clock.lap("smoothing")
    cls = classify_reference(sl, sh, p.materials)
    clock.lap("classes")
    rgb = render_reference(cls, sh)
    clock.lap("false_colour")
    structure = detect_structure(sh, p.structure, p.materials.background_max, reference=True)
    clock.lap("structure")
    inner = structure.interior
    dense_labels, nd = label_reference(cls, inner, shift=3, mask=1, raster_order=False)
    mat_labels, nm = label_reference(cls, inner, shift=0, mask=MATERIAL_MASK, raster_order=False)
    clock.lap("labelling")
    dense = region_table_reference(dense_labels, nd, sh, cls)
    materials = region_table_reference(mat_labels, nm, sh, cls)
    clock.lap("region_statistics")
    return _finish(_Images(sh, cls, rgb), structure, dense, materials, declaration, scanner, p,
                   clock)  # fmt: skip


def warm_up(on_step: Callable[[str], None] | None = None) -> None:
    """Compile (or load from the numba cache) every kernel on tiny inputs; call at service start
    before reporting SERVING. ``on_step`` is told when it is done (for start-up logs)."""
    from .calibration import calibrate
    from .classes import classify
    from .labelling import paint_labels
    from .phantoms import PhantomKind, make_phantom
    from .render import render
    from .smoothing import smooth

    ph = make_phantom(PhantomKind.STEEL_IN_ORGANIC, rows=64, cols=128, noise=False)
    scan = ph.scan
    analyse(scan, Declaration(), ph.geometry)
    mu = calibrate(scan.high, scan.dark_high, scan.air_high)
    sm = smooth(mu, scan.dark_high, scan.air_high)
    cls = classify(sm, sm)
    render(cls, sm)
    paint_labels(label_runs(cls, connectivity=4), cls.shape)
    detect_structure(sm, AnalysisParameters().structure, 0.2)
    if on_step is not None:
        on_step("scanner kernels compiled")
