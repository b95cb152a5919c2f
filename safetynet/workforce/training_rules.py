"""How many training hours a person owes, and whether he is behind (issue 19 part 1): pure
functions, facts in, figures out, no database.

The year's requirement is the `training_hours_<employment>` parameter (WORKFORCE) of the person's
area. Two fair readings follow from it, each by whole months:
- a person who joins during the year owes the share of the year he is on the staff (joined in
  October: 3/12 of the year's hours), so a newcomer is not "behind" for months before he came;
- during the year, what is due by a day is the share of the year gone by the end of that day's
  month (in June, 6/12), so "behind" means behind the pace the year's requirement sets, not
  "not yet finished" (which everyone is until December).
A past year is counted through 31 December; of a coming year nothing is due yet. Hours are Decimal with one decimal; a due figure is
rounded half up to the tenth of an hour (a computed figure, never what anyone typed).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

TENTH = Decimal("0.1")


def reference_day(year: int, on: dt.date) -> dt.date:
    """The last day counted for `year` seen on `on`: `on` itself in the current (or a coming)
    year, 31 December for a past one. Of a coming year nothing is due yet (`months_counted`: 0)."""
    return min(on, dt.date(year, 12, 31))


def months_counted(year: int, joined_on: dt.date | None, through: dt.date) -> int:
    """Whole months of `year` from the month the person joined (January if before, or not known)
    through the month of `through`; 0 when he joined after."""
    if through.year < year:
        return 0
    last = through.month if through.year == year else 12
    first = 1
    if joined_on is not None and joined_on.year == year:
        first = joined_on.month
    elif joined_on is not None and joined_on.year > year:
        return 0
    return max(0, last - first + 1)


def hours_due(required_per_year: int | Decimal, year: int, joined_on: dt.date | None, through: dt.date) -> Decimal:
    """The hours owed by the end of `through`'s month: the year's requirement × months counted / 12."""
    months = months_counted(year, joined_on, through)
    return (Decimal(required_per_year) * months / 12).quantize(TENTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Standing:
    required_year: Decimal      # owed over the whole year (pro rata from the month joined)
    due: Decimal                # owed by the reference day
    done: Decimal               # credited by sessions held in the year
    behind: bool
    short: Decimal              # hours missing against `due` (0 when not behind)


def standing_of(required_per_year: int | Decimal, done: Decimal, year: int, joined_on: dt.date | None,
                on: dt.date) -> Standing:
    """A person's standing for `year` as seen on `on`."""
    through = reference_day(year, on)
    required_year = hours_due(required_per_year, year, joined_on, dt.date(year, 12, 31))
    due = hours_due(required_per_year, year, joined_on, through)
    done = Decimal(done).quantize(TENTH)
    short = max(Decimal("0.0"), due - done)
    return Standing(required_year=required_year, due=due, done=done, behind=done < due, short=short)
