"""Browser test of a manual medical reimbursement's main path (issue 20 part 4), in Chinese: the town
worker finds the household, files the bill, accepts it and gives the town opinion on the case page,
which shows the bill and what the formula gives; the county officer approves and sees the
settlement. Screenshots at 1366×768 and 390×844 go to test-results/screenshots/."""
from __future__ import annotations

from decimal import Decimal

import pytest

from tests.browser import DESKTOP, PHONE, log_in, screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BILL = {"treated_at": "北京协和医院", "admitted_on": "2025-09-01", "discharged_on": "2025-09-10", "total_cost": "12000.00",
        "basic_insurance_paid": "6000.00", "critical_illness_paid": "1000.00", "eligible_self_paid": "4000.00",
        "ineligible_self_paid": "1000.00"}


def _login(browser, base_url: str, actor, viewport=DESKTOP):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    log_in(page, base_url, actor.username, PASSWORD)
    return page


def _submit(page, action: str):
    with page.expect_navigation():
        page.click(f"form[data-action={action}] button[type=submit]")
    assert page.locator("[data-testid=form-errors]").count() == 0, page.text_content("main")


def test_a_reimbursement_filed_reviewed_and_settled_through_the_pages(browser, live_site, med, posts, clock):
    from django.core.cache import cache

    from safetynet.cases.models import Case
    from safetynet.medical.models import Settlement

    cache.clear()
    base = live_site.url
    person = med.person("dibao")
    worker = _login(browser, base, posts.worker)
    worker.goto(f"{base}/medical/reimbursements/new/")
    worker.fill("#id_q", person.name)
    link = f"[data-testid=pick-results] a[href*='household={person.household_id}']"
    worker.wait_for_selector(link)
    with worker.expect_navigation():
        worker.click(link)
    for name, value in BILL.items():
        worker.fill(f"#id_{name}", value)
    worker.select_option("#id_not_settled_because", "out_of_province")
    screenshot(worker, "medical-reimbursement-new")
    with worker.expect_navigation():
        worker.click("main form button[type=submit]")
    case = Case.objects.get(program_id="medical")
    assert f"/cases/{case.pk}/" in worker.url
    assert "北京协和医院" in worker.text_content("[data-testid=medical-bill]")
    assert "¥2,800.00" in worker.text_content("[data-testid=quote]")

    _submit(worker, "accept")
    _submit(worker, "review_reimbursement")
    assert Case.objects.get(pk=case.pk).status == "town_reviewed"

    officer = _login(browser, base, posts.officer)
    officer.goto(f"{base}/cases/{case.pk}/")
    screenshot(officer, "medical-reimbursement-case-county")
    _submit(officer, "approve_reimbursement")
    assert "¥2,800.00" in officer.text_content("[data-testid=settlement]")
    assert Settlement.objects.get(case=case).assistance == Decimal("2800.00")

    phone = _login(browser, base, posts.worker, PHONE)
    phone.goto(f"{base}/medical/reimbursements/?state=all")
    assert "北京协和医院" in phone.text_content("[data-testid=reimbursements]")
    screenshot(phone, "medical-reimbursements-phone")
    phone.goto(f"{base}/cases/{case.pk}/")
    screenshot(phone, "medical-reimbursement-case-phone")
