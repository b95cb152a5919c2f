"""Months as the payroll counts them: a month is its first day (`dt.date(2025, 10, 1)`)."""
from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from safetynet.core.dates import parse_month as core_parse_month
from safetynet.core.errors import ValidationError


def parse_month(value) -> dt.date:
    """'YYYY-MM' (or a date) → the first day of that month (core.dates, which refuses year 0
    and the like with a ValidationError instead of a ValueError)."""
    month = core_parse_month(value, field="month")
    if month is None:
        raise ValidationError(_("Write the month as YYYY-MM, e.g. 2025-10."), field="month")
    return month


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def shift_month(month: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after (or before, when negative) `month`'s."""
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def next_month(day: dt.date) -> dt.date:
    return shift_month(month_of(day), 1)


def months_between(first: dt.date, until: dt.date) -> int:
    """How many months from `first` up to (not including) `until`."""
    return (until.year - first.year) * 12 + until.month - first.month


def month_text(month: dt.date | None) -> str:
    return month.strftime("%Y-%m") if month else ""
