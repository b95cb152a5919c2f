"""Browser test of the foundation's main path: a town worker logs in, finds a household, edits it."""
import datetime as dt

import pytest

from safetynet.core.idnumbers import make_id_number
from tests.browser import DESKTOP, PHONE, log_in, screenshot
from tests.conftest import PASSWORD, TOWN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def household(county, make_actor):
    from safetynet.areas.models import Area
    from safetynet.registry import services

    actor = make_actor("town_worker", TOWN, username="clerk")
    village = Area.objects.filter(parent_id=TOWN, level="village").order_by("code").first()
    return services.create_household(actor=actor, area_code=village.code, address="正定镇测试村 8 号", registration_type="rural", members=[
        {"name": "韩立新", "id_number": make_id_number("130123", dt.date(1948, 4, 2), 31, "male"), "relation_to_head": "head"},
        {"name": "周桂芝", "id_number": make_id_number("130123", dt.date(1951, 9, 12), 32, "female"), "relation_to_head": "spouse"},
    ])


def test_town_worker_finds_and_edits_a_household(browser, live_site, household):
    page = browser.new_page(viewport=DESKTOP)
    log_in(page, live_site.url, "clerk", PASSWORD)
    assert "正定镇" in page.text_content("main")
    screenshot(page, "home-town-worker")

    page.click("nav a[href='/registry/']")
    page.fill("input[name=q]", "韩立")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_selector(f"a[href='/registry/households/{household.pk}/']")
    screenshot(page, "household-search")
    # the list masks the ID number
    assert "130123" in page.text_content("#results") and "*" in page.text_content("#results")
    page.click(f"a[href='/registry/households/{household.pk}/']")
    page.wait_for_url(f"**/registry/households/{household.pk}/")
    screenshot(page, "household-detail")

    page.click(f"a[href='/registry/households/{household.pk}/edit/']")
    page.fill("input[name=address]", "正定镇测试村 18 号")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"**/registry/households/{household.pk}/")
    assert "正定镇测试村 18 号" in page.text_content("main")

    household.refresh_from_db()
    assert household.address == "正定镇测试村 18 号"


def test_phone_layout_and_wrong_town(browser, live_site, household, make_actor):
    make_actor("town_worker", "130123102", username="elsewhere")
    page = browser.new_page(viewport=PHONE)
    log_in(page, live_site.url, "elsewhere", PASSWORD)
    screenshot(page, "home-phone")
    response = page.goto(f"{live_site.url}/registry/households/{household.pk}/")
    assert response.status == 404
