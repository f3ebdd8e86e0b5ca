"""Scans put on HOLD (and released) through the scanner service's public RPCs."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import numpy as np
from customs.common.v1 import container_pb2
from customs.scanner.v1 import scanner_pb2, scanner_pb2_grpc

from devstack.suite import Suite
from tests.camera.gates import unique
from tests.support.stack import auth, channel

ROWS, COLUMNS = 32, 64
ENERGIES = (4000, 6000)


def _calibration() -> list[scanner_pb2.CalibrationLines]:
    return [
        scanner_pb2.CalibrationLines(energy_kev=e, dark=[100] * ROWS, air=[60_000] * ROWS)
        for e in ENERGIES
    ]


def held_scan(suite: Suite, container_number: str, note: str) -> str:
    """Registers a scanner, uploads a small scan of ``container_number`` and holds it;
    returns the scan's name."""
    stub = scanner_pb2_grpc.ScannerServiceStub(channel(suite, "scanner"))
    scanner_id = unique("cam-test-scanner")
    stub.CreateScanner(
        scanner_pb2.CreateScannerRequest(
            scanner_id=scanner_id,
            scanner=scanner_pb2.Scanner(
                display_name="Camera test scanner",
                site="sites/cat-lai",
                kind=scanner_pb2.SCANNER_KIND_CONTAINER,
                energies_kev=list(ENERGIES),
                pixel_pitch_mm=5.0,
                detector_rows=ROWS,
            ),
            calibration=_calibration(),
        ),
        metadata=auth(suite.token("scan-sup", "supervisor")),
    )
    ramp = np.linspace(20_000, 50_000, ROWS * COLUMNS).reshape(ROWS, COLUMNS)
    data = ramp.astype("<u2").tobytes() + (ramp * 1.05).astype("<u2").tobytes()
    metadata = scanner_pb2.UploadScanMetadata(
        scanner=f"scanners/{scanner_id}",
        idempotency_key=unique("k"),
        container_numbers=[container_pb2.ContainerNumber(value=container_number)],
        declaration=scanner_pb2.Declaration(
            reference="VN-CL-2026-000777",
            goods=[
                scanner_pb2.GoodsLine(
                    hs_code="610910",
                    description="cotton t-shirts",
                    category=scanner_pb2.GOODS_CATEGORY_TEXTILES,
                )
            ],
            gross_weight_kg=9_000.0,
        ),
        rows=ROWS,
        columns=COLUMNS,
        calibration=_calibration(),
        sha256=hashlib.sha256(data).hexdigest(),
    )

    def parts() -> Iterator[scanner_pb2.UploadScanRequest]:
        yield scanner_pb2.UploadScanRequest(metadata=metadata)
        yield scanner_pb2.UploadScanRequest(chunk=data)

    scan = stub.UploadScan(
        parts(), metadata=auth(suite.token("scanner-device", "device")), timeout=60
    ).scan
    stub.DecideScan(
        scanner_pb2.DecideScanRequest(
            name=scan.name, decision=scanner_pb2.DECISION_HOLD, note=note
        ),
        metadata=auth(suite.token("analyst-1", "analyst")),
    )
    return scan.name


def release(suite: Suite, scan: str) -> None:
    """Records an inspection that found nothing: the hold is released."""
    stub = scanner_pb2_grpc.ScannerServiceStub(channel(suite, "scanner"))
    stub.RecordInspection(
        scanner_pb2.RecordInspectionRequest(
            name=scan,
            outcome=scanner_pb2.InspectionOutcome(
                violation_found=False, description="opened and checked: t-shirts"
            ),
        ),
        metadata=auth(suite.token("inspector", "officer")),
    )
