"""The county's medical assistance categories and their terms (issue 20; POLICY.md §4): each
refusal names its field; the MA-2021 minimum rate cites the regulation by name; a county's row
overrides the national category and retiring it takes it out of `categories_for` at once (the
reference cache is bumped by the save); terms for a town win over the county's; the API and
the pages call the same services, and only the county officer writes."""
from __future__ import annotations

from decimal import Decimal

import pytest

from safetynet.core.errors import NotFound, PermissionDenied, ValidationError
from safetynet.medical import category_services as cs
from safetynet.medical.models import CategoryTerms, MedicalCategory
from safetynet.medical.terms import categories_for, terms_for
from tests.conftest import COUNTY, OTHER_TOWN, TOWN
from tests.untranslated import english_in_context


def _category(officer, **changes):
    values = {"county_code": COUNTY, "code": "serious_illness", "name_zh": "重病患者", "name_en": "Seriously ill people",
              "qualify_by": "certification", "qualify_value": "", "position": 7, "active": True, "source": "县医保文件"}
    values.update(changes)
    return cs.save_category(actor=officer, **values)


def _terms(officer, **changes):
    values = {"area_code": COUNTY, "category_code": "at_risk", "from_year": 2025, "rate": "0.65", "deductible": "500",
              "deductible_ratio": None, "annual_cap": "12000", "source": "县文件"}
    values.update(changes)
    return cs.save_terms(actor=officer, **values)


@pytest.mark.parametrize("changes, field", [
    ({"code": "Bad Code"}, "code"),
    ({"code": "x"}, "code"),
    ({"name_zh": "  "}, "name_zh"),
    ({"name_en": ""}, "name_en"),
    ({"name_zh": "名" * 101}, "name_zh"),
    ({"qualify_by": "friendship"}, "qualify_by"),
    ({"qualify_by": "enrollment", "qualify_value": "temporary"}, "qualify_value"),
    ({"qualify_by": "enrollment", "qualify_value": ""}, "qualify_value"),
    ({"qualify_by": "register", "qualify_value": "dibao_household"}, "qualify_value"),
    ({"qualify_by": "certification", "qualify_value": "dibao"}, "qualify_value"),
    ({"position": "-1"}, "position"),
    ({"position": "first"}, "position"),
    ({"source": "文" * 301}, "source"),
    ({"county_code": "13012"}, "county"),
    ({"county_code": "130123100"}, "county"),
])
def test_a_category_is_refused_on_the_field_at_fault(posts, changes, field):
    with pytest.raises(ValidationError) as refused:
        _category(posts.officer, **changes)
    assert refused.value.field == field
    assert not MedicalCategory.objects.filter(county_id=COUNTY).exists()


def test_a_county_adds_a_category_and_saves_it_again_in_place(posts):
    row = _category(posts.officer)
    again = _category(posts.officer, name_zh="重特大疾病患者", qualify_by="register", qualify_value="rigid_expenses")
    assert again.pk == row.pk and MedicalCategory.objects.filter(county_id=COUNTY, code="serious_illness").count() == 1
    assert categories_for(COUNTY)["serious_illness"].name_zh == "重特大疾病患者"
    from safetynet.core.audit import AuditEvent

    event = AuditEvent.objects.filter(action="medical.save_category").latest("sequence")
    assert event.before["name_zh"] == "重病患者" and event.after["qualify_value"] == "rigid_expenses"


def test_a_county_row_overrides_the_national_category_and_retiring_it_takes_it_out(posts):
    national = MedicalCategory.objects.get(county__isnull=True, code="at_risk")
    assert categories_for(COUNTY)["at_risk"].pk == national.pk
    own = _category(posts.officer, code="at_risk", name_zh="防返贫监测户", name_en="Monitored households",
                    qualify_by="register", qualify_value="at_risk")
    assert categories_for(COUNTY)["at_risk"].pk == own.pk
    assert categories_for("130184")["at_risk"].pk == national.pk        # another county keeps the national row
    _category(posts.officer, code="at_risk", name_zh="防返贫监测户", name_en="Monitored households",
              qualify_by="register", qualify_value="at_risk", active=False)
    assert "at_risk" not in categories_for(COUNTY)
    national.refresh_from_db()
    assert national.active and national.name_zh == "防止返贫监测对象"     # the national row is never edited
    rows = {r.code: r for r in cs.categories_page_rows(posts.officer, COUNTY, 2025)}
    assert rows["at_risk"].origin == cs.COUNTY and not rows["at_risk"].active


def test_the_categories_the_regulation_names_cannot_be_retired(posts):
    with pytest.raises(ValidationError) as refused:
        _category(posts.officer, code="dibao", name_zh="低保对象", name_en="Dibao", qualify_by="enrollment",
                  qualify_value="dibao", active=False)
    assert refused.value.field == "active"
    assert "Opinions on Improving the Medical Insurance and Assistance System" in refused.value.message
    assert "MA-2021" not in refused.value.message


def test_the_national_catalogue_is_not_written_by_a_town_or_an_inspector(posts):
    for actor in (posts.worker, posts.leader, posts.inspector, posts.county_leader):
        with pytest.raises(PermissionDenied):
            _category(actor)
        with pytest.raises(PermissionDenied):
            _terms(actor)


def test_another_countys_catalogue_is_not_found(posts, make_actor):
    with pytest.raises(NotFound):
        _category(posts.officer, county_code="130184")
    with pytest.raises(NotFound):
        _terms(posts.officer, area_code="130184100")
    with pytest.raises(NotFound):
        cs.categories_page_rows(posts.officer, "130184", 2025)


@pytest.mark.parametrize("changes, field", [
    ({"rate": "0"}, "rate"),
    ({"rate": "1.2"}, "rate"),
    ({"rate": "120%"}, "rate"),
    ({"rate": "0.12345"}, "rate"),
    ({"rate": "seventy"}, "rate"),
    ({"rate": ""}, "rate"),
    ({"deductible": "500", "deductible_ratio": "0.1"}, "deductible"),
    ({"deductible": None, "deductible_ratio": None}, "deductible"),
    ({"deductible": "", "deductible_ratio": ""}, "deductible"),
    ({"deductible": "12.345"}, "deductible"),
    ({"deductible": "-5"}, "deductible"),
    ({"deductible": None, "deductible_ratio": "11"}, "deductible_ratio"),
    ({"annual_cap": "-1"}, "annual_cap"),
    ({"annual_cap": "1000000.01"}, "annual_cap"),
    ({"annual_cap": "1,000"}, "annual_cap"),
    ({"annual_cap": ""}, "annual_cap"),
    ({"from_year": 1999}, "from_year"),
    ({"from_year": "2101"}, "from_year"),
    ({"from_year": "next year"}, "from_year"),
    ({"area_code": "130123100001"}, "area"),
    ({"area_code": "13"}, "area"),
    ({"category_code": "no_such_category"}, "category_code"),
    ({"source": "文" * 301}, "source"),
])
def test_terms_are_refused_on_the_field_at_fault(posts, changes, field):
    with pytest.raises(ValidationError) as refused:
        _terms(posts.officer, **changes)
    assert refused.value.field == field
    assert not CategoryTerms.objects.filter(area__isnull=False).exists()


@pytest.mark.parametrize("code", ["dibao", "special_hardship"])
def test_the_minimum_rate_of_ma_2021_is_refused_below_70_percent_citing_the_regulation_by_name(posts, code):
    with pytest.raises(ValidationError) as refused:
        _terms(posts.officer, category_code=code, rate="0.69", deductible="0")
    assert refused.value.field == "rate" and refused.value.code == "below_minimum_rate"
    assert "Opinions on Improving the Medical Insurance and Assistance System" in refused.value.message
    assert "70%" in refused.value.message and "MA-2021" not in refused.value.message
    assert _terms(posts.officer, category_code=code, rate="70%", deductible="0").rate == Decimal("0.7000")


def test_the_minimum_rate_refusal_reads_in_chinese_with_the_regulations_chinese_title(posts):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        _terms(posts.officer, category_code="dibao", rate="0.5", deductible="0")
    assert "《关于健全重特大疾病医疗保险和救助制度的意见》" in refused.value.message


def test_the_minimum_rate_does_not_bind_other_categories(posts):
    assert _terms(posts.officer, category_code="at_risk", rate="0.3").rate == Decimal("0.3000")


def test_terms_of_the_county_and_of_a_town_are_what_terms_for_applies(posts, county, village, clock):
    before = terms_for(village.code, 2025, ["at_risk"])["at_risk"]
    assert before.rate == Decimal("0.6000") and before.annual_cap == Decimal("10000.00")
    _terms(posts.officer, rate="0.65", deductible="500", annual_cap="12000")
    county_terms = terms_for(village.code, 2025, ["at_risk"])["at_risk"]
    assert (county_terms.rate, county_terms.deductible, county_terms.annual_cap) == (
        Decimal("0.6500"), Decimal("500.00"), Decimal("12000.00"))
    assert terms_for(village.code, 2024, ["at_risk"])["at_risk"].rate == Decimal("0.6000")   # from 2025 on
    _terms(posts.officer, area_code=TOWN, rate="0.8", deductible=None, deductible_ratio="5%", annual_cap="15000")
    town_terms = terms_for(village.code, 2025, ["at_risk"])["at_risk"]
    assert town_terms.rate == Decimal("0.8000") and town_terms.deductible == Decimal("2065.70")  # 5 % × 41,314
    other = terms_for(OTHER_TOWN + "200", 2025, ["at_risk"])["at_risk"]
    assert other.rate == Decimal("0.6500")
    rows = {r.code: r for r in cs.categories_page_rows(posts.officer, COUNTY, 2025)}
    assert rows["at_risk"].terms.origin == cs.COUNTY and rows["at_risk"].terms.row.rate == Decimal("0.6500")
    assert [(t.row.area_id, t.origin, t.deductible_yuan) for t in rows["at_risk"].towns] == [
        (TOWN, cs.TOWN, Decimal("2065.70"))]
    assert rows["dibao"].terms.origin == cs.NATIONAL and rows["dibao"].minimum_rate == Decimal("0.7000")


def test_terms_saved_again_for_the_same_area_and_year_are_changed_in_place_and_audited(posts):
    from safetynet.core.audit import AuditEvent

    first = _terms(posts.officer, rate="0.65")
    second = _terms(posts.officer, rate="0.75", deductible=None, deductible_ratio="0.1")
    assert first.pk == second.pk and second.deductible is None and second.deductible_ratio == Decimal("0.1000")
    event = AuditEvent.objects.filter(action="medical.save_terms").latest("sequence")
    assert event.before["rate"] == "0.6500" and event.after["rate"] == "0.7500"


def test_terms_for_a_retired_category_are_refused(posts):
    _category(posts.officer, code="at_risk", name_zh="防返贫", name_en="At risk", qualify_by="register",
              qualify_value="at_risk", active=False)
    with pytest.raises(ValidationError) as refused:
        _terms(posts.officer)
    assert refused.value.field == "category_code"


def test_a_town_post_reads_its_countys_catalogue(posts):
    rows = cs.categories_page_rows(posts.worker, COUNTY, 2025)
    assert [r.code for r in rows][:2] == ["special_hardship", "dibao"]
    with pytest.raises(NotFound):
        cs.categories_page_rows(posts.worker, "130184", 2025)


# ---- API ----------------------------------------------------------------------------------------

@pytest.fixture
def api(client, login):
    def as_(actor):
        return login(actor)
    return as_


def test_the_api_lists_saves_a_category_and_its_terms(api, posts):
    c = api(posts.officer)
    listed = c.get(f"/api/v1/medical/categories?county={COUNTY}&year=2025").json()
    assert [i["code"] for i in listed["items"]][:2] == ["special_hardship", "dibao"]
    dibao = next(i for i in listed["items"] if i["code"] == "dibao")
    assert dibao["terms"]["rate"] == "0.7000" and dibao["terms"]["origin"] == "national"
    body = {"county": COUNTY, "code": "serious_illness", "name_zh": "重病患者", "name_en": "Seriously ill",
            "qualify_by": "certification"}
    saved = c.post("/api/v1/medical/categories", body, content_type="application/json")
    assert saved.status_code == 200, saved.content
    assert saved.json()["origin"] == "added" and saved.json()["terms"] is None
    put = c.put("/api/v1/medical/categories/at_risk", {
        "county": COUNTY, "name_zh": "防返贫", "name_en": "At risk", "qualify_by": "register", "qualify_value": "at_risk",
        "active": False}, content_type="application/json")
    assert put.status_code == 200 and put.json()["active"] is False and put.json()["origin"] == "county"
    terms = c.post("/api/v1/medical/categories/serious_illness/terms", {
        "area": COUNTY, "from_year": 2025, "rate": "0.6", "deductible_ratio": "0.1", "annual_cap": "20000"},
        content_type="application/json")
    assert terms.status_code == 200, terms.content
    assert terms.json()["deductible_ratio"] == "0.1000" and terms.json()["deductible"] is None
    low = c.post("/api/v1/medical/categories/dibao/terms", {
        "area": COUNTY, "from_year": 2025, "rate": "0.5", "deductible": "0", "annual_cap": "30000"},
        content_type="application/json")
    assert low.status_code == 422 and low.json()["field"] == "rate"
    typo = c.post("/api/v1/medical/categories/dibao/terms", {
        "area": COUNTY, "from_year": 2025, "rate": "0.8", "deductible": "0", "annual_cap": "30000", "cap": "1"},
        content_type="application/json")
    assert typo.status_code == 422


def test_the_api_refuses_writes_to_a_town_post_and_an_inspector(api, posts):
    for actor in (posts.worker, posts.inspector):
        c = api(actor)
        assert c.get(f"/api/v1/medical/categories?county={COUNTY}").status_code == 200
        body = {"county": COUNTY, "code": "serious_illness", "name_zh": "重病患者", "name_en": "Seriously ill",
                "qualify_by": "certification"}
        assert c.post("/api/v1/medical/categories", body, content_type="application/json").status_code == 403
        assert c.post("/api/v1/medical/categories/at_risk/terms", {
            "area": COUNTY, "from_year": 2025, "rate": "0.6", "deductible": "0", "annual_cap": "1"},
            content_type="application/json").status_code == 403


# ---- pages ---------------------------------------------------------------------------------------

def test_the_categories_page_adds_a_category_and_sets_its_terms(login, posts):
    c = login(posts.officer)
    page = c.get("/medical/categories/?year=2025")
    assert page.status_code == 200 and "People in special hardship" in page.content.decode()
    refused = c.post("/medical/categories/", {"code": "Bad Code", "name_zh": "重病", "name_en": "Ill",
                                              "qualify_by": "certification"})
    assert refused.status_code == 422 and 'data-testid="field-error"' in refused.content.decode()
    assert 'value="重病"' in refused.content.decode()        # what was typed stays
    added = c.post("/medical/categories/", {"code": "serious_illness", "name_zh": "重病", "name_en": "Ill",
                                            "qualify_by": "certification", "position": "9"})
    assert added.status_code == 302 and "/medical/categories/serious_illness/" in added["Location"]
    low = c.post("/medical/categories/dibao/", {"action": "terms", "area": COUNTY, "from_year": "2025", "rate": "60%",
                                                "deductible_kind": "amount", "deductible": "0", "annual_cap": "30000"})
    assert low.status_code == 422
    assert "Opinions on Improving the Medical Insurance and Assistance System" in low.content.decode()
    saved = c.post("/medical/categories/serious_illness/", {
        "action": "terms", "area": TOWN, "from_year": "2025", "rate": "65%", "deductible_kind": "ratio",
        "deductible_ratio": "10%", "annual_cap": "20000"})
    assert saved.status_code == 302
    detail = c.get("/medical/categories/serious_illness/?year=2025").content.decode()
    assert "65%" in detail and "正定镇" in detail
    retired = c.post("/medical/categories/at_risk/", {"action": "save", "name_zh": "防返贫", "name_en": "At risk",
                                                      "qualify_by": "register", "qualify_value": "at_risk",
                                                      "position": "5"})
    assert retired.status_code == 302 and "at_risk" not in categories_for(COUNTY)


def test_a_town_worker_reads_the_categories_page_without_forms(login, posts):
    c = login(posts.worker)
    page = c.get("/medical/categories/")
    assert page.status_code == 200 and 'data-testid="category-form"' not in page.content.decode()
    assert c.post("/medical/categories/", {"code": "x_y", "name_zh": "a", "name_en": "b",
                                           "qualify_by": "certification"}).status_code == 403
    assert c.get("/medical/categories/dibao/").status_code == 200


def test_the_category_pages_are_chinese(client, posts):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(pk=posts.officer.user_id))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    for url in ("/medical/categories/?year=2025", "/medical/categories/dibao/", "/medical/categories/at_risk/"):
        page = client.get(url)
        assert page.status_code == 200
        assert english_in_context(page.content.decode()) == [], (url, english_in_context(page.content.decode()))
    refused = client.post("/medical/categories/dibao/", {"action": "terms", "area": COUNTY, "from_year": "2025",
                                                          "rate": "60%", "deductible_kind": "amount", "deductible": "0",
                                                          "annual_cap": "30000"})
    assert refused.status_code == 422 and english_in_context(refused.content.decode()) == []
    assert "《关于健全重特大疾病医疗保险和救助制度的意见》" in refused.content.decode()
