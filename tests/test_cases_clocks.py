"""Case clocks in working days across the 2025 National Day holiday (1–8 October off; Sunday
28 September and Saturday 11 October worked), as in tests/test_core_workdays.py."""
from __future__ import annotations

import pytest

from safetynet.cases import clocks, services
from safetynet.cases.models import Case
from tests.cases_helpers import D, investigators


def _apply_and_accept(posts, household):
    case = services.apply_for_assistance(actor=posts.worker, program_code="dibao", household_id=household.pk,
                                         applicant_id=household.head_id, channel="walk_in")
    return services.accept_application(actor=posts.worker, case_id=case.pk)


def test_deadlines_across_national_day(posts, poor_household, clock, standards):
    clock.set(D(2025, 9, 26))                      # accepted on Friday 26 September
    case = _apply_and_accept(posts, poor_household)
    # Survey starts within 3 working days: Sun 28 (make-up), Mon 29, Tue 30.
    assert (case.next_action, case.next_due) == ("record_survey", D(2025, 9, 30))
    # The whole case within 30 working days: 28, 29, 30 Sep; 9, 10, 11 (make-up) Oct; then
    # 13 Oct – 13 Nov (24 more).
    assert case.case_due == D(2025, 11, 13)
    clock.set(D(2025, 9, 30))
    services.record_survey(actor=posts.worker, case_id=case.pk, conducted_on=clock(), investigators=investigators(),
                           findings="困难", signed_by_household=True)
    case.refresh_from_db()
    # Verification starts within 3 working days of the request (30 Sep): 9, 10 and Sat 11 Oct.
    assert (case.next_action, case.next_due) == ("verify", D(2025, 10, 11))
    clock.set(D(2025, 10, 9))
    services.record_manual_verification(actor=posts.verifier, case_id=case.pk, summary="无异常")
    services.give_town_opinion(actor=posts.worker, case_id=case.pk)
    case = services.publish_notice(actor=posts.worker, case_id=case.pk)
    # 7 calendar days: 9–15 October; closed on the next working day.
    assert case.notice_ends_on == D(2025, 10, 15)
    assert (case.next_action, case.next_due) == ("close_notice", D(2025, 10, 16))
    clock.set(D(2025, 10, 16))
    case = services.close_notice(actor=posts.worker, case_id=case.pk)
    # County confirmation within 10 working days (17 Oct – 30 Oct), within the case limit.
    assert (case.next_action, case.next_due) == ("confirm", D(2025, 10, 30))
    deadlines = {d.step: d for d in clocks.case_deadlines(case)}
    assert deadlines["survey"].due == D(2025, 9, 30) and deadlines["survey"].state(clock()) == "done"
    assert deadlines["verification"].state(clock()) == "done"
    assert deadlines["confirmation"].state(clock()) == "upcoming"
    assert deadlines["case"].due == D(2025, 11, 13)
    assert deadlines["confirmation"].state(D(2025, 10, 30)) == "due_today"
    assert deadlines["confirmation"].state(D(2025, 10, 31)) == "overdue"


def test_extension_moves_the_case_limit_to_45_working_days(posts, poor_household, clock, standards):
    clock.set(D(2025, 9, 26))
    case = _apply_and_accept(posts, poor_household)
    case = services.extend_case(actor=posts.worker, case_id=case.pk, reason="需异地核对")
    # 15 more working days after 13 Nov: 14 Nov … 4 Dec.
    assert case.case_due == D(2025, 12, 4)
    assert case.next_due == D(2025, 9, 30)         # the survey is still due first


def test_a_late_step_is_shown_late(posts, poor_household, clock, standards):
    clock.set(D(2025, 9, 26))
    case = _apply_and_accept(posts, poor_household)
    clock.set(D(2025, 10, 10))
    services.record_survey(actor=posts.worker, case_id=case.pk, conducted_on=clock(), investigators=investigators(),
                           findings="困难", signed_by_household=True)
    case = Case.objects.get(pk=case.pk)
    survey = next(d for d in clocks.case_deadlines(case) if d.step == "survey")
    assert survey.state(clock()) == "late"


@pytest.mark.parametrize("program, days", [("dibao", 3), ("special_hardship", 15)])
def test_limits_come_from_the_program_parameters(program, days):
    from safetynet.programs.catalogue import default_values

    limits = clocks.limits_from_parameters(program, default_values(program), default_values("dibao"))
    assert limits["survey_days"] == days
    assert limits["case_days"] == 30 and limits["case_extended_days"] == 45
    assert clocks.limits_from_parameters("temporary", default_values("temporary"))["paperwork_days"] == 10
