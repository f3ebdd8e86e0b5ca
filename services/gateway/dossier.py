"""The container dossier: what each service said about one container, which part is missing
and why, and a risk summary that combines the equipment signals with their reasons.

Pure functions over the services' answers in proto JSON form (dicts), so tests call them without
a server. :mod:`services.gateway.routes.containers` asks the services and calls :func:`assemble`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]
PARTS = ("scanner", "camera", "seal", "dutylog")


class Level(enum.StrEnum):
    """Overall risk of a container as far as the equipment tells."""

    HIGH = "HIGH"  # a critical signal: hold it
    MEDIUM = "MEDIUM"  # warnings to look at
    LOW = "LOW"  # every service answered and nothing was found
    UNKNOWN = "UNKNOWN"  # nothing found, but a service did not answer


@dataclass(frozen=True, slots=True)
class Signal:
    """One thing the equipment observed about the container, with its reason."""

    kind: str  # SCAN_HOLD, SCAN_FINDING, WEIGHT_DISCREPANCY, WATCHLIST_HIT, SEAL_ALERT, ...
    source: str  # the service that observed it
    severity: str  # "CRITICAL" or "WARNING"
    reason: str  # one sentence for a person
    subject: str = ""  # the resource it is about (scan, passage, seal, alarm)

    def as_json(self) -> Json:
        return {
            "kind": self.kind,
            "source": self.source,
            "severity": self.severity,
            "reason": self.reason,
            "subject": self.subject,
        }


@dataclass(frozen=True, slots=True)
class Part:
    """What one service said (``data``), or why it said nothing (``missing``)."""

    service: str
    data: Json | None = None
    missing: str = ""  # the gRPC status name, e.g. "UNAVAILABLE" or "DEADLINE_EXCEEDED"
    detail: str = ""

    @classmethod
    def failed(cls, service: str, status: str, detail: str) -> Part:
        return cls(service, None, status, detail)


@dataclass(frozen=True, slots=True)
class RiskSummary:
    level: Level
    signals: Sequence[Signal] = field(default_factory=tuple)
    missing: Sequence[str] = field(default_factory=tuple)

    def as_json(self) -> Json:
        return {
            "level": self.level.value,
            "signals": [s.as_json() for s in self.signals],
            "incomplete": bool(self.missing),
            "missing": list(self.missing),
        }


def scanner_signals(data: Json) -> list[Signal]:
    """An open scan hold, and the automated findings of each scan not yet cleared by
    inspection."""
    found: list[Signal] = []
    hold = data.get("hold", {})
    if hold.get("open_hold"):
        reasons = "; ".join(hold.get("reasons", [])) or "an analyst holds the container"
        for scan in hold.get("held_scans", []) or [hold.get("latest_scan", "")]:
            found.append(Signal("SCAN_HOLD", "scanner", "CRITICAL", reasons, scan))
    for scan in data.get("scans", []):
        inspected = scan.get("inspection", {})
        if inspected and not inspected.get("violation_found", False):
            continue  # the physical inspection found nothing: the findings are answered
        for finding in scan.get("findings", []):
            severity = "CRITICAL" if finding.get("weight", 0.0) >= 0.5 else "WARNING"
            reason = finding.get("reason") or finding.get("kind", "")
            found.append(Signal("SCAN_FINDING", "scanner", severity, reason, scan.get("name", "")))
        if inspected.get("violation_found"):
            reason = inspected.get("description") or "the inspection found a violation"
            found.append(
                Signal("INSPECTION_VIOLATION", "scanner", "CRITICAL", reason, scan.get("name", ""))
            )
    return found


def camera_signals(data: Json, number: str) -> list[Signal]:
    """Weight discrepancies and watchlist hits at the gates, and listed watchlist entries."""
    found: list[Signal] = []
    for passage in data.get("passages", []):
        name = passage.get("name", "")
        weight = passage.get("weight", {})
        if weight.get("outcome") == "WEIGHT_OUTCOME_DISCREPANCY":
            difference = weight.get("difference_kg", 0.0)
            allowed = weight.get("allowed_difference_kg", 0.0)
            reason = (
                f"net weight differs from the declared by {difference:+.0f} kg "
                f"(allowed ±{allowed:.0f} kg)"
            )
            found.append(Signal("WEIGHT_DISCREPANCY", "camera", "WARNING", reason, name))
        for hold in passage.get("decision", {}).get("reasons", []):
            if hold.get("code", "").startswith("WATCHLIST_"):
                found.append(
                    Signal("WATCHLIST_HIT", "camera", "CRITICAL", hold.get("text", ""), name)
                )
    for entry in data.get("watchlist", []):
        reason = f"on the watchlist: {entry.get('reason', '')}".rstrip(": ")
        severity = "WARNING" if entry.get("action") == "WATCH_ACTION_ALERT" else "CRITICAL"
        if not any(s.kind == "WATCHLIST_HIT" for s in found):
            found.append(
                Signal("WATCHLIST_HIT", "camera", severity, reason, entry.get("name", number))
            )
    return found


def seal_signals(data: Json) -> list[Signal]:
    """A seal that is not intact, and the seal's open alerts (deviation, stop, lock...)."""
    found: list[Signal] = []
    status = data.get("status", {})
    if status.get("sealed") and not status.get("intact", False):
        reason = "; ".join(status.get("reasons", [])) or "the seal is not intact"
        found.append(Signal("SEAL_NOT_INTACT", "seal", "CRITICAL", reason, status.get("seal", "")))
    for alert in status.get("open_alerts", []):
        if alert.get("severity") not in ("SEVERITY_WARNING", "SEVERITY_CRITICAL"):
            continue  # information (an arrival) is not a risk
        severity = "CRITICAL" if alert.get("severity") == "SEVERITY_CRITICAL" else "WARNING"
        reason = f"{alert.get('kind', 'SEAL_ALERT')}: {alert.get('message', '')}"
        found.append(Signal("SEAL_ALERT", "seal", severity, reason, alert.get("subject", "")))
    return found


def dutylog_signals(data: Json) -> list[Signal]:
    """Alarms of the monitoring room still open about the container (warnings and worse)."""
    found: list[Signal] = []
    for alarm in data.get("open_alarms", []):
        if alarm.get("severity") == "SEVERITY_INFO":
            continue  # information (an arrival) is not a risk
        severity = "CRITICAL" if alarm.get("severity") == "SEVERITY_CRITICAL" else "WARNING"
        reason = f"{alarm.get('kind', 'ALARM')} open in the duty log: {alarm.get('summary', '')}"
        found.append(Signal("OPEN_ALARM", "dutylog", severity, reason, alarm.get("name", "")))
    return found


def risk_summary(parts: Mapping[str, Part], number: str) -> RiskSummary:
    """Combines every answered part's signals; the level is the worst severity, UNKNOWN when
    nothing was found but a part is missing (absence of evidence is not clearance)."""
    signals: list[Signal] = []
    for name, part in parts.items():
        if part.data is None:
            continue
        if name == "scanner":
            signals += scanner_signals(part.data)
        elif name == "camera":
            signals += camera_signals(part.data, number)
        elif name == "seal":
            signals += seal_signals(part.data)
        elif name == "dutylog":
            signals += dutylog_signals(part.data)
    missing = tuple(name for name, part in parts.items() if part.data is None)
    if any(s.severity == "CRITICAL" for s in signals):
        level = Level.HIGH
    elif signals:
        level = Level.MEDIUM
    elif missing:
        level = Level.UNKNOWN
    else:
        level = Level.LOW
    return RiskSummary(level, tuple(signals), missing)


def assemble(number: str, parts: Iterable[Part], generated_at: str) -> Json:
    """The dossier document: one section per service (``null`` when missing), the list of
    missing parts with their reason, and the risk summary."""
    by_name = {part.service: part for part in parts}
    return {
        "container_number": number,
        "generate_time": generated_at,
        **{name: by_name[name].data if name in by_name else None for name in PARTS},
        "missing": [
            {"service": p.service, "status": p.missing, "detail": p.detail}
            for p in by_name.values()
            if p.data is None
        ],
        "risk": risk_summary(by_name, number).as_json(),
    }
