"""Rebuilding a lane's open passage from stored events and joining one more (service rules)."""

from __future__ import annotations

import pytest

from services.camera.domain.alerts import AlertKind
from services.camera.domain.errors import DomainValidationError
from services.camera.domain.passages import (
    AssemblyConfig,
    assemble,
    build_passage,
    fits_passage,
)
from services.camera.domain.screening import screen_passage
from services.camera.domain.watchlists import WatchAction, WatchKind, Watchlist, WatchlistEntry
from tests.camera.factories import ENTRY_LANE, EXIT_LANE, LANES, at, camera, scale


def test_build_passage_sorts_events_and_equals_assembly() -> None:
    events = [camera(0, "51C-123.45", ("CSQU3054383",)), scale(3, 30_000.0), camera(5)]
    (assembled,) = list(assemble(events, LANES))
    rebuilt = build_passage(EXIT_LANE, reversed(events))
    assert rebuilt == assembled
    assert rebuilt.started_at == at(0) and rebuilt.ended_at == at(5)


def test_build_passage_needs_events_of_its_lane() -> None:
    with pytest.raises(DomainValidationError) as error:
        build_passage(EXIT_LANE, [])
    assert error.value.field == "events"
    with pytest.raises(DomainValidationError) as error:
        build_passage(ENTRY_LANE, [camera(0, "51C-123.45")])
    assert error.value.field == "lane_id"


def test_an_event_fits_within_the_window_in_any_order() -> None:
    passage = build_passage(EXIT_LANE, [camera(10, "51C-123.45"), scale(40, 30_000.0)])
    assert fits_passage(passage, scale(95, 30_100.0))  # 85 s after the start
    assert fits_passage(passage, camera(0, "51c12345"))  # late event, earlier than the start
    assert not fits_passage(passage, scale(101, 30_100.0))  # window 90 s from the start
    assert not fits_passage(passage, camera(12, "29A-1234"))  # another truck
    assert not fits_passage(passage, camera(12, "51C-123.45", lane=ENTRY_LANE))
    short = AssemblyConfig(window=AssemblyConfig().window / 9)
    assert not fits_passage(passage, scale(41, 0.0), short)


def test_a_passage_without_plate_takes_the_first_plate_read() -> None:
    passage = build_passage(EXIT_LANE, [scale(0, 30_000.0)])
    assert fits_passage(passage, camera(2, "29A-1234"))


def test_entry_screening_alerts_every_hit_and_never_holds() -> None:
    watchlist = Watchlist(
        [
            WatchlistEntry(WatchKind.PLATE, "51C-123.45", "case 7", WatchAction.HOLD),
            WatchlistEntry(WatchKind.CONTAINER, "CSQU3054383", "target", WatchAction.ALERT),
            WatchlistEntry(WatchKind.DECLARANT, "0301234567", "low compliance"),
        ]
    )
    passage = build_passage(ENTRY_LANE, [camera(0, "51C12345", ("CSQU3054383",), lane=ENTRY_LANE)])
    alerts = screen_passage(passage, watchlist, at(5), "0301234567-002")
    assert [a.kind for a in alerts] == [AlertKind.WATCHLIST_HIT] * 3
    assert [a.evidence["watch_kind"] for a in alerts] == ["PLATE", "CONTAINER", "DECLARANT"]
    assert screen_passage(passage, Watchlist(), at(5)) == ()
