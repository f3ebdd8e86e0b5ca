"""Wiring of the camera service: configuration, storage, clients of scanner and seal,
servicer, and the sweeper that closes passages whose window passed."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
from customs.camera.v1 import camera_pb2_grpc

from services.camera.dependencies import ClearanceSources
from services.camera.passage_store import INDEXES, PassageStore
from services.camera.processing import PassageProcessor
from services.camera.servicer import POLICY, SERVICE, CameraServicer
from services.camera.settings import CameraSettings
from services.camera.watchlist_store import WatchlistStore
from services.platform.clients import token_from_file
from services.platform.resources import ResourceCollection, name_indexes
from services.platform.server import Resources, ServiceSpec

_KINDS = {
    "sites": "site",
    "gates": "gate",
    "lanes": "lane",
    "cameras": "camera",
    "barrier_commands": "barrier command",
    "watchlist": "watchlist entry",
}


class CameraService:
    def __init__(self, res: Resources) -> None:
        settings = CameraSettings.from_env()
        token_file = res.config.auth.service_token_file
        self._sources = ClearanceSources(
            settings.scanner_address,
            settings.seal_address,
            token_from_file(token_file) if token_file else (lambda: "none"),
            settings.dependency_timeout_seconds,
        )
        collections = {
            name: ResourceCollection(res.mongo, res.db, name, res.outbox, kind)
            for name, kind in _KINDS.items()
        }
        store = PassageStore(res.mongo, res.db, res.outbox)
        watchlist = WatchlistStore(res.mongo, collections["watchlist"], res.outbox)
        self._processor = PassageProcessor(store, watchlist, self._sources, settings)
        self._servicer = CameraServicer(
            collections, store, watchlist, self._processor, res.objects, res.outbox, settings
        )
        self._sweeper: asyncio.Task[Any] | None = None

    def register(self, server: grpc.aio.Server) -> None:
        camera_pb2_grpc.add_CameraServiceServicer_to_server(self._servicer, server)

    async def start(self) -> None:
        self._sweeper = asyncio.create_task(self._processor.sweep_forever())

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        await self._processor.stop()
        await self._sources.close()


SPEC = ServiceSpec(
    name="camera",
    grpc_services=[SERVICE],
    policies=[POLICY],
    indexes={"sites": name_indexes(), **INDEXES},
    build=CameraService,
)
