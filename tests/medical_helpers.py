"""Fixtures of the medical assistance tests (issue 20): the payroll fixture's county with people
enrolled in dibao and special hardship, a designated hospital of the county with a live key, and
`bill(...)`, a valid one-stop settlement body.

`med.person(program)` makes a household of one enrolled in the program (or in none: program=None)
and answers its person; `med.client()` is a test client sending the hospital's key."""
from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from tests.cases_helpers import D

_visits = itertools.count(1)


def bill(id_number: str, *, visit: str | None = None, total="12000.00", basic="6000.00", critical="1000.00",
         eligible="4000.00", ineligible="1000.00", admitted="2025-09-10", discharged="2025-09-18") -> dict:
    """A one-stop settlement body whose parts add up (total = basic + critical + eligible + ineligible)."""
    return {"visit_number": visit or f"V{next(_visits):08d}", "id_number": id_number, "admitted_on": admitted,
            "discharged_on": discharged, "total_cost": total, "basic_insurance_paid": basic,
            "critical_illness_paid": critical, "eligible_self_paid": eligible, "ineligible_self_paid": ineligible}


class Medical:
    def __init__(self, payroll, posts, county):
        from safetynet.medical import catalogue, keys
        from safetynet.medical.models import CategoryTerms, Institution, MedicalCategory

        # As the migration does: a live-server test's flush leaves the next test without them.
        catalogue.seed(MedicalCategory, CategoryTerms)

        self.payroll, self.posts, self.county = payroll, posts, county
        self.hospital = Institution.objects.create(
            code="H13012300001", name="正定县人民医院", kind="hospital", area=county, contract_from=D(2025, 1, 1),
            contract_until=D(2027, 12, 31), bank_name="中国农业银行", bank_account="6228480010000000001",
            account_name="正定县人民医院")
        self.key_row, self.key = keys.issue_key(actor=posts.officer, institution_id=self.hospital.pk)

    def person(self, program: str | None = "dibao", amount: str = "500.00"):
        """The head of a new household of one, enrolled in `program` (None: enrolled in nothing)."""
        enrollment = self.payroll.enroll(amount, program=program or "dibao")
        person = enrollment.household.head
        if program is None:
            enrollment.delete()
        return person

    def client(self, key: str | None = None):
        from django.test import Client

        return Client(HTTP_AUTHORIZATION=f"Bearer {key or self.key}", HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def med(payroll, posts, county):
    return Medical(payroll, posts, county)


__all__ = ["D", "Decimal", "bill"]
