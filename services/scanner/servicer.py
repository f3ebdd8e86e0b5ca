"""gRPC transport of the scanner service: converts between proto and domain, nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
from customs.scanner.v1 import scanner_pb2, scanner_pb2_grpc

from services.platform.auth import EVERYONE, Role
from services.platform.enums import enum_name
from services.platform.errors import InvalidArgument
from services.platform.guard import AccessPolicy, current_principal
from services.platform.names import parse_name
from services.platform.objects import ObjectStore
from services.platform.outbox import Outbox
from services.platform.paging import page_request
from services.platform.resources import ResourceCollection
from services.platform.watch import alert_stream
from services.scanner import convert, queries
from services.scanner.reviews import Reviews, Shape
from services.scanner.scan_store import ScanStore
from services.scanner.scanners import CalibrationInput, NewScanner, register
from services.scanner.settings import ScannerSettings

_READERS = frozenset({Role.OFFICER, Role.ANALYST, Role.SUPERVISOR, Role.AUDITOR, Role.SERVICE})
SERVICE = scanner_pb2.DESCRIPTOR.services_by_name["ScannerService"].full_name
POLICY = AccessPolicy(
    SERVICE,
    {
        "CreateScanner": frozenset({Role.SUPERVISOR, Role.SERVICE}),
        "GetScanner": EVERYONE,
        "ListScanners": EVERYONE,
        "WatchAlerts": frozenset({Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR, Role.SERVICE}),
        "CheckContainerHold": frozenset({Role.OFFICER, Role.SUPERVISOR, Role.SERVICE}),
        "UploadScan": frozenset({Role.DEVICE}),
        "GetScan": _READERS,
        "ListScans": _READERS,
        "GetScanRenderings": _READERS,
        "CreateAnnotation": frozenset({Role.ANALYST}),
        "ListAnnotations": _READERS,
        "DecideScan": frozenset({Role.ANALYST}),
        "RecordInspection": frozenset({Role.OFFICER}),
        "GetRuleStatistics": frozenset({Role.ANALYST, Role.SUPERVISOR, Role.AUDITOR}),
    },
)
Context = grpc.aio.ServicerContext[Any, Any]


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


def _scan_name(field_path: str, name: str) -> str:
    """``name`` when it is "scanners/{id}/scans/{id}"; InvalidArgument naming the field."""
    scanner, sep, scan_id = name.partition("/scans/")
    if not sep:
        raise InvalidArgument.one(field_path, "must be 'scanners/{scanner_id}/scans/{scan_id}'")
    parse_name(field_path, scanner, "scanners")
    parse_name(field_path, f"scans/{scan_id}", "scans")
    return name


def _shape(a: scanner_pb2.Annotation) -> Shape:
    which = a.WhichOneof("shape")
    if which == "rectangle":
        r = a.rectangle
        return Shape((r.top, r.bottom, r.left, r.right), None)
    if which == "polygon":
        return Shape(None, tuple((p.row, p.column) for p in a.polygon.points))
    return Shape(None, None)


class ScannerServicer(scanner_pb2_grpc.ScannerServiceServicer):
    def __init__(
        self,
        scanners: ResourceCollection,
        objects: ObjectStore,
        outbox: Outbox,
        store: ScanStore,
        reviews: Reviews,
        settings: ScannerSettings,
    ):
        self._scanners = scanners
        self._objects = objects
        self._outbox = outbox
        self._store = store
        self._reviews = reviews
        self._settings = settings

    async def CreateScanner(
        self,
        request: scanner_pb2.CreateScannerRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> scanner_pb2.CreateScannerResponse:
        s = request.scanner
        kind = enum_name(scanner_pb2.ScannerKind, s.kind, "scanner.kind", "SCANNER_KIND_")
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

    async def CheckContainerHold(
        self, request: scanner_pb2.CheckContainerHoldRequest, context: Context
    ) -> scanner_pb2.CheckContainerHoldResponse:
        number = queries.container_number("container_number.value", request.container_number.value)
        answer = await queries.container_hold(self._store.scans, number)
        return scanner_pb2.CheckContainerHoldResponse(
            open_hold=answer.open_hold,
            held_scans=answer.held_scans,
            reasons=answer.reasons,
            latest_scan=answer.latest_scan,
            undecided_scans=answer.undecided_scans,
        )

    # ------------------------------------------------------------------ scans
    async def UploadScan(
        self, request_iterator: AsyncIterator[scanner_pb2.UploadScanRequest], context: Context
    ) -> scanner_pb2.UploadScanResponse:
        doc, duplicate = await self._store.upload(request_iterator)
        return scanner_pb2.UploadScanResponse(scan=convert.scan_to_proto(doc), duplicate=duplicate)

    async def GetScan(
        self, request: scanner_pb2.GetScanRequest, context: Context
    ) -> scanner_pb2.GetScanResponse:
        doc = await self._store.get(_scan_name("name", request.name))
        return scanner_pb2.GetScanResponse(scan=convert.scan_to_proto(doc))

    async def ListScans(
        self, request: scanner_pb2.ListScansRequest, context: Context
    ) -> scanner_pb2.ListScansResponse:
        scanner = None if request.parent == "scanners/-" else request.parent
        if scanner is not None:
            parse_name("parent", scanner, "scanners")
        number = None
        if request.HasField("container_number"):
            number = queries.container_number(
                "container_number.value", request.container_number.value
            )
        if request.state not in scanner_pb2.ScanState.values():
            raise InvalidArgument.one("state", "is not a scan state")
        state = convert.scan_state(request.state)
        fingerprint = f"{request.parent}|{number}|{state}"
        page = page_request(request.page_size, request.page_token, fingerprint)
        docs, token = await queries.list_scans(
            self._store.scans, scanner, number, state, page, fingerprint
        )
        return scanner_pb2.ListScansResponse(
            scans=[convert.scan_to_proto(d) for d in docs], next_page_token=token
        )

    async def GetScanRenderings(
        self, request: scanner_pb2.GetScanRenderingsRequest, context: Context
    ) -> scanner_pb2.GetScanRenderingsResponse:
        doc = await self._store.get(_scan_name("name", request.name))
        urls, expire = await queries.renderings(self._objects, doc, self._settings.url_ttl_seconds)
        out = scanner_pb2.GetScanRenderingsResponse(
            false_colour_url=urls["false_colour"],
            thumbnail_url=urls["thumbnail"],
            overlay_url=urls["overlay"],
            regions_url=urls["regions"],
        )
        out.expire_time.FromDatetime(expire)
        return out

    # ------------------------------------------------------------------ review
    async def CreateAnnotation(
        self, request: scanner_pb2.CreateAnnotationRequest, context: Context
    ) -> scanner_pb2.CreateAnnotationResponse:
        a = request.annotation
        doc = await self._reviews.annotate(
            _scan_name("parent", request.parent),
            _shape(a),
            a.label,
            a.note,
            current_principal().subject,
        )
        return scanner_pb2.CreateAnnotationResponse(annotation=convert.annotation_to_proto(doc))

    async def ListAnnotations(
        self, request: scanner_pb2.ListAnnotationsRequest, context: Context
    ) -> scanner_pb2.ListAnnotationsResponse:
        parent = _scan_name("parent", request.parent)
        page = page_request(request.page_size, request.page_token, parent)
        docs, token = await self._reviews.annotations(parent, page)
        return scanner_pb2.ListAnnotationsResponse(
            annotations=[convert.annotation_to_proto(d) for d in docs], next_page_token=token
        )

    async def DecideScan(
        self, request: scanner_pb2.DecideScanRequest, context: Context
    ) -> scanner_pb2.DecideScanResponse:
        doc = await self._reviews.decide(
            _scan_name("name", request.name),
            convert.decision(request.decision),
            request.note,
            current_principal().subject,
        )
        return scanner_pb2.DecideScanResponse(scan=convert.scan_to_proto(doc))

    async def RecordInspection(
        self, request: scanner_pb2.RecordInspectionRequest, context: Context
    ) -> scanner_pb2.RecordInspectionResponse:
        o = request.outcome
        doc = await self._reviews.inspect(
            _scan_name("name", request.name),
            o.violation_found,
            o.description,
            current_principal().subject,
        )
        return scanner_pb2.RecordInspectionResponse(scan=convert.scan_to_proto(doc))

    async def GetRuleStatistics(
        self, request: scanner_pb2.GetRuleStatisticsRequest, context: Context
    ) -> scanner_pb2.GetRuleStatisticsResponse:
        if request.scanner:
            parse_name("scanner", request.scanner, "scanners")
        if request.site:
            parse_name("site", request.site, "sites")
        stats = await queries.statistics(
            self._store.scans, request.scanner or None, request.site or None
        )
        return scanner_pb2.GetRuleStatisticsResponse(
            rules=[
                scanner_pb2.RuleStatistics(
                    rule=scanner_pb2.FindingRule.Value(f"FINDING_RULE_{c.rule.name}"),
                    flagged=c.flagged,
                    held=c.held,
                    inspected=c.inspected,
                    confirmed=c.confirmed,
                    confirmation_rate=c.confirmation_rate,
                )
                for c in stats.rules
            ],
            analysed_scans=stats.analysed_scans,
            inspected_scans=stats.inspected_scans,
            missed_violations=stats.missed_violations,
        )
