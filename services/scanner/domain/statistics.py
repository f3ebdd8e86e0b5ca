"""How often each automated rule flagged a scan, and how often inspection confirmed it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .model import Rule


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    """What the statistics need of one analysed scan."""

    rules: frozenset[Rule]
    held: bool
    inspected: bool
    violation_found: bool


@dataclass(frozen=True, slots=True)
class RuleCounts:
    rule: Rule
    flagged: int = 0
    held: int = 0
    inspected: int = 0
    confirmed: int = 0

    @property
    def confirmation_rate(self) -> float:
        """Share of the inspected flagged scans where a violation was found (0 when none)."""
        return self.confirmed / self.inspected if self.inspected else 0.0


@dataclass(frozen=True, slots=True)
class RuleStatistics:
    rules: tuple[RuleCounts, ...]
    analysed_scans: int
    inspected_scans: int
    #: Inspected scans with a violation that no rule flagged.
    missed_violations: int


def rule_statistics(outcomes: Iterable[ScanOutcome]) -> RuleStatistics:
    """Counts per rule (every rule, in declaration order) over ``outcomes``."""
    counts = {rule: [0, 0, 0, 0] for rule in Rule}
    analysed = inspected = missed = 0
    for o in outcomes:
        analysed += 1
        inspected += o.inspected
        if o.inspected and o.violation_found and not o.rules:
            missed += 1
        for rule in o.rules:
            c = counts[rule]
            c[0] += 1
            c[1] += o.held
            c[2] += o.inspected
            c[3] += o.inspected and o.violation_found
    return RuleStatistics(
        tuple(RuleCounts(rule, *c) for rule, c in counts.items()), analysed, inspected, missed
    )
