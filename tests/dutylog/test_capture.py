"""Automatic capture across restarts, the sweeper, and carry-over across handovers, on a stack
of their own (seal + dutylog) so the dutylog process can be killed."""

from __future__ import annotations

import base64
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from customs.dutylog.v1 import dutylog_pb2 as api
from customs.dutylog.v1 import resources_pb2 as pb
from google.protobuf.duration_pb2 import Duration
from pymongo import MongoClient

from devstack.stores import Stores
from devstack.suite import Suite
from services.dutylog.domain.checkpoints import load_private_key, public_key_b64
from tests.dutylog.service_helpers import (
    LAN,
    MINH,
    alarm_for,
    all_alarms,
    as_,
    eventually,
    from_now,
    low_battery_seal,
    open_shift,
    stub,
    verify_offline,
)
from tests.support.stack import database

ROOM = "rooms/capture"
SIGNING_SEED = base64.b64encode(bytes(range(32))).decode()
SIGNING_SEED_PUBLIC = public_key_b64(load_private_key(SIGNING_SEED))
DUTYLOG_ENV = {
    "DUTYLOG_DEFAULT_ROOM": ROOM,
    "DUTYLOG_SWEEP_SECONDS": "0.3",
    "DUTYLOG_CHECKPOINT_EVERY": "5",
    "DUTYLOG_SIGNING_KEY": SIGNING_SEED,
    "DUTYLOG_CAPTURE_BACKOFF_MAX_SECONDS": "1",
}


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory, stores: Stores) -> Iterator[Suite]:
    suite = Suite(
        tmp_path_factory.mktemp("dutylog-own"), stores, namespace=f"x{uuid.uuid4().hex[:8]}"
    )
    try:
        suite.start("seal")
        suite.start("dutylog", DUTYLOG_ENV)
        yield suite
    finally:
        suite.stop()


def recorded(own: Suite, mongo: MongoClient[dict[str, Any]]) -> Counter[str]:
    """How many alarms the duty log holds per seal alert."""
    alarms = mongo[database(own, "dutylog")]["alarms"].find({"source": "seal"}, {"alert": 1})
    return Counter(doc["alert"] for doc in alarms)


def raised(own: Suite, mongo: MongoClient[dict[str, Any]]) -> set[str]:
    """The alerts the seal service raised (its outbox)."""
    outbox = mongo[database(own, "seal")]["outbox_alerts"].find({}, {"_id": 1})
    return {f"alerts/{doc['_id']}" for doc in outbox}


def test_unset_sources_are_logged_once(own: Suite) -> None:
    log = Path(own.services["dutylog"].process.log_path).read_text()
    assert log.count("SCANNER_ADDRESS is unset") == 1
    assert log.count("CAMERA_ADDRESS is unset") == 1


def test_consumer_killed_mid_stream_records_every_alert_exactly_once(
    own: Suite, mongo: MongoClient[dict[str, Any]]
) -> None:
    prefix = f"K{uuid.uuid4().hex[:6]}"

    def register_seals() -> None:
        for i in range(30):
            low_battery_seal(own, f"{prefix}-{i:02d}")
            time.sleep(0.03)

    first_batch = threading.Thread(target=register_seals)
    first_batch.start()
    try:
        eventually(lambda: len(recorded(own, mongo)) >= 5, "some alerts recorded")
        dying = own.services["dutylog"].process
        dying.kill()  # kill -9, mid-stream
        dying.stop()  # reaps it and closes its log file
    finally:
        first_batch.join()
    assert len(recorded(own, mongo)) < 30  # it really died before the end
    own.start("dutylog", DUTYLOG_ENV)
    # The source restarts too (SIGTERM ends its streams), and raises more meanwhile.
    own.stop_service("seal")
    own.start("seal")
    for i in range(30, 35):
        low_battery_seal(own, f"{prefix}-{i:02d}")

    expected = raised(own, mongo)
    assert len(expected) >= 35
    # A transaction cut by the kill keeps its locks until the store expires it (60 s).
    eventually(lambda: set(recorded(own, mongo)) == expected, "every alert recorded", 150)
    counts = recorded(own, mongo)
    assert max(counts.values()) == 1
    alert_entries = Counter(
        doc["content"]["references"]["alert_ids"][0]
        for doc in mongo[database(own, "dutylog")]["entries"].find(
            {"kind": "ALERT", "content.attributes.source": "seal"}
        )
    )
    assert len(alert_entries) == len(expected) and max(alert_entries.values()) == 1
    verdict = stub(own).VerifyChain(
        api.VerifyChainRequest(room=ROOM), metadata=as_(own, "audit", "auditor")
    )
    assert verdict.intact, verdict
    assert verdict.checkpoints_checked >= verdict.head_seq // 5


def directive(own: Suite, directive_id: str, due: timedelta) -> pb.Directive:
    request = api.IssueDirectiveRequest(
        parent=ROOM,
        directive_id=directive_id,
        directive=pb.Directive(
            text=f"Follow up {directive_id}", assignee=MINH, due_time=from_now(due)
        ),
    )
    issued: pb.Directive = stub(own).IssueDirective(request, metadata=as_(own, "lan")).directive
    return issued


def hand_over(own: Suite, shift: pb.Shift, who: str, handover_id: str, **kw: Any) -> pb.Handover:
    request = api.HandOverShiftRequest(name=shift.name, handover_id=handover_id, **kw)
    handover: pb.Handover = stub(own).HandOverShift(request, metadata=as_(own, who)).handover
    return handover


def test_open_items_carry_over_across_two_handovers(
    own: Suite, mongo: MongoClient[dict[str, Any]], tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:6]
    low_battery_seal(own, f"C{tag}-1")
    low_battery_seal(own, f"C{tag}-2")
    x1 = alarm_for(own, ROOM, f"seals/C{tag}-1")
    x2 = alarm_for(own, ROOM, f"seals/C{tag}-2")
    s = stub(own)
    shift_a = open_shift(own, ROOM, f"a-{tag}", LAN, MINH)
    d1 = directive(own, f"d1-{tag}", timedelta(hours=4))
    d2 = directive(own, f"d2-{tag}", timedelta(hours=4))
    h1 = hand_over(own, shift_a, "lan", f"h1-{tag}")
    assert {x1.name, x2.name} <= set(h1.open_alarms)
    assert {d1.name, d2.name} <= set(h1.open_directives)
    assert h1.state == pb.HANDOVER_STATE_PENDING and f"h1-{tag}" in h1.name

    shift_b = open_shift(own, ROOM, f"b-{tag}", MINH)
    acked = s.AcknowledgeHandover(
        api.AcknowledgeHandoverRequest(name=h1.name), metadata=as_(own, "minh")
    )
    assert acked.handover.state == pb.HANDOVER_STATE_ACKNOWLEDGED
    assert acked.handover.to_shift == shift_b.name
    minh = as_(own, "minh")
    s.AcknowledgeAlarm(api.AcknowledgeAlarmRequest(name=x1.name), metadata=minh)
    s.ResolveAlarm(api.ResolveAlarmRequest(name=x1.name, note="Battery swapped"), metadata=minh)
    s.CloseDirective(api.CloseDirectiveRequest(name=d1.name, result="Done"), metadata=minh)
    h2 = hand_over(own, shift_b, "minh", f"h2-{tag}")
    assert x2.name in h2.open_alarms and x1.name not in h2.open_alarms
    assert d2.name in h2.open_directives and d1.name not in h2.open_directives
    assert "Open directives" in h2.summary and f"d2-{tag}" in h2.summary

    shift_c = open_shift(own, ROOM, f"c-{tag}", LAN)
    s.AcknowledgeHandover(api.AcknowledgeHandoverRequest(name=h2.name), metadata=as_(own, "lan"))
    closed_b = s.GetShift(api.GetShiftRequest(name=shift_b.name), metadata=minh).shift
    assert closed_b.state == pb.SHIFT_STATE_CLOSED and closed_b.last_seq > closed_b.first_seq
    assert shift_c.state == pb.SHIFT_STATE_OPEN

    bundle = s.ExportShiftBundle(api.ExportShiftBundleRequest(name=shift_b.name), metadata=minh)
    code, out = verify_offline(tmp_path, bundle.bundle, "--public-key", SIGNING_SEED_PUBLIC)
    assert code == 0, out
    assert "expected key matches" in out


def test_sweeper_raises_overdue_directive_and_late_handover_once(
    own: Suite, mongo: MongoClient[dict[str, Any]]
) -> None:
    tag = uuid.uuid4().hex[:6]
    s = stub(own)
    head = s.VerifyChain(api.VerifyChainRequest(room=ROOM), metadata=as_(own, "a", "auditor"))
    assert head.intact
    current = [
        sh
        for sh in s.ListShifts(
            api.ListShiftsRequest(parent=ROOM, page_size=1000), metadata=as_(own, "lan")
        ).shifts
        if sh.state == pb.SHIFT_STATE_OPEN
    ]
    shift = current[0] if current else open_shift(own, ROOM, f"s-{tag}", LAN)
    lead = shift.leader.subject
    late = directive(own, f"late-{tag}", timedelta(seconds=1))
    handover = hand_over(own, shift, lead, f"late-{tag}", ack_within=Duration(seconds=1))
    outbox = mongo[database(own, "dutylog")]["outbox_alerts"]

    def raised_for(subject: str) -> list[dict[str, Any]]:
        return list(outbox.find({"subject": subject}))

    eventually(lambda: raised_for(late.name), "DIRECTIVE_OVERDUE raised")
    eventually(lambda: raised_for(handover.name), "HANDOVER_UNACKNOWLEDGED raised")
    time.sleep(1.5)  # several more sweeps: still raised once each
    assert [a["kind"] for a in raised_for(late.name)] == ["DIRECTIVE_OVERDUE"]
    assert [a["kind"] for a in raised_for(handover.name)] == ["HANDOVER_UNACKNOWLEDGED"]
    got = s.GetDirective(api.GetDirectiveRequest(name=late.name), metadata=as_(own, "lan"))
    assert got.directive.overdue_alerted
    # They reach consumers through this service's WatchAlerts.
    stream = s.WatchAlerts(
        api.WatchAlertsRequest(), metadata=as_(own, "svc", "service"), timeout=10
    )
    kinds = set()
    for response in stream:
        if response.alert.subject in {late.name, handover.name}:
            kinds.add(response.alert.kind)
        if len(kinds) == 2:
            stream.cancel()
            break
    assert kinds == {"DIRECTIVE_OVERDUE", "HANDOVER_UNACKNOWLEDGED"}
    # And the duty log records them like any alert: an ALERT entry and an alarm of the room.
    for subject, kind in (
        (late.name, "DIRECTIVE_OVERDUE"),
        (handover.name, "HANDOVER_UNACKNOWLEDGED"),
    ):
        alarm = alarm_for(own, ROOM, subject)
        assert (alarm.source, alarm.kind, alarm.state) == ("dutylog", kind, pb.ALARM_STATE_OPEN)
        [alert] = raised_for(subject)
        assert alarm.alert == f"alerts/{alert['_id']}"
        entry = s.GetEntry(api.GetEntryRequest(name=alarm.entry), metadata=as_(own, "lan")).entry
        assert entry.kind == pb.ENTRY_KIND_ALERT and entry.attributes["alarm_code"] == kind
        assert len([a for a in all_alarms(own, ROOM) if a.subject == subject]) == 1
