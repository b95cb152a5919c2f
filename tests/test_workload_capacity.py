"""The capacity rule (workload/capacity.py): who is proposed for each piece of open work. Property
tests over random towns, workers, shares, loads and relatives."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from safetynet.workload import capacity
from safetynet.workload.capacity import OpenItem, Worker, item_weight, propose_workers

TODAY = dt.date(2026, 3, 10)
TOWNS = ("130123100", "130123102")

dues = st.one_of(st.none(), st.dates(min_value=TODAY - dt.timedelta(days=30), max_value=TODAY + dt.timedelta(days=30)))
shares = st.sampled_from([Decimal("0"), Decimal("0.5"), Decimal("0.8"), Decimal("1"), Decimal("1.00")])


@st.composite
def towns_of_work(draw):
    n_workers = draw(st.integers(0, 6))
    workers = [Worker(id=i + 1, town=draw(st.sampled_from(TOWNS)), full_time_share=draw(shares),
                      is_active=draw(st.booleans()), open_weight=draw(st.integers(0, 30)),
                      is_town_staff=draw(st.booleans())) for i in range(n_workers)]
    n_items = draw(st.integers(0, 25))
    items = [OpenItem(kind=draw(st.sampled_from(["case", "recheck", "lead"])), id=i + 1, town=draw(st.sampled_from(TOWNS)),
                      household_id=draw(st.one_of(st.none(), st.integers(1, 5))), due_on=draw(dues)) for i in range(n_items)]
    relatives = {h: frozenset(draw(st.sets(st.integers(1, 6), max_size=3))) for h in range(1, 6)}
    return items, workers, relatives


def test_weights_by_deadline():
    assert item_weight(TODAY - dt.timedelta(days=1), TODAY) == capacity.OVERDUE_WEIGHT == 3
    assert item_weight(TODAY, TODAY) == capacity.DUE_SOON_WEIGHT == 2
    assert item_weight(TODAY + dt.timedelta(days=7), TODAY) == 2
    assert item_weight(TODAY + dt.timedelta(days=8), TODAY) == capacity.BASE_WEIGHT == 1
    assert item_weight(None, TODAY) == 1


def test_a_half_time_worker_carries_twice_the_load_of_the_same_items():
    assert capacity.load_of(6, Decimal("0.5")) == Decimal("12.00")
    assert capacity.load_of(6, Decimal("1")) == Decimal("6.00")
    assert capacity.load_of(6, Decimal("0")) is None


@given(towns_of_work())
def test_never_a_relative_another_towns_worker_an_inactive_or_a_non_staff_one(case):
    items, workers, relatives = case
    by_id = {w.id: w for w in workers}
    proposed = propose_workers(items, workers, relatives, today=TODAY)
    assert set(proposed) == {i.key for i in items}
    for item in items:
        chosen = proposed[item.key]
        eligible = [w for w in workers if not capacity.refusal(item, w, relatives)]
        if chosen is None:
            assert eligible == []
            continue
        w = by_id[chosen]
        assert w.is_active and w.is_town_staff and w.full_time_share > 0 and w.town == item.town
        assert item.household_id is None or w.id not in relatives[item.household_id]


@given(towns_of_work())
def test_each_item_goes_to_the_lightest_eligible_worker_at_its_turn(case):
    """Replaying the proposals in due order, each chosen worker had the lowest load (weight per
    share) of the eligible, ties to the lower id; each placement adds the item's weight."""
    items, workers, relatives = case
    proposed = propose_workers(items, workers, relatives, today=TODAY)
    weights = {w.id: w.open_weight for w in workers}
    for item in capacity.in_due_order(items):
        eligible = [w for w in workers if not capacity.refusal(item, w, relatives)]
        if not eligible:
            continue
        best = min(eligible, key=lambda w: (Decimal(weights[w.id]) / w.full_time_share, w.id))
        assert proposed[item.key] == best.id
        weights[best.id] += item_weight(item.due_on, TODAY)


@given(st.integers(1, 6), st.integers(0, 60))
def test_a_batch_spreads_evenly_over_equal_workers(n_workers, n_items):
    workers = [Worker(id=i, town=TOWNS[0]) for i in range(1, n_workers + 1)]
    items = [OpenItem("case", i, TOWNS[0], None, TODAY + dt.timedelta(days=20)) for i in range(n_items)]
    proposed = propose_workers(items, workers, {}, today=TODAY)
    counts = [list(proposed.values()).count(w.id) for w in workers]
    assert max(counts) - min(counts) <= 1 and sum(counts) == n_items


def test_overdue_work_goes_first_to_the_lightest_and_a_relative_is_passed_over():
    light, heavy, related = Worker(1, TOWNS[0], open_weight=0), Worker(2, TOWNS[0], open_weight=5), \
        Worker(3, TOWNS[0], open_weight=0)
    late = OpenItem("lead", 1, TOWNS[0], 7, TODAY - dt.timedelta(days=2))
    later = OpenItem("case", 2, TOWNS[0], None, TODAY + dt.timedelta(days=30))
    proposed = propose_workers([later, late], [heavy, related, light], {7: frozenset({3})}, today=TODAY)
    # The overdue lead is placed first: 1 and 3 are the lightest, and 3 is a relative of its household.
    assert proposed[late.key] == 1
    # Then the later case: 1 now carries the overdue lead's weight (3); 3 is no relative here.
    assert proposed[later.key] == 3
