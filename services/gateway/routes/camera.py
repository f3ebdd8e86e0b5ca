"""Passages with their barrier decisions, sightings and watchlists (the layout of sites,
gates, lanes and cameras: layout.py)."""

from typing import Annotated

from customs.camera.v1 import camera_pb2 as pb
from customs.common.v1 import container_pb2
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from services.gateway.context import (
    ANYONE,
    GATE_OPERATORS,
    SUPERVISORS,
    WATCHERS,
    Gateway,
    JsonBody,
    PageSize,
    PageToken,
    json_response,
    message_response,
    parse_body,
)
from services.gateway.problems import invalid
from services.platform.auth import Principal

LANE = "/v1/sites/{site_id}/gates/{gate_id}/lanes/{lane_id}"
PASSAGE = LANE + "/passages/{passage_id}"


class OverrideBody(BaseModel):
    """Why the supervisor opens a held barrier."""

    reason: str = Field(min_length=1, description="Required; recorded on the passage and alerted")


def _lane(site_id: str, gate_id: str, lane_id: str) -> str:
    return f"sites/{site_id}/gates/{gate_id}/lanes/{lane_id}"


def router(gw: Gateway) -> APIRouter:
    api = APIRouter(tags=["camera"])
    anyone = gw.caller(ANYONE)
    watchers = gw.caller(WATCHERS)
    operators = gw.caller(GATE_OPERATORS)
    supervisors = gw.caller(SUPERVISORS)
    cam = gw.backends

    async def passages(
        parent: str,
        who: Principal,
        container_number: str,
        plate: str,
        page_size: int,
        page_token: str,
    ) -> Response:
        request = pb.ListPassagesRequest(
            parent=parent, plate=plate, page_size=page_size, page_token=page_token
        )
        if container_number:
            request.container_number.value = container_number
        return message_response(await gw.call(cam.camera.ListPassages, request, who))

    @api.get(
        "/v1/sites/{site_id}/passages",
        summary="List a site's passages ('-' for every site), AIP-158. "
        "Roles: officer, supervisor, auditor",
        operation_id="ListSitePassages",
    )
    async def list_site_passages(
        site_id: str,
        who: Annotated[Principal, Depends(watchers)],
        container_number: Annotated[str, Query(description="ISO 6346 number")] = "",
        plate: str = "",
        page_size: PageSize = 0,
        page_token: PageToken = "",
    ) -> Response:
        return await passages(
            f"sites/{site_id}", who, container_number, plate, page_size, page_token
        )

    @api.get(
        LANE + "/passages",
        summary="List a lane's passages, AIP-158. Roles: officer, supervisor, auditor",
        operation_id="ListLanePassages",
    )
    async def list_lane_passages(
        site_id: str,
        gate_id: str,
        lane_id: str,
        who: Annotated[Principal, Depends(watchers)],
        container_number: Annotated[str, Query(description="ISO 6346 number")] = "",
        plate: str = "",
        page_size: PageSize = 0,
        page_token: PageToken = "",
    ) -> Response:
        lane = _lane(site_id, gate_id, lane_id)
        return await passages(lane, who, container_number, plate, page_size, page_token)

    def passage_name(site_id: str, gate_id: str, lane_id: str, passage_id: str) -> str:
        return f"{_lane(site_id, gate_id, lane_id)}/passages/{passage_id}"

    @api.get(PASSAGE, summary="Get a passage. Roles: any", operation_id="GetPassage")
    async def get_passage(
        site_id: str,
        gate_id: str,
        lane_id: str,
        passage_id: str,
        who: Annotated[Principal, Depends(anyone)],
    ) -> Response:
        name = passage_name(site_id, gate_id, lane_id, passage_id)
        reply = await gw.call(cam.camera.GetPassage, pb.GetPassageRequest(name=name), who)
        return message_response(reply.passage)

    @api.post(
        PASSAGE + ":close",
        summary="Close and process a passage (weight, watchlists, exit barrier decision). "
        "Roles: officer, supervisor",
        operation_id="ClosePassage",
    )
    async def close_passage(
        site_id: str,
        gate_id: str,
        lane_id: str,
        passage_id: str,
        who: Annotated[Principal, Depends(operators)],
    ) -> Response:
        name = passage_name(site_id, gate_id, lane_id, passage_id)
        reply = await gw.call(cam.camera.ClosePassage, pb.ClosePassageRequest(name=name), who)
        return message_response(reply.passage)

    @api.post(
        PASSAGE + ":overrideBarrier",
        summary="Open a held exit barrier on a supervisor's authority. Roles: supervisor",
        operation_id="OverrideBarrier",
    )
    async def override_barrier(
        site_id: str,
        gate_id: str,
        lane_id: str,
        passage_id: str,
        body: OverrideBody,
        who: Annotated[Principal, Depends(supervisors)],
    ) -> Response:
        name = passage_name(site_id, gate_id, lane_id, passage_id)
        request = pb.OverrideBarrierRequest(name=name, reason=body.reason)
        return message_response(await gw.call(cam.camera.OverrideBarrier, request, who))

    @api.get(
        LANE + "/barrierCommands",
        summary="Commands sent to a lane's barrier, AIP-158. Roles: officer, supervisor, auditor",
        operation_id="ListBarrierCommands",
    )
    async def list_barrier_commands(
        site_id: str,
        gate_id: str,
        lane_id: str,
        who: Annotated[Principal, Depends(watchers)],
        page_size: PageSize = 0,
        page_token: PageToken = "",
    ) -> Response:
        request = pb.ListBarrierCommandsRequest(
            parent=_lane(site_id, gate_id, lane_id), page_size=page_size, page_token=page_token
        )
        return message_response(await gw.call(cam.camera.ListBarrierCommands, request, who))

    @api.get(
        "/v1/sightings:last",
        summary="The latest passage where a container or a plate was seen. "
        "Roles: officer, supervisor, auditor",
        operation_id="GetLastSighting",
    )
    async def last_sighting(
        who: Annotated[Principal, Depends(watchers)], container_number: str = "", plate: str = ""
    ) -> Response:
        if bool(container_number) == bool(plate):
            raise invalid("container_number", "give exactly one of container_number and plate")
        request = pb.GetLastSightingRequest(plate=plate)
        if container_number:
            request.container_number.CopyFrom(container_pb2.ContainerNumber(value=container_number))
        reply = await gw.call(cam.camera.GetLastSighting, request, who)
        return message_response(reply.passage)

    @api.get(
        "/v1/watchlistEntries",
        summary="List watchlist entries, AIP-158. Roles: officer, supervisor, auditor",
        operation_id="ListWatchlistEntries",
    )
    async def list_watchlist(
        who: Annotated[Principal, Depends(watchers)],
        kind: Annotated[
            str, Query(description="PLATE, CONTAINER or DECLARANT; empty for all")
        ] = "",
        page_size: PageSize = 0,
        page_token: PageToken = "",
    ) -> Response:
        try:
            value = pb.WatchKind.Value(f"WATCH_KIND_{(kind or 'unspecified').upper()}")
        except ValueError as exc:
            raise invalid("kind", "must be PLATE, CONTAINER or DECLARANT") from exc
        request = pb.ListWatchlistEntriesRequest(
            kind=value, page_size=page_size, page_token=page_token
        )
        return message_response(await gw.call(cam.camera.ListWatchlistEntries, request, who))

    @api.post(
        "/v1/watchlistEntries",
        summary="Put a plate, container or declarant on the watchlist. Roles: supervisor",
        operation_id="CreateWatchlistEntry",
        status_code=201,
    )
    async def create_watchlist_entry(
        watchlist_entry_id: Annotated[str, Query(description="id that ends the entry's name")],
        body: JsonBody,
        who: Annotated[Principal, Depends(supervisors)],
    ) -> Response:
        entry = parse_body(body, pb.WatchlistEntry(), "watchlist_entry")
        request = pb.CreateWatchlistEntryRequest(
            watchlist_entry_id=watchlist_entry_id, watchlist_entry=entry
        )
        reply = await gw.call(cam.camera.CreateWatchlistEntry, request, who)
        return message_response(reply.watchlist_entry, 201)

    @api.delete(
        "/v1/watchlistEntries/{entry_id}",
        summary="Take an entry off the watchlist. Roles: supervisor",
        operation_id="DeleteWatchlistEntry",
    )
    async def delete_watchlist_entry(
        entry_id: str, who: Annotated[Principal, Depends(supervisors)]
    ) -> Response:
        request = pb.DeleteWatchlistEntryRequest(name=f"watchlistEntries/{entry_id}")
        await gw.call(cam.camera.DeleteWatchlistEntry, request, who)
        return json_response({})

    return api
