"""Money is Decimal with two places; the rounding rule is a parameter (POLICY.md §1: half-up to the cent).

Two doors, kept apart on purpose:
- `to_money` rounds an amount the system computed (a standard times a share) to the cent;
- `parse_money` reads an amount a person or a file gave (a form, the API, a spreadsheet) and
  refuses, never rounds: more than two decimals, a thousands separator (unless the caller
  declares one), an exponent. "12,34" is not 1234.00 and 12.345 is not 12.35.
"""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from .errors import ValidationError
from .text import normalise_text

CENT = Decimal("0.01")
MAX_MONEY = Decimal("9999999999.99")   # DECIMAL(12, 2), the registry's and the payments' columns
_PLAIN = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_EXPONENT = re.compile(r"-?([0-9]+(\.[0-9]*)?|\.[0-9]+)E[+-]?[0-9]+")
_CURRENCY = ("¥", "元")   # NFKC makes the full-width ￥ the ¥ sign


def to_money(value, rounding: str = ROUND_HALF_UP) -> Decimal:
    """A computed amount rounded to the cent (not for what people type: `parse_money`)."""
    try:
        return Decimal(str(value)).quantize(CENT, rounding=rounding)
    except (InvalidOperation, ValueError, TypeError):
        raise ValueError(f"not an amount of money: {value!r}")


def parse_money(value, *, field: str = "amount", thousands_separator: str = "", allow_negative: bool = False,
                maximum: Decimal = MAX_MONEY) -> Decimal:
    """An amount in yuan as given (text, int, Decimal, or a float from JSON) → Decimal with two
    places, or a ValidationError naming `field` with the reason: empty, not a number, more than
    two decimals, a thousands separator (allowed only when the caller declares it, e.g. ","),
    an exponent, negative (unless allowed), above `maximum`. Nothing is rounded."""
    if isinstance(value, bool) or value is None:
        text = "" if value is None else str(value)
    elif isinstance(value, Decimal):
        text = format(value, "f") if value.is_finite() else str(value)
    elif isinstance(value, (int, float)):
        text = repr(value)   # 12.345 stays 12.345, and is refused below
    else:
        text = normalise_text(value)
    shown = text[:40]
    for sign in _CURRENCY:
        text = text.removeprefix(sign).removesuffix(sign).strip()
    if not text:
        raise ValidationError(_("An amount is required."), field=field, code="required")
    if thousands_separator and _grouped(text, thousands_separator):
        text = text.replace(thousands_separator, "")
    if not _PLAIN.fullmatch(text):
        if _EXPONENT.fullmatch(text.upper()):
            raise ValidationError(_("%(value)s is written with an exponent: write the amount in full, e.g. 1000.00.")
                                  % {"value": shown}, field=field, code="money_exponent")
        if _PLAIN.fullmatch(re.sub(r"[,，'’ ]", "", text)):
            raise ValidationError(_("%(value)s has a thousands separator or a decimal comma: write the amount with digits "
                                    "and a decimal point only, e.g. 12345.67.") % {"value": shown},
                                  field=field, code="money_separator")
        raise ValidationError(_("%(value)s is not an amount of money: write digits with at most two decimals, e.g. 1200.50.")
                              % {"value": shown}, field=field, code="invalid_money")
    amount = Decimal(text)
    if amount < 0 and not allow_negative:
        raise ValidationError(_("An amount cannot be negative."), field=field, code="negative")
    if abs(amount) > maximum:
        raise ValidationError(_("%(value)s is more than %(max)s.") % {"value": shown, "max": f"{maximum:,.2f}"},
                              field=field, code="too_large")
    if amount != amount.quantize(CENT):
        raise ValidationError(_("%(value)s has more than two decimals: amounts are in yuan to the fen, and nothing is "
                                "rounded.") % {"value": shown}, field=field, code="money_decimals")
    return amount.quantize(CENT)


def _grouped(text: str, separator: str) -> bool:
    """Whether `text` groups its whole part by three with `separator` (1,234,567.89), strictly."""
    return bool(re.fullmatch(r"-?[0-9]{1,3}(" + re.escape(separator) + r"[0-9]{3})+(\.[0-9]+)?", text))


def format_yuan(value) -> str:
    """¥1,234.56 as the UI shows it."""
    if value is None:
        return ""
    return f"¥{to_money(value):,.2f}"


def money_text(value) -> str | None:
    """An amount as the API answers it: text with two decimals ("1234.50"), None for none."""
    return None if value is None else f"{value:.2f}"
