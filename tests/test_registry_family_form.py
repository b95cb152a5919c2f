"""A family at the window registered in one submit (issue 15): the household, its head and the
other members on one page, one call to create_household; a blank row is ignored, a bad row is
refused in place and nothing is saved."""
from __future__ import annotations

from django.urls import reverse

from safetynet.core.models import AuditEvent
from safetynet.registry.models import Household, Person
from tests.conftest import OTHER_TOWN, TOWN
from tests.registry_helpers import new_id


def _post(client, village, address: str, rows: list[tuple[str, str, str]], **extra):
    data = {"area_code": village.code, "address": address, "registration_type": "rural",
            "head-name": "刘一", "head-id_number": extra.pop("head_id", new_id()), "head-work_ability": "full",
            "members-TOTAL_FORMS": "3", "members-INITIAL_FORMS": "0", "members-MIN_NUM_FORMS": "0", "members-MAX_NUM_FORMS": "20"}
    for n, (name, number, relation) in enumerate(rows):
        data.update({f"members-{n}-name": name, f"members-{n}-id_number": number, f"members-{n}-relation_to_head": relation})
    data.update(extra)
    return client.post(reverse("registry:household_create"), data)


def test_a_family_is_registered_in_one_submit(client_for, village):
    client = client_for("town_worker", TOWN)
    page = client.get(reverse("registry:household_create")).content.decode()
    assert 'name="members-0-name"' in page and 'name="members-2-relation_to_head"' in page
    spouse, child = new_id(), new_id()
    response = _post(client, village, "家庭路1号", [("王二", spouse, "spouse"), ("刘三", child, "child")])
    assert response.status_code == 302
    household = Household.objects.get(address="家庭路1号")
    members = dict(Person.objects.filter(household=household).values_list("id_number", "relation_to_head"))
    assert members[spouse] == "spouse" and members[child] == "child" and len(members) == 3
    assert AuditEvent.objects.filter(action__startswith="registry.create_household", object_id=str(household.pk)).count() == 1


def test_a_half_filled_row_is_refused_in_place_and_nothing_is_saved(client_for, village):
    client = client_for("town_worker", TOWN)
    response = _post(client, village, "家庭路2号", [("王二", "", "spouse")])
    html = response.content.decode()
    assert response.status_code == 422 and "王二" in html and "家庭路2号" in html and "is-invalid" in html
    assert not Household.objects.exists()


def test_a_member_refused_by_the_service_is_shown_on_its_row(client_for, village):
    """Two members with one ID number: create_household names the row; nothing is saved."""
    client = client_for("town_worker", TOWN)
    same = new_id()
    response = _post(client, village, "家庭路3号", [("王二", same, "spouse"), ("刘三", same, "child")])
    html = response.content.decode()
    assert response.status_code == 422 and 'data-testid="form-errors"' in html and same in html
    assert not Household.objects.exists() and not Person.objects.exists()


def test_a_post_without_the_rows_registers_the_head_alone(client_for, village):
    client = client_for("town_worker", TOWN)
    response = client.post(reverse("registry:household_create"), {
        "area_code": village.code, "address": "家庭路4号", "registration_type": "rural",
        "head-name": "刘四", "head-id_number": new_id(), "head-work_ability": "full"})
    assert response.status_code == 302 and Person.objects.count() == 1


def test_denied_outside_the_area_and_without_the_permission(client_for, village):
    response = _post(client_for("town_worker", OTHER_TOWN), village, "家庭路5号", [("王二", new_id(), "spouse")])
    assert response.status_code == 422                     # the village is not one of that post's areas
    assert _post(client_for("inspector", village.code[:6]), village, "家庭路6号",
                 [("王二", new_id(), "spouse")]).status_code == 403
    assert not Household.objects.exists()
