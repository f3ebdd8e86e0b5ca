"""gRPC transport of the scanner service: converts between proto and domain, nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
from customs.scanner.v1 import scanner_pb2, scanner_pb2_grpc

from services.platform.auth import EVERYONE, Role
from services.platform.guard import AccessPolicy
from services.platform.names import parse_name
from services.platform.objects import ObjectStore
from services.platform.outbox import Outbox
from services.platform.paging import page_request
from services.platform.resources import ResourceCollection
from services.platform.watch import alert_stream
from services.scanner.scanners import CalibrationInput, NewScanner, register

SERVICE = scanner_pb2.DESCRIPTOR.services_by_name["ScannerService"].full_name
POLICY = AccessPolicy(
    SERVICE,
    {
        "CreateScanner": frozenset({Role.SUPERVISOR, Role.SERVICE}),
        "GetScanner": EVERYONE,
        "ListScanners": EVERYONE,
        "WatchAlerts": frozenset({Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR, Role.SERVICE}),
        "CheckContainerHold": frozenset({Role.OFFICER, Role.SUPERVISOR, Role.SERVICE}),
    },
)


def scanner_to_proto(doc: dict[str, Any]) -> scanner_pb2.Scanner:
    cal = doc["calibration"]
    scanner = scanner_pb2.Scanner(
        name=doc["name"],
        display_name=doc["display_name"],
        site=doc["site"],
        kind=scanner_pb2.ScannerKind.Value(f"SCANNER_KIND_{doc['kind']}"),
        energies_kev=doc["energies_kev"],
        pixel_pitch_mm=doc["pixel_pitch_mm"],
        detector_rows=doc["detector_rows"],
        calibration=scanner_pb2.CalibrationSummary(
            object_key=cal["object_key"], sha256=cal["sha256"], dead_rows=cal["dead_rows"]
        ),
    )
    scanner.calibration.calibrate_time.FromDatetime(cal["calibrate_time"])
    scanner.create_time.FromDatetime(doc["create_time"])
    return scanner


class ScannerServicer(scanner_pb2_grpc.ScannerServiceServicer):
    def __init__(self, scanners: ResourceCollection, objects: ObjectStore, outbox: Outbox):
        self._scanners = scanners
        self._objects = objects
        self._outbox = outbox

    async def CreateScanner(
        self,
        request: scanner_pb2.CreateScannerRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> scanner_pb2.CreateScannerResponse:
        s = request.scanner
        kind = scanner_pb2.ScannerKind.Name(s.kind).removeprefix("SCANNER_KIND_")
        reg = register(
            NewScanner(
                scanner_id=request.scanner_id,
                display_name=s.display_name,
                site=s.site,
                kind=kind,
                energies_kev=list(s.energies_kev),
                pixel_pitch_mm=s.pixel_pitch_mm,
                detector_rows=s.detector_rows,
                calibration=[
                    CalibrationInput(c.energy_kev, list(c.dark), list(c.air))
                    for c in request.calibration
                ],
            )
        )
        reg.doc["calibration"]["sha256"] = await self._objects.put(
            reg.calibration_key, reg.calibration_blob, "application/x-npz"
        )
        try:
            await self._scanners.create(reg.doc, reg.alerts)
        except BaseException:
            await self._objects.remove(reg.calibration_key)  # leave no orphan object
            raise
        return scanner_pb2.CreateScannerResponse(scanner=scanner_to_proto(reg.doc))

    async def GetScanner(
        self, request: scanner_pb2.GetScannerRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> scanner_pb2.GetScannerResponse:
        parse_name("name", request.name, "scanners")
        doc = await self._scanners.get(request.name)
        return scanner_pb2.GetScannerResponse(scanner=scanner_to_proto(doc))

    async def ListScanners(
        self,
        request: scanner_pb2.ListScannersRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> scanner_pb2.ListScannersResponse:
        query: dict[str, Any] = {}
        if request.site:
            parse_name("site", request.site, "sites")
            query["site"] = request.site
        page = page_request(request.page_size, request.page_token, request.site)
        docs, token = await self._scanners.list(page, query, request.site)
        return scanner_pb2.ListScannersResponse(
            scanners=[scanner_to_proto(d) for d in docs], next_page_token=token
        )

    async def WatchAlerts(
        self,
        request: scanner_pb2.WatchAlertsRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> AsyncIterator[scanner_pb2.WatchAlertsResponse]:
        async for response in alert_stream(
            self._outbox, request.resume_token, scanner_pb2.WatchAlertsResponse
        ):
            yield response
