"""The registry API: scoped exactly as the pages, ID numbers whole only for roles that need them."""
import datetime as dt

import pytest

from safetynet.core.idnumbers import make_id_number
from safetynet.core.models import AuditEvent
from safetynet.registry import services
from tests.conftest import OTHER_TOWN, TOWN

HEAD_ID = make_id_number("130123", dt.date(1956, 3, 9), 12, "male")
WIFE_ID = make_id_number("130123", dt.date(1958, 7, 1), 13, "female")


@pytest.fixture
def household(village, make_actor):
    actor = make_actor("town_worker", TOWN)
    return services.create_household(actor=actor, area_code=village.code, address="正定镇某村 1 号", registration_type="rural", members=[
        {"name": "王建国", "id_number": HEAD_ID, "relation_to_head": "head"},
        {"name": "李秀兰", "id_number": WIFE_ID, "relation_to_head": "spouse"},
    ])


@pytest.fixture
def foreign_household(other_village, make_actor):
    actor = make_actor("town_worker", OTHER_TOWN)
    return services.create_household(actor=actor, area_code=other_village.code, address="新城铺镇某村 9 号", registration_type="rural", members=[
        {"name": "赵四", "id_number": make_id_number("130123", dt.date(1970, 1, 2), 20, "male"), "relation_to_head": "head"},
    ])


def test_town_worker_lists_and_reads_whole_ids(client_for, household, foreign_household):
    client = client_for("town_worker", TOWN)
    body = client.get("/api/v1/households").json()
    assert body["count"] == 1 and body["items"][0]["id"] == household.pk
    assert body["items"][0]["head_name"] == "王建国" and body["items"][0]["member_count"] == 2
    detail = client.get(f"/api/v1/households/{household.pk}").json()
    assert {m["id_number"] for m in detail["members"]} == {HEAD_ID, WIFE_ID}
    assert AuditEvent.objects.filter(action="registry.disclose_id_numbers").exists()


def test_other_roles_get_masked_ids(client_for, household):
    client = client_for("village_cadre", household.area_id)
    persons = client.get("/api/v1/persons").json()["items"]
    assert persons and all("*" in p["id_number"] for p in persons)
    assert persons[0]["id_number"].startswith("130123") and persons[0]["sex"] in ("male", "female")


def test_out_of_area_objects_answer_404(client_for, household, foreign_household):
    client = client_for("town_worker", TOWN)
    assert client.get(f"/api/v1/households/{foreign_household.pk}").status_code == 404
    foreign_person = foreign_household.members.first()
    assert client.get(f"/api/v1/persons/{foreign_person.pk}").status_code == 404
    response = client.patch(f"/api/v1/persons/{foreign_person.pk}", {"name": "改名"}, content_type="application/json")
    assert response.status_code == 404
    assert client.get("/api/v1/households", {"area": OTHER_TOWN}).status_code == 404


def test_persons_filter_and_paginate(client_for, household):
    client = client_for("town_worker", TOWN)
    page = client.get("/api/v1/persons", {"limit": 1, "offset": 1}).json()
    assert page["count"] == 2 and len(page["items"]) == 1 and page["offset"] == 1
    assert client.get("/api/v1/persons", {"q": HEAD_ID}).json()["items"][0]["name"] == "王建国"
    assert client.get("/api/v1/persons", {"q": "李"}).json()["count"] == 1
    assert client.get("/api/v1/persons", {"household": household.pk}).json()["count"] == 2
    assert client.get("/api/v1/persons", {"limit": 0}).status_code == 422


def test_create_household_and_person(client_for, village):
    client = client_for("town_worker", TOWN)
    response = client.post("/api/v1/households", {
        "area": village.code, "address": "正定镇某村 5 号", "registration_type": "rural",
        "members": [{"name": "张三", "id_number": HEAD_ID, "relation_to_head": "head"}],
    }, content_type="application/json")
    assert response.status_code == 201, response.content
    household = response.json()
    assert household["members"][0]["sex"] == "male" and household["members"][0]["birth_date"] == "1956-03-09"
    response = client.post("/api/v1/persons", {"household": household["id"], "name": "张小花", "id_number": WIFE_ID,
                                               "relation_to_head": "spouse"}, content_type="application/json")
    assert response.status_code == 201 and response.json()["sex"] == "female"


def test_bad_id_number_is_422_with_field(client_for, household):
    client = client_for("town_worker", TOWN)
    bad = HEAD_ID[:17] + ("0" if HEAD_ID[17] != "0" else "1")
    response = client.post("/api/v1/persons", {"household": household.pk, "name": "错号", "id_number": bad,
                                               "relation_to_head": "child"}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["field"] == "id_number" and response.json()["code"]


def test_person_in_two_households_is_refused(client_for, household, village):
    client = client_for("town_worker", TOWN)
    other = services.create_household(actor=client.actor, area_code=village.code, address="另一户", registration_type="rural")
    response = client.post("/api/v1/persons", {"household": other.pk, "name": "王建国", "id_number": HEAD_ID,
                                               "relation_to_head": "head"}, content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "id_number"


def test_read_only_roles_cannot_write(client_for, household):
    for role in ("grid_worker", "village_cadre", "inspector", "county_leader"):
        client = client_for(role, household.area_id if role in ("grid_worker", "village_cadre") else "130123")
        response = client.patch(f"/api/v1/households/{household.pk}", {"address": "x"}, content_type="application/json")
        assert response.status_code == 403, role
        assert response.json()["code"] == "forbidden"


def test_update_household_moves_within_scope_only(client_for, household, other_village):
    client = client_for("town_worker", TOWN)
    response = client.patch(f"/api/v1/households/{household.pk}", {"area": other_village.code}, content_type="application/json")
    assert response.status_code == 404
    response = client.patch(f"/api/v1/households/{household.pk}", {"address": "正定镇某村 2 号"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["address"] == "正定镇某村 2 号"


def test_county_officer_sees_the_whole_county(client_for, household, foreign_household):
    client = client_for("county_officer", "130123")
    assert client.get("/api/v1/households").json()["count"] == 2
