"""One-stop settlement through the institution API (issue 20 part 3; POLICY.md §4):
`/api/v1/medical/institution/settlements`.

The formula of each default category as the cashier gets it, the yearly deductible and the cap
across bills, the most favorable of several categories; the same bill twice, another bill under
a settled visit number, reversal; each refusal with its code and field; keys (revoked, expired,
missing, a staff login instead), the contract, another hospital's visits; the answer in Chinese;
the queries a settlement costs."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safetynet.cases import clocks
from safetynet.medical import catalogue
from safetynet.medical.models import Certification, Institution, InstitutionKey, PersonYear, Settlement
from tests.cases_helpers import new_id
from tests.medical_helpers import D, bill

URL = "/api/v1/medical/institution/settlements"


def amounts(eligible: str, ineligible: str = "1000.00", basic: str = "6000.00", critical: str = "1000.00") -> dict:
    """The amounts of a bill whose parts add up."""
    total = Decimal(eligible) + Decimal(ineligible) + Decimal(basic) + Decimal(critical)
    return {"eligible": eligible, "ineligible": ineligible, "basic": basic, "critical": critical, "total": f"{total:.2f}"}


def settle(client, body: dict, **headers):
    return client.post(URL, body, content_type="application/json", headers=headers)


def register(person, category: str, since=dt.date(2025, 1, 1)):
    from safetynet.discovery.warning_models import MonitoredHousehold

    return MonitoredHousehold.objects.create(household_id=person.household_id, area_id=person.area_id, category=category,
                                             since=since, source="verification")


def certify(person, code: str = catalogue.RETURNED_TO_POVERTY):
    return Certification.objects.create(person=person, category_code=code, area_id=person.area_id,
                                        valid_from=dt.date(2025, 1, 1), valid_until=dt.date(2025, 12, 31),
                                        reason="乡村振兴部门认定", certified_by="test")


def year_of(person, year=2025) -> PersonYear:
    return PersonYear.objects.get(person=person, year=year)


# ---------------------------------------------------------------------------------------------
# The formula, per default category
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("how, code, eligible, assistance, deductible", [
    ("dibao", catalogue.DIBAO, "4000.00", "2800.00", "0.00"),                      # 70 %, no deductible
    ("special_hardship", catalogue.SPECIAL_HARDSHIP, "4000.00", "4000.00", "0.00"),  # 100 %
    ("margin", catalogue.MARGIN, "10000.00", "3521.16", "4131.40"),               # (10000 − 4131.40) × 60 %
    ("at_risk", catalogue.AT_RISK, "10000.00", "3521.16", "4131.40"),
    ("rigid_expenses", catalogue.ILLNESS, "20000.00", "5802.90", "10328.50"),     # 25 % of 41,314
    ("certification", catalogue.RETURNED_TO_POVERTY, "10000.00", "3521.16", "4131.40"),
])
def test_each_default_category_through_the_api(med, how, code, eligible, assistance, deductible):
    if how in ("dibao", "special_hardship"):
        person = med.person(how)
    else:
        person = med.person(None)
        if how == "certification":
            certify(person)
        else:
            register(person, how)
    a = amounts(eligible)
    response = settle(med.client(), bill(person.id_number, **a))
    assert response.status_code == 200, response.content
    answer = response.json()
    cap = catalogue.TERMS[code][3]
    assert answer["category"] == code and answer["status"] == "settled"
    assert answer["assistance"] == assistance
    assert answer["breakdown"]["deductible_applied"] == deductible
    assert answer["patient_pays"] == f"{Decimal(eligible) + Decimal('1000.00') - Decimal(assistance):.2f}"
    assert answer["annual_cap"] == f"{cap:.2f}"
    assert answer["remaining_cap"] == f"{cap - Decimal(assistance):.2f}"
    assert answer["capped"] is False and answer["cap_note"] is None
    assert answer["qualified_by"] == {"dibao": "enrollment", "special_hardship": "enrollment",
                                      "certification": "certification"}.get(how, "register")
    assert answer["year"] == 2025 and answer["person"].endswith("*") and person.name not in answer["person"]
    assert answer["category_name"] == catalogue.CATEGORIES[code][1]
    assert answer["category_name_en"] == catalogue.CATEGORIES[code][2]
    settlement = Settlement.objects.get(pk=answer["settlement_id"])
    assert settlement.assistance == Decimal(assistance) and settlement.institution == med.hospital
    assert year_of(person).assistance_total == Decimal(assistance)
    assert year_of(person).eligible_total == Decimal(eligible)


def test_the_most_favorable_of_several_categories_is_named(med):
    person = med.person("dibao")
    register(person, "margin")
    answer = settle(med.client(), bill(person.id_number, **amounts("10000.00"))).json()
    assert answer["category"] == catalogue.DIBAO and answer["assistance"] == "7000.00"
    assert {c["category"]: c["assistance"] for c in answer["considered"]} == {catalogue.DIBAO: "7000.00",
                                                                              catalogue.MARGIN: "3521.16"}


def test_the_yearly_deductible_is_consumed_across_two_bills(med):
    person = med.person(None)
    register(person, "margin")
    client = med.client()
    first = settle(client, bill(person.id_number, **amounts("3000.00"))).json()
    assert first["assistance"] == "0.00" and first["breakdown"]["deductible_applied"] == "3000.00"
    second = settle(client, bill(person.id_number, **amounts("3000.00"))).json()
    assert second["breakdown"]["deductible_left"] == "1131.40"
    assert second["breakdown"]["deductible_applied"] == "1131.40"
    assert second["assistance"] == "1121.16"                    # (3000 − 1131.40) × 60 %
    assert year_of(person).eligible_total == Decimal("6000.00")


def test_a_bill_over_the_cap_pays_what_is_left_and_says_so(med):
    person = med.person("special_hardship")   # 100 %, cap 30,000
    client = med.client()
    assert settle(client, bill(person.id_number, **amounts("25000.00"))).json()["assistance"] == "25000.00"
    capped = settle(client, bill(person.id_number, **amounts("8000.00"))).json()
    assert capped["assistance"] == "5000.00" and capped["capped"] is True and capped["remaining_cap"] == "0.00"
    assert capped["breakdown"]["computed"] == "8000.00" and capped["breakdown"]["cap_left"] == "5000.00"
    assert "¥5,000.00" in capped["cap_note"] and "¥8,000.00" in capped["cap_note"] and "cap" in capped["cap_note_en"]
    assert capped["patient_pays"] == "4000.00"                  # 8000 + 1000 − 5000
    spent = settle(client, bill(person.id_number, **amounts("1000.00"))).json()
    assert spent["assistance"] == "0.00" and spent["capped"] is True and spent["cap_note"]
    assert year_of(person).assistance_total == Decimal("30000.00") and year_of(person).settlements == 3


def test_a_county_s_new_terms_apply_to_the_next_bill(med, county):
    """The terms are cached per process: a write is seen by the next settlement, inside its
    transaction (the cache's token there is the parameters')."""
    from safetynet.medical.models import CategoryTerms

    person = med.person("dibao")
    client = med.client()
    assert settle(client, bill(person.id_number, **amounts("1000.00"))).json()["assistance"] == "700.00"
    CategoryTerms.objects.create(category_code=catalogue.DIBAO, area=county, from_year=2025, rate=Decimal("0.8"),
                                 deductible=Decimal("0"), annual_cap=Decimal("40000"))
    answer = settle(client, bill(person.id_number, **amounts("1000.00"))).json()
    assert answer["assistance"] == "800.00" and answer["annual_cap"] == "40000.00"


def test_amounts_may_be_json_numbers(med):
    person = med.person("dibao")
    body = {**bill(person.id_number), "total_cost": 12000, "basic_insurance_paid": 6000.5,
            "critical_illness_paid": 999.5, "eligible_self_paid": 4000, "ineligible_self_paid": 1000.0}
    response = settle(med.client(), body)
    assert response.status_code == 200, response.content
    assert response.json()["assistance"] == "2800.00"


# ---------------------------------------------------------------------------------------------
# Once per visit; reversal
# ---------------------------------------------------------------------------------------------
def test_the_same_bill_twice_gets_the_same_answer(med):
    person = med.person("dibao")
    client = med.client()
    body = bill(person.id_number)
    first, second = settle(client, body), settle(client, body)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert Settlement.objects.count() == 1 and year_of(person).assistance_total == Decimal("2800.00")
    read = client.get(f"{URL}/{body['visit_number']}")
    assert read.status_code == 200 and read.content == first.content
    # Written the same way (full-width digits, spaces around) is the same bill.
    assert settle(client, {**body, "visit_number": f" {body['visit_number']} "}).content == first.content


def test_another_bill_under_a_settled_visit_number_is_refused(med):
    person = med.person("dibao")
    client = med.client()
    body = bill(person.id_number)
    settle(client, body)
    before = (Settlement.objects.count(), year_of(person).assistance_total, year_of(person).eligible_total)
    changed = settle(client, {**body, **{"eligible_self_paid": "5000.00", "ineligible_self_paid": "0.00"}})
    assert changed.status_code == 409
    assert changed.json()["code"] == "visit_conflict" and changed.json()["field"] == "visit_number"
    other_person = settle(client, bill(med.person("dibao").id_number, visit=body["visit_number"]))
    assert other_person.status_code == 409 and other_person.json()["code"] == "visit_conflict"
    assert (Settlement.objects.count(), year_of(person).assistance_total, year_of(person).eligible_total) == before


def test_a_reversal_gives_back_the_cap_and_the_deductible(med):
    person = med.person(None)
    register(person, "margin")
    client = med.client()
    body = bill(person.id_number, **amounts("10000.00"))
    assert settle(client, body).json()["assistance"] == "3521.16"
    url = f"{URL}/{body['visit_number']}/reversal"
    reversed_ = client.post(url, {"reason": "病人退费"}, content_type="application/json")
    assert reversed_.status_code == 200, reversed_.content
    out = reversed_.json()
    assert out["status"] == "reversed" and out["assistance_restored"] == "3521.16"
    assert out["remaining_cap"] == "10000.00" and out["reason"] == "病人退费"
    assert year_of(person).assistance_total == 0 and year_of(person).eligible_total == 0
    assert year_of(person).settlements == 0
    # Twice: the same answer, nothing given back again.
    again = client.post(url, {"reason": "病人退费"}, content_type="application/json")
    assert again.status_code == 200 and again.json() == out
    assert year_of(person).assistance_total == 0 and year_of(person).eligible_total == 0
    # The read and a retry of the bill say it is reversed.
    assert client.get(f"{URL}/{body['visit_number']}").json()["status"] == "reversed"
    assert settle(client, body).json()["status"] == "reversed"
    # The corrected bill under a new visit number meets the whole deductible and cap again.
    corrected = settle(client, bill(person.id_number, **amounts("10000.00"))).json()
    assert corrected["assistance"] == "3521.16" and corrected["breakdown"]["deductible_applied"] == "4131.40"
    assert corrected["remaining_cap"] == "6478.84"


def test_reversing_an_unknown_visit_is_refused(med):
    client = med.client()
    response = client.post(f"{URL}/NOPE-1/reversal", {"reason": "退费"}, content_type="application/json")
    assert response.status_code == 404 and response.json()["code"] == "unknown_settlement"
    assert client.get(f"{URL}/NOPE-1").json()["code"] == "unknown_settlement"
    assert client.get(f"{URL}/%E4%B8%AD").status_code == 404      # not a visit number at all


def test_a_reversal_says_why(med):
    person = med.person("dibao")
    client = med.client()
    body = bill(person.id_number)
    settle(client, body)
    for reason in ("", "   "):
        response = client.post(f"{URL}/{body['visit_number']}/reversal", {"reason": reason},
                               content_type="application/json")
        assert response.status_code == 422 and response.json()["field"] == "reason"
    assert Settlement.objects.get().status == "settled"


def test_a_visit_number_may_hold_a_slash(med):
    person = med.person("dibao")
    client = med.client()
    body = bill(person.id_number, visit="ZY/2025/0001")
    assert settle(client, body).status_code == 200
    assert client.get(f"{URL}/ZY/2025/0001").json()["visit_number"] == "ZY/2025/0001"
    reversal = client.post(f"{URL}/ZY/2025/0001/reversal", {"reason": "退费"}, content_type="application/json")
    assert reversal.status_code == 200 and reversal.json()["visit_number"] == "ZY/2025/0001"


# ---------------------------------------------------------------------------------------------
# Refusals, each with its code and field
# ---------------------------------------------------------------------------------------------
def _refusal(response, status: int, code: str | None, field: str | None):
    assert response.status_code == status, response.content
    body = response.json()
    if code is not None:
        assert body["code"] == code, body
    if field is not None:
        assert body["field"] == field, body
    return body


def test_a_bill_that_does_not_add_up(med):
    person = med.person("dibao")
    body = {**bill(person.id_number), "total_cost": "12000.01"}
    refusal = _refusal(settle(med.client(), body), 422, "bill_does_not_add_up", "total_cost")
    assert "12000.00" in refusal["message"] and "12000.01" in refusal["message"]
    assert Settlement.objects.count() == 0 and not PersonYear.objects.exists()


def test_a_negative_amount(med):
    person = med.person("dibao")
    body = bill(person.id_number, eligible="5000.00", ineligible="-1000.00")
    _refusal(settle(med.client(), body), 422, "negative_amount", "ineligible_self_paid")
    _refusal(settle(med.client(), {**body, "ineligible_self_paid": -1000}), 422, "negative_amount", "ineligible_self_paid")


@pytest.mark.parametrize("value", ["4000.005", 4000.005])
def test_three_decimals(med, value):
    person = med.person("dibao")
    body = {**bill(person.id_number), "eligible_self_paid": value}
    _refusal(settle(med.client(), body), 422, "money_decimals", "eligible_self_paid")


@pytest.mark.parametrize("value", ["4千", True, None, [4000]])
def test_what_is_not_an_amount(med, value):
    person = med.person("dibao")
    _refusal(settle(med.client(), {**bill(person.id_number), "eligible_self_paid": value}), 422, None,
             "eligible_self_paid")


def test_an_unknown_person(med):
    _refusal(settle(med.client(), bill(new_id(D(1970, 3, 3)))), 404, "unknown_person", "id_number")


def test_a_person_of_another_county(med, county):
    from safetynet.areas.models import Area
    from safetynet.registry.models import Household, Person

    city = county.parent
    other = Area.objects.create(code="130124", name="栾城区", level="county", parent=city)
    town = Area.objects.create(code="130124100", name="栾城镇", level="town", parent=other)
    village = Area.objects.create(code="130124100001", name="一村", level="village", parent=town, urban_rural_class="220")
    household = Household.objects.create(area=village, address="栾城一村 1 号", registration_type="rural")
    person = Person.objects.create(household=household, area=village, name="赵外县", id_number=new_id(D(1960, 1, 1)),
                                   sex="male", birth_date=D(1960, 1, 1), relation_to_head="head")
    _refusal(settle(med.client(), bill(person.id_number)), 404, "unknown_person", "id_number")


def test_a_deceased_person(med):
    person = med.person("dibao")
    type(person).objects.filter(pk=person.pk).update(is_deceased=True)
    _refusal(settle(med.client(), bill(person.id_number)), 422, "person_deceased", "id_number")


def test_a_person_in_no_category(med):
    person = med.person(None)
    _refusal(settle(med.client(), bill(person.id_number)), 422, "not_eligible", "id_number")
    assert Settlement.objects.count() == 0


def test_dates_out_of_order_or_in_the_future(med):
    person = med.person("dibao")
    client = med.client()
    _refusal(settle(client, bill(person.id_number, admitted="2025-09-18", discharged="2025-09-10")), 422,
             "dates_out_of_order", "discharged_on")
    tomorrow = (clocks.today() + dt.timedelta(days=1)).isoformat()
    _refusal(settle(client, bill(person.id_number, discharged=tomorrow)), 422, "date_in_future", "discharged_on")
    _refusal(settle(client, bill(person.id_number, admitted="2025-02-30")), 422, "invalid_date", "admitted_on")


def test_a_wrong_check_digit(med):
    person = med.person("dibao")
    number = person.id_number[:17] + ("0" if person.id_number[17] != "0" else "1")
    refusal = _refusal(settle(med.client(), bill(number)), 422, None, "id_number")
    assert "check digit" in refusal["message"]


def test_an_unknown_field_is_named(med):
    person = med.person("dibao")
    refusal = _refusal(settle(med.client(), {**bill(person.id_number), "diagnosis": "肺炎"}), 422, "invalid", "diagnosis")
    assert "diagnosis" in refusal["message"]
    assert Settlement.objects.count() == 0


def test_a_missing_field_is_named(med):
    person = med.person("dibao")
    body = bill(person.id_number)
    del body["critical_illness_paid"]
    _refusal(settle(med.client(), body), 422, "invalid", "critical_illness_paid")


def test_an_error_in_chinese(med):
    person = med.person("dibao")
    body = {**bill(person.id_number), "total_cost": "1.00"}
    refusal = _refusal(settle(med.client(), body, **{"Accept-Language": "zh-hans"}), 422, "bill_does_not_add_up",
                       "total_cost")
    assert "不相符" in refusal["message"] or "合计" in refusal["message"], refusal["message"]
    unknown = settle(med.client(), bill(new_id(D(1970, 3, 3))), **{"Accept-Language": "zh-hans"}).json()
    assert "身份证" in unknown["message"], unknown["message"]


# ---------------------------------------------------------------------------------------------
# Who may call
# ---------------------------------------------------------------------------------------------
def test_keys_that_do_not_open(med, client):
    from safetynet.medical import keys

    person = med.person("dibao")
    body = bill(person.id_number)
    assert settle(client, body).status_code == 401                                     # no key
    assert settle(med.client("mi_0000_not-a-key"), body).status_code == 401           # an unknown key
    new_row, new_key = keys.rotate_key(actor=med.posts.officer, institution_id=med.hospital.pk, overlap_hours=24)
    assert settle(med.client(), body).status_code == 200                               # the old key, in its overlap
    InstitutionKey.objects.filter(pk=med.key_row.pk).update(expires_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    expired = settle(med.client(), bill(person.id_number))
    assert expired.status_code == 401 and expired.json()["code"] == "unauthenticated"
    assert settle(med.client(new_key), bill(person.id_number)).status_code == 200
    keys.revoke_key(actor=med.posts.officer, key_id=new_row.pk)
    assert settle(med.client(new_key), bill(person.id_number)).status_code == 401      # revoked
    assert Settlement.objects.count() == 2


def test_a_staff_login_or_token_is_not_a_key(med, client):
    from django.contrib.auth import get_user_model

    from safetynet.areas.tokens import issue_api_token

    person = med.person("dibao")
    officer = med.posts.officer
    token = issue_api_token(actor=officer, username=officer.username)[1]
    assert settle(client, bill(person.id_number), Authorization=f"Bearer {token}").status_code == 401
    client.force_login(get_user_model().objects.get(pk=officer.user_id))
    assert settle(client, bill(person.id_number)).status_code == 401
    assert client.get(f"{URL}/V1").status_code == 401
    superuser = get_user_model().objects.create_superuser("med_root", password="a-long-root-password-1")
    client.force_login(superuser)
    assert settle(client, bill(person.id_number)).status_code == 401
    assert Settlement.objects.count() == 0


def test_an_inactive_institution_is_not_let_in(med):
    person = med.person("dibao")
    Institution.objects.filter(pk=med.hospital.pk).update(active=False)
    assert settle(med.client(), bill(person.id_number)).status_code == 401


def test_outside_the_contract_period(med):
    person = med.person("dibao")
    Institution.objects.filter(pk=med.hospital.pk).update(contract_until=D(2025, 9, 21))
    _refusal(settle(med.client(), bill(person.id_number)), 403, "outside_contract", None)
    # In force today, but the patient left before it began.
    Institution.objects.filter(pk=med.hospital.pk).update(contract_from=D(2025, 9, 20), contract_until=D(2026, 9, 19))
    _refusal(settle(med.client(), bill(person.id_number, discharged="2025-09-18")), 403, "outside_contract",
             "discharged_on")
    assert Settlement.objects.count() == 0


def test_a_hospital_sees_only_its_own_visits(med, posts, county):
    from safetynet.medical import keys

    other = Institution.objects.create(code="H13012300002", name="正定县中医院", kind="hospital", area=county,
                                       contract_from=D(2025, 1, 1), contract_until=D(2027, 12, 31))
    _row, other_key = keys.issue_key(actor=posts.officer, institution_id=other.pk)
    person = med.person("dibao")
    body = bill(person.id_number)
    assert settle(med.client(), body).status_code == 200
    b = med.client(other_key)
    assert b.get(f"{URL}/{body['visit_number']}").status_code == 404
    refused = b.post(f"{URL}/{body['visit_number']}/reversal", {"reason": "退费"}, content_type="application/json")
    assert refused.status_code == 404 and refused.json()["code"] == "unknown_settlement"
    assert Settlement.objects.get().status == "settled"
    # Its own visit may carry the same number: visit numbers are each institution's.
    own = settle(b, {**body, "eligible_self_paid": "1000.00", "ineligible_self_paid": "4000.00"})
    assert own.status_code == 200 and own.json()["assistance"] == "700.00"
    assert year_of(person).assistance_total == Decimal("3500.00")


# ---------------------------------------------------------------------------------------------
# Cost
# ---------------------------------------------------------------------------------------------
def test_queries_per_settlement(med):
    """A person's first bill of the year costs the key, the visit, the person, the year's lock,
    who qualifies (three), the settlement and the year's totals: 9 statements, and 2 more here
    for the savepoint a test's transaction makes of the settlement's (in production, the
    reference cache's token read instead: 10). A retry and a read cost the key and the visit."""
    client = med.client()
    warm = med.person("dibao")                      # the key's last use, and the cached terms, once
    register(warm, "margin")
    settle(client, bill(warm.id_number))
    person = med.person("dibao")
    register(person, "margin")
    body = bill(person.id_number)
    with CaptureQueriesContext(connection) as settling:
        assert settle(client, body).status_code == 200
    with CaptureQueriesContext(connection) as retry:
        assert settle(client, body).status_code == 200
    with CaptureQueriesContext(connection) as again:            # the person's year exists now
        assert settle(client, bill(person.id_number)).status_code == 200
    with CaptureQueriesContext(connection) as reading:
        assert client.get(f"{URL}/{body['visit_number']}").status_code == 200
    print("queries: settle", len(settling), "retry", len(retry), "second bill", len(again), "read", len(reading))
    assert len(settling) <= 12, [q["sql"][:80] for q in settling.captured_queries]
    assert len(settling) == len(again) == 11
    assert len(retry) == len(reading) == 2
