"""A long list a page at a time, one way for every page and every API list.

- `numbered_page`: the pages' "page N of M" lists (cases, payroll, changes, verification runs and
  proposals, standards history, import reports). The page number is read from what the query
  string gave: anything that is not a whole number is page 1, below 1 is page 1, past the end is
  the last page; an empty list still has one page.
- `api_page`: the API's `offset`/`limit` lists, answered as
  `{"count", "limit", "offset", "items"}` (the bounds of offset and limit are the query schema's).

The area tree's keyset pages (`areas.selectors.page_after`) and the household search's
"is there a next page" (`registry.selectors.household_page`, no COUNT over the match) are other
ways on purpose: their lists are too long to count or to skip through.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable


def page_number(value) -> int:
    """The page asked for: a whole number from 1; anything else is page 1."""
    try:
        return max(1, int(value if value not in (None, "") else 1))
    except (TypeError, ValueError):
        return 1


@dataclass
class NumberedPage:
    """One page of a list: its rows, its number, how many pages and rows in all. Iterating it
    gives the rows; the `has_*` and `*_page_number` names are those of Django's Page, so a
    template reads either."""

    rows: list
    number: int
    pages: int
    total: int

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def has_previous(self) -> bool:
        return self.number > 1

    def has_next(self) -> bool:
        return self.number < self.pages

    def has_other_pages(self) -> bool:
        return self.pages > 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1


def numbered_page(rows, page, page_size: int, *, total: int | None = None) -> NumberedPage:
    """Page `page` (as the query string gave it) of `rows` (a queryset, sliced in the database,
    or a list), `page_size` rows a page. `total` when the caller has counted already."""
    if total is None:
        total = len(rows) if isinstance(rows, (list, tuple)) else rows.count()
    pages = max(1, math.ceil(total / page_size))
    number = min(page_number(page), pages)
    return NumberedPage(rows=list(rows[(number - 1) * page_size: number * page_size]), number=number, pages=pages,
                        total=total)


def api_page(rows, *, offset: int, limit: int, item: Callable | None = None, items: Callable | None = None) -> dict:
    """The API's answer for a list: how many `rows` in all, and `limit` of them from `offset`,
    each as `item` shapes it (or all of them at once as `items` shapes the list, for an answer
    that reads something more for the page's rows)."""
    count = rows.count()
    page = list(rows[offset:offset + limit])
    return {"count": count, "limit": limit, "offset": offset,
            "items": items(page) if items is not None else [item(row) for row in page]}
