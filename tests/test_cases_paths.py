"""Special hardship (POLICY.md §2) and the three paths of temporary assistance (§3): emergency
aid paid first with a paperwork debt, quick aid, and the approving level by amount."""
from __future__ import annotations

from decimal import Decimal

import pytest

from safetynet.cases import services
from safetynet.cases.errors import StepMissing, TransitionNotAllowed
from safetynet.cases.models import Case, Decision
from safetynet.cases.selectors import queue_for
from safetynet.core.errors import PermissionDenied, ValidationError
from safetynet.enrollments.models import Enrollment
from safetynet.registry.services import create_household
from tests.cases_helpers import D, investigators, new_id, walk

ALL_ABLE = {k: True for k in ("eating", "dressing", "bed_transfer", "toileting", "walking_indoors", "bathing")}


@pytest.fixture
def lone_elder(posts, village):
    """A 75-year-old living alone with no income, no supporter."""
    return create_household(actor=posts.worker, area_code=village.code, address="五保户", registration_type="urban",
                            members=[{"name": "孙五保", "id_number": new_id(D(1950, 5, 5)), "relation_to_head": "head",
                                      "work_ability": "none"}])


def _set(system, county, program, key, value):
    from safetynet.programs.services import set_parameter

    set_parameter(actor=system, program_code=program, key=key, area_code=county.code, value=value,
                  effective_from=D(2025, 9, 1), reason="test")


# --- special hardship ------------------------------------------------------------------------

def test_special_hardship_path_to_an_individual_enrollment(posts, lone_elder, clock, standards, system, county):
    _set(system, county, "special_hardship", "spot_check_ratio", "0")
    case = walk(posts, lone_elder, clock, to="notice_closed", program="special_hardship")
    assert case.covered_person_id == lone_elder.head_id and not case.spot_check_required
    # 15 working days for the town's survey (SH-2021 art. 13) and for the county's decision.
    assert case.limits["survey_days"] == 15 and case.limits["confirmation_days"] == 15
    services.confirm_case(actor=posts.officer, case_id=case.pk)
    enrollment = Enrollment.objects.get(case=case)
    # Basic living 1.3 × ¥900 = ¥1,170, full self-care adds nothing.
    assert enrollment.monthly_amount == Decimal("1170.00")
    assert enrollment.person_id == lone_elder.head_id
    assert enrollment.next_recheck_date == D(2026, 10, 1)


def test_special_hardship_survey_assesses_the_care_level(posts, lone_elder, clock, standards, system, county):
    _set(system, county, "special_hardship", "spot_check_ratio", "0")
    case = walk(posts, lone_elder, clock, to="accepted", program="special_hardship")
    with pytest.raises(ValidationError) as error:
        services.record_survey(actor=posts.worker, case_id=case.pk, conducted_on=clock(), investigators=investigators(),
                               findings="独居", signed_by_household=True)
    assert error.value.field == "daily_activities"
    with pytest.raises(ValidationError):
        services.record_survey(actor=posts.worker, case_id=case.pk, conducted_on=clock(), investigators=investigators(),
                               findings="独居", signed_by_household=True, daily_activities={"eating": False})
    four_unable = dict(ALL_ABLE, eating=False, dressing=False, bathing=False, toileting=False)
    survey = services.record_survey(actor=posts.worker, case_id=case.pk, conducted_on=clock(),
                                    investigators=investigators(), findings="卧床", signed_by_household=True,
                                    daily_activities=four_unable)
    assert survey.care_level == "full"
    services.record_manual_verification(actor=posts.verifier, case_id=case.pk, summary="无收入")
    case = services.give_town_opinion(actor=posts.worker, case_id=case.pk)
    # 1,170 basic living + the full-care standard ¥800 (local default).
    assert case.proposed_amount == Decimal("1970.00")


def test_special_hardship_spot_check_requires_the_county_visit(posts, lone_elder, clock, standards, system, county):
    _set(system, county, "special_hardship", "spot_check_ratio", "1")
    case = walk(posts, lone_elder, clock, to="notice_closed", program="special_hardship")
    assert case.spot_check_required and case.county_visit_required and not case.is_close_relative
    with pytest.raises(StepMissing):
        services.confirm_case(actor=posts.officer, case_id=case.pk)
    services.record_county_visit(actor=posts.officer, case_id=case.pk, conducted_on=clock(),
                                 investigators=investigators(), findings="抽查属实", signed_by_household=True)
    services.confirm_case(actor=posts.officer, case_id=case.pk)


def test_an_able_supporter_makes_the_person_ineligible(posts, lone_elder, clock, standards, system, county):
    _set(system, county, "special_hardship", "spot_check_ratio", "0")
    case = walk(posts, lone_elder, clock, to="accepted", program="special_hardship")
    services.record_survey(actor=posts.worker, case_id=case.pk, conducted_on=clock(), investigators=investigators(),
                           findings="有子女", signed_by_household=True, daily_activities=ALL_ABLE,
                           supporters=[{"birth_date": "1980-01-01", "name": "孙子", "relation": "child"}])
    services.record_manual_verification(actor=posts.verifier, case_id=case.pk, summary="无收入")
    case = services.give_town_opinion(actor=posts.worker, case_id=case.pk)
    assert case.proposed_eligible is False and case.next_action == "refuse"


# --- temporary: emergency --------------------------------------------------------------------

def _temporary(posts, household, kind, amount):
    return services.apply_for_assistance(actor=posts.worker, program_code="temporary", household_id=household.pk,
                                         applicant_id=household.head_id, channel="walk_in", kind=kind,
                                         requested_amount=amount, reason="火灾")


def test_emergency_aid_is_paid_first_and_the_paperwork_is_a_debt(posts, poor_household, clock, standards):
    case = _temporary(posts, poor_household, "emergency", "2000")
    assert case.next_action == "pay_first"
    decision = services.pay_emergency_aid_first(actor=posts.worker, case_id=case.pk)
    assert decision.outcome == "approved" and decision.monthly_amount == Decimal("2000.00")
    case.refresh_from_db()
    assert case.status == "paid_first" and case.is_open
    # Paperwork within 10 working days of Mon 22 Sep: 23–26, Sun 28 (make-up), 29, 30, then across
    # National Day (1–8 Oct) to 9, 10 and Sat 11 Oct (make-up).
    assert case.next_action == "complete_paperwork" and case.next_due == D(2025, 10, 11)
    queue = queue_for(posts.worker)
    assert [r.id for r in queue.rows if r.next_action == "complete_paperwork"] == [case.pk]
    with pytest.raises(StepMissing):
        services.complete_emergency_paperwork(actor=posts.worker, case_id=case.pk)
    services.record_survey(actor=posts.worker, case_id=case.pk, conducted_on=clock(), investigators=investigators(),
                           findings="房屋烧毁", signed_by_household=True)
    case = services.complete_emergency_paperwork(actor=posts.worker, case_id=case.pk)
    assert case.status == "confirmed" and not case.is_open
    assert not Enrollment.objects.exists()    # one-off aid: no monthly enrollment


def test_emergency_aid_above_the_town_limit_is_not_paid_first(posts, poor_household, clock, standards):
    case = _temporary(posts, poor_household, "emergency", "5000")   # town limit 4 × 900 = 3,600
    with pytest.raises(ValidationError, match="Above the town's limit"):
        services.pay_emergency_aid_first(actor=posts.worker, case_id=case.pk)
    assert Case.objects.get(pk=case.pk).status == "applied" and not Decision.objects.exists()


def test_emergency_aid_over_the_town_limit_switches_to_the_ordinary_procedure(posts, poor_household, clock, standards):
    from safetynet.core.errors import NotFound
    from safetynet.core.models import AuditEvent

    case = _temporary(posts, poor_household, "emergency", "3000")
    with pytest.raises(ValidationError) as refused:
        services.pay_emergency_aid_first(actor=posts.worker, case_id=case.pk, amount="5000")
    assert refused.value.code == services.OVER_TOWN_LIMIT
    # Denied as hard as allowed: another town (404), a post that may not pay first (403), a wrong path.
    with pytest.raises(NotFound):
        services.switch_to_ordinary_procedure(actor=posts.other_worker, case_id=case.pk, amount="5000")
    with pytest.raises(PermissionDenied):
        services.switch_to_ordinary_procedure(actor=posts.officer, case_id=case.pk, amount="5000")
    switched = services.switch_to_ordinary_procedure(actor=posts.worker, case_id=case.pk, amount="5000", note="房屋全毁")
    case = Case.objects.get(pk=case.pk)
    assert (case.status, case.kind, case.path, case.next_action) == ("applied", "ordinary", "temporary:ordinary", "accept")
    assert case.requested_amount == Decimal("5000.00") and case.reason == "火灾" and case.version == switched.version
    event = case.events.get(action="switch_to_ordinary")
    assert event.note == "房屋全毁" and event.data["requested_amount"] == "5000.00"
    assert AuditEvent.objects.filter(action="cases.switch_to_ordinary", object_id=str(case.pk)).exists()
    with pytest.raises(TransitionNotAllowed):      # once ordinary, there is nothing to switch
        services.switch_to_ordinary_procedure(actor=posts.worker, case_id=case.pk)
    with pytest.raises(TransitionNotAllowed):
        services.pay_emergency_aid_first(actor=posts.worker, case_id=case.pk)
    services.accept_application(actor=posts.worker, case_id=case.pk)   # and it goes on by the ordinary path


def test_paying_out_of_order_is_refused(posts, poor_household, clock, standards):
    ordinary = _temporary(posts, poor_household, "ordinary", "1000")
    with pytest.raises(TransitionNotAllowed):
        services.pay_emergency_aid_first(actor=posts.worker, case_id=ordinary.pk)
    with pytest.raises(TransitionNotAllowed):
        services.approve_temporary_aid(actor=posts.worker, case_id=ordinary.pk)
    services.withdraw_case(actor=posts.worker, case_id=ordinary.pk, reason="改为急难")
    emergency = _temporary(posts, poor_household, "emergency", "1000")
    with pytest.raises(TransitionNotAllowed):
        services.complete_emergency_paperwork(actor=posts.worker, case_id=emergency.pk)
    with pytest.raises(PermissionDenied):
        services.pay_emergency_aid_first(actor=posts.officer, case_id=emergency.pk)


# --- temporary: quick aid --------------------------------------------------------------------

def test_quick_aid_is_capped_and_due_in_three_working_days(posts, poor_household, clock, standards):
    clock.set(D(2025, 9, 26))
    case = _temporary(posts, poor_household, "quick", "1500")
    assert case.next_action == "approve_quick_aid" and case.next_due == D(2025, 9, 30)
    decision = services.decide_quick_aid(actor=posts.worker, case_id=case.pk, approve=True)
    assert decision.monthly_amount == Decimal("900.00")   # at most 1 × the monthly standard (TA-2026)
    assert Case.objects.get(pk=case.pk).status == "confirmed"


def test_quick_aid_refusal_needs_reasons(posts, poor_household, clock, standards):
    case = _temporary(posts, poor_household, "quick", "500")
    with pytest.raises(ValidationError):
        services.decide_quick_aid(actor=posts.worker, case_id=case.pk, approve=False)
    decision = services.refuse_case(actor=posts.worker, case_id=case.pk, reasons="不属于急难情形")
    assert decision.outcome == "refused"


# --- temporary: ordinary, approving level by amount -----------------------------------------------

def _ordinary_to_review(posts, household, clock, amount):
    case = _temporary(posts, household, "ordinary", amount)
    services.accept_application(actor=posts.worker, case_id=case.pk)
    services.record_survey(actor=posts.worker, case_id=case.pk, conducted_on=clock(), investigators=investigators(),
                           findings="医疗支出大", signed_by_household=True)
    services.record_manual_verification(actor=posts.verifier, case_id=case.pk, summary="核实")
    return services.give_town_opinion(actor=posts.worker, case_id=case.pk)


@pytest.mark.parametrize("amount, level, denied, approver", [
    ("3000", "town", None, "worker"),               # ≤ 4 × 900
    ("6000", "county", "worker", "officer"),        # ≤ 10 × 900
    ("12000", "county_leader", "officer", "county_leader"),   # case by case
])
def test_ordinary_temporary_aid_is_approved_at_the_level_its_amount_needs(posts, poor_household, clock, standards,
                                                                          amount, level, denied, approver):
    case = _ordinary_to_review(posts, poor_household, clock, amount)
    assert case.approving_level == level and case.next_action == "approve_temporary_aid"
    if denied:
        with pytest.raises(PermissionDenied, match="approved by"):
            services.approve_temporary_aid(actor=getattr(posts, denied), case_id=case.pk)
    decision = services.approve_temporary_aid(actor=getattr(posts, approver), case_id=case.pk)
    assert decision.monthly_amount == Decimal(amount) and decision.approving_level == level


def test_raising_the_amount_at_approval_raises_the_level(posts, poor_household, clock, standards):
    case = _ordinary_to_review(posts, poor_household, clock, "3000")
    with pytest.raises(PermissionDenied):
        services.approve_temporary_aid(actor=posts.worker, case_id=case.pk, amount="5000")
    assert Case.objects.get(pk=case.pk).status == "town_reviewed"
    decision = services.approve_temporary_aid(actor=posts.officer, case_id=case.pk, amount="5000")
    assert decision.approving_level == "county"
