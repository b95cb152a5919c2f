"""Every file the system generates or receives is private (issue 14, item 1; DESIGN.md §8 5a).

The demo county's files of every kind are made here with the real services and pages: a payroll
run's bank files and summary, a division import's report and error sheet, a roster import's
report and error sheet, a rejected department file's error sheet, a case attachment. Then:
no URL answers them outside the views that check the post (DEBUG on or off), each of those views
answers 404 to an anonymous client and to a post of another area and the file to the right post,
and no stored name can be derived from a run code or an id.
"""
from __future__ import annotations

import datetime as dt
import importlib
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import clear_url_caches, reverse

from safetynet.payroll import services as payments
from tests.payments_helpers import make_poor_household, new_id, walk
from tests.conftest import COUNTY, OTHER_TOWN, TOWN
from tests.test_areas_views import BAD_FILE as BAD_DIVISIONS
from tests.test_cases_views import PNG
from tests.test_registry_import import HEADER as ROSTER_HEADER
from tests.test_registry_import import xlsx
from tests.verification_helpers import csv_bytes, import_rows

OTHER_COUNTY = "130124"
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,}")


def _report_after_job(client, response) -> str:
    """An upload starts a background job (run at once by the tests' backend); its page, once the
    job is done, redirects to the report."""
    assert response.status_code == 302, response.status_code
    done = client.get(response["Location"])
    assert done.status_code == 302, done.status_code
    return done["Location"]


@pytest.fixture
def private(settings, tmp_path):
    """A private root and data folder of the test's own; jobs run as they are queued."""
    from safetynet.verification.online import CATALOG

    settings.MEDIA_ROOT = tmp_path / "private"
    settings.DATA_DIR = tmp_path / "data"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
    CATALOG.close()
    yield settings.MEDIA_ROOT
    CATALOG.close()


class Files:
    """Where each generated file can be asked for: (label, URL of its permission-checked view,
    the posts that must get it, the posts that must not)."""

    def __init__(self):
        self.downloads: list[tuple[str, str, list, list]] = []
        self.pages: list[tuple[str, str, list, list]] = []
        self.inline: list[tuple[str, str, list, list]] = []


def _as(client, actor):
    from django.contrib.auth import get_user_model

    client.logout()
    client.force_login(get_user_model().objects.get(pk=actor.user_id))
    return client


def _second_post(make_actor, actor, role: str, area_code: str):
    """Another post (role, area) for the user behind `actor`: the same person acting elsewhere."""
    from safetynet.areas.actors import actor_for_post
    from safetynet.areas.models import Post

    return actor_for_post(Post.objects.create(user_id=actor.user_id, role=role, area_id=area_code))


def _switch(client, actor):
    response = client.post("/switch-post/", {"post": actor.post_id})
    assert response.status_code in (200, 302), response.status_code
    return client


@pytest.fixture
def world(private, payroll, clock, client, make_actor):
    """The demo county's generated files, one of each kind, and who may read each."""
    from safetynet.areas.models import Area
    from safetynet.cases import services as cases
    from safetynet.verification.services import verify_household

    p = payroll
    Area.objects.create(code=OTHER_COUNTY, name="栾城区", level="county", parent_id="1301")
    files = Files()
    files.p = p
    files.other_county = make_actor("county_officer", OTHER_COUNTY)
    files.other_county_leader = make_actor("county_leader", OTHER_COUNTY)

    # Bank files and the summary of an exported run, through the real services.
    p.enroll("300.00")
    run = payments.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
    payments.approve_payroll_run(actor=p.posts.county_leader, run_id=run.pk)
    payments.export_bank_files(actor=p.posts.officer, run_id=run.pk)
    run.refresh_from_db()
    files.run = run
    names = [b["file"] for b in run.export_summary["banks"]] + [run.export_summary["summary_file"]]
    assert len(names) >= 2
    for name in names:
        files.downloads.append((f"bank file {name}", reverse("payments:file", args=[run.pk, name]),
                                [p.posts.officer, p.posts.county_leader, p.posts.inspector],
                                [p.posts.worker, p.posts.other_worker, files.other_county]))

    # A division import with bad rows: its report and error sheet (a county officer's).
    officer = _as(client, p.posts.officer)
    response = officer.post("/areas/import/", {"file": SimpleUploadedFile("bad.csv", BAD_DIVISIONS)})
    report = _report_after_job(officer, response)
    files.pages.append(("division import report", report, [p.posts.officer], [files.other_county]))
    files.downloads.append(("division error sheet", report + "errors.xlsx", [p.posts.officer], [files.other_county]))
    files.areas_report_id = report.rstrip("/").rsplit("/", 1)[1]

    # A roster import with a bad row: its report and error sheet (a town worker's).
    worker = _as(client, p.posts.worker)
    roster = xlsx([["H1", p.village.code, "正定镇1号", "农村", "张一", new_id(), "户主", "", "", "", "", ""],
                   ["H9", p.village.code, "x", "农村", "坏", "123", "户主", "", "", "", "", ""]], header=ROSTER_HEADER)
    roster.name = "roster.xlsx"
    response = worker.post(reverse("registry:import"), {"file": roster, "area": TOWN})
    report = _report_after_job(worker, response)
    files.pages.append(("roster import report", report, [p.posts.worker], [p.posts.other_worker, files.other_county]))
    files.downloads.append(("roster error sheet", report + "errors.xlsx", [p.posts.worker],
                            [p.posts.other_worker, files.other_county]))
    files.roster_report = report

    # A department file refused for a bad row: its error sheet (a county officer's).
    officer = _as(client, p.posts.officer)
    rejected = officer.post("/verification/data/", {"dataset": "deposits", "file": SimpleUploadedFile(
        "bad.csv", csv_bytes(["id_number", "name", "bank", "balance", "as_of"],
                             [[new_id(), "张三", "中国农业银行", "ten", "2026-01-31"]]))})
    assert rejected.status_code == 422
    sheet = "/verification/data/errors/" + rejected.content.decode().split('href="/verification/data/errors/')[1].split('"')[0]
    files.downloads.append(("department error sheet", sheet, [p.posts.officer], [files.other_county]))

    # A photo attached to an open case (town worker), readable by the county above it.
    files.case = walk(p.posts, make_poor_household(p.posts.worker, p.village.code), clock, to="accepted")
    attachment = cases.attach_document(actor=p.posts.worker, case_id=files.case.pk, description="住房",
                                       uploaded_file=SimpleUploadedFile("住房照片.png", PNG, content_type="image/png"))
    files.attachment = attachment
    files.downloads.append(("case attachment", reverse("cases:document", args=[files.case.pk, attachment.pk]),
                            [p.posts.worker, p.posts.officer], [p.posts.other_worker, files.other_county]))

    # Made for each request, never stored: the decision letter and a verification report (PDF).
    files.inline.append(("decision letter", reverse("cases:letter", args=[p.case.pk]),
                         [p.posts.worker, p.posts.officer], [p.posts.other_worker, files.other_county]))
    import_rows(p.posts.officer, "deposits", [{"id_number": new_id(), "bank": "中国银行", "balance": "3000",
                                               "as_of": dt.date(2025, 9, 1)}])
    report = verify_household(actor=p.posts.officer, household_id=files.case.household_id)
    files.inline.append(("verification report", f"/verification/reports/{report.result.pk}/pdf/",
                         [p.posts.worker, p.posts.officer], [p.posts.other_worker, files.other_county]))
    client.logout()
    return files


def _stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


@pytest.fixture
def debug_urls(settings):
    """The URLconf as `make run` builds it: DEBUG on when safetynet.urls is imported."""
    import safetynet.urls

    settings.DEBUG = True
    with override_settings(DEBUG=True):
        importlib.reload(safetynet.urls)
    clear_url_caches()
    yield safetynet.urls
    settings.DEBUG = False
    importlib.reload(safetynet.urls)
    clear_url_caches()


def test_no_url_serves_a_private_file_even_with_debug_on(world, debug_urls, client):
    """Every stored file, asked for at its path under the private root (the old media route at
    `/`) and at the old guessable names, answers 404 to an anonymous client with DEBUG on."""
    stored = _stored_files(_root())
    kinds = {path.relative_to(_root()).parts[0] for path in stored}
    assert {"payroll", "imports", "cases"} <= kinds, kinds
    run = world.run
    guessed = [f"/payroll/{run.code}/{b['file']}" for b in run.export_summary["banks"]]
    guessed += [f"/payroll/{run.code}/{run.export_summary['summary_file']}", f"/cases/{world.case.pk}/住房照片.png",
                f"/imports/areas-{world.areas_report_id}.json", f"/imports/areas-{world.areas_report_id}.xlsx"]
    for url in ["/" + path.relative_to(_root()).as_posix() for path in stored] + guessed:
        response = client.get(url)
        assert response.status_code == 404, (url, response.status_code)
    for path in stored:   # nor under the static URL
        assert client.get("/static/" + path.relative_to(_root()).as_posix()).status_code == 404


def test_no_route_of_the_debug_urlconf_serves_files(debug_urls):
    """No pattern of the DEBUG URLconf is Django's file server (the old `static(MEDIA_URL)`)."""
    from django.urls import URLPattern, URLResolver
    from django.views.static import serve

    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                yield pattern

    servers = [str(p.pattern) for p in walk(debug_urls.urlpatterns) if p.callback is serve]
    assert servers == []


def _root() -> Path:
    from django.conf import settings

    return Path(settings.MEDIA_ROOT)


def test_each_download_view_checks_the_post(world, client, make_actor):
    """Anonymous: 404 (a file URL does not send to the login page); a post of another town or
    another county: 404; the post that may read it: the file, as a private download."""
    for label, url, allowed, refused in world.downloads:
        client.logout()
        anonymous = client.get(url)
        assert anonymous.status_code == 404, (label, "anonymous", anonymous.status_code)
        for actor in refused:
            response = _as(client, actor).get(url)
            assert response.status_code == 404, (label, actor.role, actor.area_code, response.status_code)
        for actor in allowed:
            response = _as(client, actor).get(url)
            assert response.status_code == 200, (label, actor.role, actor.area_code, response.status_code)
            assert response["Cache-Control"] == "private, no-store", label
            assert response["X-Content-Type-Options"] == "nosniff", label
            assert response["Content-Disposition"].startswith("attachment"), label
    for label, url, allowed, refused in world.inline:     # PDFs made for the request, shown in the browser
        client.logout()
        assert client.get(url).status_code == 404, label
        for actor in refused:
            assert _as(client, actor).get(url).status_code == 404, (label, actor.role, actor.area_code)
        for actor in allowed:
            response = _as(client, actor).get(url)
            assert response.status_code == 200 and response["Content-Type"] == "application/pdf", label
            assert response["Cache-Control"] == "private, no-store" and response["Content-Disposition"].startswith("inline")
    for label, url, allowed, refused in world.pages:
        client.logout()
        assert client.get(url).status_code in (302, 404), label   # the login page, never the report
        for actor in refused:
            assert _as(client, actor).get(url).status_code == 404, (label, actor.role)
        for actor in allowed:
            assert _as(client, actor).get(url).status_code == 200, (label, actor.role)


def test_an_import_report_follows_the_post_not_only_the_user(world, client, make_actor):
    """The worker who ran a roster import, acting through a post in another town, cannot open the
    report or its error sheet there; through the county post above the town, they can."""
    p = world.p
    worker = _as(client, p.posts.worker)
    elsewhere = _second_post(make_actor, p.posts.worker, "town_worker", OTHER_TOWN)
    _switch(worker, elsewhere)
    assert worker.get(world.roster_report).status_code == 404
    assert worker.get(world.roster_report + "errors.xlsx").status_code == 404
    above = _second_post(make_actor, p.posts.worker, "county_officer", COUNTY)
    _switch(worker, above)
    assert worker.get(world.roster_report).status_code == 200
    assert worker.get(world.roster_report + "errors.xlsx").status_code == 200


def test_bank_files_through_the_api_check_the_post(world, client):
    """The API's file operation: no credential 401 (as every API operation), a town post or
    another county 404, a county post the file."""
    run, p = world.run, world.p
    name = run.export_summary["banks"][0]["file"]
    url = f"/api/v1/payments/runs/{run.pk}/files/{name}"
    assert client.get(url).status_code == 401
    for actor in (p.posts.worker, world.other_county):
        assert _as(client, actor).get(url).status_code == 404, actor.role
    response = _as(client, p.posts.officer).get(url)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert b"account,name,amount,reference" in b"".join(response.streaming_content)


def test_stored_names_cannot_be_derived(world, client):
    """The bank files sit in a folder with a random part, recorded with the run's export; an
    attachment's stored path has a random part and keeps the original name for the download."""
    run, root = world.run, _root()
    directory = run.export_summary["directory"]
    assert directory != run.code and TOKEN.search(directory.replace(run.code, ""))
    for bank in run.export_summary["banks"]:
        assert (root / "payroll" / directory / bank["file"]).is_file()
    assert not (root / "payroll" / run.code).exists()
    stored = world.attachment.file.name
    assert stored.startswith(f"cases/{world.case.pk}/")
    assert TOKEN.search(stored.split("/", 2)[2]), stored
    response = _as(client, world.p.posts.worker).get(reverse("cases:document", args=[world.case.pk, world.attachment.pk]))
    assert "filename*=utf-8''%E4%BD%8F%E6%88%BF%E7%85%A7%E7%89%87.png" in response["Content-Disposition"]
    for path in _stored_files(root):       # every file of every kind
        relative = path.relative_to(root).as_posix()
        assert TOKEN.search(relative), relative


def test_private_files_have_no_url(world):
    with pytest.raises(ValueError):
        world.attachment.file.url


def test_checks_refuse_a_public_route_or_a_private_root_under_static(settings, tmp_path):
    """The system check (core/checks.py) refuses a file server onto the private root and a
    private folder inside the static files."""
    from django.core import checks

    from safetynet.core.checks import check_private_files

    settings.MEDIA_ROOT = tmp_path / "private"
    settings.DATA_DIR = tmp_path
    assert check_private_files(None) == []
    settings.STATIC_ROOT = tmp_path / "private" / "static"
    assert [e.id for e in check_private_files(None)] == ["safetynet.E001"]
    settings.STATIC_ROOT = tmp_path / "static"
    settings.ROOT_URLCONF = "tests.test_private_files"
    clear_url_caches()
    try:
        errors = check_private_files(None)
    finally:
        clear_url_caches()
    assert [e.id for e in errors] == ["safetynet.E002"] and all(isinstance(e, checks.Error) for e in errors)


def _file_server():
    """A URLconf with Django's file server on it, as `static(MEDIA_URL, ...)` built one."""
    from django.urls import re_path
    from django.views.static import serve

    return [re_path(r"^files/(?P<path>.*)$", serve, {"document_root": "/srv/anything"})]


urlpatterns = _file_server()


def test_files_stored_before_move_into_the_private_root(world, client, settings):
    """Bank files and attachments in the old public folder (`media/`, named by run code and
    time) are moved by the migrations into the private root under random names, and the views
    answer them from there."""
    import importlib
    import shutil

    from types import SimpleNamespace

    from django.apps import apps

    from safetynet.payroll.models import PayrollRun

    run, attachment, root = world.run, world.attachment, _root()
    legacy = Path(settings.DATA_DIR) / "media"
    (legacy / "payroll").mkdir(parents=True)
    shutil.move(str(root / "payroll" / run.export_summary["directory"]), str(legacy / "payroll" / run.code))
    run.export_summary = {k: v for k, v in run.export_summary.items() if k != "directory"}
    run.save(update_fields=["export_summary"])
    old_name = f"cases/{world.case.pk}/20250922093000-0a1b2c3d.png"
    (legacy / old_name).parent.mkdir(parents=True)
    shutil.move(str(root / attachment.file.name), str(legacy / old_name))
    type(attachment).objects.filter(pk=attachment.pk).update(file=old_name)

    # payments 0008 ran when PayrollRun was the payments app's; the model is payroll's now (issue 16).
    moved = SimpleNamespace(get_model=lambda app, name: PayrollRun if (app, name) == ("payments", "PayrollRun")
                            else apps.get_model(app, name))
    importlib.import_module("safetynet.payments.migrations.0008_private_bank_files").move_bank_files(moved, None)
    importlib.import_module("safetynet.cases.migrations.0005_private_attachments").move_attachments(apps, None)

    run.refresh_from_db()
    attachment.refresh_from_db()
    assert TOKEN.search(run.export_summary["directory"]) and TOKEN.search(attachment.file.name)
    assert not any(path.is_file() for path in legacy.rglob("*"))
    officer = _as(client, world.p.posts.officer)
    for name in [b["file"] for b in run.export_summary["banks"]] + [run.export_summary["summary_file"]]:
        assert officer.get(reverse("payments:file", args=[run.pk, name])).status_code == 200, name
    assert officer.get(reverse("cases:document", args=[world.case.pk, attachment.pk])).status_code == 200
