"""Container reads: ISO 6346 validation, proposals, the auto-correction rule, confirmation."""

from __future__ import annotations

from datetime import datetime

import pytest

from services.camera.domain.errors import DomainValidationError
from services.camera.domain.reads import (
    ContainerReadStatus,
    ReadPolicy,
    RecognitionEvent,
    confirm_container,
    read_container,
    read_plate,
)


def test_valid_read_is_verified() -> None:
    read = read_container("csqu 305438 3", 0.8)
    assert read.status is ContainerReadStatus.VERIFIED
    assert read.verified
    assert read.number == "CSQU3054383"
    assert read.proposals == ()
    assert read.problem == ""


def test_unique_correction_at_high_confidence_is_corrected_but_not_verified() -> None:
    read = read_container("CSQU3O54383", 0.95)
    assert read.status is ContainerReadStatus.CORRECTED
    assert read.number == "CSQU3054383"
    assert not read.verified
    assert read.proposals == ("CSQU3054383",)
    assert "serial number" in read.problem


def test_unique_correction_at_low_confidence_stays_unverified() -> None:
    read = read_container("CSQU3O54383", 0.6)
    assert read.status is ContainerReadStatus.UNVERIFIED
    assert read.number is None
    assert read.proposals == ("CSQU3054383",)
    assert read.label == "CSQU3O54383"


def test_unique_best_among_several_proposals_is_corrected() -> None:
    read = read_container("CSQU3054388", 0.95)
    assert len(read.proposals) > 1
    assert read.status is ContainerReadStatus.CORRECTED
    assert read.number == "CSQU3054383"


def test_tied_best_proposals_stay_unverified() -> None:
    # Two candidates need two substitutions each: no unique best.
    read = read_container("CSQU3054384", 0.99)
    assert read.status is ContainerReadStatus.UNVERIFIED
    assert len(read.proposals) >= 2
    assert read.number is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("CSQU30543", "expected 11 characters"),
        ("CSQU3054383X", "expected 11 characters"),
        ("HELLOWORLD1", "equipment category"),
    ],
)
def test_uncorrectable_read_is_kept_as_read(text: str, problem: str) -> None:
    read = read_container(text, 0.99)
    assert read.status is ContainerReadStatus.UNVERIFIED
    assert (read.raw_text, read.number, read.proposals) == (text, None, ())
    assert problem in read.problem
    assert read.label == text


def test_policy_threshold_and_limits() -> None:
    strict = ReadPolicy(auto_correct_min_confidence=0.99)
    assert read_container("CSQU3O54383", 0.95, strict).status is ContainerReadStatus.UNVERIFIED
    no_search = ReadPolicy(max_substitutions=0)
    assert read_container("CSQU3O54383", 0.95, no_search).proposals == ()
    with pytest.raises(DomainValidationError) as caught:
        ReadPolicy(max_substitutions=9)
    assert caught.value.field == "max_substitutions"


def test_officer_confirmation() -> None:
    read = read_container("CSQU3O54383", 0.5)
    confirmed = confirm_container(read, "CSQU 305438 3", " officer-7 ")
    assert confirmed.status is ContainerReadStatus.CONFIRMED
    assert confirmed.verified
    assert confirmed.number == "CSQU3054383"
    assert confirmed.confirmed_by == "officer-7"
    with pytest.raises(DomainValidationError) as bad_number:
        confirm_container(read, "CSQU3054384", "officer-7")
    assert bad_number.value.field == "container_number"
    with pytest.raises(DomainValidationError) as no_officer:
        confirm_container(read, "CSQU3054383", " ")
    assert no_officer.value.field == "officer_id"


@pytest.mark.parametrize(
    ("text", "confidence", "field"),
    [
        ("", 0.9, "container_text"),
        ("CSQU3054383", 1.5, "confidence"),
        ("CSQU3054383", float("nan"), "confidence"),
        ("CSQU3054383" * 3, 0.9, "container_text"),
    ],
)
def test_bad_read_input(text: str, confidence: float, field: str) -> None:
    with pytest.raises(DomainValidationError) as caught:
        read_container(text, confidence)
    assert caught.value.field == field


def test_event_needs_aware_time_and_ids() -> None:
    plate = read_plate("51C12345", 0.9, "VN")
    with pytest.raises(DomainValidationError) as naive:
        RecognitionEvent("lane", "cam", datetime(2026, 1, 1), plate)
    assert naive.value.field == "observed_at"
    with pytest.raises(DomainValidationError) as no_lane:
        RecognitionEvent(" ", "cam", datetime.fromisoformat("2026-01-01T00:00:00+07:00"), plate)
    assert no_lane.value.field == "lane_id"
