"""Payroll generation: amounts, the start-month rule, gradual exit, no bank account, arrears,
idempotent re-generation, interrupted runs, and the totals and change from last month."""
from decimal import Decimal

import pytest

from safetynet.core.errors import NotFound, PermissionDenied, ValidationError
from safetynet.payroll import services
from safetynet.payroll.models import Payment, PayrollRun
from tests.payments_helpers import D
from tests.conftest import COUNTY


def _payments(run):
    return {(p.enrollment_id, p.month, p.kind): p for p in Payment.objects.filter(run=run)}


def test_generation_pays_every_active_and_gradual_exit_enrollment_from_its_start_month(payroll):
    p = payroll
    active = p.enroll("1000.00")
    exiting = p.enroll("300.50", status="gradual_exit")
    later = p.enroll("800.00", start=D(2025, 11, 1))
    suspended = p.enroll("500.00", status="suspended")
    ended = p.enroll("400.00", status="ended")
    run = services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
    paid = {e for e, _m, _k in _payments(run)}
    assert paid == {p.base.pk, active.pk, exiting.pk}
    assert later.pk not in paid and suspended.pk not in paid and ended.pk not in paid
    assert run.status == "generated" and run.payment_count == 3
    assert run.total_amount == Decimal("2070.00") + Decimal("1000.00") + Decimal("300.50")
    amounts = {pay.enrollment_id: pay.amount for pay in Payment.objects.filter(run=run)}
    assert amounts[exiting.pk] == Decimal("300.50")
    assert run.added == {"regular": 3, "arrears": 0, "carry_mark": 0, "carried": 0}
    nov = services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-11")
    assert later.pk in {pay.enrollment_id for pay in Payment.objects.filter(run=nov)}


def test_no_bank_account_is_listed_not_paid_and_counted(payroll):
    p = payroll
    none = p.enroll("600.00", account="")
    run = services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
    row = Payment.objects.get(run=run, enrollment=none)
    assert row.status == "no_account"
    assert run.no_account_count == 1 and run.no_account_amount == Decimal("600.00")
    assert run.payable_amount + run.no_account_amount == run.total_amount


def test_second_generation_adds_nothing_and_an_interrupted_run_is_completed(payroll):
    p = payroll
    for i in range(6):
        p.enroll(f"{100 + i}.00")
    first = services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
    again = services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
    assert again.pk == first.pk and again.added["regular"] == 0
    assert Payment.objects.filter(run=first).count() == 7
    # Interrupted midway: half its payments missing and the run left "generating".
    ids = list(Payment.objects.filter(run=first).values_list("id", flat=True).order_by("id"))[:3]
    Payment.objects.filter(id__in=ids).delete()
    PayrollRun.objects.filter(pk=first.pk).update(status="generating")
    done = services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
    assert done.added["regular"] == 3 and done.status == "generated"
    assert Payment.objects.filter(run=first).count() == 7 == done.payment_count
    assert Payment.objects.values("enrollment_id", "month").distinct().count() == 7


def test_the_database_refuses_a_second_payment_for_the_same_enrollment_and_month(payroll):
    from django.db import IntegrityError, transaction

    p = payroll
    run = services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
    row = Payment.objects.get(run=run)
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(run=run, enrollment=row.enrollment, household=row.household, program=row.program,
                               area=row.area, month=row.month, amount=row.amount, bank_account=row.bank_account,
                               reference="another")


def test_arrears_for_a_decision_after_its_start_months_run(payroll):
    p = payroll
    services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
    services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-11")
    late = p.enroll("700.00", start=D(2025, 10, 1))   # decided after both runs were generated
    dec = services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-12")
    rows = Payment.objects.filter(run=dec, enrollment=late).order_by("month")
    assert [(r.month, r.kind, r.amount) for r in rows] == [
        (D(2025, 10, 1), "arrears", Decimal("700.00")), (D(2025, 11, 1), "arrears", Decimal("700.00")),
        (D(2025, 12, 1), "regular", Decimal("700.00"))]
    assert dec.summary["change"]["arrears"] == {"count": 2, "total": "1400.00"}
    again = services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-12")
    assert again.added["arrears"] == 0


def test_amount_change_and_end_are_explained_as_the_change_from_last_month(payroll):
    p = payroll
    stays = p.enroll("1000.00")
    rises = p.enroll("500.00")
    leaves = p.enroll("400.00")
    services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
    services.change_enrollment(actor=p.posts.officer, enrollment_id=rises.pk, amount="650.00", reason="收入减少")
    services.change_enrollment(actor=p.posts.officer, enrollment_id=leaves.pk, status="ended", reason="收入超标")
    newcomer = p.enroll("900.00", start=D(2025, 11, 1))
    nov = services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-11")
    change = nov.summary["change"]
    assert change["new"] == {"count": 1, "total": "900.00"}
    assert change["ended"] == {"count": 1, "total": "400.00"}
    assert change["changed"] == {"count": 1, "delta": "150.00"}
    assert change["total_change"] == "650.00"   # +900 −400 +150
    history = list(rises.changes.values_list("from_amount", "to_amount", "reason"))
    assert history == [(Decimal("500.00"), Decimal("650.00"), "收入减少")]
    by_town = nov.summary["by_town_program"]
    assert sum(Decimal(r["total"]) for r in by_town) == nov.total_amount
    assert stays.pk in set(Payment.objects.filter(run=nov).values_list("enrollment_id", flat=True))


def test_totals_by_town_and_program(payroll):
    p = payroll
    p.enroll("100.00", area=p.other_village)
    p.enroll("200.00", area=p.other_village, program="special_hardship")
    run = services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
    rows = {(r["town"], r["program"]): (r["count"], r["total"]) for r in run.summary["by_town_program"]}
    assert rows == {("130123100", "dibao"): (1, "2070.00"), ("130123102", "dibao"): (1, "100.00"),
                    ("130123102", "special_hardship"): (1, "200.00")}


def test_generation_refuses_bad_input_wrong_role_and_other_county(payroll, make_actor):
    p = payroll
    with pytest.raises(ValidationError) as err:
        services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-13")
    assert err.value.field == "month"
    with pytest.raises(PermissionDenied):
        services.generate_payroll_run(actor=p.posts.worker, county_code=COUNTY, month="2025-10")
    with pytest.raises(PermissionDenied):
        services.generate_payroll_run(actor=p.posts.county_leader, county_code=COUNTY, month="2025-10")
    from safetynet.areas.models import Area

    Area.objects.create(code="130124", name="栾城区", level="county", parent_id="1301")
    other_officer = make_actor("county_officer", "130124")
    with pytest.raises(NotFound):
        services.generate_payroll_run(actor=other_officer, county_code=COUNTY, month="2025-10")
    with pytest.raises(ValidationError):
        services.generate_payroll_run(actor=p.posts.officer, county_code="130123100", month="2025-10")
    assert not PayrollRun.objects.exists()
