"""gRPC transport of the seal service: converts between proto and domain, nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
from customs.seal.v1 import seal_pb2, seal_pb2_grpc

from services.platform.auth import EVERYONE, Role
from services.platform.guard import AccessPolicy
from services.platform.names import parse_name
from services.platform.outbox import Outbox
from services.platform.paging import page_request
from services.platform.resources import ResourceCollection
from services.platform.watch import alert_stream
from services.seal.devices import NewSeal, register

SERVICE = seal_pb2.DESCRIPTOR.services_by_name["SealService"].full_name
POLICY = AccessPolicy(
    SERVICE,
    {
        "CreateSeal": frozenset({Role.OFFICER, Role.SUPERVISOR, Role.SERVICE}),
        "GetSeal": EVERYONE,
        "ListSeals": EVERYONE,
        "WatchAlerts": frozenset({Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR, Role.SERVICE}),
        "GetContainerSealStatus": frozenset({Role.OFFICER, Role.SUPERVISOR, Role.SERVICE}),
    },
)


def seal_to_proto(doc: dict[str, Any]) -> seal_pb2.Seal:
    seal = seal_pb2.Seal(
        name=doc["name"],
        manufacturer=doc["manufacturer"],
        serial_number=doc["serial_number"],
        model=doc["model"],
        firmware=doc["firmware"],
        battery_percent=doc["battery_percent"],
        state=seal_pb2.SealState.Value(f"SEAL_STATE_{doc['state']}"),
    )
    seal.create_time.FromDatetime(doc["create_time"])
    return seal


class SealServicer(seal_pb2_grpc.SealServiceServicer):
    def __init__(self, seals: ResourceCollection, outbox: Outbox, low_battery_percent: int):
        self._seals = seals
        self._outbox = outbox
        self._low_battery = low_battery_percent

    async def CreateSeal(
        self, request: seal_pb2.CreateSealRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> seal_pb2.CreateSealResponse:
        s = request.seal
        doc, alerts = register(
            NewSeal(
                seal_id=request.seal_id,
                manufacturer=s.manufacturer,
                serial_number=s.serial_number,
                model=s.model,
                firmware=s.firmware,
                battery_percent=s.battery_percent,
            ),
            self._low_battery,
        )
        await self._seals.create(doc, alerts)
        return seal_pb2.CreateSealResponse(seal=seal_to_proto(doc))

    async def GetSeal(
        self, request: seal_pb2.GetSealRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> seal_pb2.GetSealResponse:
        parse_name("name", request.name, "seals")
        return seal_pb2.GetSealResponse(seal=seal_to_proto(await self._seals.get(request.name)))

    async def ListSeals(
        self, request: seal_pb2.ListSealsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> seal_pb2.ListSealsResponse:
        docs, token = await self._seals.list(page_request(request.page_size, request.page_token))
        return seal_pb2.ListSealsResponse(
            seals=[seal_to_proto(d) for d in docs], next_page_token=token
        )

    async def WatchAlerts(
        self, request: seal_pb2.WatchAlertsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[seal_pb2.WatchAlertsResponse]:
        async for response in alert_stream(
            self._outbox, request.resume_token, seal_pb2.WatchAlertsResponse
        ):
            yield response
