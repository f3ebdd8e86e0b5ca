"""gRPC transport of the camera service: converts between proto and domain, nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
from customs.camera.v1 import camera_pb2, camera_pb2_grpc
from customs.common.v1 import geo_pb2

from services.camera.sites import NewSite, register
from services.platform.auth import EVERYONE, Role
from services.platform.guard import AccessPolicy
from services.platform.names import parse_name
from services.platform.outbox import Outbox
from services.platform.paging import page_request
from services.platform.resources import ResourceCollection
from services.platform.watch import alert_stream

SERVICE = camera_pb2.DESCRIPTOR.services_by_name["CameraService"].full_name
POLICY = AccessPolicy(
    SERVICE,
    {
        "CreateSite": frozenset({Role.SUPERVISOR}),
        "GetSite": EVERYONE,
        "ListSites": EVERYONE,
        "WatchAlerts": frozenset({Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR, Role.SERVICE}),
    },
)


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
    def __init__(self, sites: ResourceCollection, outbox: Outbox):
        self._sites = sites
        self._outbox = outbox

    async def CreateSite(
        self, request: camera_pb2.CreateSiteRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> camera_pb2.CreateSiteResponse:
        s = request.site
        doc = register(
            NewSite(
                site_id=request.site_id,
                display_name=s.display_name,
                kind=camera_pb2.SiteKind.Name(s.kind).removeprefix("SITE_KIND_"),
                latitude=s.location.latitude,
                longitude=s.location.longitude,
                has_location=s.HasField("location"),
                country_code=s.country_code,
            )
        )
        await self._sites.create(doc)
        return camera_pb2.CreateSiteResponse(site=site_to_proto(doc))

    async def GetSite(
        self, request: camera_pb2.GetSiteRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> camera_pb2.GetSiteResponse:
        parse_name("name", request.name, "sites")
        return camera_pb2.GetSiteResponse(site=site_to_proto(await self._sites.get(request.name)))

    async def ListSites(
        self, request: camera_pb2.ListSitesRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> camera_pb2.ListSitesResponse:
        docs, token = await self._sites.list(page_request(request.page_size, request.page_token))
        return camera_pb2.ListSitesResponse(
            sites=[site_to_proto(d) for d in docs], next_page_token=token
        )

    async def WatchAlerts(
        self, request: camera_pb2.WatchAlertsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[camera_pb2.WatchAlertsResponse]:
        async for response in alert_stream(
            self._outbox, request.resume_token, camera_pb2.WatchAlertsResponse
        ):
            yield response
