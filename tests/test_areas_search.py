"""Areas are chosen by search, never from a list of hundreds (issue 15, item 9): one widget
(areas/forms.AreaField) over one suggestions endpoint, scoped to the post; a typed code or a name
only one area has works without JavaScript; another town's area does not exist for the post."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

from safetynet.areas.models import Area
from safetynet.registry.models import Household
from tests.conftest import OTHER_TOWN, TOWN
from tests.registry_helpers import new_id


@pytest.fixture(autouse=True)
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"     # assertions read the English messages


def _options(html: str) -> list[str]:
    return re.findall(r'<option value="(\d+)">', html)


def test_suggestions_are_the_posts_areas_of_the_levels_asked(client_for, village, other_village):
    client = client_for("town_worker", TOWN)
    url = reverse("areas:options")
    found = client.get(url, {"levels": "village", "param": "area_code", "area_code": village.name}).content.decode()
    assert village.code in _options(found) and "<html" not in found
    assert all(code.startswith(TOWN) and len(code) == 12 for code in _options(found))
    by_code = _options(client.get(url, {"levels": "village", "q": village.code[:11]}).content.decode())
    assert village.code in by_code and all(c.startswith(village.code[:11]) for c in by_code)
    # Another town's village is not suggested, by name or by code; a town is not a village.
    assert other_village.code not in _options(client.get(url, {"levels": "village", "q": other_village.name}).content.decode())
    assert other_village.code not in _options(client.get(url, {"levels": "village", "q": other_village.code}).content.decode())
    assert TOWN not in _options(client.get(url, {"levels": "village", "q": TOWN}).content.decode())
    assert len(_options(client.get(url, {"levels": "village", "q": "村"}).content.decode())) <= 15


def test_suggestions_need_a_login_and_a_staff_post(client, client_for, county):
    url = reverse("areas:options")
    assert client.get(url, {"q": "村"}).status_code == 302                    # to the login page
    assert client_for("institution", TOWN).get(url, {"q": "村"}).status_code == 403


def test_the_household_form_has_the_search_box_not_a_list(client_for, village):
    html = client_for("town_worker", TOWN).get(reverse("registry:household_create")).content.decode()
    assert '<select name="area_code"' not in html
    assert re.search(r'<input type="text" name="area_code"[^>]*list="id_area_code-options"[^>]*hx-get="/areas/options/', html)


def test_a_household_is_registered_by_typing_the_villages_name(client_for, village):
    client = client_for("town_worker", TOWN)
    response = client.post(reverse("registry:household_create"), {
        "area_code": village.name, "address": "新建路5号", "registration_type": "rural",
        "head-name": "刘五", "head-id_number": new_id(), "head-work_ability": "full"})
    assert response.status_code == 302
    assert Household.objects.get(address="新建路5号").area_id == village.code
    edit = client.get(reverse("registry:household_edit", args=[Household.objects.get(address="新建路5号").pk])).content.decode()
    assert f'value="{village.code}"' in edit and f"{village.name} ({village.code})" in edit   # the code, named


def test_another_towns_village_or_an_ambiguous_name_is_refused_at_the_field(client_for, village, other_village):
    client = client_for("town_worker", TOWN)

    def create(area: str, address: str):
        return client.post(reverse("registry:household_create"), {
            "area_code": area, "address": address, "registration_type": "rural",
            "head-name": "刘六", "head-id_number": new_id(), "head-work_ability": "full"})

    outside = create(other_village.code, "新建路6号")
    assert outside.status_code == 422 and "No such area in your scope" in outside.content.decode()
    assert "新建路6号" in outside.content.decode()                               # what was typed is kept
    twin = Area.objects.filter(parent_id=TOWN, level="village").exclude(code=village.code).order_by("code").first()
    Area.objects.filter(code=twin.code).update(name=village.name)
    ambiguous = create(village.name, "新建路7号")
    assert ambiguous.status_code == 422 and "Several areas match" in ambiguous.content.decode()
    town = create(TOWN, "新建路8号")
    assert town.status_code == 422 and "choose a" in town.content.decode()
    assert not Household.objects.filter(address__in=["新建路6号", "新建路7号", "新建路8号"]).exists()


def test_the_household_list_filters_by_a_typed_area(client_for, village, make_actor):
    from tests.registry_helpers import head, make_household

    worker = make_actor("town_worker", TOWN)
    inside = make_household(worker, village.code, address="甲村1号", members=[head("甲一")])
    client = client_for("town_worker", TOWN)
    html = client.get(reverse("registry:household_list"), {"area": village.code}).content.decode()
    assert f"/registry/households/{inside.pk}/" in html
    refused = client.get(reverse("registry:household_list"), {"area": "130123102001"})
    assert "No such area in your scope" in refused.content.decode()


def test_the_roster_import_area_is_searched_too(client_for, county):
    html = client_for("town_worker", TOWN).get(reverse("registry:import")).content.decode()
    assert '<select name="area"' not in html and 'hx-get="/areas/options/?levels=town%2Cvillage' in html
    assert OTHER_TOWN not in html


def test_the_standards_page_finds_a_town_by_its_name(client_for, county):
    from tests.conftest import COUNTY

    town = Area.objects.get(code=TOWN)
    client = client_for("county_officer", COUNTY)
    page = client.get(reverse("programs:standards", args=["dibao"]), {"area": town.name})
    assert page.status_code == 200 and page.context["area_code"] == TOWN
    html = page.content.decode()
    assert '<select name="area"' not in html and 'name="area"' in html and "hx-get=\"/areas/options/" in html
    other = client_for("town_worker", TOWN).get(reverse("programs:standards", args=["dibao"]),
                                                  {"area": Area.objects.get(code=OTHER_TOWN).name})
    assert other.status_code == 200 and other.context["area_code"] == TOWN      # not found in scope: its own area
    assert client_for("town_worker", TOWN).get(reverse("programs:standards", args=["dibao"]),
                                               {"area": OTHER_TOWN}).status_code == 404


def test_the_tag_puts_the_same_search_box_in_a_hand_written_form(county):
    from django.template import Context, Template

    html = Template('{% load area_tags %}{% area_search "county" code "county" "is-invalid" True %}').render(
        Context({"code": "130123"}))
    assert re.search(r'<input type="text" name="county" value="130123"[^>]*id="id_county"[^>]*required', html)
    assert 'class="form-control is-invalid"' in html and 'list="id_county-options"' in html
    assert "/areas/options/?levels=county&amp;param=county" in html and "(130123)" in html   # the code, named
