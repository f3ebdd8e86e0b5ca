"""Stored forms of shifts, alarms, directives and handovers, and their domain objects.

These collections are projections kept in the same transaction as the log entry of each step;
the log stays the record (``alarms_from_log`` and friends rebuild them from it).
"""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel

from services.dutylog.domain.alarms import Alarm, AlarmState
from services.dutylog.domain.directives import Directive, DirectiveState
from services.dutylog.domain.entries import Officer, References, parse_department
from services.dutylog.domain.handovers import Handover, HandoverState
from services.dutylog.domain.notices import Severity
from services.dutylog.domain.shifts import Shift
from services.platform.mongo import Document

SHIFTS = "shifts"
ALARMS = "alarms"
DIRECTIVES = "directives"
HANDOVERS = "handovers"
CAPTURE_TOKENS = "capture_tokens"
INDEXES = {
    SHIFTS: [IndexModel("name", unique=True), IndexModel([("room", ASCENDING), ("name", 1)])],
    ALARMS: [
        IndexModel("name", unique=True),
        IndexModel([("source", ASCENDING), ("alert", ASCENDING)], unique=True),
        IndexModel([("room", ASCENDING), ("state", ASCENDING), ("name", ASCENDING)]),
    ],
    DIRECTIVES: [
        IndexModel("name", unique=True),
        IndexModel([("state", ASCENDING), ("due_time", ASCENDING)]),
        IndexModel([("room", ASCENDING), ("state", ASCENDING), ("name", ASCENDING)]),
    ],
    HANDOVERS: [
        IndexModel("name", unique=True),
        IndexModel([("state", ASCENDING), ("ack_deadline", ASCENDING)]),
    ],
}


def room_of(name: str) -> str:
    """Room id of a child resource name ``rooms/{room}/...``."""
    return name.split("/")[1]


def officer_doc(officer: Officer) -> Document:
    return {
        "subject": officer.subject,
        "display_name": officer.display_name,
        "department": officer.department.value,
    }


def officer_from_doc(doc: Document) -> Officer:
    return Officer(doc["subject"], doc["display_name"], parse_department(doc["department"]))


def references_doc(refs: References) -> Document:
    return {
        "container_numbers": list(refs.container_numbers),
        "scan_names": list(refs.scan_names),
        "seal_names": list(refs.seal_names),
        "passage_names": list(refs.passage_names),
        "alert_ids": list(refs.alert_ids),
        "directive_ids": list(refs.directive_ids),
    }


def references_from_doc(doc: Document) -> References:
    return References(**{k: tuple(v) for k, v in doc.items()})


# Shifts


def shift_doc(shift: Shift, first_seq: int, anchor_sha256: str) -> Document:
    return {
        "name": f"rooms/{shift.room}/shifts/{shift.shift_id}",
        "room": shift.room,
        "shift_id": shift.shift_id,
        "leader": officer_doc(shift.leader),
        "officers": [officer_doc(o) for o in shift.officers],
        "state": "OPEN",
        "start_time": shift.started_at,
        "end_time": None,
        "first_seq": first_seq,
        "anchor_sha256": anchor_sha256,
        "last_seq": 0,
        "last_sha256": "",
    }


def shift_from_doc(doc: Document) -> Shift:
    return Shift(
        shift_id=doc["shift_id"],
        room=doc["room"],
        leader=officer_from_doc(doc["leader"]),
        officers=tuple(officer_from_doc(o) for o in doc["officers"]),
        started_at=doc["start_time"],
        ended_at=doc["end_time"],
    )


# Alarms


def alarm_doc(
    alarm: Alarm, source: str, alert: str, subject: str, site: str, entry: str
) -> Document:
    return {
        "name": f"rooms/{alarm.room}/alarms/{alarm.alert_id}",
        "room": alarm.room,
        "alarm_id": alarm.alert_id,
        "source": source,
        "alert": alert,
        "subject": subject,
        "site": site,
        "entry": entry,
        **alarm_state_doc(alarm),
        "kind": alarm.code,
        "severity": alarm.severity.value,
        "summary": alarm.summary,
        "open_time": alarm.opened_at,
    }


def alarm_state_doc(alarm: Alarm) -> Document:
    """The fields a lifecycle step changes."""
    return {
        "state": alarm.state.value,
        "assignee": alarm.assignee,
        "escalated_to": alarm.escalated_to,
        "resolution_note": alarm.resolution_note,
        "update_time": alarm.updated_at,
    }


def alarm_from_doc(doc: Document) -> Alarm:
    return Alarm(
        alert_id=doc["alarm_id"],
        room=doc["room"],
        code=doc["kind"],
        severity=Severity(doc["severity"]),
        summary=doc["summary"],
        state=AlarmState(doc["state"]),
        opened_at=doc["open_time"],
        updated_at=doc["update_time"],
        assignee=doc.get("assignee"),
        escalated_to=doc.get("escalated_to"),
        resolution_note=doc.get("resolution_note"),
    )


# Directives


def directive_doc(directive: Directive, references: References, entry: str) -> Document:
    return {
        "name": f"rooms/{directive.room}/directives/{directive.directive_id}",
        "room": directive.room,
        "directive_id": directive.directive_id,
        "issued_by": directive.issued_by,
        "assignee": officer_doc(directive.assignee),
        "text": directive.text,
        "references": references_doc(references),
        "issue_time": directive.issued_at,
        "due_time": directive.due_at,
        "overdue_alerted": False,
        "entry": entry,
        **directive_state_doc(directive),
    }


def directive_state_doc(directive: Directive) -> Document:
    return {
        "state": directive.state.value,
        "close_time": directive.closed_at,
        "result": directive.result_text,
    }


def directive_from_doc(doc: Document) -> Directive:
    return Directive(
        directive_id=doc["directive_id"],
        room=doc["room"],
        issued_by=doc["issued_by"],
        assignee=officer_from_doc(doc["assignee"]),
        text=doc["text"],
        issued_at=doc["issue_time"],
        due_at=doc["due_time"],
        state=DirectiveState(doc["state"]),
        closed_at=doc.get("close_time"),
        result_text=doc.get("result"),
    )


# Handovers


def handover_doc(handover: Handover, summary: str, entry: str) -> Document:
    return {
        "name": f"rooms/{handover.room}/handovers/{handover.handover_id}",
        "room": handover.room,
        "handover_id": handover.handover_id,
        "from_shift_id": handover.from_shift_id,
        "create_time": handover.created_at,
        "ack_deadline": handover.ack_deadline,
        "open_alert_ids": list(handover.open_alert_ids),
        "open_directive_ids": list(handover.open_directive_ids),
        "notable_seqs": list(handover.notable_seqs),
        "summary": summary,
        "entry": entry,
        "unack_alerted": False,
        **handover_state_doc(handover),
    }


def handover_state_doc(handover: Handover) -> Document:
    return {
        "state": handover.state.value,
        "to_shift_id": handover.to_shift_id,
        "acknowledged_by": handover.acknowledged_by,
        "acknowledge_time": handover.acknowledged_at,
    }


def handover_from_doc(doc: Document) -> Handover:
    return Handover(
        handover_id=doc["handover_id"],
        room=doc["room"],
        from_shift_id=doc["from_shift_id"],
        created_at=doc["create_time"],
        ack_deadline=doc["ack_deadline"],
        open_alert_ids=tuple(doc["open_alert_ids"]),
        open_directive_ids=tuple(doc["open_directive_ids"]),
        notable_seqs=tuple(doc["notable_seqs"]),
        state=HandoverState(doc["state"]),
        to_shift_id=doc.get("to_shift_id"),
        acknowledged_by=doc.get("acknowledged_by"),
        acknowledged_at=doc.get("acknowledge_time"),
    )
