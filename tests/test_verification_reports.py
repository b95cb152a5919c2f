"""Verification reports (issue 4, parts 4-5): the page per household result (findings per member
with source and snapshot date, totals against thresholds, flags with their rule), the A4 PDF in
a Chinese font, the county officer's sign-off, the town's scope, the request button, the run page."""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest

from safetynet.core.errors import Conflict, NotFound, PermissionDenied
from tests.cases_helpers import walk
from tests.conftest import OTHER_TOWN, TOWN


@pytest.fixture
def world(found_household, posts, clock):
    """The household the departments found things about (verification_helpers.found_household);
    its case waits for verification."""
    return {**found_household, "case": walk(posts, found_household["household"], clock, to="surveyed")}


@pytest.fixture
def report(world, posts):
    from safetynet.verification.services import verify_household

    return verify_household(actor=posts.officer, household_id=world["household"].pk, case_id=world["case"].pk)


@pytest.mark.django_db
def test_report_page_lists_findings_thresholds_and_flags(report, world, client_for):
    page = client_for("county_officer", "130123")
    response = page.get(f"/verification/reports/{report.result.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert world["head"].name in body and world["spouse"].name in body
    assert "冀A9Z123" in body and "¥900.00" in body and "¥3,000.00" in body
    assert dt.date.today().isoformat() in body                 # the snapshot's date beside each finding
    assert "《最低生活保障审核确认办法》第十四条" in body   # the rule behind the vehicle flag, by its name
    assert f"/cases/{world['case'].pk}/" in body                # the case that asked for it
    assert f"/verification/reports/{report.result.pk}/sign-off/" in body


@pytest.mark.django_db
def test_town_sees_its_own_towns_reports_only(report, world, client_for, client):
    url = f"/verification/reports/{report.result.pk}/"
    own = client_for("town_worker", TOWN)
    response = own.get(url)
    assert response.status_code == 200
    assert "/sign-off/" not in response.content.decode()      # reading is not signing
    assert own.post(f"{url}sign-off/").status_code == 403
    client.logout()
    other = client_for("town_worker", OTHER_TOWN)
    assert other.get(url).status_code == 404
    assert other.get(f"{url}pdf/").status_code == 404
    assert other.get(f"/verification/runs/{report.run.pk}/").status_code == 404
    client.logout()
    assert client_for("grid_worker", TOWN).get(url).status_code == 403


@pytest.mark.django_db
def test_pdf_is_a4_with_a_chinese_font(report, world, client_for, tmp_path):
    response = client_for("county_officer", "130123").get(f"/verification/reports/{report.result.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = b"".join(response.streaming_content) if response.streaming else response.content
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    if not shutil.which("pdffonts"):
        pytest.skip("pdffonts (poppler-utils) is not installed")
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Noto-Sans-CJK-SC" in fonts and " yes " in fonts, fonts   # embedded, not empty boxes (STACK.md)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "595.28 x 841.89" in info or "A4" in info, info   # A4 in points
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert world["spouse"].name in text and "冀A9Z123" in text


@pytest.mark.django_db
def test_only_county_officers_sign_and_only_once(report, posts, make_actor, client_for):
    from safetynet.core.models import AuditEvent
    from safetynet.verification.reports import sign_off_report
    from safetynet.verification.services import verification_service_actor

    result_id = report.result.pk
    for actor in (posts.worker, posts.leader, posts.county_leader, posts.inspector, verification_service_actor()):
        with pytest.raises(PermissionDenied):
            sign_off_report(actor=actor, result_id=result_id)
    with pytest.raises(NotFound):
        sign_off_report(actor=make_actor("county_officer", OTHER_TOWN), result_id=result_id)
    signed = sign_off_report(actor=posts.officer, result_id=result_id, note="已核对")
    assert signed.signed_by == posts.officer.username and signed.signed_role == "county_officer"
    with pytest.raises(Conflict):
        sign_off_report(actor=posts.officer, result_id=result_id)
    event = AuditEvent.objects.get(action="verification.sign_off_report")
    assert event.object_id == str(result_id) and event.username == posts.officer.username

    page = client_for("county_officer", "130123")
    body = page.get(f"/verification/reports/{result_id}/").content.decode()
    assert posts.officer.username in body and "/sign-off/" not in body


@pytest.mark.django_db
def test_sign_off_button(report, client_for):
    from safetynet.verification.signoff_models import ReportSignOff

    page = client_for("county_officer", "130123")
    response = page.post(f"/verification/reports/{report.result.pk}/sign-off/", {"note": "同意"})
    assert response.status_code == 302 and response["Location"].endswith(f"/verification/reports/{report.result.pk}/")
    assert ReportSignOff.objects.get(result=report.result).note == "同意"
    again = page.post(f"/verification/reports/{report.result.pk}/sign-off/", follow=True)
    assert again.status_code == 200 and ReportSignOff.objects.count() == 1


@pytest.mark.django_db
def test_request_verification_from_the_household_page(world, client_for, client):
    from safetynet.cases.models import Case
    from safetynet.verification.models import HouseholdResult

    household, case = world["household"], world["case"]
    town = client_for("town_worker", TOWN)
    page = town.get(f"/verification/households/{household.pk}/")
    assert page.status_code == 200 and "/verification/request/" not in page.content.decode()
    assert town.post("/verification/request/", {"household": household.pk, "case": case.pk}).status_code == 403
    client.logout()

    officer = client_for("county_officer", "130123")
    page = officer.get(f"/verification/households/{household.pk}/?case={case.pk}")
    assert page.status_code == 200 and "/verification/request/" in page.content.decode()
    response = officer.post("/verification/request/", {"household": household.pk, "case": case.pk})
    result = HouseholdResult.objects.get(household_id=household.pk)
    assert response.status_code == 302 and response["Location"] == f"/verification/reports/{result.pk}/"
    assert Case.objects.get(pk=case.pk).status == "verified"
    # the case no longer waits: a second request says why, on the household page
    again = officer.post("/verification/request/", {"household": household.pk, "case": case.pk}, follow=True)
    assert again.status_code == 200 and again.redirect_chain[-1][0].startswith(f"/verification/households/{household.pk}/")
    assert HouseholdResult.objects.filter(household_id=household.pk).count() == 1
    client.logout()
    elsewhere = client_for("county_officer", OTHER_TOWN)
    assert elsewhere.post("/verification/request/", {"household": household.pk, "case": case.pk}).status_code == 404


@pytest.mark.django_db
def test_run_page_shows_progress_and_results(report, client_for):
    page = client_for("county_officer", "130123")
    response = page.get(f"/verification/runs/{report.run.pk}/")
    body = response.content.decode()
    assert response.status_code == 200 and "100%" in body and f"/verification/reports/{report.result.pk}/" in body
    partial = page.get(f"/verification/runs/{report.run.pk}/progress/?polling=1")
    assert partial.status_code == 200 and partial["HX-Refresh"] == "true"
    assert "hx-trigger" not in partial.content.decode()          # a finished run is not polled


@pytest.mark.django_db
def test_run_list_shows_the_areas_runs_only(report, client_for, client):
    page = client_for("county_officer", "130123")
    body = page.get("/verification/runs/").content.decode()
    assert f'href="/verification/runs/{report.run.pk}/"' in body
    client.logout()
    other = client_for("town_worker", OTHER_TOWN)
    assert f'data-run="{report.run.pk}"' not in other.get("/verification/runs/").content.decode()
    client.logout()
    assert client_for("grid_worker", TOWN).get("/verification/runs/").status_code == 403


@pytest.mark.django_db
def test_a_running_run_is_polled(world, posts, client_for):
    from safetynet.verification.services import start_run, verification_service_actor

    run = start_run(actor=verification_service_actor(), kind="cases", area_code="130123")
    page = client_for("county_officer", "130123")
    body = page.get(f"/verification/runs/{run.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in body and f"/verification/runs/{run.pk}/progress/" in body
    partial = page.get(f"/verification/runs/{run.pk}/progress/?polling=1")
    assert "HX-Refresh" not in partial and "every 1s" in partial.content.decode()
