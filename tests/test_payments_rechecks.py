"""Change reports and the re-check queue (issue 5 part 3): reports land in the town's queue with a
due date in working days; scheduled re-checks open when due; a re-check runs through the
verification engine and a survey when needed and ends with a decision; denial by role and area."""
from decimal import Decimal

import pytest

from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.enrollments import change_selectors, rechecks
from safetynet.enrollments.models import ChangeReport, Enrollment, EnrollmentChange, Recheck
from tests.payments_helpers import D
from tests.conftest import COUNTY
from tests.verification_helpers import import_other_datasets


def report(p, actor, enrollment, kind="income", text="家中老人开始领取养老金"):
    return rechecks.record_change_report(actor=actor, enrollment_id=enrollment.pk, kind=kind, description=text)


def test_a_change_report_opens_a_recheck_in_the_towns_queue_due_in_working_days(payroll, clock):
    p = payroll
    e = p.enroll("600.00")
    clock.set(D(2025, 9, 26))                          # Friday before the National Day holiday
    first = report(p, p.posts.cadre, e)
    recheck = first.recheck
    assert recheck.reason == "change_report" and recheck.opened_on == D(2025, 9, 26)
    # 10 working days: the 1–8 October holiday skipped, the make-up Sundays 28 Sep and 11 Oct counted.
    assert recheck.due_on == D(2025, 10, 16)
    e.refresh_from_db()
    assert e.next_recheck_date == D(2025, 9, 26)       # the county's "due" verification batch takes it in
    second = report(p, p.posts.worker, e, kind="members", text="儿子结婚迁出")
    assert second.recheck_id == recheck.pk and Recheck.objects.filter(enrollment=e).count() == 1
    queue = change_selectors.rechecks_in_scope(p.posts.worker)
    assert list(queue) == [recheck]
    towns = change_selectors.recheck_queue_by_town(p.posts.officer, D(2025, 10, 20))
    assert [(t.town, t.open, t.overdue) for t in towns] == [("130123100", 1, 1)]
    assert not change_selectors.rechecks_in_scope(p.posts.other_worker).exists()


def test_change_reports_refused_to_the_wrong_role_area_and_input(payroll, clock):
    p = payroll
    e = p.enroll("600.00")
    ended = p.enroll("600.00", status="ended")
    with pytest.raises(PermissionDenied):
        report(p, p.posts.grid, e)
    with pytest.raises(PermissionDenied):
        report(p, p.posts.inspector, e)
    with pytest.raises(NotFound):
        report(p, p.posts.other_cadre, e)
    with pytest.raises(NotFound):
        report(p, p.posts.other_worker, e)
    with pytest.raises(ValidationError) as err:
        report(p, p.posts.cadre, e, kind="weather")
    assert err.value.field == "kind"
    with pytest.raises(ValidationError) as err:
        report(p, p.posts.cadre, e, text="   ")
    assert err.value.field == "description"
    with pytest.raises(ValidationError) as err:
        rechecks.record_change_report(actor=p.posts.cadre, enrollment_id=e.pk, kind="income", description="x",
                                      reported_on="2999-01-01")
    assert err.value.field == "reported_on"
    with pytest.raises(Conflict):
        report(p, p.posts.cadre, ended)
    assert not ChangeReport.objects.exists() and not Recheck.objects.exists()


def test_scheduled_rechecks_open_when_due_and_only_once(payroll, clock):
    from safetynet.enrollments.triggers import run_triggers

    p = payroll
    due = p.enroll("600.00")
    Enrollment.objects.filter(pk=due.pk).update(next_recheck_date=D(2025, 10, 15))
    clock.set(D(2025, 10, 9))
    result = run_triggers(actor=p.posts.officer, county_code=COUNTY)
    assert result.due_rechecks_opened == 1
    recheck = Recheck.objects.get(enrollment=due)
    assert recheck.reason == "scheduled" and recheck.due_on == D(2025, 10, 15)
    assert run_triggers(actor=p.posts.officer, county_code=COUNTY).due_rechecks_opened == 0
    assert Recheck.objects.count() == 1


def test_a_recheck_is_verified_surveyed_and_decided(payroll, clock, vdata):
    p = payroll
    base = p.base                                       # the walked case's household: ¥2,070
    clock.set(D(2025, 10, 20))
    opened = report(p, p.posts.cadre, base, kind="members", text="户主母亲随住，需重新核定").recheck
    with pytest.raises(Conflict) as err:
        rechecks.close_recheck(actor=p.posts.officer, recheck_id=opened.pk, outcome="kept", reason="无变化")
    assert err.value.code == "verification_missing"
    with pytest.raises(PermissionDenied):
        rechecks.verify_recheck(actor=p.posts.cadre, recheck_id=opened.pk)
    with pytest.raises(NotFound):
        rechecks.verify_recheck(actor=p.posts.other_worker, recheck_id=opened.pk)
    # Income went up (the town corrects the registry); the verification takes the larger of
    # declared and found, so the amount is re-assessed on ¥1,200.
    from safetynet.registry.services import set_income_items

    set_income_items(actor=p.posts.worker, household_id=base.household_id, items=[
        {"category": "wages", "monthly_amount": "1200.00", "person_id": base.household.head_id, "description": "打零工"}])
    import_other_datasets(p.posts.officer)              # every department's data there: a complete report
    verified = rechecks.verify_recheck(actor=p.posts.worker, recheck_id=opened.pk)
    assert verified.household_result_id and verified.verified_at
    with pytest.raises(Conflict) as err:
        rechecks.close_recheck(actor=p.posts.officer, recheck_id=opened.pk, outcome="kept", reason="无变化")
    assert err.value.code == "survey_missing"      # members changed: a home visit is needed
    with pytest.raises(ValidationError) as err:
        rechecks.record_recheck_survey(actor=p.posts.worker, recheck_id=opened.pk, conducted_on="2025-10-20",
                                       investigators=["刘一"], findings="入户核实")
    assert err.value.field == "investigators"
    rechecks.record_recheck_survey(actor=p.posts.worker, recheck_id=opened.pk, conducted_on="2025-10-20",
                                   investigators=["刘一", "陈二"], findings="入户核实收入增加", signed_by_household=True)
    with pytest.raises(PermissionDenied):
        rechecks.close_recheck(actor=p.posts.worker, recheck_id=opened.pk, outcome="amount", reason="收入增加")
    closed = rechecks.close_recheck(actor=p.posts.officer, recheck_id=opened.pk, outcome="amount",
                                    reason="复核：务工收入增加到1200元")
    assert closed.status == "closed" and closed.outcome == "amount"
    change = EnrollmentChange.objects.get(pk=closed.change_id)
    # (900 − 400) × 3 + 270 = 1,770, from the month after the decision.
    assert change.to_amount == Decimal("1770.00") and change.effective_month == D(2025, 11, 1)
    assert change.recheck_id == closed.pk
    base.refresh_from_db()
    assert base.monthly_amount == Decimal("1770.00")
    assert base.next_recheck_date == D(2026, 5, 1)   # wages and members able to work: every 6 months
    with pytest.raises(Conflict):
        rechecks.close_recheck(actor=p.posts.officer, recheck_id=opened.pk, outcome="kept", reason="again")


def test_a_recheck_kept_unchanged_and_its_bad_input(payroll, clock, vdata):
    p = payroll
    e = p.base
    clock.set(D(2025, 10, 20))
    recheck = report(p, p.posts.worker, e).recheck
    import_other_datasets(p.posts.officer)
    rechecks.verify_recheck(actor=p.posts.worker, recheck_id=recheck.pk)
    with pytest.raises(ValidationError) as err:
        rechecks.close_recheck(actor=p.posts.officer, recheck_id=recheck.pk, outcome="maybe", reason="x")
    assert err.value.field == "outcome"
    with pytest.raises(ValidationError) as err:
        rechecks.close_recheck(actor=p.posts.officer, recheck_id=recheck.pk, outcome="kept", reason="")
    assert err.value.field == "reason"
    with pytest.raises(ValidationError) as err:   # re-assessed, the amount would not change
        rechecks.close_recheck(actor=p.posts.officer, recheck_id=recheck.pk, outcome="amount", reason="x")
    assert err.value.code == "unchanged"
    with pytest.raises(NotFound):
        rechecks.close_recheck(actor=p.posts.other_leader, recheck_id=recheck.pk, outcome="kept", reason="x")
    closed = rechecks.close_recheck(actor=p.posts.leader, recheck_id=recheck.pk, outcome="kept", reason="收入情况未变")
    assert closed.outcome == "kept" and closed.change_id is None
    assert not EnrollmentChange.objects.filter(enrollment=e).exists()


def test_the_recheck_time_limit_is_the_areas_parameter_for_the_month(payroll, clock, system):
    """`recheck_days` from the programs catalogue (10 working days by default), resolved for the
    enrollment's area and the month the re-check opens."""
    from safetynet.programs import catalogue
    from safetynet.programs.services import set_parameter

    p = payroll
    spec = catalogue.get_spec("dibao", "recheck_days")
    assert spec.default == 10 and spec.type == catalogue.WORKING_DAYS and "POLICY.md §1" in spec.source
    assert catalogue.get_spec("special_hardship", "recheck_days").default == 10
    with pytest.raises(PermissionDenied):
        set_parameter(actor=p.posts.worker, program_code="dibao", key="recheck_days", area_code=COUNTY, value="5",
                      effective_from=D(2025, 11, 1), reason="本县规定5个工作日")
    with pytest.raises(NotFound):
        set_parameter(actor=p.posts.officer, program_code="dibao", key="recheck_days", area_code="130124", value="5",
                      effective_from=D(2025, 11, 1), reason="外县")
    set_parameter(actor=system, program_code="dibao", key="recheck_days", area_code=COUNTY, value="5",
                  effective_from=D(2025, 11, 1), reason="本县规定5个工作日")    # the past: only the system
    october, november = p.enroll("600.00"), p.enroll("600.00")
    clock.set(D(2025, 10, 20))                         # Monday, before the county's own value takes effect
    assert report(p, p.posts.cadre, october).recheck.due_on == D(2025, 11, 3)
    clock.set(D(2025, 11, 3))                          # Monday: 5 working days
    assert report(p, p.posts.cadre, november).recheck.due_on == D(2025, 11, 10)


def test_the_batch_of_enrollments_due_files_its_report_on_each_open_recheck(payroll, clock, vdata):
    """Issue 4 part 4: a report is attached to the re-check that asked for it, from a batch too.
    The batch takes in every enrollment with an open re-check (one opened ahead of its date too);
    a re-check the town already verified online keeps its own report."""
    import dataclasses

    from safetynet.core.models import AuditEvent
    from safetynet.verification.models import HouseholdResult
    from safetynet.verification.services import run_verification

    from tests.cases_helpers import new_id
    from tests.verification_helpers import import_rows

    p = payroll
    import_rows(p.posts.officer, "public_security_deaths",      # a batch reads the current snapshots
                [{"id_number": new_id(D(1930, 1, 1)), "name": "无关", "death_date": D(2025, 9, 1)}])
    import_other_datasets(p.posts.officer)                # and every other department's: complete reports
    reported, ahead, later = (p.enroll("600.00") for _ in range(3))
    online = p.base                                       # its household's own case holds the authorization
    Enrollment.objects.filter(pk__in=[ahead.pk, later.pk, online.pk]).update(next_recheck_date=D(2099, 1, 1))
    clock.set(D(2025, 10, 20))
    by_report = report(p, p.posts.cadre, reported).recheck
    scheduled = Recheck.objects.create(enrollment=ahead, area_id=ahead.area_id, reason="scheduled", opened_on=D(2025, 10, 20),
                                       due_on=D(2099, 1, 1))
    own = rechecks.verify_recheck(actor=p.posts.worker, recheck_id=report(p, p.posts.cadre, online).recheck_id)

    with pytest.raises(PermissionDenied):                 # the town does not run batches
        run_verification(actor=p.posts.worker, kind="due", area_code=COUNTY)
    elsewhere = dataclasses.replace(p.posts.officer, area_code="130123102")
    with pytest.raises(NotFound):
        run_verification(actor=elsewhere, kind="due", area_code="130123100")
    other_town = run_verification(actor=elsewhere, kind="due", area_code="130123102")
    assert other_town.notes["enrollments"] == {} and other_town.notes["rechecks"] == {}

    run = run_verification(actor=p.posts.officer, kind="due", area_code=COUNTY)
    assert set(run.notes["enrollments"]) == {str(reported.pk), str(ahead.pk), str(online.pk)}   # not `later`
    result_of = {r.household_id: r.pk for r in HouseholdResult.objects.filter(run=run)}
    for recheck, enrollment in ((by_report, reported), (scheduled, ahead)):
        recheck.refresh_from_db()
        assert (recheck.verification_run_id, recheck.household_result_id) == (run.pk, result_of[enrollment.household_id])
        event = AuditEvent.objects.get(action="payments.attach_verification", object_id=str(recheck.pk))
        assert event.username == p.posts.officer.username and event.after["run"] == run.pk
    kept = Recheck.objects.get(pk=own.pk)
    assert (kept.verification_run_id, kept.household_result_id) == (own.verification_run_id, own.household_result_id)
    assert run.notes["rechecks"] == {str(by_report.pk): result_of[reported.household_id],
                                     str(scheduled.pk): result_of[ahead.household_id]}
    again = run_verification(actor=p.posts.officer, kind="due", area_code=COUNTY)
    assert again.notes["rechecks"] == {}                  # each re-check keeps the report it got
    closed = rechecks.close_recheck(actor=p.posts.officer, recheck_id=by_report.pk, outcome="kept", reason="收入未变")
    assert closed.status == "closed"                     # it rests on the batch's report


def test_the_recheck_page_links_the_report_filed_on_it(payroll, clock, vdata, client_for):
    p = payroll
    clock.set(D(2025, 10, 20))
    recheck = report(p, p.posts.cadre, p.base).recheck
    client = client_for("town_worker", "130123100")
    page = client.get(f"/payments/changes/rechecks/{recheck.pk}/")
    assert page.status_code == 200 and b'data-testid="recheck-report"' not in page.content
    verified = rechecks.verify_recheck(actor=p.posts.worker, recheck_id=recheck.pk)
    page = client.get(f"/payments/changes/rechecks/{recheck.pk}/")
    assert f'/verification/reports/{verified.household_result_id}/'.encode() in page.content
    # no department sent anything here: the report is not an all-clear (issue 15, item 1)
    assert b'data-testid="result-incomplete"' in page.content and "无疑点".encode() not in page.content
    report_page = client.get(f"/verification/reports/{verified.household_result_id}/")
    assert report_page.status_code == 200
    # and the report links back to the re-check it was filed on
    assert f'href="/payments/changes/rechecks/{recheck.pk}/" data-testid="report-recheck"'.encode() in report_page.content
    other = client_for("town_worker", "130123102")
    assert other.get(f"/payments/changes/rechecks/{recheck.pk}/").status_code == 404
    assert other.get(f"/verification/reports/{verified.household_result_id}/").status_code == 404


def test_a_recheck_is_not_decided_on_a_report_that_read_nothing(payroll, clock, vdata):
    """Issue 15 item 1 for re-checks: with no department data the report is no all-clear, and the
    re-check cannot be closed "kept" on it until a county officer signs it with a reason for each
    missing dataset (it could before)."""
    from safetynet.verification.models import HouseholdResult
    from safetynet.verification.reports import report_gaps, sign_off_report

    p = payroll
    clock.set(D(2025, 10, 20))
    recheck = report(p, p.posts.worker, p.base).recheck
    verified = rechecks.verify_recheck(actor=p.posts.worker, recheck_id=recheck.pk)
    with pytest.raises(Conflict) as err:
        rechecks.close_recheck(actor=p.posts.officer, recheck_id=recheck.pk, outcome="kept", reason="收入情况未变")
    assert err.value.code == "verification_incomplete"
    assert Recheck.objects.get(pk=recheck.pk).status != "closed"
    result = HouseholdResult.objects.get(pk=verified.household_result_id)
    sign_off_report(actor=p.posts.officer, result_id=result.pk,
                    reasons={c.dataset: "该部门本月数据尚未报送，已电话核实" for c in report_gaps(result)})
    closed = rechecks.close_recheck(actor=p.posts.officer, recheck_id=recheck.pk, outcome="kept", reason="收入情况未变")
    assert closed.status == "closed" and closed.outcome == "kept"
