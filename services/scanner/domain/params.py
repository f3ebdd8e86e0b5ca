"""Tunable parameters of the analysis, with documented defaults (all frozen dataclasses)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .errors import DomainValidationError
from .model import F32Array


@dataclass(frozen=True, slots=True)
class MaterialCalibration:
    """Low/high attenuation-ratio thresholds as a function of high-energy attenuation.

    A pixel with ratio R = mu_low / mu_high is ORGANIC when R < organic_max, MIXED when
    R < mixed_max, INORGANIC when R < inorganic_max, else HEAVY_METAL; thresholds are linear
    in mu_high between the knots. Defaults suit the synthetic phantoms; a real scanner is
    calibrated with step wedges of known materials. The table is sampled on TABLE_BINS uniform
    bins of [0, mu_max] (both the kernel and the reference use the sampled table).
    """

    mu_high_knots: tuple[float, ...] = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 12.0)
    organic_max: tuple[float, ...] = (1.22, 1.21, 1.20, 1.20, 1.21, 1.22, 1.22)
    mixed_max: tuple[float, ...] = (1.36, 1.35, 1.34, 1.34, 1.35, 1.36, 1.36)
    inorganic_max: tuple[float, ...] = (1.78, 1.75, 1.72, 1.72, 1.74, 1.76, 1.76)
    #: Below this high-energy attenuation a pixel is BACKGROUND (air, container side walls).
    background_max: float = 0.2
    #: High-energy transmission below this is IMPENETRABLE.
    impenetrable_transmission: float = 3e-4
    #: Pixels with high-energy attenuation at or above this are "dense" (a separate flag bit).
    dense_min: float = 3.0

    def __post_init__(self) -> None:
        n = len(self.mu_high_knots)
        if n < 2 or any(
            b <= a for a, b in zip(self.mu_high_knots, self.mu_high_knots[1:], strict=False)
        ):
            raise DomainValidationError("mu_high_knots", "need >= 2 strictly increasing knots")
        for name in ("organic_max", "mixed_max", "inorganic_max"):
            if len(getattr(self, name)) != n:
                raise DomainValidationError(name, f"need {n} values, one per knot")
        if not 0.0 < self.impenetrable_transmission < 1.0:
            raise DomainValidationError("impenetrable_transmission", "must be in (0, 1)")

    @property
    def impenetrable_mu(self) -> float:
        return -math.log(self.impenetrable_transmission)

    def segments(self) -> tuple[F32Array, F32Array, F32Array, F32Array]:
        """Piecewise-linear form read by the kernels: threshold_j(mu) = base_j +
        sum_i slope_ji * clip(mu - start_i, 0, width_i). Returns (start, width, base (3,),
        slope (3, segments)), all float32."""
        k = np.asarray(self.mu_high_knots, np.float64)
        values = np.array([self.organic_max, self.mixed_max, self.inorganic_max], np.float64)
        width = np.diff(k)
        slope = np.diff(values, axis=1) / width
        return (
            k[:-1].astype(np.float32),
            width.astype(np.float32),
            values[:, 0].astype(np.float32),
            np.ascontiguousarray(slope, dtype=np.float32),
        )


@dataclass(frozen=True, slots=True)
class CalibrationParams:
    """Dark/air normalisation. Transmission is clipped to [transmission_floor, 1] so -log is
    finite (attenuation at most -log(floor)); raw values >= saturation read as unattenuated."""

    transmission_floor: float = 1e-5
    saturation: int = 65535

    def __post_init__(self) -> None:
        if not 0.0 < self.transmission_floor < 1.0:
            raise DomainValidationError("transmission_floor", "must be in (0, 1)")


@dataclass(frozen=True, slots=True)
class SmoothingParams:
    """3x3 noise-aware sigma filter: a neighbour joins the mean only when it is within
    ``k_sigma`` photon-noise standard deviations of the centre (sigma(mu) = exp(mu/2)/sqrt(N0),
    N0 = air - dark counts of the row), so noise is averaged while edges are kept."""

    k_sigma: float = 2.5


@dataclass(frozen=True, slots=True)
class StructureParams:
    """Container structure detection from occupancy profiles of high-energy attenuation."""

    #: Attenuation above which a pixel belongs to the container (side walls are ~0.1).
    container_min: float = 0.05
    #: Attenuation above which a pixel belongs to roof, floor or an end frame.
    wall_min: float = 2.0
    #: A row/column is container when this fraction of the image's other axis is occupied.
    container_fraction: float = 0.5
    #: A roof/floor row or end-frame column has this fraction of its container span above wall_min.
    wall_fraction: float = 0.8
    #: Profiles are computed on every ``subsample``-th pixel of the other axis.
    subsample: int = 8


@dataclass(frozen=True, slots=True)
class RuleParams:
    """Thresholds of the rules and weights of their contribution to the risk score."""

    #: Cargo is present when this fraction of the interior is not BACKGROUND.
    loaded_fraction: float = 0.005
    #: Regions smaller than this (pixels) are ignored as evidence.
    min_region_px: int = 64
    #: Material is inconsistent when unexpected material covers this fraction of the cargo, or a
    #: single unexpected region is at least min_region_px large and this fraction of the cargo.
    inconsistent_fraction: float = 0.02
    #: A dense region against a wall is a possible false compartment when it runs along at least
    #: this fraction of that wall and is at most max_layer_thickness of the perpendicular span.
    layer_min_length: float = 0.25
    max_layer_thickness: float = 0.2
    #: How close (pixels) a region must come to a wall to be "against" it.
    wall_margin_px: int = 3
    #: Mass model: mass = sum(mu_high - wall baseline) * pixel area / mass_attenuation (cm2/g).
    mass_attenuation_cm2_g: float = 0.030
    #: Relative difference between estimated and declared mass that raises MASS_MISMATCH.
    mass_tolerance: float = 0.35
    weights: dict[str, float] = field(
        default_factory=lambda: {
            "declared_empty_but_loaded": 0.8,
            "declared_goods_not_seen": 0.5,
            "material_inconsistent": 0.5,
            "heavy_metal": 0.6,
            "impenetrable": 0.5,
            "false_compartment": 0.6,
            "mass_mismatch": 0.4,
            "no_container": 0.3,
        }
    )


@dataclass(frozen=True, slots=True)
class AnalysisParameters:
    """Everything tunable about one analysis."""

    calibration: CalibrationParams = field(default_factory=CalibrationParams)
    smoothing: SmoothingParams = field(default_factory=SmoothingParams)
    materials: MaterialCalibration = field(default_factory=MaterialCalibration)
    structure: StructureParams = field(default_factory=StructureParams)
    rules: RuleParams = field(default_factory=RuleParams)
