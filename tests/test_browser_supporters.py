"""Browser test of the supporters card (issue 3, special hardship): a town worker records a
supporter on the case page, the card is swapped in place (htmx) with the rule's verdict; on a phone
nothing is wider than the screen."""
import pytest

from tests.browser import DESKTOP, PHONE, log_in, screenshot
from tests.cases_helpers import D, new_id, walk
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_town_worker_records_supporters_on_the_case_page(browser, live_site, posts, clock, standards, village):
    from safetynet.cases.models import Supporter
    from safetynet.registry.services import create_household

    elder = create_household(actor=posts.worker, area_code=village.code, address="五保户", registration_type="urban",
                             members=[{"name": "孙五保", "id_number": new_id(D(1950, 5, 5)), "relation_to_head": "head",
                                       "work_ability": "none"}])
    case = walk(posts, elder, clock, to="accepted", program="special_hardship")
    page = browser.new_page(viewport=DESKTOP)
    log_in(page, live_site.url, posts.worker.username, PASSWORD)
    page.goto(f"{live_site.url}/cases/{case.pk}/#supporters")
    form = "[data-testid=supporter-form]"
    page.fill(f"{form} [name=name]", "孙大")
    page.select_option(f"{form} [name=relation]", "child")
    page.select_option(f"{form} [name=inability]", "imprisoned")
    page.fill(f"{form} [name=note]", "判决书")
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector("[data-testid=supporter-rows] [data-verdict=unable]")
    assert Supporter.objects.get().inability == "imprisoned"

    page.fill(f"{form} [name=name]", "孙二")                       # an age-bound reason without an age:
    page.select_option(f"{form} [name=relation]", "child")
    page.select_option(f"{form} [name=inability]", "elderly_low_means")
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector("#supporters [data-testid=form-errors]")  # refused, the error beside the field
    assert page.input_value(f"{form} [name=name]") == "孙二" and Supporter.objects.count() == 1
    page.select_option(f"{form} [name=inability]", "none")
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector("[data-testid=supporter-rows] [data-verdict=able]")
    page.locator("#supporters").scroll_into_view_if_needed()
    screenshot(page, "case-supporters")

    phone = browser.new_page(viewport=PHONE)
    log_in(phone, live_site.url, posts.worker.username, PASSWORD)
    phone.goto(f"{live_site.url}/cases/{case.pk}/")
    phone.locator("#supporters").scroll_into_view_if_needed()
    screenshot(phone, "case-supporters-phone")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, width


def test_the_registry_proposal_is_recorded_in_one_click_and_corrected_in_its_row(browser, live_site, posts, clock,
                                                                                 standards, village):
    """Issue 15 item 2: the elder's two grown children are proposed from the registry; one click
    records both, and the son the registry does not know is in prison is corrected from his row."""
    from safetynet.cases.models import Supporter
    from tests.test_cases_kin_supporters import _child

    from safetynet.registry.services import create_household

    mother = create_household(actor=posts.worker, area_code=village.code, address="孙家老宅", registration_type="urban",
                              members=[{"name": "孙老太", "id_number": new_id(D(1935, 5, 5), sex="female"),
                                        "relation_to_head": "head", "work_ability": "none"}])
    _child(posts, village, mother, "孙一", D(1955, 1, 1))
    _child(posts, village, mother, "孙四", D(1970, 1, 1), wages="6000.00")
    case = walk(posts, mother, clock, to="accepted", program="special_hardship")
    page = browser.new_page(viewport=DESKTOP)
    log_in(page, live_site.url, posts.worker.username, PASSWORD)
    page.goto(f"{live_site.url}/cases/{case.pk}/#supporters")
    page.click("[data-testid=record-proposed] button[type=submit]")
    page.wait_for_selector("[data-testid=supporter-rows] [data-supporter]")
    assert sorted(Supporter.objects.values_list("name", "inability")) == [("孙一", "elderly_low_means"), ("孙四", "none")]
    son = Supporter.objects.get(name="孙四")
    row = f"[data-supporter='{son.pk}']"
    page.select_option(f"{row} [name=inability]", "imprisoned")
    page.click(f"{row} [data-testid=supporter-reason] button[type=submit]")
    page.wait_for_selector(f"{row} [data-verdict=unable]")
    son.refresh_from_db()
    assert son.inability == "imprisoned"
    page.locator("#supporters").scroll_into_view_if_needed()
    screenshot(page, "case-supporters-proposed")
