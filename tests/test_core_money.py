"""Amounts people type are refused, never rounded (issue 14, item 6): core.money.parse_money, the one
text-to-money door, and the callers that used to round or strip separators (registry income, the
bank's returns, payments decisions, case amounts)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from safetynet.core.errors import ValidationError
from safetynet.core.money import parse_money, to_money


@pytest.mark.parametrize("value, expected", [
    ("1200.5", Decimal("1200.50")), ("¥1200.50", Decimal("1200.50")), ("￥８８.８", Decimal("88.80")), (" 300 元", Decimal("300.00")),
    ("12.340", Decimal("12.34")), (Decimal("7"), Decimal("7.00")), (5, Decimal("5.00")), (2.5, Decimal("2.50")), ("0", Decimal("0.00")),
])
def test_plain_amounts_are_read(value, expected):
    assert parse_money(value) == expected


@pytest.mark.parametrize("value, code", [
    ("12,34", "money_separator"), ("1,234.56", "money_separator"), ("1 234", "money_separator"),
    ("12.345", "money_decimals"), (12.345, "money_decimals"), (Decimal("0.001"), "money_decimals"),
    ("1e3", "money_exponent"), ("1.5E+2", "money_exponent"), (1e20, "money_exponent"),
    ("abc", "invalid_money"), ("12..3", "invalid_money"), ("NaN", "invalid_money"), ("Infinity", "invalid_money"), (True, "invalid_money"),
    ("", "required"), (None, "required"), ("-5", "negative"), ("99999999999", "too_large"),
])
def test_what_would_be_rounded_or_guessed_is_refused_with_its_reason(value, code):
    with pytest.raises(ValidationError) as caught:
        parse_money(value, field="amount")
    assert caught.value.code == code and caught.value.field == "amount"


def test_a_declared_thousands_separator_is_read_only_when_grouped_by_three():
    assert parse_money("1,234,567.89", thousands_separator=",") == Decimal("1234567.89")
    assert parse_money("999", thousands_separator=",") == Decimal("999.00")
    for value in ("12,34", "1,23,456", ",123"):
        with pytest.raises(ValidationError):
            parse_money(value, thousands_separator=",")


def test_to_money_still_rounds_what_the_system_computed():
    assert to_money(Decimal("12.345")) == Decimal("12.35")


def test_registry_income_refuses_a_decimal_comma_instead_of_storing_1234(make_actor, village):
    from safetynet.registry import services
    from tests.conftest import TOWN
    from tests.registry_helpers import make_household

    actor = make_actor("town_worker", TOWN)
    household = make_household(actor, village.code)
    for amount, code in (("12,34", "money_separator"), ("12.345", "money_decimals"), ("1e3", "money_exponent")):
        with pytest.raises(ValidationError) as caught:
            services.set_income_items(actor=actor, household_id=household.pk,
                                      items=[{"category": "wages", "monthly_amount": amount}])
        assert caught.value.field == "items.0.monthly_amount" and caught.value.code == code
    assert not household.income_items.exists()


def test_payments_decision_amounts_are_refused_not_rounded():
    from safetynet.enrollments.decisions import amount_value

    assert amount_value("100.10") == Decimal("100.10")
    with pytest.raises(ValidationError) as caught:
        amount_value("100.105")
    assert caught.value.code == "money_decimals"


def test_public_self_check_and_standards_refuse_a_decimal_comma():
    from safetynet.programs import catalogue
    from safetynet.programs.selfcheck import _decimal

    with pytest.raises(ValidationError) as caught:
        _decimal("12,34", field="income", maximum=Decimal("1000000"))
    assert caught.value.code == "money_separator" and caught.value.field == "income"
    assert _decimal("", field="income", maximum=Decimal("10")) == Decimal("0.00")
    spec = next(s for s in catalogue.SPECS if s.type == catalogue.MONEY)
    with pytest.raises(ValidationError) as caught:
        catalogue.parse_value(spec, "1,000")
    assert caught.value.code == "money_separator"
