"""Exit barrier decisions: every branch, failing closed."""

from __future__ import annotations

import pytest

from services.camera.domain.alerts import AlertKind, Severity, SubjectKind
from services.camera.domain.barrier import decide_exit
from services.camera.domain.clearance import (
    BarrierAction,
    ReasonCode,
    ScanAnswer,
    ScanStatus,
    SealAnswer,
    SealStage,
    SealStatus,
)
from services.camera.domain.errors import DomainValidationError
from services.camera.domain.passages import assemble
from services.camera.domain.watchlists import WatchAction, WatchKind, Watchlist, WatchlistEntry
from services.camera.domain.weighing import Load, LoadCheck
from tests.camera.factories import (
    ENTRY_LANE,
    EXIT_LANE,
    LANES,
    T0,
    camera,
    clear_scans,
    exit_passage,
    sealed,
)

C1, C2 = "CSQU3054383", "MSKU9070323"
EMPTY = LoadCheck(Load.EMPTY, "gross 15100 kg, tare 15000 kg (last_empty_weighing)")


def arrived_seals(*numbers: str) -> list[SealAnswer]:
    """Sealed transits that arrived intact at the site of the exit lane."""
    return [sealed(n, SealStage.ARRIVED, "sites/origin", EXIT_LANE.site_id) for n in numbers]


def test_all_clear_opens() -> None:
    passage = exit_passage(containers=(C1, C2))
    decision = decide_exit(passage, clear_scans(C1, C2), arrived_seals(C1, C2), T0)
    assert decision.action is BarrierAction.OPEN
    assert decision.reasons == ()
    assert decision.alerts == ()
    assert decision.passage_key == passage.key
    assert decision.subject == "51C-123.45"


def test_no_seal_is_fine() -> None:
    passage = exit_passage(containers=(C1,))
    seals = [SealAnswer(C1, SealStatus.NO_SEAL)]
    assert decide_exit(passage, clear_scans(C1), seals, T0).action is BarrierAction.OPEN


def test_answers_match_normalised_numbers() -> None:
    passage = exit_passage(containers=(C1,))
    scans = [ScanAnswer("csqu 305438-3", ScanStatus.NO_OPEN_HOLD)]
    seals = arrived_seals("CSQU 305438 3")
    assert decide_exit(passage, scans, seals, T0).action is BarrierAction.OPEN


ARRIVED = sealed(C1, SealStage.ARRIVED, "sites/origin", EXIT_LANE.site_id)
TRAVELLING = sealed(C1, SealStage.IN_TRANSIT, "sites/origin", EXIT_LANE.site_id)
OPENED = sealed(C1, SealStage.ARRIVED, "sites/origin", EXIT_LANE.site_id, intact=False)


@pytest.mark.parametrize(
    ("scan", "seal", "code"),
    [
        (ScanStatus.OPEN_HOLD, ARRIVED, ReasonCode.SCAN_HOLD_OPEN),
        (ScanStatus.UNAVAILABLE, ARRIVED, ReasonCode.SCAN_STATUS_UNKNOWN),
        (ScanStatus.NO_OPEN_HOLD, OPENED, ReasonCode.SEAL_NOT_INTACT),
        (ScanStatus.NO_OPEN_HOLD, TRAVELLING, ReasonCode.SEAL_NOT_ARRIVED),
        (
            ScanStatus.NO_OPEN_HOLD,
            SealAnswer(C1, SealStatus.UNAVAILABLE),
            ReasonCode.SEAL_STATUS_UNKNOWN,
        ),
    ],
)
def test_each_clearance_problem_holds(scan: ScanStatus, seal: SealAnswer, code: ReasonCode) -> None:
    passage = exit_passage(containers=(C1,))
    decision = decide_exit(passage, [ScanAnswer(C1, scan, "timeout after 2 s")], [seal], T0)
    assert decision.action is BarrierAction.HOLD
    assert decision.reason_codes == (code,)
    assert decision.reasons[0].subject == C1
    (alert,) = decision.alerts
    assert alert.kind is AlertKind.BARRIER_HOLD
    assert code.value in alert.message


def test_missing_answers_fail_closed() -> None:
    passage = exit_passage(containers=(C1, C2))
    decision = decide_exit(passage, clear_scans(C1), arrived_seals(C2), T0)
    assert decision.action is BarrierAction.HOLD
    assert set(decision.reason_codes) == {
        ReasonCode.SEAL_STATUS_UNKNOWN,
        ReasonCode.SCAN_STATUS_UNKNOWN,
    }
    assert {(r.code, r.subject) for r in decision.reasons} == {
        (ReasonCode.SEAL_STATUS_UNKNOWN, C1),
        (ReasonCode.SCAN_STATUS_UNKNOWN, C2),
    }


def test_contradicting_answers_fail_closed() -> None:
    passage = exit_passage(containers=(C1,))
    scans = [ScanAnswer(C1, ScanStatus.NO_OPEN_HOLD), ScanAnswer(C1, ScanStatus.OPEN_HOLD)]
    decision = decide_exit(passage, scans, arrived_seals(C1), T0)
    assert decision.reason_codes == (ReasonCode.SCAN_HOLD_OPEN,)


def test_answers_about_other_containers_do_not_count() -> None:
    passage = exit_passage(containers=(C1,))
    decision = decide_exit(passage, clear_scans(C2), arrived_seals(C2), T0)
    assert set(decision.reason_codes) == {
        ReasonCode.SCAN_STATUS_UNKNOWN,
        ReasonCode.SEAL_STATUS_UNKNOWN,
    }


def test_unverified_container_number_holds() -> None:
    passage = exit_passage(containers=("CSQU3054384",))
    decision = decide_exit(passage, [], [], T0)
    assert decision.action is BarrierAction.HOLD
    assert decision.reason_codes == (ReasonCode.CONTAINER_NUMBER_UNVERIFIED,)
    kinds = [alert.kind for alert in decision.alerts]
    assert kinds == [AlertKind.BARRIER_HOLD, AlertKind.UNVERIFIED_CONTAINER_AT_EXIT]
    unverified = decision.alerts[1]
    assert unverified.subject == "CSQU3054384"
    assert unverified.subject_kind is SubjectKind.CONTAINER
    assert "CSOU3064384" in unverified.evidence["proposals"]


def test_auto_corrected_number_holds_even_when_cleared() -> None:
    passage = exit_passage(containers=("CSQU3O54383",))
    assert passage.containers[0].number == C1
    decision = decide_exit(passage, clear_scans(C1), arrived_seals(C1), T0)
    assert decision.action is BarrierAction.HOLD
    assert decision.reason_codes == (ReasonCode.CONTAINER_NUMBER_AUTO_CORRECTED,)


def test_auto_corrected_number_is_still_looked_up() -> None:
    passage = exit_passage(containers=("CSQU3O54383",))
    decision = decide_exit(passage, [ScanAnswer(C1, ScanStatus.OPEN_HOLD)], arrived_seals(C1), T0)
    assert decision.reason_codes == (
        ReasonCode.CONTAINER_NUMBER_AUTO_CORRECTED,
        ReasonCode.SCAN_HOLD_OPEN,
    )
    assert decision.alerts[0].severity is Severity.HIGH


def test_truck_weighed_empty_opens_unless_the_plate_is_watched() -> None:
    passage = exit_passage(containers=())
    assert decide_exit(passage, [], [], T0, load=EMPTY).action is BarrierAction.OPEN
    watched = Watchlist([WatchlistEntry(WatchKind.PLATE, "51C12345", "tip-off")])
    decision = decide_exit(passage, [], [], T0, watched, load=EMPTY)
    assert decision.action is BarrierAction.HOLD
    assert decision.reason_codes == (ReasonCode.WATCHLIST_PLATE,)
    assert [a.kind for a in decision.alerts] == [AlertKind.BARRIER_HOLD, AlertKind.WATCHLIST_HIT]
    assert decision.alerts[1].subject == "51C-123.45"


@pytest.mark.parametrize(
    ("load", "detail"),
    [
        (None, "no scale reading"),
        (LoadCheck(Load.UNKNOWN, "gross 31000 kg, but no tare for the vehicle"), "no tare"),
        (LoadCheck(Load.LADEN, "gross 31000 kg, tare 15000 kg (declared)"), "31000"),
    ],
)
def test_no_container_read_holds_unless_weighed_empty(load: LoadCheck | None, detail: str) -> None:
    """A camera saw the plate but no container: the truck is not known to be empty."""
    passage = exit_passage(containers=())
    decision = decide_exit(passage, [], [], T0, load=load)
    assert decision.action is BarrierAction.HOLD
    assert decision.reason_codes == (ReasonCode.CONTAINER_NOT_READ,)
    assert decision.reasons[0].subject == passage.key
    assert detail in decision.reasons[0].text
    assert [a.kind for a in decision.alerts] == [AlertKind.BARRIER_HOLD]
    assert decision.alerts[0].severity is Severity.WARNING


def test_declared_goods_without_a_container_read_hold_even_weighed_empty() -> None:
    passage = exit_passage(containers=())
    decision = decide_exit(passage, [], [], T0, declared_goods_kg=12_000.0, load=EMPTY)
    assert decision.reason_codes == (ReasonCode.CONTAINER_NOT_READ,)
    assert "12000 kg of goods are declared" in decision.reasons[0].text


def test_unreadable_container_read_holds_and_alerts() -> None:
    """A read no OCR correction makes valid (here a wrong length) is kept and holds."""
    passage = exit_passage(containers=(C1, "CSQU30543"))
    (_, unreadable) = passage.containers
    assert unreadable.proposals == () and unreadable.number is None
    decision = decide_exit(passage, clear_scans(C1), arrived_seals(C1), T0, load=EMPTY)
    assert decision.action is BarrierAction.HOLD
    assert decision.reason_codes == (ReasonCode.CONTAINER_NUMBER_UNVERIFIED,)
    reason = decision.reasons[0]
    assert reason.subject == "CSQU30543"
    assert "expected 11 characters" in reason.text and "no OCR correction" in reason.text
    kinds = [a.kind for a in decision.alerts]
    assert kinds == [AlertKind.BARRIER_HOLD, AlertKind.UNVERIFIED_CONTAINER_AT_EXIT]
    assert decision.alerts[1].evidence["proposals"] == ""


def test_plate_not_read_holds() -> None:
    passage = exit_passage(plate=None, containers=())
    decision = decide_exit(passage, [], [], T0, load=EMPTY)
    assert decision.reason_codes == (ReasonCode.PLATE_NOT_READ,)
    assert decision.alerts[0].subject_kind is SubjectKind.PASSAGE
    assert decision.alerts[0].subject == passage.key


def test_alert_only_watchlist_entry_does_not_hold() -> None:
    watched = Watchlist([WatchlistEntry(WatchKind.CONTAINER, C1, "sample", WatchAction.ALERT)])
    passage = exit_passage(containers=(C1,))
    decision = decide_exit(passage, clear_scans(C1), arrived_seals(C1), T0, watched)
    assert decision.action is BarrierAction.OPEN
    (alert,) = decision.alerts
    assert alert.kind is AlertKind.WATCHLIST_HIT
    assert alert.subject_kind is SubjectKind.CONTAINER


def test_container_and_declarant_watchlists_hold() -> None:
    watched = Watchlist(
        [
            WatchlistEntry(WatchKind.CONTAINER, C2, "risk target"),
            WatchlistEntry(
                WatchKind.DECLARANT, "0301234567", "low compliance", severity=Severity.CRITICAL
            ),
        ]
    )
    passage = exit_passage(containers=(C1, C2))
    decision = decide_exit(
        passage,
        clear_scans(C1, C2),
        arrived_seals(C1, C2),
        T0,
        watched,
        declarants={"csqu3054383": "0301234567-001"},
    )
    assert decision.action is BarrierAction.HOLD
    assert decision.reason_codes == (ReasonCode.WATCHLIST_DECLARANT, ReasonCode.WATCHLIST_CONTAINER)
    severities = {
        a.subject: a.severity for a in decision.alerts if a.kind is AlertKind.WATCHLIST_HIT
    }
    assert severities == {C2: Severity.HIGH, "0301234567001": Severity.CRITICAL}


def test_several_problems_are_all_reported() -> None:
    passage = exit_passage(plate=None, containers=(C1, "CSQU3054384"))
    decision = decide_exit(passage, [ScanAnswer(C1, ScanStatus.UNAVAILABLE)], [], T0)
    assert decision.reason_codes == (
        ReasonCode.PLATE_NOT_READ,
        ReasonCode.SCAN_STATUS_UNKNOWN,
        ReasonCode.SEAL_STATUS_UNKNOWN,
        ReasonCode.CONTAINER_NUMBER_UNVERIFIED,
    )


def test_entry_passage_is_rejected() -> None:
    (entry,) = list(assemble([camera(0, "51C-123.45", lane=ENTRY_LANE)], LANES))
    with pytest.raises(DomainValidationError) as caught:
        decide_exit(entry, [], [], T0)
    assert caught.value.field == "passage.direction"
