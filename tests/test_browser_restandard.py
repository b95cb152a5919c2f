"""Browser test of the re-assessment after a standard change (restandard.py) on the demo county:
the county officer raises the rural standard on the standards page, follows the link the page
then shows, previews, applies, and reads the summary; the payroll of the month pays the new
amounts. Desktop and phone."""
import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.browser import DESKTOP, PHONE, log_in, screenshot
from tests.test_browser_payroll import demo_county  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_county_officer_reassesses_after_raising_the_rural_standard(browser, live_site, demo_county):
    from safetynet.demo.generator import DEFAULT_PASSWORD
    from safetynet.enrollments import schedule
    from safetynet.enrollments.models import Enrollment, EnrollmentChange

    base = live_site.url
    today = timezone.localdate()
    month = dt.date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    from safetynet.areas.models import Area

    villages = set(Area.objects.filter(level="village", urban_rural_class__startswith="2").values_list("code", flat=True))
    rural = next(e for e in Enrollment.objects.order_by("id") if e.area_id[:12] in villages)
    before = schedule.due_by_month(rural, [month])[month]

    page = browser.new_page(viewport=DESKTOP)
    log_in(page, base, "county_officer", DEFAULT_PASSWORD)
    page.goto(f"{base}/programs/dibao/")
    page.select_option("#id_key", "rural_standard")
    page.fill("#id_value", "800.00")
    page.eval_on_selector("#id_effective_from", f"el => {{ el.value = '{month:%Y-%m}'; }}")
    page.fill("#id_reason", "县民政局 2026 第 15 号通知")
    page.click("#set button[type=submit]")
    page.wait_for_selector("[data-testid=restandard-links]")
    screenshot(page, "restandard-link")
    page.click("[data-testid=restandard-links] a")
    assert "¥800.00" in page.text_content("[data-testid=restandard-lines]")
    page.click("[data-testid=preview]")
    page.wait_for_selector("[data-testid=apply]")
    screenshot(page, "restandard-preview")
    raised = int(page.text_content("[data-testid=raised]").replace(",", ""))
    assert raised > 0 and not EnrollmentChange.objects.exists()
    page.click("[data-testid=apply]")
    page.wait_for_selector("[data-testid=restandard-done]")
    screenshot(page, "restandard-done")
    assert EnrollmentChange.objects.filter(kind="standard").count() >= raised
    after = schedule.due_by_month(rural, [month])[month]
    assert after > before and after - before >= Decimal("80.00")     # at least one member's ¥80 more

    page.set_viewport_size(PHONE)
    page.reload()
    screenshot(page, "restandard-done-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
