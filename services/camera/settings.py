"""Camera service configuration, read once from the environment (README configuration table)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from services.camera.domain.passages import AssemblyConfig
from services.camera.domain.reads import ReadPolicy
from services.camera.domain.weighing import WeightConfig
from services.platform.config import positive_float, positive_int, read


def _fraction(raw: str) -> float:
    value = float(raw)
    if not 0.0 <= value < 1.0:
        raise ValueError("must be in [0, 1)")
    return value


def _non_negative(raw: str) -> float:
    value = float(raw)
    if not value >= 0.0:
        raise ValueError("must not be negative")
    return value


def _address(raw: str) -> str:
    if ":" not in raw:
        raise ValueError("must be HOST:PORT")
    return raw


@dataclass(frozen=True, slots=True)
class CameraSettings:
    """Everything the camera service reads beyond the platform variables."""

    assembly: AssemblyConfig
    read_policy: ReadPolicy
    weight: WeightConfig
    max_snapshot_bytes: int
    snapshot_url_ttl: timedelta
    dependency_timeout_seconds: float
    sweep_seconds: float
    scanner_address: str | None
    seal_address: str | None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> CameraSettings:
        env = os.environ if env is None else env
        window = read(env, "CAMERA_PASSAGE_WINDOW_SECONDS", positive_float, 90.0)
        return cls(
            assembly=AssemblyConfig(timedelta(seconds=window)),
            read_policy=ReadPolicy(
                auto_correct_min_confidence=read(
                    env, "CAMERA_AUTO_CORRECT_MIN_CONFIDENCE", _fraction, 0.90
                )
            ),
            weight=WeightConfig(
                relative_tolerance=read(env, "CAMERA_WEIGHT_RELATIVE_TOLERANCE", _fraction, 0.05),
                absolute_tolerance_kg=read(
                    env, "CAMERA_WEIGHT_ABSOLUTE_TOLERANCE_KG", _non_negative, 500.0
                ),
                max_empty_weighing_age=timedelta(
                    days=read(env, "CAMERA_EMPTY_WEIGHING_MAX_AGE_DAYS", positive_float, 30.0)
                ),
            ),
            max_snapshot_bytes=read(
                env, "CAMERA_MAX_SNAPSHOT_BYTES", positive_int, 2 * 1024 * 1024
            ),
            snapshot_url_ttl=timedelta(
                seconds=read(env, "CAMERA_SNAPSHOT_URL_TTL_SECONDS", positive_int, 900)
            ),
            dependency_timeout_seconds=read(
                env, "CAMERA_DEPENDENCY_TIMEOUT_SECONDS", positive_float, 2.0
            ),
            sweep_seconds=read(env, "CAMERA_SWEEP_SECONDS", positive_float, 5.0),
            scanner_address=env.get("SCANNER_ADDRESS", "").strip() or None,
            seal_address=env.get("SEAL_ADDRESS", "").strip() or None,
        )
