"""The duty log demo data of ``scripts/run``, loaded into a stack of its own (scanner + dutylog):
it refuses to load without a captured alarm, and otherwise leaves an open shift with entries, a
directive, captured alarms and one completed handover."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from customs.dutylog.v1 import dutylog_pb2 as api
from customs.dutylog.v1 import resources_pb2 as pb

from devstack.demo import dutylog as demo
from devstack.stores import Stores
from devstack.suite import Suite
from tests.dutylog.service_helpers import alarm_for, as_, faulty_scanner, stub


@pytest.fixture(scope="module")
def own(stack_root: Path, stores: Stores) -> Iterator[Suite]:
    suite = Suite(
        stack_root / f"dutylog-demo-{uuid.uuid4().hex[:6]}", stores, f"d{uuid.uuid4().hex[:8]}"
    )
    try:
        # the session's compiled kernels, so that the scanner starts without compiling again
        suite.start("scanner", {"NUMBA_CACHE_DIR": str(stack_root / "numba-cache")})
        suite.start("dutylog")
        yield suite
    finally:
        suite.stop()


def test_demo_fails_loudly_without_captured_alarms_then_loads_them(own: Suite) -> None:
    demo.prepare(own)
    with pytest.raises(RuntimeError, match=r"no alarm captured in rooms/hcm within 1 s"):
        demo.load(own, alarm_wait_seconds=1)
    s = stub(own)
    auditor = as_(own, "audit", "auditor")
    shifts = s.ListShifts(api.ListShiftsRequest(parent=demo.ROOM), metadata=auditor).shifts
    assert list(shifts) == []  # a failed load changes nothing

    captured = alarm_for(own, demo.ROOM, faulty_scanner(own, "CL-09", "sites/cat-lai"))
    lines = demo.load(own)
    assert "captured alarms: 1 " in lines[0], lines

    shifts = s.ListShifts(api.ListShiftsRequest(parent=demo.ROOM), metadata=auditor).shifts
    states = sorted(pb.ShiftState.Name(x.state) for x in shifts)
    assert states == ["SHIFT_STATE_CLOSED", "SHIFT_STATE_OPEN"]
    [open_shift] = [x for x in shifts if x.state == pb.SHIFT_STATE_OPEN]
    handovers = s.ListHandovers(
        api.ListHandoversRequest(parent=demo.ROOM), metadata=auditor
    ).handovers
    assert [h.state for h in handovers] == [pb.HANDOVER_STATE_ACKNOWLEDGED]
    assert list(handovers[0].open_alarms) == [captured.name]
    assert handovers[0].to_shift == open_shift.name
    entries = s.ListEntries(
        api.ListEntriesRequest(parent=demo.ROOM, page_size=1000), metadata=auditor
    ).entries
    in_open_shift = [e for e in entries if e.seq > open_shift.first_seq]
    assert {e.kind for e in in_open_shift} >= {
        pb.ENTRY_KIND_OBSERVATION,
        pb.ENTRY_KIND_ACTION,  # the alarm acknowledged
        pb.ENTRY_KIND_DIRECTIVE,
    }
    directives = s.ListDirectives(
        api.ListDirectivesRequest(parent=demo.ROOM, open_only=True), metadata=auditor
    ).directives
    assert len(directives) == 2
    alarm = s.GetAlarm(api.GetAlarmRequest(name=captured.name), metadata=auditor).alarm
    assert alarm.state == pb.ALARM_STATE_ACKNOWLEDGED and alarm.source == "scanner"
    verdict = s.VerifyChain(api.VerifyChainRequest(room=demo.ROOM), metadata=auditor)
    assert verdict.intact and verdict.signed_seq > 0
