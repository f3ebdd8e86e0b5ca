"""Wiring of the seal service: configuration, storage, ingestion, sweeper, servicer."""

from __future__ import annotations

import os

import grpc
from customs.seal.v1 import seal_pb2_grpc

from services.platform.resources import ResourceCollection
from services.platform.server import Resources, ServiceSpec
from services.seal.custody import Custody
from services.seal.ingest import Ingestor
from services.seal.servicer import POLICY, SERVICE, SealServicer
from services.seal.settings import SealSettings
from services.seal.store import INDEXES, ROUTES, SEALS, SITES


class SealService:
    def __init__(self, res: Resources) -> None:
        settings = SealSettings.from_env(os.environ)
        seals = ResourceCollection(res.mongo, res.db, SEALS, res.outbox, "seal")
        sites = ResourceCollection(res.mongo, res.db, SITES, res.outbox, "site")
        routes = ResourceCollection(res.mongo, res.db, ROUTES, res.outbox, "route")
        self._ingestor = Ingestor(
            res.mongo,
            res.db,
            res.outbox,
            settings.commit_max_pings,
            settings.sweep_seconds,
            settings.instance,
        )
        custody = Custody(res.mongo, res.db, res.outbox, self._ingestor, settings.rules)
        self._servicer = SealServicer(
            seals, sites, routes, res.outbox, settings, custody, self._ingestor
        )

    def register(self, server: grpc.aio.Server) -> None:
        seal_pb2_grpc.add_SealServiceServicer_to_server(self._servicer, server)

    async def start(self) -> None:
        """Loads the supervised trips and starts the committer and the sweeper."""
        await self._ingestor.start()

    async def stop(self) -> None:
        await self._ingestor.stop()


SPEC = ServiceSpec(
    name="seal",
    grpc_services=[SERVICE],
    policies=[POLICY],
    indexes=INDEXES,
    build=SealService,
)
