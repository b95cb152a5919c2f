"""Who should take a piece of open work: the capacity rule (issue 19 part 2). Pure functions, no
database: the facts (items, workers, their current loads, the household's close relatives of
staff) are read by `workload.selectors` and `workload.assignments` and handed in.

A worker's load is the sum of a weight per open item they hold, by how close its deadline is,
divided by the share of a full-time post they work (a half-time assistant with the same items
carries twice the load):

    overdue (due before today)           3   the work is late: it needs the worker now
    due within DUE_SOON_DAYS (7) days    2   it will need them this week
    due later, or with no deadline       1

Proposing gives each item, in turn, the eligible worker with the lowest load (ties: the lower
staff identity id), and adds the item's weight to that worker before the next item, so a batch
spreads over the town instead of piling on whoever was lightest at the start. Items are taken
in deadline order (overdue first, no deadline last), so the most urgent work goes to the most
available people.

Eligible for an item (the town's own staff; a purchased service's worker takes work only when
the county lends it, `assignments.assign_work(reason=LENT)`, never by proposal):
- an active staff identity working in the item's town: its town staff (civil servants and
  contracted assistants) and contracted assistants placed at its villages; never a purchased
  service's worker (`selectors.town_staff_q` says who they are),
- working a share of a post above zero,
- not a close relative of a member of the item's household, nor a member himself
  (`cases.closerelatives.find_close_relatives_of`, the one rule of who is a close relative:
  POLICY.md §1 step 2).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

OVERDUE_WEIGHT = 3
DUE_SOON_WEIGHT = 2
BASE_WEIGHT = 1
DUE_SOON_DAYS = 7

_NEVER = dt.date.max


@dataclass(frozen=True)
class OpenItem:
    """One piece of open work to place: `key` is (kind, id)."""
    kind: str
    id: int
    town: str
    household_id: int | None
    due_on: dt.date | None

    @property
    def key(self) -> tuple[str, int]:
        return (self.kind, self.id)


@dataclass(frozen=True)
class Worker:
    """A candidate: `open_weight` is the weighted sum of the open items they already hold."""
    id: int
    town: str
    full_time_share: Decimal = Decimal("1")
    is_active: bool = True
    open_weight: int = 0
    is_town_staff: bool = True


def item_weight(due_on: dt.date | None, today: dt.date) -> int:
    """How much one open item weighs on its worker (the table in the module docstring)."""
    if due_on is None:
        return BASE_WEIGHT
    if due_on < today:
        return OVERDUE_WEIGHT
    if due_on <= today + dt.timedelta(days=DUE_SOON_DAYS):
        return DUE_SOON_WEIGHT
    return BASE_WEIGHT


def load_of(open_weight: int, full_time_share: Decimal) -> Decimal | None:
    """The weighted open items per full-time share; None for a worker with no share of a post
    (they can take nothing)."""
    share = Decimal(full_time_share)
    if share <= 0:
        return None
    return (Decimal(open_weight) / share).quantize(Decimal("0.01"))


def refusal(item: OpenItem, worker: Worker, relatives: Mapping[int, frozenset]) -> str:
    """Why `worker` may not take `item` ("" when they may): `inactive`, `not_town_staff`,
    `no_share`, `other_town`, `relative`. The same reasons the assignment service gives a chosen
    worker."""
    if not worker.is_active:
        return "inactive"
    if not worker.is_town_staff:
        return "not_town_staff"
    if Decimal(worker.full_time_share) <= 0:
        return "no_share"
    if worker.town != item.town:
        return "other_town"
    if item.household_id is not None and worker.id in relatives.get(item.household_id, frozenset()):
        return "relative"
    return ""


def in_due_order(items: Iterable[OpenItem]) -> list[OpenItem]:
    """Overdue first, no deadline last; ties by kind and id, so the same list proposes the same."""
    return sorted(items, key=lambda i: (i.due_on or _NEVER, i.kind, i.id))


def propose_workers(items: Iterable[OpenItem], workers: Iterable[Worker], relatives: Mapping[int, frozenset], *,
                    today: dt.date) -> dict[tuple[str, int], int | None]:
    """For each item (by key), the proposed worker's id, or None when nobody may take it.
    `relatives`: household id → the staff identity ids who are its members or their close
    relatives. Items are placed in due order; each placement adds to its worker's load."""
    weights = {w.id: w.open_weight for w in workers}
    pool = sorted({w.id: w for w in workers}.values(), key=lambda w: w.id)
    by_town: dict[str, list[Worker]] = {}
    for w in pool:
        by_town.setdefault(w.town, []).append(w)
    proposed: dict[tuple[str, int], int | None] = {}
    for item in in_due_order(items):
        best, best_load = None, None
        for w in by_town.get(item.town, ()):
            if refusal(item, w, relatives):
                continue
            load = Decimal(weights[w.id]) / Decimal(w.full_time_share)
            if best_load is None or load < best_load:
                best, best_load = w, load
        proposed[item.key] = best.id if best is not None else None
        if best is not None:
            weights[best.id] += item_weight(item.due_on, today)
    return proposed
