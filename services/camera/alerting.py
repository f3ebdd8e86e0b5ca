"""Domain alerts of the camera service as outbox drafts: named after the passage, located at
the lane's gate, with the domain's subject and severity kept as evidence."""

from __future__ import annotations

from typing import Any

from services.camera.domain.alerts import Alert, SubjectKind
from services.camera.domain.alerts import Severity as DomainSeverity
from services.platform import iso6346
from services.platform.alerts import AlertDraft, Severity

_SEVERITY = {
    DomainSeverity.INFO: Severity.INFO,
    DomainSeverity.WARNING: Severity.WARNING,
    DomainSeverity.HIGH: Severity.CRITICAL,
    DomainSeverity.CRITICAL: Severity.CRITICAL,
}


def _container(alert: Alert, passage: dict[str, Any]) -> str:
    """The container an alert is about: its subject when that is a valid number, none when it
    is about a read that is not one, else the passage's first known number."""
    if alert.subject_kind is SubjectKind.CONTAINER:
        valid = iso6346.is_valid(alert.subject)
        return iso6346.normalise(alert.subject) if valid else ""
    for read in passage.get("containers", []):
        if read["number"]:
            number: str = read["number"]
            return number
    return ""


def draft(alert: Alert, passage: dict[str, Any], lane: dict[str, Any]) -> AlertDraft:
    """The outbox draft of a domain alert about ``passage`` on ``lane``."""
    location = lane.get("location")
    return AlertDraft(
        kind=alert.kind.value,
        severity=_SEVERITY[alert.severity],
        subject=passage["name"],
        message=alert.message,
        container_number=_container(alert, passage),
        site=lane["site"],
        location=(location[0], location[1]) if location else None,
        evidence={
            **dict(alert.evidence),
            "passage": passage["name"],
            "lane": lane["name"],
            "about": alert.subject,
            "about_kind": alert.subject_kind.value,
            "camera_severity": alert.severity.name,
        },
    )
