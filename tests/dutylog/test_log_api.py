"""Shifts, entries, directives, alarms and role checks of the duty log over real gRPC."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import grpc
from customs.dutylog.v1 import dutylog_pb2 as api
from customs.dutylog.v1 import resources_pb2 as pb

from devstack.suite import Suite
from tests.dutylog.service_helpers import (
    HUNG,
    LAN,
    MINH,
    alarm_for,
    as_,
    create_room,
    faulty_scanner,
    from_now,
    low_battery_seal,
    open_shift,
    stub,
    uid,
    write,
)
from tests.support.stack import raises_status


def test_entries_are_chained_and_corrections_point_at_the_corrected_entry(suite: Suite) -> None:
    room = create_room(suite, uid("log"))
    shift = open_shift(suite, room, "day", LAN, MINH)
    assert [o.subject for o in shift.officers] == ["lan", "minh"]
    first = write(
        suite,
        room,
        "minh",
        "Container CSQU3054383 red channel, sent to the scanner",
        references=pb.References(container_numbers=["CSQU3054383"], seals=["seals/SL-1"]),
        attachments=[pb.Attachment(content_type="image/jpeg", data=b"\xff\xd8photo")],
    )
    assert first.author.department == pb.DEPARTMENT_RISK_MANAGEMENT
    assert first.prev_sha256 != "0" * 64  # the shift-opening entry comes first
    fix = write(
        suite,
        room,
        "lan",
        "The seal was SL-2, not SL-1",
        kind=pb.ENTRY_KIND_CORRECTION,
        corrects=first.name,
    )
    assert fix.seq == first.seq + 1 and fix.prev_sha256 == first.entry_sha256
    assert fix.corrects == first.name

    got = stub(suite).GetEntry(api.GetEntryRequest(name=first.name), metadata=as_(suite, "lan"))
    attachment = got.entry.attachments[0]
    assert attachment.sha256 == hashlib.sha256(b"\xff\xd8photo").hexdigest()
    assert attachment.download_uri.startswith("http")
    assert got.entry.text == first.text  # the corrected entry is unchanged

    listed = stub(suite).ListEntries(
        api.ListEntriesRequest(parent=room, page_size=2), metadata=as_(suite, "a", "auditor")
    )
    rest = stub(suite).ListEntries(
        api.ListEntriesRequest(parent=room, page_size=2, page_token=listed.next_page_token),
        metadata=as_(suite, "a", "auditor"),
    )
    assert [e.seq for e in [*listed.entries, *rest.entries]] == [1, 2, 3]
    assert rest.next_page_token == ""

    with raises_status(grpc.StatusCode.FAILED_PRECONDITION) as error:
        open_shift(suite, room, "night", MINH)
    assert error["preconditions"] == [("STATE", f"{room}/shifts/night")]
    verdict = stub(suite).VerifyChain(
        api.VerifyChainRequest(room=room), metadata=as_(suite, "a", "auditor")
    )
    assert verdict.intact and verdict.entries_checked == 3 and verdict.head_seq == 3


def test_invalid_requests_name_their_fields(suite: Suite) -> None:
    room = create_room(suite, uid("bad"))
    open_shift(suite, room, "day", LAN)
    bad = pb.Entry(
        kind=pb.ENTRY_KIND_UNSPECIFIED,
        text="  ",
        references=pb.References(container_numbers=["CSQU3054384"], scans=["has space"]),
    )
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        stub(suite).CreateEntry(
            api.CreateEntryRequest(parent=room, entry=bad), metadata=as_(suite, "lan")
        )
    assert error["violations"] == [
        "entry.kind",
        "entry.text",
        "entry.references.container_numbers[0]",
        "entry.references.scans[0]",
    ]
    alert = pb.Entry(kind=pb.ENTRY_KIND_ALERT, text="I invent an alert")
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        stub(suite).CreateEntry(
            api.CreateEntryRequest(parent=room, entry=alert), metadata=as_(suite, "lan")
        )
    assert error["violations"] == ["entry.kind"]
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        write(suite, room, "lan", "oops", kind=pb.ENTRY_KIND_CORRECTION, corrects="rooms/x/e/1")
    assert error["violations"] == ["entry.corrects"]
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        stub(suite).IssueDirective(
            api.IssueDirectiveRequest(
                parent=room,
                directive_id="d1",
                directive=pb.Directive(
                    text="Check it",
                    assignee=pb.Officer(subject="lan"),
                    due_time=from_now(-timedelta(hours=1)),
                ),
            ),
            metadata=as_(suite, "lan"),
        )
    assert error["violations"] == [
        "directive.assignee.display_name",
        "directive.assignee.department",
    ]
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        stub(suite).IssueDirective(
            api.IssueDirectiveRequest(
                parent=room,
                directive_id="d1",
                directive=pb.Directive(
                    text="Check it", assignee=MINH, due_time=from_now(-timedelta(hours=1))
                ),
            ),
            metadata=as_(suite, "lan"),
        )
    assert error["violations"] == ["directive.due_time"]
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        stub(suite).OpenShift(
            api.OpenShiftRequest(parent=room, shift_id="no good", shift=pb.Shift(leader=LAN)),
            metadata=as_(suite, "lan"),
        )
    assert error["violations"] == ["shift_id"]


def test_roles_auditor_reads_and_verifies_but_cannot_write_analyst_cannot_read(
    suite: Suite,
) -> None:
    room = create_room(suite, uid("roles"))
    shift = open_shift(suite, room, "day", LAN)
    write(suite, room, "lan", "Quiet night at Mộc Bài")
    auditor = as_(suite, "audit", "auditor")
    s = stub(suite)
    assert len(s.ListEntries(api.ListEntriesRequest(parent=room), metadata=auditor).entries) == 2
    assert s.VerifyChain(api.VerifyChainRequest(room=room), metadata=auditor).intact
    assert s.ExportShiftBundle(
        api.ExportShiftBundleRequest(name=shift.name), metadata=auditor
    ).bundle
    entry = api.CreateEntryRequest(
        parent=room, entry=pb.Entry(kind=pb.ENTRY_KIND_OBSERVATION, text="auditor writes")
    )
    with raises_status(grpc.StatusCode.PERMISSION_DENIED):
        s.CreateEntry(entry, metadata=auditor)
    with raises_status(grpc.StatusCode.PERMISSION_DENIED):
        s.HandOverShift(
            api.HandOverShiftRequest(name=shift.name, handover_id="h"), metadata=auditor
        )
    analyst = as_(suite, "ana", "analyst")
    for call, request in [
        (s.ListEntries, api.ListEntriesRequest(parent=room)),
        (s.ListAlarms, api.ListAlarmsRequest(parent=room)),
        (s.VerifyChain, api.VerifyChainRequest(room=room)),
        (s.ExportShiftBundle, api.ExportShiftBundleRequest(name=shift.name)),
    ]:
        with raises_status(grpc.StatusCode.PERMISSION_DENIED):
            call(request, metadata=analyst)
    # An officer who is not on the open shift may not write in the room's log.
    with raises_status(grpc.StatusCode.FAILED_PRECONDITION) as error:
        s.CreateEntry(entry, metadata=as_(suite, "stranger"))
    assert error["reason"] == "NOT_ON_SHIFT"


def test_directive_is_closed_once_by_its_result(suite: Suite) -> None:
    room = create_room(suite, uid("dir"))
    open_shift(suite, room, "day", LAN, MINH)
    s = stub(suite)
    issued = s.IssueDirective(
        api.IssueDirectiveRequest(
            parent=room,
            directive_id="inspect-1",
            directive=pb.Directive(
                text="Inspect container CSQU3054383 physically",
                assignee=MINH,
                due_time=from_now(timedelta(hours=2)),
                references=pb.References(container_numbers=["CSQU3054383"]),
            ),
        ),
        metadata=as_(suite, "boss", "supervisor"),
    )
    assert issued.directive.state == pb.DIRECTIVE_STATE_OPEN
    assert issued.entry.kind == pb.ENTRY_KIND_DIRECTIVE
    assert issued.entry.author.department == pb.DEPARTMENT_SUPERVISION
    closed = s.CloseDirective(
        api.CloseDirectiveRequest(name=issued.directive.name, result="Inspected: no finding"),
        metadata=as_(suite, "minh"),
    )
    assert closed.directive.state == pb.DIRECTIVE_STATE_CLOSED
    assert closed.entry.kind == pb.ENTRY_KIND_RESULT
    assert list(closed.entry.references.directives) == ["inspect-1"]
    with raises_status(grpc.StatusCode.FAILED_PRECONDITION):
        s.CloseDirective(
            api.CloseDirectiveRequest(name=issued.directive.name, result="again"),
            metadata=as_(suite, "minh"),
        )
    with raises_status(grpc.StatusCode.ALREADY_EXISTS):
        s.IssueDirective(
            api.IssueDirectiveRequest(
                parent=room,
                directive_id="inspect-1",
                directive=pb.Directive(
                    text="x", assignee=MINH, due_time=from_now(timedelta(hours=1))
                ),
            ),
            metadata=as_(suite, "lan"),
        )


def test_captured_alert_goes_through_the_alarm_lifecycle(suite: Suite) -> None:
    seal_id = uid("SL")
    low_battery_seal(suite, seal_id)
    alarm = alarm_for(suite, "rooms/national", f"seals/{seal_id}")
    assert alarm.source == "seal" and alarm.kind == "SEAL_BATTERY_LOW"
    assert alarm.state == pb.ALARM_STATE_OPEN
    boss = as_(suite, "boss", "supervisor")
    s = stub(suite)
    with raises_status(grpc.StatusCode.FAILED_PRECONDITION) as error:
        s.ResolveAlarm(api.ResolveAlarmRequest(name=alarm.name, note="done"), metadata=boss)
    assert error["preconditions"] == [("STATE", f"alarms/{alarm.name.rsplit('/', 1)[1]}")]
    acked = s.AcknowledgeAlarm(api.AcknowledgeAlarmRequest(name=alarm.name), metadata=boss)
    assert acked.alarm.state == pb.ALARM_STATE_ACKNOWLEDGED
    assigned = s.AssignAlarm(
        api.AssignAlarmRequest(name=alarm.name, assignee=HUNG, note="charge it"), metadata=boss
    )
    assert assigned.alarm.assignee == "hung"
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        s.EscalateAlarm(api.EscalateAlarmRequest(name=alarm.name), metadata=boss)
    assert error["violations"] == ["escalated_to", "reason"]
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        s.ResolveAlarm(api.ResolveAlarmRequest(name=alarm.name, note=" "), metadata=boss)
    assert error["violations"] == ["note"]
    resolved = s.ResolveAlarm(
        api.ResolveAlarmRequest(name=alarm.name, note="Seal charged to 100%"), metadata=boss
    )
    assert resolved.alarm.state == pb.ALARM_STATE_RESOLVED
    assert resolved.entry.kind == pb.ENTRY_KIND_RESULT
    assert resolved.alarm.resolution_note == "Seal charged to 100%"
    steps = [
        e
        for e in s.ListEntries(
            api.ListEntriesRequest(parent="rooms/national", page_size=1000), metadata=boss
        ).entries
        if alarm.name.rsplit("/", 1)[1] in e.references.alarms
    ]
    assert [e.attributes["alarm_state"] for e in steps] == [
        "OPEN",
        "ACKNOWLEDGED",
        "ASSIGNED",
        "RESOLVED",
    ]


def test_alert_is_recorded_by_the_room_that_supervises_its_site(suite: Suite) -> None:
    site = f"sites/{uid('gate')}"
    room = create_room(suite, uid("site"), sites=(site,))
    scanner = faulty_scanner(suite, uid("SC"), site)
    alarm = alarm_for(suite, room, scanner)
    assert alarm.source == "scanner" and alarm.site == site
    assert alarm.kind == "SCANNER_DEAD_DETECTOR_ROWS"
