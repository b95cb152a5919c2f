"""Resident ID validation (POLICY.md §8): every valid number accepted, every single-character change rejected."""
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safetynet.core.errors import ValidationError
from safetynet.core.idnumbers import check_character, convert_legacy, make_id_number, parse_id_number

AREA_PREFIXES = ["130123", "110101", "440305", "510104", "650102", "130102"]
ALPHABET = "0123456789X"

valid_ids = st.builds(
    make_id_number,
    st.sampled_from(AREA_PREFIXES),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2024, 12, 31)),
    st.integers(min_value=0, max_value=99),
    st.sampled_from(["male", "female"]),
)


@given(valid_ids)
def test_every_valid_number_is_accepted_with_its_birth_date_and_sex(number):
    parsed = parse_id_number(number)
    assert parsed.number == number
    assert parsed.birth_date == dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    assert parsed.sex == ("male" if int(number[16]) % 2 else "female")


@settings(max_examples=300)
@given(valid_ids, st.integers(min_value=0, max_value=17), st.sampled_from(ALPHABET))
def test_every_single_character_change_is_rejected(number, position, replacement):
    if number[position] == replacement:
        replacement = ALPHABET[(ALPHABET.index(replacement) + 1) % len(ALPHABET)]
    changed = number[:position] + replacement + number[position + 1:]
    with pytest.raises(ValidationError):
        parse_id_number(changed)


@given(valid_ids)
def test_sex_digit_matches_the_requested_sex(number):
    assert parse_id_number(number).sex in {"male", "female"}


def test_make_id_number_respects_sex():
    assert parse_id_number(make_id_number("130123", dt.date(1950, 5, 17), 3, "male")).sex == "male"
    assert parse_id_number(make_id_number("130123", dt.date(1950, 5, 17), 3, "female")).sex == "female"


def test_published_example_check_character():
    # GB 11643-1999 worked example: 11010519491231002 -> X
    assert check_character("11010519491231002") == "X"
    assert parse_id_number("11010519491231002x").number == "11010519491231002X"


def test_legacy_15_digit_numbers_are_converted():
    legacy = "130123500101123"  # 1950-01-01, sequence 123 (odd: male)
    converted = convert_legacy(legacy)
    assert len(converted) == 18 and converted.startswith("13012319500101123")
    parsed = parse_id_number(legacy)
    assert parsed.number == converted
    assert parsed.birth_date == dt.date(1950, 1, 1)
    assert parsed.sex == "male"


@pytest.mark.parametrize("value, fragment", [
    ("", "required"),
    ("1301231950010112", "16"),           # 16 digits
    ("13012319500101123X1", "19"),        # 19 characters
    ("13012319501301123X", "not a real date"),
    ("1301232099010112" + "3X", "future"),
    ("99012319500101123X", "province"),
    ("13012A19500101123X", "17 digits"),
])
def test_bad_numbers_get_a_specific_message(value, fragment):
    with pytest.raises(ValidationError) as info:
        parse_id_number(value)
    assert fragment in info.value.message
    assert info.value.field == "id_number"


def test_wrong_check_digit_is_named():
    good = make_id_number("130123", dt.date(1980, 2, 29), 5, "female")
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(ValidationError) as info:
        parse_id_number(bad)
    assert "check digit" in info.value.message


def test_future_birth_date_with_valid_check_digit():
    body = "13012320990101123"
    with pytest.raises(ValidationError) as info:
        parse_id_number(body + check_character(body), today=dt.date(2026, 11, 28))
    assert "future" in info.value.message
