"""Case services: the dibao path to an enrollment, and every refusal the issue lists (same
person twice, materials asked twice, investigators, deliberation share, objections, refusals,
withdrawal, reopening, extension, documents)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction

from safetynet.cases import services
from safetynet.cases.errors import StepMissing, TransitionNotAllowed
from safetynet.cases.models import Case, CaseEvent, Decision, Survey
from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.enrollments.models import Enrollment
from safetynet.publicity.models import Notice, Objection
from safetynet.publicity.selectors import public_notices
from safetynet.registry.services import create_household, link_kinship, set_income_items
from tests.conftest import TOWN
from tests.cases_helpers import D, investigators, make_poor_household, new_id, walk


def _apply(posts, household, **extra):
    return services.apply_for_assistance(actor=posts.worker, program_code="dibao", household_id=household.pk,
                                         applicant_id=household.head_id, channel="walk_in", **extra)


def _set_parameter(system, county, key, value, program="dibao"):
    from safetynet.programs.services import set_parameter

    set_parameter(actor=system, program_code=program, key=key, area_code=county.code, value=value,
                  effective_from=D(2025, 9, 1), reason="test")


# --- the whole dibao path -----------------------------------------------------------------

def test_full_dibao_path_to_an_enrollment(posts, poor_household, clock, standards, village):
    case = walk(posts, poor_household, clock)
    assert case.status == "confirmed" and not case.is_open
    decision = Decision.objects.get(case=case)
    enrollment = Enrollment.objects.get(case=case)
    # Urban standard ¥900; per-capita 300: (900 − 300) × 3 = 1,800, plus 30 % × 900 for the child.
    assert decision.monthly_amount == enrollment.monthly_amount == Decimal("2070.00")
    assert decision.outcome == "approved"
    assert decision.snapshot_hash == case.snapshot_hash and len(case.snapshot_hash) == 64
    assert decision.parameters["urban_standard"] == "900.00"
    assert decision.assessment["eligible"] is True
    assert [line["amount"] for line in decision.assessment["breakdown"]][-1] == "2070.00"
    assert decision.verification_report.is_manual
    assert decision.letter_number.startswith("130123-2025-")
    # Confirmed on 2025-10-01's eve: paid from the next month (MLG-2021 art. 25).
    assert case.decided_on == D(2025, 9, 29)
    assert enrollment.start_month == D(2025, 10, 1)
    # An able-bodied head living on casual wages: re-checked after 6 months (REFORM-2020).
    assert enrollment.next_recheck_date == D(2026, 4, 1)
    assert enrollment.bank_account == poor_household.bank_account
    assert enrollment.person is None and enrollment.status == "active"
    assert enrollment.breakdown[-1]["amount"] == "2070.00"
    actions = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions == ["apply", "accept", "record_survey", "verify", "give_town_opinion", "publish_notice",
                       "close_notice", "confirm"]
    notice = Notice.objects.get(case=case)
    assert notice.status == "closed" and notice.members_count == 3 and notice.monthly_amount == Decimal("2070.00")
    head = poor_household.head
    assert notice.masked_name == head.name[:2] + "*" * (len(head.name) - 2) and head.name not in notice.masked_name
    assert notice.area_id == village.code[:12]


def test_stable_household_is_rechecked_yearly(posts, clock, standards, village):
    household = create_household(actor=posts.worker, area_code=village.code, address="敬老路1号", registration_type="urban",
                                 members=[{"name": "王老汉", "id_number": new_id(D(1948, 2, 1)), "relation_to_head": "head"},
                                          {"name": "赵老太", "id_number": new_id(D(1951, 3, 1), sex="female"),
                                           "relation_to_head": "spouse", "work_ability": "none"}])
    set_income_items(actor=posts.worker, household_id=household.pk,
                     items=[{"category": "pension", "monthly_amount": "500.00", "person_id": household.head_id}])
    case = walk(posts, household, clock)
    enrollment = Enrollment.objects.get(case=case)
    # per-capita 250: (900 − 250) × 2 = 1,300, plus two elderly increments of 270.
    assert enrollment.monthly_amount == Decimal("1840.00")
    assert enrollment.next_recheck_date == D(2026, 10, 1)


def test_the_notice_shows_only_what_policy_allows(posts, poor_household, clock, standards, village):
    walk(posts, poor_household, clock, to="in_notice")
    board = public_notices(village.code[:12], clock())
    assert len(board) == 1
    row = board[0]
    assert set(row) == {"id", "area_id", "program_code", "masked_name", "members_count", "monthly_amount", "starts_on", "ends_on",
                        "objection_state", "republished"}
    text = " ".join(str(v) for v in row.values())
    assert poor_household.head.id_number not in text and poor_household.address not in text
    assert row["ends_on"] == clock() + dt.timedelta(days=6)


# --- application ---------------------------------------------------------------------------

def test_same_person_in_two_open_applications_is_refused(posts, poor_household, clock, standards):
    case = _apply(posts, poor_household)
    with pytest.raises(Conflict):
        _apply(posts, poor_household)
    # Another member of the same household: a dibao case covers the whole household.
    spouse = poor_household.members.exclude(pk=poor_household.head_id).first()
    with pytest.raises(Conflict):
        services.apply_for_assistance(actor=posts.worker, program_code="dibao", household_id=poor_household.pk,
                                      applicant_id=spouse.pk, channel="walk_in")
    assert Case.objects.count() == 1
    # Withdrawn, the application may be filed again.
    services.withdraw_case(actor=posts.worker, case_id=case.pk, reason="申请人撤回")
    assert _apply(posts, poor_household).status == "applied"


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plan")
def test_the_duplicate_check_looks_up_the_person_and_household_not_every_case_of_the_program():
    """With `(applicant OR household) AND program`, SQLite walked every case of the program (and
    PostgreSQL every case), so
    filing grew slower with each case in the county (bench/bench_cases.py, 8.8 -> 28 ms a path)."""
    from safetynet.cases.services import _OPEN_CASES_BY

    for prepared in _OPEN_CASES_BY.values():
        args = ("dibao", [1])
        sql, plan, *_rest = prepared._compiled(args)
        params = [value if kind == "constant" else (args[place[0]] if place[1] is None else args[place[0]][place[1]])
                  for kind, place, value in plan]
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            steps = " | ".join(row[3] for row in cursor.fetchall())
        assert "(program_id=?)" not in steps, steps
        assert "SCAN" not in steps, steps


def test_the_database_refuses_two_open_cases_for_one_person(posts, poor_household, clock, standards):
    case = _apply(posts, poor_household)
    twin = Case.objects.get(pk=case.pk)
    twin.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save(force_insert=True)


def test_an_enrolled_household_reports_a_change_instead(posts, poor_household, clock, standards):
    walk(posts, poor_household, clock)
    with pytest.raises(Conflict, match="Already enrolled"):
        _apply(posts, poor_household)


def test_apply_denials_and_bad_input(posts, poor_household, clock, standards, other_village):
    with pytest.raises(PermissionDenied):
        services.apply_for_assistance(actor=posts.grid, program_code="dibao", household_id=poor_household.pk,
                                      applicant_id=poor_household.head_id, channel="walk_in")
    with pytest.raises(NotFound):
        services.apply_for_assistance(actor=posts.other_worker, program_code="dibao", household_id=poor_household.pk,
                                      applicant_id=poor_household.head_id, channel="walk_in")
    stranger = make_poor_household(posts.other_worker, other_village.code)
    with pytest.raises(ValidationError) as error:
        services.apply_for_assistance(actor=posts.worker, program_code="dibao", household_id=poor_household.pk,
                                      applicant_id=stranger.head_id, channel="walk_in")
    assert error.value.field == "applicant"
    with pytest.raises(ValidationError) as error:
        services.apply_for_assistance(actor=posts.cadre, program_code="dibao", household_id=poor_household.pk,
                                      applicant_id=poor_household.head_id, channel="entrusted_by_village")
    assert error.value.field == "entrusted_by"
    with pytest.raises(ValidationError) as error:
        services.apply_for_assistance(actor=posts.worker, program_code="housing", household_id=poor_household.pk,
                                      applicant_id=poor_household.head_id, channel="walk_in")
    assert error.value.field == "program"
    assert not Case.objects.exists()


def test_village_files_on_behalf_of_the_household(posts, poor_household, clock, standards):
    case = services.apply_for_assistance(actor=posts.cadre, program_code="dibao", household_id=poor_household.pk,
                                         applicant_id=poor_household.head_id, channel="entrusted_by_village",
                                         entrusted_by="村委会 王主任")
    assert case.entrusted_by == "村委会 王主任" and case.created_by == posts.cadre.username
    assert len(case.snapshot["members"]) == 3 and case.snapshot["income"][0]["monthly_amount"] == "900.00"


def test_snapshot_keeps_the_facts_of_the_day(posts, poor_household, clock, standards):
    case = _apply(posts, poor_household)
    set_income_items(actor=posts.worker, household_id=poor_household.pk,
                     items=[{"category": "wages", "monthly_amount": "5000.00", "person_id": poor_household.head_id}])
    case.refresh_from_db()
    assert case.snapshot["income"][0]["monthly_amount"] == "900.00"


# --- acceptance and materials -----------------------------------------------------------------

def test_acceptance_records_promise_and_authorization(posts, poor_household, clock, standards):
    case = _apply(posts, poor_household)
    with pytest.raises(ValidationError) as error:
        services.accept_application(actor=posts.worker, case_id=case.pk, promise_signed=False)
    assert error.value.field == "promise_signed"
    with pytest.raises(ValidationError) as error:
        services.accept_application(actor=posts.worker, case_id=case.pk, authorization_signed=False)
    assert error.value.field == "authorization_signed"
    case = services.accept_application(actor=posts.worker, case_id=case.pk)
    assert case.promise_signed_at and case.authorization_signed_at and case.consent_recorded_by == posts.worker.username
    assert case.accepted_on == clock() and not case.is_close_relative


def test_missing_materials_are_asked_for_once(posts, poor_household, clock, standards):
    case = _apply(posts, poor_household)
    case = services.accept_application(actor=posts.worker, case_id=case.pk, missing_materials=["户口本复印件", "病历"])
    assert case.status == "returned_for_supplement"
    assert case.missing_materials == ["户口本复印件", "病历"] and case.materials_requested_at
    with pytest.raises(TransitionNotAllowed):
        services.request_materials(actor=posts.worker, case_id=case.pk, items=["收入证明"])
    case = services.resume_case(actor=posts.worker, case_id=case.pk, note="材料已补齐")
    assert case.status == "accepted" and case.materials_resolved_at
    # A new list is possible only once the first was resolved...
    case = services.request_materials(actor=posts.worker, case_id=case.pk, items=["收入证明"])
    assert case.status == "returned_for_supplement"
    services.resume_case(actor=posts.worker, case_id=case.pk)
    # ... and an empty list is no request at all.
    with pytest.raises(ValidationError):
        services.request_materials(actor=posts.worker, case_id=case.pk, items=[" "])


def test_request_materials_twice_is_refused_by_the_guard(posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="accepted")
    services.request_materials(actor=posts.worker, case_id=case.pk, items=["病历"])
    Case.objects.filter(pk=case.pk).update(status="accepted")  # as if resumed without resolving (guard check)
    with pytest.raises(TransitionNotAllowed, match="already requested"):
        services.request_materials(actor=posts.worker, case_id=case.pk, items=["收入证明"])


# --- survey ---------------------------------------------------------------------------------

def _survey(posts, case, clock, people, **extra):
    return services.record_survey(actor=posts.worker, case_id=case.pk, conducted_on=clock(), investigators=people,
                                  findings="家中困难", signed_by_household=extra.pop("signed", True), **extra)


def test_survey_needs_two_distinct_investigators(posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="accepted")
    one = investigators(1)
    with pytest.raises(ValidationError, match="two different"):
        _survey(posts, case, clock, one)
    with pytest.raises(ValidationError, match="two different"):
        _survey(posts, case, clock, one + one)
    with pytest.raises(ValidationError) as error:
        _survey(posts, case, clock, investigators(), signed=False)
    assert error.value.field == "signed_by_household"
    with pytest.raises(ValidationError) as error:
        services.record_survey(actor=posts.worker, case_id=case.pk, conducted_on=clock() + dt.timedelta(days=1),
                               investigators=investigators(), findings="x", signed_by_household=True)
    assert error.value.field == "conducted_on"
    assert not Survey.objects.exists()
    survey = _survey(posts, case, clock, investigators())
    assert survey.investigators.count() == 2
    case.refresh_from_db()
    assert case.status == "surveyed" and case.verification_requested_on == clock()


def test_an_investigator_related_to_the_household_is_refused(posts, poor_household, clock, standards, village):
    case = walk(posts, poor_household, clock, to="accepted")
    member = poor_household.head
    with pytest.raises(ValidationError, match="member of the household"):
        _survey(posts, case, clock, investigators(1) + [{"name": member.name, "id_number": member.id_number}])
    # A cousin household's sibling of the head, registered elsewhere and linked in the registry.
    relative_number = new_id(D(1975, 1, 1))
    other = create_household(actor=posts.worker, area_code=village.code, address="另一户", registration_type="rural",
                             members=[{"name": "张弟", "id_number": relative_number, "relation_to_head": "head"}])
    link_kinship(actor=posts.worker, person_id=member.pk, relation="sibling", relative_id=other.head_id)
    with pytest.raises(ValidationError, match="close relative") as error:
        _survey(posts, case, clock, investigators(1) + [{"name": "张弟", "id_number": relative_number}])
    assert error.value.field == "investigators"
    assert Case.objects.get(pk=case.pk).status == "accepted"


def test_investigators_by_login_need_a_staff_identity(posts, poor_household, clock, standards, county, village):
    from safetynet.workforce.services import register_staff_identity

    case = walk(posts, poor_household, clock, to="accepted")
    with pytest.raises(ValidationError, match="not registered as staff"):
        _survey(posts, case, clock, [{"user_id": posts.worker.user_id}, {"user_id": posts.cadre.user_id}])
    register_staff_identity(actor=posts.officer, name="镇干部", id_number=new_id(D(1980, 1, 1)), area_code=TOWN,
                            kind="town_staff", user_id=posts.worker.user_id)
    cadre = register_staff_identity(actor=posts.officer, name="村干部", id_number=new_id(D(1981, 1, 1)),
                                    area_code=village.code, kind="village_committee")
    survey = _survey(posts, case, clock, [{"user_id": posts.worker.user_id}, {"staff_identity_id": cadre.pk}])
    assert sorted(survey.investigators.values_list("name", flat=True)) == ["村干部", "镇干部"]


# --- deliberation ----------------------------------------------------------------------------

def test_mandatory_deliberation_needs_two_thirds_village_representatives(posts, poor_household, clock, standards, system, county):
    _set_parameter(system, county, "mandatory_deliberation", True)
    case = walk(posts, poor_household, clock, to="verified")
    assert case.deliberation_required and case.next_action == "hold_deliberation"
    with pytest.raises(StepMissing):
        services.give_town_opinion(actor=posts.worker, case_id=case.pk)
    with pytest.raises(ValidationError, match="two thirds") as error:
        services.hold_deliberation(actor=posts.cadre, case_id=case.pk, held_on=clock(), participants=9,
                                   village_representatives=5, opinion="同意", votes_for=9)
    assert error.value.field == "village_representatives"
    with pytest.raises(ValidationError):
        services.hold_deliberation(actor=posts.cadre, case_id=case.pk, held_on=clock(), participants=9,
                                   village_representatives=10, opinion="同意")
    with pytest.raises(ValidationError):
        services.hold_deliberation(actor=posts.cadre, case_id=case.pk, held_on=clock(), participants=9,
                                   village_representatives=6, opinion="同意", votes_for=8, votes_against=2)
    assert Case.objects.get(pk=case.pk).status == "verified"
    meeting = services.hold_deliberation(actor=posts.cadre, case_id=case.pk, held_on=clock(), participants=9,
                                         village_representatives=6, opinion="同意", votes_for=8, votes_against=1)
    assert meeting.share_checked and meeting.reason == "mandatory"
    case = services.give_town_opinion(actor=posts.worker, case_id=case.pk)
    assert case.status == "town_reviewed"


def test_optional_deliberation_does_not_check_the_share(posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="verified")
    assert not case.deliberation_required
    meeting = services.hold_deliberation(actor=posts.worker, case_id=case.pk, held_on=clock(), participants=9,
                                         village_representatives=2, opinion="同意")
    assert not meeting.share_checked and meeting.reason == "optional"


# --- objections ------------------------------------------------------------------------------

def test_an_objection_forces_a_resurvey_or_deliberation_and_a_new_notice(posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="in_notice")
    case = services.record_objection(actor=posts.cadre, case_id=case.pk, content="该户有经营收入", objector_name="匿名")
    assert case.status == "contested"
    notice = Notice.objects.get(case=case)
    assert (notice.status, notice.objection_state) == ("posted", "under_objection")   # stays on the board, marked
    clock.advance(7)
    with pytest.raises(TransitionNotAllowed):
        services.close_notice(actor=posts.worker, case_id=case.pk)
    with pytest.raises(TransitionNotAllowed):
        services.give_town_opinion(actor=posts.worker, case_id=case.pk)
    services.record_survey(actor=posts.worker, case_id=case.pk, conducted_on=clock(), investigators=investigators(),
                           findings="复查：无经营收入", signed_by_household=True)
    case.refresh_from_db()
    assert case.status == "objection_resolved"
    assert Objection.objects.get(case=case).resolution == "resurvey"
    with pytest.raises(StepMissing):     # the objector is answered first
        services.give_town_opinion(actor=posts.worker, case_id=case.pk)
    services.answer_objection(actor=posts.worker, case_id=case.pk, finding="not_upheld", answer="复查未发现经营收入")
    services.give_town_opinion(actor=posts.worker, case_id=case.pk)
    services.publish_notice(actor=posts.worker, case_id=case.pk)
    clock.advance(7)
    services.close_notice(actor=posts.worker, case_id=case.pk)
    services.confirm_case(actor=posts.officer, case_id=case.pk)
    assert list(Notice.objects.filter(case=case).order_by("id").values_list("status", "objection_state", "republished")) == [
        ("closed", "not_upheld", False), ("closed", "", True)]


def test_an_objection_answered_by_deliberation(posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="in_notice")
    services.record_objection(actor=posts.worker, case_id=case.pk, content="有异议")
    meeting = services.hold_deliberation(actor=posts.cadre, case_id=case.pk, held_on=clock(), participants=7,
                                         village_representatives=5, opinion="异议不成立")
    assert meeting.reason == "objection"
    assert Case.objects.get(pk=case.pk).status == "objection_resolved"


# --- refusal, letters -------------------------------------------------------------------------

def test_an_ineligible_household_is_refused_with_reasons(posts, clock, standards, village):
    household = make_poor_household(posts.worker, village.code, wages="3000.00")
    case = walk(posts, household, clock, to="town_reviewed")
    assert case.proposed_eligible is False and case.next_action == "refuse"
    with pytest.raises(TransitionNotAllowed):
        services.publish_notice(actor=posts.worker, case_id=case.pk)
    with pytest.raises(PermissionDenied):
        services.refuse_case(actor=posts.worker, case_id=case.pk, reasons="收入超标")
    with pytest.raises(ValidationError) as error:
        services.refuse_case(actor=posts.officer, case_id=case.pk, reasons="  ")
    assert error.value.field == "reasons"
    clock.set(D(2025, 9, 26))   # a Friday before National Day
    decision = services.refuse_case(actor=posts.officer, case_id=case.pk, reasons="人均收入1000元，高于标准900元")
    assert decision.outcome == "refused" and decision.monthly_amount == 0
    # The letter within 3 working days: Sun 28 Sep (make-up day), Mon 29, Tue 30.
    assert decision.letter_due == D(2025, 9, 30)
    assert not Enrollment.objects.exists()
    decision = services.record_letter_issued(actor=posts.officer, decision_id=decision.pk)
    assert decision.letter_issued_at


def test_confirm_refuses_when_todays_standard_makes_the_household_ineligible(posts, poor_household, clock, standards, system, county):
    case = walk(posts, poor_household, clock, to="notice_closed")
    from safetynet.programs.services import set_parameter

    set_parameter(actor=system, program_code="dibao", key="urban_standard", area_code=county.code, value="250.00",
                  effective_from=D(2025, 9, 1), reason="test")
    with pytest.raises(TransitionNotAllowed, match="refuse instead"):
        services.confirm_case(actor=posts.officer, case_id=case.pk)
    assert Case.objects.get(pk=case.pk).status == "notice_closed"


# --- withdrawal, return, reopening, extension -------------------------------------------------

def test_withdraw_needs_a_reason_and_takes_the_notice_down(posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="in_notice")
    with pytest.raises(ValidationError):
        services.withdraw_case(actor=posts.worker, case_id=case.pk, reason="")
    with pytest.raises(PermissionDenied):
        services.withdraw_case(actor=posts.cadre, case_id=case.pk, reason="撤回")
    case = services.withdraw_case(actor=posts.worker, case_id=case.pk, reason="外出务工，收入增加")
    assert case.status == "withdrawn" and not case.is_open and case.next_action == ""
    assert Notice.objects.get(case=case).status == "withdrawn"
    with pytest.raises(TransitionNotAllowed):
        services.withdraw_case(actor=posts.worker, case_id=case.pk, reason="再撤")


def test_county_returns_a_case_for_supplement(posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="notice_closed")
    case = services.return_for_supplement(actor=posts.officer, case_id=case.pk, reason="调查记录不完整")
    assert case.status == "returned_for_supplement" and case.surveyed_on is None
    case = services.resume_case(actor=posts.worker, case_id=case.pk)
    assert case.status == "accepted"


def test_reopen_after_a_complaint(posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock)
    with pytest.raises(PermissionDenied):
        services.reopen_case(actor=posts.worker, case_id=case.pk, reason="投诉")
    with pytest.raises(ValidationError):
        services.reopen_case(actor=posts.officer, case_id=case.pk, reason="")
    clock.advance(30)
    case = services.reopen_case(actor=posts.officer, case_id=case.pk, reason="群众投诉：隐瞒收入")
    assert case.status == "reopened" and case.is_open and case.clock_started_on == clock()
    first = Enrollment.objects.get(case=case)
    assert first.status == "active"   # keeps paying until the new decision
    services.record_survey(actor=posts.worker, case_id=case.pk, conducted_on=clock(), investigators=investigators(),
                           findings="复查", signed_by_household=True)
    services.record_manual_verification(actor=posts.verifier, case_id=case.pk, summary="复核",
                                        findings={"income": [{"category": "wages", "monthly_amount": "1500.00",
                                                              "person_id": poor_household.head_id}]})
    case = services.give_town_opinion(actor=posts.worker, case_id=case.pk)
    # Verified wages 1,500: per-capita 500, (900 − 500) × 3 + 270 = 1,470.
    assert case.proposed_amount == Decimal("1470.00")
    services.publish_notice(actor=posts.worker, case_id=case.pk)
    clock.advance(7)
    services.close_notice(actor=posts.worker, case_id=case.pk)
    services.confirm_case(actor=posts.officer, case_id=case.pk)
    first.refresh_from_db()
    assert first.status == "ended"
    assert Enrollment.objects.get(case=case, status="active").monthly_amount == Decimal("1470.00")


def test_extension_needs_a_reason_and_happens_once(posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="surveyed")
    due = case.case_due
    with pytest.raises(ValidationError):
        services.extend_case(actor=posts.worker, case_id=case.pk, reason="")
    case = services.extend_case(actor=posts.worker, case_id=case.pk, reason="需跨省核对")
    assert case.extended and case.case_due > due and case.status == "surveyed"
    with pytest.raises(TransitionNotAllowed, match="already extended"):
        services.extend_case(actor=posts.worker, case_id=case.pk, reason="再延")


# --- verification ---------------------------------------------------------------------------

def test_manual_verification_findings_are_checked(posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="surveyed")
    with pytest.raises(ValidationError):
        services.record_manual_verification(actor=posts.verifier, case_id=case.pk, summary="")
    with pytest.raises(ValidationError):
        services.record_manual_verification(actor=posts.verifier, case_id=case.pk, summary="x",
                                            findings={"income": [{"category": "lottery", "monthly_amount": "1"}]})
    with pytest.raises(ValidationError):
        services.record_manual_verification(actor=posts.verifier, case_id=case.pk, summary="x",
                                            findings={"assets": [{"category": "deposit", "value": "-5"}]})
    report = services.record_manual_verification(
        actor=posts.officer, case_id=case.pk, summary="发现存款",
        findings={"assets": [{"category": "deposit", "value": "90000"}]}, total_financial_assets="90000")
    assert report.is_manual and report.source == "manual" and report.findings["assets"][0]["value"] == "90000.00"
    case = services.give_town_opinion(actor=posts.worker, case_id=case.pk)
    # 90,000 > 24 × 900 × 3 = 64,800: not eligible on the verified facts.
    assert case.proposed_eligible is False


# --- documents --------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_attach_a_photo(posts, poor_household, clock, standards, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = walk(posts, poor_household, clock, to="accepted")
    attachment = services.attach_document(actor=posts.worker, case_id=case.pk, description="住房照片",
                                          uploaded_file=SimpleUploadedFile("房屋.png", PNG, content_type="image/png"))
    assert attachment.content_type == "image/png"
    assert attachment.file.name.startswith(f"cases/{case.pk}/")
    assert (tmp_path / attachment.file.name).exists()
    with pytest.raises(ValidationError):
        services.attach_document(actor=posts.worker, case_id=case.pk,
                                 uploaded_file=SimpleUploadedFile("x.png", b"MZ\x90\x00" * 8, content_type="image/png"))
    with pytest.raises(NotFound):
        services.attach_document(actor=posts.other_worker, case_id=case.pk,
                                 uploaded_file=SimpleUploadedFile("x.png", PNG, content_type="image/png"))
    with pytest.raises(PermissionDenied):
        services.attach_document(actor=posts.inspector, case_id=case.pk,
                                 uploaded_file=SimpleUploadedFile("x.png", PNG, content_type="image/png"))
