"""Work subsidies generated from the recorded work (issue 19 part 3): lost-time and transport
subsidies for each investigator of each survey and a meeting subsidy for each participant named on
a deliberation's roll, at the rates of the work's area and month; idempotent; only recorded work of
the month; statements per person with their account."""
from __future__ import annotations

from decimal import Decimal

import pytest

from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.funding import selectors, subsidies
from safetynet.funding.models import StatementStatus, SubsidyLine, SubsidyStatement
from tests.cases_helpers import D
from tests.conftest import COUNTY, OTHER_TOWN, TOWN
from tests.funding_helpers import set_workforce_parameter, work  # noqa: F401,F811 (a fixture)


def _lines(run, **filters):
    return list(SubsidyLine.objects.filter(run=run, **filters).order_by("id"))


def test_subsidies_from_surveys_and_meetings_at_the_rates_of_the_area(work, posts, system):
    # 新城铺镇 pays its investigators more for lost time from September.
    set_workforce_parameter(system, OTHER_TOWN, "survey_lost_time_subsidy", "80.00")
    run = subsidies.generate_subsidies(actor=posts.officer, county_code=COUNTY, month="2025-09")
    assert run.added == {"surveys": 8, "meetings": 3, "carried": 0, "statements": 7}
    here = _lines(run, survey_investigator__survey=work.survey)
    assert sorted((line.kind, line.amount) for line in here) == [
        ("lost_time", Decimal("50.00")), ("lost_time", Decimal("50.00")), ("transport", Decimal("20.00")),
        ("transport", Decimal("20.00"))]
    there = _lines(run, survey_investigator__survey=work.other_survey, kind="lost_time")
    assert [line.amount for line in there] == [Decimal("80.00")] * 2
    meeting = _lines(run, kind="meeting")
    assert {line.payee_id_number for line in meeting} == {p.id_number for p in work.roll}
    assert all(line.amount == Decimal("30.00") and line.worked_on == work.meeting.held_on for line in meeting)
    assert run.total_amount == Decimal(2 * 70 + 2 * 100 + 3 * 30)
    assert run.statement_count == 7 and run.line_count == 11
    # One statement per person: an investigator's two subsidies on one statement, to the roll's account.
    investigator = work.survey.investigators.first()
    statement = SubsidyStatement.objects.get(run=run, id_number=investigator.id_number)
    assert statement.amount == Decimal("70.00") and statement.line_count == 2
    assert statement.status == StatementStatus.NO_ACCOUNT and statement.bank_account == ""   # typed in, no account
    villager = SubsidyStatement.objects.get(run=run, id_number=work.roll[0].id_number)
    assert villager.bank_account == work.roll[0].bank_account and villager.status == StatementStatus.PENDING
    assert villager.reference == f"{run.code}-{villager.pk}" and run.code == "BT130123202509"


def test_the_staff_identitys_account_is_paid(work, posts, system):
    from safetynet.workforce.models import StaffIdentity

    investigator = work.survey.investigators.first()
    StaffIdentity.objects.create(name="登记姓名", id_number=investigator.id_number, area_id=TOWN, kind="town_staff",
                                 bank_account="6217000000000099")
    run = subsidies.generate_subsidies(actor=posts.officer, county_code=COUNTY, month="2025-09")
    statement = SubsidyStatement.objects.get(run=run, id_number=investigator.id_number)
    assert statement.bank_account == "6217000000000099" and statement.status == StatementStatus.PENDING
    assert statement.name == "登记姓名" and statement.staff_identity is not None


def test_generating_again_adds_only_what_is_new(work, posts):
    from safetynet.cases.deliberation_rolls import record_deliberation_roll
    from tests.funding_helpers import roll

    first = subsidies.generate_subsidies(actor=posts.officer, county_code=COUNTY, month="2025-09")
    again = subsidies.generate_subsidies(actor=posts.officer, county_code=COUNTY, month="2025-09")
    assert again.pk == first.pk and again.added == {"surveys": 0, "meetings": 0, "carried": 0, "statements": 0}
    assert again.total_amount == first.total_amount and SubsidyLine.objects.count() == 11
    record_deliberation_roll(actor=posts.cadre, deliberation_id=work.meeting.pk, participants=roll(2))
    third = subsidies.generate_subsidies(actor=posts.officer, county_code=COUNTY, month="2025-09")
    assert third.added["meetings"] == 2 and third.total_amount == first.total_amount + Decimal("60.00")
    assert SubsidyStatement.objects.filter(run=third).count() == 9
    # Nothing for another month's generation: the work is of September.
    october = subsidies.generate_subsidies(actor=posts.officer, county_code=COUNTY, month="2025-10")
    assert october.line_count == 0 and october.total_amount == 0


def test_no_work_is_subsidised_twice_in_the_database(work, posts):
    from django.db import IntegrityError, transaction

    run = subsidies.generate_subsidies(actor=posts.officer, county_code=COUNTY, month="2025-09")
    line = SubsidyLine.objects.filter(run=run, kind="lost_time").first()
    with pytest.raises(IntegrityError), transaction.atomic():
        SubsidyLine.objects.create(run=run, area_id=line.area_id, case_id=line.case_id, kind="lost_time",
                                   survey_investigator_id=line.survey_investigator_id, worked_on=line.worked_on,
                                   payee_id_number=line.payee_id_number, payee_name="x", amount=Decimal("1.00"))
    meeting = SubsidyLine.objects.filter(run=run, kind="meeting").first()
    with pytest.raises(IntegrityError), transaction.atomic():
        SubsidyLine.objects.create(run=run, area_id=meeting.area_id, case_id=meeting.case_id, kind="meeting",
                                   deliberation_participant_id=meeting.deliberation_participant_id,
                                   worked_on=meeting.worked_on, payee_id_number="x", payee_name="x", amount=Decimal("1.00"))
    with pytest.raises(IntegrityError), transaction.atomic():   # a line with no source of its kind
        SubsidyLine.objects.create(run=run, area_id=line.area_id, case_id=line.case_id, kind="meeting",
                                   survey_investigator_id=line.survey_investigator_id, worked_on=line.worked_on,
                                   payee_id_number="x", payee_name="x", amount=Decimal("1.00"))


def test_a_subsidy_for_work_not_recorded_is_refused(work, posts):
    with pytest.raises(ValidationError, match="Survey 999999 was not recorded") as error:
        subsidies.generate_subsidies(actor=posts.officer, county_code=COUNTY, month="2025-09", survey_ids=[999999])
    assert error.value.code == "unrecorded_work"
    with pytest.raises(ValidationError, match="not in 2025-10"):
        subsidies.generate_subsidies(actor=posts.officer, county_code=COUNTY, month="2025-10", survey_ids=[work.survey.pk])
    with pytest.raises(ValidationError, match="Deliberation meeting 888888 was not recorded"):
        subsidies.generate_subsidies(actor=posts.officer, county_code=COUNTY, month="2025-09", deliberation_ids=[888888])
    assert SubsidyLine.objects.count() == 0
    # Named work of the month: only it is paid.
    run = subsidies.generate_subsidies(actor=posts.officer, county_code=COUNTY, month="2025-09", survey_ids=[work.survey.pk],
                                       deliberation_ids=[])
    assert run.line_count == 4 and run.added["surveys"] == 4


def test_who_may_generate_and_see(work, posts):
    from dataclasses import replace

    with pytest.raises(PermissionDenied):
        subsidies.generate_subsidies(actor=posts.worker, county_code=COUNTY, month="2025-09")
    with pytest.raises(PermissionDenied):
        subsidies.generate_subsidies(actor=posts.county_leader, county_code=COUNTY, month="2025-09")
    with pytest.raises(NotFound):
        subsidies.generate_subsidies(actor=replace(posts.officer, area_code="130124"), county_code=COUNTY, month="2025-09")
    with pytest.raises(ValidationError):
        subsidies.generate_subsidies(actor=posts.officer, county_code=TOWN, month="2025-09")
    with pytest.raises(ValidationError):
        subsidies.generate_subsidies(actor=posts.officer, county_code=COUNTY, month="2025-13")
    run = subsidies.generate_subsidies(actor=posts.officer, county_code=COUNTY, month="2025-09")
    # A town post sees its own town's people and figures, never the county's.
    mine = selectors.statements_in_scope(posts.worker, run)
    assert mine.count() == 5 and all(s.area_id.startswith(TOWN) for s in mine)
    theirs = SubsidyStatement.objects.filter(run=run, area__code__startswith=OTHER_TOWN).first()
    with pytest.raises(NotFound):
        selectors.get_statement(posts.worker, theirs.pk)
    figures = selectors.run_figures(posts.worker, run)
    assert figures["total_amount"] == Decimal("230.00") and figures["statement_count"] == 5
    assert selectors.run_figures(posts.officer, run)["total_amount"] == Decimal("370.00")


def test_a_frozen_month_is_not_generated_again(work, posts, system):
    from safetynet.funding import subsidy_runs
    from tests.funding_helpers import budget

    budget(posts.officer, COUNTY, "10000.00")
    run = subsidies.generate_subsidies(actor=posts.officer, county_code=COUNTY, month="2025-09")
    subsidy_runs.approve_subsidy_run(actor=posts.county_leader, run_id=run.pk, on=D(2025, 10, 8))
    with pytest.raises(Conflict) as error:
        subsidies.generate_subsidies(actor=posts.officer, county_code=COUNTY, month="2025-09")
    assert error.value.code == "run_frozen"
