"""Seal alert events as outbox drafts, and what the episodes say about a seal's integrity."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from services.platform.alerts import AlertDraft, Phase, Severity
from services.seal.domain.alerts import AlertEvent, AlertKind, AlertPhase
from services.seal.domain.alerts import Severity as RuleSeverity
from services.seal.domain.monitor import EpisodeRecord

_SEVERITY = {
    RuleSeverity.INFO: Severity.INFO,
    RuleSeverity.LOW: Severity.WARNING,
    RuleSeverity.MEDIUM: Severity.WARNING,
    RuleSeverity.HIGH: Severity.CRITICAL,
    RuleSeverity.CRITICAL: Severity.CRITICAL,
}
#: Episodes that make a seal not intact (a lock opened at the destination is not one: the rule
#: does not report it).
_INTEGRITY = {
    AlertKind.LOCK_OPENED: "lock opened or cut outside the destination",
    AlertKind.TAMPER: "tamper switch triggered",
    AlertKind.UNAUTHORISED_REMOVAL: "removal attempted outside the destination",
}


def alert_kind(kind: AlertKind) -> str:
    """The outbox kind: ``SEAL_<KIND>`` (SEAL_CORRIDOR_DEVIATION, SEAL_SIGNAL_LOST...)."""
    return f"SEAL_{kind.value}"


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, tz=UTC).isoformat().replace("+00:00", "Z")


def draft(event: AlertEvent, attachment: dict[str, Any]) -> AlertDraft:
    """The outbox draft of a rule event on ``attachment`` (its stored document)."""
    seqs = event.evidence_seqs
    evidence = {
        "attachment": attachment["name"],
        "transit_declaration": attachment["transit_declaration"],
        "rule_severity": event.severity.value,
        "time": _iso(event.time),
    }
    if seqs:
        evidence["seqs"] = ",".join(str(s) for s in seqs)
    container = attachment["container_number"]
    return AlertDraft(
        kind=alert_kind(event.kind),
        severity=_SEVERITY[event.severity],
        subject=attachment["seal"],
        message=f"{container} ({attachment['seal']}): {event.message}",
        phase=Phase.OPENED if event.phase is AlertPhase.OPENED else Phase.CLOSED,
        episode=event.episode_id,
        container_number=container,
        site=attachment["destination"] if event.kind is AlertKind.ARRIVAL else "",
        location=None if event.position is None else (event.position.lat, event.position.lon),
        evidence=evidence,
    )


def integrity_issues(records: Iterable[EpisodeRecord], extra: Iterable[str] = ()) -> list[str]:
    """Why a seal is not intact: one line per integrity episode, oldest first."""
    issues = [
        f"{_INTEGRITY[r.kind]} at {_iso(r.start_time)} (episode {r.episode_id})"
        for r in records
        if r.kind in _INTEGRITY
    ]
    return [*issues, *extra]
