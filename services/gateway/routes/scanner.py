"""Scanners and their scans: uploads (streamed through, never held whole), analysis, rendered
images (presigned URLs), annotations, verdicts, inspection outcomes and rule statistics."""

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from customs.scanner.v1 import scanner_pb2 as pb
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from services.gateway.backends import forwarded
from services.gateway.context import (
    ANYONE,
    DOSSIER_READERS,
    Gateway,
    JsonBody,
    PageSize,
    PageToken,
    message_response,
)
from services.gateway.json_input import parse_body
from services.gateway.problems import invalid
from services.platform.auth import Principal, Role

SCAN = "/v1/scanners/{scanner_id}/scans/{scan_id}"
READERS = DOSSIER_READERS | {Role.SERVICE}
UPLOAD_CHUNK = 1024 * 1024  # bytes per UploadScanRequest.chunk
UPLOAD_MEDIA_TYPE = "application/vnd.customs.scan-upload"
MAX_METADATA_BYTES = 1024 * 1024


class Verdict(BaseModel):
    """The analyst's decision on an analysed scan."""

    decision: str = Field(description="CLEAR or HOLD")
    note: str = ""


class Inspection(BaseModel):
    """The outcome of the physical inspection."""

    violation_found: bool
    description: str = Field(default="", description="what was found (or checked)")


async def rechunk(body: AsyncIterator[bytes], size: int) -> AsyncIterator[bytes]:
    """The request body in pieces of ``size`` bytes (the last may be shorter), holding at most
    one piece plus one received chunk in memory."""
    pending = bytearray()
    async for piece in body:
        pending += piece
        while len(pending) >= size:
            yield bytes(pending[:size])
            del pending[:size]
    if pending:
        yield bytes(pending)


async def split_upload(body: AsyncIterator[bytes]) -> tuple[bytes, AsyncIterator[bytes]]:
    """The metadata line and the rest of an upload body, reading no further than the newline
    that ends the metadata (the payload is left to stream)."""
    pieces = body.__aiter__()
    head = bytearray()
    while True:
        try:
            piece = await pieces.__anext__()
        except StopAsyncIteration:
            raise invalid("body", "must start with the metadata JSON line") from None
        end = piece.find(b"\n")
        if end < 0:
            head += piece
            if len(head) > MAX_METADATA_BYTES:
                raise invalid("body", f"metadata line longer than {MAX_METADATA_BYTES} bytes")
            continue
        head += piece[:end]
        rest = piece[end + 1 :]
        break

    async def payload() -> AsyncIterator[bytes]:
        if rest:
            yield rest
        async for more in pieces:
            yield more

    return bytes(head), payload()


def upload_requests(
    metadata: pb.UploadScanMetadata, payload: AsyncIterator[bytes]
) -> AsyncIterator[pb.UploadScanRequest]:
    async def requests() -> AsyncIterator[pb.UploadScanRequest]:
        yield pb.UploadScanRequest(metadata=metadata)
        async for chunk in rechunk(payload, UPLOAD_CHUNK):
            yield pb.UploadScanRequest(chunk=chunk)

    return requests()


def router(gw: Gateway) -> APIRouter:
    api = APIRouter(tags=["scanner"])
    anyone = gw.caller(ANYONE)
    readers = gw.caller(READERS)
    analysts = gw.caller({Role.ANALYST})
    officers = gw.caller({Role.OFFICER})
    devices = gw.caller({Role.DEVICE})
    statistics = gw.caller({Role.ANALYST, Role.SUPERVISOR, Role.AUDITOR})
    supervisors = gw.caller({Role.SUPERVISOR, Role.SERVICE})
    b = gw.backends

    @api.get(
        "/v1/scanners", summary="List scanners (AIP-158). Roles: any", operation_id="ListScanners"
    )
    async def list_scanners(
        who: Annotated[Principal, Depends(anyone)],
        page_size: PageSize = 0,
        page_token: PageToken = "",
        site: Annotated[str, Query(description="only scanners of this site")] = "",
    ) -> Response:
        request = pb.ListScannersRequest(page_size=page_size, page_token=page_token, site=site)
        return message_response(await gw.call(b.scanner.ListScanners, request, who))

    @api.post(
        "/v1/scanners",
        summary="Register a scanner with its first calibration. Roles: supervisor, service",
        description='Body: `{"scanner": Scanner, "calibration": [CalibrationLines]}` '
        "in proto JSON form.",
        operation_id="CreateScanner",
        status_code=201,
    )
    async def create_scanner(
        scanner_id: Annotated[str, Query()],
        body: JsonBody,
        who: Annotated[Principal, Depends(supervisors)],
    ) -> Response:
        request = parse_body(body, pb.CreateScannerRequest())
        request.scanner_id = scanner_id
        reply = await gw.call(b.scanner.CreateScanner, request, who)
        return message_response(reply.scanner, 201)

    @api.get(
        "/v1/scanners/{scanner_id}", summary="Get a scanner. Roles: any", operation_id="GetScanner"
    )
    async def get_scanner(scanner_id: str, who: Annotated[Principal, Depends(anyone)]) -> Response:
        request = pb.GetScannerRequest(name=f"scanners/{scanner_id}")
        reply = await gw.call(b.scanner.GetScanner, request, who)
        return message_response(reply.scanner)

    @api.post(
        "/v1/scanners/{scanner_id}/scans:upload",
        summary="Upload a raw dual-energy scan, streamed to the scanner service. Roles: device",
        description=(
            "Body (`Content-Type: " + UPLOAD_MEDIA_TYPE + "`): one line of JSON, the "
            "UploadScanMetadata in proto JSON form (idempotency_key, container_numbers, "
            "declaration, rows, columns, calibration, sha256, ...; `scanner` is taken from the "
            "path), a newline, then the raw payload: the low-energy plane then the high-energy "
            "plane, each rows x columns uint16 little-endian. The payload is forwarded to the "
            "scanner service in 1 MiB chunks as it arrives, never held whole. Retrying with the "
            "same idempotency key returns the first scan (200, `duplicate: true`); a new scan is "
            "201. Invalid metadata or payload is 400 naming the field, and nothing is stored."
        ),
        operation_id="UploadScan",
        status_code=201,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {UPLOAD_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
            }
        },
    )
    async def upload_scan(
        scanner_id: str, request: Request, who: Annotated[Principal, Depends(devices)]
    ) -> Response:
        head, payload = await split_upload(request.stream())
        try:
            raw: Any = json.loads(head)
        except ValueError as exc:
            raise invalid("metadata", "the first line must be a JSON object") from exc
        metadata = parse_body(raw, pb.UploadScanMetadata(), "metadata")
        metadata.scanner = f"scanners/{scanner_id}"
        upload: Any = b.scanner.UploadScan  # an aio stream-unary call (the stubs type it sync)
        reply = await upload(
            upload_requests(metadata, payload),
            metadata=forwarded(who),
            timeout=max(60.0, gw.config.call_timeout_seconds),
        )
        return message_response(reply, 200 if reply.duplicate else 201)

    @api.get(
        "/v1/scanners/{scanner_id}/scans",
        summary="List scans ('-' for every scanner), by container and state, AIP-158. "
        "Roles: officer, analyst, supervisor, auditor, service",
        operation_id="ListScans",
    )
    async def list_scans(
        scanner_id: str,
        who: Annotated[Principal, Depends(readers)],
        container_number: str = "",
        state: Annotated[str, Query(description="RECEIVED, ANALYSED, CLEARED, HOLD, ...")] = "",
        page_size: PageSize = 0,
        page_token: PageToken = "",
    ) -> Response:
        try:
            value = pb.ScanState.Value(f"SCAN_STATE_{(state or 'unspecified').upper()}")
        except ValueError as exc:
            raise invalid("state", "is not a scan state") from exc
        request = pb.ListScansRequest(
            parent=f"scanners/{scanner_id}", state=value, page_size=page_size, page_token=page_token
        )
        if container_number:
            request.container_number.value = container_number
        return message_response(await gw.call(b.scanner.ListScans, request, who))

    def scan(scanner_id: str, scan_id: str) -> str:
        return f"scanners/{scanner_id}/scans/{scan_id}"

    @api.get(
        SCAN + ":renderings",
        summary="Presigned URLs of the scan's images (false colour, thumbnail, overlay, "
        "regions). Roles: officer, analyst, supervisor, auditor, service",
        operation_id="GetScanRenderings",
    )
    async def renderings(
        scanner_id: str, scan_id: str, who: Annotated[Principal, Depends(readers)]
    ) -> Response:
        request = pb.GetScanRenderingsRequest(name=scan(scanner_id, scan_id))
        return message_response(await gw.call(b.scanner.GetScanRenderings, request, who))

    @api.get(
        SCAN,
        summary="Get a scan with its analysis, verdict and inspection. "
        "Roles: officer, analyst, supervisor, auditor, service",
        operation_id="GetScan",
    )
    async def get_scan(
        scanner_id: str, scan_id: str, who: Annotated[Principal, Depends(readers)]
    ) -> Response:
        reply = await gw.call(
            b.scanner.GetScan, pb.GetScanRequest(name=scan(scanner_id, scan_id)), who
        )
        return message_response(reply.scan)

    @api.post(
        SCAN + ":decide",
        summary="The analyst's verdict: CLEAR or HOLD. Roles: analyst",
        operation_id="DecideScan",
    )
    async def decide(
        scanner_id: str, scan_id: str, body: Verdict, who: Annotated[Principal, Depends(analysts)]
    ) -> Response:
        try:
            decision = pb.Decision.Value(f"DECISION_{body.decision.upper()}")
        except ValueError as exc:
            raise invalid("decision", "must be CLEAR or HOLD") from exc
        request = pb.DecideScanRequest(
            name=scan(scanner_id, scan_id), decision=decision, note=body.note
        )
        return message_response((await gw.call(b.scanner.DecideScan, request, who)).scan)

    @api.post(
        SCAN + ":recordInspection",
        summary="The outcome of the physical inspection. Roles: officer",
        operation_id="RecordInspection",
    )
    async def record_inspection(
        scanner_id: str,
        scan_id: str,
        body: Inspection,
        who: Annotated[Principal, Depends(officers)],
    ) -> Response:
        outcome = pb.InspectionOutcome(
            violation_found=body.violation_found, description=body.description
        )
        request = pb.RecordInspectionRequest(name=scan(scanner_id, scan_id), outcome=outcome)
        return message_response((await gw.call(b.scanner.RecordInspection, request, who)).scan)

    @api.get(
        SCAN + "/annotations",
        summary="The scan's annotations, AIP-158. "
        "Roles: officer, analyst, supervisor, auditor, service",
        operation_id="ListAnnotations",
    )
    async def list_annotations(
        scanner_id: str,
        scan_id: str,
        who: Annotated[Principal, Depends(readers)],
        page_size: PageSize = 0,
        page_token: PageToken = "",
    ) -> Response:
        request = pb.ListAnnotationsRequest(
            parent=scan(scanner_id, scan_id), page_size=page_size, page_token=page_token
        )
        return message_response(await gw.call(b.scanner.ListAnnotations, request, who))

    @api.post(
        SCAN + "/annotations",
        summary="Mark a region of the scan (rectangle or polygon in image pixels). Roles: analyst",
        operation_id="CreateAnnotation",
        status_code=201,
    )
    async def create_annotation(
        scanner_id: str,
        scan_id: str,
        body: JsonBody,
        who: Annotated[Principal, Depends(analysts)],
    ) -> Response:
        annotation = parse_body(body, pb.Annotation())
        request = pb.CreateAnnotationRequest(
            parent=scan(scanner_id, scan_id), annotation=annotation
        )
        reply = await gw.call(b.scanner.CreateAnnotation, request, who, body="annotation")
        return message_response(reply.annotation, 201)

    @api.get(
        "/v1/ruleStatistics",
        summary="Per automated rule: flagged, held, inspected, confirmed. "
        "Roles: analyst, supervisor, auditor",
        operation_id="GetRuleStatistics",
    )
    async def rule_statistics(
        who: Annotated[Principal, Depends(statistics)], scanner: str = "", site: str = ""
    ) -> Response:
        request = pb.GetRuleStatisticsRequest(scanner=scanner, site=site)
        return message_response(await gw.call(b.scanner.GetRuleStatistics, request, who))

    return api
