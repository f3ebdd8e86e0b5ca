"""Watchlists of plates, containers and declarants."""

from __future__ import annotations

import pytest

from services.camera.domain.errors import DomainValidationError
from services.camera.domain.plates import normalise_plate
from services.camera.domain.watchlists import (
    WatchAction,
    WatchKind,
    Watchlist,
    WatchlistEntry,
    declarant_key,
)
from tests.camera.factories import read

PLATE = WatchlistEntry(WatchKind.PLATE, "51C-123.45", "smuggling case 12/2026")
CONTAINER = WatchlistEntry(WatchKind.CONTAINER, "CSQU 305438 3", "risk target", WatchAction.ALERT)
COMPANY = WatchlistEntry(WatchKind.DECLARANT, "0301234567", "low compliance")
WATCHLIST = Watchlist([PLATE, CONTAINER, COMPANY])


@pytest.mark.parametrize("text", ["51C-123.45", "51c 123 45", "51C12345"])
def test_plate_hits_whatever_the_separators(text: str) -> None:
    (hit,) = WATCHLIST.match_plate(normalise_plate(text))
    assert hit.entry is PLATE
    assert hit.matched == "51C-123.45"
    assert hit.exact


def test_other_plates_do_not_hit() -> None:
    assert WATCHLIST.match_plate(normalise_plate("51C-123.46")) == ()
    assert WATCHLIST.match_plate(normalise_plate("桂A12345")) == ()


def test_foreign_plate_entry() -> None:
    watchlist = Watchlist([WatchlistEntry(WatchKind.PLATE, "桂A·12345", "tip-off")])
    assert len(watchlist.match_plate(normalise_plate("桂A12345", "CN"))) == 1


def test_container_hits() -> None:
    assert [h.entry for h in WATCHLIST.match_container("csqu-305438-3")] == [CONTAINER]
    assert WATCHLIST.match_container("MSKU9070323") == ()
    assert len(WATCHLIST.match_container_read(read("CSQU3054383"))) == 1


def test_unverified_read_hits_inexactly_through_its_proposals() -> None:
    misread = read("CSQU3O54383", confidence=0.5)
    (hit,) = WATCHLIST.match_container_read(misread)
    assert hit.matched == "CSQU3054383"
    assert not hit.exact


def test_declarant_hits_company_and_branches() -> None:
    assert [h.entry for h in WATCHLIST.match_declarant("0301234567")] == [COMPANY]
    (branch,) = WATCHLIST.match_declarant("0301234567-001")
    assert branch.entry is COMPANY
    assert branch.matched == "0301234567001"
    assert WATCHLIST.match_declarant("0301234568") == ()


def test_branch_entry_does_not_cover_the_company() -> None:
    watchlist = Watchlist([WatchlistEntry(WatchKind.DECLARANT, "0301234567-002", "branch")])
    assert watchlist.match_declarant("0301234567") == ()
    assert len(watchlist.match_declarant("0301234567002")) == 1


@pytest.mark.parametrize(
    ("kind", "value", "reason", "field"),
    [
        (WatchKind.CONTAINER, "CSQU3054384", "x", "value"),
        (WatchKind.DECLARANT, "12345", "x", "value"),
        (WatchKind.PLATE, "  ", "x", "value"),
        (WatchKind.PLATE, "51C12345", " ", "reason"),
    ],
)
def test_invalid_entries(kind: WatchKind, value: str, reason: str, field: str) -> None:
    with pytest.raises(DomainValidationError) as caught:
        WatchlistEntry(kind, value, reason)
    assert caught.value.field == field


def test_declarant_key() -> None:
    assert declarant_key("0301 234 567") == "0301234567"
    with pytest.raises(DomainValidationError):
        declarant_key("03012345AB")
