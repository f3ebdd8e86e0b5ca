"""Synthetic dual-energy phantoms: a 40-foot container with known objects at known places.

Physics is deliberately simple: each material has a mass-attenuation coefficient at the low and
high energy (cm2/g); a pixel's attenuation is the sum over materials of k * areal density along
the beam, its transmission exp(-mu), and raw counts dark + gain * N0 * t with Gaussian photon
noise of variance N0 * t (the Poisson limit), clipped to uint16. The low/high ratio grows with
atomic number (organic ~1.12, aluminium ~1.28, steel ~1.55, lead ~2.0), as the classifier
expects. Sizes are parameters: tests use small images, the benchmark 2048 x 6000.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from .errors import DomainValidationError
from .model import Bounds, F32Array, F64Array, Material, RawScan, ScannerGeometry

#: (k_low, k_high) mass-attenuation coefficients in cm2/g per phantom material.
COEFFICIENTS: dict[str, tuple[float, float]] = {
    "organic": (0.0336, 0.030),
    "aluminium": (0.0371, 0.029),
    "steel": (0.0481, 0.031),
    "lead": (0.0900, 0.045),
}
EXPECTED_CLASS: dict[str, Material] = {
    "organic": Material.ORGANIC,
    "aluminium": Material.MIXED,
    "steel": Material.INORGANIC,
    "lead": Material.HEAVY_METAL,
}
CONTAINER_LENGTH_MM: float = 12190.0
CONTAINER_HEIGHT_MM: float = 2590.0
BEAM_DEPTH_CM: float = 235.0  # interior width of the container, along the beam
SIDE_WALLS_G_CM2: float = 3.15  # two 2 mm steel side walls
ROOF_G_CM2, ROOF_MM = 100.0, 50.0
FLOOR_G_CM2, FLOOR_MM = 150.0, 150.0
FRAME_G_CM2, FRAME_MM = 120.0, 150.0
N0_COUNTS: float = 55000.0


class PhantomKind(Enum):
    """What the container holds (objects' places in _LAYOUT)."""

    EMPTY = "empty"
    ORGANIC = "organic"
    STEEL_IN_ORGANIC = "steel_in_organic"
    HEAVY_METAL = "heavy_metal"
    #: organic cargo on a thin dense steel layer against the floor
    WALL_LAYER = "wall_layer"
    #: organic cargo beside a thin dense steel layer against the front wall (left end)
    FRONT_WALL_LAYER = "front_wall_layer"
    #: organic cargo under a thin dense steel layer against the roof
    ROOF_LAYER = "roof_layer"


@dataclass(frozen=True, slots=True)
class PhantomObject:
    """A known object: name, material, pixel box and its mass."""

    name: str
    material: str
    bbox: Bounds
    mass_kg: float


@dataclass(frozen=True, slots=True, eq=False)
class Phantom:
    kind: PhantomKind
    scan: RawScan
    geometry: ScannerGeometry
    interior: Bounds
    objects: tuple[PhantomObject, ...]

    @property
    def cargo_mass_kg(self) -> float:
        return sum(o.mass_kg for o in self.objects)


# (name, material, rows from/to, columns from/to as fractions of the interior, depth cm, density)
_Spec = tuple[str, str, float, float, float, float, float, float]
_ORGANIC: _Spec = ("organic cargo", "organic", 0.25, 1.0, 0.05, 0.55, 200.0, 0.3)
_LAYOUT: dict[PhantomKind, tuple[_Spec, ...]] = {
    PhantomKind.EMPTY: (),
    PhantomKind.ORGANIC: (_ORGANIC,),
    PhantomKind.STEEL_IN_ORGANIC: (
        _ORGANIC,
        ("steel block", "steel", 0.5, 0.75, 0.25, 0.32, 15.0, 7.87),
    ),
    PhantomKind.HEAVY_METAL: (("lead block", "lead", 0.8, 1.0, 0.45, 0.5, 6.0, 11.35),),
    PhantomKind.WALL_LAYER: (
        ("organic cargo", "organic", 0.25, 0.9, 0.1, 0.6, 200.0, 0.3),
        ("dense floor layer", "steel", 0.9, 1.0, 0.1, 0.6, 15.0, 7.87),
    ),
    # shorter than the wall (60 % of its height), so structure detection does not take the
    # layer for part of the end frame: a full-height plate would look like a thicker frame
    PhantomKind.FRONT_WALL_LAYER: (
        ("organic cargo", "organic", 0.25, 1.0, 0.1, 0.6, 200.0, 0.3),
        ("dense front-wall layer", "steel", 0.2, 0.8, 0.0, 0.03, 15.0, 7.87),
    ),
    PhantomKind.ROOF_LAYER: (
        ("organic cargo", "organic", 0.25, 1.0, 0.05, 0.55, 200.0, 0.3),
        ("dense roof layer", "steel", 0.0, 0.08, 0.1, 0.6, 15.0, 7.87),
    ),
}


def _px(mm: float, pitch: float) -> int:
    return max(1, round(mm / pitch))


def make_phantom(
    kind: PhantomKind, rows: int = 256, cols: int = 600, seed: int = 0, noise: bool = True
) -> Phantom:
    """Raw uint16 low/high planes with dark/air lines for a container holding ``kind``."""
    if rows < 64:
        raise DomainValidationError("rows", "must be >= 64")
    if cols < 128:
        raise DomainValidationError("cols", "must be >= 128")
    rng = np.random.default_rng(seed)
    top, bottom = round(0.08 * rows), round(0.88 * rows)
    left, right = round(0.05 * cols), round(0.95 * cols)
    geom = ScannerGeometry(
        pixel_pitch_row_mm=CONTAINER_HEIGHT_MM / (bottom - top),
        pixel_pitch_col_mm=CONTAINER_LENGTH_MM / (right - left),
    )
    roof = _px(ROOF_MM, geom.pixel_pitch_row_mm)
    floor = _px(FLOOR_MM, geom.pixel_pitch_row_mm)
    frame = _px(FRAME_MM, geom.pixel_pitch_col_mm)
    interior = Bounds(top + roof, bottom - floor, left + frame, right - frame)
    mu = np.zeros((2, rows, cols), np.float32)

    def add(material: str, box: Bounds, areal: float) -> None:
        kl, kh = COEFFICIENTS[material]
        mu[0, box.top : box.bottom, box.left : box.right] += kl * areal
        mu[1, box.top : box.bottom, box.left : box.right] += kh * areal

    add("steel", Bounds(top, bottom, left, right), SIDE_WALLS_G_CM2)
    add("steel", Bounds(top, top + roof, left, right), ROOF_G_CM2)
    add("steel", Bounds(bottom - floor, bottom, left, right), FLOOR_G_CM2)
    add("steel", Bounds(top, bottom, left, left + frame), FRAME_G_CM2)
    add("steel", Bounds(top, bottom, right - frame, right), FRAME_G_CM2)
    objects: list[PhantomObject] = []
    specs = _LAYOUT[kind]
    for name, material, r0, r1, c0, c1, depth, density in specs:
        box = Bounds(
            interior.top + round(r0 * interior.height),
            interior.top + round(r1 * interior.height),
            interior.left + round(c0 * interior.width),
            interior.left + round(c1 * interior.width),
        )
        areal = depth * density
        add(material, box, areal)
        mass = areal * box.height * box.width * geom.pixel_area_cm2 / 1000.0
        # an object inside another displaces the outer one's material along the beam
        for outer in objects:
            if outer.bbox.overlaps(box) and outer.material != material:
                o = next(s for s in specs if s[0] == outer.name)
                displaced = depth * o[7]
                add(outer.material, box, -displaced)
                lost = displaced * box.height * box.width * geom.pixel_area_cm2 / 1000.0
                objects[objects.index(outer)] = PhantomObject(
                    outer.name, outer.material, outer.bbox, outer.mass_kg - lost
                )
        objects.append(PhantomObject(name, material, box, mass))
    low, high, lines = _expose(mu, rng, noise)
    scan = RawScan(low, high, *lines)
    return Phantom(kind, scan, geom, interior, tuple(objects))


def _expose(
    mu: F32Array, rng: np.random.Generator, noise: bool
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """Raw counts of both energies and their (dark, air) lines."""
    rows = mu.shape[1]
    planes = []
    lines: list[np.ndarray] = []
    for e in range(2):
        dark: F64Array = 400.0 + 50.0 * rng.random((rows,), dtype=np.float64)
        gain: F64Array = 0.95 + 0.1 * rng.random((rows,), dtype=np.float64)
        n0 = (N0_COUNTS * gain)[:, None].astype(np.float32)
        signal = n0 * np.exp(-mu[e])
        if noise:
            signal += np.sqrt(signal) * rng.standard_normal(signal.shape, dtype=np.float32)
        counts = signal + dark[:, None].astype(np.float32)
        planes.append(np.clip(np.rint(counts), 0, 65535).astype(np.uint16))
        lines += [np.asarray(dark, np.float64), np.asarray(dark + N0_COUNTS * gain, np.float64)]
    return planes[0], planes[1], tuple(lines)
