"""The payments API (issue 5 part 5): payroll runs, enrollments, simulations and jobs. Each
endpoint answers the post whose work it is, 401 without credentials, 403 for a role that may
not, 404 outside the area; long actions answer 202 with a job the caller follows."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from safetynet.payroll.models import Payment, PayrollRun
from tests.payments_helpers import returns_file
from tests.conftest import COUNTY

BASE = "/api/v1/payments"
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}


@pytest.fixture
def api(client, settings, tmp_path):
    """api(actor) -> the client, logged in now as that post (session auth); jobs run as they are queued."""
    settings.TASKS = IMMEDIATE
    settings.DATA_DIR = tmp_path / "data"
    settings.MEDIA_ROOT = tmp_path / "media"

    def as_(actor):
        client.logout()
        client.force_login(get_user_model().objects.get(pk=actor.user_id))
        return client
    return as_


def post(client, path, body=None):
    return client.post(f"{BASE}{path}", body or {}, content_type="application/json")


def generate(api, p, month="2025-10"):
    answer = post(api(p.posts.officer), "/runs", {"county": COUNTY, "month": month})
    assert answer.status_code == 202, answer.content
    return PayrollRun.objects.get(month=f"{month}-01")


@pytest.fixture
def world(payroll, make_actor):
    from safetynet.areas.models import Area

    p = payroll
    p.elsewhere = p.enroll("800.00", area=p.other_village)      # another town's household
    Area.objects.create(code="130124", name="栾城区", level="county", parent_id="1301")
    p.other_county = make_actor("county_officer", "130124")
    return p


def test_a_run_from_generation_to_the_bank_and_back(api, world):
    p = world
    answer = post(api(p.posts.officer), "/runs", {"county": COUNTY, "month": "2025-10"})
    job = answer.json()
    assert answer.status_code == 202 and job["kind"] == "generate" and job["status"] == "done"
    assert job["url"] == f"{BASE}/jobs/{job['id']}" and job["done"] == job["total"] == 4
    followed = api(p.posts.officer).get(job["url"]).json()
    run = PayrollRun.objects.get()
    assert followed["result"]["run"] == run.pk and followed["result"]["total"] == "2870.00"

    officer = api(p.posts.officer)
    listed = officer.get(f"{BASE}/runs").json()
    assert listed["count"] == 1 and listed["items"][0]["code"] == run.code and listed["items"][0]["status"] == "generated"
    assert officer.get(f"{BASE}/runs?status=approved").json()["count"] == 0
    detail = officer.get(f"{BASE}/runs/{run.pk}").json()
    assert detail["total"] == "2870.00" and detail["payment_count"] == 2 and detail["export"] is None
    assert {t["town"] for t in detail["by_town_program"]} == {p.village.code[:9], p.other_village.code[:9]}
    assert detail["change"]["new"] == {"count": 2, "total": "2870.00"}
    totals = officer.get(f"{BASE}/runs/{run.pk}/totals").json()
    assert sum(float(t["total"]) for t in totals["by_town_program"]) == 2870.0 and totals["payable"] == "2870.00"
    assert officer.get(f"{BASE}/runs/{run.pk}/diff").json()["new"]["count"] == 2

    assert post(officer, f"/runs/{run.pk}/approve").status_code == 403          # the maker cannot check
    approved = post(api(p.posts.county_leader), f"/runs/{run.pk}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    again = post(api(p.posts.county_leader), f"/runs/{run.pk}/approve")
    assert again.status_code == 409 and again.json()["code"] == "run_frozen"

    exported = post(api(p.posts.officer), f"/runs/{run.pk}/export").json()
    assert exported["status"] == "done" and exported["result"]["export"]["files_total"] == "2870.00"
    detail = api(p.posts.officer).get(f"{BASE}/runs/{run.pk}").json()
    bank = detail["export"]["banks"][0]
    download = api(p.posts.officer).get(f"{BASE}/runs/{run.pk}/files/{bank['file']}")
    body = b"".join(download.streaming_content).decode()
    assert download.status_code == 200 and download["Content-Type"] == "text/csv; charset=utf-8" and body.count("\n") == 3
    assert body.startswith("\ufeffaccount,name,amount,reference")       # the bank's layout, with the BOM for Excel
    summary = api(p.posts.officer).get(f"{BASE}/runs/{run.pk}/files/{detail['export']['summary_file']}")
    text = b"".join(summary.streaming_content).decode("utf-8-sig")
    assert "本批次总计" in text or "Whole run" in text
    assert api(p.posts.officer).get(f"{BASE}/runs/{run.pk}/files/other.csv").status_code == 404
    assert api(p.posts.worker).get(f"{BASE}/runs/{run.pk}/files/{bank['file']}").status_code == 404   # county posts only

    rows = [(r, a, "paid", "") for r, a in Payment.objects.filter(run=run).values_list("reference", "amount")]
    upload = returns_file(rows)
    upload.name = "returns.csv"
    officer = api(p.posts.officer)
    returned = officer.post(f"{BASE}/runs/{run.pk}/returns", {"file": upload})
    assert returned.status_code == 202 and returned.json()["result"]["reconciled"] is True
    assert PayrollRun.objects.get().status == "reconciled"


def test_a_bad_return_file_fails_its_job_with_the_rows(api, world):
    p = world
    run = generate(api, p)
    post(api(p.posts.county_leader), f"/runs/{run.pk}/approve")
    post(api(p.posts.officer), f"/runs/{run.pk}/export")
    upload = returns_file([("NOPE", "1.00", "paid", "")])
    upload.name = "returns.csv"
    job = api(p.posts.officer).post(f"{BASE}/runs/{run.pk}/returns", {"file": upload}).json()
    assert job["status"] == "failed" and job["error_code"] == "bad_returns"
    assert len(job["error_rows"]) == 1 and "NOPE" in job["error_rows"][0]
    assert PayrollRun.objects.get().status == "exported"


def test_a_frozen_month_fails_the_generation_job(api, world):
    p = world
    run = generate(api, p)
    post(api(p.posts.county_leader), f"/runs/{run.pk}/approve")
    job = post(api(p.posts.officer), "/runs", {"county": COUNTY, "month": "2025-10"}).json()
    assert job["status"] == "failed" and job["error_code"] == "run_frozen"


def test_denials(api, world, client):
    p = world
    run = generate(api, p)
    enrollment = p.base.pk
    for method, path in [("get", "/runs"), ("get", f"/runs/{run.pk}"), ("get", f"/runs/{run.pk}/totals"),
                         ("get", f"/runs/{run.pk}/diff"), ("post", "/runs"), ("post", f"/runs/{run.pk}/approve"),
                         ("post", f"/runs/{run.pk}/export"), ("get", "/enrollments"), ("get", f"/enrollments/{enrollment}"),
                         ("get", f"/enrollments/{enrollment}/history"), ("post", "/simulations"), ("get", f"/jobs/{'a' * 32}")]:
        client.logout()
        assert getattr(client, method)(f"{BASE}{path}").status_code == 401, path

    grid = api(p.posts.grid)                                    # no payments.view
    assert grid.get(f"{BASE}/runs").status_code == 403
    assert grid.get(f"{BASE}/runs/{run.pk}").status_code == 403
    assert grid.get(f"{BASE}/enrollments").status_code == 403
    worker = api(p.posts.worker)
    assert post(worker, "/runs", {"county": COUNTY, "month": "2025-11"}).status_code == 403
    assert post(worker, f"/runs/{run.pk}/approve").status_code == 403
    assert post(worker, f"/runs/{run.pk}/export").status_code == 403
    simulation = {"county": COUNTY, "key": "urban_standard", "value": "1000", "month": "2026-01"}
    assert post(worker, "/simulations", simulation).status_code == 403
    assert post(api(p.posts.inspector), "/simulations", simulation).status_code == 403

    other = api(p.other_county)                                 # another county's officer
    assert other.get(f"{BASE}/runs").json()["count"] == 0
    for path in (f"/runs/{run.pk}", f"/runs/{run.pk}/totals", f"/runs/{run.pk}/diff", f"/enrollments/{enrollment}",
                 f"/enrollments/{enrollment}/history"):
        assert other.get(f"{BASE}{path}").status_code == 404, path
    assert post(other, f"/runs/{run.pk}/export").status_code == 404
    assert post(other, "/runs", {"county": COUNTY, "month": "2025-11"}).status_code == 404
    assert post(other, "/simulations", simulation).status_code == 404
    job = post(api(p.posts.officer), "/runs", {"county": COUNTY, "month": "2025-11"}).json()
    assert api(p.posts.county_leader).get(f"{BASE}/jobs/{job['id']}").status_code == 403   # the officer's job
    assert api(p.other_county).get(f"{BASE}/jobs/{job['id']}").status_code == 404
    assert api(p.posts.officer).get(f"{BASE}/jobs/{'0' * 32}").status_code == 404


def test_bad_input(api, world):
    officer = api(world.posts.officer)
    assert post(officer, "/runs", {"county": COUNTY, "month": "10/2025"}).status_code == 422
    assert post(officer, "/runs", {"county": "130123100", "month": "2025-10"}).status_code == 422
    leader = api(world.posts.county_leader)
    for body in ({"county": COUNTY, "key": "urban_standard", "value": "abc", "month": "2026-01"},
                 {"county": COUNTY, "key": "notice_days", "value": "9", "month": "2026-01"},
                 {"county": COUNTY, "key": "urban_standard", "value": "0", "month": "2026-01"}):
        answer = post(leader, "/simulations", body)
        assert answer.status_code == 422, body


def test_enrollments_are_scoped_and_have_their_history(api, world):
    from safetynet.payroll.services import change_enrollment

    p = world
    change_enrollment(actor=p.posts.officer, enrollment_id=p.base.pk, reason="家庭收入变化", amount="1800.00")
    worker = api(p.posts.worker)
    listed = worker.get(f"{BASE}/enrollments").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == p.base.pk          # his town only
    assert worker.get(f"{BASE}/enrollments/{p.elsewhere.pk}").status_code == 404
    officer = api(p.posts.officer)
    assert officer.get(f"{BASE}/enrollments?status=active").json()["count"] == 2
    assert officer.get(f"{BASE}/enrollments?household={p.elsewhere.household_id}").json()["items"][0]["id"] == p.elsewhere.pk
    detail = worker.get(f"{BASE}/enrollments/{p.base.pk}").json()
    assert detail["monthly_amount"] == "1800.00" and detail["program"] == "dibao"
    history = worker.get(f"{BASE}/enrollments/{p.base.pk}/history").json()
    assert history["changes"][0]["from_amount"] == "2070.00" and history["changes"][0]["to_amount"] == "1800.00"
    assert history["changes"][0]["reason"] == "家庭收入变化"


def test_a_simulation_through_the_api(api, world):
    p = world
    answer = post(api(p.posts.county_leader), "/simulations",
                  {"county": COUNTY, "key": "urban_standard", "value": "1000", "month": "2026-01"})
    job = answer.json()
    assert answer.status_code == 202 and job["kind"] == "simulate" and job["status"] == "done"
    assert job["result"]["raised"]["count"] == 1 and job["result"]["cost_before"] == "2870.00"
    assert api(p.posts.county_leader).get(job["url"]).json()["result"] == job["result"]
    assert api(p.posts.officer).get(job["url"]).status_code == 200         # the county's officer may follow it too
    assert api(p.posts.worker).get(job["url"]).status_code == 404
