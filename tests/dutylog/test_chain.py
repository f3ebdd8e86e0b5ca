from __future__ import annotations

import dataclasses

import pytest

from services.dutylog.domain.canonical import GENESIS_SHA256, content_sha256, entry_sha256
from services.dutylog.domain.chain import (
    ChainCheck,
    SealedEntry,
    entry_from_json,
    entry_to_json,
    seal_entry,
    verify_chain,
)
from services.dutylog.domain.entries import EntryKind
from services.dutylog.domain.errors import DomainValidationError
from tests.dutylog.helpers import ROOM, draft, sample_log


def _retext(entry: SealedEntry, text: str) -> SealedEntry:
    return dataclasses.replace(entry, draft=dataclasses.replace(entry.draft, text=text))


def test_sealing_links_entries_from_genesis() -> None:
    log = sample_log(3)
    assert [e.seq for e in log] == [1, 2, 3]
    assert log[0].prev_sha256 == GENESIS_SHA256
    assert log[1].prev_sha256 == log[0].entry_sha256
    assert log[2].prev_sha256 == log[1].entry_sha256
    assert log[0].name == f"rooms/{ROOM}/entries/1"
    e = log[2]
    assert e.content_sha256 == content_sha256(e.draft, 3)
    expected = entry_sha256(e.prev_sha256, e.content_sha256, 3)
    assert e.entry_sha256 == expected
    assert len({x.entry_sha256 for x in log}) == 3


def test_intact_chain_reports_ok_with_head() -> None:
    log = sample_log(6)
    report = verify_chain(log)
    assert report.ok and report.first_break is None
    assert report.head_seq == 6 and report.head_sha256 == log[-1].entry_sha256
    assert report.entries_checked == 6
    empty = verify_chain([])
    assert empty.ok and empty.head_seq is None and empty.head_sha256 == GENESIS_SHA256


def test_slice_verifies_from_its_anchor() -> None:
    log = sample_log(6)
    part = log[2:]
    assert verify_chain(part, anchor_prev_sha256=log[1].entry_sha256, first_seq=3).ok
    assert not verify_chain(part).ok


def _break(entries: list[SealedEntry]) -> tuple[ChainCheck, int]:
    report = verify_chain(entries)
    assert not report.ok and report.first_break is not None
    return report.first_break.check, report.first_break.seq


def test_changed_content_is_detected() -> None:
    log = sample_log(6)
    log[3] = _retext(log[3], "Không có gì bất thường")
    assert _break(log) == (ChainCheck.CONTENT_CHANGED, 4)


def test_deleted_entry_is_detected() -> None:
    log = sample_log(6)
    del log[2]
    report = verify_chain(log)
    assert report.first_break is not None
    assert (report.first_break.check, report.first_break.seq) == (ChainCheck.SEQUENCE_GAP, 4)
    assert "entries/4" in report.first_break.message
    assert report.head_seq == 2 and report.head_sha256 == log[1].entry_sha256


def test_reordered_entries_are_detected() -> None:
    log = sample_log(6)
    log[2], log[3] = log[3], log[2]
    assert _break(log) == (ChainCheck.REORDERED, 4)
    dup = sample_log(4)
    assert _break([*dup, dup[1]]) == (ChainCheck.REORDERED, 2)


def test_changed_hashes_are_detected() -> None:
    log = sample_log(6)
    bad = dataclasses.replace(log[2], entry_sha256="f" * 64)
    assert _break([*log[:2], bad, *log[3:]]) == (ChainCheck.ENTRY_HASH_MISMATCH, 3)
    bad = dataclasses.replace(log[2], content_sha256="f" * 64)
    assert _break([*log[:2], bad, *log[3:]]) == (ChainCheck.CONTENT_CHANGED, 3)
    bad = dataclasses.replace(log[2], prev_sha256="f" * 64)
    assert _break([*log[:2], bad, *log[3:]]) == (ChainCheck.LINK_BROKEN, 3)


def test_rewritten_entry_with_recomputed_hashes_breaks_the_next_link() -> None:
    log = sample_log(6)
    forged = _retext(log[2], "Nội dung giả mạo")
    forged = dataclasses.replace(forged, content_sha256=content_sha256(forged.draft, 3))
    partial = [*log[:2], forged, *log[3:]]
    assert _break(partial) == (ChainCheck.ENTRY_HASH_MISMATCH, 3)
    forged = seal_entry(forged.draft, log[1])
    assert _break([*log[:2], forged, *log[3:]]) == (ChainCheck.LINK_BROKEN, 4)


def test_entry_of_another_room_is_detected() -> None:
    log = sample_log(3)
    moved = dataclasses.replace(log[2].draft, room="HN-LONGBIEN")
    content = content_sha256(moved, 3)
    other = SealedEntry(
        moved, 3, content, log[1].entry_sha256, entry_sha256(log[1].entry_sha256, content, 3)
    )
    assert _break([*log[:2], other]) == (ChainCheck.ROOM_MISMATCH, 3)


def test_seal_refuses_other_room_and_future_correction_target() -> None:
    log = sample_log(2)
    with pytest.raises(DomainValidationError) as info:
        seal_entry(dataclasses.replace(log[0].draft, room="HN-LONGBIEN"), log[1])
    assert info.value.field == "room"
    with pytest.raises(DomainValidationError) as info:
        seal_entry(draft("Sửa", kind=EntryKind.CORRECTION, corrects_seq=3), log[1])
    assert info.value.field == "corrects_seq"
    fix = seal_entry(draft("Sửa mục 1", kind=EntryKind.CORRECTION, corrects_seq=1), log[1])
    assert fix.seq == 3 and fix.draft.corrects_seq == 1
    assert verify_chain([*log, fix]).ok


def test_entry_json_round_trips() -> None:
    for entry in sample_log(4):
        assert entry_from_json(entry_to_json(entry)) == entry
