"""Lifecycle of a seal device, as an explicit table of allowed transitions.

    IN_STOCK -> ATTACHED -> IN_TRANSIT -> ARRIVED -> REMOVED -> IN_STOCK
    any state -> FAULTY;  FAULTY -> IN_STOCK (after repair)

REMOVED is reachable only through :func:`remove_seal`, which needs the seal's position and the
trip's destination geofence: a removal outside the destination raises :class:`RemovalRefused`
(an :class:`IllegalTransition`) carrying the UNAUTHORISED_REMOVAL alert the caller must persist.
Attaching and arming are done by an officer at the origin: :func:`require_at_origin` refuses
them elsewhere.
"""

from __future__ import annotations

import enum
from types import MappingProxyType

from services.seal.domain.alerts import SEVERITY, AlertEvent, AlertKind, AlertPhase
from services.seal.domain.errors import IllegalTransition, RemovalRefused
from services.seal.domain.fences import fence_contains
from services.seal.domain.geometry import Geofence, LatLon


class SealState(enum.StrEnum):
    IN_STOCK = "IN_STOCK"
    ATTACHED = "ATTACHED"
    IN_TRANSIT = "IN_TRANSIT"
    ARRIVED = "ARRIVED"
    REMOVED = "REMOVED"
    FAULTY = "FAULTY"


_S = SealState
#: The allowed transitions (to FAULTY is added for every state but FAULTY itself).
ALLOWED: MappingProxyType[SealState, frozenset[SealState]] = MappingProxyType(
    {
        _S.IN_STOCK: frozenset({_S.ATTACHED, _S.FAULTY}),
        _S.ATTACHED: frozenset({_S.IN_TRANSIT, _S.FAULTY}),
        _S.IN_TRANSIT: frozenset({_S.ARRIVED, _S.FAULTY}),
        _S.ARRIVED: frozenset({_S.REMOVED, _S.FAULTY}),
        _S.REMOVED: frozenset({_S.IN_STOCK, _S.FAULTY}),
        _S.FAULTY: frozenset({_S.IN_STOCK}),
    }
)


def _check(subject: str, current: SealState, target: SealState) -> None:
    if target not in ALLOWED[current]:
        allowed = ", ".join(sorted(s.value for s in ALLOWED[current]))
        raise IllegalTransition(
            subject,
            current.value,
            target.value,
            f"not an allowed transition (from {current.value} allowed: {allowed})",
        )


def transition(subject: str, current: SealState, target: SealState) -> SealState:
    """Return ``target`` if the table allows ``current -> target``, else raise
    :class:`IllegalTransition`. REMOVED must go through :func:`remove_seal`."""
    if target is SealState.REMOVED:
        raise IllegalTransition(
            subject, current.value, target.value, "removal needs a position: use remove_seal"
        )
    _check(subject, current, target)
    return target


def require_at_origin(
    subject: str, current: SealState, target: SealState, position: LatLon, origin: Geofence
) -> None:
    """Refuse ``current -> target`` (attach, arm) when the officer's ``position`` is outside the
    origin's geofence: those changes are made at the origin, with the container."""
    if not fence_contains(origin, position):
        raise IllegalTransition(
            subject,
            current.value,
            target.value,
            f"must happen at the origin {origin.name!r}: "
            f"{position.lat:.6f},{position.lon:.6f} is outside its geofence",
        )


def remove_seal(
    subject: str,
    current: SealState,
    position: LatLon,
    destination: Geofence,
    time: float,
    evidence_seqs: tuple[int, ...] = (),
) -> SealState:
    """Remove the seal at ``position``: legal only from ARRIVED and inside ``destination``.

    Outside the destination (whatever the state) raises :class:`RemovalRefused`, whose
    ``alert`` the caller must write to its outbox. Inside but from another state than ARRIVED
    raises a plain :class:`IllegalTransition` (nothing suspicious happened, the order is wrong).
    """
    if not fence_contains(destination, position):
        reason = f"position {position.lat:.6f},{position.lon:.6f} is outside the destination"
        alert = AlertEvent(
            phase=AlertPhase.OPENED,
            kind=AlertKind.UNAUTHORISED_REMOVAL,
            severity=SEVERITY[AlertKind.UNAUTHORISED_REMOVAL],
            episode_id=f"{subject}/{AlertKind.UNAUTHORISED_REMOVAL.value}/{time:.0f}",
            evidence_seqs=evidence_seqs,
            message=f"seal removal attempted outside destination {destination.name!r}",
            position=position,
            time=time,
        )
        raise RemovalRefused(subject, current.value, reason, alert)
    _check(subject, current, SealState.REMOVED)
    return SealState.REMOVED
