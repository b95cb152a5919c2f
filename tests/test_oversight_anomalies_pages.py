"""The anomaly reports' pages and API: a run started from the page (the job runs at once here)
and followed, its counts per kind and chart data, the findings filtered and paged, a finding's
drill-down and status; the API's runs, findings and status; denial by role and area."""
from __future__ import annotations

import pytest

from safetynet.oversight.anomaly_models import AnomalyFinding, AnomalyRun
from safetynet.oversight.anomaly_run import run_anomalies
from tests.anomaly_helpers import OTHER_COUNTY, payroll, vdata, world  # noqa: F401 (fixtures)
from tests.conftest import COUNTY, force_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def immediate_tasks(settings):
    """Jobs run as they are queued (the snapshots' data folder left as `vdata` set it)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}


@pytest.fixture
def reported(world, payroll):  # noqa: F811
    return run_anomalies(payroll.posts.officer, COUNTY, world["month"])


def test_the_run_is_started_from_the_page_and_shows_its_counts(world, payroll, client, immediate_tasks, django_capture_on_commit_callbacks):  # noqa: F811
    officer = payroll.posts.officer
    force_login(client, officer)
    page = client.get("/oversight/anomalies/")
    assert page.status_code == 200 and b"/oversight/anomalies/runs/start" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/oversight/anomalies/runs/start",
                             {"county": COUNTY, "month": world["month"].strftime("%Y-%m")})
    run = AnomalyRun.objects.get()
    assert answer.status_code == 302 and answer.url == f"/oversight/anomalies/runs/{run.pk}/"
    assert run.status == "done" and sum(run.counts.values()) == 10 and run.post_id == officer.post_id
    page = client.get(answer.url)
    assert page.status_code == 200 and b'id="anomaly-chart"' in page.content and b"hx-get" not in page.content
    progress = client.get(f"/oversight/anomalies/runs/{run.pk}/progress")
    assert progress.status_code == 200 and b'data-status="done"' in progress.content
    chart = client.get(f"/oversight/anomalies/runs/{run.pk}/chart.json").json()
    by_kind = {k["kind"]: k for k in chart["kinds"]}
    assert by_kind["deceased_paid"]["open"] == 2 and by_kind["short_surveys"]["total"] == 1


def test_findings_are_filtered_paged_and_drilled_down(reported, payroll, client):  # noqa: F811
    force_login(client, payroll.posts.officer)
    page = client.get("/oversight/anomalies/findings/", {"kind": "deceased_paid", "run": reported.pk})
    assert page.status_code == 200 and page.context["total"] == 2
    assert client.get("/oversight/anomalies/findings/", {"status": "rectified"}).context["total"] == 0
    assert client.get("/oversight/anomalies/findings/", {"town": payroll.village.code[:9]}).context["total"] == 10
    assert client.get("/oversight/anomalies/findings/", {"town": payroll.other_village.code[:9]}).context["total"] == 0
    assert client.get("/oversight/anomalies/findings/", {"page": "x"}).status_code == 200
    finding = AnomalyFinding.objects.get(kind="short_surveys")
    detail = client.get(f"/oversight/anomalies/findings/{finding.pk}/")
    assert detail.status_code == 200 and f'href="/cases/{finding.case_id}/"'.encode() in detail.content
    saved = client.post(f"/oversight/anomalies/findings/{finding.pk}/", {"status": "rectified", "note": "重新入户"})
    assert saved.status_code == 302
    finding.refresh_from_db()
    assert finding.status == "rectified"
    refused = client.post(f"/oversight/anomalies/findings/{finding.pk}/", {"status": "explained", "note": ""})
    assert refused.status_code == 200 and refused.context["error"].field == "note"


def test_pages_are_refused_by_role_and_area(reported, payroll, client, make_actor):  # noqa: F811
    finding = AnomalyFinding.objects.filter(kind="deceased_paid").first()
    force_login(client, payroll.posts.inspector)
    assert client.get(f"/oversight/anomalies/runs/{reported.pk}/").status_code == 200   # inspectors read
    assert client.post("/oversight/anomalies/runs/start", {"county": COUNTY, "month": "2025-09"}).status_code == 403
    assert client.post(f"/oversight/anomalies/findings/{finding.pk}/", {"status": "explained", "note": "x"}).status_code == 403
    force_login(client, payroll.posts.grid)
    assert client.get("/oversight/anomalies/").status_code == 403
    force_login(client, make_actor("county_officer", OTHER_COUNTY))
    assert client.get(f"/oversight/anomalies/runs/{reported.pk}/").status_code == 404
    assert client.get(f"/oversight/anomalies/findings/{finding.pk}/").status_code == 404
    assert client.post(f"/oversight/anomalies/findings/{finding.pk}/", {"status": "explained", "note": "x"}).status_code == 404
    force_login(client, payroll.posts.other_worker)   # a town sees its own town's findings only
    assert not finding.area_id.startswith(payroll.posts.other_worker.area_code)
    assert client.get(f"/oversight/anomalies/findings/{finding.pk}/").status_code == 404


def test_the_api_lists_runs_and_findings_and_sets_a_status(reported, payroll, api, make_actor):  # noqa: F811
    client = api(payroll.posts.officer)
    runs = client.get("/api/v1/oversight/anomalies/runs").json()
    assert runs["count"] == 1 and runs["items"][0]["id"] == reported.pk
    run = client.get(f"/api/v1/oversight/anomalies/runs/{reported.pk}").json()
    assert {k["kind"]: k["total"] for k in run["kinds"]}["two_counties"] == 1
    findings = client.get("/api/v1/oversight/anomalies/findings", {"kind": "over_limits", "limit": 5}).json()
    assert findings["count"] == 1 and findings["items"][0]["facts"]["over"] == ["income", "financial_assets"]
    fid = findings["items"][0]["id"]
    answer = client.post(f"/api/v1/oversight/anomalies/findings/{fid}/status",
                         {"status": "explained", "note": "存款为丧葬补偿金"}, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["status"] == "explained"
    bad = client.post(f"/api/v1/oversight/anomalies/findings/{fid}/status", {"status": "closed", "extra": 1},
                      content_type="application/json")
    assert bad.status_code == 422
    started = client.post("/api/v1/oversight/anomalies/runs", {"county": COUNTY, "month": "2025-09"},
                          content_type="application/json")
    assert started.status_code == 202 and AnomalyRun.objects.count() == 2
    inspector = api(payroll.posts.inspector)
    assert inspector.post(f"/api/v1/oversight/anomalies/findings/{fid}/status", {"status": "rectified", "note": "x"},
                          content_type="application/json").status_code == 403
    assert inspector.post("/api/v1/oversight/anomalies/runs", {"county": COUNTY, "month": "2025-09"},
                          content_type="application/json").status_code == 403
    stranger = api(make_actor("county_officer", OTHER_COUNTY))
    assert stranger.get(f"/api/v1/oversight/anomalies/findings/{fid}").status_code == 404
    assert stranger.post("/api/v1/oversight/anomalies/runs", {"county": COUNTY, "month": "2025-09"},
                         content_type="application/json").status_code == 404
    assert stranger.get("/api/v1/oversight/anomalies/findings").json()["count"] == 0


def test_the_pages_speak_chinese(reported, payroll, login_site_language):  # noqa: F811
    from tests.untranslated import english_words_in

    client = login_site_language(payroll.posts.officer)
    findings = [f"/oversight/anomalies/findings/{pk}/" for pk in AnomalyFinding.objects.values_list("pk", flat=True)]
    for url in ("/oversight/anomalies/", f"/oversight/anomalies/runs/{reported.pk}/",
                f"/oversight/anomalies/runs/{reported.pk}/progress", "/oversight/anomalies/findings/", *findings):
        page = client.get(url)
        assert page.status_code == 200, url
        html = page.content.decode()
        body = html.split('id="mainnav"', 1)[-1].split("</ul>", 1)[-1] if 'id="mainnav"' in html else html
        assert english_words_in(body) == [], url
