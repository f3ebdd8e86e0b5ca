"""Wiring of the scanner service: storage, servicer."""

from __future__ import annotations

import grpc
from customs.scanner.v1 import scanner_pb2_grpc
from pymongo import IndexModel

from services.platform.resources import ResourceCollection, name_indexes
from services.platform.server import Resources, ServiceSpec
from services.scanner.servicer import POLICY, SERVICE, ScannerServicer


class ScannerService:
    def __init__(self, res: Resources) -> None:
        scanners = ResourceCollection(res.mongo, res.db, "scanners", res.outbox, "scanner")
        self._servicer = ScannerServicer(scanners, res.objects, res.outbox)

    def register(self, server: grpc.aio.Server) -> None:
        scanner_pb2_grpc.add_ScannerServiceServicer_to_server(self._servicer, server)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


SPEC = ServiceSpec(
    name="scanner",
    grpc_services=[SERVICE],
    policies=[POLICY],
    indexes={"scanners": name_indexes(IndexModel([("site", 1), ("name", 1)]))},
    build=ScannerService,
)
