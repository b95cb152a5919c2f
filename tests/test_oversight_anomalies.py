"""Anomaly reports (issue 18 part 6): each anomaly planted on a small county is found, nothing is
found on the clean households beside them, a second run finds nothing new and keeps the statuses
given, each finding opens one control complaint, and the run and the statuses are refused to the
wrong role and outside the area."""
from __future__ import annotations

from decimal import Decimal

import pytest

from safetynet.core.errors import NotFound, PermissionDenied, ValidationError
from safetynet.oversight.anomaly_models import AnomalyFinding, AnomalyRun
from safetynet.oversight.anomaly_run import run_anomalies
from safetynet.oversight.anomaly_services import findings_in_scope, set_finding_status
from safetynet.oversight.models import Complaint
from tests.anomaly_helpers import OTHER_COUNTY, pay, payroll, vdata, world  # noqa: F401 (fixtures)
from tests.conftest import COUNTY

pytestmark = pytest.mark.django_db


def test_every_planted_anomaly_is_found_and_nothing_else(world, payroll):  # noqa: F811
    officer = payroll.posts.officer
    run = run_anomalies(officer, COUNTY, world["month"])
    assert run.status == "done" and run.error == ""
    by_kind = {}
    for f in AnomalyFinding.objects.all():
        by_kind.setdefault(f.kind, []).append(f)
    # a. this month's line of each dead person; not last month's (the month of the death), not the widow's household
    assert {f.facts["payment"] for f in by_kind["deceased_paid"]} == {world["dead_paid"].pk, world["dead_registry_paid"].pk}
    dead = next(f for f in by_kind["deceased_paid"] if f.enrollment_id == world["dead"].pk)
    assert dead.person_id == world["dead"].household.head_id and dead.facts["source"] == "public_security"
    assert dead.amount == Decimal("800.00")
    # b.
    [double] = by_kind["incompatible"]
    assert double.person_id == world["double"].household.head_id
    assert double.facts["enrollments"] == sorted([world["double"].pk, world["double_sh"].pk])
    [moved] = by_kind["two_counties"]
    assert moved.enrollment_id == world["moved"].pk and moved.facts["counties"] == [COUNTY, OTHER_COUNTY]
    # c. only the household whose newest result is over; the older result of the other does not count
    [rich] = by_kind["over_limits"]
    assert rich.household_id == world["rich"].household_id
    assert rich.facts["result"] == world["rich_result"].pk and rich.facts["over"] == ["income", "financial_assets"]
    # d. the enrollments of both households with the staff member or his father in them
    assert {f.enrollment_id for f in by_kind["unfiled_relative"]} == {world["alive"].pk, world["walked"].pk}
    # e. the walked case was confirmed by the head's son
    [confirmed] = by_kind["confirmed_by_relative"]
    assert confirmed.case_id == payroll.case.pk and confirmed.staff_user_id == payroll.posts.officer.user_id
    # f.
    [high] = by_kind["high_amounts"]
    assert high.facts["worker"] == "worker_b" and high.facts["cases"] == 5 and high.facts["program"] == "dibao"
    [short] = by_kind["short_surveys"]
    assert short.facts["survey"] == world["short"].pk and short.case_id == world["b0"].pk and short.facts["minutes"] == 8
    assert set(by_kind) == {"deceased_paid", "incompatible", "two_counties", "over_limits", "unfiled_relative",
                            "confirmed_by_relative", "high_amounts", "short_surveys"}
    assert sum(run.counts.values()) == AnomalyFinding.objects.count() == 10


def test_nothing_is_found_on_clean_data(payroll, clock, vdata):  # noqa: F811
    month = clock().replace(day=1)
    for n in range(3):
        pay(payroll.enroll("800.00"), month)
    run = run_anomalies(payroll.posts.officer, COUNTY, month)
    assert run.status == "done" and run.counts == {} and not AnomalyFinding.objects.exists()
    assert not Complaint.objects.exists()


def test_a_second_run_finds_nothing_new_and_keeps_the_statuses(world, payroll):  # noqa: F811
    officer = payroll.posts.officer
    run_anomalies(officer, COUNTY, world["month"])
    finding = AnomalyFinding.objects.get(kind="incompatible")
    set_finding_status(actor=officer, finding_id=finding.pk, status="explained", note="特困转低保已办结")
    again = run_anomalies(officer, COUNTY, world["month"])
    assert again.counts == {} and sum(again.found.values()) == 10
    assert AnomalyFinding.objects.count() == 10 and Complaint.objects.count() == 10
    finding.refresh_from_db()
    assert finding.status == "explained" and finding.note == "特困转低保已办结" and finding.resolved_by == officer.username
    assert AnomalyRun.objects.count() == 2


def test_each_finding_opens_one_control_complaint(world, payroll):  # noqa: F811
    run_anomalies(payroll.posts.officer, COUNTY, world["month"])
    for finding in AnomalyFinding.objects.all():
        [complaint] = Complaint.objects.filter(source_key=f"anomaly:{finding.pk}")
        assert finding.complaint_id == complaint.pk
        assert complaint.channel == "control" and complaint.category.code == "control_finding"
        assert complaint.area_id.startswith(finding.area_id[:9])
        if finding.enrollment_id:
            assert complaint.enrollment_id == finding.enrollment_id
    dead = AnomalyFinding.objects.filter(kind="deceased_paid").first()
    assert "after the death" in dead.complaint.content


def test_the_run_is_refused_to_the_wrong_role_and_outside_the_county(world, payroll, make_actor):  # noqa: F811
    posts = payroll.posts
    for actor in (posts.worker, posts.leader, posts.county_leader, posts.inspector):
        with pytest.raises(PermissionDenied):
            run_anomalies(actor, COUNTY, world["month"])
    stranger = make_actor("county_officer", OTHER_COUNTY)
    with pytest.raises(NotFound):
        run_anomalies(stranger, COUNTY, world["month"])
    with pytest.raises(ValidationError):
        run_anomalies(posts.officer, COUNTY, "2025-13")
    assert not AnomalyRun.objects.exists()


def test_a_status_needs_the_permission_the_area_and_a_note(world, payroll, make_actor):  # noqa: F811
    posts = payroll.posts
    run_anomalies(posts.officer, COUNTY, world["month"])
    finding = AnomalyFinding.objects.get(kind="short_surveys")
    for actor in (posts.worker, posts.inspector, posts.county_leader):
        with pytest.raises(PermissionDenied):
            set_finding_status(actor=actor, finding_id=finding.pk, status="rectified", note="重新入户")
    with pytest.raises(NotFound):
        set_finding_status(actor=make_actor("county_officer", OTHER_COUNTY), finding_id=finding.pk, status="rectified",
                           note="重新入户")
    with pytest.raises(ValidationError) as error:
        set_finding_status(actor=posts.officer, finding_id=finding.pk, status="rectified", note=" ")
    assert error.value.field == "note"
    with pytest.raises(ValidationError):
        set_finding_status(actor=posts.officer, finding_id=finding.pk, status="closed", note="x")
    done = set_finding_status(actor=posts.officer, finding_id=finding.pk, status="rectified", note="重新入户\u200b调查")
    assert done.status == "rectified" and done.note == "重新入户调查"
    # a town's post sees the findings of its town only
    assert set(findings_in_scope(posts.other_worker).values_list("area_id", flat=True)) <= {
        a for a in AnomalyFinding.objects.values_list("area_id", flat=True) if a.startswith(posts.other_worker.area_code)}
