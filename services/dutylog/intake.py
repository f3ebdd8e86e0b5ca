"""Alerts becoming alarms: an alert (of another service, or the duty log's own) recorded as an
ALERT entry and an alarm of a room, once per (source, alert name), inside the caller's
transaction on that room.
"""

from __future__ import annotations

import logging
from datetime import UTC

from customs.common.v1 import alert_pb2

from services.dutylog.chain_store import Txn
from services.dutylog.domain.alarms import IncomingAlert, open_alarm
from services.dutylog.domain.entries import References
from services.dutylog.domain.errors import DomainValidationError
from services.dutylog.domain.notices import Severity
from services.dutylog.officers import SYSTEM
from services.dutylog.store import ALARMS, alarm_doc
from services.platform.mongo import utcnow

log = logging.getLogger("customs.dutylog.intake")


def _references(alert: alert_pb2.Alert) -> References:
    """What the alert is about, keeping only values the log accepts."""
    groups: dict[str, tuple[str, ...]] = {}
    subject = alert.subject
    if subject.startswith("seals/"):
        groups["seal_names"] = (subject,)
    elif "/scans/" in subject:
        groups["scan_names"] = (subject,)
    elif "/passages/" in subject:
        groups["passage_names"] = (subject,)
    elif subject.startswith("rooms/") and "/directives/" in subject:
        groups["directive_ids"] = (subject.rsplit("/", 1)[1],)
    if alert.HasField("container_number"):
        groups["container_numbers"] = (alert.container_number.value,)
    for group, values in list(groups.items()):
        try:
            References(**{group: values})
        except DomainValidationError:
            del groups[group]
    return References(**groups)


def incoming(source: str, alert: alert_pb2.Alert) -> IncomingAlert:
    """The domain form of a received alert; unreadable fields are replaced, never dropped."""
    alert_id = f"{source}-{alert.name.removeprefix('alerts/')}"
    severity_name = alert_pb2.Severity.Name(alert.severity).removeprefix("SEVERITY_")
    severity = (
        Severity(severity_name) if severity_name in Severity.__members__ else Severity.WARNING
    )
    raised = alert.create_time.ToDatetime(tzinfo=UTC) if alert.HasField("create_time") else utcnow()
    text = alert.message.strip() or alert.kind or "alert without message"
    if alert.subject:
        text += f" [{alert.subject}]"
    try:
        return IncomingAlert(
            alert_id, source, alert.kind or "UNKNOWN", severity, text, raised, _references(alert)
        )
    except DomainValidationError as exc:
        log.warning(
            "alert %s from %s is malformed (%s); recorded as UNKNOWN", alert.name, source, exc
        )
        return IncomingAlert(
            alert_id, source, "UNKNOWN", severity, f"unreadable alert {alert.name}: {exc}", raised
        )


async def record_alarm(txn: Txn, source: str, alert: alert_pb2.Alert) -> bool:
    """Appends the ALERT entry and inserts the alarm of ``alert`` in ``txn``'s room, unless the
    alarm of (source, alert name) exists; returns whether it was recorded."""
    alarms = txn.store.db[ALARMS]
    if await alarms.find_one({"source": source, "alert": alert.name}, session=txn.session):
        return False
    step = open_alarm(txn.room, incoming(source, alert), SYSTEM, txn.now)
    sealed = await txn.append(step.draft)
    doc = alarm_doc(step.alarm, source, alert.name, alert.subject, alert.site, sealed.name)
    await alarms.insert_one(doc, session=txn.session)
    return True
