"""What the scanner and the seal service say about a container, asked with deadlines.

Whatever goes wrong (service not configured, down, too slow, UNIMPLEMENTED, an error) becomes
an UNAVAILABLE answer with the reason as detail: the barrier decision then holds (fail closed).

Holding must also end as soon as the dependency is back. gRPC's default reconnect backoff
grows to two minutes while a dependency is down, and calls fail at once during it, so exits
would go on holding long after a restarted scanner serves again. Platform channels retry at
most every :func:`services.platform.clients.reconnect_backoff_ms` (under the call deadline)
and calls here wait for the connection up to their deadline (``wait_for_ready``): a call made
while the dependency comes back is answered, one made while it is down fails at its deadline.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

import grpc
from customs.common.v1 import container_pb2
from customs.scanner.v1 import scanner_pb2, scanner_pb2_grpc
from customs.seal.v1 import seal_pb2, seal_pb2_grpc

from services.camera.domain.clearance import (
    ScanAnswer,
    ScanStatus,
    SealAnswer,
    SealStage,
    SealStatus,
)
from services.platform import clients

log = logging.getLogger("customs.camera.dependencies")


def _failure(service: str, error: BaseException) -> str:
    deadline = f"{service}: unavailable, no answer within the deadline"
    if isinstance(error, grpc.aio.AioRpcError):
        if error.code() is grpc.StatusCode.DEADLINE_EXCEEDED:
            return f"{deadline} (DEADLINE_EXCEEDED)"
        return f"{service}: {error.code().name}: {error.details() or ''}".rstrip(": ")
    if isinstance(error, TimeoutError):
        return deadline
    return f"{service}: {type(error).__name__}: {error}"


_STAGES = {
    seal_pb2.SEAL_STATE_ATTACHED: SealStage.ATTACHED,
    seal_pb2.SEAL_STATE_IN_TRANSIT: SealStage.IN_TRANSIT,
    seal_pb2.SEAL_STATE_ARRIVED: SealStage.ARRIVED,
}


def seal_answer(number: str, reply: seal_pb2.GetContainerSealStatusResponse) -> SealAnswer:
    """The domain answer of a GetContainerSealStatus reply: the seal and its state as detail,
    and the seal service's reasons when the seal is not intact (those of an intact seal only
    say it has not arrived, which the exit's site decides about)."""
    if not reply.sealed:
        return SealAnswer(number, SealStatus.NO_SEAL)
    state = seal_pb2.SealState.Name(reply.state).removeprefix("SEAL_STATE_")
    said = [] if reply.intact else list(reply.reasons)
    detail = "; ".join([f"{reply.seal}, state {state}", *said])
    stage = _STAGES.get(reply.state, SealStage.OTHER)
    return SealAnswer.sealed(number, reply.origin, reply.destination, stage, reply.intact, detail)


def scan_answer(number: str, reply: scanner_pb2.CheckContainerHoldResponse) -> ScanAnswer:
    """The domain answer of a CheckContainerHold reply."""
    if reply.open_hold:
        reasons = list(reply.reasons)
        held = [
            f"{scan}: {reasons[i]}" if i < len(reasons) and reasons[i] else scan
            for i, scan in enumerate(reply.held_scans)
        ]
        return ScanAnswer(number, ScanStatus.OPEN_HOLD, "; ".join(held))
    return ScanAnswer(number, ScanStatus.NO_OPEN_HOLD, reply.latest_scan)


class ClearanceSources:
    """Channels to the scanner and the seal service (either may be unconfigured)."""

    def __init__(
        self,
        scanner_address: str | None,
        seal_address: str | None,
        token: Callable[[], str],
        timeout_seconds: float,
    ) -> None:
        self._timeout = timeout_seconds
        self._channels: list[grpc.aio.Channel] = []
        self._scanner: scanner_pb2_grpc.ScannerServiceAsyncStub | None = None
        self._seal: seal_pb2_grpc.SealServiceAsyncStub | None = None
        if scanner_address:
            channel = clients.channel(scanner_address, token, timeout_seconds)
            self._channels.append(channel)
            self._scanner = scanner_pb2_grpc.ScannerServiceStub(channel)
        if seal_address:
            channel = clients.channel(seal_address, token, timeout_seconds)
            self._channels.append(channel)
            self._seal = seal_pb2_grpc.SealServiceStub(channel)

    async def scan(self, number: str) -> ScanAnswer:
        if self._scanner is None:
            return ScanAnswer(number, ScanStatus.UNAVAILABLE, "scanner: SCANNER_ADDRESS not set")
        request = scanner_pb2.CheckContainerHoldRequest(
            container_number=container_pb2.ContainerNumber(value=number)
        )
        try:
            reply = await asyncio.wait_for(
                self._scanner.CheckContainerHold(
                    request, timeout=self._timeout, wait_for_ready=True
                ),
                self._timeout + 1.0,
            )
        except Exception as error:  # any failure means the scanner cannot tell: hold
            log.warning("scanner did not answer for %s: %s", number, error)
            return ScanAnswer(number, ScanStatus.UNAVAILABLE, _failure("scanner", error))
        return scan_answer(number, reply)

    async def seal(self, number: str) -> SealAnswer:
        if self._seal is None:
            return SealAnswer(number, SealStatus.UNAVAILABLE, "seal: SEAL_ADDRESS not set")
        request = seal_pb2.GetContainerSealStatusRequest(
            container_number=container_pb2.ContainerNumber(value=number)
        )
        try:
            reply = await asyncio.wait_for(
                self._seal.GetContainerSealStatus(
                    request, timeout=self._timeout, wait_for_ready=True
                ),
                self._timeout + 1.0,
            )
        except Exception as error:  # any failure means the seal service cannot tell: hold
            log.warning("seal service did not answer for %s: %s", number, error)
            return SealAnswer(number, SealStatus.UNAVAILABLE, _failure("seal", error))
        return seal_answer(number, reply)

    async def ask(self, numbers: Sequence[str]) -> tuple[list[ScanAnswer], list[SealAnswer]]:
        """Both services about every container, all at once."""
        scans = asyncio.gather(*(self.scan(n) for n in numbers))
        seals = asyncio.gather(*(self.seal(n) for n in numbers))
        scan_results, seal_results = await asyncio.gather(scans, seals)
        return list(scan_results), list(seal_results)

    async def close(self) -> None:
        for channel in self._channels:
            await channel.close()
