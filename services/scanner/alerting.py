"""Scan alerts as outbox drafts: high-risk analysis, hold, hold released, violation found."""

from __future__ import annotations

from typing import Any

from services.platform.alerts import AlertDraft, Phase, Severity


def _base(scan: dict[str, Any]) -> dict[str, Any]:
    numbers = scan["container_numbers"]
    return {
        "subject": scan["name"],
        "site": scan["site"],
        "container_number": numbers[0] if numbers else "",
        "episode": scan["name"].rsplit("/", 1)[-1],
    }


def _evidence(scan: dict[str, Any], **extra: str) -> dict[str, str]:
    return {
        "scanner": scan["scanner"],
        "containers": ",".join(scan["container_numbers"]),
        "declaration": scan["declaration"]["reference"],
        **extra,
    }


def _who(scan: dict[str, Any]) -> str:
    return ", ".join(scan["container_numbers"]) or scan["name"]


def high_risk(scan: dict[str, Any], analysis: dict[str, Any]) -> AlertDraft:
    return AlertDraft(
        kind="SCAN_HIGH_RISK",
        severity=Severity.WARNING,
        message=(
            f"Scan of {_who(scan)}: risk {analysis['risk']:.2f}: "
            + "; ".join(analysis["reasons"][:3])
        ),
        evidence=_evidence(
            scan,
            risk=f"{analysis['risk']:.3f}",
            rules=",".join(f["rule"] for f in analysis["findings"]),
        ),
        **_base(scan),
    )


def hold(scan: dict[str, Any], analyst: str, note: str) -> AlertDraft:
    return AlertDraft(
        kind="SCAN_HOLD",
        severity=Severity.CRITICAL,
        message=f"{_who(scan)} held for physical inspection by analyst {analyst}: {note}",
        evidence=_evidence(scan, analyst=analyst, note=note),
        **_base(scan),
    )


def inspected(scan: dict[str, Any], officer: str, violation: bool, text: str) -> AlertDraft:
    """Closes the hold episode when nothing was found; a violation opens its own alert."""
    if violation:
        return AlertDraft(
            kind="SCAN_VIOLATION_FOUND",
            severity=Severity.CRITICAL,
            message=f"Inspection of {_who(scan)} by {officer} found a violation: {text}",
            evidence=_evidence(scan, officer=officer, description=text),
            **_base(scan),
        )
    return AlertDraft(
        kind="SCAN_HOLD",
        severity=Severity.INFO,
        phase=Phase.CLOSED,
        message=f"{_who(scan)} released: inspection by {officer} found no violation",
        evidence=_evidence(scan, officer=officer, description=text),
        **_base(scan),
    )
