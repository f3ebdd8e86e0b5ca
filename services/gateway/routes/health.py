"""Liveness and readiness of the gateway."""

import asyncio

import grpc
from fastapi import APIRouter, Response
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.gateway.context import Gateway, json_response


def router(gw: Gateway) -> APIRouter:
    api = APIRouter(tags=["health"])

    @api.get("/healthz", summary="Liveness of the gateway process")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    async def check(name: str) -> str:
        try:
            reply = await health_pb2_grpc.HealthStub(gw.backends.channels[name]).Check(
                health_pb2.HealthCheckRequest(), timeout=gw.config.call_timeout_seconds
            )
            return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))
        except grpc.aio.AioRpcError as error:
            return f"UNREACHABLE ({error.code().name})"

    @api.get("/readyz", summary="Health of every service behind the gateway")
    async def readyz() -> Response:
        names = list(gw.backends.channels)
        states = dict(zip(names, await asyncio.gather(*(check(n) for n in names)), strict=True))
        ready = all(state == "SERVING" for state in states.values())
        return json_response({"ready": ready, "services": states}, 200 if ready else 503)

    return api
