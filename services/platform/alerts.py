"""Alerts every domain service raises: the draft type, its proto form and resume tokens."""

from __future__ import annotations

import base64
import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from customs.common.v1 import alert_pb2, container_pb2, geo_pb2

from services.platform.errors import InvalidArgument


class Severity(enum.StrEnum):
    INFO = "INFO"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"


class Phase(enum.StrEnum):
    OPENED = "OPENED"
    CLOSED = "CLOSED"


@dataclass(frozen=True, slots=True)
class AlertDraft:
    """An alert as domain code produces it, before the outbox gives it a name and a sequence."""

    kind: str
    severity: Severity
    subject: str
    message: str
    phase: Phase = Phase.OPENED
    episode: str = ""
    container_number: str = ""
    site: str = ""
    location: tuple[float, float] | None = None
    evidence: Mapping[str, str] = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity.value,
            "phase": self.phase.value,
            "episode": self.episode,
            "subject": self.subject,
            "message": self.message,
            "container_number": self.container_number,
            "site": self.site,
            "location": list(self.location) if self.location else None,
            "evidence": dict(self.evidence),
        }


def to_proto(doc: Mapping[str, Any]) -> alert_pb2.Alert:
    """The proto form of an outbox document."""
    alert = alert_pb2.Alert(
        name=f"alerts/{doc['_id']}",
        source=doc["source"],
        kind=doc["kind"],
        severity=alert_pb2.Severity.Value(f"SEVERITY_{doc['severity']}"),
        phase=alert_pb2.AlertPhase.Value(f"ALERT_PHASE_{doc['phase']}"),
        episode=doc.get("episode", ""),
        subject=doc["subject"],
        site=doc.get("site", ""),
        message=doc["message"],
        evidence=doc.get("evidence", {}),
    )
    if doc.get("container_number"):
        alert.container_number.CopyFrom(
            container_pb2.ContainerNumber(value=doc["container_number"])
        )
    if doc.get("location"):
        lat, lon = doc["location"]
        alert.location.CopyFrom(geo_pb2.GeoPoint(latitude=lat, longitude=lon))
    create_time: datetime = doc["create_time"]
    alert.create_time.FromDatetime(create_time)
    return alert


def resume_token(source: str, seq: int) -> str:
    raw = json.dumps({"s": source, "q": seq}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def parse_resume_token(source: str, token: str) -> int:
    """The sequence number after which a watch resumes (0 for an empty token)."""
    if not token:
        return 0
    try:
        decoded = json.loads(base64.urlsafe_b64decode((token + "=" * (-len(token) % 4)).encode()))
        token_source, seq = decoded["s"], decoded["q"]
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise ValueError("bad sequence")
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidArgument.one("resume_token", "is not a token this service issued") from exc
    if token_source != source:
        raise InvalidArgument.one(
            "resume_token", f"was issued by the {token_source} service, not {source}"
        )
    return seq
