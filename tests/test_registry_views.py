"""Registry pages: a town worker finds, opens and edits a household; other areas answer 404,
read-only roles 403; forms keep what was typed and show the error at the field."""
from __future__ import annotations

import pytest
from django.urls import reverse

from safetynet.core.models import AuditEvent
from safetynet.registry.models import Household, Kinship
from tests.conftest import OTHER_TOWN, TOWN
from tests.registry_helpers import head, make_household, new_id


@pytest.fixture
def household(make_actor, village):
    return make_household(make_actor("town_worker", TOWN), village.code, address="正定镇东街3号", members=[head("王大明")])


def test_town_worker_finds_and_edits_a_household(client_for, household):
    client = client_for("town_worker", TOWN)
    page = client.get(reverse("registry:household_list"), {"q": "王大"})
    html = page.content.decode()
    assert page.status_code == 200 and "王大明" in html and "正定镇东街3号" in html
    assert household.head.id_number not in html  # masked in lists
    assert household.head.id_number[-4:] in html
    detail = client.get(reverse("registry:household_detail", args=[household.pk]))
    assert detail.status_code == 200 and household.head.id_number not in detail.content.decode()
    response = client.post(reverse("registry:household_edit", args=[household.pk]), {
        "area_code": household.area_id, "address": "正定镇东街5号", "registration_type": "urban", "phone": "", "bank_account": ""})
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.address == "正定镇东街5号" and household.registration_type == "urban"


def test_search_by_id_prefix_and_htmx_partial(client_for, household):
    client = client_for("village_cadre", TOWN)
    response = client.get(reverse("registry:household_list"), {"q": household.head.id_number[:10]},
                          HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    html = response.content.decode()
    assert response.status_code == 200 and "王大明" in html and "<nav class=\"navbar" not in html


def test_other_towns_household_is_404(client_for, household):
    client = client_for("town_worker", OTHER_TOWN)
    assert client.get(reverse("registry:household_detail", args=[household.pk])).status_code == 404
    assert client.get(reverse("registry:household_edit", args=[household.pk])).status_code == 404
    assert client.post(reverse("registry:reveal_id_number", args=[household.head_id])).status_code == 404
    html = client.get(reverse("registry:household_list"), {"q": "王大明"}).content.decode()
    assert "正定镇东街3号" not in html and reverse("registry:household_detail", args=[household.pk]) not in html


def test_grid_worker_reads_but_cannot_edit(client_for, household):
    client = client_for("grid_worker", TOWN)
    assert client.get(reverse("registry:household_detail", args=[household.pk])).status_code == 200
    assert client.get(reverse("registry:household_edit", args=[household.pk])).status_code == 403
    response = client.post(reverse("registry:household_edit", args=[household.pk]), {
        "area_code": household.area_id, "address": "改了", "registration_type": "rural"})
    assert response.status_code == 403
    assert client.get(reverse("registry:member_add", args=[household.pk])).status_code == 403
    assert client.post(reverse("registry:reveal_id_number", args=[household.head_id])).status_code == 403
    household.refresh_from_db()
    assert household.address == "正定镇东街3号"


def test_reveal_swaps_in_whole_number_and_logs(client_for, household):
    client = client_for("town_worker", TOWN)
    detail = client.get(reverse("registry:household_detail", args=[household.pk])).content.decode()
    assert reverse("registry:reveal_id_number", args=[household.head_id]) in detail
    response = client.post(reverse("registry:reveal_id_number", args=[household.head_id]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and household.head.id_number in response.content.decode()
    assert AuditEvent.objects.filter(action="registry.reveal_id_number", object_id=str(household.head_id)).count() == 1


def test_create_household_page(client_for, village):
    client = client_for("town_worker", TOWN)
    assert client.get(reverse("registry:household_create")).status_code == 200
    number = new_id()
    response = client.post(reverse("registry:household_create"), {
        "area_code": village.code, "address": "新建路1号", "registration_type": "rural",
        "head-name": "刘一", "head-id_number": number, "head-work_ability": "full"})
    assert response.status_code == 302
    household = Household.objects.get(address="新建路1号")
    assert household.head.name == "刘一" and household.head.id_number == number


def test_failed_create_keeps_input_and_shows_error_at_field(client_for, village):
    from safetynet.core.idnumbers import check_character

    client = client_for("town_worker", TOWN)
    good = new_id()
    bad = good[:17] + next(c for c in "0123456789X" if c != check_character(good[:17]))
    response = client.post(reverse("registry:household_create"), {
        "area_code": village.code, "address": "新建路2号", "registration_type": "rural",
        "head-name": "刘二", "head-id_number": bad, "head-work_ability": "full"})
    html = response.content.decode()
    assert response.status_code == 422
    assert "新建路2号" in html and "刘二" in html and bad in html
    assert "is-invalid" in html and 'data-testid="form-errors"' in html
    assert not Household.objects.exists()


def test_add_and_edit_member_pages(client_for, household):
    client = client_for("town_worker", TOWN)
    number = new_id(sex="female")
    response = client.post(reverse("registry:member_add", args=[household.pk]), {
        "name": "王小红", "id_number": number, "relation_to_head": "child", "work_ability": "full",
        "disability_type": "physical", "disability_grade": ""})
    assert response.status_code == 422 and "王小红" in response.content.decode()
    response = client.post(reverse("registry:member_add", args=[household.pk]), {
        "name": "王小红", "id_number": number, "relation_to_head": "child", "work_ability": "full",
        "disability_type": "physical", "disability_grade": "2"})
    assert response.status_code == 302
    person = household.members.get(name="王小红")
    response = client.post(reverse("registry:member_edit", args=[person.pk]), {
        "name": "王小红", "id_number": "", "relation_to_head": "child", "work_ability": "partial",
        "disability_type": "", "disability_grade": ""})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.work_ability == "partial" and person.disability_type == "" and person.id_number == number


def test_kinship_page(client_for, household, make_actor, other_village):
    theirs = make_household(make_actor("town_worker", OTHER_TOWN), other_village.code, address="新城铺")
    client = client_for("town_worker", TOWN)
    response = client.post(reverse("registry:kinship_add", args=[household.pk]), {
        "person": household.head_id, "relation": "sibling", "relative_id_number": theirs.head.id_number})
    assert response.status_code == 302
    assert Kinship.objects.count() == 2
    html = client.get(reverse("registry:household_detail", args=[household.pk])).content.decode()
    assert theirs.head.name[0] + "*" in html  # the relative outside the area: masked name, no link
    assert reverse("registry:household_detail", args=[theirs.pk]) not in html


def test_income_and_assets_pages(client_for, household):
    client = client_for("town_worker", TOWN)
    url = reverse("registry:income_edit", args=[household.pk])
    assert client.get(url).status_code == 200
    data = {"items-TOTAL_FORMS": "3", "items-INITIAL_FORMS": "0", "items-MIN_NUM_FORMS": "0", "items-MAX_NUM_FORMS": "100",
            "items-0-category": "wages", "items-0-monthly_amount": "1500.00", "items-0-person_id": str(household.head_id),
            "items-1-category": "excluded_scholarship", "items-1-monthly_amount": "200",
            "items-2-category": "", "items-2-monthly_amount": ""}
    assert client.post(url, data).status_code == 302
    assert household.income_items.count() == 2
    bad = {**data, "items-0-monthly_amount": "-5"}
    response = client.post(url, bad)
    assert response.status_code == 422 and household.income_items.count() == 2
    detail = client.get(reverse("registry:household_detail", args=[household.pk])).content.decode()
    assert "¥1,500.00" in detail
    url = reverse("registry:assets_edit", args=[household.pk])
    assets = {"items-TOTAL_FORMS": "1", "items-INITIAL_FORMS": "0", "items-MIN_NUM_FORMS": "0", "items-MAX_NUM_FORMS": "100",
              "items-0-category": "deposit", "items-0-value": "12000", "items-0-quantity": "1"}
    assert client.post(url, assets).status_code == 302
    assert "¥12,000.00" in client.get(reverse("registry:household_detail", args=[household.pk])).content.decode()


def test_remove_head_needs_new_head(client_for, household):
    client = client_for("town_worker", TOWN)
    from safetynet.registry.services import add_member

    spouse = add_member(actor=client.actor, household_id=household.pk, name="李梅", id_number=new_id(sex="female"), relation_to_head="spouse")
    url = reverse("registry:member_remove", args=[household.head_id])
    assert client.post(url, {"reason": "迁出"}).status_code == 422
    assert client.post(url, {"reason": "迁出", "new_head": str(spouse.pk)}).status_code == 302
    household.refresh_from_db()
    assert household.head_id == spouse.pk


def test_anonymous_is_sent_to_login(client, county):
    response = client.get(reverse("registry:household_list"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_reveal_without_htmx_shows_the_page(client_for, household):
    client = client_for("town_worker", TOWN)
    response = client.post(reverse("registry:reveal_id_number", args=[household.head_id]))
    html = response.content.decode()
    assert response.status_code == 200 and household.head.id_number in html
    assert AuditEvent.objects.filter(action="registry.reveal_id_number").count() == 1
    assert household.head.id_number not in client.get(reverse("registry:household_detail", args=[household.pk])).content.decode()
