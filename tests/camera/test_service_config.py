"""Camera service configuration and the mapping of scanner/seal answers (no server)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from customs.scanner.v1 import scanner_pb2
from customs.seal.v1 import seal_pb2

from services.camera.dependencies import scan_answer, seal_answer
from services.camera.domain.clearance import ScanStatus, SealedTransit, SealStage, SealStatus
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
    def status(**fields: Any) -> seal_pb2.GetContainerSealStatusResponse:
        where = {"origin": "sites/cat-lai", "destination": "sites/moc-bai"}
        return seal_pb2.GetContainerSealStatusResponse(
            sealed=True, seal="seals/S1", **where, **fields
        )

    none = seal_answer("C", seal_pb2.GetContainerSealStatusResponse(sealed=False))
    assert none.status is SealStatus.NO_SEAL and none.transit is None
    travelling = seal_answer(
        "C", status(state=seal_pb2.SEAL_STATE_IN_TRANSIT, intact=True, reasons=["not arrived"])
    )
    assert travelling.status is SealStatus.SEALED
    assert travelling.transit == SealedTransit(
        "sites/cat-lai", "sites/moc-bai", SealStage.IN_TRANSIT, True
    )
    assert travelling.detail == "seals/S1, state IN_TRANSIT"  # the gate's site says the rest
    stages = {
        seal_pb2.SEAL_STATE_ATTACHED: SealStage.ATTACHED,
        seal_pb2.SEAL_STATE_ARRIVED: SealStage.ARRIVED,
        seal_pb2.SEAL_STATE_UNSPECIFIED: SealStage.OTHER,
    }
    for state, stage in stages.items():
        answer = seal_answer("C", status(state=state, intact=True))
        assert answer.transit is not None and answer.transit.stage is stage
    opened = seal_answer(
        "C", status(state=seal_pb2.SEAL_STATE_ARRIVED, intact=False, reasons=["lock opened"])
    )
    assert opened.transit is not None and not opened.transit.intact
    assert opened.detail == "seals/S1, state ARRIVED; lock opened"


def test_scan_answers() -> None:
    held = scanner_pb2.CheckContainerHoldResponse(
        open_hold=True, held_scans=["scanners/A/scans/1", "scanners/A/scans/2"], reasons=["dense"]
    )
    answer = scan_answer("C", held)
    assert answer.status is ScanStatus.OPEN_HOLD
    assert answer.detail == "scanners/A/scans/1: dense; scanners/A/scans/2"
    clear = scanner_pb2.CheckContainerHoldResponse(open_hold=False, latest_scan="scanners/A/s/3")
    assert scan_answer("C", clear).status is ScanStatus.NO_OPEN_HOLD
