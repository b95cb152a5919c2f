"""Browser tests of the programs pages: a resident runs the self-check on a phone (town and
village lists through htmx, a member added, the answer with its breakdown); a county officer
sets a standard from next month on the standards page."""
import datetime as dt

import pytest
from django.utils import timezone

from tests.browser import DESKTOP, PHONE, log_in, screenshot
from tests.conftest import PASSWORD, TOWN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def empty_cache():
    """Before the standards are seeded (tests.cases_helpers' `standards`): nothing cached from
    another test (the public self-check's throttle counts)."""
    from django.core.cache import cache

    cache.clear()


def test_resident_checks_eligibility_on_a_phone(browser, live_site, standards):
    from safetynet.areas.models import Area

    village = Area.objects.filter(parent_id=TOWN, level="village", urban_rural_class="220").order_by("code").first()
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{live_site.url}/check/")
    screenshot(page, "selfcheck-phone")
    page.select_option("#id_town", TOWN)
    page.wait_for_selector(f"#id_village option[value='{village.code}']", state="attached")   # htmx filled the villages
    page.select_option("#id_village", village.code)
    page.fill("#id_month", "2026-11") if page.get_attribute("#id_month", "type") != "month" else page.eval_on_selector(
        "#id_month", "el => { el.value = '2026-11'; }")
    page.fill("#id_form-0-birth_date", "1980-05-01")
    page.fill("#id_form-0-monthly_income", "900")
    page.click("button[name=add_member]")
    page.wait_for_selector("#id_form-1-birth_date")
    page.fill("#id_form-1-birth_date", "1950-03-02")
    page.fill("#id_form-1-monthly_income", "0")
    page.click("button[name=check]")
    page.wait_for_selector("[data-testid=answer]")
    # rural 720; per-capita 450; gap 270 × 2 = 540; elderly increment 216
    assert "¥756.00" in page.text_content("[data-testid=answer]")
    page.click("[data-testid=answer] summary")
    assert page.is_visible("[data-testid=breakdown]")
    screenshot(page, "selfcheck-answer-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, "the page scrolls sideways on a phone"


def test_county_officer_sets_a_standard(browser, live_site, standards, make_actor):
    make_actor("county_officer", "130123", username="officer")
    page = browser.new_page(viewport=DESKTOP)
    log_in(page, live_site.url, "officer", PASSWORD)
    page.goto(f"{live_site.url}/programs/dibao/")
    screenshot(page, "standards-dibao")
    today = timezone.localdate()
    month = dt.date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    page.select_option("#id_key", "rural_standard")
    page.fill("#id_value", "780.00")
    page.eval_on_selector("#id_effective_from", f"el => {{ el.value = '{month:%Y-%m}'; }}")
    page.fill("#id_reason", "县民政局 2026 第 12 号通知")
    page.click("#set button[type=submit]")
    page.wait_for_selector(".alert-success")
    page.goto(f"{live_site.url}/programs/dibao/?month={month:%Y-%m}")
    assert "¥780.00" in page.text_content("[data-testid=standards]")
    page.goto(f"{live_site.url}/programs/dibao/rural_standard/history/")
    screenshot(page, "standards-history")
    assert "¥720.00" in page.text_content("[data-testid=history]")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_site.url}/programs/dibao/")
    screenshot(page, "standards-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
