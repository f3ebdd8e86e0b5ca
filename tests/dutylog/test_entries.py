from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.dutylog.domain.canonical import (
    canonical_content,
    content_object,
    content_sha256,
    draft_from_content_object,
    format_time,
    parse_time,
    sha256_hex,
)
from services.dutylog.domain.entries import (
    Attachment,
    EntryDraft,
    EntryKind,
    Officer,
    References,
    parse_kind,
)
from services.dutylog.domain.errors import DomainValidationError
from tests.dutylog.helpers import LAN, ROOM, T0, draft


def test_empty_text_is_rejected_naming_the_field() -> None:
    with pytest.raises(DomainValidationError) as info:
        draft("   \n")
    assert info.value.field == "text"


def test_unknown_kind_is_rejected() -> None:
    with pytest.raises(DomainValidationError) as info:
        parse_kind("GOSSIP")
    assert info.value.field == "kind"
    with pytest.raises(DomainValidationError) as info:
        draft(kind="GOSSIP")  # type: ignore[arg-type]
    assert info.value.field == "kind"


def test_kind_given_by_name_is_parsed() -> None:
    assert draft(kind="ALERT").kind is EntryKind.ALERT  # type: ignore[arg-type]


def test_correction_needs_a_target_and_only_corrections_have_one() -> None:
    with pytest.raises(DomainValidationError) as info:
        draft(kind=EntryKind.CORRECTION)
    assert info.value.field == "corrects_seq"
    with pytest.raises(DomainValidationError) as info:
        draft(kind=EntryKind.OBSERVATION, corrects_seq=3)
    assert info.value.field == "corrects_seq"
    with pytest.raises(DomainValidationError):
        draft(kind=EntryKind.CORRECTION, corrects_seq=0)
    assert draft(kind=EntryKind.CORRECTION, corrects_seq=2).corrects_seq == 2


def test_time_must_be_aware_and_is_normalised_to_utc() -> None:
    with pytest.raises(DomainValidationError) as info:
        draft().__class__(ROOM, EntryKind.OBSERVATION, LAN, datetime(2026, 1, 1), "x")
    assert info.value.field == "time"
    ict = timezone(timedelta(hours=7))
    d = EntryDraft(ROOM, EntryKind.OBSERVATION, LAN, datetime(2026, 1, 1, 7, tzinfo=ict), "x")
    assert d.time == datetime(2026, 1, 1, 0, tzinfo=UTC)
    assert d.time.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: References(container_numbers=("CSQU3054384",)), "container_numbers[0]"),
        (lambda: References(container_numbers=("csqu3054383",)), "container_numbers[0]"),
        (lambda: References(container_numbers=("CSQU 305438 3",)), "container_numbers[0]"),
        (lambda: References(container_numbers=("CSQX3054383",)), "container_numbers[0]"),
        (lambda: References(scan_names=("a b",)), "scan_names[0]"),
        (lambda: References(alert_ids=("x", "x")), "alert_ids"),
        (lambda: draft(attributes=(("Bad Key", "v"),)), "attributes"),
        (lambda: draft(attributes=(("k", "v"), ("k", "w"))), "attributes.k"),
    ],
)
def test_bad_references_and_attributes_name_the_field(
    build: Callable[[], object], field: str
) -> None:
    with pytest.raises(DomainValidationError) as info:
        build()
    assert info.value.field == field


def test_attachment_validation() -> None:
    with pytest.raises(DomainValidationError) as info:
        Attachment("scans/1/image.png", "ABC", "image/png")
    assert info.value.field == "sha256"
    with pytest.raises(DomainValidationError) as info:
        Attachment("scans/1/image.png", "0" * 64, "png")
    assert info.value.field == "content_type"


def test_officer_validation() -> None:
    with pytest.raises(DomainValidationError) as info:
        Officer("", "Lan", LAN.department)
    assert info.value.field == "subject"
    with pytest.raises(DomainValidationError) as info:
        Officer("officer:x", "Lan", "CUSTOMS")  # type: ignore[arg-type]
    assert info.value.field == "department"


def test_container_numbers_are_checked_and_kept_in_canonical_form() -> None:
    assert References(container_numbers=("CSQU3054383",)).container_numbers == ("CSQU3054383",)


def test_time_format_is_rfc3339_utc_with_microseconds() -> None:
    assert format_time(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05.000000Z"
    assert format_time(T0) == "2026-11-23T06:00:00.123456Z"
    assert parse_time("2026-11-23T06:00:00.123456Z", "t") == T0
    for bad in (
        "2026-11-23T06:00:00Z",
        "2026-11-23T06:00:00.123456+00:00",
        "2026-13-01T00:00:00.000000Z",
    ):
        with pytest.raises(DomainValidationError):
            parse_time(bad, "t")


def test_canonical_content_is_exact_and_documented() -> None:
    d = draft(
        'Seal "SL-7" mở khóa\nlúc 06:00',
        kind=EntryKind.ALERT,
        references=References(container_numbers=("CSQU3054383",), seal_names=("seals/SL-7",)),
        attachments=(Attachment("logs/a.jpg", "ab" * 32, "image/jpeg"),),
        attributes=(("severity", "CRITICAL"), ("alarm_state", "OPEN")),
    )
    data = canonical_content(d, 7)
    expected = (
        '{"attachments":[{"content_type":"image/jpeg","object_key":"logs/a.jpg","sha256":"'
        + "ab" * 32
        + '"}],"attributes":{"alarm_state":"OPEN","severity":"CRITICAL"},'
        '"author":{"department":"ANTI_SMUGGLING","display_name":"Nguyễn Thị Lan",'
        '"subject":"officer:lan"},"corrects_seq":null,"format":"dutylog.entry.v1",'
        '"kind":"ALERT","references":{"alert_ids":[],"container_numbers":["CSQU3054383"],'
        '"directive_ids":[],"passage_names":[],"scan_names":[],"seal_names":["seals/SL-7"]},'
        '"room":"HCM-CATLAI-01","seq":7,'
        '"text":"Seal \\"SL-7\\" mở khóa\\nlúc 06:00","time":"2026-11-23T06:00:00.123456Z"}'
    ).encode()
    assert data == expected
    assert content_sha256(d, 7) == sha256_hex(expected)
    # same content, same bytes; different seq, different hash
    assert canonical_content(dataclasses.replace(d), 7) == data
    assert content_sha256(d, 8) != content_sha256(d, 7)


def test_content_object_round_trips() -> None:
    d = draft(
        "Sửa nội dung",
        kind=EntryKind.CORRECTION,
        corrects_seq=3,
        references=References(alert_ids=("seals/SL-7/alerts/9",), directive_ids=("dir-1",)),
        attachments=(Attachment("k", "0" * 64, "application/pdf"),),
        attributes={"z": "1", "a": "2"},
    )
    obj = json.loads(canonical_content(d, 5))
    back, seq = draft_from_content_object(obj)
    assert (back, seq) == (d, 5)
    assert content_object(back, seq) == obj


def test_content_object_parsing_is_strict() -> None:
    obj = content_object(draft(), 1)
    obj["extra"] = 1
    with pytest.raises(DomainValidationError):
        draft_from_content_object(obj)
    obj = content_object(draft(), 1)
    obj["kind"] = "GOSSIP"
    with pytest.raises(DomainValidationError) as info:
        draft_from_content_object(obj)
    assert info.value.field == "kind"


@given(
    text=st.text(min_size=1, max_size=200).filter(lambda t: t.strip() and "\x00" not in t),
    micro=st.integers(0, 999_999),
    seq=st.integers(1, 2**53 - 1),
)
@settings(max_examples=150, deadline=None)
def test_canonical_bytes_survive_a_json_round_trip(text: str, micro: int, seq: int) -> None:
    try:
        d = draft(text, attributes={"note": text[:50]})
    except DomainValidationError:
        return  # lone surrogates are refused at the door
    d = dataclasses.replace(d, time=d.time.replace(microsecond=micro))
    data = canonical_content(d, seq)
    back, back_seq = draft_from_content_object(json.loads(data.decode("utf-8")))
    assert canonical_content(back, back_seq) == data
    assert back.text == text and back_seq == seq
