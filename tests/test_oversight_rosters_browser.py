"""Browser test of issue 18 part 1: a resident finds the village's board from the boards' index,
objects to a notice without logging in, and is given the complaint's token; the town worker
then sees the objection on the case page, and the complaint links to the case. Screenshots of
the board at 1366×768 and 390×844 go to test-results/screenshots/."""
from __future__ import annotations

import pytest

from tests.browser import DESKTOP, PHONE, log_in, screenshot
from tests.cases_helpers import walk
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_public_objects_to_a_notice_and_the_town_sees_it_on_the_case(browser, live_site, posts, poor_household,
                                                                        clock, standards, village):
    from django.core.cache import cache

    from safetynet.oversight.categories import seed_categories
    from safetynet.oversight.complaints import hash_token
    from safetynet.oversight.models import Complaint, ComplaintCategory
    from safetynet.oversight.roster_services import post_monthly_boards

    cache.clear()
    seed_categories(ComplaintCategory)   # as the migration did (an earlier live test flushed the tables)
    base = live_site.url
    case = walk(posts, poor_household, clock, to="in_notice")
    post_monthly_boards(actor=posts.worker, month=clock().replace(day=1), area_code=village.code)

    public = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    public.goto(f"{base}/notices/")
    public.fill("#id_q", village.name)
    with public.expect_navigation():
        public.click("form[role=search] button[type=submit]")
    with public.expect_navigation():
        public.click(f"[data-testid=villages] a[href='/notices/{village.code}/']")
    notice = public.locator("[data-testid=notice]")
    assert notice.count() == 1
    head = poor_household.head
    assert head.name[:2] in notice.text_content() and head.name not in public.content()
    screenshot(public, "public-board-phone")
    notice.locator("summary").click()
    notice.locator("textarea").fill("他家在县城有门面房出租，每月有租金收入")
    with public.expect_navigation():
        notice.locator("button[type=submit]").click()
    token = public.text_content("[data-testid=token]").strip()
    assert public.get_attribute("[data-testid=follow-link]", "href") == "/complaints/follow/"
    assert public.locator("[data-testid=objection-state]").get_attribute("data-state") == "under_objection"
    complaint = Complaint.objects.get(token_hash=hash_token(token))
    assert complaint.case_id == case.pk and complaint.channel == "objection" and complaint.objection.case_id == case.pk
    public.reload()
    assert public.locator("[data-testid=token]").count() == 0          # shown once
    public.set_viewport_size(DESKTOP)
    screenshot(public, "public-board-desktop")

    worker = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    log_in(worker, base, posts.worker.username, PASSWORD)
    worker.goto(f"{base}/cases/{case.pk}/")
    card = worker.locator("#notices")
    assert "他家在县城有门面房出租" in card.text_content()
    assert worker.locator("[data-testid=case-status]").get_attribute("data-status") == "contested"
    screenshot(worker, "case-with-public-objection")
