"""gRPC transport of the camera service: converts between proto and domain, nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
from customs.camera.v1 import camera_pb2, camera_pb2_grpc
from customs.common.v1 import geo_pb2
from pymongo.errors import DuplicateKeyError

from services.camera import inputs, layout, render
from services.camera.events import (
    recognition_document,
    scale_document,
    snapshot_key,
)
from services.camera.passage_store import PassageStore
from services.camera.processing import PassageProcessor
from services.camera.settings import CameraSettings
from services.camera.sites import NewSite, register
from services.camera.watchlist_store import NewEntry, WatchlistStore, entry_document
from services.platform.auth import EVERYONE, Role
from services.platform.enums import enum_name
from services.platform.errors import InvalidArgument, NotFound
from services.platform.guard import AccessPolicy, current_principal
from services.platform.mongo import Document
from services.platform.names import parse_name
from services.platform.objects import ObjectStore
from services.platform.outbox import Outbox
from services.platform.paging import Page, page_request
from services.platform.resources import ResourceCollection
from services.platform.watch import alert_stream

SERVICE = camera_pb2.DESCRIPTOR.services_by_name["CameraService"].full_name
_WATCHERS = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR, Role.SERVICE})
_DEVICES = frozenset({Role.DEVICE, Role.SERVICE})
POLICY = AccessPolicy(
    SERVICE,
    {
        "CreateSite": frozenset({Role.SUPERVISOR}),
        "GetSite": EVERYONE,
        "ListSites": EVERYONE,
        "WatchAlerts": _WATCHERS,
        "CreateGate": frozenset({Role.SUPERVISOR}),
        "ListGates": EVERYONE,
        "CreateLane": frozenset({Role.SUPERVISOR}),
        "ListLanes": EVERYONE,
        "CreateCamera": frozenset({Role.SUPERVISOR}),
        "ListCameras": EVERYONE,
        "RecordRecognitionEvent": _DEVICES,
        "RecordScaleReading": _DEVICES,
        "GetPassage": EVERYONE,
        "ListPassages": _WATCHERS,
        "ClosePassage": frozenset({Role.DEVICE, Role.OFFICER, Role.SUPERVISOR, Role.SERVICE}),
        "OverrideBarrier": frozenset({Role.SUPERVISOR}),
        "ListBarrierCommands": _WATCHERS | {Role.DEVICE},
        "GetLastSighting": _WATCHERS,
        "CreateWatchlistEntry": frozenset({Role.SUPERVISOR}),
        "ListWatchlistEntries": _WATCHERS,
        "DeleteWatchlistEntry": frozenset({Role.SUPERVISOR}),
    },
)
Context = grpc.aio.ServicerContext[Any, Any]


def site_to_proto(doc: dict[str, Any]) -> camera_pb2.Site:
    lat, lon = doc["location"]
    site = camera_pb2.Site(
        name=doc["name"],
        display_name=doc["display_name"],
        kind=camera_pb2.SiteKind.Value(f"SITE_KIND_{doc['kind']}"),
        location=geo_pb2.GeoPoint(latitude=lat, longitude=lon),
        country_code=doc["country_code"],
    )
    site.create_time.FromDatetime(doc["create_time"])
    return site


class CameraServicer(camera_pb2_grpc.CameraServiceServicer):
    def __init__(
        self,
        collections: dict[str, ResourceCollection],
        store: PassageStore,
        watchlist: WatchlistStore,
        processor: PassageProcessor,
        objects: ObjectStore,
        outbox: Outbox,
        settings: CameraSettings,
    ):
        self._sites = collections["sites"]
        self._gates = collections["gates"]
        self._lanes = collections["lanes"]
        self._cameras = collections["cameras"]
        self._commands = collections["barrier_commands"]
        self._watchlist = watchlist
        self._store = store
        self._processor = processor
        self._objects = objects
        self._outbox = outbox
        self._settings = settings

    async def _passage(self, doc: Document) -> camera_pb2.Passage:
        return await render.passage(doc, self._objects, self._settings.snapshot_url_ttl)

    # Sites, gates, lanes, cameras ---------------------------------------------------------

    async def CreateSite(
        self, request: camera_pb2.CreateSiteRequest, context: Context
    ) -> camera_pb2.CreateSiteResponse:
        s = request.site
        doc = register(
            NewSite(
                site_id=request.site_id,
                display_name=s.display_name,
                kind=enum_name(camera_pb2.SiteKind, s.kind, "site.kind", "SITE_KIND_"),
                latitude=s.location.latitude,
                longitude=s.location.longitude,
                has_location=s.HasField("location"),
                country_code=s.country_code,
            )
        )
        await self._sites.create(doc)
        return camera_pb2.CreateSiteResponse(site=site_to_proto(doc))

    async def GetSite(
        self, request: camera_pb2.GetSiteRequest, context: Context
    ) -> camera_pb2.GetSiteResponse:
        parse_name("name", request.name, "sites")
        return camera_pb2.GetSiteResponse(site=site_to_proto(await self._sites.get(request.name)))

    async def ListSites(
        self, request: camera_pb2.ListSitesRequest, context: Context
    ) -> camera_pb2.ListSitesResponse:
        docs, token = await self._sites.list(page_request(request.page_size, request.page_token))
        return camera_pb2.ListSitesResponse(
            sites=[site_to_proto(d) for d in docs], next_page_token=token
        )

    async def CreateGate(
        self, request: camera_pb2.CreateGateRequest, context: Context
    ) -> camera_pb2.CreateGateResponse:
        inputs.require(layout.is_site(request.parent), "parent", "'sites/{site_id}'")
        await self._sites.get(request.parent)
        g = request.gate
        doc = layout.gate_document(
            layout.NewGate(
                request.parent,
                request.gate_id,
                g.display_name,
                g.HasField("location"),
                g.location.latitude,
                g.location.longitude,
            )
        )
        await self._gates.create(doc)
        return camera_pb2.CreateGateResponse(gate=render.gate(doc))

    async def ListGates(
        self, request: camera_pb2.ListGatesRequest, context: Context
    ) -> camera_pb2.ListGatesResponse:
        inputs.require(layout.is_site(request.parent), "parent", "'sites/{site_id}'")
        page = page_request(request.page_size, request.page_token, request.parent)
        docs, token = await self._gates.list(page, {"site": request.parent}, request.parent)
        return camera_pb2.ListGatesResponse(
            gates=[render.gate(d) for d in docs], next_page_token=token
        )

    async def CreateLane(
        self, request: camera_pb2.CreateLaneRequest, context: Context
    ) -> camera_pb2.CreateLaneResponse:
        inputs.require(
            layout.is_gate(request.parent), "parent", "'sites/{site_id}/gates/{gate_id}'"
        )
        gate = await self._gates.get(request.parent)
        site = await self._sites.get(gate["site"])
        ln = request.lane
        doc = layout.lane_document(
            layout.NewLane(
                request.parent,
                request.lane_id,
                ln.display_name,
                inputs.enum_name(camera_pb2.LaneDirection, ln.direction, "LANE_DIRECTION_"),
                ln.country_hint,
            ),
            site["country_code"],
            gate["location"] or site["location"],
        )
        await self._lanes.create(doc)
        return camera_pb2.CreateLaneResponse(lane=render.lane(doc))

    async def ListLanes(
        self, request: camera_pb2.ListLanesRequest, context: Context
    ) -> camera_pb2.ListLanesResponse:
        inputs.require(
            layout.is_gate(request.parent), "parent", "'sites/{site_id}/gates/{gate_id}'"
        )
        page = page_request(request.page_size, request.page_token, request.parent)
        docs, token = await self._lanes.list(page, {"gate": request.parent}, request.parent)
        return camera_pb2.ListLanesResponse(
            lanes=[render.lane(d) for d in docs], next_page_token=token
        )

    async def CreateCamera(
        self, request: camera_pb2.CreateCameraRequest, context: Context
    ) -> camera_pb2.CreateCameraResponse:
        inputs.require(layout.is_site(request.parent), "parent", "'sites/{site_id}'")
        await self._sites.get(request.parent)
        c = request.camera
        doc = layout.camera_document(
            layout.NewCamera(
                request.parent,
                request.camera_id,
                c.display_name,
                inputs.enum_name(camera_pb2.CameraKind, c.kind, "CAMERA_KIND_"),
                c.stream_address,
                c.HasField("position"),
                c.position.latitude,
                c.position.longitude,
                c.lane,
            )
        )
        if doc["lane"]:
            try:
                await self._lanes.get(doc["lane"])
            except NotFound as exc:
                raise InvalidArgument.one("camera.lane", "is not a registered lane") from exc
        await self._cameras.create(doc)
        return camera_pb2.CreateCameraResponse(camera=render.camera(doc))

    async def ListCameras(
        self, request: camera_pb2.ListCamerasRequest, context: Context
    ) -> camera_pb2.ListCamerasResponse:
        inputs.require(layout.is_site(request.parent), "parent", "'sites/{site_id}'")
        page = page_request(request.page_size, request.page_token, request.parent)
        docs, token = await self._cameras.list(page, {"site": request.parent}, request.parent)
        return camera_pb2.ListCamerasResponse(
            cameras=[render.camera(d) for d in docs], next_page_token=token
        )

    # Lane events -------------------------------------------------------------------------

    async def _lane(self, parent: str) -> Document:
        inputs.require(layout.is_lane(parent), "parent", "'sites/{site}/gates/{gate}/lanes/{lane}'")
        return await self._store.lane(parent)

    async def _record(self, lane: Document, doc: Document) -> tuple[Document, Document]:
        """Stores an event (idempotent by name); returns it and its passage."""
        try:
            stored, passage, closed = await self._store.record(lane, doc, self._settings.assembly)
        except DuplicateKeyError:
            existing = await self._store.event(doc["name"])
            assert existing is not None
            return existing, await self._store.passage(existing["passage"])
        if closed is not None:
            self._processor.process_later(closed)
        return stored, passage

    async def RecordRecognitionEvent(
        self, request: camera_pb2.RecordRecognitionEventRequest, context: Context
    ) -> camera_pb2.RecordRecognitionEventResponse:
        lane = await self._lane(request.parent)
        e = request.recognition_event
        doc = recognition_document(
            inputs.recognition_input(lane, request),
            self._settings.read_policy,
            self._settings.max_snapshot_bytes,
        )
        existing = await self._store.event(doc["name"])
        if existing is None:
            camera = await self._cameras.collection.find_one({"name": doc["camera"]})
            if camera is None:
                raise InvalidArgument.one(
                    "recognition_event.camera", "is not a registered camera of the site"
                )
            key = ""
            if e.snapshot:
                content_type = e.snapshot_content_type or "image/jpeg"
                key = snapshot_key(doc["name"], content_type)
                digest = await self._objects.put(key, e.snapshot, content_type)
                doc["snapshot"] = {"key": key, "sha256": digest, "content_type": content_type}
            try:
                stored, passage = await self._record(lane, doc)
            except BaseException:
                if key and await self._store.event(doc["name"]) is None:
                    await self._objects.remove(key)  # leave no orphan object
                raise
        else:
            stored, passage = existing, await self._store.passage(existing["passage"])
        ttl = self._settings.snapshot_url_ttl
        return camera_pb2.RecordRecognitionEventResponse(
            recognition_event=await render.recognition_event(stored, self._objects, ttl),
            passage=await self._passage(passage),
        )

    async def RecordScaleReading(
        self, request: camera_pb2.RecordScaleReadingRequest, context: Context
    ) -> camera_pb2.RecordScaleReadingResponse:
        lane = await self._lane(request.parent)
        doc = scale_document(inputs.scale_input(lane, request))
        stored, passage = await self._record(lane, doc)
        return camera_pb2.RecordScaleReadingResponse(
            scale_reading=render.scale_reading(stored), passage=await self._passage(passage)
        )

    # Passages ----------------------------------------------------------------------------

    async def GetPassage(
        self, request: camera_pb2.GetPassageRequest, context: Context
    ) -> camera_pb2.GetPassageResponse:
        doc = await self._store.passage(inputs.passage_name("name", request.name))
        return camera_pb2.GetPassageResponse(passage=await self._passage(doc))

    async def ListPassages(
        self, request: camera_pb2.ListPassagesRequest, context: Context
    ) -> camera_pb2.ListPassagesResponse:
        query, fingerprint = inputs.passage_query(
            request.parent,
            request.container_number.value,
            request.plate,
            inputs.time(request.start_time) if request.HasField("start_time") else None,
            inputs.time(request.end_time) if request.HasField("end_time") else None,
        )
        page = page_request(request.page_size, request.page_token, fingerprint)
        docs, token = await self._store.newest_first(query, page, fingerprint)
        return camera_pb2.ListPassagesResponse(
            passages=[await self._passage(d) for d in docs], next_page_token=token
        )

    async def ClosePassage(
        self, request: camera_pb2.ClosePassageRequest, context: Context
    ) -> camera_pb2.ClosePassageResponse:
        doc = await self._processor.process(inputs.passage_name("name", request.name))
        return camera_pb2.ClosePassageResponse(passage=await self._passage(doc))

    async def OverrideBarrier(
        self, request: camera_pb2.OverrideBarrierRequest, context: Context
    ) -> camera_pb2.OverrideBarrierResponse:
        name = inputs.passage_name("name", request.name)
        if not request.reason.strip():
            raise InvalidArgument.one("reason", "is required: say why the barrier is opened")
        doc, command = await self._processor.override(name, request.reason, current_principal())
        return camera_pb2.OverrideBarrierResponse(
            passage=await self._passage(doc), command=render.command(command)
        )

    async def ListBarrierCommands(
        self, request: camera_pb2.ListBarrierCommandsRequest, context: Context
    ) -> camera_pb2.ListBarrierCommandsResponse:
        inputs.require(layout.is_lane(request.parent), "parent", "a lane name")
        page = page_request(request.page_size, request.page_token, request.parent)
        docs, token = await self._commands.list(page, {"lane": request.parent}, request.parent)
        return camera_pb2.ListBarrierCommandsResponse(
            barrier_commands=[render.command(d) for d in docs], next_page_token=token
        )

    async def GetLastSighting(
        self, request: camera_pb2.GetLastSightingRequest, context: Context
    ) -> camera_pb2.GetLastSightingResponse:
        container, plate = request.container_number.value, request.plate.strip()
        if bool(container) == bool(plate):
            raise InvalidArgument.one("container_number", "give exactly one of it and plate")
        query, fingerprint = inputs.passage_query("sites/-", container, plate)
        docs, _ = await self._store.newest_first(query, Page(1, None), fingerprint)
        if not docs:
            raise NotFound(f"{container or plate} was never seen", "NOT_FOUND")
        return camera_pb2.GetLastSightingResponse(passage=await self._passage(docs[0]))

    # Watchlists --------------------------------------------------------------------------

    async def CreateWatchlistEntry(
        self, request: camera_pb2.CreateWatchlistEntryRequest, context: Context
    ) -> camera_pb2.CreateWatchlistEntryResponse:
        w = request.watchlist_entry
        doc = entry_document(
            NewEntry(
                entry_id=request.watchlist_entry_id,
                kind=inputs.enum_name(camera_pb2.WatchKind, w.kind, "WATCH_KIND_"),
                value=w.value,
                reason=w.reason,
                action=inputs.enum_name(camera_pb2.WatchAction, w.action, "WATCH_ACTION_"),
                severity=inputs.ENTRY_SEVERITY.get(w.severity, ""),
                listed_by=current_principal().subject,
            )
        )
        await self._watchlist.create(doc)
        return camera_pb2.CreateWatchlistEntryResponse(watchlist_entry=render.watchlist_entry(doc))

    async def ListWatchlistEntries(
        self, request: camera_pb2.ListWatchlistEntriesRequest, context: Context
    ) -> camera_pb2.ListWatchlistEntriesResponse:
        kind = inputs.enum_name(camera_pb2.WatchKind, request.kind, "WATCH_KIND_")
        fingerprint = f"{kind}|{request.show_deleted}"
        page = page_request(request.page_size, request.page_token, fingerprint)
        docs, token = await self._watchlist.page(kind, request.show_deleted, page, fingerprint)
        return camera_pb2.ListWatchlistEntriesResponse(
            watchlist_entries=[render.watchlist_entry(d) for d in docs], next_page_token=token
        )

    async def DeleteWatchlistEntry(
        self, request: camera_pb2.DeleteWatchlistEntryRequest, context: Context
    ) -> camera_pb2.DeleteWatchlistEntryResponse:
        parse_name("name", request.name, "watchlistEntries")
        doc = await self._watchlist.remove(
            request.name, current_principal().subject, request.reason
        )
        return camera_pb2.DeleteWatchlistEntryResponse(watchlist_entry=render.watchlist_entry(doc))

    async def WatchAlerts(
        self, request: camera_pb2.WatchAlertsRequest, context: Context
    ) -> AsyncIterator[camera_pb2.WatchAlertsResponse]:
        async for response in alert_stream(
            self._outbox, request.resume_token, camera_pb2.WatchAlertsResponse
        ):
            yield response
