"""Plate normalisation: Vietnamese formats, foreign plates at land borders."""

from __future__ import annotations

import pytest

from services.camera.domain.errors import DomainValidationError
from services.camera.domain.plates import PlateKind, normalise_plate, plate_key


@pytest.mark.parametrize(
    ("read", "canonical"),
    [
        ("51C-123.45", "51C-123.45"),
        ("51C12345", "51C-123.45"),
        ("51c 123 45", "51C-123.45"),
        ("  51C - 123 . 45 ", "51C-123.45"),
        ("29A-1234", "29A-1234"),
        ("29a1234", "29A-1234"),
        ("51LD-123.45", "51LD-123.45"),
        ("51ld12345", "51LD-123.45"),
        ("51R-012.34", "51R-012.34"),
    ],
)
def test_vietnamese_vehicle_plates(read: str, canonical: str) -> None:
    plate = normalise_plate(read, "VN")
    assert plate.text == canonical
    assert plate.country == "VN"
    assert plate.kind is PlateKind.VN_VEHICLE
    assert plate.well_formed
    assert plate.raw == read


@pytest.mark.parametrize(
    ("read", "canonical"),
    [
        ("29-B1 123.45", "29-B1 123.45"),
        ("29 b1 12345", "29-B1 123.45"),
        ("29B112345", "29-B1 123.45"),  # only the motorbike reading fits
        ("59-X1 2345", "59-X1 2345"),
    ],
)
def test_vietnamese_motorbike_plates(read: str, canonical: str) -> None:
    plate = normalise_plate(read)
    assert plate.text == canonical
    assert plate.kind is PlateKind.VN_MOTORBIKE


def test_compact_read_fitting_both_grammars_is_a_truck() -> None:
    assert normalise_plate("51C12345").kind is PlateKind.VN_VEHICLE


def test_vietnamese_plate_at_a_chinese_border_lane_is_vietnamese() -> None:
    plate = normalise_plate("14C 123.45", "CN")
    assert (plate.text, plate.country) == ("14C-123.45", "VN")


@pytest.mark.parametrize(
    ("read", "well_formed"), [("桂A12345", True), ("桂A·12345", True), ("桂A1", False)]
)
def test_chinese_plates_are_kept_as_read(read: str, well_formed: bool) -> None:
    plate = normalise_plate(read, "VN")
    assert plate.country == "CN"
    assert plate.text == read
    assert plate.well_formed is well_formed
    assert plate.key.startswith("桂A")


@pytest.mark.parametrize(
    ("read", "hint", "text"),
    [("ກຂ 1234", "LA", "ກຂ 1234"), ("pp  2a-1234", "KH", "PP 2A-1234"), ("A12345", "cn", "A12345")],
)
def test_foreign_plates_take_the_lane_country(read: str, hint: str, text: str) -> None:
    plate = normalise_plate(read, hint)
    assert plate.country == hint.upper()
    assert plate.text == text
    assert plate.kind is PlateKind.AS_READ


def test_unknown_province_code_is_not_vietnamese_format() -> None:
    plate = normalise_plate("05A-123.45", "VN")
    assert plate.kind is PlateKind.AS_READ
    assert not plate.well_formed


def test_keys_ignore_separators_and_case() -> None:
    assert normalise_plate("51c 123 45").key == normalise_plate("51C-123.45").key == "51C12345"
    assert plate_key("桂A·12345") == "桂A12345"


@pytest.mark.parametrize(
    ("read", "hint", "field"), [("  ", "VN", "plate_text"), ("51C12345", "VNM", "country_hint")]
)
def test_bad_input(read: str, hint: str, field: str) -> None:
    with pytest.raises(DomainValidationError) as caught:
        normalise_plate(read, hint)
    assert caught.value.field == field
