"""Value types of scan analysis: inputs (scan, declaration, geometry) and results."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, IntEnum

import numpy as np
import numpy.typing as npt

#: Version of the image-processing steps (calibration, smoothing, classes, structure, labels).
PIPELINE_VERSION: str = "scanner-pipeline/1.0.0"
#: Version of the rule set and its default thresholds.
RULES_VERSION: str = "scanner-rules/1.0.0"

U16Array = npt.NDArray[np.uint16]
F32Array = npt.NDArray[np.float32]
F64Array = npt.NDArray[np.float64]
U8Array = npt.NDArray[np.uint8]
I32Array = npt.NDArray[np.int32]
I64Array = npt.NDArray[np.int64]


class Material(IntEnum):
    """Dual-energy material class of a pixel; the value is stored in class images (uint8)."""

    BACKGROUND = 0
    ORGANIC = 1
    MIXED = 2
    INORGANIC = 3
    HEAVY_METAL = 4
    IMPENETRABLE = 5


class GoodsCategory(Enum):
    """Coarse category of declared goods, enough to say which materials are expected."""

    TEXTILES = "textiles"
    FOODSTUFFS = "foodstuffs"
    WOOD_PAPER = "wood_paper"
    PLASTICS = "plastics"
    MACHINERY = "machinery"
    METALS = "metals"
    ELECTRONICS = "electronics"
    MINERALS = "minerals"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class GoodsLine:
    """One declared goods line."""

    hs_code: str
    description: str
    category: GoodsCategory


@dataclass(frozen=True, slots=True)
class Declaration:
    """What the declarant said about the container's content."""

    goods: tuple[GoodsLine, ...] = ()
    gross_weight_kg: float = 0.0
    empty: bool = False


@dataclass(frozen=True, slots=True)
class ScannerGeometry:
    """Pixel pitch at the object plane (rows: detector pitch; columns: travel per line)."""

    pixel_pitch_row_mm: float
    pixel_pitch_col_mm: float

    @property
    def pixel_area_cm2(self) -> float:
        return self.pixel_pitch_row_mm * self.pixel_pitch_col_mm / 100.0


@dataclass(frozen=True, slots=True, eq=False)
class RawScan:
    """A raw dual-energy scan: uint16 planes (H detector rows x W lines) and per-row calibration.

    ``dark_*`` are detector offsets (beam off) and ``air_*`` the unattenuated signal (beam on,
    nothing in the tunnel), one value per detector row, in raw counts.
    """

    low: U16Array
    high: U16Array
    dark_low: F64Array
    air_low: F64Array
    dark_high: F64Array
    air_high: F64Array


@dataclass(frozen=True, slots=True)
class Bounds:
    """Half-open pixel rectangle: rows [top, bottom), columns [left, right)."""

    top: int
    bottom: int
    left: int
    right: int

    @property
    def height(self) -> int:
        return max(self.bottom - self.top, 0)

    @property
    def width(self) -> int:
        return max(self.right - self.left, 0)

    def overlaps(self, other: Bounds) -> bool:
        return (
            self.top < other.bottom
            and other.top < self.bottom
            and self.left < other.right
            and other.left < self.right
        )


@dataclass(frozen=True, slots=True)
class ContainerStructure:
    """Where the container is: outer extent, wall rows/columns and the cargo interior."""

    found: bool
    outer: Bounds
    interior: Bounds
    wall_baseline: float


class RegionKind(Enum):
    DENSE = "dense"
    MATERIAL = "material"


@dataclass(frozen=True, slots=True)
class Region:
    """A connected region inside the cargo interior with its statistics."""

    kind: RegionKind
    label: int
    area_px: int
    bbox: Bounds
    centroid_row: float
    centroid_col: float
    mean_attenuation: float
    dominant_material: Material
    mass_kg: float


class Rule(Enum):
    DECLARED_EMPTY_BUT_LOADED = "declared_empty_but_loaded"
    DECLARED_GOODS_NOT_SEEN = "declared_goods_not_seen"
    MATERIAL_INCONSISTENT = "material_inconsistent"
    HEAVY_METAL = "heavy_metal"
    IMPENETRABLE = "impenetrable"
    FALSE_COMPARTMENT = "false_compartment"
    MASS_MISMATCH = "mass_mismatch"
    NO_CONTAINER = "no_container"


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule that fired, why, how much it weighs, and the regions that show it."""

    rule: Rule
    reason: str
    weight: float
    evidence: tuple[Region, ...] = ()


@dataclass(frozen=True, slots=True, eq=False)
class Analysis:
    """The result of analysing one scan against its declaration."""

    structure: ContainerStructure
    loaded: bool
    cargo_fraction: float
    estimated_mass_kg: float
    material_fractions: dict[Material, float]
    dense_regions: tuple[Region, ...]
    material_regions: tuple[Region, ...]
    findings: tuple[Finding, ...]
    risk: float
    reasons: tuple[str, ...]
    false_colour: U8Array
    pipeline_version: str = PIPELINE_VERSION
    rules_version: str = RULES_VERSION
    timings_s: dict[str, float] = field(default_factory=dict)
