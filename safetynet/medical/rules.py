"""The medical assistance formula (POLICY.md §4; MA-2021): pure functions, no database.

    assistance = (eligible self-paid − what is left of the year's deductible) × rate,
                 limited by what is left of the category's annual cap.

The deductible is yearly: what the person's earlier eligible amounts this year already covered is
not asked again. The product is rounded half up to the cent, and only there (said in the
breakdown). Where a person qualifies under several categories, `most_favorable` computes each and
takes the largest assistance; on equal amounts the one leaving more of its cap, then the
catalogue's order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Terms:
    """A category's terms as they apply to one person and year (the deductible already in yuan)."""

    category_code: str
    rate: Decimal
    deductible: Decimal
    annual_cap: Decimal
    position: int = 0
    source: str = ""


@dataclass(frozen=True)
class Assessment:
    category_code: str
    eligible: Decimal              # this bill's eligible self-paid amount
    deductible_left: Decimal       # of the year's deductible, before this bill
    deductible_applied: Decimal    # the part of this bill the deductible took
    counted: Decimal               # eligible − deductible applied
    rate: Decimal
    computed: Decimal              # counted × rate, rounded half up to the cent
    cap: Decimal
    cap_left: Decimal              # of the annual cap, before this bill
    assistance: Decimal            # min(computed, cap left)
    remaining_cap: Decimal         # after this bill
    capped: bool                   # the cap took part of what the rate gave
    position: int = 0
    source: str = ""
    steps: list = field(default_factory=list, compare=False)

    def as_dict(self) -> dict:
        return {"category": self.category_code, "eligible": f"{self.eligible:.2f}",
                "deductible_left": f"{self.deductible_left:.2f}", "deductible_applied": f"{self.deductible_applied:.2f}",
                "counted": f"{self.counted:.2f}", "rate": f"{self.rate}", "computed": f"{self.computed:.2f}",
                "annual_cap": f"{self.cap:.2f}", "cap_left": f"{self.cap_left:.2f}",
                "assistance": f"{self.assistance:.2f}", "remaining_cap": f"{self.remaining_cap:.2f}",
                "capped": self.capped, "rounding": "half_up_to_cent", "source": self.source}


def assess_bill(eligible: Decimal, terms: Terms, *, eligible_before: Decimal = ZERO, paid_before: Decimal = ZERO) -> Assessment:
    """The assistance for one bill under one category, given what the person's year already
    holds (`eligible_before`: eligible amounts counted against the deductible; `paid_before`:
    assistance already paid against the cap)."""
    if eligible < 0 or eligible_before < 0 or paid_before < 0:
        raise ValueError("amounts are not negative")
    deductible_left = max(ZERO, terms.deductible - eligible_before)
    deductible_applied = min(eligible, deductible_left)
    counted = eligible - deductible_applied
    computed = (counted * terms.rate).quantize(CENT, rounding=ROUND_HALF_UP)
    cap_left = max(ZERO, terms.annual_cap - paid_before)
    assistance = min(computed, cap_left)
    return Assessment(terms.category_code, eligible, deductible_left.quantize(CENT), deductible_applied.quantize(CENT),
                      counted.quantize(CENT), terms.rate, computed, terms.annual_cap.quantize(CENT), cap_left.quantize(CENT),
                      assistance, (cap_left - assistance).quantize(CENT), computed > cap_left, terms.position, terms.source)


def most_favorable(eligible: Decimal, terms: list[Terms], *, eligible_before: Decimal = ZERO,
                   paid_before: Decimal = ZERO) -> tuple[Assessment, list[Assessment]]:
    """(the assessment applied, every category's) for a person qualifying under `terms` (at
    least one)."""
    if not terms:
        raise ValueError("no category")
    every = [assess_bill(eligible, t, eligible_before=eligible_before, paid_before=paid_before) for t in terms]
    best = min(every, key=lambda a: (-a.assistance, -a.remaining_cap, a.position, a.category_code))
    return best, every


def resolve_deductible(*, deductible: Decimal | None, ratio: Decimal | None, disposable_income: Decimal | None) -> Decimal:
    """A terms row's deductible in yuan: its amount, or its share of the previous year's
    per-capita disposable income rounded half up to the cent."""
    if deductible is not None:
        return deductible
    if ratio is None or disposable_income is None:
        raise ValueError("a ratio needs the disposable income")
    return (ratio * disposable_income).quantize(CENT, rounding=ROUND_HALF_UP)
