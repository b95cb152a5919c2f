"""How a budget line stands, as pure functions (no database): the share spent, whether it warns
(spending reached the `budget_warning_ratio` parameter of the line's area) or is used up, and how
many months the rest lasts at the rate spent so far this year. budgets.py reads them for the
charge's warning, the spending page, the API and the county's overview."""
from __future__ import annotations

from decimal import Decimal

OK, WARNED, EXHAUSTED = "ok", "warned", "exhausted"


def share_spent(*, budget: Decimal, spent: Decimal) -> Decimal | None:
    """spent / budget to four places (None for a line of zero)."""
    if budget <= 0:
        return None
    return (spent / budget).quantize(Decimal("0.0001"))


def state_of(*, budget: Decimal, spent: Decimal, warning_ratio: Decimal) -> str:
    """`exhausted` when nothing is left, `warned` from the warning share on, `ok` before."""
    if spent >= budget:
        return EXHAUSTED
    if spent >= budget * warning_ratio:
        return WARNED
    return OK


def months_left(*, budget: Decimal, spent: Decimal, months_elapsed: int) -> int | None:
    """Whole months the rest of the line lasts at the monthly rate so far (spent / months
    elapsed this year): 0 when nothing is left, None when nothing was spent yet (no rate)."""
    if spent >= budget:
        return 0
    if spent <= 0 or months_elapsed <= 0:
        return None
    # (budget − spent) / (spent / months), without rounding the rate
    return int(((budget - spent) * months_elapsed) // spent)


def months_elapsed(*, year: int, month: int, as_of_year: int) -> int:
    """Months of `year` counted for the rate: up to `month` of `as_of_year` (all twelve for a past
    year, none for a future one)."""
    if as_of_year > year:
        return 12
    if as_of_year < year:
        return 0
    return month
