"""Changes and exits (issue 5 part 3): the amount each month is paid across a standard change, a
gradual exit, arrears and a death; decisions with their reasons; deductions for refused work;
special hardship ending after its notice; denial by role and area."""
from decimal import Decimal

import pytest

from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.enrollments import decisions
from safetynet.payroll import services
from safetynet.enrollments.models import EnrollmentChange, Overpayment, PendingEnding, WorkRefusalDeduction
from safetynet.payroll.models import Payment, PayrollRun
from tests.payments_helpers import D, walk
from tests.conftest import COUNTY
from tests.verification_helpers import import_other_datasets


def generate(p, month):
    return services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month=month)


def approve(p, run):
    return services.approve_payroll_run(actor=p.posts.county_leader, run_id=run.pk)


def paid(enrollment):
    """{month: (amount, kind)} of the enrollment's live payments."""
    return {pay.month: (pay.amount, pay.kind)
            for pay in Payment.objects.filter(enrollment=enrollment).exclude(status="carried_over")}


def enrolled_elder(posts, clock, village, name, birth, *, spouse_born=None):
    """A special-hardship enrollment of an elder living alone, or with his wife of `spouse_born`
    (no income: her own inability, aged 70 with low income, is recorded from the registry's
    proposal), the county's spot-check visit made when drawn."""
    from safetynet.cases import services as cases
    from safetynet.registry.models import Person
    from safetynet.registry.services import create_household
    from tests.cases_helpers import investigators, new_id

    household = create_household(actor=posts.worker, area_code=village.code, address=f"{name}家", registration_type="rural",
                                 bank_account=f"621700002{birth.year}", members=[
        {"name": name, "id_number": new_id(birth), "relation_to_head": "head"}]
        + ([{"name": f"{name}之妻", "id_number": new_id(spouse_born, sex="female"), "relation_to_head": "spouse"}]
           if spouse_born else []))
    elder = Person.objects.get(household=household, relation_to_head="head")
    case = walk(posts, household, clock, to="notice_closed", program="special_hardship", covered_person_id=elder.pk)
    if case.county_visit_required:
        cases.record_county_visit(actor=posts.officer, case_id=case.pk, conducted_on=clock(), investigators=investigators(),
                                  findings="抽查属实", signed_by_household=True)
    cases.confirm_case(actor=posts.officer, case_id=case.pk)
    return case.enrollments.get()


def set_standard(system, value, month):
    from safetynet.programs.services import set_parameter

    set_parameter(actor=system, program_code="dibao", key="urban_standard", area_code=COUNTY, value=value,
                  effective_from=month, reason="标准调整")


# ---------------------------------------------------------------------------------------------
# Amount of each month
# ---------------------------------------------------------------------------------------------
def test_each_month_is_paid_the_amount_in_force_across_a_standard_change(payroll, clock, system):
    p = payroll
    base = p.base                              # ¥2,070 from 2025-10 (urban standard ¥900)
    generate(p, "2025-10")
    set_standard(system, "1000.00", D(2026, 1, 1))
    clock.set(D(2025, 11, 20))
    change = decisions.decide_on_enrollment(actor=p.posts.officer, enrollment_id=base.pk, kind="amount",
                                            reason="城市低保标准自2026年1月起调整为1000元", effective_month="2026-01")
    # Re-assessed by the rule: (1000 − 300) × 3 + 30 % × 1000 for the child.
    assert change.kind == "amount" and change.to_amount == Decimal("2400.00") and change.effective_month == D(2026, 1, 1)
    assert change.assessment["monthly_amount"] == "2400.00" and change.facts["snapshot"]["members"]
    generate(p, "2025-11")
    generate(p, "2026-01")                     # January generated before December
    generate(p, "2025-12")
    assert paid(base) == {D(2025, 10, 1): (Decimal("2070.00"), "regular"), D(2025, 11, 1): (Decimal("2070.00"), "regular"),
                          D(2025, 12, 1): (Decimal("2070.00"), "regular"), D(2026, 1, 1): (Decimal("2400.00"), "regular")}
    base.refresh_from_db()
    assert base.monthly_amount == Decimal("2400.00") and base.status == "active"


def test_gradual_exit_pays_its_months_then_stops(payroll, clock, posts):
    from safetynet.enrollments.triggers import run_triggers
    from safetynet.registry.services import set_income_items

    p = payroll
    base = p.base
    set_income_items(actor=posts.worker, household_id=base.household_id, items=[
        {"category": "wages", "monthly_amount": "3000.00", "person_id": base.household.head_id, "description": "进厂打工"}])
    clock.set(D(2025, 10, 20))
    change = decisions.decide_on_enrollment(actor=p.posts.officer, enrollment_id=base.pk, kind="gradual_exit",
                                            reason="务工收入超过标准，渐退6个月", effective_month="2025-11")
    assert change.kind == "gradual_exit" and change.until_month == D(2026, 5, 1)
    base.refresh_from_db()
    assert base.status == "gradual_exit"
    for month in ("2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"):
        generate(p, month)
    months = paid(base)
    assert sorted(months) == [D(2025, 10, 1), D(2025, 11, 1), D(2025, 12, 1), D(2026, 1, 1), D(2026, 2, 1),
                              D(2026, 3, 1), D(2026, 4, 1)]
    assert {amount for amount, _kind in months.values()} == {Decimal("2070.00")}
    # Once the months are over the enrollment itself says ended (the triggers settle it).
    clock.set(D(2026, 5, 6))
    run_triggers(actor=posts.officer, county_code=COUNTY)
    base.refresh_from_db()
    assert base.status == "ended" and base.ended_on == D(2026, 5, 6)


def test_gradual_exit_refused_when_the_household_is_still_eligible(payroll, clock):
    p = payroll
    clock.set(D(2025, 10, 20))
    with pytest.raises(Conflict) as err:
        decisions.decide_on_enrollment(actor=p.posts.officer, enrollment_id=p.base.pk, kind="gradual_exit",
                                       reason="收入增加", effective_month="2025-11")
    assert err.value.code == "still_eligible"
    assert not EnrollmentChange.objects.filter(enrollment=p.base).exists()


def test_arrears_of_a_late_decision_pay_each_month_its_own_amount(payroll, clock):
    p = payroll
    generate(p, "2025-10")
    generate(p, "2025-11")
    late = p.enroll("1000.00", start=D(2025, 10, 1))   # decided after both runs
    clock.set(D(2025, 11, 25))
    services.change_enrollment(actor=p.posts.officer, enrollment_id=late.pk, amount="1100.00", reason="标准调整",
                               effective_month="2025-11")
    dec = generate(p, "2025-12")
    assert paid(late) == {D(2025, 10, 1): (Decimal("1000.00"), "arrears"), D(2025, 11, 1): (Decimal("1100.00"), "arrears"),
                          D(2025, 12, 1): (Decimal("1100.00"), "regular")}
    assert dec.summary["change"]["arrears"] == {"count": 2, "total": "2100.00"}
    assert generate(p, "2025-12").added["arrears"] == 0


def test_a_suspension_lifted_from_an_earlier_month_is_paid_as_arrears(payroll, clock):
    p = payroll
    e = p.enroll("800.00")
    clock.set(D(2025, 10, 10))
    decisions.decide_on_enrollment(actor=p.posts.officer, enrollment_id=e.pk, kind="suspension",
                                   reason="复核期间联系不上", effective_month="2025-11")
    generate(p, "2025-10")
    generate(p, "2025-11")
    assert D(2025, 11, 1) not in paid(e)
    clock.set(D(2025, 12, 2))
    decisions.decide_on_enrollment(actor=p.posts.officer, enrollment_id=e.pk, kind="resumption",
                                   reason="已联系上，核实无变化", effective_month="2025-11")
    generate(p, "2025-12")
    assert paid(e) == {D(2025, 10, 1): (Decimal("800.00"), "regular"), D(2025, 11, 1): (Decimal("800.00"), "arrears"),
                       D(2025, 12, 1): (Decimal("800.00"), "regular")}


def test_a_change_releases_a_draft_run_which_must_be_generated_again(payroll, clock):
    p = payroll
    e = p.enroll("800.00")
    oct_run = generate(p, "2025-10")
    clock.set(D(2025, 10, 12))
    services.change_enrollment(actor=p.posts.officer, enrollment_id=e.pk, amount="650.00", reason="收入增加",
                               effective_month="2025-10")
    assert D(2025, 10, 1) not in paid(e)
    with pytest.raises(Conflict):
        approve(p, oct_run)                     # its total no longer equals its payments
    generate(p, "2025-10")
    assert paid(e)[D(2025, 10, 1)] == (Decimal("650.00"), "regular")
    assert approve(p, PayrollRun.objects.get(pk=oct_run.pk)).status == "approved"


def test_an_increase_into_an_approved_month_is_refused(payroll, clock):
    p = payroll
    e = p.enroll("800.00")
    approve(p, generate(p, "2025-10"))
    clock.set(D(2025, 10, 20))
    with pytest.raises(Conflict) as err:
        services.change_enrollment(actor=p.posts.officer, enrollment_id=e.pk, amount="900.00", reason="补录",
                                   effective_month="2025-10")
    assert err.value.code == "month_already_paid"
    assert not EnrollmentChange.objects.filter(enrollment=e).exists()
    e.refresh_from_db()
    assert e.monthly_amount == Decimal("800.00")


def test_a_retroactive_suspension_of_approved_months_records_overpayments(payroll, clock):
    p = payroll
    e = p.enroll("800.00")
    approve(p, generate(p, "2025-10"))
    clock.set(D(2025, 11, 3))
    decisions.decide_on_enrollment(actor=p.posts.officer, enrollment_id=e.pk, kind="suspension",
                                   reason="核查发现隐瞒收入", effective_month="2025-10")
    over = list(Overpayment.objects.filter(enrollment=e).values_list("month", "paid", "due", "amount", "status"))
    assert over == [(D(2025, 10, 1), Decimal("800.00"), Decimal("0.00"), Decimal("800.00"), "open")]


# ---------------------------------------------------------------------------------------------
# Deductions for refused work (MLG-2021 art. 34)
# ---------------------------------------------------------------------------------------------
def test_a_member_who_refused_work_loses_his_share_for_the_months_named(payroll, clock):
    p = payroll
    base = p.base
    head = base.household.head_id
    clock.set(D(2025, 10, 15))
    change = decisions.record_work_refusal(actor=p.posts.officer, enrollment_id=base.pk, person_id=head, refusals=3,
                                           from_month="2025-11", to_month="2025-12", reason="三次无正当理由拒绝推荐工作")
    deduction = WorkRefusalDeduction.objects.get(change=change)
    # His share: the gap (900 − 300) = 600 (he is an adult without increment).
    assert deduction.amount == Decimal("600.00") and deduction.until_month == D(2026, 1, 1)
    assert change.to_amount == Decimal("1470.00")
    for month in ("2025-10", "2025-11", "2025-12", "2026-01"):
        generate(p, month)
    assert {m: a for m, (a, _k) in paid(base).items()} == {
        D(2025, 10, 1): Decimal("2070.00"), D(2025, 11, 1): Decimal("1470.00"), D(2025, 12, 1): Decimal("1470.00"),
        D(2026, 1, 1): Decimal("2070.00")}


def test_work_refusal_bad_input(payroll, clock):
    p = payroll
    base = p.base
    clock.set(D(2025, 10, 15))
    kwargs = dict(actor=p.posts.officer, enrollment_id=base.pk, person_id=base.household.head_id, from_month="2025-11",
                  to_month="2025-12", reason="拒绝工作")
    with pytest.raises(ValidationError) as err:
        decisions.record_work_refusal(refusals=2, **kwargs)
    assert err.value.field == "refusals"
    with pytest.raises(ValidationError) as err:
        decisions.record_work_refusal(**{**kwargs, "person_id": p.enroll().household.head_id}, refusals=3)
    assert err.value.field == "person"
    with pytest.raises(ValidationError) as err:
        decisions.record_work_refusal(**{**kwargs, "to_month": "2025-10"}, refusals=3)
    assert err.value.field == "to_month"
    decisions.record_work_refusal(refusals=3, **kwargs)
    with pytest.raises(Conflict):
        decisions.record_work_refusal(refusals=4, **kwargs)


# ---------------------------------------------------------------------------------------------
# Ending; special hardship after its notice
# ---------------------------------------------------------------------------------------------
def test_ending_dibao_stops_from_its_month(payroll, clock):
    p = payroll
    e = p.enroll("500.00")
    generate(p, "2025-10")
    clock.set(D(2025, 10, 20))
    change = decisions.decide_on_enrollment(actor=p.posts.officer, enrollment_id=e.pk, kind="ending",
                                            reason="户籍迁出本县")
    assert change.effective_month == D(2025, 11, 1) and change.to_status == "ended"
    e.refresh_from_db()
    assert e.status == "ended" and e.end_reason == "户籍迁出本县"
    generate(p, "2025-11")
    assert sorted(paid(e)) == [D(2025, 10, 1)]
    with pytest.raises(Conflict):
        decisions.decide_on_enrollment(actor=p.posts.officer, enrollment_id=e.pk, kind="suspension", reason="x")


def test_special_hardship_ends_only_after_its_seven_day_notice(posts, clock, standards, village):
    from safetynet.publicity.models import Notice

    enrollment = enrolled_elder(posts, clock, village, "赵老汉", D(1940, 1, 1))
    clock.set(D(2025, 11, 3))
    pending = decisions.decide_on_enrollment(actor=posts.officer, enrollment_id=enrollment.pk, kind="ending",
                                             reason="有了赡养能力的子女回乡")
    assert isinstance(pending, PendingEnding) and pending.notice_ends_on == D(2025, 11, 9)
    notice = Notice.objects.get(pk=pending.notice_id)
    assert notice.status == "posted" and notice.monthly_amount == 0 and notice.masked_name.startswith("赵")
    enrollment.refresh_from_db()
    assert enrollment.status == "active"
    with pytest.raises(Conflict) as err:
        decisions.apply_ending_after_notice(actor=posts.officer, pending_id=pending.pk)
    assert err.value.code == "notice_running"
    clock.set(D(2025, 11, 10))
    change = decisions.apply_ending_after_notice(actor=posts.officer, pending_id=pending.pk)
    assert change.effective_month == D(2025, 12, 1) and change.to_status == "ended"
    notice.refresh_from_db()
    assert notice.status == "closed"


def test_a_withdrawn_ending_leaves_the_support_going(posts, clock, standards, village):
    enrollment = enrolled_elder(posts, clock, village, "钱老太", D(1938, 1, 1))
    pending = decisions.decide_on_enrollment(actor=posts.officer, enrollment_id=enrollment.pk, kind="ending", reason="复核")
    with pytest.raises(ValidationError):
        decisions.withdraw_ending(actor=posts.officer, pending_id=pending.pk, reason="")
    decisions.withdraw_ending(actor=posts.officer, pending_id=pending.pk, reason="公示期间群众反映子女无赡养能力")
    pending.refresh_from_db()
    assert pending.status == "withdrawn"
    enrollment.refresh_from_db()
    assert enrollment.status == "active"


# ---------------------------------------------------------------------------------------------
# Denial and bad input
# ---------------------------------------------------------------------------------------------
def test_decisions_are_refused_to_the_wrong_role_and_area(payroll, clock):
    p = payroll
    e = p.enroll("500.00")
    other = p.enroll("500.00", area=p.other_village)
    for actor in (p.posts.worker, p.posts.cadre, p.posts.inspector, p.posts.grid):
        with pytest.raises(PermissionDenied):
            decisions.decide_on_enrollment(actor=actor, enrollment_id=e.pk, kind="suspension", reason="x")
    with pytest.raises(NotFound):
        decisions.decide_on_enrollment(actor=p.posts.leader, enrollment_id=other.pk, kind="suspension", reason="x")
    with pytest.raises(NotFound):
        decisions.record_work_refusal(actor=p.posts.leader, enrollment_id=other.pk, person_id=1, refusals=3,
                                      from_month="2025-11", to_month="2025-11", reason="x")
    assert decisions.decide_on_enrollment(actor=p.posts.leader, enrollment_id=e.pk, kind="suspension",
                                          reason="本镇审核暂停").to_status == "suspended"


def test_decisions_refuse_bad_input(payroll, clock):
    p = payroll
    e = p.enroll("500.00")
    officer = p.posts.officer
    with pytest.raises(ValidationError) as err:
        decisions.decide_on_enrollment(actor=officer, enrollment_id=e.pk, kind="suspension", reason="  ")
    assert err.value.field == "reason"
    with pytest.raises(ValidationError) as err:
        decisions.decide_on_enrollment(actor=officer, enrollment_id=e.pk, kind="raise", reason="x")
    assert err.value.field == "kind"
    with pytest.raises(ValidationError) as err:
        decisions.decide_on_enrollment(actor=officer, enrollment_id=e.pk, kind="suspension", reason="x",
                                       effective_month="2025-13")
    assert err.value.field == "effective_month"
    with pytest.raises(ValidationError) as err:
        decisions.decide_on_enrollment(actor=officer, enrollment_id=e.pk, kind="suspension", reason="x",
                                       effective_month="2025-09")
    assert err.value.field == "effective_month"
    with pytest.raises(Conflict):
        decisions.decide_on_enrollment(actor=officer, enrollment_id=e.pk, kind="resumption", reason="x")
    with pytest.raises(NotFound):
        decisions.decide_on_enrollment(actor=officer, enrollment_id="abc", kind="suspension", reason="x")
    assert not EnrollmentChange.objects.filter(enrollment=e).exists()


# ---------------------------------------------------------------------------------------------
# Special hardship re-assessed on the case's supporters and the care level last assessed
# ---------------------------------------------------------------------------------------------
def enrolled_elder_with_supporter(posts, clock, village):
    """A special-hardship enrollment of an elder living alone whose case page recorded a supporter
    the registry does not know (a son in prison)."""
    from safetynet.cases import services as cases
    from safetynet.cases.supporters import record_supporter
    from safetynet.registry.services import create_household
    from tests.cases_helpers import investigators, new_id

    household = create_household(actor=posts.worker, area_code=village.code, address="孙老汉家", registration_type="rural",
                                 bank_account="6217000031942", members=[
        {"name": "孙老汉", "id_number": new_id(D(1942, 2, 1)), "relation_to_head": "head"}])
    case = walk(posts, household, clock, to="verified", program="special_hardship", covered_person_id=household.head_id)
    record_supporter(actor=posts.worker, case_id=case.pk, name="孙大", relation="child", inability="imprisoned")
    cases.give_town_opinion(actor=posts.worker, case_id=case.pk, opinion="符合条件")
    cases.publish_notice(actor=posts.worker, case_id=case.pk)
    clock.advance(7)
    cases.close_notice(actor=posts.worker, case_id=case.pk)
    case.refresh_from_db()
    if case.county_visit_required:
        cases.record_county_visit(actor=posts.officer, case_id=case.pk, conducted_on=clock(), investigators=investigators(),
                                  findings="抽查属实", signed_by_household=True)
    cases.confirm_case(actor=posts.officer, case_id=case.pk)
    return case.enrollments.get()


def test_a_special_hardship_reassessment_reads_the_supporters_recorded_on_the_case(posts, clock, standards, village):
    from safetynet.enrollments import reassessment

    enrollment = enrolled_elder_with_supporter(posts, clock, village)
    outcome = reassessment.assess(enrollment, reassessment.facts_in_force(enrollment), D(2025, 12, 1))
    assert outcome.eligible
    said = " ".join(str(line.item) for line in outcome.breakdown)
    assert "孙大" in said            # the rule judged him (in prison: unable), as the case's own assessment did


def test_a_special_hardship_death_keeps_the_care_level_a_recheck_assessed(posts, clock, standards, village, vdata):
    """A re-check's survey found partial care and the amount rose by its care standard; a later
    re-assessment (here, the death of another member) starts from that level, not the case's."""
    from safetynet.enrollments import rechecks, triggers

    enrollment = enrolled_elder(posts, clock, village, "周老汉", D(1939, 4, 1), spouse_born=D(1941, 2, 2))
    clock.set(D(2025, 11, 3))
    recheck = rechecks.record_change_report(actor=posts.worker, enrollment_id=enrollment.pk, kind="income",
                                            description="老人行动不便，需要照料").recheck
    import_other_datasets(posts.officer)        # a complete report: the re-check may be decided on it
    rechecks.verify_recheck(actor=posts.worker, recheck_id=recheck.pk)
    rechecks.record_recheck_survey(actor=posts.worker, recheck_id=recheck.pk, conducted_on="2025-11-03",
                                   investigators=["刘一", "陈二"], findings="无法独立洗澡、行走", signed_by_household=True,
                                   daily_activities={"eating": True, "dressing": True, "bed_transfer": True,
                                                     "toileting": True, "walking_indoors": False, "bathing": False})
    before = enrollment.monthly_amount
    rechecks.close_recheck(actor=posts.officer, recheck_id=recheck.pk, outcome="amount", reason="照料等级变为部分护理")
    enrollment.refresh_from_db()
    assert enrollment.monthly_amount == before + Decimal("300.00")      # the partial-care standard
    spouse = enrollment.household.members.exclude(pk=enrollment.person_id).order_by("id").first()
    effect = triggers.death_effect(enrollment, spouse.pk, D(2025, 11, 20), spouse.name)
    assert effect is None or not effect.changes
