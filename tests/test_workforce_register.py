"""The staff register (issue 19 part 1): employment, post title, age from the ID number, share of
full time, the day joined and qualifications; validation; edits; pages and API scoped by town
(404) and role (403); ID numbers masked for posts that may not see them whole."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.core.masking import mask_id_number
from safetynet.core.models import AuditEvent
from safetynet.workforce import services
from safetynet.workforce.clock import today
from safetynet.workforce.models import StaffIdentity
from safetynet.workforce.services import record_qualification, register_staff_identity, update_staff_identity
from tests.cases_helpers import new_id
from tests.conftest import COUNTY, OTHER_TOWN, TOWN, force_login


def _staff(actor, area=TOWN, kind="town_staff", born=dt.date(1975, 3, 9), **more):
    return register_staff_identity(actor=actor, name=more.pop("name", "刘干事"), id_number=new_id(born), area_code=area,
                                   kind=kind, **more)


def test_register_keeps_employment_post_age_share_and_joined_day(worker):
    s = _staff(worker, post_title="社会救助　专干", full_time_share="0.5", joined_on="2015-09-01",
               employment="contracted_assistant")
    assert s.employment == "contracted_assistant" and s.post_title == "社会救助 专干"       # normalised
    assert s.full_time_share == Decimal("0.50") and s.joined_on == dt.date(2015, 9, 1)
    assert s.birth_date == dt.date(int(s.id_number[6:10]), int(s.id_number[10:12]), int(s.id_number[12:14]))
    born = s.birth_date
    assert s.age_on(dt.date(born.year + 50, born.month, born.day)) == 50
    assert s.age_on(dt.date(born.year + 50, born.month, born.day) - dt.timedelta(days=1)) == 49
    event = AuditEvent.objects.get(action="workforce.register_staff_identity")
    assert event.after["employment"] == "contracted_assistant" and event.after["full_time_share"] == "0.50"


def test_employment_defaults_to_the_kinds_usual_footing(worker, village):
    assert _staff(worker).employment == "civil_servant" and _staff(worker, name="乙").full_time_share == Decimal("1.00")
    assert _staff(worker, area=village.code, kind="village_committee", name="村干").employment == "village_cadre"


@pytest.mark.parametrize("field, value, code", [
    ("full_time_share", "1.5", "out_of_range"),
    ("full_time_share", "0.505", "too_many_decimals"),
    ("full_time_share", "-0.5", "invalid_number"),
    ("full_time_share", "1e-1", "invalid_number"),
    ("full_time_share", "半", "invalid_number"),
])
def test_a_share_of_full_time_is_refused_not_rounded(worker, field, value, code):
    with pytest.raises(ValidationError) as error:
        _staff(worker, **{field: value})
    assert error.value.field == field and error.value.code == code
    assert not StaffIdentity.objects.exists()


def test_bad_register_fields_are_refused_by_name(worker, village):
    future = (today() + dt.timedelta(days=1)).isoformat()
    cases = [({"joined_on": future}, "joined_on"),                       # not in the future
             ({"joined_on": "1980-01-01"}, "joined_on"),                 # before 16 (born 1975)
             ({"joined_on": "2020-02-30"}, "joined_on"),
             ({"employment": "village_cadre"}, "employment"),             # a town's office has no village cadre
             ({"employment": "mayor"}, "employment"),
             ({"post_title": "x" * 51}, "post_title"),
             ({"post_title": "专干\n主任"}, "post_title")]
    for more, field in cases:
        with pytest.raises(ValidationError) as error:
            _staff(worker, **more)
        assert error.value.field == field, more
    assert not StaffIdentity.objects.exists()


def test_update_changes_the_fields_given_and_keeps_the_rest(worker, officer):
    s = _staff(worker, post_title="专干")
    s = update_staff_identity(actor=worker, identity_id=s.pk, full_time_share="0.75", joined_on="2019-03-01")
    assert (s.full_time_share, s.joined_on, s.post_title, s.employment) == (Decimal("0.75"), dt.date(2019, 3, 1), "专干",
                                                                            "civil_servant")
    event = AuditEvent.objects.get(action="workforce.update_staff_identity")
    assert event.before["full_time_share"] == "1.00" and event.after["full_time_share"] == "0.75"
    with pytest.raises(ValidationError):
        update_staff_identity(actor=worker, identity_id=s.pk, employment="grid_worker")
    services.end_staff_identity(actor=worker, identity_id=s.pk)
    with pytest.raises(Conflict):
        update_staff_identity(actor=worker, identity_id=s.pk, post_title="主任")


def test_update_and_qualifications_are_scoped_and_need_manage(worker, make_actor):
    s = _staff(worker)
    other_town = make_actor("town_worker", OTHER_TOWN)
    with pytest.raises(NotFound):
        update_staff_identity(actor=other_town, identity_id=s.pk, post_title="主任")
    with pytest.raises(NotFound):
        record_qualification(actor=other_town, staff_identity_id=s.pk, name="社会工作者职业资格", obtained_on="2020-01-01")
    leader = make_actor("town_leader", TOWN)
    with pytest.raises(PermissionDenied):
        update_staff_identity(actor=leader, identity_id=s.pk, post_title="主任")
    with pytest.raises(PermissionDenied):
        record_qualification(actor=leader, staff_identity_id=s.pk, name="社会工作者职业资格", obtained_on="2020-01-01")


def test_qualifications_dates_and_duplicates(worker):
    s = _staff(worker)
    q = record_qualification(actor=worker, staff_identity_id=s.pk, name=" 社会工作者职业资格 ", level="助理社会工作师",
                             certificate_number="A123", obtained_on="2018-06-01", expires_on="2028-06-01")
    assert q.name == "社会工作者职业资格" and q.area_id == TOWN and q.valid_on(dt.date(2020, 1, 1))
    assert not q.valid_on(dt.date(2028, 6, 1))
    future = (today() + dt.timedelta(days=1)).isoformat()
    for more, field in [({"obtained_on": future}, "obtained_on"), ({"obtained_on": "1960-01-01"}, "obtained_on"),
                        ({"obtained_on": "2019-01-01", "expires_on": "2018-01-01"}, "expires_on"),
                        ({"obtained_on": "2019-13-01"}, "obtained_on")]:
        with pytest.raises(ValidationError) as error:
            record_qualification(actor=worker, staff_identity_id=s.pk, name="证书", **more)
        assert error.value.field == field, more
    with pytest.raises(Conflict):
        record_qualification(actor=worker, staff_identity_id=s.pk, name="社会工作者职业资格", level="助理社会工作师",
                             obtained_on="2019-06-01")


def test_the_migration_fills_employment_and_birth_date_of_old_rows(worker, village):
    from django.apps import apps
    from importlib import import_module

    fill = import_module("safetynet.workforce.migrations.0006_staff_register_from_kind").fill
    old = StaffIdentity.objects.create(name="旧村干", id_number=new_id(dt.date(1968, 7, 2)), area_id=village.code,
                                       kind="village_committee")
    assert old.employment == "" and old.birth_date is None
    fill(apps, None)
    old.refresh_from_db()
    number = old.id_number
    assert old.employment == "village_cadre"
    assert old.birth_date == dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


# ---- pages ------------------------------------------------------------------------------------

def test_list_masks_ids_for_a_post_without_whole_numbers(client, worker, make_actor):
    s = _staff(worker, post_title="专干")
    force_login(client, worker)
    page = client.get("/workforce/staff/", {"q": "刘"})
    assert page.status_code == 200 and s.id_number in page.content.decode()
    assert AuditEvent.objects.filter(action="workforce.disclose_id_numbers").exists()
    inspector = make_actor("inspector", COUNTY)
    force_login(client, inspector)
    page = client.get("/workforce/staff/")
    body = page.content.decode()
    assert page.status_code == 200 and s.id_number not in body and mask_id_number(s.id_number) in body
    detail = client.get(f"/workforce/staff/{s.pk}/").content.decode()
    assert s.id_number not in detail and mask_id_number(s.id_number) in detail


def test_list_filters_by_town_and_employment_and_paginates(client, officer, village):
    _staff(officer, name="镇甲")
    _staff(officer, area=OTHER_TOWN, name="镇乙")
    _staff(officer, area=village.code, kind="village_committee", name="村丙")
    force_login(client, officer)
    body = client.get("/workforce/staff/", {"town": OTHER_TOWN}).content.decode()
    assert "镇乙" in body and "镇甲" not in body
    body = client.get("/workforce/staff/", {"employment": "village_cadre"}).content.decode()
    assert "村丙" in body and "镇甲" not in body
    partial = client.get("/workforce/staff/", {"q": "镇"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    assert "<html" not in partial.content.decode() and "镇甲" in partial.content.decode()


def test_a_town_post_sees_and_touches_only_its_town(client, officer, make_actor):
    other = _staff(officer, area=OTHER_TOWN)
    worker = make_actor("town_worker", TOWN)
    force_login(client, worker)
    assert client.get(f"/workforce/staff/{other.pk}/").status_code == 404
    assert client.get(f"/workforce/staff/{other.pk}/edit/").status_code == 404
    assert client.post(f"/workforce/staff/{other.pk}/edit/", {"name": "改"}).status_code == 404
    assert client.post(f"/workforce/staff/{other.pk}/qualifications/", {"name": "证", "obtained_on": "2020-01-01"}).status_code == 404
    assert client.post(f"/workforce/staff/{other.pk}/end/").status_code == 404
    assert client.get("/workforce/staff/", {"town": OTHER_TOWN}).status_code == 404
    response = client.post("/workforce/staff/new/", {"name": "外", "id_number": new_id(), "area": OTHER_TOWN,
                                                     "kind": "town_staff", "full_time_share": "1"})
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.is_active and other.name == "刘干事" and not other.qualifications.exists()


def test_a_post_without_manage_is_refused_every_write_page(client, worker, make_actor):
    s = _staff(worker)
    leader = make_actor("town_leader", TOWN)
    force_login(client, leader)
    assert client.get(f"/workforce/staff/{s.pk}/").status_code == 200
    assert client.get("/workforce/staff/new/").status_code == 403
    assert client.post("/workforce/staff/new/", {"name": "新", "id_number": new_id(), "area": TOWN,
                                                 "kind": "town_staff"}).status_code == 403
    assert client.get(f"/workforce/staff/{s.pk}/edit/").status_code == 403
    assert client.post(f"/workforce/staff/{s.pk}/edit/", {"name": "改"}).status_code == 403
    assert client.post(f"/workforce/staff/{s.pk}/qualifications/", {"name": "证", "obtained_on": "2020-01-01"}).status_code == 403
    assert client.post(f"/workforce/staff/{s.pk}/end/").status_code == 403
    force_login(client, make_actor("village_cadre", TOWN + "001"))
    assert client.get("/workforce/staff/").status_code == 403


def test_register_and_edit_pages(client, worker):
    force_login(client, worker)
    assert client.get("/workforce/staff/new/").status_code == 200
    bad = client.post("/workforce/staff/new/", {"name": "王专干", "id_number": new_id(), "area": TOWN, "kind": "town_staff",
                                                "full_time_share": "1.25"})
    assert bad.status_code == 422 and "1.25" in bad.content.decode()
    number = new_id()
    done = client.post("/workforce/staff/new/", {"name": "王专干", "id_number": number, "area": TOWN, "kind": "town_staff",
                                                 "employment": "contracted_assistant", "post_title": "社会救助专干",
                                                 "full_time_share": "0.50", "joined_on": "2018-05-02"})
    s = StaffIdentity.objects.get(id_number=number)
    assert done.status_code == 302 and s.full_time_share == Decimal("0.50") and s.employment == "contracted_assistant"
    edit = client.post(f"/workforce/staff/{s.pk}/edit/", {"name": "王专干", "employment": "civil_servant",
                                                          "post_title": "主任", "full_time_share": "1", "joined_on": ""})
    s.refresh_from_db()
    assert edit.status_code == 302 and (s.post_title, s.joined_on, s.employment) == ("主任", None, "civil_servant")
    q = client.post(f"/workforce/staff/{s.pk}/qualifications/", {"name": "社会工作者职业资格", "obtained_on": "2030-01-01"})
    assert q.status_code == 422 and not s.qualifications.exists()


# ---- API --------------------------------------------------------------------------------------

def test_api_registers_reads_and_corrects_staff(api, worker):
    client = api(worker)
    number = new_id(dt.date(1980, 1, 1))
    created = client.post("/api/v1/workforce/staff", {"name": "赵专干", "id_number": number, "area": TOWN,
                                                      "kind": "town_staff", "full_time_share": "0.5",
                                                      "post_title": "社会救助专干"}, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["id_number"] == number and body["full_time_share"] == "0.50" and body["employment"] == "civil_servant"
    staff_id = body["id"]
    patched = client.patch(f"/api/v1/workforce/staff/{staff_id}", {"employment": "contracted_assistant", "joined_on": None},
                           content_type="application/json")
    assert patched.status_code == 200 and patched.json()["employment"] == "contracted_assistant"
    refused = client.patch(f"/api/v1/workforce/staff/{staff_id}", {"id_number": number}, content_type="application/json")
    assert refused.status_code == 422
    q = client.post(f"/api/v1/workforce/staff/{staff_id}/qualifications",
                    {"name": "社会工作者职业资格", "level": "社会工作师", "obtained_on": "2019-05-01"}, content_type="application/json")
    assert q.status_code == 201 and client.get(f"/api/v1/workforce/staff/{staff_id}").json()["qualifications"][0]["level"] == "社会工作师"
    listed = client.get("/api/v1/workforce/staff", {"employment": "contracted_assistant"}).json()
    assert [s["id"] for s in listed["items"]] == [staff_id]


def test_api_masks_and_denies(api, worker, make_actor):
    s = _staff(worker)
    inspector = make_actor("inspector", COUNTY)
    client = api(inspector)
    assert client.get(f"/api/v1/workforce/staff/{s.pk}").json()["id_number"] == mask_id_number(s.id_number)
    assert client.patch(f"/api/v1/workforce/staff/{s.pk}", {"post_title": "x"}, content_type="application/json").status_code == 403
    assert client.post("/api/v1/workforce/staff", {"name": "某", "id_number": new_id(), "area": TOWN, "kind": "town_staff"},
                       content_type="application/json").status_code == 403
    assert client.post(f"/api/v1/workforce/staff/{s.pk}/qualifications", {"name": "证", "obtained_on": "2019-01-01"},
                       content_type="application/json").status_code == 403
    assert client.post(f"/api/v1/workforce/staff/{s.pk}/end").status_code == 403
    other = api(make_actor("town_worker", OTHER_TOWN))
    assert other.get(f"/api/v1/workforce/staff/{s.pk}").status_code == 404
    assert other.patch(f"/api/v1/workforce/staff/{s.pk}", {"post_title": "x"}, content_type="application/json").status_code == 404
    assert other.post(f"/api/v1/workforce/staff/{s.pk}/qualifications", {"name": "证", "obtained_on": "2019-01-01"},
                      content_type="application/json").status_code == 404
    assert other.post(f"/api/v1/workforce/staff/{s.pk}/end").status_code == 404
    assert other.post("/api/v1/workforce/staff", {"name": "某", "id_number": new_id(), "area": TOWN, "kind": "town_staff"},
                      content_type="application/json").status_code == 404
    assert other.get("/api/v1/workforce/staff", {"town": TOWN}).status_code == 404
    s.refresh_from_db()
    assert s.is_active and s.post_title == ""
