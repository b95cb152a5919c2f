"""Arbitrary Unicode into every parser of what people type (issue 14, item 16): each returns a valid
value or raises the project's own ValidationError, never anything else (no ValueError, IndexError,
KeyError, InvalidOperation turning into a 500 or a crashed import).

Parsers: ID numbers (core.idnumbers), names and text (core.text, and registry.services.validate_member
which the pages, the API and the roster import share), dates and months (core.dates, the one date
parser for new code; payments.services.parse_month and programs.selfcheck.parse_month are older
month parsers kept by their apps and fed here too), money (core.money.parse_money) and the
spreadsheet reader (core.tabular.read_table) on arbitrary bytes."""
from __future__ import annotations

import datetime as dt
import io
import unicodedata
from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from safetynet.core.dates import parse_date, parse_month
from safetynet.core.errors import ValidationError
from safetynet.core.idnumbers import check_character, make_id_number, parse_id_number
from safetynet.core.money import parse_money
from safetynet.core.tabular import read_table
from safetynet.core.text import ZERO_WIDTH, clean_text, control_character, normalise_text

EXAMPLES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# What offices actually paste: digits of every width and height, X, spaces of every kind, zero-width
# characters, control characters, combining marks, separators, currency signs, CJK date words.
TRICKY = ("0123456789Xx０１２３４５６７８９Ｘｘ⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂\u0661\u0662\u096a\u00bd"
          " \u00a0\u3000\t\n\r\x00\x07\x1b\x7f\x85\u2028" + ZERO_WIDTH + "\u202e\u0301\u0308\u00a8"
          "-./,，:'eE+¥￥元年月日张三李\U00020000")
tricky_text = st.text(alphabet=st.sampled_from(TRICKY), max_size=30)
any_text = st.text(max_size=40)   # every code point but lone surrogates: controls, full-width, combining marks
texts = st.one_of(any_text, tricky_text)

valid_ids = st.builds(make_id_number, st.sampled_from(["130123", "110101", "440305", "650102"]),
                      st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2024, 12, 31)),
                      st.integers(min_value=0, max_value=99), st.sampled_from(["male", "female"]))


@st.composite
def mangled_ids(draw):
    """A valid number with characters inserted, replaced or made full-width or superscript."""
    number = list(draw(valid_ids))
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        position = draw(st.integers(min_value=0, max_value=len(number)))
        char = draw(st.sampled_from(TRICKY))
        if draw(st.booleans()) and position < len(number):
            number[position] = char
        else:
            number.insert(position, char)
    return "".join(number)


# --- ID numbers --------------------------------------------------------------------------

@EXAMPLES
@given(st.one_of(texts, mangled_ids(), valid_ids, st.integers(), st.floats(), st.none()))
@example("1301231970010101²0")
@example("1.30123199001011e+17")
@example(130123197001010130)
@example(float("nan"))
def test_id_parser_returns_a_valid_number_or_its_own_error(value):
    try:
        resident = parse_id_number(value, today=dt.date(2026, 1, 1))
    except ValidationError as error:
        assert error.field == "id_number" and error.message
        return
    number = resident.number
    assert len(number) == 18 and number.isascii() and number[:17].isdigit() and number[17] in "0123456789X"
    assert check_character(number[:17]) == number[17]
    assert parse_id_number(number, today=dt.date(2026, 1, 1)) == resident      # round trip


@EXAMPLES
@given(valid_ids, st.sampled_from(["full", "spaced", "zero-width", "lower"]))
def test_every_harmless_spelling_of_a_valid_number_reads_as_that_number(number, spelling):
    written = {"full": number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")),
               "spaced": f" {number[:6]} {number[6:14]}\u3000{number[14:]} ",
               "zero-width": "\u200b".join(number), "lower": number.lower()}[spelling]
    assert parse_id_number(written).number == number


# --- names and text ----------------------------------------------------------------------

@EXAMPLES
@given(texts)
@example("张\x00三")
@example("e\u200d\u0301")
def test_text_normaliser_is_stable_and_the_validator_refuses_only_with_its_error(value):
    normal = normalise_text(value)
    assert normalise_text(normal) == normal                    # a search term finds what was stored
    assert normal == normal.strip() and "  " not in normal
    assert not any(c in normal for c in ZERO_WIDTH)
    try:
        cleaned = clean_text(value, field="name", max_length=50)
    except ValidationError as error:
        assert error.field == "name"
        return
    assert cleaned == normal and len(cleaned) <= 50 and control_character(cleaned) is None
    assert unicodedata.is_normalized("NFKC", cleaned)


@EXAMPLES
@given(texts)
def test_member_names_from_pages_api_and_roster_are_valid_or_refused(value):
    from safetynet.registry.services import validate_member

    number = make_id_number("130123", dt.date(1970, 1, 1), 1, "male")
    try:
        facts = validate_member(name=value, id_number=number, relation_to_head="head")
    except ValidationError as error:
        assert error.field == "name"
        return
    assert facts["name"] and facts["name"] == normalise_text(value) and len(facts["name"]) <= 50


# --- dates and months --------------------------------------------------------------------

@EXAMPLES
@given(st.one_of(texts, st.dates(), st.dates().map(lambda d: f"{d.year}年{d.month}月{d.day}日"),
                 st.dates().map(lambda d: d.strftime("%Y%m%d"))))
@example("0000-01-01")
@example("2024-02-30")
@example("２０２４－０３－０１")
def test_date_parser_returns_a_date_or_its_own_error(value):
    try:
        day = parse_date(value, field="birth_date")
    except ValidationError as error:
        assert error.field == "birth_date"
        return
    assert day is None or isinstance(day, dt.date)
    if isinstance(value, dt.date):
        assert day == value


def _older_month_parsers():
    from safetynet.payroll.services import parse_month as payments_month
    from safetynet.programs.selfcheck import parse_month as selfcheck_month

    return [parse_month, payments_month, selfcheck_month]


@EXAMPLES
@given(st.one_of(texts, st.dates(), st.dates().map(lambda d: d.strftime("%Y-%m"))))
@example("0000-01")
@example("2025-13")
@example("２０２５-１０")
def test_month_parsers_return_a_first_day_or_their_own_error(value):
    for parser in _older_month_parsers():
        try:
            month = parser(value)
        except ValidationError:
            continue
        assert month is None or (isinstance(month, dt.date) and month.day == 1), parser


# --- money -------------------------------------------------------------------------------

@EXAMPLES
@given(st.one_of(texts, st.decimals(), st.floats(), st.integers(),
                 st.decimals(min_value=0, max_value=10**9, places=2).map(str),
                 st.decimals(min_value=0, max_value=10**9, places=3).map(str)))
@example("12,34")
@example("12.345")
@example("1e3")
@example("Infinity")
def test_money_parser_returns_two_places_or_its_own_error(value):
    try:
        amount = parse_money(value, field="amount")
    except ValidationError as error:
        assert error.field == "amount" and error.code
        return
    assert isinstance(amount, Decimal) and amount.is_finite() and amount >= 0
    assert amount.as_tuple().exponent == -2
    if isinstance(value, (str, Decimal)) and not isinstance(value, bool):
        # nothing rounded: the amount read is the amount written
        assert amount == Decimal(normalise_text(value).strip("¥元 ")) if isinstance(value, str) else amount == value


# --- spreadsheets ------------------------------------------------------------------------

@EXAMPLES
@given(st.one_of(st.binary(max_size=300), texts.map(lambda t: ("a,b\n" + t).encode("utf-8"))),
       st.sampled_from(["f.csv", "f.xlsx", "f.txt"]))
def test_the_spreadsheet_reader_gives_rows_or_its_own_error(data, filename):
    try:
        table = read_table(io.BytesIO(data), filename=filename, required=[])
    except ValidationError as error:
        assert error.field == "file"
        return
    assert all(isinstance(number, int) and isinstance(values, dict) for number, values in table.rows)
