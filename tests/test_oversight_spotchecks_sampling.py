"""The spot check's arithmetic (issue 18 part 4), property-tested: the same seed draws the same
sample; the allocation sums to n, takes one from each non-empty town and never more than a town
holds; the sizes follow the ratio and Cochran's formula; the risk weight draws risky items more."""
from __future__ import annotations

import random
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from safetynet.oversight import sampling
from safetynet.oversight.sampling import FrameRow

sizes_st = st.dictionaries(st.sampled_from([f"13012310{i}" for i in range(10)]), st.integers(0, 60), min_size=1)


@st.composite
def frames(draw):
    rows = []
    n = draw(st.integers(0, 80))
    ids = draw(st.lists(st.integers(1, 10_000), min_size=n, max_size=n, unique=True))
    for i in ids:
        rows.append(FrameRow(f"{draw(st.sampled_from(['case', 'enrollment']))}:{i}",
                             draw(st.sampled_from(["130123100", "130123102", "130123104"])),
                             draw(st.sampled_from([1.0, 3.0, 4.0, 8.0])),
                             draw(st.sampled_from(["", "", "", "close_relative", "complaint"]))))
    return rows


@given(sizes_st, st.integers(0, 700))
def test_allocation_sums_to_n_one_per_town_and_at_most_its_size(sizes, n):
    allocation = sampling.allocate(sizes, n)
    nonempty = [k for k, s in sizes.items() if s > 0]
    total = sum(sizes.values())
    expected = max(len(nonempty), min(n, total)) if nonempty else 0
    assert sum(allocation.values()) == expected
    for town, size in sizes.items():
        assert allocation[town] <= size
        if size > 0:
            assert allocation[town] >= 1


def test_allocation_is_proportional_by_largest_remainder():
    assert sampling.allocate({"a": 50, "b": 30, "c": 20}, 10) == {"a": 5, "b": 3, "c": 2}
    assert sampling.allocate({"a": 5, "b": 3, "c": 2}, 3) == {"a": 1, "b": 1, "c": 1}   # one each, rounding down
    assert sampling.allocate({"a": 70, "b": 20, "c": 10}, 5) == {"a": 3, "b": 1, "c": 1}
    assert sampling.allocate({"a": 0, "b": 4}, 9) == {"a": 0, "b": 4}


@given(frames(), st.integers(0, 50), st.integers(0, 2**62))
def test_the_same_seed_draws_the_same_sample_whatever_the_order_of_the_frame(frame, n, seed):
    first = sampling.draw(frame, n, seed)
    shuffled = list(frame)
    random.Random(seed).shuffle(shuffled)
    assert sampling.draw(shuffled, n, seed) == first
    keys, allocation = first
    assert len(keys) == len(set(keys))
    mandatory = {r.key for r in frame if r.mandatory}
    assert mandatory <= set(keys)                              # on top of the draw
    assert len(keys) - len(mandatory) == sum(allocation.values())
    towns = {r.key: r.town for r in frame}
    for town, k in allocation.items():
        assert sum(1 for key in keys if key not in mandatory and towns[key] == town) == k


@given(st.integers(1, 100_000), st.sampled_from(["0.01", "0.3", "0.5", "1"]))
def test_ratio_size_is_the_share_rounded_up(population, ratio):
    n = sampling.ratio_size(population, Decimal(ratio))
    assert 1 <= n <= population
    assert n >= population * float(ratio) - 1e-9 and n - 1 < population * float(ratio)


def test_cochran_size_with_the_finite_population_correction():
    assert sampling.cochran_size(10**9, Decimal("0.95"), Decimal("0.05")) == 385      # n0 = 384.15
    assert sampling.cochran_size(1000, Decimal("0.95"), Decimal("0.05")) == 278
    assert sampling.cochran_size(100, Decimal("0.95"), Decimal("0.05")) == 80
    assert sampling.cochran_size(0, Decimal("0.95"), Decimal("0.05")) == 0


@given(st.integers(1, 5000), st.sampled_from([0.8, 0.9, 0.95, 0.99]), st.sampled_from([0.01, 0.03, 0.05, 0.1]))
def test_cochran_size_never_exceeds_the_population_and_grows_with_confidence(population, confidence, margin):
    n = sampling.cochran_size(population, confidence, margin)
    assert 1 <= n <= population
    assert sampling.cochran_size(population, 0.999, margin) >= n


def test_risky_items_are_drawn_more_often():
    frame = [FrameRow(f"case:{i}", "130123100", 8.0 if i <= 10 else 1.0) for i in range(1, 101)]
    risky = sum(sum(1 for k in sampling.draw(frame, 10, seed)[0] if int(k.split(":")[1]) <= 10) for seed in range(300))
    assert risky / 300 > 4     # about 1 in 10 without weights; about half with them


def test_near_the_limits():
    assert sampling.income_near_standard(Decimal("860"), Decimal("900"), Decimal("0.10"))
    assert not sampling.income_near_standard(Decimal("300"), Decimal("900"), Decimal("0.10"))
    assert sampling.amount_near_limits(Decimal("50"), Decimal("900"), Decimal("0.10"))
    assert sampling.amount_near_limits(Decimal("880"), Decimal("900"), Decimal("0.10"))
    assert not sampling.amount_near_limits(Decimal("600"), Decimal("900"), Decimal("0.10"))
