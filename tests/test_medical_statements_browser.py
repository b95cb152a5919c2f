"""Browser walk of the institutions' statements (issue 20 part 3): the county officer states the
month and sees each institution's net in the chart, compares a statement with its claim; the county
leader — another person — approves both; the officer writes the bank files. Screenshots at desktop
and phone widths (UI.md)."""
from __future__ import annotations

import pytest

from tests.browser import DESKTOP, PHONE, log_in, screenshot
from tests.conftest import PASSWORD
from tests.medical_statement_helpers import stmt  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_month_is_stated_approved_and_sent_to_the_bank(stmt, browser, live_site):
    from safetynet.medical.models import MedicalStatement

    stmt.budget()
    for visit, amount in (("ZY001", "1000.00"), ("ZY002", "2345.60"), ("ZY003", "80.00")):
        stmt.settle(assistance=amount, visit=visit)
    stmt.settle(stmt.centre, assistance="300.00", visit="WS001", person=stmt.people[1])
    stmt.claim(settlements=3, total="3425.60")
    stmt.claim(stmt.centre, settlements=2, total="450.00")      # claims one visit more than we hold
    base = live_site.url
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    log_in(page, base, stmt.posts.officer.username, PASSWORD)
    page.goto(f"{base}/medical/statements/?month=2025-09")
    page.click('[data-testid="generate"]')
    page.wait_for_selector('#statements-chart[data-ready="1"]')
    assert page.locator('[data-testid="statements"] tbody tr').count() == 2
    screenshot(page, "medical-statements-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "medical-statements-phone")
    page.set_viewport_size(DESKTOP)
    centre = MedicalStatement.objects.get(institution=stmt.centre)
    page.goto(f"{base}/medical/statements/{centre.pk}/")
    assert page.locator('[data-testid="differences"]').is_visible()
    screenshot(page, "medical-statement-discrepant")
    context.close()

    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    log_in(page, base, stmt.posts.county_leader.username, PASSWORD)
    hospital = MedicalStatement.objects.get(institution=stmt.hospital)
    page.goto(f"{base}/medical/statements/{hospital.pk}/")
    page.click('[data-testid="approve"]')
    page.goto(f"{base}/medical/statements/{centre.pk}/")
    page.fill("#note", "卫生院多报一笔，以系统结算为准")
    page.click('[data-testid="approve"]')
    assert set(MedicalStatement.objects.values_list("status", flat=True)) == {"approved"}
    context.close()

    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    log_in(page, base, stmt.posts.officer.username, PASSWORD)
    page.goto(f"{base}/medical/statements/runs/{hospital.run_id}/")
    page.click('[data-testid="export"]')
    page.wait_for_selector('[data-testid="bank-file"]')
    assert page.locator('[data-testid="bank-file"]').count() == 2
    screenshot(page, "medical-statement-run-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "medical-statement-run-phone")
    context.close()
