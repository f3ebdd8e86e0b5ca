"""Wiring of the duty log service: storage, servicer."""

from __future__ import annotations

import grpc
from customs.dutylog.v1 import dutylog_pb2_grpc

from services.dutylog.servicer import POLICY, SERVICE, DutyLogServicer
from services.platform.resources import ResourceCollection, name_indexes
from services.platform.server import Resources, ServiceSpec


class DutyLogService:
    def __init__(self, res: Resources) -> None:
        rooms = ResourceCollection(res.mongo, res.db, "rooms", res.outbox, "room")
        self._servicer = DutyLogServicer(rooms, res.outbox)

    def register(self, server: grpc.aio.Server) -> None:
        dutylog_pb2_grpc.add_DutyLogServiceServicer_to_server(self._servicer, server)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


SPEC = ServiceSpec(
    name="dutylog",
    grpc_services=[SERVICE],
    policies=[POLICY],
    indexes={"rooms": name_indexes()},
    build=DutyLogService,
)
