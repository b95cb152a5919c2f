"""Browser test of the town's one door (issue 17 part 3): a town worker takes a walk-in for a
registered household, a failed submit keeps what was typed, the referral is made, then the
household's assistance chain shows it, at 1366×768 and 390×844 (screenshots in
test-results/screenshots/)."""
from __future__ import annotations

import pytest

from safetynet.discovery import referral_services as referrals
from safetynet.discovery.models import Lead, Referral
from tests.browser import DESKTOP, PHONE, log_in, screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_walk_in_referred_at_the_window_and_seen_on_the_chain(browser, live_site, posts, poor_household, clock):
    agency = referrals.save_agency(actor=posts.officer, kind="education", name="县教育局学生资助管理中心", answer_days=10)
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = browser.new_context(viewport=viewport, locale="zh-CN").new_page()
        log_in(page, live_site.url, posts.worker.username, PASSWORD)
        page.goto(f"{live_site.url}/discovery/window/?household={poor_household.pk}")
        assert page.locator("[data-testid=window-household]").count() == 1
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"] + 1, f"{width}px wide at {viewport['width']}px"
        if name == "desktop":
            page.select_option("#id_cause", "no_support")
            page.check(f"#agency-{agency.pk}")
            page.fill("#id_need", "孩子上高中，学费和住宿费凑不齐")
            page.check("#route-close")
            with page.expect_navigation():
                page.click("[data-testid=window-submit]")              # closed without a reason: refused, kept
            assert page.locator("[data-testid=form-error]").count() == 1 and not Lead.objects.exists()
            assert page.is_checked(f"#agency-{agency.pk}") and page.input_value("#id_cause") == "no_support"
            assert page.input_value("#id_need") == "孩子上高中，学费和住宿费凑不齐"
            page.check("#route-refer")
            with page.expect_navigation():
                page.click("[data-testid=window-submit]")
            assert Referral.objects.count() == 1 and Lead.objects.count() == 1
        screenshot(page, f"discovery-window-{name}")
        page.goto(f"{live_site.url}/discovery/households/{poor_household.pk}/chain/")
        assert page.locator("[data-testid=chain-table] [data-kind=referral]").count() == 1
        screenshot(page, f"discovery-chain-{name}")
        page.goto(f"{live_site.url}/discovery/referrals/")
        screenshot(page, f"discovery-referrals-{name}")
        page.context.close()
