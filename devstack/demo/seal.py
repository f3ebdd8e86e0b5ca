"""Seal demo data: devices in stock, one of them with a low battery (an alert at once)."""

from __future__ import annotations

import grpc
from customs.seal.v1 import seal_pb2, seal_pb2_grpc

from devstack.suite import Suite


def load(suite: Suite) -> list[str]:
    stub = seal_pb2_grpc.SealServiceStub(grpc.insecure_channel(suite.services["seal"].address))
    metadata = (("authorization", f"Bearer {suite.token('demo-officer', 'officer')}"),)
    devices = [("SL-0001", 96), ("SL-0002", 88), ("SL-0003", 12)]
    for seal_id, battery in devices:
        stub.CreateSeal(
            seal_pb2.CreateSealRequest(
                seal_id=seal_id,
                seal=seal_pb2.Seal(
                    manufacturer="VNSEAL",
                    serial_number=f"VN-{seal_id}",
                    model="GS-4",
                    firmware="2.1.0",
                    battery_percent=battery,
                ),
            ),
            metadata=metadata,
            timeout=10,
        )
    return [f"seal: {len(devices)} e-seals in stock (SL-0003 has a low battery: an alert)"]
