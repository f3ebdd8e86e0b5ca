"""Handovers over real gRPC: the summary the service reads through indexes is the summary the
domain builds from the whole log, and every handover is checkpointed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from customs.dutylog.v1 import dutylog_pb2 as api
from customs.dutylog.v1 import resources_pb2 as pb
from pymongo import MongoClient

from devstack.suite import Suite
from services.dutylog.chain_store import entry_from_doc
from services.dutylog.domain.handovers import build_handover_summary
from services.dutylog.store import shift_from_doc
from tests.dutylog.service_helpers import (
    LAN,
    MINH,
    alarm_for,
    as_,
    create_room,
    faulty_scanner,
    from_now,
    open_shift,
    stub,
    uid,
    write,
)
from tests.support.stack import database


def issue(suite: Suite, room: str, directive_id: str, who: str = "lan") -> pb.Directive:
    request = api.IssueDirectiveRequest(
        parent=room,
        directive_id=directive_id,
        directive=pb.Directive(
            text=f"Follow up {directive_id}", assignee=MINH, due_time=from_now(timedelta(hours=4))
        ),
    )
    directive: pb.Directive = (
        stub(suite).IssueDirective(request, metadata=as_(suite, who)).directive
    )
    return directive


def hand_over(suite: Suite, shift: pb.Shift, who: str) -> api.HandOverShiftResponse:
    request = api.HandOverShiftRequest(name=shift.name, handover_id=uid("h"))
    reply: api.HandOverShiftResponse = stub(suite).HandOverShift(request, metadata=as_(suite, who))
    return reply


def test_handover_summary_equals_the_summary_of_the_whole_log(
    suite: Suite, mongo: MongoClient[dict[str, Any]]
) -> None:
    site = f"sites/{uid('gate')}"
    room = create_room(suite, uid("handover"), sites=(site,))
    s = stub(suite)
    lan, minh = as_(suite, "lan"), as_(suite, "minh")
    early = open_shift(suite, room, "early", MINH)
    left_open = issue(suite, room, "from-early", "minh")
    write(suite, room, "minh", "Quiet start at the gate")
    first = hand_over(suite, early, "minh")
    day = open_shift(suite, room, "day", LAN, MINH)
    s.AcknowledgeHandover(api.AcknowledgeHandoverRequest(name=first.handover.name), metadata=lan)
    alarm = alarm_for(suite, room, faulty_scanner(suite, uid("SC"), site))
    s.AcknowledgeAlarm(api.AcknowledgeAlarmRequest(name=alarm.name), metadata=lan)
    s.EscalateAlarm(
        api.EscalateAlarmRequest(name=alarm.name, escalated_to="sup", reason="Scanner down"),
        metadata=lan,
    )
    done = issue(suite, room, "done")
    kept = issue(suite, room, "kept")
    s.CloseDirective(api.CloseDirectiveRequest(name=done.name, result="Done"), metadata=minh)
    noted = write(suite, room, "lan", "Detector row 3 dead on the gate scanner")
    write(suite, room, "lan", "It is row 4", kind=pb.ENTRY_KIND_CORRECTION, corrects=noted.name)

    reply = hand_over(suite, day, "lan")
    db = mongo[database(suite, "dutylog")]
    room_id = room.removeprefix("rooms/")
    before_note = db["entries"].find({"room": room_id, "seq": {"$lt": reply.shift.last_seq}})
    log = [entry_from_doc(d) for d in before_note.sort("seq", 1)]
    expected = build_handover_summary(
        log, shift_from_doc(db["shifts"].find_one({"name": day.name}))
    )

    handover = reply.handover
    assert list(handover.open_alarms) == [
        f"{room}/alarms/{a.alert_id}" for a in expected.carry_over.open_alarms
    ]
    assert list(handover.open_directives) == [
        f"{room}/directives/{d.directive_id}" for d in expected.carry_over.open_directives
    ]
    assert list(handover.notable_entries) == [e.name for e in expected.notable]
    assert handover.summary == expected.render()
    # and it is the expected content, not two empty summaries that agree
    assert list(handover.open_alarms) == [alarm.name]
    assert list(handover.open_directives) == [left_open.name, kept.name]
    assert [e.kind.value for e in expected.notable] == [
        "ALERT",
        "ACTION",  # the escalation
        "DIRECTIVE",
        "DIRECTIVE",
        "RESULT",
        "CORRECTION",
    ]


def test_a_handover_is_checkpointed(suite: Suite) -> None:
    room = create_room(suite, uid("checkpointed"))
    shift = open_shift(suite, room, "day", LAN)
    write(suite, room, "lan", "Patrol round at Cát Lái")
    reply = hand_over(suite, shift, "lan")
    auditor = as_(suite, "audit", "auditor")
    s = stub(suite)
    checkpoints = s.ListCheckpoints(
        api.ListCheckpointsRequest(parent=room), metadata=auditor
    ).checkpoints
    note = s.GetEntry(api.GetEntryRequest(name=reply.handover.entry), metadata=auditor).entry
    assert note.seq == reply.shift.last_seq and note.kind == pb.ENTRY_KIND_HANDOVER_NOTE
    assert [(c.seq, c.reason, c.head_sha256) for c in checkpoints] == [
        (note.seq, pb.CHECKPOINT_REASON_HANDOVER, note.entry_sha256)
    ]
    verdict = s.VerifyChain(api.VerifyChainRequest(room=room), metadata=auditor)
    assert verdict.intact and verdict.signed_seq == note.seq
    assert checkpoints[0].public_key == verdict.public_key
