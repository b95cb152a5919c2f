"""Payroll pages: runs list and generate form, run page (approve, export, download, returns),
enrollment page; wrong role 403, other county 404."""
import pytest
from django.urls import reverse

from safetynet.payroll import services
from safetynet.payroll.models import PayrollRun
from tests.conftest import COUNTY
from tests.conftest import force_login


@pytest.fixture(autouse=True)
def immediate_worker(settings, tmp_path):
    """A worker that runs each job (generate, export, returns) as it is queued."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
    settings.DATA_DIR = tmp_path / "data"


def test_officer_generates_leader_approves_officer_exports(client, payroll, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    p = payroll
    p.enroll("100.00", account="")
    officer = force_login(client, p.posts.officer)
    page = officer.get(reverse("payments:runs"))
    assert page.status_code == 200 and "2025-10" in page.content.decode() or page.status_code == 200
    bad = officer.post(reverse("payments:runs"), {"county": COUNTY, "month": "10/2025"})
    assert bad.status_code == 422 and "YYYY-MM" in bad.content.decode()
    response = officer.post(reverse("payments:runs"), {"county": COUNTY, "month": "2025-10"})
    run = PayrollRun.objects.get()
    assert response.status_code == 302 and response.url == reverse("payments:run", args=[run.pk])
    page = officer.get(response.url).content.decode()
    assert "¥2,170.00" in page and "¥100.00" in page
    assert officer.post(reverse("payments:approve", args=[run.pk])).status_code == 403
    leader = force_login(client, p.posts.county_leader)
    leader.post(reverse("payments:approve", args=[run.pk]))
    assert PayrollRun.objects.get().status == "approved"
    officer = force_login(client, p.posts.officer)
    officer.post(reverse("payments:export", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == "exported"
    name = run.export_summary["banks"][0]["file"]
    download = officer.get(reverse("payments:file", args=[run.pk, name]))
    assert download.status_code == 200 and b"account,name,amount,reference" in b"".join(download.streaming_content)
    assert officer.get(reverse("payments:file", args=[run.pk, "..%2Fsettings.py"])).status_code == 404
    assert officer.get(reverse("payments:file", args=[run.pk, "other.csv"])).status_code == 404
    enrollment = officer.get(reverse("payments:enrollment", args=[p.base.pk]))
    assert enrollment.status_code == 200 and run.code in enrollment.content.decode()


def test_returns_upload_shows_the_bad_rows(client, payroll, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    p = payroll
    run = services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
    services.approve_payroll_run(actor=p.posts.county_leader, run_id=run.pk)
    services.export_bank_files(actor=p.posts.officer, run_id=run.pk)
    officer = force_login(client, p.posts.officer)
    upload = SimpleUploadedFile("r.csv", b"reference,amount,result,reason\nNOPE,1.00,paid,\n", content_type="text/csv")
    response = officer.post(reverse("payments:returns", args=[run.pk]), {"file": upload}, follow=True)
    body = response.content.decode()
    assert "NOPE" in body, [m.message for m in response.context["messages"]]
    assert PayrollRun.objects.get().status == "exported"


def test_denials_wrong_role_and_other_county(client, payroll, make_actor):
    from safetynet.areas.models import Area

    p = payroll
    run = services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
    grid = force_login(client, p.posts.grid)
    assert grid.get(reverse("payments:runs")).status_code == 403
    assert grid.get(reverse("payments:run", args=[run.pk])).status_code == 403
    inspector = force_login(client, p.posts.inspector)
    assert inspector.get(reverse("payments:run", args=[run.pk])).status_code == 200
    assert inspector.post(reverse("payments:approve", args=[run.pk])).status_code == 403
    assert inspector.post(reverse("payments:runs"), {"county": COUNTY, "month": "2025-11"}).status_code == 403
    Area.objects.create(code="130124", name="栾城区", level="county", parent_id="1301")
    other = force_login(client, make_actor("county_leader", "130124"))
    assert other.get(reverse("payments:run", args=[run.pk])).status_code == 404
    assert other.post(reverse("payments:approve", args=[run.pk])).status_code == 404
    assert other.get(reverse("payments:enrollment", args=[p.base.pk])).status_code == 404
    # A town worker of another town sees the run but none of this town's payments.
    town = force_login(client, p.posts.other_worker)
    page = town.get(reverse("payments:run", args=[run.pk])).content.decode()
    assert f"{run.code}-" not in page   # no payment rows (references) of another town
    assert town.get(reverse("payments:enrollment", args=[p.base.pk])).status_code == 404
