"""The public self-check (issue 3 §6): POST /api/v1/public/eligibility answers per its contract
without login, 422 with the field at fault for bad input, 429 {code: "throttled"} past the rate;
the public page /check/ gives the same answer through the same function."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import translation

from safetynet.programs.demo import seed_demo_standards
from safetynet.programs.rules import assess_dibao
from safetynet.programs.selectors import dibao_parameters
from tests.programs_helpers import household, member

URL = "/api/v1/public/eligibility"
TWO_PLACES = re.compile(r"^-?[0-9]+\.[0-9]{2}$")


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rural_village(county, system):
    seed_demo_standards(actor=system, county_code="130123")
    return county.__class__.objects.filter(code__startswith="130123100", level="village", urban_rural_class="220").order_by("code").first()


@pytest.fixture
def urban_village(rural_village):
    return rural_village.__class__.objects.filter(code__startswith="130123", level="village", urban_rural_class="111").order_by("code").first()


def body(village, **overrides):
    data = {
        "program": "dibao", "area_code": village.code, "month": "2026-11",
        "members": [
            {"birth_date": "1980-05-01", "disability_grade": None, "disability_type": None, "serious_illness": False, "monthly_income": "900.00"},
            {"birth_date": "1950-03-02", "disability_grade": None, "disability_type": None, "serious_illness": False, "monthly_income": "0.00"},
            {"birth_date": "2015-09-01", "disability_grade": None, "disability_type": None, "serious_illness": False, "monthly_income": "0.00"},
        ],
        "assets": {"financial": "5000.00", "homes": 1, "non_residential_properties": 0, "vehicles": 0, "businesses": 0},
    }
    data.update(overrides)
    return data


def post(client, data, **extra):
    return client.post(URL, data=data, content_type="application/json", **extra)


def test_eligible_household_answers_per_the_contract(client, rural_village):
    with translation.override("en"):
        response = post(client, body(rural_village), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content
    data = response.json()
    assert set(data) == {"eligible", "monthly_amount", "standard", "per_capita_income", "reasons", "breakdown"}
    assert data["eligible"] is True
    # rural 720; per-capita 300; gap 420 × 3 = 1260; elderly (76) and minor (11): + 216 each
    assert data["standard"] == "720.00"
    assert data["per_capita_income"] == "300.00"
    assert data["monthly_amount"] == "1692.00"
    assert data["reasons"] == []
    for line in data["breakdown"]:
        assert set(line) == {"item", "amount", "rule"}
        assert TWO_PLACES.match(line["amount"]) and line["item"] and line["rule"]
    for key in ("monthly_amount", "standard", "per_capita_income"):
        assert TWO_PLACES.match(data[key])


def test_same_rule_as_the_staff_side(client, rural_village):
    """No rule written twice: the endpoint's amount is assess_dibao's with parameters_for's values."""
    import datetime as dt

    data = post(client, body(rural_village)).json()
    params = dibao_parameters(rural_village.code, dt.date(2026, 11, 1))
    facts = household(member("900", age=46), member("0", age=76), member("0", age=11), on=dt.date(2026, 11, 1))
    assert Decimal(data["monthly_amount"]) == assess_dibao(facts, params).monthly_amount


def test_urban_village_uses_the_urban_standard(client, urban_village):
    data = post(client, body(urban_village)).json()
    assert data["standard"] == "900.00"


def test_ineligible_household_gets_reasons(client, rural_village):
    data = post(client, body(rural_village, assets={"financial": "0", "homes": 1, "vehicles": 1})).json()
    assert data["eligible"] is False
    assert data["monthly_amount"] == "0.00"
    assert data["reasons"]
    rich = post(client, body(rural_village, members=[{"birth_date": "1980-01-01", "monthly_income": "5000.00"}])).json()
    assert rich["eligible"] is False and rich["per_capita_income"] == "5000.00"


def test_disabled_member_in_a_margin_household_is_covered_alone(client, rural_village):
    members = [{"birth_date": "1980-01-01", "monthly_income": "1600.00"},
               {"birth_date": "1985-01-01", "disability_grade": 3, "disability_type": "intellectual", "monthly_income": "0"}]
    data = post(client, body(rural_village, members=members)).json()
    assert data["eligible"] is True and data["monthly_amount"] == "936.00"


@pytest.mark.parametrize("change,field", [
    ({"members": []}, "members"),
    ({"area_code": "999999999999"}, "area_code"),
    ({"area_code": "130123"}, "area_code"),
    ({"area_code": "13012310020a"}, "area_code"),
    ({"month": "2026-13"}, "month"),
    ({"month": "1999-01"}, "month"),
    ({"program": "lottery"}, "program"),
    ({"members": [{"birth_date": "2099-01-01", "monthly_income": "0"}]}, "members.0.birth_date"),
    ({"members": [{"birth_date": "1980-01-01", "monthly_income": "-1.00"}]}, "members.0.monthly_income"),
    ({"members": [{"birth_date": "1980-01-01", "monthly_income": "1.001"}]}, "members.0.monthly_income"),
    ({"members": [{"birth_date": "1980-01-01", "disability_grade": 5}]}, "members.0.disability_grade"),
    ({"members": [{"birth_date": "1980-01-01", "disability_type": "sad"}]}, "members.0.disability_type"),
    ({"members": [{"monthly_income": "0"}]}, "members.0.birth_date"),
    ({"assets": {"financial": "-5"}}, "assets.financial"),
    ({"assets": {"homes": -1}}, "assets.homes"),
])
def test_bad_requests_answer_422_with_the_field(client, rural_village, change, field):
    response = post(client, body(rural_village, **change))
    assert response.status_code == 422, response.content
    data = response.json()
    assert data["code"] == "invalid"
    assert data["field"] == field
    assert data["message"]


def test_a_town_code_is_not_a_village(client, rural_village):
    response = post(client, body(rural_village, area_code="130123100" + "000"))
    assert response.status_code == 422 and response.json()["field"] == "area_code"


def test_county_without_a_standard_answers_422_area_code(client, county):
    village = county.__class__.objects.filter(level="village", urban_rural_class="220").first()
    response = post(client, body(village), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert response.json()["field"] == "area_code"
    assert response.json()["message"].endswith("a county officer must enter it.")


def test_unparsable_body_is_not_a_500(client, rural_village):
    response = client.post(URL, data="{not json", content_type="application/json")
    assert response.status_code in (400, 422)


def test_no_login_and_no_csrf_needed(rural_village):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert post(strict, body(rural_village)).status_code == 200


def test_throttled_after_30_a_minute_per_address(client, rural_village):
    for _ in range(30):
        assert post(client, body(rural_village), REMOTE_ADDR="10.1.1.1").status_code == 200
    response = post(client, body(rural_village), REMOTE_ADDR="10.1.1.1")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response.headers["Retry-After"]) >= 1
    # another address is not affected, and a forged X-Forwarded-For does not buy a new identity
    assert post(client, body(rural_village), REMOTE_ADDR="10.1.1.2").status_code == 200
    assert post(client, body(rural_village), REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="1.2.3.4").status_code == 429


# --- the public page --------------------------------------------------------------------------

def page_data(village, **extra):
    data = {
        "town": village.parent_id, "village": village.code, "month": "2026-11",
        "form-TOTAL_FORMS": "2", "form-INITIAL_FORMS": "0", "form-MIN_NUM_FORMS": "1", "form-MAX_NUM_FORMS": "30",
        "form-0-birth_date": "1980-05-01", "form-0-monthly_income": "900.00",
        "form-1-birth_date": "1950-03-02", "form-1-monthly_income": "0",
        "financial": "5000", "homes": "1", "non_residential_properties": "0", "vehicles": "0", "businesses": "0",
        "check": "1",
    }
    data.update(extra)
    return data


def test_public_page_needs_no_login_and_lists_the_towns(client, rural_village):
    response = client.get("/check/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "130123100" in html                        # 正定镇 among the towns
    assert "<script>" not in html                     # CSP: no inline scripts


def test_public_page_shows_the_same_answer_with_its_breakdown(client, rural_village):
    api = post(client, body(rural_village, members=body(rural_village)["members"][:2])).json()
    response = client.post("/check/", page_data(rural_village), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="answer"' in html and 'data-testid="breakdown"' in html
    amount = Decimal(api["monthly_amount"])
    assert f"¥{amount:,.2f}" in html


def test_public_page_puts_errors_next_to_the_fields_and_keeps_input(client, rural_village):
    response = client.post("/check/", page_data(rural_village, **{"form-0-birth_date": "", "form-0-monthly_income": "123.45"}))
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-testid="form-errors"' in html
    assert 'value="123.45"' in html
    assert 'data-testid="answer"' not in html


def test_public_page_add_member_and_villages_without_javascript(client, rural_village):
    response = client.post("/check/", {**page_data(rural_village), "add_member": "1"})
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="member"') == 3
    assert 'data-testid="form-errors"' not in response.content.decode()
    options = client.get("/check/areas/", {"level": "village", "town": rural_village.parent_id})
    assert rural_village.code in options.content.decode()


def test_public_page_is_throttled_too(client, rural_village):
    for _ in range(30):
        client.post("/check/", page_data(rural_village), REMOTE_ADDR="10.9.9.9")
    assert client.post("/check/", page_data(rural_village), REMOTE_ADDR="10.9.9.9").status_code == 429
