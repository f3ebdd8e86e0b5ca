"""The seal part of an exit decision: where a sealed container may leave.

A container under customs seal travels from the origin of its transit to its destination. At an
exit lane, what the seal service said about the container's open attachment gives, per answer:

* no seal attached -> nothing to hold for;
* not intact (lock opened or cut, tampering, seal reported faulty) -> SEAL_NOT_INTACT, at any
  site;
* at an exit of the ORIGIN: leaving under seal is what the transit is for, but only armed
  (IN_TRANSIT), with its supervision running; attached but not armed -> SEAL_NOT_ARMED;
* at an exit of the DESTINATION: only when the transit ARRIVED, else SEAL_NOT_ARRIVED;
* at an exit of any other site -> SEAL_NOT_ARRIVED: the container is off its transit;
* the seal service unavailable, no answer, or an answer naming no origin or destination ->
  SEAL_STATUS_UNKNOWN (fail closed).

Sites are matched by name. The seal service names its sites ``sites/{site_id}``, and so does the
camera service (a lane's ``site_id`` holds its site's name), both with the agency's site codes:
the demo creates ``sites/cat-lai`` and ``sites/moc-bai`` in both (devstack/demo/camera.py, and
devstack/demo/seal.py through ``services.seal.sample.demo_sites``). A site that the two services
knew under different codes would match neither end of any transit: its exits would hold every
sealed container (fail closed), with reasons naming both sites.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.camera.domain.clearance import (
    Reason,
    ReasonCode,
    SealAnswer,
    SealStage,
    SealStatus,
)


def _reason(number: str, site: str, answer: SealAnswer) -> Reason | None:
    transit = answer.transit
    if answer.status is SealStatus.NO_SEAL:
        return None
    if transit is None:  # UNAVAILABLE (SEALED always carries its transit)
        return Reason.explained(
            ReasonCode.SEAL_STATUS_UNKNOWN, number, "The seal service could not say", answer.detail
        )
    if not transit.intact:
        return Reason.explained(
            ReasonCode.SEAL_NOT_INTACT, number, "The seal is opened or tampered", answer.detail
        )
    if not transit.origin or not transit.destination:
        text = "The seal service did not name the origin and destination of the sealed transit"
        return Reason.explained(ReasonCode.SEAL_STATUS_UNKNOWN, number, text, answer.detail)
    if site == transit.origin:
        if transit.stage is SealStage.IN_TRANSIT:
            return None
        text = f"The seal is not armed for the transit to {transit.destination}"
        return Reason.explained(ReasonCode.SEAL_NOT_ARMED, number, text, answer.detail)
    if site == transit.destination:
        if transit.stage is SealStage.ARRIVED:
            return None
        text = f"The sealed transit from {transit.origin} has not arrived"
        return Reason.explained(ReasonCode.SEAL_NOT_ARRIVED, number, text, answer.detail)
    text = (
        f"The container is off its sealed transit from {transit.origin} to "
        f"{transit.destination}: it is leaving {site}"
    )
    return Reason.explained(ReasonCode.SEAL_NOT_ARRIVED, number, text, answer.detail)


def seal_reasons(number: str, site: str, answers: Sequence[SealAnswer]) -> list[Reason]:
    """Why the seal keeps container ``number`` from leaving by an exit of ``site`` (a site name,
    ``sites/{site_id}``); empty when it may leave. Every answer about it counts: contradicting
    answers hold (fail closed)."""
    if not answers:
        return [Reason(ReasonCode.SEAL_STATUS_UNKNOWN, number, "No answer from the seal service")]
    return [r for r in (_reason(number, site, a) for a in answers) if r is not None]
