"""Browser test of issue 19 part 5: an organisation proposes a project on the public form without
logging in and is given its reference and token; the county officer sets a panel of two, both
members score it from their queue, the officer approves it and the project shows "approved"; the
proposer's follow page says so. Screenshots at 1366×768 and 390×844 go to test-results/screenshots/."""
from __future__ import annotations

import pytest

from tests.browser import DESKTOP, PHONE, log_in, screenshot
from tests.conftest import PASSWORD, TOWN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _score(browser, base, actor, project, score: str, comment: str) -> None:
    page = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    log_in(page, base, actor.username, PASSWORD)
    page.goto(f"{base}/projects/evaluations/")
    with page.expect_navigation():
        page.click(f"[data-testid=score-{project.pk}]")
    page.fill("#id_score", score)
    page.fill("#id_comment", comment)
    with page.expect_navigation():
        page.click("[data-testid=evaluation-form] button[type=submit]")
    assert page.locator("[data-testid=evaluation-queue]").count() == 1
    assert project.reference not in page.locator("[data-testid=evaluation-queue]").text_content()
    page.context.close()


def test_a_public_proposal_is_scored_by_a_panel_of_two_and_approved(browser, live_site, posts, clock):
    from django.core.cache import cache

    from safetynet.programs.services import seed_catalogue
    from safetynet.services.project_models import ServiceProject

    cache.clear()
    seed_catalogue()      # the parameters the migration seeded (an earlier live test flushed the tables)
    base = live_site.url

    public = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    public.goto(f"{base}/projects/propose/")
    public.fill("#q", "正定")
    with public.expect_navigation():
        public.click("[data-testid=area-search] button[type=submit]")
    public.select_option("#id_area", TOWN)
    public.fill("#id_title", "困境儿童课后托管")
    public.fill("#id_description", "为低保家庭学龄儿童提供课后托管和作业辅导，每周五天。")
    public.select_option("#id_target_group", "children")
    public.fill("#id_budget", "60000.00")
    public.fill("#id_starts_on", "2025-10-08")
    public.fill("#id_ends_on", "2026-06-30")
    public.fill("#id_proposer_name", "正定县童心社会工作服务社")
    public.fill("#id_proposer_uscc", "91110000600037341L")
    public.fill("#id_contact_name", "王春华")
    public.fill("#id_contact_phone", "13900001111")
    screenshot(public, "project-proposal-phone")
    with public.expect_navigation():
        public.click("[data-testid=proposal-form] button[type=submit]")
    reference = public.text_content("[data-testid=reference]").strip()
    token = public.text_content("[data-testid=token]").strip()
    project = ServiceProject.objects.get()
    assert reference == project.reference and project.status == "proposed" and len(token) > 20

    officer = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    log_in(officer, base, posts.officer.username, PASSWORD)
    officer.goto(f"{base}/projects/")
    with officer.expect_navigation():
        officer.click(f"a[href='/projects/{project.pk}/']")
    assert "王春华" in officer.text_content("[data-testid=contact]")
    with officer.expect_navigation():
        officer.click("[data-testid=set-panel]")
    officer.check(f"input[name=members][value='{posts.verifier.user_id}']")
    officer.check(f"input[name=members][value='{posts.county_leader.user_id}']")
    with officer.expect_navigation():
        officer.click("[data-testid=panel-form] button[type=submit]")
    assert officer.get_attribute("[data-testid=project-status]", "data-status") == "under_evaluation"

    _score(browser, base, posts.verifier, project, "82", "需求明确，团队有儿童服务经验。")
    _score(browser, base, posts.county_leader, project, "74", "预算可再细化，同意实施。")

    officer.reload()
    assert officer.text_content("[data-testid=average]").strip() == "78.00"
    screenshot(officer, "project-scores-desktop")
    with officer.expect_navigation():
        officer.click("[data-testid=approve-form] button[type=submit]")
    assert officer.get_attribute("[data-testid=project-status]", "data-status") == "approved"
    project.refresh_from_db()
    assert project.status == "approved" and project.decided_by_id == posts.officer.user_id
    officer.set_viewport_size(PHONE)
    screenshot(officer, "project-approved-phone")

    public.goto(f"{base}/projects/follow/")
    public.fill("#id_token", token)
    with public.expect_navigation():
        public.click("[data-testid=token-form] button[type=submit]")
    assert public.get_attribute("[data-testid=public-status]", "data-status") == "approved"
    html = public.content()
    assert "王春华" not in html and "需求明确" not in html and posts.verifier.username not in html
