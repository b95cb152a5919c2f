"""/api/v1/programs: values in force with their origin, history, setting a value; denial by role
(403) and by area (404)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from safetynet.programs.models import Parameter

COUNTY = "130123"
TOWN = "130123100"


@pytest.fixture
def other_county(county):
    from safetynet.areas.models import Area

    return Area.objects.create(code="130124", name="栾城区", level="county", parent_id="1301")


def next_month() -> dt.date:
    today = timezone.localdate()
    return dt.date(today.year + (today.month == 12), today.month % 12 + 1, 1)


def test_needs_login(client, standards):
    assert client.get("/api/v1/programs").status_code == 401
    assert client.post("/api/v1/public/eligibility", data={}, content_type="application/json").status_code == 422


def test_list_programs(client_for, standards):
    client = client_for("grid_worker", TOWN + "201")
    data = client.get("/api/v1/programs").json()
    assert [p["code"] for p in data] == ["dibao", "discovery", "medical", "oversight", "special_hardship", "temporary", "workforce"]


def test_values_in_force_for_the_callers_area(client_for, standards):
    client = client_for("town_worker", TOWN)
    data = client.get("/api/v1/programs/dibao/parameters", {"month": "2026-11"}).json()
    assert data["area_code"] == TOWN and data["month"] == "2026-11"
    items = {i["key"]: i for i in data["items"]}
    assert items["rural_standard"]["value"] == "720.00" and items["rural_standard"]["area_code"] == COUNTY
    assert items["rural_standard"]["area_name"] == "正定县" and "MLG-2021 art. 23" in items["rural_standard"]["source"]
    assert items["elderly_age"]["area_code"] is None and items["elderly_age"]["local_default"] is True
    assert items["mandatory_deliberation"]["value"] == "false"


def test_other_county_area_is_404_and_unknown_program_404(client_for, standards, other_county):
    client = client_for("county_officer", other_county.code)
    response = client.get("/api/v1/programs/dibao/parameters", {"area": COUNTY})
    assert response.status_code == 404
    assert client.get("/api/v1/programs/lottery/parameters").status_code == 404


def test_county_officer_sets_a_value(client_for, standards):
    client = client_for("county_officer", COUNTY)
    month = next_month()
    response = client.post("/api/v1/programs/dibao/parameters", data={
        "key": "rural_standard", "area_code": COUNTY, "value": "780.00", "effective_from": month.isoformat(),
        "reason": "县民政局通知"}, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["value"] == "780.00" and response.json()["effective_to"] is None
    history = client.get("/api/v1/programs/dibao/parameters/rural_standard/history").json()
    assert [row["value"] for row in history["items"]] == ["780.00", "720.00"]
    assert history["items"][1]["effective_to"] == month.isoformat()
    boolean = client.post("/api/v1/programs/dibao/parameters", data={
        "key": "mandatory_deliberation", "area_code": COUNTY, "value": True, "effective_from": month.isoformat(),
        "reason": "county keeps deliberation"}, content_type="application/json")
    assert boolean.status_code == 201 and boolean.json()["value"] == "true"
    ratio = client.post("/api/v1/programs/dibao/parameters", data={
        "key": "increment_ratio_minor", "area_code": COUNTY, "value": 0.35, "effective_from": month.isoformat(),
        "reason": "more for children"}, content_type="application/json")
    assert ratio.status_code == 201 and ratio.json()["value"] == "0.35"


def test_town_worker_gets_403_and_other_county_404(client_for, standards, other_county):
    payload = {"key": "rural_standard", "area_code": COUNTY, "value": "1.00", "effective_from": next_month().isoformat(),
               "reason": "x"}
    worker = client_for("town_worker", TOWN)
    response = worker.post("/api/v1/programs/dibao/parameters", data=payload, content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    outsider = client_for("county_officer", other_county.code)
    response = outsider.post("/api/v1/programs/dibao/parameters", data=payload, content_type="application/json")
    assert response.status_code == 404
    assert not Parameter.objects.filter(value="1.00").exists()


def test_bad_value_is_422_with_field(client_for, standards):
    client = client_for("county_officer", COUNTY)
    response = client.post("/api/v1/programs/dibao/parameters", data={
        "key": "rural_standard", "area_code": COUNTY, "value": "lots", "effective_from": next_month().isoformat(),
        "reason": "x"}, content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "value"
    response = client.post("/api/v1/programs/dibao/parameters", data={
        "key": "rural_standard", "area_code": COUNTY, "value": "700", "effective_from": next_month().replace(day=2).isoformat(),
        "reason": "x"}, content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "effective_from"
