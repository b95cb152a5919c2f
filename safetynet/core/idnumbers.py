"""Resident identity numbers (GB 11643-1999, POLICY.md §8).

python-stdnum's `cn.ric` does the heavy lifting but raises KeyError for some area codes and
checks the area code against the birth year; this module is the one wrapper the project uses,
so every caller gets a `ValidationError` naming what is wrong.

What people type or paste is normalised first (`normalise_id_number`: NFKC, so full-width and
superscript digits become 0-9; spaces and zero-width characters removed; x made X); anything
that is still not ASCII digits with an optional final X is refused as such. A number that went
through an Excel number cell has lost its last digits (Excel keeps 15): it is refused with that
reason, not as a wrong check digit.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from stdnum.cn import ric

from .errors import ValidationError
from .tabular import NumberCell
from .text import ZERO_WIDTH

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
_REMOVED = {ord(c): None for c in ZERO_WIDTH}
_SCIENTIFIC = re.compile(r"[0-9]+(\.[0-9]*)?E[+-]?[0-9]+|[0-9]+\.[0-9]+")
_ASCII_ID = re.compile(r"[0-9]{17}[0-9X]")


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: dt.date
    sex: str  # "male" | "female"
    area_prefix: str


def check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for the first 17 digits (POLICY.md §8). stdnum's
    `calc_check_digit` drops the last character of what it is given, hence the padding."""
    return ric.calc_check_digit(first17 + "0")


def convert_legacy(number15: str) -> str:
    """A 15-digit number becomes 18: '19' before the 2-digit year, then the check character."""
    first17 = number15[:6] + "19" + number15[6:]
    return first17 + check_character(first17)


def number_cell_error(value, field: str) -> ValidationError:
    return ValidationError(
        _("The ID number %(value)s was kept as a number (the cell is a number): Excel keeps only 15 digits, so its last "
          "digits are lost. Format the column as text and type the numbers again.") % {"value": value},
        field=field, code="id_number_as_number")


def normalise_id_number(value, *, field: str = "id_number") -> str:
    """The typed or pasted number in one form: NFKC (full-width and superscript digits become
    0-9), every space and zero-width character removed, upper case. Not validated: see
    `parse_id_number`. A spreadsheet number cell (`tabular.NumberCell`, or an int or float) is
    refused unless it is a whole 15-digit number, the only ID a number cell keeps whole."""
    if isinstance(value, NumberCell):
        value = value.number
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        try:
            whole = int(value) == value
        except (ValueError, OverflowError, ArithmeticError):  # NaN, infinity
            whole = False
        if whole and 10 ** 14 <= value < 10 ** 15:
            return str(int(value))
        raise number_cell_error(value, field)
    text = unicodedata.normalize("NFKC", ("" if value is None else str(value)).translate(_REMOVED))
    text = "".join(text.split()).upper()
    if _SCIENTIFIC.fullmatch(text):
        raise number_cell_error(text, field)
    return text


def parse_id_number(value, *, field: str = "id_number", today: dt.date | None = None) -> ResidentId:
    """Validate and normalise an ID number (18 digits, or 15-digit legacy converted to 18)."""
    number = normalise_id_number(value, field=field)
    if not number:
        raise ValidationError(_("The ID number is required."), field=field)
    bad = next((c for c in number if c not in "0123456789X"), None)
    if bad is not None:
        shown = bad if bad.isprintable() and not bad.isspace() else f"U+{ord(bad):04X}"
        raise ValidationError(
            _("The ID number contains %(char)s: an ID number is 17 digits (0-9) followed by a digit or X.") % {"char": shown},
            field=field, code="id_number_characters")
    if len(number) == 15 and number.isdigit():  # ASCII: checked above
        number = convert_legacy(number)
    if len(number) != 18:
        raise ValidationError(
            _("An ID number has 18 characters (or 15 for an old one); this one has %(n)d.") % {"n": len(number)},
            field=field,
        )
    if not _ASCII_ID.fullmatch(number):
        raise ValidationError(_("An ID number is 17 digits followed by a digit or X."), field=field)
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(_("The birth date inside the ID number (%(d)s) is not a real date.") % {"d": number[6:14]}, field=field)
    today = today or dt.date.today()
    if birth > today:
        raise ValidationError(_("The birth date inside the ID number (%(d)s) is in the future.") % {"d": birth.isoformat()}, field=field)
    if birth.year < 1890:
        raise ValidationError(_("The birth date inside the ID number (%(d)s) is too early.") % {"d": birth.isoformat()}, field=field)
    if number[:2] not in _PROVINCE_PREFIXES:
        raise ValidationError(_("The ID number starts with %(p)s, which is not a province code.") % {"p": number[:2]}, field=field)
    if check_character(number[:17]) != number[17]:
        raise ValidationError(_("The check digit of the ID number is wrong: please re-read the number."), field=field)
    # Not `ric.validate`: everything it checks is checked above, and it also rejects area codes
    # its own table does not know for that birth year (and raises KeyError on some), while
    # area codes are redrawn over time and our division table is the authority.
    sex = "male" if int(number[16]) % 2 == 1 else "female"
    return ResidentId(number=number, birth_date=birth, sex=sex, area_prefix=number[:6])


def is_valid_id_number(value: str) -> bool:
    try:
        parse_id_number(value)
    except ValidationError:
        return False
    return True


def make_id_number(area_prefix: str, birth_date: dt.date, sequence: int, sex: str) -> str:
    """Build a valid number (demo data, tests): sequence 0-99 plus a sex digit."""
    sex_digit = (sequence * 2 + (1 if sex == "male" else 0)) % 10
    if (sex_digit % 2 == 1) != (sex == "male"):
        sex_digit = (sex_digit + 1) % 10
    body = f"{area_prefix}{birth_date:%Y%m%d}{sequence % 100:02d}{sex_digit}"
    return body + check_character(body)


_PROVINCE_PREFIXES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
    "71", "81", "82", "83",
}
