"""Seal demo data: sites, the Cát Lái → Mộc Bài route, seals in every lifecycle state, and a
live simulated transit that leaves its corridor and comes back (alerts on the live feed at once).

Device clocks agree with the server's, as a healthy seal's do (only a wrong clock is flagged
for drift): the finished trips are recorded trips that ended just now, uploaded at once as a
gateway uploads what it buffered; the live trip pings in real time, one fix a second, its truck
driving ten times a truck's speed so that it reaches Mộc Bài in minutes. It joins the demo mid-way:
what its seal recorded before the demo data was loaded (since leaving Cát Lái, then pulling off
the road) arrives as one buffered upload, timed so that the deviation opens moments later.
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
from services.seal.domain.config import RuleConfig
from services.seal.domain.pings import LockState
from services.seal.domain.simulator import CAT_LAI, MOC_BAI, Scenario, Stop, demo_trip, simulate
from services.seal.settings import rule_config

log = logging.getLogger("devstack.demo.seal")
LIVE_SPEED_MPS = 180.0  # ten times a truck's speed: the 80 km in about 7 minutes
LIVE_INTERVAL_S = 1.0  # one fix a second, device and server time alike
LIVE_ASIDE_AT_M = 3_000.0  # where the live truck pulls off the road ...
LIVE_ASIDE_M = 900.0  # ... this far from it, for the deviation debounce plus one minute
LIVE_LEAD_S = 10.0  # the deviation opens this long after the demo data is loaded


def recorded_trip(seal: str, scenario: Scenario, now: float) -> list[dict[str, Any]]:
    """The rows of a whole trip whose last fix was taken at ``now``."""
    probe = simulate(demo_trip(device_id=seal, start_time=0.0), scenario)
    duration = max(r["device_time"] for r in probe)
    return simulate(demo_trip(device_id=seal, start_time=now - duration), scenario)


def live_trip(seal: str, rules: RuleConfig, now: float) -> list[dict[str, Any]]:
    """The rows of the live trip: started so long before ``now`` that, at ``now``, its truck
    has been off the road for LIVE_LEAD_S less than the deviation debounce."""
    reach_s = LIVE_ASIDE_AT_M / LIVE_SPEED_MPS
    scenario = Scenario(
        seed=8,
        speed_mps=LIVE_SPEED_MPS,
        interval_s=LIVE_INTERVAL_S,
        stops=(Stop(LIVE_ASIDE_AT_M, rules.deviation_debounce_s + 60.0, LIVE_ASIDE_M),),
        dwell_s=60.0,
    )
    started = now - max(0.0, reach_s + rules.deviation_debounce_s - LIVE_LEAD_S)
    return simulate(demo_trip(device_id=seal, start_time=started), scenario)


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

    def upload(self, seal: str, rows: list[dict[str, Any]]) -> None:
        """``rows`` in one upload (only its newest fix is live, and it is current)."""
        for _ in self.stub.StreamPings(
            iter(sample.requests(seal, [rows])), metadata=self.device, timeout=60
        ):
            pass

    def remove(self, seal: str) -> None:
        self.stub.RemoveSeal(
            seal_pb2.RemoveSealRequest(name=seal, position=sample.geo(MOC_BAI)),
            metadata=self.officer,
            timeout=10,
        )

    def live(self, seal: str, rows: list[dict[str, Any]]) -> None:
        """Streams ``rows`` in real time: those already due as one buffered upload, then each
        when its fix is taken (plus the simulated latency)."""

        def paced() -> Iterator[seal_pb2.StreamPingsRequest]:
            due = [r for r in rows if r["server_time"] <= time.time()]
            if due:
                yield from sample.requests(seal, [due])
            for row in rows[len(due) :]:
                time.sleep(max(0.0, row["server_time"] - time.time()))
                yield seal_pb2.StreamPingsRequest(seal=seal, pings=[sample.ping(row)])

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
    # ARRIVED (still on the container)
    demo.upload(arrived, recorded_trip(arrived, Scenario(seed=5, dwell_s=300.0), time.time()))
    removed = demo.seal("SL-0006")
    demo.attach(removed, "100006", arm=True)
    lock_opened = Scenario(
        seed=6, lock_changes=((4000.0, LockState.OPENED), (4200.0, LockState.CLOSED))
    )
    demo.upload(removed, recorded_trip(removed, lock_opened, time.time()))
    demo.remove(removed)  # REMOVED (after a lock-opened alert on the road)
    faulty = demo.seal("SL-0007")
    demo.stub.ReportSealFault(
        seal_pb2.ReportSealFaultRequest(name=faulty, reason="GPS antenna broken"),
        metadata=demo.officer,
        timeout=10,
    )  # FAULTY
    live = demo.seal("SL-0008", 93)
    live_container = demo.attach(live, "100008", arm=True)  # IN_TRANSIT
    rules = rule_config(suite.services["seal"].env)
    rows = live_trip(live, rules, time.time())
    threading.Thread(
        target=demo.live, args=(live, rows), name="seal-demo-trip", daemon=True
    ).start()
    minutes = (rows[-1]["server_time"] - time.time()) / 60.0
    return [
        "seal: 8 e-seals (IN_STOCK x3 incl. SL-0003 with a low battery, ATTACHED SL-0004, "
        "ARRIVED SL-0005, REMOVED SL-0006 after a lock-opened alert, FAULTY SL-0007, "
        "IN_TRANSIT SL-0008)",
        f"seal: live trip Cát Lái → Mộc Bài, seal SL-0008 on {live_container}: off its corridor, "
        f"SEAL_CORRIDOR_DEVIATION within ~{LIVE_LEAD_S:.0f} s, back on the road a minute later, "
        f"arrives in ~{minutes:.0f} min and is removed",
        f"seal: {arrived_container} has arrived at Mộc Bài (gate clearance: intact, arrived)",
    ]
