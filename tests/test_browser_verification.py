"""Browser tests of verification (issue 4): a county officer, from the case waiting for it, requests
its verification, sees the report (flags, totals, each record with its source), signs it off; the
same report on a phone; a town worker of another town gets a 404. Then the department pages: a
login registered and given a token (shown once), and a snapshot imported, with its bad rows."""

import pytest

from tests.browser import DESKTOP, PHONE, log_in, screenshot
from tests.cases_helpers import walk
from tests.verification_helpers import csv_bytes
from tests.conftest import OTHER_TOWN, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def waiting_case(found_household, posts, clock):
    return walk(posts, found_household["household"], clock, to="surveyed")


def test_county_officer_requests_a_verification_and_sees_the_report(browser, live_site, posts, waiting_case, make_actor):
    from safetynet.cases.models import Case
    from safetynet.verification.models import HouseholdResult

    case = waiting_case
    page = browser.new_page(viewport=DESKTOP)
    log_in(page, live_site.url, posts.officer.username, PASSWORD)
    page.goto(f"{live_site.url}/cases/{case.pk}/")             # from the case that waits for its report
    page.click("#verification a.btn")
    page.wait_for_url(f"**/verification/households/{case.household_id}/?case={case.pk}")
    screenshot(page, "verification-household")
    page.click(f"form:has(input[name=case][value='{case.pk}']) button[type=submit]")
    page.wait_for_url("**/verification/reports/*/")
    result = HouseholdResult.objects.get(household_id=case.household_id)
    assert page.url.endswith(f"/verification/reports/{result.pk}/")
    flags = page.text_content("[data-testid=report-flags]")
    assert "《最低生活保障审核确认办法》第十四条" in flags or "Minimum Living Guarantees, art. 14" in flags
    assert "冀A9Z123" in page.text_content("main") and "¥900.00" in page.text_content("[data-testid=report-thresholds]")
    assert page.locator("[data-testid=report-member]").count() == 3
    assert Case.objects.get(pk=case.pk).status == "verified"
    screenshot(page, "verification-report")

    page.click("[data-testid=report-signoff] button[type=submit]")
    page.wait_for_selector("[data-testid=report-signoff] .text-success")
    assert posts.officer.username in page.text_content("[data-testid=report-signoff]")

    pdf = page.request.get(f"{live_site.url}/verification/reports/{result.pk}/pdf/")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")

    phone = browser.new_page(viewport=PHONE)
    log_in(phone, live_site.url, posts.officer.username, PASSWORD)
    phone.goto(f"{live_site.url}/verification/reports/{result.pk}/")
    screenshot(phone, "verification-report-phone")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, width   # nothing wider than the phone

    phone.goto(f"{live_site.url}/verification/runs/{result.run_id}/")
    screenshot(phone, "verification-run-phone")

    make_actor("town_worker", OTHER_TOWN, username="elsewhere")
    other = browser.new_page(viewport=PHONE)
    log_in(other, live_site.url, "elsewhere", PASSWORD)
    assert other.goto(f"{live_site.url}/verification/reports/{result.pk}/").status == 404


def test_a_report_without_bank_data_says_so_and_is_signed_with_a_reason(browser, live_site, posts, waiting_case):
    """Issue 15, item 1: the banks sent nothing, so the report says so at the top, never "no flag",
    and the sign-off — which files it on the case — asks for the reason, beside the dataset."""
    from safetynet.cases.models import Case
    from safetynet.verification.models import HouseholdResult, Snapshot

    case = waiting_case
    Snapshot.objects.filter(dataset="deposits").delete()
    page = browser.new_page(viewport=DESKTOP)
    log_in(page, live_site.url, posts.officer.username, PASSWORD)
    page.goto(f"{live_site.url}/verification/households/{case.household_id}/?case={case.pk}")
    page.click(f"form:has(input[name=case][value='{case.pk}']) button[type=submit]")
    page.wait_for_url("**/verification/reports/*/")
    result = HouseholdResult.objects.get(household_id=case.household_id)
    top = page.text_content("[data-testid=report-incomplete]")
    assert page.url.endswith(f"/verification/reports/{result.pk}/") and "Incomplete: 1 of" in top and "bank deposits" in top
    assert Case.objects.get(pk=case.pk).status == "surveyed"      # not filed until signed with the reason
    screenshot(page, "verification-report-incomplete")
    page.click("[data-testid=report-signoff] button[type=submit]")   # the browser asks for the reason first
    assert page.locator("input[name=reason_deposits]:invalid").count() == 1
    page.fill("input[name=reason_deposits]", "银行数据下月到 已查看存折")
    page.click("[data-testid=report-signoff] button[type=submit]")
    page.wait_for_selector("[data-testid=signoff-reasons]")
    assert "银行数据下月到" in page.text_content("[data-testid=signoff-reasons]")
    assert Case.objects.get(pk=case.pk).status == "verified"
    page.goto(f"{live_site.url}/cases/{case.pk}/")
    assert "银行数据下月到" in page.text_content("#verification")


def test_county_officer_registers_a_department_and_imports_its_file(browser, live_site, posts, vdata, tmp_path):
    from safetynet.core.apiauth import hash_token
    from safetynet.verification.models import DepartmentAccount, Snapshot

    page = browser.new_page(viewport=DESKTOP)
    log_in(page, live_site.url, posts.officer.username, PASSWORD)
    page.goto(f"{live_site.url}/verification/departments/")
    page.fill("#id_username", "bank_feed")
    page.select_option("#id_department", "finance")
    page.click("[data-testid=register-department] button[type=submit]")
    page.wait_for_selector("[data-testid=department-account]")
    page.fill("#id_username", posts.worker.username)                 # a staff login: refused beside the field
    page.click("[data-testid=register-department] button[type=submit]")
    page.wait_for_selector("#departments [data-testid=form-errors]")
    assert DepartmentAccount.objects.count() == 1
    account = DepartmentAccount.objects.get(user__username="bank_feed")
    page.click(f"[data-account='{account.pk}'] [data-testid=issue-token] button[type=submit]")
    secret = page.text_content("[data-testid=token-secret]", timeout=5000).strip()
    assert hash_token(secret) == account.user.api_tokens.get().token_hash
    screenshot(page, "verification-departments")

    page.goto(f"{live_site.url}/verification/data/")
    bad = tmp_path / "deposits.csv"
    bad.write_bytes(csv_bytes(["id_number", "name", "bank", "balance", "as_of"],
                              [["", "", "中国银行", "ten", "2026-01-31"]]))
    page.select_option("#id_dataset", "deposits")
    page.set_input_files("#id_file", str(bad))
    page.click("[data-testid=import-snapshot] button[type=submit]")
    page.wait_for_selector("[data-testid=bad-rows]")
    assert "ten" in page.text_content("[data-testid=bad-rows]") and not Snapshot.objects.exists()
    screenshot(page, "verification-data-rejected")

    phone = browser.new_page(viewport=PHONE)
    log_in(phone, live_site.url, posts.officer.username, PASSWORD)
    for url in ("/verification/departments/", "/verification/data/"):
        phone.goto(f"{live_site.url}{url}")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, (url, width)
    screenshot(phone, "verification-data-phone")
