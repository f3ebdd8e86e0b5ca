"""Seal demo data: sites, the Cát Lái → Mộc Bài route, seals in every lifecycle state, and a
live simulated transit that leaves its corridor and comes back (alerts on the live feed at once).

The live trip runs in a daemon thread: one ping every 0.5 s of wall time for 15 s of simulated
device time (30x), about three minutes to Mộc Bài, where the seal is removed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
from customs.common.v1 import container_pb2
from customs.seal.v1 import seal_pb2, seal_pb2_grpc

from devstack.suite import Suite
from services.platform import iso6346
from services.seal import sample
from services.seal.domain.pings import LockState
from services.seal.domain.simulator import CAT_LAI, MOC_BAI, Detour, Scenario, demo_trip, simulate

log = logging.getLogger("devstack.demo.seal")
PACE_SECONDS = 0.5  # wall time between live pings


class _Demo:
    def __init__(self, suite: Suite) -> None:
        self.channel = grpc.insecure_channel(suite.services["seal"].address)
        self.stub = seal_pb2_grpc.SealServiceStub(self.channel)
        self.officer = (("authorization", f"Bearer {suite.token('demo-officer', 'officer')}"),)
        self.supervisor = (
            ("authorization", f"Bearer {suite.token('demo-supervisor', 'supervisor')}"),
        )
        self.device = (("authorization", f"Bearer {suite.token('demo-gateway', 'device')}"),)
        self.sites: list[str] = []
        self.route = ""

    def places(self) -> None:
        for site_id, site in sample.demo_sites():
            reply = self.stub.CreateSite(
                seal_pb2.CreateSiteRequest(site_id=site_id, site=site),
                metadata=self.supervisor,
                timeout=10,
            )
            self.sites.append(reply.site.name)
        self.route = self.stub.CreateRoute(
            seal_pb2.CreateRouteRequest(route_id="cat-lai-moc-bai", route=sample.demo_route()),
            metadata=self.supervisor,
            timeout=10,
        ).route.name

    def seal(self, seal_id: str, battery: int = 90) -> str:
        self.stub.CreateSeal(
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
            metadata=self.officer,
            timeout=10,
        )
        return f"seals/{seal_id}"

    def attach(self, seal: str, serial: str, arm: bool) -> str:
        att = seal_pb2.Attachment(
            container_number=container_pb2.ContainerNumber(
                value=iso6346.make("MSC", "U", serial).text
            ),
            transit_declaration=f"30{serial}/G22",
            origin=self.sites[0],
            destination=self.sites[1],
            route=self.route,
        )
        att.deadline.FromDatetime(datetime.now(UTC) + timedelta(hours=4))
        reply = self.stub.AttachSeal(
            seal_pb2.AttachSealRequest(
                name=seal,
                attachment_id=f"TR-{serial}",
                attachment=att,
                position=sample.geo(CAT_LAI),
            ),
            metadata=self.officer,
            timeout=10,
        )
        if arm:
            self.stub.ArmSeal(
                seal_pb2.ArmSealRequest(name=seal, position=sample.geo(CAT_LAI)),
                metadata=self.officer,
                timeout=10,
            )
        return reply.attachment.container_number.value

    def drive(self, seal: str, scenario: Scenario) -> None:
        """A whole trip's pings at once (the trip is already over)."""
        rows = simulate(demo_trip(device_id=seal, start_time=time.time()), scenario)
        groups = [rows[i : i + 50] for i in range(0, len(rows), 50)]
        for _ in self.stub.StreamPings(
            iter(sample.requests(seal, groups)), metadata=self.device, timeout=60
        ):
            pass

    def remove(self, seal: str) -> None:
        self.stub.RemoveSeal(
            seal_pb2.RemoveSealRequest(name=seal, position=sample.geo(MOC_BAI)),
            metadata=self.officer,
            timeout=10,
        )

    def live(self, seal: str, rows: list[dict[str, Any]]) -> None:
        def paced() -> Iterator[seal_pb2.StreamPingsRequest]:
            for row in rows:
                yield seal_pb2.StreamPingsRequest(seal=seal, pings=[sample.ping(row)])
                time.sleep(PACE_SECONDS)

        try:
            for _ in self.stub.StreamPings(paced(), metadata=self.device):
                pass
            self.remove(seal)
        except grpc.RpcError as exc:  # the stack is stopping
            log.info("live seal trip ended: %s", exc.code())


def load(suite: Suite) -> list[str]:
    demo = _Demo(suite)
    demo.places()
    demo.seal("SL-0001", 96)  # IN_STOCK
    demo.seal("SL-0002", 88)  # IN_STOCK
    demo.seal("SL-0003", 12)  # IN_STOCK, low battery: an alert at once
    attached = demo.seal("SL-0004")
    demo.attach(attached, "100004", arm=False)  # ATTACHED
    arrived = demo.seal("SL-0005")
    arrived_container = demo.attach(arrived, "100005", arm=True)
    demo.drive(arrived, Scenario(seed=5, dwell_s=300.0))  # ARRIVED (still on the container)
    removed = demo.seal("SL-0006")
    demo.attach(removed, "100006", arm=True)
    demo.drive(
        removed,
        Scenario(seed=6, lock_changes=((4000.0, LockState.OPENED), (4200.0, LockState.CLOSED))),
    )
    demo.remove(removed)  # REMOVED (after a lock-opened alert on the road)
    faulty = demo.seal("SL-0007")
    demo.stub.ReportSealFault(
        seal_pb2.ReportSealFaultRequest(name=faulty, reason="GPS antenna broken"),
        metadata=demo.officer,
        timeout=10,
    )  # FAULTY
    live = demo.seal("SL-0008", 93)
    live_container = demo.attach(live, "100008", arm=True)  # IN_TRANSIT
    start = time.time()
    # the deviation starts 3 km after the port: the alert opens after ~20 live pings (~10 s)
    rows = simulate(
        demo_trip(device_id=live, start_time=start),
        Scenario(seed=8, detours=(Detour(3_000.0, 9_000.0, 900.0),)),
    )
    threading.Thread(
        target=demo.live, args=(live, rows), name="seal-demo-trip", daemon=True
    ).start()
    minutes = len(rows) * PACE_SECONDS / 60.0
    return [
        "seal: 8 e-seals (IN_STOCK x3 incl. SL-0003 with a low battery, ATTACHED SL-0004, "
        "ARRIVED SL-0005, REMOVED SL-0006 after a lock-opened alert, FAULTY SL-0007, "
        "IN_TRANSIT SL-0008)",
        f"seal: live trip Cát Lái → Mộc Bài, seal SL-0008 on {live_container}: leaves its "
        f"corridor within ~10 s (SEAL_CORRIDOR_DEVIATION), returns, arrives in ~{minutes:.0f} "
        "min and is removed",
        f"seal: {arrived_container} has arrived at Mộc Bài (gate clearance: intact, arrived)",
    ]
