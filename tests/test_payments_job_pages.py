"""Pages that start and follow payments jobs (issue 5 parts 4–5): the payroll job page and its
polled progress bar, and the policy simulation page (form, progress, result with its chart)."""
import json

import pytest
from django.urls import reverse

from safetynet.payroll import jobs
from safetynet.payroll.models import PayrollRun
from tests.conftest import COUNTY

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}


@pytest.fixture(autouse=True)
def job_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.MEDIA_ROOT = tmp_path / "media"


def test_a_queued_generation_is_followed_until_its_run(payroll, login_site_language):
    from safetynet.payroll.tasks import generate_payroll_job

    p = payroll
    officer = login_site_language(p.posts.officer)
    started = officer.post(reverse("payments:runs"), {"county": COUNTY, "month": "2025-10"})
    job_id = started.url.rstrip("/").split("/")[-1]
    assert started.status_code == 302 and started.url == reverse("payments:job", args=[job_id])
    page = officer.get(started.url).content.decode()
    assert 'data-status="queued"' in page and reverse("payments:job_progress", args=[job_id]) in page
    bar = officer.get(reverse("payments:job_progress", args=[job_id]), HTTP_HX_REQUEST="true")
    assert bar.status_code == 200 and 'hx-trigger="every 1s"' in bar.content.decode()

    generate_payroll_job.call(job_id)           # a worker picks it up
    run = PayrollRun.objects.get()
    bar = officer.get(reverse("payments:job_progress", args=[job_id]), HTTP_HX_REQUEST="true")
    assert bar.status_code == 204 and bar["HX-Redirect"] == reverse("payments:run", args=[run.pk])
    landed = officer.get(bar["HX-Redirect"]).content.decode()
    assert run.code in landed and "¥2,070.00" in landed
    page = officer.get(reverse("payments:job", args=[job_id])).content.decode()
    assert 'data-status="done"' in page and "hx-get" not in page and reverse("payments:run", args=[run.pk]) in page


def test_who_may_see_a_job_page(payroll, login_site_language, make_actor):
    p = payroll
    job = jobs.start_generation(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
    assert login_site_language(p.posts.county_leader).get(reverse("payments:job", args=[job.id])).status_code == 403
    assert login_site_language(p.posts.other_worker).get(reverse("payments:job", args=[job.id])).status_code == 404
    assert login_site_language(p.posts.grid).get(reverse("payments:job", args=[job.id])).status_code == 403
    officer = login_site_language(p.posts.officer)
    assert officer.get(reverse("payments:job", args=["0" * 32])).status_code == 404
    assert officer.get(reverse("payments:job_progress", args=["..%2F..%2Fsettings"])).status_code == 404


def test_a_failed_export_comes_back_to_the_run_with_the_reason(payroll, login_site_language, settings):
    settings.TASKS = IMMEDIATE
    p = payroll
    officer = login_site_language(p.posts.officer)
    officer.post(reverse("payments:runs"), {"county": COUNTY, "month": "2025-10"})
    run = PayrollRun.objects.get()
    answer = officer.post(reverse("payments:export", args=[run.pk]), follow=True)
    assert answer.redirect_chain[-1][0] == reverse("payments:run", args=[run.pk])
    assert any("approved" in str(m) or "审批" in str(m) for m in answer.context["messages"])


def test_the_simulation_page(payroll, login_site_language, settings):
    settings.TASKS = IMMEDIATE
    p = payroll
    leader = login_site_language(p.posts.county_leader)
    form = leader.get(reverse("payments:simulation"))
    body = form.content.decode()
    assert form.status_code == 200 and 'name="key"' in body and "¥900.00" in body and 'value="130123"' in body
    assert reverse("payments:simulation") in leader.get(reverse("payments:runs")).content.decode()
    bad = leader.post(reverse("payments:simulation"), {"program": "dibao", "key": "urban_standard", "value": "abc",
                                                       "month": "2026-01"})
    assert bad.status_code == 422 and "is-invalid" in bad.content.decode() and 'value="abc"' in bad.content.decode()
    done = leader.post(reverse("payments:simulation"), {"program": "dibao", "key": "urban_standard", "value": "1000",
                                                        "month": "2026-01", "county": "999999"})   # the post's county wins
    assert done.status_code == 302
    page = leader.get(done.url)
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="raised">1<' in body and "¥2,400.00" in body
    chart = json.loads(page.context["chart"])
    assert chart == {"towns": ["正定镇"], "before": [2070.0], "after": [2400.0]}
    assert 'value="1000.00"' in body                       # the form shows what was simulated


def test_the_simulation_page_follows_a_queued_job_and_refuses_others(payroll, login_site_language, make_actor):
    from safetynet.areas.models import Area
    from safetynet.enrollments.simulation_tasks import simulate_policy_job

    p = payroll
    leader = login_site_language(p.posts.county_leader)
    started = leader.post(reverse("payments:simulation"), {"program": "dibao", "key": "rural_standard", "value": "800",
                                                           "month": "2026-01"})
    job_id = started.url.rstrip("/").split("/")[-1]
    assert started.url == reverse("payments:simulation_job", args=[job_id])
    assert 'data-testid="job-progress"' in leader.get(started.url).content.decode()
    simulate_policy_job.call(job_id)
    bar = leader.get(reverse("payments:job_progress", args=[job_id]), HTTP_HX_REQUEST="true")
    assert bar["HX-Refresh"] == "true"
    assert leader.get(reverse("payments:job", args=[job_id])).url == started.url
    assert 'data-testid="cost-after"' in leader.get(started.url).content.decode()

    for actor in (p.posts.worker, p.posts.inspector):
        assert login_site_language(actor).get(reverse("payments:simulation")).status_code == 403
    Area.objects.create(code="130124", name="栾城区", level="county", parent_id="1301")
    assert login_site_language(make_actor("county_leader", "130124")).get(started.url).status_code == 404
    generation = jobs.start_generation(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
    assert login_site_language(p.posts.officer).get(reverse("payments:simulation_job", args=[generation.id])).status_code == 404
