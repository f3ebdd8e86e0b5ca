"""Health names: the overall and per-service status, and the process-only liveness name."""

from __future__ import annotations

from grpc_health.v1 import health_pb2

from devstack.suite import Suite, health_status
from services.platform.server import LIVENESS

SERVING = health_pb2.HealthCheckResponse.SERVING


def test_every_service_reports_overall_service_and_liveness_health(suite: Suite) -> None:
    names = {
        "scanner": "customs.scanner.v1.ScannerService",
        "seal": "customs.seal.v1.SealService",
        "camera": "customs.camera.v1.CameraService",
        "dutylog": "customs.dutylog.v1.DutyLogService",
    }
    for service, grpc_name in names.items():
        address = suite.services[service].address
        assert health_status(address) == SERVING
        assert health_status(address, grpc_name) == SERVING
        assert health_status(address, LIVENESS) == SERVING
        assert health_status(address, "no.such.Service") is None  # NOT_FOUND
