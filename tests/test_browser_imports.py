"""Browser test of a roster upload as a background job (issue 14 item 13): the town worker uploads
the file, the page shows the job's progress bar and polls it (htmx); when a worker has run the job
the browser is sent on to the import's report."""
import pytest

from tests.browser import DESKTOP, log_in, screenshot
from tests.conftest import PASSWORD, TOWN
from tests.registry_helpers import new_id

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = ["户编号", "区划代码", "地址", "户籍性质", "姓名", "身份证号", "与户主关系", "残疾类别", "残疾等级", "重病", "劳动能力", "电话"]


def test_a_roster_upload_shows_its_progress_and_ends_on_its_report(browser, live_site, village, make_actor, settings, tmp_path):
    from openpyxl import Workbook

    from safetynet.registry import jobs
    from safetynet.registry.tasks import import_roster_job

    settings.DATA_DIR = tmp_path / "data"
    settings.MEDIA_ROOT = tmp_path / "media"
    make_actor("town_worker", TOWN, username="uploader")
    workbook = Workbook()
    workbook.active.append(HEADER)
    for n in range(40):
        workbook.active.append([f"H{n}", village.code, f"东街{n}号", "农村", f"张{n}", new_id(), "户主", "", "", "否", "有", ""])
    path = tmp_path / "花名册.xlsx"
    workbook.save(path)

    page = browser.new_page(viewport=DESKTOP)
    base = live_site.url
    log_in(page, base, "uploader", PASSWORD)
    page.goto(f"{base}/registry/import/")
    page.set_input_files("#id_file", str(path))
    page.click("form[enctype=\"multipart/form-data\"] button[type=submit]")
    page.wait_for_url("**/registry/import/jobs/*/")
    bar = page.get_by_test_id("job-progress")
    assert bar.get_attribute("data-status") == "queued" and "Import of a roster" in bar.inner_text()   # Chromium asks for English
    screenshot(page, "roster-import-job")

    job_id = page.url.rstrip("/").split("/")[-1]
    import_roster_job.call(job_id)                  # the worker runs it while the page polls
    page.wait_for_url("**/registry/import/*/", timeout=15000)
    assert "/jobs/" not in page.url
    assert page.get_by_test_id("count-persons").inner_text() == "40"
    assert jobs.BOOK.load(job_id).result["counts"]["persons_created"] == 40
