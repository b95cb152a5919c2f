"""Designated institutions and their keys (issue 20 part 2): the code as the medical insurance
bureau gives it, each refusal by field, the county's scope; a key issued works at once
(`keys.authenticate_key`), a rotation keeps the old key until the overlap ends (0: stops it at
once), a revocation stops it at once; the secret is shown once, on the page that issued it."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.medical import institutions, keys
from safetynet.medical.models import Institution
from tests.conftest import COUNTY, TOWN
from tests.untranslated import english_in_context


def _fields(**changes):
    values = {"code": "H13012300002", "name": "正定镇卫生院", "kind": "township_centre", "area_code": TOWN,
              "contract_from": "2025-01-01", "contract_until": "2026-12-31", "bank_name": "中国农业银行",
              "bank_account": "6228 4800 1000 0000 02", "account_name": "正定镇卫生院", "active": True}
    values.update(changes)
    return values


def test_an_institution_is_registered_with_its_code_read_as_the_bureau_writes_it(med):
    row = institutions.register_institution(actor=med.posts.officer, **_fields(code=" ｈ１３０１２３００００２ "))
    assert row.code == "H13012300002" and row.bank_account == "622848001000000002" and row.area_id == TOWN
    pharmacy = institutions.register_institution(actor=med.posts.officer, **_fields(code="p13012300003", kind="clinic",
                                                                                     area_code=COUNTY))
    assert pharmacy.code == "P13012300003"


@pytest.mark.parametrize("changes, field", [
    ({"code": "X13012300002"}, "code"),
    ({"code": "H1301230000"}, "code"),
    ({"code": "H130123000021"}, "code"),
    ({"code": ""}, "code"),
    ({"name": " "}, "name"),
    ({"name": "院" * 201}, "name"),
    ({"kind": "pharmacy"}, "kind"),
    ({"area_code": TOWN + "200"}, "area"),
    ({"area_code": "13"}, "area"),
    ({"contract_from": "2025-13-01"}, "contract_from"),
    ({"contract_until": ""}, "contract_until"),
    ({"contract_until": "2024-12-31"}, "contract_until"),
    ({"bank_name": ""}, "bank_name"),
    ({"bank_account": "62284800"}, "bank_account"),
    ({"bank_account": "6228-4800-1000-0000-02"}, "bank_account"),
    ({"bank_account": "1" * 31}, "bank_account"),
    ({"account_name": ""}, "account_name"),
])
def test_an_institution_is_refused_on_the_field_at_fault(med, changes, field):
    with pytest.raises(ValidationError) as refused:
        institutions.register_institution(actor=med.posts.officer, **_fields(**changes))
    assert refused.value.field == field
    assert not Institution.objects.exclude(pk=med.hospital.pk).exists()


def test_a_code_is_registered_once(med):
    with pytest.raises(Conflict) as refused:
        institutions.register_institution(actor=med.posts.officer, **_fields(code="h13012300001"))
    assert refused.value.field == "code" and "正定县人民医院" in refused.value.message


def test_only_the_county_officer_registers_and_only_in_the_county(med):
    for actor in (med.posts.worker, med.posts.leader, med.posts.inspector, med.posts.county_leader):
        with pytest.raises(PermissionDenied):
            institutions.register_institution(actor=actor, **_fields())
        with pytest.raises(PermissionDenied):
            keys.issue_key(actor=actor, institution_id=med.hospital.pk)
    with pytest.raises(NotFound):
        institutions.register_institution(actor=med.posts.officer, **_fields(area_code="130184100"))


def test_an_institution_is_changed_and_audited(med):
    from safetynet.core.audit import AuditEvent

    row = institutions.update_institution(
        actor=med.posts.officer, institution_id=med.hospital.pk,
        **_fields(code=med.hospital.code, name="正定县人民医院", kind="hospital", area_code=COUNTY,
                  contract_until="2028-12-31", active=False))
    assert row.contract_until == dt.date(2028, 12, 31) and not row.active
    event = AuditEvent.objects.filter(action="medical.update_institution").latest("sequence")
    assert event.before["active"] is True and event.after["active"] is False
    other = institutions.register_institution(actor=med.posts.officer, **_fields())
    with pytest.raises(Conflict):
        institutions.update_institution(actor=med.posts.officer, institution_id=other.pk,
                                        **_fields(code=med.hospital.code))


def test_an_inactive_institutions_key_stops_working(med):
    assert keys.authenticate_key(med.key) == med.hospital
    institutions.update_institution(actor=med.posts.officer, institution_id=med.hospital.pk,
                                    **_fields(code=med.hospital.code, area_code=COUNTY, active=False))
    assert keys.authenticate_key(med.key) is None


def test_a_town_post_reads_the_county_hospital_but_another_countys_post_does_not(med, make_actor):
    assert med.hospital in institutions.institutions_in_scope(med.posts.worker)
    assert institutions.get_institution(med.posts.other_worker, med.hospital.pk) == med.hospital
    from safetynet.areas.models import Area

    Area.objects.create(code="130184", name="新乐市", level="county", parent_id=COUNTY[:4])
    stranger = make_actor("county_officer", "130184")
    with pytest.raises(NotFound):
        institutions.get_institution(stranger, med.hospital.pk)
    with pytest.raises(NotFound):
        keys.issue_key(actor=stranger, institution_id=med.hospital.pk)
    town_clinic = institutions.register_institution(actor=med.posts.officer, **_fields())
    assert town_clinic not in institutions.institutions_in_scope(med.posts.other_worker)


def test_a_key_issued_works_at_once_and_a_revoked_one_stops_at_once(med):
    key, secret = keys.issue_key(actor=med.posts.officer, institution_id=med.hospital.pk)
    assert keys.authenticate_key(secret) == med.hospital and keys.authenticate_key(med.key) == med.hospital
    keys.revoke_key(actor=med.posts.officer, key_id=key.pk)
    assert keys.authenticate_key(secret) is None and keys.authenticate_key(med.key) == med.hospital


def test_a_rotation_keeps_the_old_key_until_the_overlap_ends(med, monkeypatch):
    now = timezone.now()
    key, secret = keys.rotate_key(actor=med.posts.officer, institution_id=med.hospital.pk, overlap_hours=24)
    assert keys.authenticate_key(secret) == med.hospital and keys.authenticate_key(med.key) == med.hospital
    med.key_row.refresh_from_db()
    assert med.key_row.revoked_at is None and dt.timedelta(hours=23) < med.key_row.expires_at - now < dt.timedelta(hours=25)
    assert institutions.key_state(med.key_row, timezone.now()) == "expiring"
    later = now + dt.timedelta(hours=25)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert keys.authenticate_key(med.key) is None and keys.authenticate_key(secret) == med.hospital
    assert institutions.key_state(med.key_row, later) == "expired"


def test_a_rotation_with_no_overlap_stops_the_old_key_at_once(med):
    key, secret = keys.rotate_key(actor=med.posts.officer, institution_id=med.hospital.pk, overlap_hours=0)
    assert keys.authenticate_key(med.key) is None and keys.authenticate_key(secret) == med.hospital
    with pytest.raises(ValidationError) as refused:
        keys.rotate_key(actor=med.posts.officer, institution_id=med.hospital.pk, overlap_hours=73)
    assert refused.value.field == "overlap_hours"


# ---- API ----------------------------------------------------------------------------------------

def _body(**changes):
    values = _fields(**changes)
    values["area"] = values.pop("area_code")
    return values


def test_the_api_registers_an_institution_and_answers_a_keys_secret_once(med, login):
    c = login(med.posts.officer)
    made = c.post("/api/v1/medical/institutions", _body(), content_type="application/json")
    assert made.status_code == 201, made.content
    institution = made.json()
    assert institution["code"] == "H13012300002" and institution["keys"] == []
    bad = c.post("/api/v1/medical/institutions", _body(code="Q13012300009"), content_type="application/json")
    assert bad.status_code == 422 and bad.json()["field"] == "code"
    issued = c.post(f"/api/v1/medical/institutions/{institution['id']}/keys", content_type="application/json")
    assert issued.status_code == 201
    secret = issued.json()["secret"]
    assert keys.authenticate_key(secret).pk == institution["id"]
    detail = c.get(f"/api/v1/medical/institutions/{institution['id']}")
    assert detail.status_code == 200 and secret not in detail.content.decode()
    assert [k["prefix"] for k in detail.json()["keys"]] == [issued.json()["key"]["prefix"]]
    rotated = c.post(f"/api/v1/medical/institutions/{institution['id']}/keys/rotate", {"overlap_hours": 0},
                     content_type="application/json")
    assert rotated.status_code == 201 and keys.authenticate_key(secret) is None
    new_key = rotated.json()["key"]["id"]
    other = c.post(f"/api/v1/medical/institutions/{med.hospital.pk}/keys/{new_key}/revoke",
                   content_type="application/json")
    assert other.status_code == 404          # a key of another institution
    revoked = c.post(f"/api/v1/medical/institutions/{institution['id']}/keys/{new_key}/revoke",
                     content_type="application/json")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert keys.authenticate_key(rotated.json()["secret"]) is None
    changed = c.put(f"/api/v1/medical/institutions/{institution['id']}", _body(active=False),
                    content_type="application/json")
    assert changed.status_code == 200 and changed.json()["active"] is False
    listed = c.get("/api/v1/medical/institutions?active=false").json()
    assert [i["code"] for i in listed["items"]] == ["H13012300002"]


def test_the_api_refuses_an_inspector_and_a_town_worker_the_writes(med, login):
    for actor in (med.posts.inspector, med.posts.worker):
        c = login(actor)
        assert c.get(f"/api/v1/medical/institutions/{med.hospital.pk}").status_code == 200
        assert c.post("/api/v1/medical/institutions", _body(), content_type="application/json").status_code == 403
        assert c.post(f"/api/v1/medical/institutions/{med.hospital.pk}/keys",
                      content_type="application/json").status_code == 403
        assert c.post(f"/api/v1/medical/institutions/{med.hospital.pk}/keys/{med.key_row.pk}/revoke",
                      content_type="application/json").status_code == 403
    assert keys.authenticate_key(med.key) == med.hospital


# ---- pages ---------------------------------------------------------------------------------------

def test_the_page_shows_a_new_secret_once_with_its_warning(med, login):
    c = login(med.posts.officer)
    page = c.post(f"/medical/institutions/{med.hospital.pk}/", {"action": "issue", "newest_key": str(med.key_row.pk)})
    body = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    secret = body.split('data-testid="secret">', 1)[1].split("</code>", 1)[0]
    assert secret.startswith("mi_") and keys.authenticate_key(secret) == med.hospital
    assert "will not be shown again" in body
    again = c.get(f"/medical/institutions/{med.hospital.pk}/").content.decode()
    assert secret not in again and med.key_row.prefix in again
    resent = c.post(f"/medical/institutions/{med.hospital.pk}/", {"action": "issue", "newest_key": str(med.key_row.pk)})
    assert resent.status_code == 409 and 'data-testid="secret"' not in resent.content.decode()
    assert med.hospital.keys.count() == 2                       # the form sent twice issued one key
    newest = str(med.hospital.keys.order_by("-created_at", "-id").first().pk)
    rotated = c.post(f"/medical/institutions/{med.hospital.pk}/", {"action": "rotate", "overlap_hours": "99",
                                                                    "newest_key": newest})
    assert rotated.status_code == 422 and 'data-testid="secret"' not in rotated.content.decode()
    revoked = c.post(f"/medical/institutions/{med.hospital.pk}/", {"action": "revoke", "key": str(med.key_row.pk)})
    assert revoked.status_code == 302 and keys.authenticate_key(med.key) is None


def test_the_register_form_comes_back_with_the_field_at_fault(med, login):
    c = login(med.posts.officer)
    form = {k: v for k, v in _body(code="H123").items() if k != "active"}
    page = c.post("/medical/institutions/", form)
    assert page.status_code == 422 and 'data-testid="field-error"' in page.content.decode()
    assert 'value="正定镇卫生院"' in page.content.decode()
    form["code"] = "H13012300002"
    made = c.post("/medical/institutions/", form)
    assert made.status_code == 302
    assert Institution.objects.get(code="H13012300002").area_id == TOWN


def test_an_inspector_reads_the_institution_pages_without_their_forms(med, login):
    c = login(med.posts.inspector)
    listed = c.get("/medical/institutions/").content.decode()
    assert "正定县人民医院" in listed and 'data-testid="institution-form"' not in listed
    detail = c.get(f"/medical/institutions/{med.hospital.pk}/")
    assert detail.status_code == 200 and 'name="action" value="issue"' not in detail.content.decode()
    assert c.post(f"/medical/institutions/{med.hospital.pk}/", {"action": "issue"}).status_code == 403


def test_the_institution_pages_are_chinese(med, client):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(pk=med.posts.officer.user_id))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    for url in ("/medical/institutions/", f"/medical/institutions/{med.hospital.pk}/"):
        page = client.get(url)
        assert page.status_code == 200 and english_in_context(page.content.decode()) == [], url
    issued = client.post(f"/medical/institutions/{med.hospital.pk}/", {"action": "issue",
                                                                       "newest_key": str(med.key_row.pk)})
    assert english_in_context(issued.content.decode()) == [] and "不会再次显示" in issued.content.decode()
