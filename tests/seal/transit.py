"""Helpers of the seal integration tests: places, a trip set up over gRPC, pings, alerts."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
from customs.common.v1 import container_pb2
from customs.seal.v1 import seal_pb2, seal_pb2_grpc
from pymongo import MongoClient

from devstack.suite import Suite
from services.platform import iso6346
from services.seal import sample
from services.seal.domain.geometry import LatLon
from services.seal.domain.simulator import (
    CAT_LAI,
    MOC_BAI,
    Scenario,
    by_reception,
    demo_trip,
    simulate,
)
from services.seal.domain.trip import Trip
from tests.support.stack import auth, database, wait_for

__all__ = ["CAT_LAI", "MOC_BAI", "LatLon", "sample", "wait_for"]


@dataclass(frozen=True)
class Places:
    origin: str
    destination: str
    route: str


def create_places(stub: seal_pb2_grpc.SealServiceStub, suite: Suite) -> Places:
    supervisor = auth(suite.token("sup-1", "supervisor"))
    tag = uuid.uuid4().hex[:6]
    names = []
    for site_id, site in sample.demo_sites():
        request = seal_pb2.CreateSiteRequest(site_id=f"{site_id}-{tag}", site=site)
        names.append(stub.CreateSite(request, metadata=supervisor).site.name)
    route = stub.CreateRoute(
        seal_pb2.CreateRouteRequest(route_id=f"cl-mb-{tag}", route=sample.demo_route()),
        metadata=supervisor,
    ).route
    return Places(names[0], names[1], route.name)


def container_number() -> str:
    return iso6346.make("TST", "U", f"{random.randrange(1_000_000):06d}").text


@dataclass
class Transit:
    seal: str
    attachment: str
    container: str
    trip: Trip  # the simulated trip (device times from its start)


def create_seal(stub: seal_pb2_grpc.SealServiceStub, suite: Suite) -> str:
    """A new seal in stock ("seals/SL-<tag>")."""
    tag = uuid.uuid4().hex[:8]
    stub.CreateSeal(
        seal_pb2.CreateSealRequest(
            seal_id=f"SL-{tag}",
            seal=seal_pb2.Seal(
                manufacturer="VNSEAL", serial_number=f"SN-{tag}", battery_percent=95
            ),
        ),
        metadata=auth(suite.token("officer-7", "officer")),
    )
    return f"seals/SL-{tag}"


def attach_request(
    seal: str, places: Places, deadline_s: float = 6 * 3600.0, where: LatLon = CAT_LAI
) -> seal_pb2.AttachSealRequest:
    """Attaching ``seal`` (from :func:`create_seal`) to a new container, the officer at
    ``where``; the attachment is "attachments/T-<tag>"."""
    tag = seal.removeprefix("seals/SL-")
    attachment = seal_pb2.Attachment(
        container_number=container_pb2.ContainerNumber(value=container_number()),
        transit_declaration=f"30{tag}/G22",
        origin=places.origin,
        destination=places.destination,
        route=places.route,
    )
    attachment.deadline.FromDatetime(datetime.now(UTC) + timedelta(seconds=deadline_s))
    return seal_pb2.AttachSealRequest(
        name=seal, attachment_id=f"T-{tag}", attachment=attachment, position=sample.geo(where)
    )


def attach(
    stub: seal_pb2_grpc.SealServiceStub,
    suite: Suite,
    places: Places,
    deadline_s: float = 6 * 3600.0,
) -> Transit:
    seal = create_seal(stub, suite)
    request = attach_request(seal, places, deadline_s)
    reply = stub.AttachSeal(request, metadata=auth(suite.token("officer-7", "officer")))
    assert reply.seal.state == seal_pb2.SEAL_STATE_ATTACHED
    trip = demo_trip(
        trip_id=request.attachment_id, device_id=seal.split("/")[1], start_time=time.time()
    )
    return Transit(seal, reply.attachment.name, request.attachment.container_number.value, trip)


def arm(stub: seal_pb2_grpc.SealServiceStub, suite: Suite, transit: Transit) -> None:
    officer = auth(suite.token("officer-7", "officer"))
    reply = stub.ArmSeal(
        seal_pb2.ArmSealRequest(name=transit.seal, position=sample.geo(CAT_LAI)), metadata=officer
    )
    assert reply.seal.state == seal_pb2.SEAL_STATE_IN_TRANSIT


def start(stub: seal_pb2_grpc.SealServiceStub, suite: Suite, places: Places, **kw: Any) -> Transit:
    transit = attach(stub, suite, places, **kw)
    arm(stub, suite, transit)
    return transit


def rows(transit: Transit, scenario: Scenario | None = None) -> list[dict[str, Any]]:
    return simulate(transit.trip, scenario or Scenario())


def uploads(rows: Sequence[dict[str, Any]], window_s: float = 300.0) -> list[list[dict[str, Any]]]:
    """Rows grouped as a gateway uploads them (by reception window)."""
    return list(by_reception(rows, window_s))


def send(
    stub: seal_pb2_grpc.SealServiceStub,
    suite: Suite,
    seal: str,
    groups: Iterable[Sequence[dict[str, Any]]],
) -> list[seal_pb2.StreamPingsResponse]:
    device = auth(suite.token(f"gateway-{seal}", "device"))
    return list(stub.StreamPings(iter(sample.requests(seal, groups)), metadata=device, timeout=60))


def drive_to(
    stub: seal_pb2_grpc.SealServiceStub,
    suite: Suite,
    transit: Transit,
    rows: Sequence[dict[str, Any]],
    count: int,
) -> LatLon:
    """Sends the trip's first ``count`` rows as uploads; returns where the truck then is."""
    send(stub, suite, transit.seal, uploads(rows[:count]))
    return LatLon(rows[count - 1]["lat"], rows[count - 1]["lon"])


def alerts(mongo: MongoClient[dict[str, Any]], suite: Suite, seal: str) -> list[tuple[str, str]]:
    """(phase, kind) of the seal's alerts in outbox order."""
    docs = mongo[database(suite, "seal")]["outbox_alerts"].find({"subject": seal}).sort("seq", 1)
    return [(d["phase"], d["kind"]) for d in docs]


def alert_docs(mongo: MongoClient[dict[str, Any]], suite: Suite, seal: str) -> list[dict[str, Any]]:
    return list(
        mongo[database(suite, "seal")]["outbox_alerts"].find({"subject": seal}).sort("seq", 1)
    )


def stored_seqs(mongo: MongoClient[dict[str, Any]], suite: Suite, seal: str) -> list[int]:
    pings = mongo[database(suite, "seal")]["pings"]
    return sorted(d["seq"] for d in pings.find({"device": seal}, {"seq": 1}))


def status(
    stub: seal_pb2_grpc.SealServiceStub, suite: Suite, number: str
) -> seal_pb2.GetContainerSealStatusResponse:
    service = auth(suite.token("service:camera", "service"))
    return stub.GetContainerSealStatus(
        seal_pb2.GetContainerSealStatusRequest(
            container_number=container_pb2.ContainerNumber(value=number)
        ),
        metadata=service,
    )


def remove(
    stub: seal_pb2_grpc.SealServiceStub, suite: Suite, seal: str, where: LatLon = MOC_BAI
) -> seal_pb2.RemoveSealResponse:
    officer = auth(suite.token("officer-9", "officer"))
    return stub.RemoveSeal(
        seal_pb2.RemoveSealRequest(name=seal, position=sample.geo(where)), metadata=officer
    )


def channel_of(suite: Suite) -> grpc.Channel:
    return grpc.insecure_channel(suite.services["seal"].address)


class PacedPings:
    """A device gateway streaming one ping per request, 20 ms apart, in a thread of its own;
    ``acks`` and ``failed`` fill in as the stream goes."""

    def __init__(
        self,
        stub: seal_pb2_grpc.SealServiceStub,
        token: str,
        seal: str,
        rows: Sequence[dict[str, Any]],
        timeout: float,
    ) -> None:
        self.requests = sample.requests(seal, [[r] for r in rows])
        self.acks: list[seal_pb2.StreamPingsResponse] = []
        self.failed: list[grpc.RpcError] = []
        self.sent = threading.Event()
        self._stub, self._token, self._timeout = stub, token, timeout
        self.thread = threading.Thread(target=self._stream)
        self.thread.start()

    def _paced(self) -> Iterator[seal_pb2.StreamPingsRequest]:
        for request in self.requests:
            time.sleep(0.02)
            yield request
        self.sent.set()

    def _stream(self) -> None:
        try:
            for ack in self._stub.StreamPings(
                self._paced(), metadata=auth(self._token), timeout=self._timeout
            ):
                self.acks.append(ack)
        except grpc.RpcError as exc:
            self.failed.append(exc)

    def wait_for_acks(self, count: int) -> None:
        wait_for(lambda: len(self.acks) >= count or not self.thread.is_alive(), "acks")
        assert self.thread.is_alive() and not self.sent.is_set(), "the stream ended too soon"

    @property
    def acknowledged(self) -> int:
        """How many requests the service has acknowledged as durable."""
        return self.acks[-1].acknowledged_requests if self.acks else 0
