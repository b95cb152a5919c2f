"""Automatic triggers from department data (issue 5 part 3): a death proposes stopping the member's
share from the month after it; confirmed, the payroll pays the new amount and the months already
paid are overpaid to recover; rejected with a reason, nothing changes; new vehicles, companies and
properties open re-checks; running twice proposes nothing new; denial by role and area."""
from decimal import Decimal

import pytest
from django.core.management import call_command

from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.payroll import services
from safetynet.enrollments import triggers
from safetynet.enrollments.models import ChangeProposal, Overpayment, Recheck, TriggerSignal
from safetynet.payroll.models import Payment
from safetynet.registry.models import Person
from tests.payments_helpers import D
from tests.conftest import COUNTY
from tests.verification_helpers import import_rows


def generate(p, month):
    return services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month=month)


def paid(enrollment):
    return {pay.month: pay.amount for pay in Payment.objects.filter(enrollment=enrollment).exclude(status="carried_over")}


def spouse_of(enrollment):
    return Person.objects.get(household_id=enrollment.household_id, relation_to_head="spouse")


def report_death(p, person, day):
    import_rows(p.posts.officer, "public_security_deaths",
                [{"id_number": person.id_number, "name": person.name, "death_date": day}])


def test_a_death_is_proposed_confirmed_and_paid_right_month_by_month(payroll, clock, vdata):
    p = payroll
    base = p.base                                     # ¥2,070: head, spouse, a child of 10
    for month in ("2025-10", "2025-11"):
        services.approve_payroll_run(actor=p.posts.county_leader, run_id=generate(p, month).pk)
    generate(p, "2025-12")                            # generated, not approved yet
    spouse = spouse_of(base)
    report_death(p, spouse, "2025-10-15")
    clock.set(D(2025, 12, 8))
    result = triggers.run_triggers(actor=p.posts.officer, county_code=COUNTY)
    assert result.new_signals == 1 and result.proposals == 1
    proposal = ChangeProposal.objects.get()
    # Without her: (900 − 900/2) × 2 + 270 for the child = 1,170, from November.
    assert (proposal.effective_month, proposal.current_amount, proposal.proposed_amount, proposal.status) == (
        D(2025, 11, 1), Decimal("2070.00"), Decimal("1170.00"), "pending")
    assert proposal.area_id == base.area_id and spouse.name in proposal.reason
    assert paid(base)[D(2025, 12, 1)] == Decimal("2070.00")   # nothing changes before confirmation
    again = triggers.run_triggers(actor=p.posts.officer, county_code=COUNTY)
    assert again.new_signals == 0 and again.proposals == 0 and ChangeProposal.objects.count() == 1

    with pytest.raises(PermissionDenied):
        triggers.confirm_proposal(actor=p.posts.cadre, proposal_id=proposal.pk)
    with pytest.raises(NotFound):
        triggers.confirm_proposal(actor=p.posts.other_worker, proposal_id=proposal.pk)
    confirmed = triggers.confirm_proposal(actor=p.posts.worker, proposal_id=proposal.pk)
    assert confirmed.status == "confirmed" and confirmed.change.kind == "death"
    assert confirmed.change.effective_month == D(2025, 11, 1) and confirmed.change.person_id == spouse.pk
    spouse.refresh_from_db()
    assert spouse.is_deceased                          # the registry follows
    # November was approved at ¥2,070: ¥900 to recover. December was a draft: released.
    assert list(Overpayment.objects.values_list("month", "paid", "due", "amount")) == [
        (D(2025, 11, 1), Decimal("2070.00"), Decimal("1170.00"), Decimal("900.00"))]
    assert D(2025, 12, 1) not in paid(base)
    generate(p, "2025-12")
    generate(p, "2026-01")
    assert paid(base) == {D(2025, 10, 1): Decimal("2070.00"), D(2025, 11, 1): Decimal("2070.00"),
                          D(2025, 12, 1): Decimal("1170.00"), D(2026, 1, 1): Decimal("1170.00")}
    with pytest.raises(Conflict):
        triggers.confirm_proposal(actor=p.posts.worker, proposal_id=proposal.pk)
    last = triggers.run_triggers(actor=p.posts.officer, county_code=COUNTY)
    assert last.new_signals == 0 and last.proposals == 0


def test_a_rejected_proposal_changes_nothing_and_is_not_proposed_again(payroll, clock, vdata):
    p = payroll
    alone = p.enroll("720.00")                        # one member: his death would end the enrollment
    head = Person.objects.get(pk=alone.household.head_id)
    report_death(p, head, "2025-10-03")
    clock.set(D(2025, 10, 20))
    triggers.run_triggers(actor=p.posts.officer, county_code=COUNTY)
    proposal = ChangeProposal.objects.get(enrollment=alone)
    assert proposal.proposed_status == "ended" and proposal.effective_month == D(2025, 11, 1)
    with pytest.raises(ValidationError) as err:
        triggers.reject_proposal(actor=p.posts.worker, proposal_id=proposal.pk, reason=" ")
    assert err.value.field == "reason"
    with pytest.raises(PermissionDenied):
        triggers.reject_proposal(actor=p.posts.inspector, proposal_id=proposal.pk, reason="同名同号")
    rejected = triggers.reject_proposal(actor=p.posts.worker, proposal_id=proposal.pk, reason="公安数据有误，本人健在，已入户核实")
    assert rejected.status == "rejected" and rejected.reject_reason.startswith("公安数据有误")
    alone.refresh_from_db()
    assert alone.status == "active"
    assert triggers.run_triggers(actor=p.posts.officer, county_code=COUNTY).proposals == 0
    generate(p, "2025-11")
    assert paid(alone) == {D(2025, 11, 1): Decimal("720.00")}


def test_a_death_during_a_gradual_exit_opens_a_recheck(payroll, clock, vdata):
    from safetynet.enrollments import decisions
    from safetynet.registry.services import set_income_items

    p = payroll
    base = p.base
    set_income_items(actor=p.posts.worker, household_id=base.household_id, items=[
        {"category": "wages", "monthly_amount": "3000.00", "person_id": base.household.head_id, "description": "进厂"}])
    clock.set(D(2025, 10, 20))
    decisions.decide_on_enrollment(actor=p.posts.officer, enrollment_id=base.pk, kind="gradual_exit", reason="渐退",
                                   effective_month="2025-11")
    report_death(p, spouse_of(base), "2025-12-01")
    clock.set(D(2025, 12, 10))
    result = triggers.run_triggers(actor=p.posts.officer, county_code=COUNTY)
    assert result.proposals == 0 and result.rechecks_opened == 1
    recheck = Recheck.objects.get(enrollment=base)
    assert recheck.reason == "department_data" and spouse_of(base).name in recheck.reason_detail


def test_new_vehicles_companies_and_properties_open_rechecks(payroll, clock, vdata):
    p = payroll
    car = p.enroll("600.00")
    shop = p.enroll("600.00")
    flat = p.enroll("600.00", area=p.other_village)
    old = p.enroll("600.00")
    moped = p.enroll("600.00")
    heads = {e.pk: Person.objects.get(pk=e.household.head_id) for e in (car, shop, flat, old, moped)}
    officer = p.posts.officer
    import_rows(officer, "vehicles", [
        {"id_number": heads[car.pk].id_number, "name": heads[car.pk].name, "plate": "冀A12345", "vehicle_type": "car",
         "registered_on": "2025-10-02"},
        {"id_number": heads[old.pk].id_number, "name": heads[old.pk].name, "plate": "冀A00001", "vehicle_type": "car",
         "registered_on": "2019-03-01"},                                  # known when decided
        {"id_number": heads[moped.pk].id_number, "name": heads[moped.pk].name, "plate": "冀A9999", "vehicle_type": "motorcycle",
         "registered_on": "2025-10-05"}])                                 # exempt (POLICY.md §1)
    import_rows(officer, "businesses", [{"id_number": heads[shop.pk].id_number, "name": heads[shop.pk].name,
                                         "company": "正定县某商贸有限公司", "role": "legal_rep", "registered_on": "2025-10-08"}])
    import_rows(officer, "real_estate", [{"id_number": heads[flat.pk].id_number, "name": heads[flat.pk].name,
                                          "address": "石家庄市某小区1-2-301", "use": "residential", "registered_on": "2025-10-09"}])
    clock.set(D(2025, 10, 20))
    result = triggers.run_triggers(actor=officer, county_code=COUNTY)
    assert result.rechecks_opened == 3 and result.proposals == 0
    opened = {r.enrollment_id: r for r in Recheck.objects.all()}
    assert set(opened) == {car.pk, shop.pk, flat.pk}
    assert opened[car.pk].reason == "department_data" and "冀A12345" in opened[car.pk].reason_detail
    assert opened[flat.pk].area_id == p.other_village.code
    assert TriggerSignal.objects.filter(enrollment=car, recheck=opened[car.pk], handled=True).exists()
    again = triggers.run_triggers(actor=officer, county_code=COUNTY)
    assert again.new_signals == 0 and again.rechecks_opened == 0 and Recheck.objects.count() == 3
    # The town sees its own re-checks only.
    from safetynet.enrollments import change_selectors

    assert set(change_selectors.rechecks_in_scope(p.posts.worker).values_list("enrollment_id", flat=True)) == {car.pk, shop.pk}
    assert set(change_selectors.rechecks_in_scope(p.posts.other_worker).values_list("enrollment_id", flat=True)) == {flat.pk}


def test_triggers_refused_to_the_wrong_role_and_county(payroll, make_actor):
    p = payroll
    for actor in (p.posts.worker, p.posts.county_leader, p.posts.inspector):
        with pytest.raises(PermissionDenied):
            triggers.run_triggers(actor=actor, county_code=COUNTY)
    from safetynet.areas.models import Area

    Area.objects.create(code="130124", name="栾城区", level="county", parent_id="1301")
    with pytest.raises(NotFound):
        triggers.run_triggers(actor=make_actor("county_officer", "130124"), county_code=COUNTY)
    with pytest.raises(ValidationError):
        triggers.run_triggers(actor=p.posts.officer, county_code="130123100")


def test_the_command_and_the_job_run_the_triggers(payroll, clock, vdata, capsys):
    from safetynet.enrollments.trigger_tasks import run_triggers_job

    p = payroll
    report_death(p, spouse_of(p.base), "2025-10-15")
    clock.set(D(2025, 10, 20))
    call_command("triggers", "--county", COUNTY)
    assert "1 changes proposed" in capsys.readouterr().out
    assert run_triggers_job.call(COUNTY)["proposals"] == 0
    assert ChangeProposal.objects.count() == 1
