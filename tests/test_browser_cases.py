"""Browser test of the case workflow's main path: one dibao case from application to enrollment,
through the pages, as the posts that take each step (UI.md: queue first; one case, one page).

Town worker: files the application from the household, accepts it, records the survey.
County officer: enters the verification report by hand. Town worker: gives the town opinion
and publishes the notice (one submit). Seven days pass (the business date `clocks.today` is moved by the
`clock` fixture). Town worker: closes the notice. County officer: confirms. The enrollment
exists with the amount the rule gives (¥2,070.00: tests.cases_helpers.make_poor_household).
Screenshots of the case page at 1366×768 and 390×844 go to test-results/screenshots/."""
from __future__ import annotations

from decimal import Decimal

import pytest

from tests.browser import DESKTOP, PHONE, log_in, screenshot
from tests.cases_helpers import investigators
from tests.conftest import PASSWORD, TOWN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(browser, base_url: str, actor, viewport=DESKTOP):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    log_in(page, base_url, actor.username, PASSWORD)
    return page


def _submit(page, action: str):
    try:
        with page.expect_navigation():
            page.click(f"form[data-action={action}] button[type=submit]")
    except Exception:
        screenshot(page, f"failed-{action}")
        raise
    assert page.locator("[data-testid=form-errors]").count() == 0, page.text_content("main")


def _status(page) -> str:
    return page.get_attribute("[data-testid=case-status]", "data-status")


def test_one_dibao_case_from_application_to_enrollment(browser, live_site, posts, poor_household, clock, standards):
    from django.core.cache import cache

    from safetynet.cases.models import Case
    from safetynet.enrollments.models import Enrollment
    from safetynet.workforce.models import StaffIdentity

    cache.clear()
    base = live_site.url
    me = StaffIdentity.objects.create(user_id=posts.worker.user_id, name="王镇干", id_number=investigators(1)[0]["id_number"],
                                      area_id=TOWN, kind="town_staff")
    cadre = StaffIdentity.objects.create(name="赵村干", id_number=investigators(1)[0]["id_number"],
                                         area_id=poor_household.area_id, kind="village_committee")
    worker = _login(browser, base, posts.worker)

    # the application, from the household found by its head's name (members, income and assets
    # come from the registry): the short list comes as one types
    worker.goto(f"{base}/cases/new/")
    worker.fill("#id_q", poor_household.head.name)
    worker.wait_for_selector(f"[data-testid=pick-results] a[href*='household={poor_household.pk}']")
    assert poor_household.head.id_number not in worker.text_content("#pick-results")       # masked
    with worker.expect_navigation():
        worker.click(f"[data-testid=pick-results] a[href*='household={poor_household.pk}']")
    worker.select_option("#id_program", "dibao")
    assert worker.input_value("#id_applicant") == str(poor_household.head_id)
    assert worker.is_checked("#id_accept")               # the window accepts at once unless told otherwise
    worker.uncheck("#id_accept")                         # here the materials are checked later: filed only
    with worker.expect_navigation():
        worker.click("main form button[type=submit]")
    case = Case.objects.get(household=poor_household)
    assert worker.url.endswith(f"/cases/{case.pk}/") and _status(worker) == "applied"

    # the queue shows it waiting, one click from the case
    worker.goto(f"{base}/cases/")
    assert worker.text_content("[data-testid=count-waiting]").strip() == "1"
    screenshot(worker, "cases-queue-town-worker")
    with worker.expect_navigation():
        worker.click(f"#waiting a[href='/cases/{case.pk}/'] >> nth=0")

    _submit(worker, "accept")
    assert _status(worker) == "accepted"

    # the investigators: the worker is ticked already, a village cadre is ticked from the register
    form = "form[data-action=record_survey]"
    assert worker.is_checked(f"{form} input[name='record_survey-investigators'][value='{me.pk}']")
    assert not worker.is_visible(f"{form} [name='record_survey-name_1']")         # typed rows folded away
    worker.check(f"{form} input[name='record_survey-investigators'][value='{cadre.pk}']")
    worker.fill(f"{form} [name='record_survey-findings']", "三口之家，户主打零工，孩子上小学，家中无贵重物品。")
    worker.check(f"{form} [name='record_survey-signed_by_household']")
    _submit(worker, "record_survey")
    assert _status(worker) == "surveyed"
    assert worker.locator("form[data-action=verify]").count() == 0     # the county's step, not the town's

    # a county officer enters the verification by hand (the declared income is pre-filled); another
    # confirms (four eyes)
    verifier = _login(browser, base, posts.verifier)
    verifier.goto(f"{base}/cases/{case.pk}/")
    assert verifier.input_value("[name='income-0-monthly_amount']") == "900.00"
    verifier.fill("[name='verify-summary']", "公安、人社、住建、市场监管、车管、银行核对无异常。")
    _submit(verifier, "verify")
    assert _status(verifier) == "verified"
    officer = _login(browser, base, posts.officer)

    # the town gives its opinion (the rule's answer shown before signing) and publishes the notice
    worker.goto(f"{base}/cases/{case.pk}/")
    assert "2,070.00" in worker.text_content("[data-testid=preview]")
    worker.fill("[name='give_town_opinion-opinion']", "经审核，符合最低生活保障条件。")
    assert worker.is_checked("[name='give_town_opinion-publish_notice']")     # the notice goes up in the same submit
    _submit(worker, "give_town_opinion")
    assert _status(worker) == "in_notice"
    assert "2,070.00" in worker.text_content("[data-testid=breakdown]")

    # the public board shows the notice, masked
    public = browser.new_page(viewport=PHONE)
    public.goto(f"{base}/notices/{poor_household.area_id[:12]}/")
    board = public.text_content("main")
    assert poor_household.head.name not in board and poor_household.head.name[:2] + "*" in board
    assert poor_household.head.id_number not in board and poor_household.address not in board
    screenshot(public, "notice-board-phone")

    # closing early is refused with the reason, and what was on the page stays
    worker.goto(f"{base}/cases/{case.pk}/")
    assert worker.locator("form[data-action=close_notice]").count() == 0
    clock.advance(7)
    worker.goto(f"{base}/cases/{case.pk}/")
    _submit(worker, "close_notice")
    assert _status(worker) == "notice_closed"

    # the county confirms
    officer.goto(f"{base}/cases/{case.pk}/")
    screenshot(officer, "case-before-confirmation-desktop")
    _submit(officer, "confirm")
    assert _status(officer) == "confirmed"
    enrollment = Enrollment.objects.get(case=case)
    assert enrollment.monthly_amount == Decimal("2070.00") and enrollment.status == "active"
    assert officer.locator("[data-testid=enrollment]").count() == 1
    screenshot(officer, "case-confirmed-desktop")
    officer.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    screenshot(officer, "case-confirmed-desktop-bottom")

    # the decision letter
    response = officer.request.get(f"{base}/cases/{case.pk}/letter.pdf")
    assert response.status == 200 and response.body().startswith(b"%PDF")

    # the same page on a phone
    phone = _login(browser, base, posts.officer, viewport=PHONE)
    phone.goto(f"{base}/cases/{case.pk}/")
    screenshot(phone, "case-confirmed-phone")
    width = phone.evaluate("document.documentElement.scrollWidth")
    wide = phone.evaluate("""() => Array.from(document.querySelectorAll('main *')).filter(e => e.getBoundingClientRect().right > 391).slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 40))""")
    assert width <= PHONE["width"] + 1, f"the case page is {width}px wide on a 390px phone: {wide}"


def test_case_page_mid_way_on_phone_and_desktop(browser, live_site, posts, poor_household, clock, standards):
    """The page a town worker sees with a step to take: the form first on the phone."""
    from tests.cases_helpers import walk

    case = walk(posts, poor_household, clock, to="accepted")
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = _login(browser, live_site.url, posts.worker, viewport=viewport)
        page.goto(f"{live_site.url}/cases/{case.pk}/")
        assert page.locator("form[data-action=record_survey]").count() == 1
        screenshot(page, f"case-survey-step-{name}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"] + 1, f"{width}px wide at {viewport['width']}px"
        # a failed submit keeps the input and names the field
        page.fill("[name='record_survey-findings']", "只填了一个调查员")
        page.fill("[name='record_survey-name_1']", "王调查")
        page.fill("[name='record_survey-id_number_1']", investigators(1)[0]["id_number"])
        page.check("[name='record_survey-signed_by_household']")
        with page.expect_navigation():
            page.click("form[data-action=record_survey] button[type=submit]")
        assert page.locator("[data-testid=form-errors]").count() == 1
        assert page.input_value("[name='record_survey-findings']") == "只填了一个调查员"
        assert page.input_value("[name='record_survey-name_1']") == "王调查"
        if name == "phone":
            screenshot(page, "case-survey-error-phone")

    # days pass without the survey: the town's queue and the county's view show it overdue
    clock.advance(10)
    page = _login(browser, live_site.url, posts.worker)
    page.goto(f"{live_site.url}/cases/")
    assert page.text_content("[data-testid=count-overdue]").strip() == "1"
    officer = _login(browser, live_site.url, posts.officer)
    officer.goto(f"{live_site.url}/cases/overdue/")
    officer.wait_for_selector("#overdue-chart[data-ready='1'] svg")
    assert officer.text_content("[data-testid=total-overdue]").strip() == "1"
    screenshot(officer, "cases-overdue-county")


def test_town_closes_two_notices_from_the_queue(browser, live_site, posts, village, clock, standards):
    """The batch step on the queue: tick the cases whose notice is over, one button, a page of
    results; on a phone the queue with its checkboxes stays within the screen."""
    from safetynet.cases.models import Case
    from tests.cases_helpers import make_poor_household, walk

    cases = [walk(posts, make_poor_household(posts.worker, village.code), clock, to="in_notice") for _ in range(2)]
    clock.advance(8)
    base = live_site.url
    worker = _login(browser, base, posts.worker)
    worker.goto(f"{base}/cases/")
    for case in cases:
        worker.check(f"#pick-{case.pk}")
    screenshot(worker, "queue-batch-desktop")
    with worker.expect_navigation():
        worker.click("[data-testid=batch-close_notice]")
    assert worker.text_content("[data-testid=batch-done]").strip() == "2"
    assert worker.text_content("[data-testid=batch-refused]").strip() == "0"
    screenshot(worker, "queue-batch-result-desktop")
    assert set(Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("status", flat=True)) == {"notice_closed"}

    phone = _login(browser, base, posts.worker, viewport=PHONE)
    walk(posts, make_poor_household(posts.worker, village.code), clock, to="in_notice")
    phone.goto(f"{base}/cases/")
    screenshot(phone, "queue-batch-phone")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"the queue is {width}px wide on a 390px phone"


def test_the_village_is_found_by_typing_its_name(browser, live_site, posts, village, clock):
    """The household form's area: suggestions come as one types (htmx fills the datalist), and
    what is submitted is the village's code."""
    page = _login(browser, live_site.url, posts.worker)
    page.goto(f"{live_site.url}/registry/households/new/")
    assert page.locator("select[name=area_code]").count() == 0
    page.fill("#id_area_code", village.name)
    page.wait_for_selector(f"#id_area_code-options option[value='{village.code}']", state="attached")
    codes = page.eval_on_selector_all("#id_area_code-options option", "els => els.map(e => e.value)")
    assert village.code in codes and all(c.startswith(village.code[:9]) for c in codes)
