"""Wiring of the seal service: configuration, storage, servicer."""

from __future__ import annotations

import os

import grpc
from customs.seal.v1 import seal_pb2_grpc

from services.platform.config import positive_int, read
from services.platform.resources import ResourceCollection, name_indexes
from services.platform.server import Resources, ServiceSpec
from services.seal.servicer import POLICY, SERVICE, SealServicer


class SealService:
    def __init__(self, res: Resources) -> None:
        low_battery = read(os.environ, "SEAL_LOW_BATTERY_PERCENT", positive_int, 20)
        seals = ResourceCollection(res.mongo, res.db, "seals", res.outbox, "seal")
        self._servicer = SealServicer(seals, res.outbox, low_battery)

    def register(self, server: grpc.aio.Server) -> None:
        seal_pb2_grpc.add_SealServiceServicer_to_server(self._servicer, server)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


SPEC = ServiceSpec(
    name="seal",
    grpc_services=[SERVICE],
    policies=[POLICY],
    indexes={"seals": name_indexes()},
    build=SealService,
)
