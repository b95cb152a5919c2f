"""A person's medical assistance ledger and the settlements of an area (issue 20): the numbers of
the page and of the API from settlements written here directly (the settlement service is
another part's), the categories the person qualifies under with the cap left (never below 0),
reversed settlements marked and not counted, ID numbers masked for the posts that may not see
them whole, the area's scope (another town: 404, nothing listed), the list's filters and pages,
and the .xlsx export through the view that checks the post."""
from __future__ import annotations

import datetime as dt
import io
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from safetynet.core.errors import NotFound
from safetynet.medical import ledger
from safetynet.medical.models import PersonYear, Settlement
from tests.cases_helpers import D
from tests.untranslated import english_in_context

_visits = itertools.count(1)


def settle(person, *, institution=None, case=None, eligible="4000.00", assistance="2800.00", category="dibao",
           rate="0.7000", on=D(2025, 9, 10), status="settled", year=2025) -> Settlement:
    """One settled bill as the settlement service would have written it, and the person's year."""
    eligible, assistance = Decimal(eligible), Decimal(assistance)
    basic, critical, ineligible = Decimal("6000.00"), Decimal("1000.00"), Decimal("1000.00")
    at = timezone.make_aware(dt.datetime.combine(on, dt.time(10, 0)))
    row = Settlement.objects.create(
        source="one_stop" if institution else "manual", institution=institution, case=case,
        visit_number=f"V{next(_visits):06d}", person=person, household=person.household, area=person.area, year=year,
        admitted_on=on - dt.timedelta(days=8), discharged_on=on, total_cost=basic + critical + eligible + ineligible,
        basic_insurance=basic, critical_illness=critical, eligible_self_paid=eligible, ineligible_self_paid=ineligible,
        bill_hash="0" * 64, category_code=category, rate=Decimal(rate), deductible_applied=Decimal("0.00"),
        assistance=assistance, patient_pays=eligible - assistance + ineligible, remaining_cap=Decimal("0.00"),
        status=status, settled_at=at, settled_on=on,
        reversed_at=at + dt.timedelta(days=1) if status == "reversed" else None,
        reversed_on=on + dt.timedelta(days=1) if status == "reversed" else None,
        reversal_reason="退费" if status == "reversed" else "")
    if status == "settled":
        py, _ = PersonYear.objects.get_or_create(person=person, year=year)
        py.eligible_total += eligible
        py.assistance_total += assistance
        py.settlements += 1
        py.save()
    return row


@pytest.fixture
def book(med, clock):
    """A dibao recipient of 正定镇 with two live settlements (September and October) and a
    reversed one, and a manual reimbursement through the walked case."""
    person = med.person("dibao")
    b = type("Book", (), {})()
    b.med, b.person = med, person
    b.first = settle(person, institution=med.hospital, on=D(2025, 9, 10))
    b.second = settle(person, institution=med.hospital, eligible="2000.00", assistance="1400.00", on=D(2025, 10, 3))
    b.reversed = settle(person, institution=med.hospital, eligible="1000.00", assistance="700.00", on=D(2025, 10, 5),
                        status="reversed")
    b.manual = settle(person, case=med.payroll.case, eligible="500.00", assistance="350.00", on=D(2025, 10, 20))
    return b


def test_the_ledger_holds_the_years_settlements_totals_months_and_caps_left(book):
    med = book.med
    got = ledger.person_ledger(med.posts.officer, book.person.pk, 2025)
    assert [s.pk for s in got.settlements] == [book.first.pk, book.second.pk, book.reversed.pk, book.manual.pk]
    assert got.assistance_total == Decimal("4550.00") and got.eligible_total == Decimal("6500.00")
    assert got.settlement_count == 3 and got.reversed_count == 1
    assert got.months[8] == Decimal("2800.00") and got.months[9] == Decimal("1750.00")   # the reversed one left out
    assert sum(got.months) == got.assistance_total
    assert [(s.code, s.evidence["basis"]) for s in got.standings] == [("dibao", "enrollment")]
    dibao = got.standings[0]
    assert dibao.terms.rate == Decimal("0.7000") and dibao.remaining_cap == Decimal("25450.00")   # 30,000 − 4,550
    assert got.id_number == book.person.id_number
    assert ledger.person_ledger(med.posts.officer, book.person.pk, 2024).settlements == []


def test_the_cap_left_is_never_below_zero_and_a_certification_adds_a_category(book):
    from safetynet.medical.certifications import certify_person

    med = book.med
    PersonYear.objects.filter(person=book.person, year=2025).update(assistance_total=Decimal("31000.00"))
    certify_person(actor=med.posts.worker, id_number=book.person.id_number, category_code="impoverished_by_illness",
                   valid_from="2025-09-01", valid_until="2026-08-31", reason="大病")
    got = ledger.person_ledger(med.posts.officer, book.person.pk, 2025)
    caps = {s.code: s.remaining_cap for s in got.standings}
    assert caps == {"dibao": Decimal("0.00"), "impoverished_by_illness": Decimal("0.00")}
    assert {s.code: s.evidence["basis"] for s in got.standings}["impoverished_by_illness"] == "certification"


def test_another_towns_post_finds_neither_the_person_nor_the_settlements(book):
    med = book.med
    with pytest.raises(NotFound):
        ledger.person_ledger(med.posts.other_worker, book.person.pk, 2025)
    assert ledger.find_people(med.posts.other_worker, book.person.name) == []
    assert ledger.settlements_in_scope(med.posts.other_worker).count() == 0
    assert ledger.settlements_in_scope(med.posts.worker).count() == 4


def test_people_are_found_by_id_number_or_name_and_masked_for_an_inspector(book):
    med = book.med
    by_number = ledger.find_people(med.posts.worker, book.person.id_number[:12])
    assert [r.person.pk for r in by_number] == [book.person.pk] and by_number[0].id_number == book.person.id_number
    masked = ledger.find_people(med.posts.inspector, book.person.name)
    assert [r.person.pk for r in masked] == [book.person.pk]
    assert masked[0].id_number != book.person.id_number and "*" in masked[0].id_number
    assert ledger.find_people(med.posts.worker, "") == []


def test_the_settlements_are_filtered_by_institution_month_category_and_status(book):
    med, officer = book.med, book.med.posts.officer
    assert ledger.settlements_in_scope(officer, institution_id=med.hospital.pk).count() == 3
    assert ledger.settlements_in_scope(officer, month=D(2025, 10, 1)).count() == 3
    assert ledger.settlements_in_scope(officer, month=D(2025, 9, 1)).get() == book.first
    assert ledger.settlements_in_scope(officer, status="reversed").get() == book.reversed
    assert ledger.settlements_in_scope(officer, source="manual").get() == book.manual
    assert ledger.settlements_in_scope(officer, category="special_hardship").count() == 0


# ---- pages ---------------------------------------------------------------------------------------

def test_the_ledger_page_shows_the_numbers_the_reversed_and_the_manual_case(book, login):
    c = login(book.med.posts.officer)
    page = c.get(f"/medical/people/{book.person.pk}/2025/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "¥4,550.00" in body and "¥6,500.00" in body and "¥25,450.00" in body
    assert body.count('data-testid="settlement-row"') == 4 and "text-decoration-line-through" in body
    assert f'href="/cases/{book.med.payroll.case.pk}/"' in body and "manual reimbursement" in body
    assert 'id="medical-ledger-chart-data"' in body and "2800.0" in body and "echarts.min.js" in body
    assert book.person.id_number in body
    assert c.get(f"/medical/people/{book.person.pk}/").status_code == 302


def test_the_ledger_page_masks_the_id_number_for_the_inspector_and_is_404_for_another_town(book, login):
    c = login(book.med.posts.inspector)
    body = c.get(f"/medical/people/{book.person.pk}/2025/").content.decode()
    assert book.person.id_number not in body and book.person.id_number[-4:] in body
    assert login(book.med.posts.other_worker).get(f"/medical/people/{book.person.pk}/2025/").status_code == 404
    found = login(book.med.posts.other_worker).get(f"/medical/people/?q={book.person.name}")
    assert found.status_code == 200 and "Nobody in your area matches." in found.content.decode()


def test_the_people_search_page_finds_the_person(book, login):
    page = login(book.med.posts.worker).get(f"/medical/people/?q={book.person.id_number[:14]}")
    assert page.status_code == 200 and f"/medical/people/{book.person.pk}/2025/" in page.content.decode()


def test_the_settlements_page_filters_and_pages(book, login):
    for n in range(30):
        settle(book.person, institution=book.med.hospital, eligible="10.00", assistance="7.00", on=D(2025, 8, 1))
    c = login(book.med.posts.officer)
    first = c.get("/medical/settlements/")
    assert first.status_code == 200 and "34 settlements" in first.content.decode()
    second = c.get("/medical/settlements/?page=2").content.decode()
    assert "Page 2 of 2" in second
    october = c.get("/medical/settlements/?month=2025-10&status=settled").content.decode()
    assert "2 settlements" in october
    bad = c.get("/medical/settlements/?month=2025-13")
    assert bad.status_code == 422 and 'data-testid="form-error"' in bad.content.decode()


def test_the_export_is_an_xlsx_of_the_filtered_rows_masked_for_the_inspector(book, login):
    from openpyxl import load_workbook

    c = login(book.med.posts.officer)
    made = c.get("/medical/settlements/export.xlsx?month=2025-10")
    assert made.status_code == 200 and made["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(made.content)).active.iter_rows(values_only=True))
    assert len(rows) == 4 and rows[1][6] == book.person.id_number
    assert rows[3][2] == "manual reimbursement" and rows[3][4] == book.med.payroll.case.pk
    inspector = login(book.med.posts.inspector).get("/medical/settlements/export.xlsx")
    sheet = list(load_workbook(io.BytesIO(inspector.content)).active.iter_rows(values_only=True))
    assert len(sheet) == 5 and all(book.person.id_number not in str(r) for r in sheet[1:])
    stranger = login(book.med.posts.other_worker).get("/medical/settlements/export.xlsx")
    assert len(list(load_workbook(io.BytesIO(stranger.content)).active.iter_rows(values_only=True))) == 1
    assert c.get("/medical/settlements/export.xlsx?month=2025-13").status_code == 302


def test_a_grid_worker_has_no_medical_pages(book, login):
    c = login(book.med.posts.grid)
    for url in ("/medical/people/", "/medical/settlements/", "/medical/settlements/export.xlsx",
                f"/medical/people/{book.person.pk}/2025/", "/medical/categories/", "/medical/certifications/",
                "/medical/institutions/"):
        assert c.get(url).status_code == 403, url


# ---- API ----------------------------------------------------------------------------------------

def test_the_api_answers_the_ledger(book, login):
    c = login(book.med.posts.officer)
    got = c.get(f"/api/v1/medical/people/{book.person.pk}/ledger?year=2025")
    assert got.status_code == 200, got.content
    body = got.json()
    assert body["assistance_total"] == "4550.00" and body["eligible_total"] == "6500.00"
    assert body["months"][8] == "2800.00" and body["months"][9] == "1750.00"
    assert [(q["category"], q["basis"], q["remaining_cap"]) for q in body["qualifications"]] == [
        ("dibao", "enrollment", "25450.00")]
    assert [s["status"] for s in body["settlements"]] == ["settled", "settled", "reversed", "settled"]
    assert body["settlements"][3]["case"] == book.med.payroll.case.pk and body["id_number"] == book.person.id_number
    assert login(book.med.posts.other_worker).get(
        f"/api/v1/medical/people/{book.person.pk}/ledger?year=2025").status_code == 404
    masked = login(book.med.posts.inspector).get(f"/api/v1/medical/people/{book.person.pk}/ledger?year=2025").json()
    assert masked["id_number"] != book.person.id_number


def test_the_api_lists_settlements_with_filters_and_finds_people(book, login):
    c = login(book.med.posts.worker)
    listed = c.get(f"/api/v1/medical/settlements?institution={book.med.hospital.pk}&month=2025-10").json()
    assert listed["count"] == 2 and {i["status"] for i in listed["items"]} == {"settled", "reversed"}
    assert c.get("/api/v1/medical/settlements?status=reversed").json()["count"] == 1
    assert c.get("/api/v1/medical/settlements?limit=1&offset=1").json()["items"][0]["id"] == book.reversed.pk
    assert c.get("/api/v1/medical/settlements?month=2025-13").status_code == 422
    people = c.get(f"/api/v1/medical/people?q={book.person.name}").json()
    assert [p["id"] for p in people] == [book.person.pk]
    assert login(book.med.posts.other_worker).get("/api/v1/medical/settlements").json()["count"] == 0


def test_the_inspector_reads_everything_and_writes_nothing(book, login):
    c = login(book.med.posts.inspector)
    for url in ("/api/v1/medical/settlements", f"/api/v1/medical/people/{book.person.pk}/ledger",
                "/api/v1/medical/certifications", "/api/v1/medical/institutions", "/api/v1/medical/categories"):
        assert c.get(url).status_code == 200, url
    writes = [("/api/v1/medical/certifications", {"id_number": book.person.id_number, "category": "returned_to_poverty",
                                                   "valid_from": "2025-09-22", "valid_until": "2026-01-01",
                                                   "reason": "x"}),
              (f"/api/v1/medical/institutions/{book.med.hospital.pk}/keys/rotate", {"overlap_hours": 0}),
              ("/api/v1/medical/categories/dibao/terms", {"area": "130123", "from_year": 2025, "rate": "0.9",
                                                          "deductible": "0", "annual_cap": "1"})]
    for url, body in writes:
        assert c.post(url, body, content_type="application/json").status_code == 403, url


# ---- in Chinese ----------------------------------------------------------------------------------

def test_the_ledger_and_settlement_pages_are_chinese(book, client):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(pk=book.med.posts.officer.user_id))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    for url in (f"/medical/people/?q={book.person.name}", f"/medical/people/{book.person.pk}/2025/",
                "/medical/settlements/", "/medical/settlements/?month=2025-10&status=reversed", "/medical/people/"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert english_in_context(page.content.decode()) == [], (url, english_in_context(page.content.decode()))
    body = client.get(f"/medical/people/{book.person.pk}/2025/").content.decode()
    assert "手工报销" in body and "已冲销" in body
