"""Wiring of the scanner service: settings, analysis engine (warmed up before SERVING),
storage, servicer, and the background resumption of scans left unanalysed."""

from __future__ import annotations

import asyncio
import contextlib
import os

import grpc
from customs.scanner.v1 import scanner_pb2_grpc

from services.platform.resources import ResourceCollection
from services.platform.server import Resources, ServiceSpec
from services.scanner.engine import Engine
from services.scanner.orphans import INDEXES as ORPHAN_INDEXES
from services.scanner.orphans import PendingObjects
from services.scanner.reviews import Reviews
from services.scanner.scan_store import INDEXES, SCANNERS, SCANS, ScanStore
from services.scanner.servicer import POLICY, SERVICE, ScannerServicer
from services.scanner.settings import ScannerSettings


class ScannerService:
    def __init__(self, res: Resources) -> None:
        settings = ScannerSettings.from_env(os.environ)
        scanners = ResourceCollection(res.mongo, res.db, SCANNERS, res.outbox, "scanner")
        self._engine = Engine()
        self._pending = PendingObjects(
            res.db,
            res.objects,
            SCANS,
            settings.orphan_grace_seconds,
            settings.orphan_sweep_seconds,
        )
        self._store = ScanStore(
            res.mongo, res.db, res.objects, res.outbox, self._engine, settings, self._pending
        )
        reviews = Reviews(res.mongo, res.db, res.outbox, self._store)
        self._servicer = ScannerServicer(
            scanners, res.objects, res.outbox, self._store, reviews, settings
        )
        self._tasks: list[asyncio.Task[None]] = []

    def register(self, server: grpc.aio.Server) -> None:
        scanner_pb2_grpc.add_ScannerServiceServicer_to_server(self._servicer, server)

    async def start(self) -> None:
        """Compiles (or loads from NUMBA_CACHE_DIR) the kernels before SERVING, then resumes
        the analysis of scans left RECEIVED and the sweep of orphan objects in the background."""
        await self._engine.warm_up()
        self._tasks.append(asyncio.create_task(self._store.resume_pending()))
        self._tasks.append(asyncio.create_task(self._pending.run()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._store.drain()
        self._engine.close()


SPEC = ServiceSpec(
    name="scanner",
    grpc_services=[SERVICE],
    policies=[POLICY],
    indexes={**INDEXES, **ORPHAN_INDEXES},
    build=ScannerService,
)
