"""Helpers of the statement tests (issue 20 part 3): the county's two designated institutions (a
county hospital with a live key and a bank account, a town health centre of 正定镇 with its own
key), people to settle for, `settle(...)` writing a one-stop settlement as the settlement service
would leave it (the service is another part's), `reverse(...)`, and the business date moved to
2025-10-10 so September has ended. Test modules import the `stmt` fixture by name."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.cases_helpers import D, new_id
from tests.conftest import COUNTY, OTHER_TOWN, TOWN

_n = itertools.count(1)


class Statements:
    def __init__(self, posts, clock, village, other_village):
        from safetynet.medical import keys
        from safetynet.medical.models import Institution

        self.posts, self.clock, self.village, self.other_village = posts, clock, village, other_village
        clock.set(D(2025, 10, 10))
        self.hospital = Institution.objects.create(
            code="H13012300001", name="正定县人民医院", kind="hospital", area_id=COUNTY, contract_from=D(2025, 1, 1),
            contract_until=D(2027, 12, 31), bank_name="中国农业银行", bank_account="6228480010000000001",
            account_name="正定县人民医院")
        self.centre = Institution.objects.create(
            code="H13012310001", name="正定镇卫生院", kind="township_centre", area_id=TOWN, contract_from=D(2025, 1, 1),
            contract_until=D(2027, 12, 31), bank_name="中国建设银行", bank_account="6217000020000000002",
            account_name="")
        _row, self.hospital_key = keys.issue_key(actor=posts.officer, institution_id=self.hospital.pk)
        _row, self.centre_key = keys.issue_key(actor=posts.officer, institution_id=self.centre.pk)
        self.people = [self.person() for _ in range(3)]

    def person(self, area=None):
        from safetynet.registry.models import Household, Person

        n = next(_n)
        area = area or self.village
        household = Household.objects.create(area=area, address=f"医疗路{n}号", registration_type="rural")
        person = Person.objects.create(household=household, area=area, name=f"赵{n}明", id_number=new_id(D(1958, 1, 1)),
                                       sex="male", birth_date=D(1958, 1, 1), relation_to_head="head")
        household.head = person
        household.save(update_fields=["head"])
        return person

    def settle(self, institution=None, *, assistance="1000.00", on=D(2025, 9, 15), visit: str | None = None, person=None):
        """A one-stop settlement as the settlement service keeps it."""
        from safetynet.medical.models import Settlement

        institution = institution or self.hospital
        person = person or self.people[0]
        assistance = Decimal(assistance)
        eligible = assistance + Decimal("500.00")
        visit = visit or f"V{next(_n):08d}"
        return Settlement.objects.create(
            source="one_stop", institution=institution, visit_number=visit, person=person, household=person.household,
            area=person.area, year=on.year, admitted_on=on - dt.timedelta(days=5), discharged_on=on,
            total_cost=eligible + Decimal("3000.00"), basic_insurance=Decimal("2500.00"), critical_illness=Decimal("500.00"),
            eligible_self_paid=eligible, ineligible_self_paid=Decimal("0.00"), bill_hash=hashlib.sha256(visit.encode()).hexdigest(),
            category_code="dibao", rate=Decimal("0.7000"), deductible_applied=Decimal("0.00"), assistance=assistance,
            patient_pays=eligible - assistance, remaining_cap=Decimal("20000.00"), answer={"assistance": f"{assistance:.2f}"},
            settled_at=timezone.make_aware(dt.datetime(on.year, on.month, on.day, 10, 0)), settled_on=on)

    def reverse(self, settlement, on=D(2025, 10, 5)):
        settlement.status, settlement.reversed_on = "reversed", on
        settlement.reversed_at = timezone.make_aware(dt.datetime(on.year, on.month, on.day, 11, 0))
        settlement.reversal_reason = "退费"
        settlement.save(update_fields=["status", "reversed_on", "reversed_at", "reversal_reason"])
        return settlement

    def budget(self, amount="100000.00", year=2025):
        from safetynet.funding import budgets

        return budgets.set_budget_line(actor=self.posts.officer, year=year, area_code=COUNTY, kind="medical_assistance",
                                       amount=amount)

    def generate(self, month="2025-09", actor=None):
        from safetynet.medical import statements

        return statements.generate_statements(actor=actor or self.posts.officer, county_code=COUNTY, month=month)

    def claim(self, institution=None, month="2025-09", *, settlements, total, visits=None):
        from safetynet.medical import statements

        return statements.submit_claim(institution=institution or self.hospital, month=month, settlements=settlements,
                                       assistance_total=total, visits=visits)

    def statement(self, institution=None, month=D(2025, 9, 1)):
        from safetynet.medical.models import MedicalStatement

        return MedicalStatement.objects.get(institution=institution or self.hospital, month=month)

    def client(self, key):
        from django.test import Client

        return Client(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def stmt(posts, clock, village, other_village, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    (tmp_path / "private").mkdir()
    return Statements(posts, clock, village, other_village)


def returns_file(rows: list[tuple]) -> io.BytesIO:
    lines = ["reference,amount,result,reason"] + [",".join(str(v) for v in row) for row in rows]
    return io.BytesIO(("\n".join(lines) + "\n").encode("utf-8"))


__all__ = ["COUNTY", "TOWN", "OTHER_TOWN", "D", "Decimal", "stmt", "returns_file"]
