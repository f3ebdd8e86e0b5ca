import itertools

import pytest

from services.scanner.domain.errors import DomainValidationError, IllegalTransition
from services.scanner.domain.workflow import (
    ALLOWED,
    Decision,
    ScanState,
    decide,
    holds_container,
    inspect,
    transition,
)

S = ScanState
LEGAL = {
    (S.RECEIVED, S.ANALYSED),
    (S.ANALYSED, S.CLEARED),
    (S.ANALYSED, S.HOLD),
    (S.CLEARED, S.INSPECTED),
    (S.HOLD, S.INSPECTED),
}


def test_table_is_exactly_the_documented_life() -> None:
    assert {(a, b) for a, targets in ALLOWED.items() for b in targets} == LEGAL
    assert set(ALLOWED) == set(ScanState)


@pytest.mark.parametrize("current,target", list(itertools.product(ScanState, ScanState)))
def test_every_pair_is_allowed_or_refused(current: ScanState, target: ScanState) -> None:
    if (current, target) in LEGAL:
        assert transition("scanners/a/scans/b", current, target) is target
        return
    with pytest.raises(IllegalTransition) as error:
        transition("scanners/a/scans/b", current, target)
    assert (error.value.from_state, error.value.to_state) == (current.value, target.value)
    assert error.value.subject == "scanners/a/scans/b" and "allowed" in error.value.reason


def test_decide() -> None:
    assert decide("s", S.ANALYSED, Decision.CLEAR, "") is S.CLEARED
    assert decide("s", S.ANALYSED, Decision.HOLD, "steel in textiles") is S.HOLD
    with pytest.raises(DomainValidationError) as error:
        decide("s", S.ANALYSED, Decision.HOLD, "  ")
    assert error.value.field == "note"
    with pytest.raises(DomainValidationError):
        decide("s", S.ANALYSED, Decision.CLEAR, "x" * 2001)
    for state in (S.RECEIVED, S.CLEARED, S.HOLD, S.INSPECTED):
        with pytest.raises(IllegalTransition):
            decide("s", state, Decision.CLEAR, "")


def test_inspect() -> None:
    assert inspect("s", S.HOLD, False, "") is S.INSPECTED
    assert inspect("s", S.CLEARED, True, "cigarettes") is S.INSPECTED
    with pytest.raises(DomainValidationError) as error:
        inspect("s", S.HOLD, True, "")
    assert error.value.field == "outcome.description"
    for state in (S.RECEIVED, S.ANALYSED, S.INSPECTED):
        with pytest.raises(IllegalTransition):
            inspect("s", state, False, "")


def test_what_holds_a_container() -> None:
    assert holds_container(S.HOLD, False)
    assert holds_container(S.INSPECTED, True)
    assert not holds_container(S.INSPECTED, False)
    for state in (S.RECEIVED, S.ANALYSED, S.CLEARED):
        assert not holds_container(state, False)
