"""Runs one service: the lifespan every service shares.

start: read config → logs, telemetry → MongoDB (wait, indexes) → bucket → build the service
(register servicers, warm up) → health SERVING.
SIGTERM/SIGINT: health NOT_SERVING → end watch streams → stop accepting and drain in-flight
calls for SHUTDOWN_GRACE_SECONDS → stop the service's tasks → flush telemetry → close clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from services.platform import logs, mongo, telemetry, tls
from services.platform.auth import TokenVerifier
from services.platform.config import ConfigError, PlatformConfig
from services.platform.guard import AccessPolicy, CallGuard
from services.platform.objects import ObjectStore
from services.platform.outbox import INDEXES as OUTBOX_INDEXES
from services.platform.outbox import Outbox

log = logging.getLogger("customs.server")
_DEPENDENCY_CHECK_SECONDS = 2.0
#: Health service name for liveness probes: SERVING from start until shutdown.
LIVENESS = "liveness"


@dataclass(slots=True)
class Resources:
    """What the platform opened for a service; closed by the platform."""

    config: PlatformConfig
    mongo: AsyncMongoClient[dict[str, Any]]
    db: AsyncDatabase[dict[str, Any]]
    objects: ObjectStore
    outbox: Outbox
    telemetry: telemetry.Telemetry
    health: HealthServicer
    background: list[asyncio.Task[Any]] = field(default_factory=list)


class Service(Protocol):
    def register(self, server: grpc.aio.Server) -> None:
        """Adds the service's servicers to the server (before it starts)."""

    async def start(self) -> None:
        """Starts background work and warms up, once storage answers. Runs before SERVING."""

    async def stop(self) -> None:
        """Stops background work. Runs after the server stopped."""


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """How a service plugs into the platform."""

    name: str
    grpc_services: Sequence[str]
    policies: Sequence[AccessPolicy]
    indexes: mongo.Indexes
    build: Callable[[Resources], Service]


async def _watch_dependencies(res: Resources, names: Sequence[str], app_name: str) -> None:
    """Reports NOT_SERVING while MongoDB or the object store does not answer, SERVING again
    when both do. MongoDB is pinged over a client and connection of its own: a pool whose
    connections are all busy with calls is load, not an outage."""
    serving = True
    status = health_pb2.HealthCheckResponse
    probe = mongo.client(res.config.mongodb_uri, f"{app_name}-health", max_pool_size=1)
    try:
        while True:
            await asyncio.sleep(_DEPENDENCY_CHECK_SECONDS)
            try:
                await asyncio.wait_for(probe.admin.command("ping"), 3.0)
                await asyncio.wait_for(res.objects.ping(), 3.0)
                healthy = True
            except Exception as exc:  # any failure of a dependency means not ready
                healthy = False
                if serving:
                    log.warning("dependency down: %s %s", type(exc).__name__, exc)
            if healthy != serving:
                serving = healthy
                for name in ("", *names):
                    await res.health.set(name, status.SERVING if healthy else status.NOT_SERVING)
                log.info("health now %s", "SERVING" if healthy else "NOT_SERVING")
    finally:
        await probe.close()


def _health_only_server(health: HealthServicer, listen: str | None) -> grpc.aio.Server | None:
    """A plaintext server with only grpc.health.v1 on ``listen`` (for probes that speak no
    TLS), sharing the main server's health states; None when not configured."""
    if listen is None:
        return None
    probes = grpc.aio.server()
    health_pb2_grpc.add_HealthServicer_to_server(health, probes)
    if probes.add_insecure_port(listen) == 0:
        raise ConfigError("GRPC_HEALTH_LISTEN", f"cannot listen on {listen}")
    return probes


async def serve(spec: ServiceSpec, ready: Callable[[str], Awaitable[None]] | None = None) -> None:
    config = PlatformConfig.from_env(spec.name)
    logs.setup(spec.name, config.log_level)
    tel = telemetry.setup(spec.name, config.otlp_endpoint)
    tls.use(config.tls)
    verifier = TokenVerifier.from_file(
        config.auth.jwks_file, config.auth.issuer, config.auth.audience
    )
    client = mongo.client(config.mongodb_uri, f"customs-{spec.name}")
    objects = ObjectStore(
        config.s3_endpoint,
        config.s3_access_key,
        config.s3_secret_key,
        config.s3_bucket,
        secure=config.s3_secure,
        region=config.s3_region,
        workers=config.blocking_workers,
        public_endpoint=config.s3_public_endpoint,
        public_secure=config.s3_public_secure,
    )
    health = HealthServicer()
    names = list(spec.grpc_services)
    for name in ("", *names):
        await health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
    # Liveness: the process and its event loop answer; storage outages do not restart pods.
    await health.set(LIVENESS, health_pb2.HealthCheckResponse.SERVING)
    server = grpc.aio.server(
        interceptors=[
            tel.server_interceptor(),
            CallGuard(spec.name, verifier, list(spec.policies)),
        ],
        options=[
            ("grpc.max_send_message_length", config.max_message_bytes),
            ("grpc.max_receive_message_length", config.max_message_bytes),
        ],
        maximum_concurrent_rpcs=config.max_concurrent_rpcs,
    )
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    reflection.enable_server_reflection(
        [
            *names,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ],
        server,
    )
    db = client[config.mongodb_database]
    res = Resources(config, client, db, objects, Outbox(db, spec.name), tel, health)
    service = spec.build(res)
    service.register(server)
    if config.tls.cert_file is not None:
        port = server.add_secure_port(config.listen, tls.server_credentials(config.tls))
    else:
        port = server.add_insecure_port(config.listen)
    if port == 0:
        raise ConfigError("GRPC_LISTEN", f"cannot listen on {config.listen}")
    probes = _health_only_server(health, config.tls.health_listen)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    watcher: asyncio.Task[None] | None = None
    try:
        # Health answers (NOT_SERVING) while storage and warm-up are still under way.
        await server.start()
        if probes is not None:
            await probes.start()
        address = f"{config.listen.rpartition(':')[0]}:{port}"
        log.info(
            "listening",
            extra={
                "address": address,
                "tls": "off"
                if config.tls.cert_file is None
                else ("mutual" if config.tls.require_client_cert else "server"),
            },
        )

        async def start() -> None:
            await mongo.wait_until_up(client, 60.0)
            await mongo.ensure_indexes(db, {**OUTBOX_INDEXES, **spec.indexes})
            await objects.ensure_bucket(60.0)
            await service.start()
            for name in ("", *names):
                await health.set(name, health_pb2.HealthCheckResponse.SERVING)
            log.info("serving", extra={"address": address})
            if ready is not None:
                await ready(address)

        # A SIGTERM during start-up stops it too: nothing is served yet, nothing to drain.
        starting = asyncio.create_task(start())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if starting.done():
            starting.result()  # a failed start-up raises here
            watcher = asyncio.create_task(_watch_dependencies(res, names, f"customs-{spec.name}"))
            await stopping
        else:
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting

        log.info("shutting down", extra={"grace_seconds": config.shutdown_grace_seconds})
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        await health.enter_graceful_shutdown()
        res.outbox.close()
        await server.stop(config.shutdown_grace_seconds)
        if probes is not None:
            await probes.stop(0)
        await service.stop()
    finally:
        # also after a failed start-up: nothing is left open, what was traced is flushed
        for task in res.background:
            task.cancel()
        tel.shutdown()
        await client.close()
        objects.close()
    log.info("stopped")


def main(spec: ServiceSpec) -> None:
    """Entry point of ``python -m services.<name>``: exits 2 on a configuration error."""
    try:
        asyncio.run(serve(spec))
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
