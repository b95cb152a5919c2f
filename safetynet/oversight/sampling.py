"""The arithmetic of a spot check's draw (issue 18 part 4), as pure functions: no database, so
anyone holding a campaign's recorded frame and seed can re-draw the same sample.

- sample size: a share of the population (`ratio_size`, POLICY.md §2: at least 30 %) or Cochran's
  size for a proportion (`cochran_size`: n0 = z²·p(1−p)/e², p = 0.5, with the finite-population
  correction n = n0 / (1 + (n0 − 1)/N));
- stratified by town: proportional allocation by largest remainder, at least one from each
  non-empty town, never more than a town holds (`allocate`);
- weighted by risk, without replacement: Efraimidis–Spirakis keys u^(1/w) from one
  `random.Random(seed)` walked over the frame in its recorded order (`draw`).
"""
from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from statistics import NormalDist

# Risk weights: an item with no risk counts 1; each factor adds its weight (a local choice, shown
# on the campaign page so the draw can be explained).
WEIGHT_BASE = 1.0
WEIGHT_ANOMALY = 3.0
WEIGHT_SHORT_SURVEY = 2.0
WEIGHT_NEAR_LIMIT = 2.0


def ratio_size(population: int, ratio: Decimal) -> int:
    """ceil(N × ratio), at least one from a non-empty population, never more than N."""
    if population <= 0:
        return 0
    n = int((Decimal(population) * Decimal(ratio)).to_integral_value(rounding=ROUND_CEILING))
    return max(1, min(population, n))


def cochran_size(population: int, confidence: Decimal | float, margin: Decimal | float, p: float = 0.5) -> int:
    """Cochran's sample size for a proportion at `confidence` (e.g. 0.95) within `margin` (e.g.
    0.05), corrected for a finite population of `population`; rounded up, at most N."""
    if population <= 0:
        return 0
    z = NormalDist().inv_cdf(1 - (1 - float(confidence)) / 2)
    n0 = z * z * p * (1 - p) / (float(margin) ** 2)
    n = n0 / (1 + (n0 - 1) / population)
    return max(1, min(population, math.ceil(n - 1e-9)))


def allocate(sizes: Mapping[str, int], n: int) -> dict[str, int]:
    """Share `n` among strata of `sizes` in proportion (largest remainder, ties by key), at least
    one from each non-empty stratum and at most its size. `n` is raised to the number of non-empty
    strata and lowered to the total; the result sums to that."""
    strata = sorted(k for k, s in sizes.items() if s > 0)
    total = sum(sizes[k] for k in strata)
    out = {k: 0 for k in sizes}
    if not strata:
        return out
    n = max(len(strata), min(n, total))
    quota = {k: n * sizes[k] / total for k in strata}
    for k in strata:
        out[k] = min(sizes[k], max(1, math.floor(quota[k])))
    given = sum(out.values())
    while given < n:   # the largest remainders first, among strata with room
        k = min((k for k in strata if out[k] < sizes[k]), key=lambda k: (-(quota[k] - out[k]), k))
        out[k] += 1
        given += 1
    while given > n:   # the minimum of one pushed past n: take back where most was given above quota
        k = min((k for k in strata if out[k] > 1), key=lambda k: (-(out[k] - quota[k]), k))
        out[k] -= 1
        given -= 1
    return out


@dataclass(frozen=True)
class FrameRow:
    """One member of the population as recorded: its key ("case:12", "enrollment:7"), its town,
    its risk weight, and why it is taken whatever the draw ("" when it is drawn)."""
    key: str
    town: str
    weight: float
    mandatory: str = ""


def order_key(key: str) -> tuple[str, int]:
    kind, _, number = key.partition(":")
    return kind, int(number)


def risk_weight(*, anomaly: bool, short_survey: bool, near_limit: bool) -> float:
    return (WEIGHT_BASE + (WEIGHT_ANOMALY if anomaly else 0) + (WEIGHT_SHORT_SURVEY if short_survey else 0)
            + (WEIGHT_NEAR_LIMIT if near_limit else 0))


def weighted_pick(items: Sequence[tuple[str, float]], k: int, rng: random.Random) -> list[str]:
    """k keys without replacement, each with probability growing with its weight (Efraimidis–
    Spirakis: key u^(1/w), the k largest). One `rng.random()` per item, in the order given."""
    keyed = [(rng.random() ** (1.0 / w), key) for key, w in items]
    keyed.sort(key=lambda t: (-t[0], order_key(t[1])))
    return [key for _, key in keyed[:max(0, k)]]


def draw(frame: Sequence[FrameRow], n: int, seed: int) -> tuple[list[str], dict[str, int]]:
    """The sample of a frame: every mandatory row, plus `n` drawn from the others, allocated by
    town (`allocate`), weighted by risk. The frame is taken in key order and the towns in code
    order, so the same frame and seed give the same sample wherever it is re-drawn. Returns
    (keys in draw order, allocation by town)."""
    rows = sorted(frame, key=lambda r: order_key(r.key))
    mandatory = [r.key for r in rows if r.mandatory]
    pool: dict[str, list[tuple[str, float]]] = {}
    for r in rows:
        if not r.mandatory:
            pool.setdefault(r.town, []).append((r.key, max(r.weight, 1e-9)))
    allocation = allocate({t: len(v) for t, v in pool.items()}, n) if n > 0 else {t: 0 for t in pool}
    rng = random.Random(seed)
    drawn: list[str] = []
    for town in sorted(pool):
        drawn.extend(weighted_pick(pool[town], allocation[town], rng))
    return mandatory + drawn, allocation


def income_near_standard(income: Decimal, standard: Decimal, ratio: Decimal) -> bool:
    """A per-capita income within `ratio` of the standard on either side (barely in, barely out)."""
    return abs(Decimal(income) - Decimal(standard)) <= Decimal(ratio) * Decimal(standard)


def amount_near_limits(per_member: Decimal, standard: Decimal, ratio: Decimal) -> bool:
    """A dibao amount per member near zero (income nearly at the standard) or near the whole
    standard (almost no income declared), within `ratio` of the standard."""
    margin = Decimal(ratio) * Decimal(standard)
    return Decimal(per_member) <= margin or Decimal(per_member) >= Decimal(standard) - margin
