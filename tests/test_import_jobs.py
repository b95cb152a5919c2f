"""Uploads as background jobs (issue 14 item 13): a division list or a roster uploaded through the
web is queued as a job, followed on a page with a progress bar (htmx polling) and ends on the same
report page the import always had; the upload is kept privately beside the job; the permission
and the area are checked when the job is started and again when it runs, as the starting post."""
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from safetynet.areas import jobs as area_jobs
from safetynet.areas.tasks import import_divisions_job
from safetynet.core import jobs as core_jobs
from safetynet.registry import jobs as registry_jobs
from safetynet.registry.models import Household, Person
from safetynet.registry import tasks as registry_tasks
from safetynet.registry.tasks import import_roster_job
from tests.conftest import COUNTY, OTHER_TOWN, TOWN
from tests.registry_helpers import new_id

HEADER = ["户编号", "区划代码", "地址", "户籍性质", "姓名", "身份证号", "与户主关系", "残疾类别", "残疾等级", "重病", "劳动能力", "电话"]


@pytest.fixture(autouse=True)
def job_dirs(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


def roster_file(village, households: int = 3, bad: bool = True) -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for n in range(households):
        sheet.append([f"H{n:03d}", village.code, f"东街{n}号", "农村", f"张{n}", new_id(), "户主", "", "", "否", "有", ""])
        sheet.append([f"H{n:03d}", village.code, "", "", f"李{n}", new_id(sex="female"), "配偶", "", "", "", "", ""])
    if bad:
        sheet.append(["H999", village.code, "x", "农村", "坏", "123", "户主", "", "", "", "", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("roster.xlsx", buffer.getvalue())


def division_file(village) -> SimpleUploadedFile:
    content = (f"统计用区划代码,名称,城乡分类代码\n{village.code},改名村,{village.urban_rural_class}\n"
               f"{TOWN}960,新增村,220\n{TOWN},正定镇,\n130199100001,外县村,220\n").encode()
    return SimpleUploadedFile("正定.csv", content)


def _job_id(response) -> str:
    return response["Location"].rstrip("/").split("/")[-1]


def _queued():
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.count()


# ---------------------------------------------------------------------------------------------
# The path: upload → job → progress page → report
# ---------------------------------------------------------------------------------------------
def test_a_roster_upload_is_followed_with_a_progress_bar_to_its_report(client_for, village, job_dirs):
    client = client_for("town_worker", TOWN)
    started = client.post(reverse("registry:import"), {"file": roster_file(village), "area": TOWN})
    job_id = _job_id(started)
    assert started.status_code == 302 and started["Location"] == reverse("registry:import_job", args=[job_id])
    assert not Person.objects.exists()                         # nothing imported inside the request
    job = registry_jobs.BOOK.load(job_id)
    assert job.status == core_jobs.QUEUED and job.area == TOWN and job.params == {"filename": "roster.xlsx", "area": TOWN}
    assert job.upload_path.is_relative_to(job_dirs / "data" / "jobs") and job.upload_path.exists()
    assert not list((job_dirs / "media").rglob("*.upload"))   # never under MEDIA_ROOT

    page = client.get(started["Location"])
    html = page.content.decode()
    progress_url = reverse("registry:import_job_progress", args=[job_id])
    assert page.status_code == 200 and 'data-status="queued"' in html and f'hx-get="{progress_url}"' in html

    import_roster_job.call(job_id)                             # what the worker does
    job = registry_jobs.BOOK.load(job_id)
    assert job.status == core_jobs.DONE and job.done == job.total == 7 and not job.upload_path.exists()
    polled = client.get(progress_url, HTTP_HX_REQUEST="true")
    report_url = reverse("registry:import_report", args=[job.result["report_id"]])
    assert polled.status_code == 204 and polled["HX-Redirect"] == report_url
    assert client.get(started["Location"])["Location"] == report_url      # the job page, once done, is the report
    report = client.get(report_url)
    html = report.content.decode()
    assert report.status_code == 200 and 'data-testid="count-persons">6<' in html and 'data-testid="count-errors">1<' in html
    assert report.context["counts"] == job.result["counts"]
    assert Person.objects.count() == 6 and Household.objects.count() == 3


def test_a_division_upload_is_followed_to_its_report(client_for, county, village):
    client = client_for("county_officer", COUNTY)
    started = client.post(reverse("areas:import"), {"file": division_file(village)})
    job_id = _job_id(started)
    assert started["Location"] == reverse("areas:import_job", args=[job_id])
    page = client.get(started["Location"])
    assert page.status_code == 200 and 'data-testid="job-progress"' in page.content.decode()

    import_divisions_job.call(job_id)
    job = area_jobs.BOOK.load(job_id)
    polled = client.get(reverse("areas:import_job_progress", args=[job_id]), HTTP_HX_REQUEST="true")
    report = client.get(polled["HX-Redirect"])
    assert report.status_code == 200 and report.context["counts"] == job.result["counts"]
    assert report.context["counts"]["added"] == 1 and report.context["counts"]["renamed"] == 1
    assert [e["row"] for e in report.context["page"]] == [5]


def test_a_file_the_service_refuses_fails_the_job_with_its_reason(client_for, village):
    client = client_for("town_worker", TOWN)
    started = client.post(reverse("registry:import"),
                          {"file": SimpleUploadedFile("roster.csv", "姓名\n张三\n".encode()), "area": TOWN})
    import_roster_job.call(_job_id(started))
    polled = client.get(reverse("registry:import_job_progress", args=[_job_id(started)]), HTTP_HX_REQUEST="true")
    assert polled.status_code == 204 and polled["HX-Refresh"] == "true"
    page = client.get(started["Location"]).content.decode()
    assert 'data-status="failed"' in page and "Missing columns" not in page and "缺少列" in page
    assert reverse("registry:import") in page                  # a way back to the upload


def test_the_job_pages_speak_chinese(client_for, village):
    client = client_for("town_worker", TOWN)
    started = client.post(reverse("registry:import"), {"file": roster_file(village), "area": TOWN})
    html = client.get(started["Location"]).content.decode()
    assert "导入花名册" in html and "等待后台进程" in html


# ---------------------------------------------------------------------------------------------
# Who may start, follow and run it
# ---------------------------------------------------------------------------------------------
def test_a_post_without_the_permission_cannot_start_an_import(client_for, village):
    assert client_for("grid_worker", TOWN).post(reverse("registry:import"), {"file": roster_file(village)}).status_code == 403
    assert client_for("town_worker", TOWN).post(reverse("areas:import"), {"file": division_file(village)}).status_code == 403
    assert _queued() == 0


def test_a_post_cannot_import_into_another_area(make_actor, village, other_village):
    from safetynet.core.errors import NotFound

    other = make_actor("town_worker", OTHER_TOWN)
    with pytest.raises(NotFound):
        registry_tasks.start_roster_import(actor=other, upload=roster_file(village), filename="r.xlsx", area_code=TOWN)
    assert _queued() == 0


def test_a_post_of_another_area_cannot_follow_or_open_the_job(client_for, village):
    from safetynet.areas.models import Area

    owner = client_for("town_worker", TOWN)
    started = owner.post(reverse("registry:import"), {"file": roster_file(village), "area": TOWN})
    job_url, progress_url = started["Location"], reverse("registry:import_job_progress", args=[_job_id(started)])
    owner.logout()
    stranger = client_for("town_worker", OTHER_TOWN)
    assert stranger.get(job_url).status_code == 404 and stranger.get(progress_url).status_code == 404
    stranger.logout()
    assert client_for("grid_worker", TOWN).get(job_url).status_code == 403   # no import permission at all

    Area.objects.create(code="130124", name="栾城区", level="county", parent_id="1301")
    division_owner = client_for("county_officer", COUNTY)
    division_job = division_owner.post(reverse("areas:import"), {"file": division_file(village)})["Location"]
    division_owner.logout()
    assert client_for("county_officer", "130124").get(division_job).status_code == 404
    assert client_for("county_officer", COUNTY).get(reverse("areas:import_job", args=["0" * 32])).status_code == 404
    assert client_for("county_officer", COUNTY).get("/areas/import/jobs/..%2Fsecret/").status_code == 404


def test_the_job_runs_as_the_starting_post_and_checks_it_again(make_actor, village):
    from safetynet.areas.models import Post

    worker = make_actor("town_worker", TOWN)
    job = registry_tasks.start_roster_import(actor=worker, upload=roster_file(village), filename="r.xlsx", area_code=TOWN)
    Post.objects.filter(pk=worker.post_id).update(role="grid_worker")      # the post lost the permission meanwhile
    import_roster_job.call(job.id)
    failed = registry_jobs.BOOK.load(job.id)
    assert failed.status == core_jobs.FAILED and failed.error_code == "forbidden" and not Person.objects.exists()

    closed = registry_tasks.start_roster_import(actor=make_actor("town_worker", TOWN), upload=roster_file(village),
                                               filename="r.xlsx", area_code=TOWN)
    Post.objects.filter(pk=closed.post_id).update(is_active=False)
    import_roster_job.call(closed.id)
    assert registry_jobs.BOOK.load(closed.id).status == core_jobs.FAILED and not Person.objects.exists()


def test_an_import_job_whose_worker_died_is_retried_and_imports_once(make_actor, village):
    """An import is idempotent: a retry after the worker died imports the file as if once."""
    from django_tasks_db.models import DBTaskResult

    from django.utils import timezone

    from safetynet.core import workers
    from safetynet.core.models import WorkerHeartbeat

    worker = make_actor("town_worker", TOWN)
    job = registry_tasks.start_roster_import(actor=worker, upload=roster_file(village, bad=False), filename="r.xlsx",
                                            area_code=TOWN)
    DBTaskResult.objects.get(pk=job.task_id).claim("dead")
    registry_jobs.BOOK.update(job.id, status=core_jobs.RUNNING, done=2, total=6)
    old = timezone.now() - dt.timedelta(minutes=5)
    WorkerHeartbeat.objects.create(worker_id="dead", host="elsewhere", pid=1, started_at=old, seen_at=old)
    assert [t.retried for t in workers.reap_interrupted()] == [True]
    retried = registry_jobs.BOOK.load(job.id)
    assert retried.status == core_jobs.QUEUED and retried.retry_label and retried.upload_path.exists()
    import_roster_job.call(job.id)
    assert registry_jobs.BOOK.load(job.id).status == core_jobs.DONE and Person.objects.count() == 6


def test_an_import_job_out_of_attempts_fails_and_its_upload_goes(make_actor, village):
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from safetynet.core import workers

    job = registry_tasks.start_roster_import(actor=make_actor("town_worker", TOWN), upload=roster_file(village),
                                            filename="r.xlsx", area_code=TOWN)
    row = DBTaskResult.objects.get(pk=job.task_id)
    row.worker_ids = ["first", "second"]
    row.save(update_fields=["worker_ids"])
    row.claim("third")
    DBTaskResult.objects.filter(pk=row.pk).update(started_at=timezone.now() - dt.timedelta(minutes=5))  # never beat
    registry_jobs.BOOK.update(job.id, status=core_jobs.RUNNING, attempt=3)
    assert [t.retried for t in workers.reap_interrupted()] == [False]
    failed = registry_jobs.BOOK.load(job.id)
    assert failed.status == core_jobs.FAILED and failed.error_code == "interrupted" and not failed.upload_path.exists()
    assert not Person.objects.exists()


def test_the_division_job_reports_the_rows_done_of_the_files(client_for, county, village):
    """The job's bar counts the rows of every uploaded file as the import reads them."""
    client = client_for("county_officer", COUNTY)
    second = SimpleUploadedFile("more.csv", f"code,name,urban_rural_class\n{village.code[:9]}999,新村,220\n".encode())
    started = client.post(reverse("areas:import"), {"file": [division_file(village), second]})
    import_divisions_job.call(_job_id(started))
    job = area_jobs.BOOK.load(_job_id(started))
    assert job.status == core_jobs.DONE, job.error
    assert job.total >= 2 and job.done == job.total
    assert job.params["filenames"][1] == "more.csv" and not any(p.exists() for p in job.upload_paths)
