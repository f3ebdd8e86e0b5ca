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
    message_response,
)
from services.gateway.json_input import parse_body, timestamp_query
from services.gateway.problems import invalid
from services.platform.auth import Principal, Role

LANE = "/v1/sites/{site_id}/gates/{gate_id}/lanes/{lane_id}"
PASSAGE = LANE + "/passages/{passage_id}"


class PassageFilters(BaseModel):
    """What a passage listing keeps (query parameters)."""

    container_number: str = Field(default="", description="only passages with this container")
    plate: str = Field(default="", description="only passages with this plate")
    start_time: str = Field(
        default="",
        description="only passages that started at or after this time (RFC 3339)",
        json_schema_extra={"format": "date-time"},
    )
    end_time: str = Field(
        default="",
        description="only passages that started before this time (RFC 3339)",
        json_schema_extra={"format": "date-time"},
    )


class OverrideBody(BaseModel):
    """Why the supervisor opens a held barrier."""

    reason: str = Field(min_length=1, description="Required; recorded on the passage and alerted")


def lane_name(site_id: str, gate_id: str, lane_id: str) -> str:
    return f"sites/{site_id}/gates/{gate_id}/lanes/{lane_id}"


def router(gw: Gateway) -> APIRouter:
    api = APIRouter(tags=["camera"])
    anyone = gw.caller(ANYONE)
    watchers = gw.caller(WATCHERS)
    barriers = gw.caller(WATCHERS | {Role.DEVICE})
    operators = gw.caller(GATE_OPERATORS)
    supervisors = gw.caller(SUPERVISORS)
    cam = gw.backends

    async def passages(
        parent: str, who: Principal, filters: PassageFilters, page_size: int, page_token: str
    ) -> Response:
        request = pb.ListPassagesRequest(
            parent=parent, plate=filters.plate, page_size=page_size, page_token=page_token
        )
        if filters.container_number:
            request.container_number.value = filters.container_number
        for name in ("start_time", "end_time"):
            stamp = timestamp_query(getattr(filters, name), name)
            if stamp is not None:
                getattr(request, name).CopyFrom(stamp)
        reply = await gw.call(
            cam.camera.ListPassages,
            request,
            who,
            renames={"container_number.value": "container_number"},
        )
        return message_response(reply)

    @api.get(
        "/v1/sites/{site_id}/passages",
        summary="List a site's passages ('-' for every site), newest first, AIP-158. "
        "Roles: officer, supervisor, auditor, service",
        operation_id="ListSitePassages",
    )
    async def list_site_passages(
        site_id: str,
        who: Annotated[Principal, Depends(watchers)],
        filters: Annotated[PassageFilters, Query()],
        page_size: PageSize = 0,
        page_token: PageToken = "",
    ) -> Response:
        return await passages(f"sites/{site_id}", who, filters, page_size, page_token)

    @api.get(
        LANE + "/passages",
        summary="List a lane's passages, newest first, AIP-158. "
        "Roles: officer, supervisor, auditor, service",
        operation_id="ListLanePassages",
    )
    async def list_lane_passages(
        site_id: str,
        gate_id: str,
        lane_id: str,
        who: Annotated[Principal, Depends(watchers)],
        filters: Annotated[PassageFilters, Query()],
        page_size: PageSize = 0,
        page_token: PageToken = "",
    ) -> Response:
        lane = lane_name(site_id, gate_id, lane_id)
        return await passages(lane, who, filters, page_size, page_token)

    def passage_name(site_id: str, gate_id: str, lane_id: str, passage_id: str) -> str:
        return f"{lane_name(site_id, gate_id, lane_id)}/passages/{passage_id}"

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
        "Roles: device, officer, supervisor, service",
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
        summary="Commands sent to a lane's barrier, AIP-158. "
        "Roles: device, officer, supervisor, auditor, service",
        operation_id="ListBarrierCommands",
    )
    async def list_barrier_commands(
        site_id: str,
        gate_id: str,
        lane_id: str,
        who: Annotated[Principal, Depends(barriers)],
        page_size: PageSize = 0,
        page_token: PageToken = "",
    ) -> Response:
        request = pb.ListBarrierCommandsRequest(
            parent=lane_name(site_id, gate_id, lane_id), page_size=page_size, page_token=page_token
        )
        return message_response(await gw.call(cam.camera.ListBarrierCommands, request, who))

    @api.get(
        "/v1/sightings:last",
        summary="The latest passage where a container or a plate was seen. "
        "Roles: officer, supervisor, auditor, service",
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
        summary="List watchlist entries, AIP-158; those taken off only with show_deleted. "
        "Roles: officer, supervisor, auditor, service",
        operation_id="ListWatchlistEntries",
    )
    async def list_watchlist(
        who: Annotated[Principal, Depends(watchers)],
        kind: Annotated[
            str, Query(description="PLATE, CONTAINER or DECLARANT; empty for all")
        ] = "",
        show_deleted: Annotated[
            bool, Query(description="also entries taken off (with delete_time, deleted_by)")
        ] = False,
        page_size: PageSize = 0,
        page_token: PageToken = "",
    ) -> Response:
        try:
            value = pb.WatchKind.Value(f"WATCH_KIND_{(kind or 'unspecified').upper()}")
        except ValueError as exc:
            raise invalid("kind", "must be PLATE, CONTAINER or DECLARANT") from exc
        request = pb.ListWatchlistEntriesRequest(
            kind=value, show_deleted=show_deleted, page_size=page_size, page_token=page_token
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
        entry = parse_body(body, pb.WatchlistEntry())
        request = pb.CreateWatchlistEntryRequest(
            watchlist_entry_id=watchlist_entry_id, watchlist_entry=entry
        )
        reply = await gw.call(cam.camera.CreateWatchlistEntry, request, who, body="watchlist_entry")
        return message_response(reply.watchlist_entry, 201)

    @api.delete(
        "/v1/watchlistEntries/{entry_id}",
        summary="Take an entry off the watchlist (kept, with who, when and why); returns it. "
        "Roles: supervisor",
        description="A soft delete (AIP-164): the entry stops matching at once, is listed "
        "with `show_deleted=true` carrying `delete_time`, `deleted_by` and `delete_reason`, and "
        "a WATCHLIST_ENTRY_REMOVED alert is raised. 404 when unknown or already taken off.",
        operation_id="DeleteWatchlistEntry",
    )
    async def delete_watchlist_entry(
        entry_id: str,
        who: Annotated[Principal, Depends(supervisors)],
        reason: Annotated[str, Query(description="why it is taken off; recorded")] = "",
    ) -> Response:
        request = pb.DeleteWatchlistEntryRequest(name=f"watchlistEntries/{entry_id}", reason=reason)
        reply = await gw.call(cam.camera.DeleteWatchlistEntry, request, who)
        return message_response(reply.watchlist_entry)

    return api
