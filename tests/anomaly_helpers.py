"""Planted anomalies on a small county for the anomaly-report tests: one household per anomaly
and clean ones beside them (`world`), built on the payments tests' county."""
from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from safetynet.areas.models import Area
from safetynet.cases.models import Case, Survey
from safetynet.enrollments.models import Enrollment
from safetynet.payroll.models import Payment, PayrollRun
from safetynet.registry.models import Kinship, Person
from safetynet.verification.models import HouseholdResult, VerificationRun
from safetynet.workforce.models import StaffIdentity
from tests.cases_helpers import D, new_id
from tests.conftest import COUNTY
from tests.payments_helpers import payroll  # noqa: F401 (fixture)
from tests.verification_helpers import import_rows, vdata  # noqa: F401 (fixture)

OTHER_COUNTY = "130124"
_refs = itertools.count(1)


def _other_county_village() -> Area:
    city = Area.objects.get(code=COUNTY).parent
    county = Area.objects.create(code=OTHER_COUNTY, name="栾城区", level="county", parent=city)
    town = Area.objects.create(code=OTHER_COUNTY + "100", name="栾城镇", level="town", parent=county)
    return Area.objects.create(code=OTHER_COUNTY + "100001", name="一村", level="village", parent=town,
                               urban_rural_class="220")


def pay(enrollment: Enrollment, month: dt.date, amount="800.00", status="paid") -> Payment:
    code = f"{COUNTY}{month:%Y%m}"
    run = PayrollRun.objects.filter(code=code).first() or PayrollRun.objects.create(
        area_id=COUNTY, month=month, code=code, status="generated")
    return Payment.objects.create(run=run, enrollment=enrollment, household_id=enrollment.household_id,
                                  program_id=enrollment.program_id, area_id=enrollment.area_id, month=month,
                                  amount=Decimal(amount), reference=f"T{next(_refs):08d}", status=status)


def _clone_case(case: Case, *, created_by: str, amount: str, on: dt.date) -> Case:
    decision = case.decisions.get()
    copy = Case.objects.get(pk=case.pk)
    copy.pk = None
    copy.created_by = created_by
    copy.save()
    decision.pk = None
    decision.decided_by = "another_officer"
    decision.case = copy
    decision.monthly_amount = Decimal(amount)
    decision.decided_on = on
    decision.letter_number = f"L{next(_refs):08d}"
    decision.save()
    return copy


def _result(household, run, *, per_capita="300.00", assets="0.00", standard="900.00", limit="20000.00"):
    return HouseholdResult.objects.create(run=run, household=household, area_code=household.area_id, members=1,
                                          per_capita_income=Decimal(per_capita), financial_assets=Decimal(assets),
                                          rule={"standard": standard, "financial_limit": limit, "max_homes": 1,
                                                "max_vehicles": 0, "max_businesses": 0,
                                                "max_non_residential_properties": 0})


@pytest.fixture
def world(payroll, clock, system, vdata):  # noqa: F811
    """A county with one household per planted anomaly and clean ones beside them; the month of
    the report is the clock's month (after the walked case was confirmed)."""
    month = clock().replace(day=1)
    before = (month - dt.timedelta(days=1)).replace(day=1)
    p = payroll.posts
    w = {"month": month}
    # a. a death on public-security records last month, paid this month (and last month: not after)
    w["dead"] = payroll.enroll("600.00", program="special_hardship")
    w["dead_same_month"] = pay(w["dead"], before)
    w["dead_paid"] = pay(w["dead"], month)
    # a. a death in the registry only, entered two months ago
    w["dead_registry"] = payroll.enroll("500.00")
    Person.objects.filter(household=w["dead_registry"].household).update(
        is_deceased=True, updated_at=dt.datetime.combine(before - dt.timedelta(days=20), dt.time(9), tzinfo=dt.UTC))
    w["dead_registry_paid"] = pay(w["dead_registry"], month)
    # clean: a household of two, one of whom died (the household is still paid), and a living one
    w["widow"] = payroll.enroll("700.00")
    spouse = Person.objects.create(household=w["widow"].household, area=w["widow"].area, name="寡妇", sex="female",
                                   id_number=new_id(D(1962, 1, 1), sex="female"), birth_date=D(1962, 1, 1),
                                   relation_to_head="spouse")
    w["widow_paid"] = pay(w["widow"], month)
    w["alive"] = payroll.enroll("900.00")
    w["alive_paid"] = pay(w["alive"], month)
    import_rows(system, "public_security_deaths", [
        {"id_number": w["dead"].household.head.id_number, "death_date": before + dt.timedelta(days=3)},
        {"id_number": w["widow"].household.head.id_number, "death_date": before + dt.timedelta(days=3)},
    ])
    del spouse
    # b. dibao for the household and special hardship for its head at once
    w["double"] = payroll.enroll("800.00")
    w["double_sh"] = Enrollment.objects.create(
        program_id="special_hardship", household=w["double"].household, person=w["double"].household.head,
        area=w["double"].area, case=payroll.case, decision=payroll.case.decisions.first(), status="active",
        monthly_amount=Decimal("900.00"), start_month=before, next_recheck_date=D(2026, 10, 1))
    # b. a man who moved in from another county, whose enrollment there never ended
    w["moved"] = payroll.enroll("800.00")
    w["moved_old"] = Enrollment.objects.create(
        program_id="dibao", household=w["moved"].household, person=w["moved"].household.head,
        area=_other_county_village(), case=payroll.case,
        decision=payroll.case.decisions.first(), status="active", monthly_amount=Decimal("500.00"),
        start_month=D(2024, 1, 1), next_recheck_date=D(2026, 10, 1))
    # c. newest verification over the income limit (an older result under it); a clean one under
    old = VerificationRun.objects.create(kind="county", area_code=COUNTY, as_of=before, status="done", requested_by="t")
    new = VerificationRun.objects.create(kind="county", area_code=COUNTY, as_of=month, status="done", requested_by="t")
    w["rich"] = payroll.enroll("800.00")
    _result(w["rich"].household, old)
    w["rich_result"] = _result(w["rich"].household, new, per_capita="1500.00", assets="50000.00")
    _result(w["alive"].household, new)
    w["poorer_now"] = payroll.enroll("800.00")
    _result(w["poorer_now"].household, old, per_capita="2000.00")
    _result(w["poorer_now"].household, new, per_capita="100.00")
    # d, e. the officer who confirmed the walked case is registered as staff, and is its head's son
    officer_user = get_user_model().objects.get(pk=p.officer.user_id)
    son = Person.objects.create(household=w["alive"].household, area=w["alive"].area, name="儿子", sex="male",
                                id_number=new_id(D(1990, 1, 1)), birth_date=D(1990, 1, 1), relation_to_head="child")
    StaffIdentity.objects.create(user=officer_user, name="县干部", id_number=son.id_number, area_id=COUNTY,
                                 kind="county_staff")
    head_of_case = payroll.case.household.head
    Kinship.objects.create(person=head_of_case, relative=son, relation="child")
    Kinship.objects.create(person=son, relative=head_of_case, relation="parent")
    w["alive_unfiled"] = w["alive"]   # the son is a member of this enrolled household: itself unfiled
    w["walked"] = payroll.base
    # f. worker B's five cases approved at four times worker A's; a short survey and a long one
    for n in range(5):
        _clone_case(payroll.case, created_by="worker_a", amount="1000.00", on=month)
        w[f"b{n}"] = _clone_case(payroll.case, created_by="worker_b", amount="4000.00", on=month)
    get_user_model().objects.create_user("worker_b", password="x")
    w["short"] = Survey.objects.create(case=w["b0"], kind="household", conducted_on=month, findings="匆匆",
                                       recorded_by="worker_b", duration_minutes=8)
    Survey.objects.create(case=w["b1"], kind="household", conducted_on=month, findings="仔细", recorded_by="worker_b",
                          duration_minutes=45)
    return w
