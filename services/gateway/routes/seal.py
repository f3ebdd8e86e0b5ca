"""Seals and transits: devices, attachments to containers, arming and removal, status, tracks
(GeoJSON), planned routes with corridors, and the seal service's geofenced sites."""

import json
from typing import Annotated

from customs.common.v1 import geo_pb2
from customs.seal.v1 import seal_pb2 as pb
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from services.gateway.context import (
    ANYONE,
    Gateway,
    JsonBody,
    PageSize,
    PageToken,
    json_response,
    message_response,
)
from services.gateway.json_input import TimeQuery, parse_body, timestamp_query
from services.gateway.problems import invalid
from services.platform.auth import Principal, Role

SEAL = "/v1/seals/{seal_id}"
READERS = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR, Role.ANALYST, Role.SERVICE})
KEEPERS = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.SERVICE})
PLANNERS = frozenset({Role.SUPERVISOR, Role.SERVICE})


class Position(BaseModel):
    """Where the officer stands with the seal (WGS84)."""

    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)

    def proto(self) -> geo_pb2.GeoPoint:
        return geo_pb2.GeoPoint(latitude=self.latitude, longitude=self.longitude)


class PositionBody(BaseModel):
    position: Position


class Fault(BaseModel):
    reason: str = Field(min_length=1)


def router(gw: Gateway) -> APIRouter:
    api = APIRouter(tags=["seal"])
    anyone = gw.caller(ANYONE)
    readers = gw.caller(READERS)
    keepers = gw.caller(KEEPERS)
    officers = gw.caller({Role.OFFICER})
    stockers = gw.caller({Role.OFFICER, Role.SUPERVISOR})
    planners = gw.caller(PLANNERS)
    b = gw.backends

    @api.get("/v1/seals", summary="List seals (AIP-158). Roles: any", operation_id="ListSeals")
    async def list_seals(
        who: Annotated[Principal, Depends(anyone)],
        page_size: PageSize = 0,
        page_token: PageToken = "",
    ) -> Response:
        request = pb.ListSealsRequest(page_size=page_size, page_token=page_token)
        return message_response(await gw.call(b.seal.ListSeals, request, who))

    @api.post(
        "/v1/seals",
        summary="Register a seal device in stock. Roles: officer, supervisor, service",
        operation_id="CreateSeal",
        status_code=201,
    )
    async def create_seal(
        seal_id: Annotated[str, Query()],
        body: JsonBody,
        who: Annotated[Principal, Depends(keepers)],
    ) -> Response:
        seal = parse_body(body, pb.Seal())
        reply = await gw.call(
            b.seal.CreateSeal, pb.CreateSealRequest(seal_id=seal_id, seal=seal), who, body="seal"
        )
        return message_response(reply.seal, 201)

    @api.get(
        SEAL + ":status",
        summary="A seal's attachment, last ping and open alerts. "
        "Roles: officer, supervisor, auditor, analyst, service",
        operation_id="GetSealStatus",
    )
    async def seal_status(seal_id: str, who: Annotated[Principal, Depends(readers)]) -> Response:
        request = pb.GetSealStatusRequest(name=f"seals/{seal_id}")
        return message_response(await gw.call(b.seal.GetSealStatus, request, who))

    @api.get(SEAL, summary="Get a seal. Roles: any", operation_id="GetSeal")
    async def get_seal(seal_id: str, who: Annotated[Principal, Depends(anyone)]) -> Response:
        reply = await gw.call(b.seal.GetSeal, pb.GetSealRequest(name=f"seals/{seal_id}"), who)
        return message_response(reply.seal)

    @api.post(
        SEAL + ":attach",
        summary="Attach a seal in stock to a container for a transit, at the origin (latitude "
        "and longitude: where the officer stands, inside the origin's geofence). Roles: officer",
        operation_id="AttachSeal",
    )
    async def attach(
        seal_id: str,
        attachment_id: Annotated[str, Query()],
        latitude: Annotated[float, Query(ge=-90, le=90)],
        longitude: Annotated[float, Query(ge=-180, le=180)],
        body: JsonBody,
        who: Annotated[Principal, Depends(officers)],
    ) -> Response:
        attachment = parse_body(body, pb.Attachment())
        request = pb.AttachSealRequest(
            name=f"seals/{seal_id}",
            attachment_id=attachment_id,
            attachment=attachment,
            position=Position(latitude=latitude, longitude=longitude).proto(),
        )
        return message_response(await gw.call(b.seal.AttachSeal, request, who, body="attachment"))

    @api.post(
        SEAL + ":arm",
        summary="Arm an attached seal inside the origin's geofence. Roles: officer",
        operation_id="ArmSeal",
    )
    async def arm(
        seal_id: str, body: PositionBody, who: Annotated[Principal, Depends(officers)]
    ) -> Response:
        request = pb.ArmSealRequest(name=f"seals/{seal_id}", position=body.position.proto())
        return message_response(await gw.call(b.seal.ArmSeal, request, who))

    @api.post(
        SEAL + ":remove",
        summary="Remove an arrived seal inside the destination's geofence. Roles: officer",
        operation_id="RemoveSeal",
    )
    async def remove(
        seal_id: str, body: PositionBody, who: Annotated[Principal, Depends(officers)]
    ) -> Response:
        request = pb.RemoveSealRequest(name=f"seals/{seal_id}", position=body.position.proto())
        return message_response(await gw.call(b.seal.RemoveSeal, request, who))

    @api.post(
        SEAL + ":returnToStock",
        summary="Put a removed or repaired seal back in stock. Roles: officer, supervisor",
        operation_id="ReturnSealToStock",
    )
    async def return_to_stock(
        seal_id: str, who: Annotated[Principal, Depends(stockers)]
    ) -> Response:
        request = pb.ReturnSealToStockRequest(name=f"seals/{seal_id}")
        return message_response((await gw.call(b.seal.ReturnSealToStock, request, who)).seal)

    @api.post(
        SEAL + ":reportFault",
        summary="Declare a seal out of service. Roles: officer, supervisor, service",
        operation_id="ReportSealFault",
    )
    async def report_fault(
        seal_id: str, body: Fault, who: Annotated[Principal, Depends(keepers)]
    ) -> Response:
        request = pb.ReportSealFaultRequest(name=f"seals/{seal_id}", reason=body.reason)
        return message_response((await gw.call(b.seal.ReportSealFault, request, who)).seal)

    @api.get(
        "/v1/attachments",
        summary="List attachments (transits), filtered, AIP-158. "
        "Roles: officer, supervisor, auditor, analyst, service",
        operation_id="ListAttachments",
    )
    async def list_attachments(
        who: Annotated[Principal, Depends(readers)],
        open_only: bool = False,
        origin: str = "",
        destination: str = "",
        state: Annotated[str, Query(description="ATTACHED, IN_TRANSIT, ARRIVED, ...")] = "",
        page_size: PageSize = 0,
        page_token: PageToken = "",
    ) -> Response:
        try:
            value = pb.SealState.Value(f"SEAL_STATE_{(state or 'unspecified').upper()}")
        except ValueError as exc:
            raise invalid("state", "is not a seal state") from exc
        request = pb.ListAttachmentsRequest(
            open_only=open_only,
            origin=origin,
            destination=destination,
            state=value,
            page_size=page_size,
            page_token=page_token,
        )
        return message_response(await gw.call(b.seal.ListAttachments, request, who))

    @api.get(
        "/v1/attachments/{attachment_id}",
        summary="Get an attachment. Roles: officer, supervisor, auditor, analyst, service",
        operation_id="GetAttachment",
    )
    async def get_attachment(
        attachment_id: str, who: Annotated[Principal, Depends(readers)]
    ) -> Response:
        request = pb.GetAttachmentRequest(name=f"attachments/{attachment_id}")
        return message_response((await gw.call(b.seal.GetAttachment, request, who)).attachment)

    @api.get(
        "/v1/attachments/{attachment_id}/track",
        summary="The transit's track as GeoJSON, simplified to a tolerance. "
        "Roles: officer, supervisor, auditor, analyst, service",
        operation_id="GetTrack",
    )
    async def get_track(
        attachment_id: str,
        who: Annotated[Principal, Depends(readers)],
        start_time: TimeQuery = "",
        end_time: TimeQuery = "",
        tolerance_m: Annotated[float, Query(ge=0)] = 0.0,
    ) -> Response:
        request = pb.GetTrackRequest(
            attachment=f"attachments/{attachment_id}", tolerance_m=tolerance_m
        )
        for name, value in (("start_time", start_time), ("end_time", end_time)):
            stamp = timestamp_query(value, name)
            if stamp is not None:
                getattr(request, name).CopyFrom(stamp)
        reply = await gw.call(b.seal.GetTrack, request, who)
        return json_response(
            {
                "geojson": json.loads(reply.geojson or "{}"),
                "total_points": reply.total_points,
                "returned_points": reply.returned_points,
            }
        )

    @api.get("/v1/routes", summary="List planned routes. Roles: any", operation_id="ListRoutes")
    async def list_routes(
        who: Annotated[Principal, Depends(anyone)],
        page_size: PageSize = 0,
        page_token: PageToken = "",
    ) -> Response:
        request = pb.ListRoutesRequest(page_size=page_size, page_token=page_token)
        return message_response(await gw.call(b.seal.ListRoutes, request, who))

    @api.post(
        "/v1/routes",
        summary="Plan a route with its corridor and stop zones. Roles: supervisor, service",
        operation_id="CreateRoute",
        status_code=201,
    )
    async def create_route(
        route_id: Annotated[str, Query()],
        body: JsonBody,
        who: Annotated[Principal, Depends(planners)],
    ) -> Response:
        route = parse_body(body, pb.Route())
        reply = await gw.call(
            b.seal.CreateRoute,
            pb.CreateRouteRequest(route_id=route_id, route=route),
            who,
            body="route",
        )
        return message_response(reply.route, 201)

    @api.get("/v1/routes/{route_id}", summary="Get a route. Roles: any", operation_id="GetRoute")
    async def get_route(route_id: str, who: Annotated[Principal, Depends(anyone)]) -> Response:
        reply = await gw.call(b.seal.GetRoute, pb.GetRouteRequest(name=f"routes/{route_id}"), who)
        return message_response(reply.route)

    @api.get(
        "/v1/sealSites",
        summary="The seal service's sites (origin and destination geofences). Roles: any",
        operation_id="ListSealSites",
    )
    async def list_seal_sites(
        who: Annotated[Principal, Depends(anyone)],
        page_size: PageSize = 0,
        page_token: PageToken = "",
    ) -> Response:
        request = pb.ListSitesRequest(page_size=page_size, page_token=page_token)
        return message_response(await gw.call(b.seal.ListSites, request, who))

    @api.post(
        "/v1/sealSites",
        summary="Create a seal site with its geofence. Roles: supervisor, service",
        operation_id="CreateSealSite",
        status_code=201,
    )
    async def create_seal_site(
        site_id: Annotated[str, Query()],
        body: JsonBody,
        who: Annotated[Principal, Depends(planners)],
    ) -> Response:
        site = parse_body(body, pb.Site())
        reply = await gw.call(
            b.seal.CreateSite, pb.CreateSiteRequest(site_id=site_id, site=site), who, body="site"
        )
        return message_response(reply.site, 201)

    @api.get(
        "/v1/sealSites/{site_id}", summary="Get a seal site. Roles: any", operation_id="GetSealSite"
    )
    async def get_seal_site(site_id: str, who: Annotated[Principal, Depends(anyone)]) -> Response:
        reply = await gw.call(b.seal.GetSite, pb.GetSiteRequest(name=f"sites/{site_id}"), who)
        return message_response(reply.site)

    return api
