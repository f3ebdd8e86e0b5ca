"""Camera service configuration and the mapping of scanner/seal answers (no server)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from customs.scanner.v1 import scanner_pb2
from customs.seal.v1 import seal_pb2

from services.camera.dependencies import scan_answer, seal_answer
from services.camera.domain.clearance import ScanStatus, SealStatus
from services.camera.settings import CameraSettings
from services.platform.config import ConfigError


def test_defaults() -> None:
    settings = CameraSettings.from_env({})
    assert settings.assembly.window == timedelta(seconds=90)
    assert settings.max_snapshot_bytes == 2 * 1024 * 1024
    assert settings.weight.relative_tolerance == 0.05
    assert settings.weight.absolute_tolerance_kg == 500.0
    assert settings.read_policy.auto_correct_min_confidence == 0.9
    assert settings.dependency_timeout_seconds == 2.0
    assert settings.scanner_address is None and settings.seal_address is None


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CAMERA_PASSAGE_WINDOW_SECONDS", "0"),
        ("CAMERA_WEIGHT_RELATIVE_TOLERANCE", "1.5"),
        ("CAMERA_WEIGHT_ABSOLUTE_TOLERANCE_KG", "-1"),
        ("CAMERA_MAX_SNAPSHOT_BYTES", "big"),
        ("CAMERA_AUTO_CORRECT_MIN_CONFIDENCE", "2"),
        ("CAMERA_DEPENDENCY_TIMEOUT_SECONDS", "-3"),
    ],
)
def test_bad_values_name_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as error:
        CameraSettings.from_env({variable: value})
    assert error.value.variable == variable


def test_seal_answers() -> None:
    status = seal_pb2.GetContainerSealStatusResponse
    assert seal_answer("C", status(sealed=False)).status is SealStatus.NO_SEAL
    arrived = status(sealed=True, seal="seals/S1", intact=True, arrived=True)
    assert seal_answer("C", arrived).status is SealStatus.INTACT_ARRIVED
    travelling = status(sealed=True, seal="seals/S1", intact=True, reasons=["in transit"])
    answer = seal_answer("C", travelling)
    assert answer.status is SealStatus.INTACT_NOT_ARRIVED and "in transit" in answer.detail
    opened = status(sealed=True, seal="seals/S1", intact=False, arrived=True, reasons=["opened"])
    assert seal_answer("C", opened).status is SealStatus.NOT_INTACT


def test_scan_answers() -> None:
    held = scanner_pb2.CheckContainerHoldResponse(
        open_hold=True, held_scans=["scanners/A/scans/1", "scanners/A/scans/2"], reasons=["dense"]
    )
    answer = scan_answer("C", held)
    assert answer.status is ScanStatus.OPEN_HOLD
    assert answer.detail == "scanners/A/scans/1: dense; scanners/A/scans/2"
    clear = scanner_pb2.CheckContainerHoldResponse(open_hold=False, latest_scan="scanners/A/s/3")
    assert scan_answer("C", clear).status is ScanStatus.NO_OPEN_HOLD
