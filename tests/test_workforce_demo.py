"""Issues 19 and 20 in the demo county, on one run of the demo (`build_demo_activity`, what `make
run` does; one run for both, since each run of the demo costs the suite a minute): the staff
register with training, work assigned by capacity, a month of work subsidies paid against
budgets, a provider with a contract and assigned work, service projects, the county overview
that shows them side by side; and medical assistance: two designated institutions with a month
of one-stop settlements and their statements, manual reimbursements, and the warning the
settlements' self-paid amounts raise."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from safetynet.areas.actors import actor_for_post, system_actor
from safetynet.areas.models import Post
from safetynet.cases.deliberation_models import DeliberationParticipant
from safetynet.demo.activity import build_demo_activity
from safetynet.demo.generator import generate_demo_county
from safetynet.funding.models import BudgetCharge, SubsidyRun
from safetynet.services.models import ProviderStatement, ServiceTask
from safetynet.services.project_models import ServiceProject
from safetynet.workforce.training_models import TrainingAttendance
from safetynet.workload import assignments
from safetynet.workload.assignment_demo import REASSIGN_NOTE
from safetynet.workload.models import WorkAssignment
from safetynet.workload.overview import town_loads
from tests.conftest import force_login

pytestmark = pytest.mark.django_db
COUNTY = "130123"


@pytest.fixture
def demo(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DATA_DIR = tmp_path / "data"
    settings.MEDIA_ROOT = tmp_path / "private"
    generate_demo_county(actor=system_actor(), people=600, seed=3)
    return build_demo_activity(seed=3)


def _actor(username: str):
    return actor_for_post(Post.objects.filter(user__username=username, is_active=True).order_by("id").first())


def test_the_demo_county_shows_its_workforce_funding_and_purchased_services(demo, client):
    assert demo.workforce["training"]["attendance"] == TrainingAttendance.objects.count() > 0
    assert demo.workforce["training"]["mentoring_pairs"] >= 1
    _check_workload(demo, client)
    _check_funding(demo, client)
    assert ServiceTask.objects.filter(status="accepted").exists() and ProviderStatement.objects.exists()
    assert set(ServiceProject.objects.values_list("status", flat=True)) >= {"approved", "rejected"}
    assert demo.workforce["funding"]["purchases_charged"] >= 1
    _check_overview(client)
    _check_medical(demo, client)


def _check_medical(demo, client):
    from safetynet.discovery.warning_models import Warning
    from safetynet.medical.models import Institution, MedicalStatement, Settlement

    m = demo.medical
    assert Institution.objects.count() == 2 and m["keys_issued"] == 2 and m["keys_rotated"] == 1
    assert m["settlements_last_month"] >= 20 and m["retried"] == 1 and m["conflicting_bill_refused"] == 1
    assert m["reversed"] == 1 and Settlement.objects.filter(status="reversed").count() == 1
    # Nothing settled twice: one settlement a visit, and the year totals equal the settlements'.
    assert Settlement.objects.filter(source="one_stop").count() == m["settled"]
    statuses = set(MedicalStatement.objects.values_list("status", flat=True))
    assert "approved" in statuses and "discrepant" in statuses, statuses
    assert m["reimbursement_approved"] == 1 and Settlement.objects.filter(source="manual").count() == 1
    assert m["reimbursement_reviewed"] == 1
    # The feed: a household's self-paid amounts from the settlements raised the medical warning.
    assert Warning.objects.filter(cause="medical", detail__source="safetynet.medical.feeds.self_paid_rows").exists()
    officer = force_login(client, _actor("county_officer"))
    for url in ("/medical/statements/", "/medical/institutions/", "/medical/settlements/", "/medical/categories/",
                "/medical/reimbursements/"):
        page = officer.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert page.status_code == 200, url
    # The health centre's statement, differing from its claim, waits on the county leader's home page.
    home = force_login(client, _actor("county_leader")).get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "待审批的医疗救助结算单" in home
    officer = force_login(client, _actor("county_officer"))
    settled = Settlement.objects.filter(status="settled", source="one_stop").order_by("pk").first()
    page = officer.get(f"/medical/people/{settled.person_id}/{settled.year}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200 and settled.institution.name in page.content.decode()


def _check_overview(client):
    """The county overview opens on the demo's figures for the county's posts, in Chinese; a town
    post does not have it."""
    page = force_login(client, _actor("county_leader")).get("/overview/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="overview-cards"' in body and "county-overview-data" in body
    assert force_login(client, _actor("town_worker")).get("/overview/").status_code == 403


def _check_workload(demo, client):
    """Every town's open work is held by its staff, proposed by capacity; two re-assigned."""
    counts = demo.workforce["workload"]
    assert counts["towns"] == 10 and counts["assigned"] > 0 and counts["reassigned"] == 2
    # (kept as history when the services' demo, after it, lends one of them to a provider)
    assert WorkAssignment.objects.filter(reason="reassigned", note=REASSIGN_NOTE).count() == 2
    officer = _actor("county_officer")
    towns = town_loads(officer, COUNTY, on=assignments.today())
    # Work nobody holds is what no town staff may take (relatives only), or what a provider was
    # lent and the county then took back (the services' demo, after this part).
    free = [r for t in towns for r in assignments.unassigned_refs(t.code)]
    taken_back = [r for r in free if WorkAssignment.objects.filter(
        reason="lent", is_current=False, **{f"{r.kind}_id": r.id}).exists()]
    assert len(free) == sum(t.unassigned for t in towns) <= counts["refused"] + len(taken_back)
    assert sum(t.open for t in towns) >= counts["assigned"] - 2
    # A second call adds nothing.
    from safetynet.workload.assignment_demo import build_assignment_demo

    again = build_assignment_demo(town_actors={}, actor_of=_actor, day=assignments.today())
    assert again["reassigned"] == 0
    page = force_login(client, officer).get("/workload/")
    assert page.status_code == 200 and "workload-chart-data" in page.content.decode()
    worker = _actor("town_worker")
    town_page = force_login(client, worker).get(f"/workload/towns/{worker.area_code}/")
    assert town_page.status_code == 200
    assert force_login(client, worker).get("/workload/mine/").status_code == 200


def _check_funding(demo, client):
    """A month of subsidies from the surveys and meetings, approved by another, against budgets."""
    funding = demo.workforce["funding"]
    assert funding["roll_participants"] == DeliberationParticipant.objects.count() > 0
    runs = list(SubsidyRun.objects.order_by("month"))
    assert [run.status for run in runs] == ["reconciled", "exported"]
    assert all(run.generated_by_username == "county_officer" and run.approved_by_username == "county_leader" for run in runs)
    assert runs[1].summary["by_kind"]["meeting"]["count"] == DeliberationParticipant.objects.count()
    assert BudgetCharge.objects.exists() and funding["lines_warned"] >= 1
    client.force_login(get_user_model().objects.get(username="county_leader"))
    page = client.get(f"/funding/?month={runs[1].month:%Y-%m}", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert runs[1].code in page and "工作补贴" in page
    assert client.get("/funding/spending/").status_code == 200
    assert "即将用完或已超出的预算" in client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
