"""Dates and months as offices write them, read one way.

A spreadsheet or a form gives 2024-03-01, 2024/3/1, 2024.3.1, 20240301, 2024年3月1日 or a cell
Excel already read as a date; full-width digits come from Chinese input methods. `parse_date` and
`parse_month` read them all (after `core.text.normalise_text`) and refuse anything else with a
ValidationError naming the field, never a bare ValueError. Every date or month a person or a
file gives is read here (registry, cases, payments, programs, the department import command); a
caller keeps its own words for a refusal with `message` and `code`.
"""
from __future__ import annotations

import datetime as dt
import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .errors import ValidationError
from .text import normalise_text

_DATE = re.compile(r"([0-9]{4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?|([0-9]{4})([0-9]{2})([0-9]{2})")
_MONTH = re.compile(r"([0-9]{4})[-/.年]([0-9]{1,2})月?|([0-9]{4})([0-9]{2})")
# The words for a date or month that cannot be read, unless the caller gives its own.
_DATE_MESSAGE = gettext_noop("%(value)s is not a date (YYYY-MM-DD).")
_MONTH_MESSAGE = gettext_noop("Write the month as YYYY-MM, e.g. 2025-10.")


def parse_date(value, *, field: str = "date", required: bool = False, message: str | None = None,
               code: str = "invalid_date") -> dt.date | None:
    """A date from a date, a datetime or text; None for an empty value (the caller decides
    whether one is required), or with `required` a ValidationError (code "invalid"). A caller
    that has long answered with its own words gives `message` (it may name "%(value)s") and
    `code`; the reading is the same for all."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = "" if value is None else normalise_text(value)
    if not text:
        if required:
            raise ValidationError(_refusal(message, _DATE_MESSAGE, value), field=field)
        return None
    match = _DATE.fullmatch(text.replace(" ", ""))
    try:
        if match is None:
            raise ValueError
        year, month, day = (int(g) for g in (match.groups()[:3] if match.group(1) else match.groups()[3:]))
        return dt.date(year, month, day)
    except ValueError:
        raise ValidationError(_refusal(message, _DATE_MESSAGE, text[:40]), field=field, code=code)


def parse_month(value, *, field: str = "month", required: bool = False, message: str | None = None,
                code: str = "invalid_date") -> dt.date | None:
    """The first day of a month from YYYY-MM (YYYY/M, YYYY年M月, YYYYMM) or a full date; empty as
    in `parse_date` (None, or with `required` a ValidationError with code "invalid")."""
    if isinstance(value, dt.date):
        return (value.date() if isinstance(value, dt.datetime) else value).replace(day=1)
    text = "" if value is None else normalise_text(value).replace(" ", "")
    if not text:
        if required:
            raise ValidationError(_refusal(message, _MONTH_MESSAGE, value), field=field)
        return None
    match = _MONTH.fullmatch(text)
    try:
        if match is None:
            return parse_date(text, field=field).replace(day=1)
        year, month = (int(g) for g in (match.groups()[:2] if match.group(1) else match.groups()[2:]))
        return dt.date(year, month, 1)
    except (ValueError, ValidationError):
        raise ValidationError(_refusal(message, _MONTH_MESSAGE, text[:40]), field=field, code=code)


def _refusal(message: str | None, default: str, value) -> str:
    text = str(message) if message is not None else _(default)
    return text % {"value": "" if value is None else value} if "%(value)s" in text else text
