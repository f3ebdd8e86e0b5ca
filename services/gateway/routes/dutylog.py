"""The duty log: rooms, shifts, handovers and entries (alarms and directives: alarms.py)."""

from typing import Annotated, Any

from customs.dutylog.v1 import dutylog_pb2 as pb
from customs.dutylog.v1 import resources_pb2 as res
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from services.gateway.context import (
    ROOM_WRITERS,
    SUPERVISORS,
    WATCHERS,
    Gateway,
    JsonBody,
    PageSize,
    PageToken,
    message_response,
)
from services.gateway.json_input import parse_body
from services.gateway.problems import invalid
from services.platform.auth import Principal, Role

ROOM = "/v1/rooms/{room_id}"
AUDIT = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR})


class HandOver(BaseModel):
    """A handover of the open shift."""

    handover_id: str = Field(min_length=1, description="last part of the handover's name")
    ack_within_seconds: int = Field(
        default=0,
        ge=0,
        le=315_576_000_000,  # the largest google.protobuf.Duration
        description="0: the service's default",
    )


def router(gw: Gateway) -> APIRouter:
    api = APIRouter(tags=["dutylog"])
    readers = gw.caller(WATCHERS)
    writers = gw.caller(ROOM_WRITERS)
    auditors = gw.caller(AUDIT)
    log = gw.backends

    async def page(method: Any, request: Any, who: Principal) -> Response:
        return message_response(await gw.call(method, request, who))

    @api.get(
        "/v1/rooms",
        summary="List rooms. Roles: officer, supervisor, auditor, service",
        operation_id="ListRooms",
    )
    async def list_rooms(
        who: Annotated[Principal, Depends(readers)],
        page_size: PageSize = 0,
        page_token: PageToken = "",
    ) -> Response:
        return await page(
            log.dutylog.ListRooms,
            pb.ListRoomsRequest(page_size=page_size, page_token=page_token),
            who,
        )

    # before GET /v1/rooms/{room_id}, which would take 'x:verifyChain' as a room id
    @api.get(
        ROOM + ":verifyChain",
        summary="Verify the room's hash chain. Roles: officer, supervisor, auditor",
        operation_id="VerifyChain",
    )
    async def verify_chain(room_id: str, who: Annotated[Principal, Depends(auditors)]) -> Response:
        return await page(
            log.dutylog.VerifyChain, pb.VerifyChainRequest(room=f"rooms/{room_id}"), who
        )

    @api.post(
        "/v1/rooms",
        summary="Register a room. Roles: supervisor",
        operation_id="CreateRoom",
        status_code=201,
    )
    async def create_room(
        room_id: Annotated[str, Query()],
        body: JsonBody,
        who: Annotated[Principal, Depends(gw.caller(SUPERVISORS))],
    ) -> Response:
        room = parse_body(body, pb.Room())
        reply = await gw.call(
            log.dutylog.CreateRoom,
            pb.CreateRoomRequest(room_id=room_id, room=room),
            who,
            body="room",
        )
        return message_response(reply.room, 201)

    @api.get(
        ROOM,
        summary="Get a room. Roles: officer, supervisor, auditor, service",
        operation_id="GetRoom",
    )
    async def get_room(room_id: str, who: Annotated[Principal, Depends(readers)]) -> Response:
        reply = await gw.call(log.dutylog.GetRoom, pb.GetRoomRequest(name=f"rooms/{room_id}"), who)
        return message_response(reply.room)

    # shifts and handovers

    @api.get(
        ROOM + "/shifts",
        summary="List a room's shifts. Roles: officer, supervisor, auditor, service",
        operation_id="ListShifts",
    )
    async def list_shifts(
        room_id: str,
        who: Annotated[Principal, Depends(readers)],
        page_size: PageSize = 0,
        page_token: PageToken = "",
    ) -> Response:
        request = pb.ListShiftsRequest(
            parent=f"rooms/{room_id}", page_size=page_size, page_token=page_token
        )
        return await page(log.dutylog.ListShifts, request, who)

    @api.post(
        ROOM + "/shifts",
        summary="Open a shift. Roles: officer, supervisor",
        operation_id="OpenShift",
        status_code=201,
    )
    async def open_shift(
        room_id: str,
        shift_id: Annotated[str, Query()],
        body: JsonBody,
        who: Annotated[Principal, Depends(writers)],
    ) -> Response:
        shift = parse_body(body, res.Shift())
        request = pb.OpenShiftRequest(parent=f"rooms/{room_id}", shift_id=shift_id, shift=shift)
        reply = await gw.call(log.dutylog.OpenShift, request, who, body="shift")
        return message_response(reply.shift, 201)

    @api.get(
        ROOM + "/shifts/{shift_id}",
        summary="Get a shift. Roles: officer, supervisor, auditor, service",
        operation_id="GetShift",
    )
    async def get_shift(
        room_id: str, shift_id: str, who: Annotated[Principal, Depends(readers)]
    ) -> Response:
        reply = await gw.call(
            log.dutylog.GetShift, pb.GetShiftRequest(name=f"rooms/{room_id}/shifts/{shift_id}"), who
        )
        return message_response(reply.shift)

    @api.post(
        ROOM + "/shifts/{shift_id}:handOver",
        summary="Close the open shift with its automatic summary. Roles: officer, supervisor",
        operation_id="HandOverShift",
    )
    async def hand_over(
        room_id: str, shift_id: str, body: HandOver, who: Annotated[Principal, Depends(writers)]
    ) -> Response:
        request = pb.HandOverShiftRequest(
            name=f"rooms/{room_id}/shifts/{shift_id}", handover_id=body.handover_id
        )
        if body.ack_within_seconds:
            request.ack_within.seconds = body.ack_within_seconds
        return await page(log.dutylog.HandOverShift, request, who)

    @api.get(
        ROOM + "/handovers",
        summary="List handovers. Roles: officer, supervisor, auditor, service",
        operation_id="ListHandovers",
    )
    async def list_handovers(
        room_id: str,
        who: Annotated[Principal, Depends(readers)],
        page_size: PageSize = 0,
        page_token: PageToken = "",
    ) -> Response:
        request = pb.ListHandoversRequest(
            parent=f"rooms/{room_id}", page_size=page_size, page_token=page_token
        )
        return await page(log.dutylog.ListHandovers, request, who)

    @api.get(
        ROOM + "/handovers/{handover_id}",
        summary="Get a handover. Roles: officer, supervisor, auditor, service",
        operation_id="GetHandover",
    )
    async def get_handover(
        room_id: str, handover_id: str, who: Annotated[Principal, Depends(readers)]
    ) -> Response:
        request = pb.GetHandoverRequest(name=f"rooms/{room_id}/handovers/{handover_id}")
        return message_response((await gw.call(log.dutylog.GetHandover, request, who)).handover)

    @api.post(
        ROOM + "/handovers/{handover_id}:acknowledge",
        summary="The incoming shift takes over a handover. Roles: officer, supervisor",
        operation_id="AcknowledgeHandover",
    )
    async def acknowledge_handover(
        room_id: str, handover_id: str, who: Annotated[Principal, Depends(writers)]
    ) -> Response:
        request = pb.AcknowledgeHandoverRequest(name=f"rooms/{room_id}/handovers/{handover_id}")
        return message_response(
            (await gw.call(log.dutylog.AcknowledgeHandover, request, who)).handover
        )

    # entries

    @api.get(
        ROOM + "/entries",
        summary="List entries, oldest or newest first, by kind or container. "
        "Roles: officer, supervisor, auditor, service",
        operation_id="ListEntries",
    )
    async def list_entries(
        room_id: str,
        who: Annotated[Principal, Depends(readers)],
        kind: Annotated[
            str, Query(description="OBSERVATION, ALERT, ACTION, ...; empty for all")
        ] = "",
        container_number: Annotated[
            str, Query(description="only entries about this container (ISO 6346)")
        ] = "",
        order_by: Annotated[
            str, Query(description="AIP-132: `seq` (default, oldest first) or `seq desc`")
        ] = "",
        page_size: PageSize = 0,
        page_token: PageToken = "",
    ) -> Response:
        try:
            value = res.EntryKind.Value(f"ENTRY_KIND_{(kind or 'unspecified').upper()}")
        except ValueError as exc:
            raise invalid("kind", "is not an entry kind") from exc
        request = pb.ListEntriesRequest(
            parent=f"rooms/{room_id}",
            kind=value,
            order_by=order_by,
            page_size=page_size,
            page_token=page_token,
        )
        if container_number:
            request.container_number.value = container_number
        return await page(log.dutylog.ListEntries, request, who)

    @api.post(
        ROOM + "/entries",
        summary="Append an entry. Roles: officer, supervisor",
        operation_id="CreateEntry",
        status_code=201,
    )
    async def create_entry(
        room_id: str, body: JsonBody, who: Annotated[Principal, Depends(writers)]
    ) -> Response:
        entry = parse_body(body, res.Entry())
        reply = await gw.call(
            log.dutylog.CreateEntry,
            pb.CreateEntryRequest(parent=f"rooms/{room_id}", entry=entry),
            who,
            body="entry",
        )
        return message_response(reply.entry, 201)

    @api.get(
        ROOM + "/entries/{seq}",
        summary="Get an entry. Roles: officer, supervisor, auditor, service",
        operation_id="GetEntry",
    )
    async def get_entry(
        room_id: str, seq: str, who: Annotated[Principal, Depends(readers)]
    ) -> Response:
        reply = await gw.call(
            log.dutylog.GetEntry, pb.GetEntryRequest(name=f"rooms/{room_id}/entries/{seq}"), who
        )
        return message_response(reply.entry)

    return api
