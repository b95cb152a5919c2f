"""Helpers for the payments tests: a county with one confirmed case (for the decision every
enrollment points at), and households enrolled directly with chosen amounts, start months,
statuses and bank accounts."""
from __future__ import annotations

import io
import itertools
from decimal import Decimal

import pytest

from tests.cases_helpers import D, make_poor_household, new_id, walk

_n = itertools.count(1)


class Payroll:
    """The county, its posts, the case's decision, and `enroll(...)`."""

    def __init__(self, posts, case, village, other_village):
        self.posts, self.case, self.village, self.other_village = posts, case, village, other_village
        self.base = case.enrollments.get()  # the walked case's own enrollment (¥2,070.00 from 2025-10)

    def enroll(self, amount="1000.00", *, start=D(2025, 10, 1), status="active", account=None, area=None,
               program="dibao"):
        from safetynet.enrollments.models import Enrollment
        from safetynet.registry.models import Household, Person

        n = next(_n)
        area = area or self.village
        household = Household.objects.create(area=area, address=f"测试路{n}号", registration_type="rural",
                                             bank_account="" if account == "" else (account or f"621700{n:010d}"))
        head = Person.objects.create(household=household, area=area, name=f"王{n}", id_number=new_id(D(1960, 1, 1)),
                                     sex="male", birth_date=D(1960, 1, 1), relation_to_head="head")
        household.head = head
        household.save(update_fields=["head"])
        return Enrollment.objects.create(
            program_id=program, household=household, area=area, case=self.case, decision=self.case.decisions.first(),
            status=status, monthly_amount=Decimal(amount), start_month=start, next_recheck_date=D(2026, 10, 1),
            bank_account=household.bank_account)


@pytest.fixture
def payroll(posts, clock, standards, village, other_village):
    household = make_poor_household(posts.worker, village.code)
    case = walk(posts, household, clock)
    return Payroll(posts, case, village, other_village)


def returns_file(rows: list[tuple]) -> io.BytesIO:
    lines = ["reference,amount,result,reason"] + [",".join(str(v) for v in row) for row in rows]
    return io.BytesIO(("\n".join(lines) + "\n").encode("utf-8"))
