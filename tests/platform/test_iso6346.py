"""ISO 6346 container numbers: check digit, validation and OCR corrections."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.platform import iso6346

# Letter values as printed in ISO 6346 (A=10, multiples of 11 skipped), typed out
# independently of the module's computed table.
STANDARD_LETTER_VALUES = dict(
    zip(
        string.ascii_uppercase,
        [10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 34,
         35, 36, 37, 38],
        strict=True,
    )
)  # fmt: skip


def reference_check_digit(prefix: str) -> int:
    total = 0
    for position, char in enumerate(prefix):
        value = int(char) if char.isdigit() else STANDARD_LETTER_VALUES[char]
        total += value * 2**position
    remainder = total % 11
    return 0 if remainder == 10 else remainder


# Hand-checked: CSQU3054383 is the standard's example (sum 6185, 6185 mod 11 = 3);
# MSKU9070323: sum 2808, mod 11 = 3; MSKU0000080: sum 4520, mod 11 = 10, so check digit 0.
VALID = ["CSQU3054383", "MSKU9070323", "MSKU0000080"]


@pytest.mark.parametrize("number", VALID)
def test_known_valid_numbers(number: str) -> None:
    parsed = iso6346.validate(number)
    assert parsed.text == number
    assert iso6346.check_digit(number[:10]) == int(number[10])
    assert iso6346.is_valid(number)


def test_letter_values_follow_the_standard() -> None:
    for number in VALID:
        assert reference_check_digit(number[:10]) == int(number[10])


def test_remainder_ten_gives_check_digit_zero() -> None:
    assert iso6346.check_digit("MSKU000008") == 0
    assert not iso6346.is_valid("MSKU0000081")


def test_parts_and_formatting() -> None:
    number = iso6346.validate("CSQU3054383")
    assert (number.owner_code, number.category, number.serial, number.check_digit) == (
        "CSQ",
        "U",
        "305438",
        3,
    )
    assert number.formatted == "CSQU 305438 3"
    assert str(number) == "CSQU3054383"


@pytest.mark.parametrize(
    "text", ["csqu3054383", "CSQU 305438 3", " csqu-305438-3 ", "CSQU\t305438\u20133"]
)
def test_lower_case_spaces_and_dashes_are_normalised(text: str) -> None:
    assert iso6346.validate(text).text == "CSQU3054383"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("CSQU3054384", "check digit is 4, but the owner code, category and serial give 3"),
        ("CSQU305438", "expected 11 characters"),
        ("CSQU30543833", "expected 11 characters"),
        ("", "expected 11 characters"),
        ("CS1U3054383", "owner code"),
        ("CSQX3054383", "equipment category"),
        ("CSQU30543A3", "serial number"),
        ("CSQU305438X", "check digit 'X' must be a digit"),
        ("ÇSQU3054383", "owner code"),
    ],
)
def test_invalid_numbers_say_why(text: str, fragment: str) -> None:
    with pytest.raises(iso6346.InvalidContainerNumber) as caught:
        iso6346.validate(text)
    assert fragment in caught.value.description
    assert isinstance(caught.value, ValueError)
    assert caught.value.text == text
    assert not iso6346.is_valid(text)


def test_check_digit_rejects_a_bad_prefix() -> None:
    with pytest.raises(iso6346.InvalidContainerNumber):
        iso6346.check_digit("CSQU30543")


@pytest.mark.parametrize("category", ["U", "J", "Z", "R"])
def test_equipment_categories(category: str) -> None:
    number = iso6346.make("ABC", category, "123456")
    assert number.category == category
    assert iso6346.is_valid(number.text)


owners = st.text(alphabet=string.ascii_uppercase, min_size=3, max_size=3)
categories = st.sampled_from(sorted(iso6346.EQUIPMENT_CATEGORIES))
serials = st.text(alphabet=string.digits, min_size=6, max_size=6)


@given(owners, categories, serials)
def test_make_agrees_with_reference_and_validates(owner: str, category: str, serial: str) -> None:
    number = iso6346.make(owner, category, serial)
    assert number.check_digit == reference_check_digit(owner + category + serial)
    assert iso6346.validate(number.formatted) == number
    wrong = (number.check_digit + 1) % 10
    assert not iso6346.is_valid(number.text[:10] + str(wrong))


# --- corrections -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("read", "expected_first"),
    [
        ("CSQU3O54383", "CSQU3054383"),  # letter O in the serial
        ("C5QU3O54383", "CSQU3054383"),  # digit 5 in the owner code and O in the serial
        ("csqu 3o5438-3", "CSQU3054383"),  # lower case and separators
        ("CSQV3054383", "CSQU3054383"),  # V read for the category U
        ("CSQU3054388", "CSQU3054383"),  # check digit 3 read as 8
        ("MSKU9O7O323", "MSKU9070323"),  # two letter-O misreads
        ("M5KU9070323", "MSKU9070323"),
        ("MSKU000008O", "MSKU0000080"),
    ],
)
def test_correctable_reads(read: str, expected_first: str) -> None:
    proposals = iso6346.propose_corrections(read)
    assert proposals[0] == expected_first
    assert all(iso6346.is_valid(proposal) for proposal in proposals)


def test_forced_corrections_are_unique() -> None:
    assert iso6346.propose_corrections("CSQU3O54383") == ["CSQU3054383"]
    assert iso6346.propose_corrections("C5QU3O54383") == ["CSQU3054383"]


def _substitutions(read: str, candidate: str) -> int:
    return sum(1 for a, b in zip(iso6346.normalise(read), candidate, strict=True) if a != b)


def test_proposals_fewest_substitutions_first_then_alphabetical() -> None:
    read = "CSQU3054388"
    proposals = iso6346.propose_corrections(read)
    assert len(proposals) > 1
    keys = [(_substitutions(read, p), p) for p in proposals]
    assert keys == sorted(keys)
    assert len(set(proposals)) == len(proposals)
    assert iso6346.propose_corrections(read) == proposals


def test_substitution_limit() -> None:
    assert iso6346.propose_corrections("CSQU3054388", max_substitutions=0) == []
    one = iso6346.propose_corrections("CSQU3054388", max_substitutions=1)
    assert one == ["CSQU3054383"]
    # two forced fixes do not fit in one substitution
    assert iso6346.propose_corrections("C5QU3O54383", max_substitutions=1) == []
    with pytest.raises(ValueError, match="max_substitutions"):
        iso6346.propose_corrections("CSQU3054388", max_substitutions=-1)


def test_valid_reads_have_nothing_to_correct() -> None:
    assert iso6346.propose_corrections("CSQU3054383") == []


@pytest.mark.parametrize(
    "read",
    [
        "CSQU305438",  # too short: no insertions are guessed
        "CSQU30543#3",  # a character with no OCR confusion in a digit position
        "CSQX3054383",  # X is no category and is not confused with one
        "HHHU2222229",  # wrong check digit, nothing confusable but the 2s (letters only)
    ],
)
def test_uncorrectable_reads(read: str) -> None:
    assert not iso6346.is_valid(read)
    assert iso6346.propose_corrections(read) == []


@given(owners, categories, serials, st.integers(min_value=0, max_value=10))
def test_a_digit_misread_as_its_letter_is_recovered(
    owner: str, category: str, serial: str, position: int
) -> None:
    number = iso6346.make(owner, category, serial).text
    to_letter = {"0": "O", "1": "I", "2": "Z", "4": "A", "5": "S", "6": "G", "7": "T", "8": "B"}
    to_digit = {letter: digit for digit, letter in to_letter.items()}
    char = number[position]
    swapped = to_letter.get(char) if position >= 4 else to_digit.get(char)
    if swapped is None:
        return
    read = number[:position] + swapped + number[position + 1 :]
    assert number in iso6346.propose_corrections(read)
