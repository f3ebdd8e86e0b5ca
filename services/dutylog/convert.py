"""Conversions between the proto messages and the stored documents / domain objects."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

from customs.common.v1 import alert_pb2
from customs.dutylog.v1 import resources_pb2 as pb
from google.protobuf.timestamp_pb2 import Timestamp

from services.dutylog.chain_store import checkpoint_from_doc
from services.dutylog.domain.chain import SealedEntry
from services.dutylog.domain.entries import Department, Officer, References
from services.dutylog.domain.errors import DomainValidationError
from services.platform.enums import enum_name
from services.platform.errors import FieldViolation, collect
from services.platform.mongo import Document

# Domain reference groups and their proto field names.
REFERENCE_FIELDS = {
    "container_numbers": "container_numbers",
    "scan_names": "scans",
    "seal_names": "seals",
    "passage_names": "passages",
    "alert_ids": "alarms",
    "directive_ids": "directives",
}
_PROTO_FIELD = {**REFERENCE_FIELDS, "corrects_seq": "corrects"}


def _proto_path(domain_field: str) -> str:
    head, sep, rest = domain_field.partition("[")
    return _PROTO_FIELD.get(head, head) + sep + rest


@contextmanager
def fields_of(prefix: str) -> Iterator[None]:
    """Re-raises a DomainValidationError with the request path of its field under ``prefix``."""
    try:
        yield
    except DomainValidationError as exc:
        raise DomainValidationError(f"{prefix}.{_proto_path(exc.field)}", exc.description) from None


def ts(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def from_ts(stamp: Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


# Officers and references


def officer_from_proto(msg: pb.Officer, prefix: str) -> Officer:
    problems = []
    if not msg.subject.strip():
        problems.append(FieldViolation(f"{prefix}.subject", "is required"))
    if not msg.display_name.strip():
        problems.append(FieldViolation(f"{prefix}.display_name", "is required"))
    if msg.department == pb.DEPARTMENT_UNSPECIFIED:
        problems.append(FieldViolation(f"{prefix}.department", "is required"))
    collect(problems)
    department = Department(
        enum_name(pb.Department, msg.department, f"{prefix}.department", "DEPARTMENT_")
    )
    with fields_of(prefix):
        return Officer(msg.subject, msg.display_name, department)


def officer_to_proto(officer: Officer | Document) -> pb.Officer:
    if isinstance(officer, Officer):
        subject, display, department = officer.subject, officer.display_name, officer.department
    else:
        subject, display = officer["subject"], officer["display_name"]
        department = Department(officer["department"])
    return pb.Officer(
        subject=subject,
        display_name=display,
        department=pb.Department.Value(f"DEPARTMENT_{department.value}"),
    )


def references_from_proto(msg: pb.References, prefix: str) -> References:
    """Validated references; every bad item is reported, each under its request path."""
    values = {group: tuple(getattr(msg, name)) for group, name in REFERENCE_FIELDS.items()}
    problems = []
    for group, name in REFERENCE_FIELDS.items():
        for index, value in enumerate(values[group]):
            try:
                References(**{group: (value,)})
            except DomainValidationError as exc:
                problems.append(FieldViolation(f"{prefix}.{name}[{index}]", exc.description))
        if len(set(values[group])) != len(values[group]):
            problems.append(FieldViolation(f"{prefix}.{name}", "contains duplicates"))
    collect(problems)
    return References(**values)


def references_to_proto(refs: References | Document) -> pb.References:
    if isinstance(refs, References):
        refs_doc = {group: list(getattr(refs, group)) for group in REFERENCE_FIELDS}
    else:
        refs_doc = refs
    return pb.References(**{name: refs_doc.get(g, []) for g, name in REFERENCE_FIELDS.items()})


# Resources


def entry_to_proto(entry: SealedEntry, attachments: Sequence[pb.Attachment] = ()) -> pb.Entry:
    d = entry.draft
    msg = pb.Entry(
        name=entry.name,
        seq=entry.seq,
        kind=pb.EntryKind.Value(f"ENTRY_KIND_{d.kind.value}"),
        author=officer_to_proto(d.author),
        entry_time=ts(d.time),
        text=d.text,
        references=references_to_proto(d.references),
        corrects=f"rooms/{d.room}/entries/{d.corrects_seq}" if d.corrects_seq else "",
        attributes=dict(d.attributes),
        content_sha256=entry.content_sha256,
        prev_sha256=entry.prev_sha256,
        entry_sha256=entry.entry_sha256,
    )
    if attachments:
        msg.attachments.extend(attachments)
    else:
        msg.attachments.extend(
            pb.Attachment(object_key=a.object_key, sha256=a.sha256, content_type=a.content_type)
            for a in d.attachments
        )
    return msg


def shift_to_proto(doc: Document) -> pb.Shift:
    return pb.Shift(
        name=doc["name"],
        leader=officer_to_proto(doc["leader"]),
        officers=[officer_to_proto(o) for o in doc["officers"]],
        state=pb.ShiftState.Value(f"SHIFT_STATE_{doc['state']}"),
        start_time=ts(doc["start_time"]),
        end_time=ts(doc.get("end_time")),
        first_seq=doc["first_seq"],
        last_seq=doc.get("last_seq", 0),
    )


def alarm_to_proto(doc: Document) -> pb.Alarm:
    return pb.Alarm(
        name=doc["name"],
        source=doc["source"],
        alert=doc["alert"],
        kind=doc["kind"],
        severity=alert_pb2.Severity.Value(f"SEVERITY_{doc['severity']}"),
        state=pb.AlarmState.Value(f"ALARM_STATE_{doc['state']}"),
        summary=doc["summary"],
        subject=doc.get("subject", ""),
        site=doc.get("site", ""),
        assignee=doc.get("assignee") or "",
        escalated_to=doc.get("escalated_to") or "",
        resolution_note=doc.get("resolution_note") or "",
        open_time=ts(doc["open_time"]),
        update_time=ts(doc["update_time"]),
        entry=doc["entry"],
    )


def directive_to_proto(doc: Document) -> pb.Directive:
    return pb.Directive(
        name=doc["name"],
        text=doc["text"],
        assignee=officer_to_proto(doc["assignee"]),
        due_time=ts(doc["due_time"]),
        references=references_to_proto(doc["references"]),
        issued_by=doc["issued_by"],
        state=pb.DirectiveState.Value(f"DIRECTIVE_STATE_{doc['state']}"),
        issue_time=ts(doc["issue_time"]),
        close_time=ts(doc.get("close_time")),
        result=doc.get("result") or "",
        overdue_alerted=bool(doc.get("overdue_alerted")),
    )


def handover_to_proto(doc: Document) -> pb.Handover:
    room = f"rooms/{doc['room']}"
    return pb.Handover(
        name=doc["name"],
        from_shift=f"{room}/shifts/{doc['from_shift_id']}",
        to_shift=f"{room}/shifts/{doc['to_shift_id']}" if doc.get("to_shift_id") else "",
        state=pb.HandoverState.Value(f"HANDOVER_STATE_{doc['state']}"),
        open_alarms=[f"{room}/alarms/{a}" for a in doc["open_alert_ids"]],
        open_directives=[f"{room}/directives/{d}" for d in doc["open_directive_ids"]],
        notable_entries=[f"{room}/entries/{s}" for s in doc["notable_seqs"]],
        summary=doc["summary"],
        create_time=ts(doc["create_time"]),
        ack_deadline=ts(doc["ack_deadline"]),
        acknowledged_by=doc.get("acknowledged_by") or "",
        acknowledge_time=ts(doc.get("acknowledge_time")),
        entry=doc["entry"],
    )


def checkpoint_to_proto(doc: Document) -> pb.Checkpoint:
    checkpoint = checkpoint_from_doc(doc)
    return pb.Checkpoint(
        name=doc["name"],
        seq=checkpoint.seq,
        head_sha256=checkpoint.head_sha256,
        reason=pb.CheckpointReason.Value(f"CHECKPOINT_REASON_{checkpoint.reason.value}"),
        checkpoint_time=ts(checkpoint.time),
        signature=checkpoint.signature,
        public_key=doc["public_key"],
    )
