"""/api/v1/areas: filters, pagination, scope (404), roles (403), authentication (401), and the
declared responses in the OpenAPI document."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import COUNTY, DIVISIONS, OTHER_TOWN, TOWN

URL = "/api/v1/areas"
TOWN_VILLAGES = sum(1 for line in DIVISIONS.read_text(encoding="utf-8").splitlines() if line.startswith(TOWN) and len(line.split(",")[0]) == 12)


def add_person(area_code: str, n: int):
    from safetynet.core.idnumbers import make_id_number
    from safetynet.registry.models import Household, Person

    household = Household.objects.create(area_id=area_code, address="地址", registration_type="rural")
    Person.objects.create(household=household, area_id=area_code, name=f"测{n}", sex="female", birth_date=dt.date(1980, 1, n),
                          relation_to_head="head", id_number=make_id_number("130123", dt.date(1980, 1, n), n, "female"))
    return household


def test_unauthenticated_is_401(client, county):
    for response in (client.get(URL), client.get(f"{URL}/{TOWN}"), client.post(URL, {"parent": TOWN, "name": "x"}, content_type="application/json")):
        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"


def test_list_is_the_own_subtree(client_for, county):
    client = client_for("town_worker", TOWN)
    body = client.get(URL).json()
    assert body["count"] == 1 + TOWN_VILLAGES
    assert {item["code"][:9] for item in body["items"]} == {TOWN}
    first = body["items"][0]
    assert first == {"code": TOWN, "name": "正定镇", "level": "town", "parent": COUNTY, "urban_rural_class": ""}


def test_filters(client_for, county):
    client = client_for("county_officer", COUNTY)
    towns = client.get(URL, {"level": "town"}).json()
    assert towns["count"] == 10 and all(i["level"] == "town" for i in towns["items"])
    under = client.get(URL, {"parent": OTHER_TOWN}).json()
    assert under["count"] > 0 and all(i["parent"] == OTHER_TOWN for i in under["items"])
    assert all(i["urban_rural_class"] for i in under["items"])
    by_name = client.get(URL, {"q": "正定"}).json()
    assert {i["code"] for i in by_name["items"]} >= {COUNTY, TOWN}
    by_code = client.get(URL, {"q": TOWN}).json()
    assert by_code["count"] == 1 + TOWN_VILLAGES
    both = client.get(URL, {"q": TOWN, "level": "village"}).json()
    assert both["count"] == TOWN_VILLAGES
    assert client.get(URL, {"level": "province"}).json()["count"] == 0  # above the scope


def test_pagination(client_for, county):
    client = client_for("county_officer", COUNTY)
    everything = client.get(URL, {"limit": 500}).json()
    assert everything["count"] == 198 == len(everything["items"])  # county, 10 towns, 187 villages
    default = client.get(URL).json()
    assert len(default["items"]) == 50 and default["count"] == 198
    page = client.get(URL, {"limit": 20, "offset": 40}).json()
    assert [i["code"] for i in page["items"]] == [i["code"] for i in everything["items"][40:60]]
    tail = client.get(URL, {"limit": 50, "offset": 190}).json()
    assert len(tail["items"]) == 8
    assert client.get(URL, {"offset": 1000}).json() == {"count": 198, "items": [], "next": None}


def test_keyset_pages_return_the_rows_offset_pages_do(client_for, county):
    """`after` (the `next` of the previous page) walks the same rows in the same order as
    offset pages, whatever the filters; the last page has no `next`."""
    client = client_for("county_officer", COUNTY)
    for filters in ({}, {"level": "village"}, {"q": TOWN}, {"parent": TOWN}):
        by_offset, offset = [], 0
        while page := client.get(URL, {**filters, "limit": 17, "offset": offset}).json()["items"]:
            by_offset += [i["code"] for i in page]
            offset += 17
        by_cursor, after, pages = [], None, 0
        while True:
            answer = client.get(URL, {**filters, "limit": 17, **({"after": after} if after else {})}).json()
            assert answer["count"] == (len(by_offset) if after is None else None)
            by_cursor += [i["code"] for i in answer["items"]]
            pages += 1
            after = answer["next"]
            if after is None:
                break
            assert after == answer["items"][-1]["code"]
        assert by_cursor == by_offset and len(by_offset) > 0
        assert pages == -(-len(by_offset) // 17)


def test_deep_offsets_are_refused_with_the_way_to_page(client_for, county):
    client = client_for("county_officer", COUNTY)
    assert client.get(URL, {"offset": 10_000}).status_code == 200
    for params in ({"offset": 10_001}, {"offset": 600_000, "level": "village"}):
        response = client.get(URL, params)
        assert response.status_code == 422
        answer = response.json()
        assert (answer["code"], answer["field"]) == ("invalid", "offset") and "`after`" in answer["message"]
        assert "10,000" in answer["message"] and not answer["message"].startswith("Value error")
    assert client.get(URL, {"after": "13a"}).status_code == 422
    # With both, the rows are skipped after the cursor.
    villages = [i["code"] for i in client.get(URL, {"level": "village", "limit": 20}).json()["items"]]
    assert [i["code"] for i in client.get(URL, {"level": "village", "after": villages[4], "offset": 5, "limit": 3}).json()["items"]] \
        == villages[10:13]


@pytest.mark.parametrize("params", [{"limit": 501}, {"limit": 0}, {"offset": -1}, {"level": "hamlet"}, {"limit": "many"}])
def test_bad_filters_are_422(client_for, county, params):
    response = client_for("county_officer", COUNTY).get(URL, params)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


def test_parent_outside_scope_is_404(client_for, county):
    client = client_for("town_worker", TOWN)
    assert client.get(URL, {"parent": OTHER_TOWN}).status_code == 404
    assert client.get(URL, {"parent": COUNTY}).status_code == 404


def test_detail_with_counts(client_for, county, village):
    add_person(village.code, 1)
    add_person(village.code, 2)
    client = client_for("town_worker", TOWN)
    body = client.get(f"{URL}/{village.code}").json()
    assert body["code"] == village.code and body["level"] == "village"
    assert (body["households"], body["people"]) == (2, 2)
    town = client.get(f"{URL}/{TOWN}").json()
    assert (town["households"], town["people"], town["areas_below"]) == (2, 2, TOWN_VILLAGES)


@pytest.mark.parametrize("code", [OTHER_TOWN, COUNTY, "1301", "13", "999999", "x"])
def test_detail_outside_scope_is_404(client_for, county, code):
    response = client_for("town_worker", TOWN).get(f"{URL}/{code}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_officer_creates_groups_and_grids(client_for, county, village):
    client = client_for("county_officer", COUNTY)
    response = client.post(URL, {"parent": village.code, "name": "一组"}, content_type="application/json")
    assert response.status_code == 201
    group = response.json()
    assert (group["code"], group["level"], group["parent"], group["households"]) == (village.code + "001", "group", village.code, 0)
    grid = client.post(URL, {"parent": group["code"], "name": "网格一", "code": group["code"] + "007"}, content_type="application/json").json()
    assert (grid["code"], grid["level"]) == (group["code"] + "007", "grid")


@pytest.mark.parametrize("role", ["town_worker", "village_cadre", "inspector", "county_leader"])
def test_wrong_role_post_is_403(client_for, county, village, role):
    from safetynet.areas.models import Area

    client = client_for(role, COUNTY if role.startswith("county") else TOWN)
    response = client.post(URL, {"parent": village.code, "name": "一组"}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert not Area.objects.filter(level="group").exists()


def test_post_outside_scope_is_404_and_bad_parent_422(client_for, county, village, other_village):
    officer_of_village = client_for("county_officer", village.code)
    response = officer_of_village.post(URL, {"parent": other_village.code, "name": "一组"}, content_type="application/json")
    assert response.status_code == 404
    response = officer_of_village.post(URL, {"parent": village.code, "name": ""}, content_type="application/json")
    assert response.status_code == 422
    county_officer = client_for("county_officer", COUNTY)
    response = county_officer.post(URL, {"parent": TOWN, "name": "镇下组"}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["field"] == "parent"


def test_bearer_token(county, make_actor, client):
    from safetynet.areas.tokens import issue_api_token

    actor = make_actor("town_worker", TOWN, username="api-town")
    _token, secret = issue_api_token(actor=actor, username="api-town", post_id=actor.post_id)
    response = client.get(URL, {"level": "village"}, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert response.json()["count"] == TOWN_VILLAGES
    assert client.get(URL, HTTP_AUTHORIZATION="Bearer wrong").status_code == 401


def test_openapi_declares_every_answer(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    operations = [schema["paths"]["/api/v1/areas"]["get"], schema["paths"]["/api/v1/areas"]["post"],
                  schema["paths"]["/api/v1/areas/{code}"]["get"]]
    for operation in operations:
        assert {"401", "403", "404", "422"} <= set(operation["responses"])
    assert "201" in schema["paths"]["/api/v1/areas"]["post"]["responses"]
