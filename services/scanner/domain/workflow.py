"""Life of a scan, as an explicit table of allowed transitions.

    RECEIVED -> ANALYSED -> CLEARED | HOLD -> INSPECTED

A scan is stored RECEIVED, the analysis makes it ANALYSED, an analyst's verdict CLEARED or HOLD,
and the physical inspection outcome INSPECTED (a cleared container may be inspected at random).
Anything else raises :class:`IllegalTransition`, which the transport maps to
FAILED_PRECONDITION with a PreconditionFailure.
"""

from __future__ import annotations

import enum
from types import MappingProxyType

from .errors import DomainValidationError, IllegalTransition


class ScanState(enum.StrEnum):
    RECEIVED = "RECEIVED"
    ANALYSED = "ANALYSED"
    CLEARED = "CLEARED"
    HOLD = "HOLD"
    INSPECTED = "INSPECTED"


class Decision(enum.StrEnum):
    CLEAR = "CLEAR"
    HOLD = "HOLD"


_S = ScanState
#: The allowed transitions; INSPECTED is final.
ALLOWED: MappingProxyType[ScanState, frozenset[ScanState]] = MappingProxyType(
    {
        _S.RECEIVED: frozenset({_S.ANALYSED}),
        _S.ANALYSED: frozenset({_S.CLEARED, _S.HOLD}),
        _S.CLEARED: frozenset({_S.INSPECTED}),
        _S.HOLD: frozenset({_S.INSPECTED}),
        _S.INSPECTED: frozenset(),
    }
)
#: States in which an analyst may annotate the image.
ANNOTATABLE: frozenset[ScanState] = frozenset({_S.ANALYSED, _S.HOLD})
#: The most characters of a verdict note or an inspection description.
MAX_NOTE: int = 2000


def transition(subject: str, current: ScanState, target: ScanState) -> ScanState:
    """``target`` when the table allows ``current -> target``; else IllegalTransition."""
    if target not in ALLOWED[current]:
        allowed = ", ".join(sorted(s.value for s in ALLOWED[current])) or "none (final state)"
        raise IllegalTransition(
            subject,
            current.value,
            target.value,
            f"not an allowed transition (from {current.value} allowed: {allowed})",
        )
    return target


def decide(subject: str, current: ScanState, decision: Decision, note: str) -> ScanState:
    """The state after an analyst's verdict; a HOLD needs a note (the reason gates see)."""
    if len(note) > MAX_NOTE:
        raise DomainValidationError("note", f"must be at most {MAX_NOTE} characters")
    if decision is Decision.HOLD and not note.strip():
        raise DomainValidationError("note", "is required for HOLD: it is the hold reason")
    target = ScanState.HOLD if decision is Decision.HOLD else ScanState.CLEARED
    return transition(subject, current, target)


def inspect(subject: str, current: ScanState, violation_found: bool, description: str) -> ScanState:
    """The state after the physical inspection; a violation needs a description."""
    if len(description) > MAX_NOTE:
        raise DomainValidationError("outcome.description", f"must be at most {MAX_NOTE} characters")
    if violation_found and not description.strip():
        raise DomainValidationError("outcome.description", "is required when a violation is found")
    return transition(subject, current, ScanState.INSPECTED)


def holds_container(state: ScanState, violation_found: bool) -> bool:
    """Whether a scan in ``state`` keeps its containers at the gate: on HOLD, or inspected with a
    violation found (an inspection that found nothing releases the hold)."""
    return state is ScanState.HOLD or (state is ScanState.INSPECTED and violation_found)
