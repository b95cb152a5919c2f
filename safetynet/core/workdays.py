"""Working days: the clock every time limit runs on (DESIGN.md §4 Time limits).

A day is a working day when it is Monday–Friday, unless the calendar table says otherwise
(official holidays off, make-up days on). The table is seeded from the chinese-calendar package
by `seed_calendar` and edited by hand for years the package does not know.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.db import transaction

from .models import CalendarDay


@lru_cache(maxsize=1)
def _exceptions() -> dict[dt.date, bool]:
    return dict(CalendarDay.objects.values_list("date", "is_working_day"))


def clear_cache() -> None:
    _exceptions.cache_clear()
    add_working_days.cache_clear()


def is_working_day(day: dt.date) -> bool:
    exceptions = _exceptions()
    if day in exceptions:
        return exceptions[day]
    return day.weekday() < 5


@lru_cache(maxsize=8192)
def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days after `start` (start itself does not count, as in
    "within 3 working days of acceptance"). Negative counts go backwards; 0 returns the next
    working day on or after `start`. Remembered (with the calendar, until `clear_cache`): every
    case step recomputes its clocks, mostly from the same few days."""
    day = start
    if days == 0:
        while not is_working_day(day):
            day += dt.timedelta(days=1)
        return day
    step = dt.timedelta(days=1 if days > 0 else -1)
    remaining = abs(days)
    while remaining:
        day += step
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def package_years() -> range:
    import chinese_calendar

    years = [d.year for d in chinese_calendar.holidays] + [d.year for d in chinese_calendar.workdays]
    return range(min(years), max(years) + 1)


def package_calendar_rows(model=CalendarDay) -> dict:
    """The package's exceptions to the Monday-Friday week, as unsaved `model` rows by date
    (`model` is a parameter so the seeding migration can pass its historical model)."""
    import chinese_calendar

    rows = {}
    for day, name in chinese_calendar.holidays.items():
        if day.weekday() < 5:
            rows[day] = model(date=day, is_working_day=False, name=str(name or ""), source="package")
    for day, name in chinese_calendar.workdays.items():
        if day.weekday() >= 5:
            rows[day] = model(date=day, is_working_day=True, name=str(name or ""), source="package")
    return rows


def seed_calendar() -> int:
    """Reload the package's holidays and make-up days; never overwrite a day entered by hand."""
    rows = package_calendar_rows()
    with transaction.atomic():
        manual = set(CalendarDay.objects.filter(source="manual").values_list("date", flat=True))
        CalendarDay.objects.filter(source="package").delete()
        CalendarDay.objects.bulk_create([r for d, r in rows.items() if d not in manual], batch_size=500)
    clear_cache()
    return len(rows)
