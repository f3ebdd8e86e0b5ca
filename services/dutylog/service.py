"""Wiring of the duty log service: settings, storage, servicer, capture and sweeper."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from datetime import timedelta
from typing import Any

import grpc
from customs.dutylog.v1 import dutylog_pb2_grpc

from services.dutylog import chain_store, store
from services.dutylog.capture import Recorder, consumers
from services.dutylog.chain_store import ChainStore
from services.dutylog.rooms import ensure_room
from services.dutylog.servicer import POLICY, SERVICE, DutyLogServicer
from services.dutylog.settings import DutyLogSettings
from services.dutylog.sweepers import Sweeper
from services.platform.clients import token_from_file
from services.platform.resources import ResourceCollection, name_indexes
from services.platform.server import Resources, ServiceSpec

log = logging.getLogger("customs.dutylog")


class DutyLogService:
    def __init__(self, res: Resources) -> None:
        self._settings = settings = DutyLogSettings.from_env(os.environ)
        self._res = res
        self._rooms = ResourceCollection(res.mongo, res.db, "rooms", res.outbox, "room")
        self._chain = ChainStore(
            res.mongo,
            res.db,
            res.outbox,
            settings.signing_key,
            settings.checkpoint_every,
            settings.trusted_keys,
        )
        self._servicer = DutyLogServicer(
            self._rooms,
            res.outbox,
            self._chain,
            res.objects,
            timedelta(seconds=settings.handover_ack_seconds),
        )
        self._sweeper = Sweeper(self._chain, settings.sweep_seconds)
        self._tasks: list[asyncio.Task[Any]] = []

    def register(self, server: grpc.aio.Server) -> None:
        dutylog_pb2_grpc.add_DutyLogServiceServicer_to_server(self._servicer, server)

    async def start(self) -> None:
        settings = self._settings
        log.info(
            "signing key",
            extra={
                "public_signing_key": self._chain.public_key,
                "ephemeral": settings.ephemeral_key,
            },
        )
        await ensure_room(self._rooms, settings.default_room_id)
        token_file = self._res.config.auth.service_token_file
        if token_file is None:
            log.warning("SERVICE_TOKEN_FILE is unset: no alert source is captured")
            found = []
        else:
            recorder = Recorder(self._chain, settings.default_room_id)
            found = consumers(
                settings.sources,
                recorder,
                token_from_file(token_file),
                settings.backoff_max_seconds,
            )
        for consumer in found:
            self._tasks.append(
                asyncio.create_task(consumer.run(), name=f"capture-{consumer.source}")
            )
        self._tasks.append(asyncio.create_task(self._sweeper.run(), name="sweeper"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()


SPEC = ServiceSpec(
    name="dutylog",
    grpc_services=[SERVICE],
    policies=[POLICY],
    indexes={"rooms": name_indexes(), **chain_store.INDEXES, **store.INDEXES},
    build=DutyLogService,
)
