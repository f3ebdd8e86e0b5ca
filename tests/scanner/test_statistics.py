from services.scanner.domain.model import Rule
from services.scanner.domain.statistics import ScanOutcome, rule_statistics


def outcome(
    *rules: Rule, held: bool = False, inspected: bool = False, violation: bool = False
) -> ScanOutcome:
    return ScanOutcome(frozenset(rules), held, inspected, violation)


def test_no_scans_gives_zeros_for_every_rule() -> None:
    stats = rule_statistics([])
    assert [c.rule for c in stats.rules] == list(Rule)
    assert all(c.flagged == 0 and c.confirmation_rate == 0.0 for c in stats.rules)
    assert (stats.analysed_scans, stats.inspected_scans, stats.missed_violations) == (0, 0, 0)


def test_counts_flags_holds_inspections_and_confirmations() -> None:
    stats = rule_statistics(
        [
            outcome(
                Rule.HEAVY_METAL, Rule.MASS_MISMATCH, held=True, inspected=True, violation=True
            ),
            outcome(Rule.HEAVY_METAL, held=True, inspected=True),
            outcome(Rule.HEAVY_METAL),
            outcome(Rule.MASS_MISMATCH, inspected=True),
            outcome(inspected=True, violation=True),
            outcome(),
        ]
    )
    by = {c.rule: c for c in stats.rules}
    metal = by[Rule.HEAVY_METAL]
    assert (metal.flagged, metal.held, metal.inspected, metal.confirmed) == (3, 2, 2, 1)
    assert metal.confirmation_rate == 0.5
    mass = by[Rule.MASS_MISMATCH]
    assert (mass.flagged, mass.held, mass.inspected, mass.confirmed) == (2, 1, 2, 1)
    assert by[Rule.NO_CONTAINER].flagged == 0
    assert (stats.analysed_scans, stats.inspected_scans, stats.missed_violations) == (6, 4, 1)
