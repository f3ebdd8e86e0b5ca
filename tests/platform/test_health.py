"""Health names: the overall and per-service status, and the process-only liveness name."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

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


def test_health_watch_streams_the_status(suite: Suite) -> None:
    """Watch (what grpc clients and some probes use) answers with the current status."""
    for service in ("scanner", "seal", "camera", "dutylog"):
        with grpc.insecure_channel(suite.services[service].address) as channel:
            stream = health_pb2_grpc.HealthStub(channel).Watch(
                health_pb2.HealthCheckRequest(service=""), timeout=10
            )
            first = next(iter(stream))
            stream.cancel()
        assert first.status == SERVING, service
