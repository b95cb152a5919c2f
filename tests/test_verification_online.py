"""One household verified while the worker waits (issue 4): the report filed on the case, the
applicant's authorization required, only county officers and the verification service, in their
area; the batches of cases waiting and enrollments due."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from safetynet.core.errors import NotFound, PermissionDenied
from safetynet.verification.errors import AuthorizationMissing
from tests.cases_helpers import make_poor_household, walk
from tests.conftest import OTHER_TOWN


def waiting_case(posts, household, clock):
    return walk(posts, household, clock, to="surveyed")


@pytest.mark.django_db
def test_report_is_filed_on_the_waiting_case(found_household, posts, clock):
    from safetynet.cases.models import Case, VerificationReport
    from safetynet.core.models import AuditEvent
    from safetynet.verification.services import verify_household

    case = waiting_case(posts, found_household["household"], clock)
    report = verify_household(actor=posts.officer, household_id=found_household["household"].pk, case_id=case.pk)
    result = report.result
    assert result.flags == ["vehicle"]
    assert result.counted_income == Decimal("900.00") and result.financial_assets == Decimal("3000.00")
    assert result.rule["standard"] == "900.00" and result.rule["members"] == 3
    items = {(f["source"], f["item"]) for f in report.findings}
    assert items == {("hrss_wages", "wages"), ("vehicles", "vehicle"), ("deposits", "deposit")}
    car = next(f for f in report.findings if f["item"] == "vehicle")
    assert car["person_id"] == found_household["spouse"].pk and car["subject"] == "冀A9Z123" and car["snapshot_taken_on"] == dt.date.today()

    case = Case.objects.get(pk=case.pk)
    assert case.status == "verified"
    filed = VerificationReport.objects.get(pk=report.case_report_id)
    assert filed.source == "engine" and not filed.is_manual and filed.case_id == case.pk
    assert filed.findings["flags"] == ["vehicle"] and filed.findings["run"] == report.run.pk
    assert {"category": "vehicle", "quantity": 1} .items() <= next(a for a in filed.findings["assets"] if a["category"] == "vehicle").items()
    assert filed.total_monthly_income == Decimal("900.00")
    assert AuditEvent.objects.filter(action="verification.verify_household", object_id=str(report.run.pk)).exists()


@pytest.mark.django_db
def test_the_town_opinion_then_sees_the_verified_car(found_household, posts, clock):
    from safetynet.cases import services as cases
    from safetynet.verification.services import verify_household

    case = waiting_case(posts, found_household["household"], clock)
    verify_household(actor=posts.officer, household_id=found_household["household"].pk, case_id=case.pk)
    case = cases.give_town_opinion(actor=posts.worker, case_id=case.pk)
    assert case.proposed_eligible is False
    assert any("motor vehicles" in reason for reason in case.outcome["reasons"])


@pytest.mark.django_db
def test_authorization_must_exist_before_a_report(found_household, posts, clock):
    from safetynet.cases import services as cases
    from safetynet.verification.models import VerificationRun
    from safetynet.verification.services import verify_household

    with pytest.raises(AuthorizationMissing) as caught:
        verify_household(actor=posts.officer, household_id=found_household["household"].pk)   # no application at all
    assert caught.value.code == "authorization_missing" and caught.value.field == "authorization"
    applied = cases.apply_for_assistance(actor=posts.worker, program_code="dibao", household_id=found_household["household"].pk,
                                         applicant_id=found_household["household"].head_id, channel="walk_in")
    with pytest.raises(AuthorizationMissing):
        verify_household(actor=posts.officer, household_id=found_household["household"].pk, case_id=applied.pk)
    assert not VerificationRun.objects.exists()
    cases.accept_application(actor=posts.worker, case_id=applied.pk)   # the applicant signs
    report = verify_household(actor=posts.officer, household_id=found_household["household"].pk)
    assert report.case_report_id is None and report.result.flags == ["vehicle"]


@pytest.mark.django_db
def test_only_county_officers_and_the_service_in_their_area(found_household, posts, clock, make_actor):
    from safetynet.cases.errors import TransitionNotAllowed
    from safetynet.verification.models import VerificationRun
    from safetynet.verification.services import verification_service_actor, verify_household

    case = waiting_case(posts, found_household["household"], clock)
    household_id = found_household["household"].pk
    for actor in (posts.worker, posts.leader, posts.county_leader, posts.inspector, posts.cadre):
        with pytest.raises(PermissionDenied):
            verify_household(actor=actor, household_id=household_id, case_id=case.pk)
    with pytest.raises(NotFound):
        verify_household(actor=make_actor("county_officer", OTHER_TOWN), household_id=household_id, case_id=case.pk)
    assert not VerificationRun.objects.exists()
    report = verify_household(actor=verification_service_actor(), household_id=household_id, case_id=case.pk)
    assert report.case_report_id
    with pytest.raises(TransitionNotAllowed):   # verified already: the case no longer waits
        verify_household(actor=posts.officer, household_id=household_id, case_id=case.pk)
    assert VerificationRun.objects.count() == 1


@pytest.mark.django_db
def test_api_verify_household(found_household, posts, clock, client):
    from django.contrib.auth import get_user_model

    case = waiting_case(posts, found_household["household"], clock)
    url = f"/api/v1/verification/households/{found_household['household'].pk}/verify"
    client.force_login(get_user_model().objects.get(pk=posts.worker.user_id))
    denied = client.post(url, {"case_id": case.pk}, content_type="application/json")
    assert denied.status_code == 403
    client.force_login(get_user_model().objects.get(pk=posts.officer.user_id))
    answer = client.post(url, {"case_id": case.pk}, content_type="application/json")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["flags"] == ["vehicle"] and body["case_report"] and len(body["findings"]) == 3
    run = client.get(f"/api/v1/verification/runs/{body['run']}")
    assert run.status_code == 200 and run.json()["status"] == "done" and run.json()["households_done"] == 1


@pytest.mark.django_db
def test_batch_of_cases_waiting_files_each_report(found_household, posts, clock):
    from safetynet.cases.models import Case
    from safetynet.verification.services import run_verification

    case = waiting_case(posts, found_household["household"], clock)
    other = waiting_case(posts, make_poor_household(posts.worker, found_household["household"].area_id), clock)
    run = run_verification(actor=posts.officer, kind="cases", area_code=posts.officer.area_code)
    assert run.status == "done" and run.households_done == 2 and run.findings_storage == "database"
    assert set(run.notes["attached"]) == {str(case.pk), str(other.pk)} and run.notes["attach_errors"] == {}
    assert Case.objects.get(pk=case.pk).status == "verified" and Case.objects.get(pk=other.pk).status == "verified"
    assert run.flagged_households == 1
    # Every run is audited: its start (who, what, which snapshots) and its end (what it found).
    from safetynet.core.models import AuditEvent

    started = AuditEvent.objects.get(action="verification.start_run", object_id=str(run.pk))
    assert started.username == posts.officer.username and started.after["households"] == 2
    finished = AuditEvent.objects.get(action="verification.finish_run", object_id=str(run.pk))
    assert finished.after["flagged"] == 1 and finished.after["households"] == 2


@pytest.mark.django_db
def test_batch_of_enrollments_due_for_recheck(found_household, posts, clock):
    from safetynet.enrollments.models import Enrollment
    from safetynet.verification.models import HouseholdResult
    from safetynet.verification.services import run_verification, verification_service_actor

    other = make_poor_household(posts.worker, found_household["household"].area_id)
    walk(posts, other, clock, to="confirmed")
    Enrollment.objects.update(next_recheck_date=dt.date.today())
    run = run_verification(actor=verification_service_actor(), kind="due", area_code="130123")
    assert run.households_done == 1 and list(run.notes["enrollments"].values()) == [other.pk]
    assert HouseholdResult.objects.get(run=run).flags == []
