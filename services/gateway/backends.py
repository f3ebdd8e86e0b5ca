"""The four services behind the gateway: one channel and one stub each, opened once in the
app's lifespan, and the call options that forward the caller's identity with a deadline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import grpc
from customs.camera.v1 import camera_pb2_grpc
from customs.dutylog.v1 import dutylog_pb2_grpc
from customs.scanner.v1 import scanner_pb2_grpc
from customs.seal.v1 import seal_pb2_grpc

from services.gateway.config import SERVICES
from services.platform import clients
from services.platform.auth import Principal

_STUBS: Mapping[str, Any] = {
    "scanner": scanner_pb2_grpc.ScannerServiceStub,
    "camera": camera_pb2_grpc.CameraServiceStub,
    "seal": seal_pb2_grpc.SealServiceStub,
    "dutylog": dutylog_pb2_grpc.DutyLogServiceStub,
}
_MAX_MESSAGE = 16 * 1024 * 1024


@dataclass
class Backends:
    """Channels and stubs by service name; empty until :meth:`open`."""

    addresses: Mapping[str, str]
    timeout: float
    channels: dict[str, grpc.aio.Channel] = field(default_factory=dict)
    scanner: scanner_pb2_grpc.ScannerServiceStub = field(init=False)
    camera: camera_pb2_grpc.CameraServiceStub = field(init=False)
    seal: seal_pb2_grpc.SealServiceStub = field(init=False)
    dutylog: dutylog_pb2_grpc.DutyLogServiceStub = field(init=False)

    def open(self) -> None:
        for name in SERVICES:
            channel = clients.direct_channel(  # every call passes its deadline and metadata
                self.addresses[name],
                self.timeout,
                max_message_bytes=_MAX_MESSAGE,
                options=[("grpc.keepalive_time_ms", 30_000)],
            )
            self.channels[name] = channel
            setattr(self, name, _STUBS[name](channel))

    async def close(self) -> None:
        for channel in self.channels.values():
            await channel.close()
        self.channels.clear()

    def stub(self, service: str) -> Any:
        return getattr(self, service)


def forwarded(principal: Principal) -> tuple[tuple[str, str], ...]:
    """Call metadata carrying the caller's own token (each service checks it again) and the
    request's trace context."""
    return clients.call_metadata(principal.token)
