"""Where a sealed container may leave: armed at its transit's origin, arrived at its
destination, nowhere else; never with a broken seal; never when the seal service cannot say."""

from __future__ import annotations

import pytest

from services.camera.domain.alerts import Severity
from services.camera.domain.barrier import decide_exit
from services.camera.domain.clearance import (
    BarrierAction,
    ReasonCode,
    SealAnswer,
    SealStage,
    SealStatus,
)
from services.camera.domain.errors import DomainValidationError
from services.camera.domain.passages import Direction, Lane
from services.camera.domain.sealed_exit import seal_reasons
from tests.camera.factories import T0, clear_scans, exit_passage, sealed

C1 = "MSCU1000059"
ORIGIN, DESTINATION, ELSEWHERE = "sites/cat-lai", "sites/moc-bai", "sites/long-bien"
EXITS = {
    site: Lane(f"{site}/gates/g1/lanes/out-1", site, Direction.EXIT)
    for site in (ORIGIN, DESTINATION, ELSEWHERE)
}


def leaving(site: str, seal: SealAnswer) -> tuple[BarrierAction, tuple[ReasonCode, ...]]:
    """The decision for C1 (no scan hold) leaving by the exit lane of ``site``."""
    passage = exit_passage(containers=(C1,), lane=EXITS[site])
    decision = decide_exit(passage, clear_scans(C1), [seal], T0)
    return decision.action, decision.reason_codes


def transit(stage: SealStage, intact: bool = True) -> SealAnswer:
    return sealed(C1, stage, ORIGIN, DESTINATION, intact)


@pytest.mark.parametrize(
    ("site", "stage", "codes"),
    [
        (ORIGIN, SealStage.IN_TRANSIT, ()),  # armed at the origin: the transit leaves
        (ORIGIN, SealStage.ATTACHED, (ReasonCode.SEAL_NOT_ARMED,)),
        (ORIGIN, SealStage.OTHER, (ReasonCode.SEAL_NOT_ARMED,)),
        (DESTINATION, SealStage.ARRIVED, ()),  # arrived: it leaves the destination
        (DESTINATION, SealStage.IN_TRANSIT, (ReasonCode.SEAL_NOT_ARRIVED,)),
        (DESTINATION, SealStage.ATTACHED, (ReasonCode.SEAL_NOT_ARRIVED,)),
        (ELSEWHERE, SealStage.IN_TRANSIT, (ReasonCode.SEAL_NOT_ARRIVED,)),  # off its transit
        (ELSEWHERE, SealStage.ARRIVED, (ReasonCode.SEAL_NOT_ARRIVED,)),
        (ELSEWHERE, SealStage.ATTACHED, (ReasonCode.SEAL_NOT_ARRIVED,)),
    ],
)
def test_intact_seal_opens_only_armed_at_the_origin_or_arrived_at_the_destination(
    site: str, stage: SealStage, codes: tuple[ReasonCode, ...]
) -> None:
    action, reasons = leaving(site, transit(stage))
    assert reasons == codes
    assert action is (BarrierAction.HOLD if codes else BarrierAction.OPEN)


@pytest.mark.parametrize("site", [ORIGIN, DESTINATION, ELSEWHERE])
@pytest.mark.parametrize("stage", [SealStage.IN_TRANSIT, SealStage.ARRIVED])
def test_broken_seal_holds_anywhere(site: str, stage: SealStage) -> None:
    assert leaving(site, transit(stage, intact=False)) == (
        BarrierAction.HOLD,
        (ReasonCode.SEAL_NOT_INTACT,),
    )


@pytest.mark.parametrize("site", [ORIGIN, DESTINATION, ELSEWHERE])
def test_no_seal_opens_anywhere(site: str) -> None:
    assert leaving(site, SealAnswer(C1, SealStatus.NO_SEAL)) == (BarrierAction.OPEN, ())


@pytest.mark.parametrize("site", [ORIGIN, DESTINATION, ELSEWHERE])
def test_unknown_seal_status_holds_anywhere(site: str) -> None:
    down = SealAnswer(C1, SealStatus.UNAVAILABLE, "seal: UNAVAILABLE")
    assert leaving(site, down) == (BarrierAction.HOLD, (ReasonCode.SEAL_STATUS_UNKNOWN,))
    assert seal_reasons(C1, site, [])[0].code is ReasonCode.SEAL_STATUS_UNKNOWN


@pytest.mark.parametrize(("origin", "destination"), [("", DESTINATION), (ORIGIN, ""), ("", "")])
def test_answer_naming_no_origin_or_destination_holds(origin: str, destination: str) -> None:
    """A seal service that does not say where the transit goes: the gate cannot tell."""
    answer = sealed(C1, SealStage.IN_TRANSIT, origin, destination)
    (reason,) = seal_reasons(C1, ORIGIN, [answer])
    assert reason.code is ReasonCode.SEAL_STATUS_UNKNOWN
    assert "origin and destination" in reason.text


def test_reasons_name_the_sites_and_the_seal() -> None:
    (off,) = seal_reasons(C1, ELSEWHERE, [transit(SealStage.IN_TRANSIT)])
    assert off.subject == C1
    assert all(site in off.text for site in (ORIGIN, DESTINATION, ELSEWHERE))
    assert "off its sealed transit" in off.text and "IN_TRANSIT" in off.text
    (unarmed,) = seal_reasons(C1, ORIGIN, [transit(SealStage.ATTACHED)])
    assert "not armed" in unarmed.text and DESTINATION in unarmed.text
    assert f"seals/S-{C1}, state ATTACHED" in unarmed.text
    (late,) = seal_reasons(C1, DESTINATION, [transit(SealStage.IN_TRANSIT)])
    assert "has not arrived" in late.text and ORIGIN in late.text


def test_unarmed_seal_at_the_origin_is_a_warning_not_an_offence() -> None:
    passage = exit_passage(containers=(C1,), lane=EXITS[ORIGIN])
    (alert,) = decide_exit(passage, clear_scans(C1), [transit(SealStage.ATTACHED)], T0).alerts
    assert alert.severity is Severity.WARNING and "SEAL_NOT_ARMED" in alert.message


def test_contradicting_answers_hold() -> None:
    armed, opened = transit(SealStage.IN_TRANSIT), transit(SealStage.IN_TRANSIT, intact=False)
    assert seal_reasons(C1, ORIGIN, [armed]) == []
    assert [r.code for r in seal_reasons(C1, ORIGIN, [armed, opened])] == [
        ReasonCode.SEAL_NOT_INTACT
    ]


def test_a_sealed_answer_carries_its_transit_and_only_it_does() -> None:
    with pytest.raises(DomainValidationError) as caught:
        SealAnswer(C1, SealStatus.SEALED)
    assert caught.value.field == "transit"
    with pytest.raises(DomainValidationError):
        SealAnswer(C1, SealStatus.NO_SEAL, transit=transit(SealStage.ARRIVED).transit)
