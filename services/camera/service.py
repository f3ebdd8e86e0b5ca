"""Wiring of the camera service: storage, servicer."""

from __future__ import annotations

import grpc
from customs.camera.v1 import camera_pb2_grpc

from services.camera.servicer import POLICY, SERVICE, CameraServicer
from services.platform.resources import ResourceCollection, name_indexes
from services.platform.server import Resources, ServiceSpec


class CameraService:
    def __init__(self, res: Resources) -> None:
        sites = ResourceCollection(res.mongo, res.db, "sites", res.outbox, "site")
        self._servicer = CameraServicer(sites, res.outbox)

    def register(self, server: grpc.aio.Server) -> None:
        camera_pb2_grpc.add_CameraServiceServicer_to_server(self._servicer, server)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


SPEC = ServiceSpec(
    name="camera",
    grpc_services=[SERVICE],
    policies=[POLICY],
    indexes={"sites": name_indexes()},
    build=CameraService,
)
