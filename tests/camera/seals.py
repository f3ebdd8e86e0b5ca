"""Sealed transits made through the seal service's public RPCs, for the exit tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from customs.common.v1 import container_pb2, geo_pb2
from customs.seal.v1 import seal_pb2, seal_pb2_grpc

from devstack.suite import Suite
from tests.camera.gates import stamp, unique
from tests.support.stack import auth, channel

CAT_LAI = geo_pb2.GeoPoint(latitude=10.757, longitude=106.790)
MOC_BAI = geo_pb2.GeoPoint(latitude=11.072, longitude=106.163)
HALFWAY = geo_pb2.GeoPoint(latitude=10.914, longitude=106.476)


def _site(stub: seal_pb2_grpc.SealServiceStub, token: str, where: geo_pb2.GeoPoint) -> str:
    site_id = unique("s")
    stub.CreateSite(
        seal_pb2.CreateSiteRequest(
            site_id=site_id,
            site=seal_pb2.Site(
                display_name=site_id,
                geofence=seal_pb2.Geofence(circle=seal_pb2.Circle(center=where, radius_m=2_000.0)),
            ),
        ),
        metadata=auth(token),
    )
    return f"sites/{site_id}"


#: How far a sealed transit goes: attached at its origin, armed there, pinged half way, arrived.
Stage = Literal["attached", "armed", "on the road", "arrived"]
STAGES: tuple[Stage, ...] = ("attached", "armed", "on the road", "arrived")


@dataclass(frozen=True)
class Transit:
    """A seal on a container and the seal service's names of its origin and destination
    ("sites/{site_id}"), for gates of the camera service made under the same site ids."""

    seal: str
    origin: str
    destination: str


def sealed_transit(
    suite: Suite,
    container_number: str,
    until: Stage,
    *,
    lock: int = seal_pb2.LOCK_STATE_CLOSED,
) -> Transit:
    """Attaches a seal on ``container_number`` at Cát Lái for a transit to Mộc Bài (sites of
    their own), then goes on ``until`` a stage: armed at Cát Lái; one ping half way with
    ``lock``; one inside Mộc Bài."""
    reached = STAGES[: STAGES.index(until) + 1]
    stub = seal_pb2_grpc.SealServiceStub(channel(suite, "seal"))
    supervisor = suite.token("seal-sup", "supervisor")
    officer = auth(suite.token("seal-officer", "officer"))
    origin, destination = _site(stub, supervisor, CAT_LAI), _site(stub, supervisor, MOC_BAI)
    route_id = unique("r")
    stub.CreateRoute(
        seal_pb2.CreateRouteRequest(
            route_id=route_id,
            route=seal_pb2.Route(
                display_name="Cát Lái → Mộc Bài",
                polyline=[CAT_LAI, HALFWAY, MOC_BAI],
                corridor_width_m=5_000.0,
            ),
        ),
        metadata=auth(supervisor),
    )
    seal_id = unique("SL")
    seal = stub.CreateSeal(
        seal_pb2.CreateSealRequest(
            seal_id=seal_id,
            seal=seal_pb2.Seal(manufacturer="ACME", serial_number=seal_id, battery_percent=90),
        ),
        metadata=auth(supervisor),
    ).seal.name
    now = datetime.now(UTC)
    stub.AttachSeal(
        seal_pb2.AttachSealRequest(
            name=seal,
            attachment_id=unique("a"),
            attachment=seal_pb2.Attachment(
                container_number=container_pb2.ContainerNumber(value=container_number),
                transit_declaration="305123456789",
                origin=origin,
                destination=destination,
                route=f"routes/{route_id}",
                deadline=stamp(now + timedelta(days=1)),
            ),
            position=CAT_LAI,
        ),
        metadata=officer,
    )
    transit = Transit(seal, origin, destination)
    if "armed" not in reached:
        return transit
    stub.ArmSeal(seal_pb2.ArmSealRequest(name=seal, position=CAT_LAI), metadata=officer)
    if "on the road" not in reached:
        return transit
    pings = [seal_pb2.Ping(seq=1, device_time=stamp(now), position=HALFWAY, lock=lock)]
    if "arrived" in reached:
        pings.append(
            seal_pb2.Ping(
                seq=2, device_time=stamp(now + timedelta(seconds=30)), position=MOC_BAI, lock=lock
            )
        )
    replies = stub.StreamPings(
        iter([seal_pb2.StreamPingsRequest(seal=seal, pings=pings)]),
        metadata=auth(suite.token("seal-gateway", "device")),
        timeout=30,
    )
    for _ in replies:
        pass
    return transit
