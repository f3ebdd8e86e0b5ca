"""gRPC transport of the duty log service: converts between proto and domain, nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
from customs.dutylog.v1 import dutylog_pb2, dutylog_pb2_grpc

from services.dutylog.rooms import NewRoom, register
from services.platform.auth import Role
from services.platform.guard import AccessPolicy
from services.platform.names import parse_name
from services.platform.outbox import Outbox
from services.platform.paging import page_request
from services.platform.resources import ResourceCollection
from services.platform.watch import alert_stream

SERVICE = dutylog_pb2.DESCRIPTOR.services_by_name["DutyLogService"].full_name
_READERS = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR, Role.SERVICE})
POLICY = AccessPolicy(
    SERVICE,
    {
        "CreateRoom": frozenset({Role.SUPERVISOR}),
        "GetRoom": _READERS,
        "ListRooms": _READERS,
        "WatchAlerts": _READERS,
    },
)


def room_to_proto(doc: dict[str, Any]) -> dutylog_pb2.Room:
    room = dutylog_pb2.Room(
        name=doc["name"],
        display_name=doc["display_name"],
        sites=doc["sites"],
        time_zone=doc["time_zone"],
    )
    room.create_time.FromDatetime(doc["create_time"])
    return room


class DutyLogServicer(dutylog_pb2_grpc.DutyLogServiceServicer):
    def __init__(self, rooms: ResourceCollection, outbox: Outbox):
        self._rooms = rooms
        self._outbox = outbox

    async def CreateRoom(
        self, request: dutylog_pb2.CreateRoomRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> dutylog_pb2.CreateRoomResponse:
        r = request.room
        doc = register(NewRoom(request.room_id, r.display_name, list(r.sites), r.time_zone))
        await self._rooms.create(doc)
        return dutylog_pb2.CreateRoomResponse(room=room_to_proto(doc))

    async def GetRoom(
        self, request: dutylog_pb2.GetRoomRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> dutylog_pb2.GetRoomResponse:
        parse_name("name", request.name, "rooms")
        return dutylog_pb2.GetRoomResponse(room=room_to_proto(await self._rooms.get(request.name)))

    async def ListRooms(
        self, request: dutylog_pb2.ListRoomsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> dutylog_pb2.ListRoomsResponse:
        docs, token = await self._rooms.list(page_request(request.page_size, request.page_token))
        return dutylog_pb2.ListRoomsResponse(
            rooms=[room_to_proto(d) for d in docs], next_page_token=token
        )

    async def WatchAlerts(
        self,
        request: dutylog_pb2.WatchAlertsRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> AsyncIterator[dutylog_pb2.WatchAlertsResponse]:
        async for response in alert_stream(
            self._outbox, request.resume_token, dutylog_pb2.WatchAlertsResponse
        ):
            yield response
