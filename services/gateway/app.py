"""The HTTP/JSON gateway: authenticates people, forwards their identity to the services, maps
gRPC statuses to problem+json. OpenAPI at /openapi.json."""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import grpc
from customs.camera.v1 import camera_pb2, camera_pb2_grpc
from customs.dutylog.v1 import dutylog_pb2, dutylog_pb2_grpc
from customs.scanner.v1 import scanner_pb2, scanner_pb2_grpc
from customs.seal.v1 import seal_pb2, seal_pb2_grpc
from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.gateway.alert_feed import decode_position, feed
from services.gateway.config import SERVICES, GatewayConfig
from services.gateway.problems import HTTP_STATUS, from_rpc_error, problem
from services.platform.auth import Principal, TokenVerifier
from services.platform.errors import InvalidArgument, ServiceError, Unauthenticated


@dataclass(frozen=True, slots=True)
class Collection:
    """A resource collection the gateway exposes as GET /v1/{path} and GET /v1/{path}/{id}."""

    path: str
    service: str
    stub: Callable[[grpc.aio.Channel], Any]
    get: str
    get_request: type[Message]
    singular: str
    list: str
    list_request: type[Message]


COLLECTIONS = (
    Collection("scanners", "scanner", scanner_pb2_grpc.ScannerServiceStub, "GetScanner",
               scanner_pb2.GetScannerRequest, "scanner", "ListScanners",
               scanner_pb2.ListScannersRequest),
    Collection("sites", "camera", camera_pb2_grpc.CameraServiceStub, "GetSite",
               camera_pb2.GetSiteRequest, "site", "ListSites", camera_pb2.ListSitesRequest),
    Collection("seals", "seal", seal_pb2_grpc.SealServiceStub, "GetSeal",
               seal_pb2.GetSealRequest, "seal", "ListSeals", seal_pb2.ListSealsRequest),
    Collection("rooms", "dutylog", dutylog_pb2_grpc.DutyLogServiceStub, "GetRoom",
               dutylog_pb2.GetRoomRequest, "room", "ListRooms", dutylog_pb2.ListRoomsRequest),
)  # fmt: skip


def as_json(message: Message) -> dict[str, Any]:
    return MessageToDict(message, preserving_proto_field_name=True)


class _AuthError(Exception):
    def __init__(self, error: Unauthenticated) -> None:
        self.error = error


def create_app(config: GatewayConfig) -> FastAPI:
    verifier = TokenVerifier.from_file(
        config.auth.jwks_file, config.auth.issuer, config.auth.audience
    )
    channels: dict[str, grpc.aio.Channel] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        for name in SERVICES:
            channels[name] = grpc.aio.insecure_channel(config.addresses[name])
        try:
            yield
        finally:
            for channel in channels.values():
                await channel.close()

    app = FastAPI(
        title="Customs supervision suite",
        version="1",
        description="HTTP/JSON access to scanners, gates, seals and the duty log.",
        lifespan=lifespan,
        docs_url=None,  # the hosted Swagger UI loads scripts from a CDN; the suite runs offline
        redoc_url=None,
    )
    bearer = HTTPBearer(auto_error=False)

    async def principal(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Principal:
        try:
            if credentials is None:
                raise Unauthenticated("missing bearer token", "MISSING_TOKEN")
            return verifier.verify(credentials.credentials)
        except Unauthenticated as error:
            raise _AuthError(error) from error

    @app.exception_handler(_AuthError)
    async def unauthenticated(_: Request, exc: _AuthError) -> JSONResponse:
        response = problem(401, "Unauthenticated", exc.error.message, reason=exc.error.reason)
        response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(grpc.aio.AioRpcError)
    async def rpc_failed(_: Request, exc: grpc.aio.AioRpcError) -> JSONResponse:
        return from_rpc_error(exc)

    @app.get("/healthz", tags=["health"], summary="Liveness of the gateway process")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], summary="Health of every service behind the gateway")
    async def readyz() -> Response:
        states: dict[str, str] = {}
        for name, channel in channels.items():
            try:
                reply = await health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=config.call_timeout_seconds
                )
                states[name] = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
            except grpc.aio.AioRpcError as error:
                states[name] = f"UNREACHABLE ({error.code().name})"
        ready = all(state == "SERVING" for state in states.values())
        return JSONResponse({"ready": ready, "services": states}, status_code=200 if ready else 503)

    @app.get(
        "/v1/alerts:stream",
        tags=["alerts"],
        summary="Live alerts of every service as Server-Sent Events",
        description=(
            "Each `alert` event carries an `id`; reconnect with the `Last-Event-ID` header (as "
            "browsers' EventSource does) to resume every source exactly after it. Alerts are "
            "filtered by the caller's sites when the token names sites."
        ),
        response_class=StreamingResponse,
    )
    async def alert_stream(
        who: Annotated[Principal, Depends(principal)],
        last_event_id: Annotated[str, Header(alias="Last-Event-ID")] = "",
    ) -> StreamingResponse:
        start = decode_position(last_event_id)
        return StreamingResponse(
            feed(who, channels, start),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @app.exception_handler(ServiceError)
    async def service_error(_: Request, exc: ServiceError) -> JSONResponse:
        status = HTTP_STATUS.get(exc.code, 500)
        extra: dict[str, Any] = {"reason": exc.reason, "grpc_status": exc.code.name}
        if isinstance(exc, InvalidArgument):
            extra["errors"] = [
                {"field": v.field, "description": v.description} for v in exc.violations
            ]
        return problem(status, exc.code.name.replace("_", " ").capitalize(), exc.message, **extra)

    for collection in COLLECTIONS:
        _add_routes(app, collection, channels, principal, config.call_timeout_seconds)
    return app


def _add_routes(
    app: FastAPI,
    c: Collection,
    channels: dict[str, grpc.aio.Channel],
    principal: Callable[..., Awaitable[Principal]],
    timeout: float,
) -> None:
    async def list_resources(
        who: Annotated[Principal, Depends(principal)],
        page_size: Annotated[int, Query(description="0 = default (50); max 1000")] = 0,
        page_token: Annotated[str, Query(description="next_page_token of the previous page")] = "",
    ) -> dict[str, Any]:
        stub = c.stub(channels[c.service])
        reply = await getattr(stub, c.list)(
            c.list_request(page_size=page_size, page_token=page_token),
            metadata=[("authorization", f"Bearer {who.token}")],
            timeout=timeout,
        )
        return as_json(reply)

    async def get_resource(
        resource_id: str, who: Annotated[Principal, Depends(principal)]
    ) -> dict[str, Any]:
        stub = c.stub(channels[c.service])
        reply = await getattr(stub, c.get)(
            c.get_request(name=f"{c.path}/{resource_id}"),
            metadata=[("authorization", f"Bearer {who.token}")],
            timeout=timeout,
        )
        return as_json(getattr(reply, c.singular))

    app.add_api_route(
        f"/v1/{c.path}",
        list_resources,
        methods=["GET"],
        tags=[c.service],
        summary=f"List {c.path} (AIP-158 paging)",
        operation_id=c.list,
    )
    app.add_api_route(
        f"/v1/{c.path}/{{resource_id}}",
        get_resource,
        methods=["GET"],
        tags=[c.service],
        summary=f"Get one of the {c.path}",
        operation_id=c.get,
    )
