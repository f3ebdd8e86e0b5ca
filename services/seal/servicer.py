"""gRPC transport of the seal service: converts between proto and domain, nothing else."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import UTC as _UTC
from typing import Any

import grpc
from customs.seal.v1 import seal_pb2, seal_pb2_grpc

from services.platform.auth import EVERYONE, Role
from services.platform.enums import enum_name
from services.platform.errors import InvalidArgument, NotFound
from services.platform.guard import AccessPolicy, current_principal
from services.platform.mongo import find_page
from services.platform.names import parse_name
from services.platform.outbox import Outbox
from services.platform.paging import page_request
from services.platform.resources import ResourceCollection
from services.platform.watch import alert_stream
from services.seal import queries
from services.seal.convert import ping_batch, position
from services.seal.custody import Custody, NewAttachment
from services.seal.devices import NewSeal, register
from services.seal.ingest import Ack, Ingestor
from services.seal.places import route_document, route_to_proto, site_document, site_to_proto
from services.seal.queries import attachment_to_proto
from services.seal.settings import SealSettings
from services.seal.store import ATTACHMENTS

SERVICE = seal_pb2.DESCRIPTOR.services_by_name["SealService"].full_name
_READERS = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR, Role.ANALYST, Role.SERVICE})
_OFFICERS = frozenset({Role.OFFICER})
POLICY = AccessPolicy(
    SERVICE,
    {
        "CreateSeal": frozenset({Role.OFFICER, Role.SUPERVISOR, Role.SERVICE}),
        "GetSeal": EVERYONE,
        "ListSeals": EVERYONE,
        "WatchAlerts": frozenset({Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR, Role.SERVICE}),
        "GetContainerSealStatus": frozenset({Role.OFFICER, Role.SUPERVISOR, Role.SERVICE}),
        "CreateSite": frozenset({Role.SUPERVISOR, Role.SERVICE}),
        "GetSite": EVERYONE,
        "ListSites": EVERYONE,
        "CreateRoute": frozenset({Role.SUPERVISOR, Role.SERVICE}),
        "GetRoute": EVERYONE,
        "ListRoutes": EVERYONE,
        "AttachSeal": _OFFICERS,
        "ArmSeal": _OFFICERS,
        "RemoveSeal": _OFFICERS,
        "ReturnSealToStock": frozenset({Role.OFFICER, Role.SUPERVISOR}),
        "ReportSealFault": frozenset({Role.OFFICER, Role.SUPERVISOR, Role.SERVICE}),
        "StreamPings": frozenset({Role.DEVICE}),
        "GetSealStatus": _READERS,
        "GetAttachment": _READERS,
        "ListAttachments": _READERS,
        "GetTrack": _READERS,
    },
)
#: Requests of one stream being committed at once (back-pressure on a fast gateway).
_IN_FLIGHT = 64
Context = grpc.aio.ServicerContext[Any, Any]


def seal_to_proto(doc: dict[str, Any]) -> seal_pb2.Seal:
    seal = seal_pb2.Seal(
        name=doc["name"],
        manufacturer=doc["manufacturer"],
        serial_number=doc["serial_number"],
        model=doc["model"],
        firmware=doc["firmware"],
        battery_percent=doc["battery_percent"],
        state=seal_pb2.SealState.Value(f"SEAL_STATE_{doc['state']}"),
        attachment=doc.get("attachment", ""),
    )
    seal.create_time.FromDatetime(doc["create_time"])
    seal.update_time.FromDatetime(doc.get("update_time", doc["create_time"]))
    return seal


def _point(request: Any, field_path: str = "position") -> Any:
    if not request.HasField("position"):
        raise InvalidArgument.one(field_path, "is required")
    return position(request.position, field_path)


class SealServicer(seal_pb2_grpc.SealServiceServicer):
    def __init__(
        self,
        seals: ResourceCollection,
        sites: ResourceCollection,
        routes: ResourceCollection,
        outbox: Outbox,
        settings: SealSettings,
        custody: Custody,
        ingestor: Ingestor,
    ):
        self._seals = seals
        self._sites = sites
        self._routes = routes
        self._outbox = outbox
        self._settings = settings
        self._custody = custody
        self._ingestor = ingestor
        self._db = seals.collection.database

    # ------------------------------------------------------------------ devices
    async def CreateSeal(
        self, request: seal_pb2.CreateSealRequest, context: Context
    ) -> seal_pb2.CreateSealResponse:
        s = request.seal
        doc, alerts = register(
            NewSeal(
                seal_id=request.seal_id,
                manufacturer=s.manufacturer,
                serial_number=s.serial_number,
                model=s.model,
                firmware=s.firmware,
                battery_percent=s.battery_percent,
            ),
            self._settings.low_battery_percent,
        )
        doc["attachment"] = ""
        doc["update_time"] = doc["create_time"]
        await self._seals.create(doc, alerts)
        return seal_pb2.CreateSealResponse(seal=seal_to_proto(doc))

    async def GetSeal(
        self, request: seal_pb2.GetSealRequest, context: Context
    ) -> seal_pb2.GetSealResponse:
        parse_name("name", request.name, "seals")
        return seal_pb2.GetSealResponse(seal=seal_to_proto(await self._seals.get(request.name)))

    async def ListSeals(
        self, request: seal_pb2.ListSealsRequest, context: Context
    ) -> seal_pb2.ListSealsResponse:
        docs, token = await self._seals.list(page_request(request.page_size, request.page_token))
        return seal_pb2.ListSealsResponse(
            seals=[seal_to_proto(d) for d in docs], next_page_token=token
        )

    async def WatchAlerts(
        self, request: seal_pb2.WatchAlertsRequest, context: Context
    ) -> AsyncIterator[seal_pb2.WatchAlertsResponse]:
        async for response in alert_stream(
            self._outbox, request.resume_token, seal_pb2.WatchAlertsResponse
        ):
            yield response

    # ------------------------------------------------------------------ sites and routes
    async def CreateSite(
        self, request: seal_pb2.CreateSiteRequest, context: Context
    ) -> seal_pb2.CreateSiteResponse:
        doc = await self._sites.create(site_document(request.site_id, request.site))
        return seal_pb2.CreateSiteResponse(site=site_to_proto(doc))

    async def GetSite(
        self, request: seal_pb2.GetSiteRequest, context: Context
    ) -> seal_pb2.GetSiteResponse:
        parse_name("name", request.name, "sites")
        return seal_pb2.GetSiteResponse(site=site_to_proto(await self._sites.get(request.name)))

    async def ListSites(
        self, request: seal_pb2.ListSitesRequest, context: Context
    ) -> seal_pb2.ListSitesResponse:
        docs, token = await self._sites.list(page_request(request.page_size, request.page_token))
        return seal_pb2.ListSitesResponse(
            sites=[site_to_proto(d) for d in docs], next_page_token=token
        )

    async def CreateRoute(
        self, request: seal_pb2.CreateRouteRequest, context: Context
    ) -> seal_pb2.CreateRouteResponse:
        doc = await self._routes.create(route_document(request.route_id, request.route))
        return seal_pb2.CreateRouteResponse(route=route_to_proto(doc))

    async def GetRoute(
        self, request: seal_pb2.GetRouteRequest, context: Context
    ) -> seal_pb2.GetRouteResponse:
        parse_name("name", request.name, "routes")
        return seal_pb2.GetRouteResponse(route=route_to_proto(await self._routes.get(request.name)))

    async def ListRoutes(
        self, request: seal_pb2.ListRoutesRequest, context: Context
    ) -> seal_pb2.ListRoutesResponse:
        docs, token = await self._routes.list(page_request(request.page_size, request.page_token))
        return seal_pb2.ListRoutesResponse(
            routes=[route_to_proto(d) for d in docs], next_page_token=token
        )

    # ------------------------------------------------------------------ lifecycle
    async def AttachSeal(
        self, request: seal_pb2.AttachSealRequest, context: Context
    ) -> seal_pb2.AttachSealResponse:
        a = request.attachment
        seal, att = await self._custody.attach(
            NewAttachment(
                seal=request.name,
                attachment_id=request.attachment_id,
                container_number=a.container_number.value,
                transit_declaration=a.transit_declaration,
                origin=a.origin,
                destination=a.destination,
                route=a.route,
                deadline=a.deadline.ToDatetime(tzinfo=_UTC) if a.HasField("deadline") else None,
                officer=current_principal().subject,
                position=position(request.position, "position")
                if request.HasField("position")
                else None,
            )
        )
        return seal_pb2.AttachSealResponse(
            seal=seal_to_proto(seal), attachment=attachment_to_proto(att)
        )

    async def ArmSeal(
        self, request: seal_pb2.ArmSealRequest, context: Context
    ) -> seal_pb2.ArmSealResponse:
        parse_name("name", request.name, "seals")
        seal, att = await self._custody.arm(
            request.name, _point(request), current_principal().subject
        )
        return seal_pb2.ArmSealResponse(
            seal=seal_to_proto(seal), attachment=attachment_to_proto(att)
        )

    async def RemoveSeal(
        self, request: seal_pb2.RemoveSealRequest, context: Context
    ) -> seal_pb2.RemoveSealResponse:
        parse_name("name", request.name, "seals")
        seal, att = await self._custody.remove(
            request.name, _point(request), current_principal().subject
        )
        return seal_pb2.RemoveSealResponse(
            seal=seal_to_proto(seal), attachment=attachment_to_proto(att)
        )

    async def ReturnSealToStock(
        self, request: seal_pb2.ReturnSealToStockRequest, context: Context
    ) -> seal_pb2.ReturnSealToStockResponse:
        seal = await self._custody.return_to_stock(request.name)
        return seal_pb2.ReturnSealToStockResponse(seal=seal_to_proto(seal))

    async def ReportSealFault(
        self, request: seal_pb2.ReportSealFaultRequest, context: Context
    ) -> seal_pb2.ReportSealFaultResponse:
        seal = await self._custody.report_fault(request.name, request.reason)
        return seal_pb2.ReportSealFaultResponse(seal=seal_to_proto(seal))

    # ------------------------------------------------------------------ pings
    async def StreamPings(
        self,
        request_iterator: AsyncIterator[seal_pb2.StreamPingsRequest],
        context: Context,
    ) -> AsyncIterator[seal_pb2.StreamPingsResponse]:
        pending: asyncio.Queue[tuple[str, asyncio.Future[Ack]] | Exception | None] = asyncio.Queue(
            _IN_FLIGHT
        )
        limit = self._settings.max_pings_per_request

        async def read() -> None:
            try:
                async for request in request_iterator:
                    parse_name("seal", request.seal, "seals")
                    batch = ping_batch(request.pings, round(time.time(), 3), limit)
                    await pending.put((request.seal, self._ingestor.submit(request.seal, batch)))
                await pending.put(None)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # handed to the writer, which raises it in the RPC
                await pending.put(exc)

        reader = asyncio.create_task(read())
        acknowledged = 0
        try:
            while True:
                item = await pending.get()
                if item is None:
                    break
                if isinstance(item, Exception):
                    raise item
                seal, future = item
                ack = await future
                acknowledged += 1
                yield seal_pb2.StreamPingsResponse(
                    seal=seal,
                    acknowledged_requests=acknowledged,
                    highest_seq=max(ack.highest_seq, 0),
                    accepted=ack.accepted,
                    duplicates=ack.duplicates,
                    clock_drift_seqs=ack.clock_drift_seqs,
                )
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader

    # ------------------------------------------------------------------ queries
    async def GetContainerSealStatus(
        self, request: seal_pb2.GetContainerSealStatusRequest, context: Context
    ) -> seal_pb2.GetContainerSealStatusResponse:
        return await queries.container_status(self._db, request.container_number.value)

    async def GetSealStatus(
        self, request: seal_pb2.GetSealStatusRequest, context: Context
    ) -> seal_pb2.GetSealStatusResponse:
        parse_name("name", request.name, "seals")
        seal = await self._seals.get(request.name)
        att, alerts = await queries.seal_status(self._db, seal)
        out = seal_pb2.GetSealStatusResponse(seal=seal_to_proto(seal), open_alerts=alerts)
        if att is not None:
            out.attachment.CopyFrom(await queries.attachment_detail(self._db, att))
        return out

    async def GetAttachment(
        self, request: seal_pb2.GetAttachmentRequest, context: Context
    ) -> seal_pb2.GetAttachmentResponse:
        parse_name("name", request.name, "attachments")
        doc = await self._db[ATTACHMENTS].find_one({"name": request.name})
        if doc is None:
            raise NotFound(f"attachment {request.name} not found", "NOT_FOUND")
        return seal_pb2.GetAttachmentResponse(
            attachment=await queries.attachment_detail(self._db, doc)
        )

    async def ListAttachments(
        self, request: seal_pb2.ListAttachmentsRequest, context: Context
    ) -> seal_pb2.ListAttachmentsResponse:
        query: dict[str, Any] = {}
        if request.state:
            query["state"] = enum_name(seal_pb2.SealState, request.state, "state", "SEAL_STATE_")
        if request.origin:
            parse_name("origin", request.origin, "sites")
            query["origin"] = request.origin
        if request.destination:
            parse_name("destination", request.destination, "sites")
            query["destination"] = request.destination
        if request.open_only:
            query["closed"] = False
        fingerprint = repr(sorted(query.items()))
        page = page_request(request.page_size, request.page_token, fingerprint)
        docs, token = await find_page(self._db[ATTACHMENTS], query, page, fingerprint)
        return seal_pb2.ListAttachmentsResponse(
            attachments=[attachment_to_proto(d) for d in docs], next_page_token=token
        )

    async def GetTrack(
        self, request: seal_pb2.GetTrackRequest, context: Context
    ) -> seal_pb2.GetTrackResponse:
        parse_name("attachment", request.attachment, "attachments")
        start = (
            request.start_time.ToDatetime(tzinfo=_UTC) if request.HasField("start_time") else None
        )
        end = request.end_time.ToDatetime(tzinfo=_UTC) if request.HasField("end_time") else None
        return await queries.track(self._db, request.attachment, start, end, request.tolerance_m)
