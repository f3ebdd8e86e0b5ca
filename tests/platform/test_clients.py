"""Outgoing channels add the service's token and a deadline to every kind of call."""

from __future__ import annotations

import uuid

import grpc
from customs.seal.v1 import seal_pb2, seal_pb2_grpc

from devstack.suite import Suite
from services.platform.clients import channel


async def test_unary_and_streaming_calls_carry_the_token(suite: Suite) -> None:
    token = suite.token("service:test", "service")
    async with channel(suite.services["seal"].address, lambda: token, timeout=5.0) as ch:
        stub = seal_pb2_grpc.SealServiceStub(ch)
        created = await stub.CreateSeal(
            seal_pb2.CreateSealRequest(
                seal_id=f"CH-{uuid.uuid4().hex[:8]}",
                seal=seal_pb2.Seal(manufacturer="M", serial_number="S", battery_percent=1),
            )
        )
        stream = stub.WatchAlerts(seal_pb2.WatchAlertsRequest())
        try:
            async for item in stream:  # would be UNAUTHENTICATED without the token
                if item.alert.subject == created.seal.name:
                    break
        finally:
            stream.cancel()


async def test_default_deadline_applies_to_unary_calls_only(suite: Suite) -> None:
    token = suite.token("service:test", "service")
    async with channel(suite.services["seal"].address, lambda: token, timeout=0.000001) as ch:
        stub = seal_pb2_grpc.SealServiceStub(ch)
        try:
            await stub.ListSeals(seal_pb2.ListSealsRequest())
        except grpc.aio.AioRpcError as error:
            assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        else:
            raise AssertionError("a call without its own deadline must get the default one")
