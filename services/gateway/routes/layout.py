"""The camera service's layout: sites, gates, lanes and cameras."""

from typing import Annotated

from customs.camera.v1 import camera_pb2 as pb
from fastapi import APIRouter, Depends, Query, Response

from services.gateway.context import (
    ANYONE,
    SUPERVISORS,
    Gateway,
    JsonBody,
    PageSize,
    PageToken,
    message_response,
)
from services.gateway.json_input import parse_body
from services.platform.auth import Principal


def router(gw: Gateway) -> APIRouter:
    api = APIRouter(tags=["camera"])
    anyone = gw.caller(ANYONE)
    supervisors = gw.caller(SUPERVISORS)
    cam = gw.backends

    @api.get("/v1/sites", summary="List sites (AIP-158). Roles: any", operation_id="ListSites")
    async def list_sites(
        who: Annotated[Principal, Depends(anyone)],
        page_size: PageSize = 0,
        page_token: PageToken = "",
    ) -> Response:
        request = pb.ListSitesRequest(page_size=page_size, page_token=page_token)
        return message_response(await gw.call(cam.camera.ListSites, request, who))

    @api.post(
        "/v1/sites",
        summary="Register a controlled site. Roles: supervisor",
        operation_id="CreateSite",
        status_code=201,
    )
    async def create_site(
        site_id: Annotated[str, Query()],
        body: JsonBody,
        who: Annotated[Principal, Depends(supervisors)],
    ) -> Response:
        site = parse_body(body, pb.Site())
        reply = await gw.call(
            cam.camera.CreateSite,
            pb.CreateSiteRequest(site_id=site_id, site=site),
            who,
            body="site",
        )
        return message_response(reply.site, 201)

    @api.post(
        "/v1/sites/{site_id}/gates",
        summary="Add a gate to a site. Roles: supervisor",
        operation_id="CreateGate",
        status_code=201,
    )
    async def create_gate(
        site_id: str,
        gate_id: Annotated[str, Query()],
        body: JsonBody,
        who: Annotated[Principal, Depends(supervisors)],
    ) -> Response:
        gate = parse_body(body, pb.Gate())
        request = pb.CreateGateRequest(parent=f"sites/{site_id}", gate_id=gate_id, gate=gate)
        return message_response(
            (await gw.call(cam.camera.CreateGate, request, who, body="gate")).gate, 201
        )

    @api.post(
        "/v1/sites/{site_id}/gates/{gate_id}/lanes",
        summary="Add an entry or exit lane to a gate. Roles: supervisor",
        operation_id="CreateLane",
        status_code=201,
    )
    async def create_lane(
        site_id: str,
        gate_id: str,
        lane_id: Annotated[str, Query()],
        body: JsonBody,
        who: Annotated[Principal, Depends(supervisors)],
    ) -> Response:
        lane = parse_body(body, pb.Lane())
        request = pb.CreateLaneRequest(
            parent=f"sites/{site_id}/gates/{gate_id}", lane_id=lane_id, lane=lane
        )
        return message_response(
            (await gw.call(cam.camera.CreateLane, request, who, body="lane")).lane, 201
        )

    @api.post(
        "/v1/sites/{site_id}/cameras",
        summary="Register a camera at a site. Roles: supervisor",
        operation_id="CreateCamera",
        status_code=201,
    )
    async def create_camera(
        site_id: str,
        camera_id: Annotated[str, Query()],
        body: JsonBody,
        who: Annotated[Principal, Depends(supervisors)],
    ) -> Response:
        camera = parse_body(body, pb.Camera())
        request = pb.CreateCameraRequest(
            parent=f"sites/{site_id}", camera_id=camera_id, camera=camera
        )
        return message_response(
            (await gw.call(cam.camera.CreateCamera, request, who, body="camera")).camera, 201
        )

    @api.get("/v1/sites/{site_id}", summary="Get a site. Roles: any", operation_id="GetSite")
    async def get_site(site_id: str, who: Annotated[Principal, Depends(anyone)]) -> Response:
        reply = await gw.call(cam.camera.GetSite, pb.GetSiteRequest(name=f"sites/{site_id}"), who)
        return message_response(reply.site)

    @api.get(
        "/v1/sites/{site_id}/gates",
        summary="List a site's gates. Roles: any",
        operation_id="ListGates",
    )
    async def list_gates(
        site_id: str,
        who: Annotated[Principal, Depends(anyone)],
        page_size: PageSize = 0,
        page_token: PageToken = "",
    ) -> Response:
        request = pb.ListGatesRequest(
            parent=f"sites/{site_id}", page_size=page_size, page_token=page_token
        )
        return message_response(await gw.call(cam.camera.ListGates, request, who))

    @api.get(
        "/v1/sites/{site_id}/gates/{gate_id}/lanes",
        summary="List a gate's lanes. Roles: any",
        operation_id="ListLanes",
    )
    async def list_lanes(
        site_id: str,
        gate_id: str,
        who: Annotated[Principal, Depends(anyone)],
        page_size: PageSize = 0,
        page_token: PageToken = "",
    ) -> Response:
        request = pb.ListLanesRequest(
            parent=f"sites/{site_id}/gates/{gate_id}", page_size=page_size, page_token=page_token
        )
        return message_response(await gw.call(cam.camera.ListLanes, request, who))

    @api.get(
        "/v1/sites/{site_id}/cameras",
        summary="List a site's cameras. Roles: any",
        operation_id="ListCameras",
    )
    async def list_cameras(
        site_id: str,
        who: Annotated[Principal, Depends(anyone)],
        page_size: PageSize = 0,
        page_token: PageToken = "",
    ) -> Response:
        request = pb.ListCamerasRequest(
            parent=f"sites/{site_id}", page_size=page_size, page_token=page_token
        )
        return message_response(await gw.call(cam.camera.ListCameras, request, who))

    return api
