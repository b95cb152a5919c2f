"""Browser test of issue 20's administration: the county officer opens a dibao recipient's ledger
(the month-by-month chart drawn, a reversed settlement marked), issues a key on the hospital's
page and sees its secret once, and sets a town's terms on the categories page. Screenshots at
1366×768 and 390×844 go to test-results/screenshots/."""
from __future__ import annotations

import pytest

from tests.browser import DESKTOP, PHONE, log_in, screenshot
from tests.cases_helpers import D
from tests.conftest import PASSWORD, TOWN
from tests.test_medical_ledger import settle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def seeded(db):
    """The national catalogue and parameters the migrations seeded (an earlier live test flushed
    the tables), and no cached reference data from before the flush."""
    from safetynet.core import refcache
    from safetynet.medical.catalogue import seed
    from safetynet.medical.models import CategoryTerms, MedicalCategory
    from safetynet.programs.services import seed_catalogue

    refcache.clear()
    seed_catalogue()
    seed(MedicalCategory, CategoryTerms)


def test_the_officer_reads_a_ledger_issues_a_key_and_sets_a_towns_terms(browser, live_site, seeded, med, clock):
    from safetynet.medical import keys
    from safetynet.medical.terms import terms_for

    person = med.person("dibao")
    settle(person, institution=med.hospital, on=D(2025, 8, 12))
    settle(person, institution=med.hospital, eligible="2000.00", assistance="1400.00", on=D(2025, 9, 3))
    settle(person, institution=med.hospital, eligible="1000.00", assistance="700.00", on=D(2025, 9, 5),
           status="reversed")
    base = live_site.url
    page = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    log_in(page, base, med.posts.officer.username, PASSWORD)

    page.goto(f"{base}/medical/people/?q={person.name}")
    with page.expect_navigation():
        page.click("[data-testid=people] a")
    page.wait_for_selector("#medical-ledger-chart[data-ready='1']")
    assert page.locator("#medical-ledger-chart svg").count() == 1
    assert "¥4,200.00" in page.text_content("[data-testid=assistance-total]")
    assert page.locator("[data-testid=settlement-row].text-decoration-line-through").count() == 1
    screenshot(page, "medical-ledger-desktop")

    page.goto(f"{base}/medical/institutions/{med.hospital.pk}/")
    with page.expect_navigation():
        page.click("form:has(input[value=issue]) button")
    secret = page.text_content("[data-testid=secret]").strip()
    assert keys.authenticate_key(secret) == med.hospital
    screenshot(page, "medical-institution-key-desktop")
    page.reload()                       # the browser sends the form again: no second key, no secret
    assert page.locator("[data-testid=secret]").count() == 0 and med.hospital.keys.count() == 2
    page.goto(f"{base}/medical/institutions/{med.hospital.pk}/")
    assert page.locator("[data-testid=secret]").count() == 0

    phone = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    log_in(phone, base, med.posts.officer.username, PASSWORD)
    phone.goto(f"{base}/medical/categories/at_risk/")
    phone.select_option("#id_area", TOWN)
    phone.fill("#id_from_year", "2025")
    phone.fill("#id_rate", "75%")
    phone.fill("#id_annual_cap", "12000")
    phone.check("#id_kind_amount")
    phone.fill("#id_deductible", "800")
    with phone.expect_navigation():
        phone.click("[data-testid=terms-form] button[type=submit]")
    assert "75%" in phone.text_content("[data-testid=terms-in-force]")
    screenshot(phone, "medical-category-phone")
    assert terms_for(TOWN + "200", 2025, ["at_risk"])["at_risk"].annual_cap == 12000
