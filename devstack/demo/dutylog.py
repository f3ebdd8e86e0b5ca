"""Duty log demo data: the HCMC room with the alarms captured from the other services' demo
alerts, a night shift with entries and a directive handed over to the day shift (handover
acknowledged), and the open day shift with entries, an acknowledged alarm and a directive.

Loading waits (at most ``ALARM_WAIT_SECONDS``) until capture has recorded at least one alarm in
the room and fails, changing nothing, when none arrives: a demo without captured alarms would
hide that capture is broken."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import grpc
from customs.dutylog.v1 import dutylog_pb2 as api
from customs.dutylog.v1 import dutylog_pb2_grpc
from customs.dutylog.v1 import resources_pb2 as pb
from google.protobuf.timestamp_pb2 import Timestamp

from devstack.suite import Suite

ROOM = "rooms/hcm"
ALARM_WAIT_SECONDS = 120.0
LAN = pb.Officer(
    subject="officer:lan", display_name="Nguyễn Thị Lan", department=pb.DEPARTMENT_ANTI_SMUGGLING
)
MINH = pb.Officer(
    subject="officer:minh", display_name="Trần Văn Minh", department=pb.DEPARTMENT_RISK_MANAGEMENT
)
HUNG = pb.Officer(
    subject="officer:hung", display_name="Lê Quốc Hùng", department=pb.DEPARTMENT_SUPERVISION
)
THAO = pb.Officer(
    subject="officer:thao",
    display_name="Phạm Thu Thảo",
    department=pb.DEPARTMENT_POST_CLEARANCE_AUDIT,
)


def _due(hours: float) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(datetime.now(UTC) + timedelta(hours=hours))
    return stamp


def prepare(suite: Suite) -> None:
    """Creates the HCMC room before the other services' demo data, so that their alerts at
    Cát Lái and Mộc Bài are captured into this room (its shifts see them)."""
    stub = dutylog_pb2_grpc.DutyLogServiceStub(
        grpc.insecure_channel(suite.services["dutylog"].address)
    )
    supervisor = (("authorization", f"Bearer {suite.token('demo-supervisor', 'supervisor')}"),)
    stub.CreateRoom(
        api.CreateRoomRequest(
            room_id="hcm",
            room=api.Room(
                display_name="Hồ Chí Minh City customs monitoring room",
                sites=["sites/cat-lai", "sites/moc-bai", "sites/tan-son-nhat"],
                time_zone="Asia/Ho_Chi_Minh",
            ),
        ),
        metadata=supervisor,
        timeout=10,
    )


def captured_alarms(
    stub: dutylog_pb2_grpc.DutyLogServiceStub,
    metadata: tuple[tuple[str, str], ...],
    log_path: str,
    wait_seconds: float,
) -> list[pb.Alarm]:
    """The room's alarms once capture has recorded at least one; RuntimeError after
    ``wait_seconds`` without any."""
    deadline = time.monotonic() + wait_seconds
    while True:
        reply = stub.ListAlarms(
            api.ListAlarmsRequest(parent=ROOM, page_size=1000), metadata=metadata, timeout=10
        )
        if reply.alarms:
            return list(reply.alarms)
        if time.monotonic() >= deadline:
            raise RuntimeError(
                f"demo: no alarm captured in {ROOM} within {wait_seconds:.0f} s although the "
                "scanner, camera and seal demo data raise alerts at its sites; the duty log's "
                f"capture is not working (see {log_path})"
            )
        time.sleep(0.5)


def load(suite: Suite, alarm_wait_seconds: float = ALARM_WAIT_SECONDS) -> list[str]:
    running = suite.services["dutylog"]
    stub = dutylog_pb2_grpc.DutyLogServiceStub(grpc.insecure_channel(running.address))

    def who(officer: pb.Officer) -> tuple[tuple[str, str], ...]:
        token = suite.token(officer.subject, "officer")
        return (("authorization", f"Bearer {token}"),)

    def note(
        officer: pb.Officer,
        text: str,
        kind: pb.EntryKind.ValueType = pb.ENTRY_KIND_OBSERVATION,
        references: pb.References | None = None,
    ) -> pb.Entry:
        entry = pb.Entry(kind=kind, text=text, references=references)
        request = api.CreateEntryRequest(parent=ROOM, entry=entry)
        created: pb.Entry = stub.CreateEntry(request, metadata=who(officer), timeout=10).entry
        return created

    supervisor = (("authorization", f"Bearer {suite.token('demo-supervisor', 'supervisor')}"),)
    alarms = captured_alarms(stub, supervisor, str(running.process.log_path), alarm_wait_seconds)
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    night = stub.OpenShift(
        api.OpenShiftRequest(
            parent=ROOM, shift_id=f"{day}-night", shift=pb.Shift(leader=LAN, officers=[MINH])
        ),
        metadata=who(LAN),
        timeout=10,
    ).shift
    note(LAN, "Camera feeds of Cát Lái and Mộc Bài checked: all online.")
    note(
        MINH,
        "Container CSQU3054383 assigned the red channel; scanner inspection requested.",
        kind=pb.ENTRY_KIND_ACTION,
        references=pb.References(container_numbers=["CSQU3054383"]),
    )
    stub.IssueDirective(
        api.IssueDirectiveRequest(
            parent=ROOM,
            directive_id=f"{day}-seal-battery",
            directive=pb.Directive(
                text="Have the Cát Lái depot charge every seal below 20% before arming it.",
                assignee=MINH,
                due_time=_due(6),
            ),
        ),
        metadata=supervisor,
        timeout=10,
    )
    handover = stub.HandOverShift(
        api.HandOverShiftRequest(name=night.name, handover_id=f"{day}-night-to-day"),
        metadata=who(LAN),
        timeout=10,
    ).handover
    day_shift = stub.OpenShift(
        api.OpenShiftRequest(
            parent=ROOM, shift_id=f"{day}-day", shift=pb.Shift(leader=HUNG, officers=[THAO])
        ),
        metadata=who(HUNG),
        timeout=10,
    ).shift
    stub.AcknowledgeHandover(
        api.AcknowledgeHandoverRequest(name=handover.name), metadata=who(HUNG), timeout=10
    )
    stub.AcknowledgeAlarm(
        api.AcknowledgeAlarmRequest(name=alarms[0].name, note="Looking into it"),
        metadata=who(THAO),
        timeout=10,
    )
    note(THAO, "Truck 51C-123.45 held at Mộc Bài lane 2 pending the seal check.")
    stub.IssueDirective(
        api.IssueDirectiveRequest(
            parent=ROOM,
            directive_id=f"{day}-moc-bai-recheck",
            directive=pb.Directive(
                text="Re-check the seal of the truck held at Mộc Bài and report.",
                assignee=THAO,
                due_time=_due(2),
            ),
        ),
        metadata=who(HUNG),
        timeout=10,
    )
    return [
        f"dutylog: {ROOM} shift {night.name.rsplit('/', 1)[1]} handed over "
        f"({len(handover.open_alarms)} open alarms, {len(handover.open_directives)} open "
        f"directives carried over, acknowledged) to open shift "
        f"{day_shift.name.rsplit('/', 1)[1]}; captured alarms: {len(handover.open_alarms)} "
        "(the room supervises Cát Lái and Mộc Bài; alerts with no site go to rooms/national)",
    ]
