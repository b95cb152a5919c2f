"""Certifying people for a medical assistance category by hand (issue 20): each refusal by
field; one live certification of a category per person (an overlap is refused naming the one
that stands); the period ends and the person no longer qualifies; the town worker certifies in
her town only (another town's worker finds nobody: 404), a town leader may not (403), an
inspector reads and writes nothing."""
from __future__ import annotations

import pytest

from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.medical import certifications as certs
from safetynet.medical.qualification import PersonRef, qualifications
from tests.cases_helpers import D, new_id
from tests.untranslated import english_in_context


def _certify(actor, person, **changes):
    values = {"id_number": person.id_number, "category_code": "returned_to_poverty", "valid_from": "2025-09-22",
              "valid_until": "2026-09-21", "reason": "因病返贫，有住院记录"}
    values.update(changes)
    return certs.certify_person(actor=actor, **values)


def _qualifies(person, on):
    return qualifications([PersonRef(person.pk, person.household_id, person.area_id)], on)[person.pk]


def test_a_certified_person_qualifies_for_the_period_and_not_after(med, clock):
    person = med.person(None)
    row = _certify(med.posts.worker, person, valid_until="2025-12-31")
    assert row.area_id == person.area_id and row.certified_by == med.posts.worker.username
    assert _qualifies(person, D(2025, 10, 1))["returned_to_poverty"]["certification"] == row.pk
    assert "returned_to_poverty" not in _qualifies(person, D(2026, 1, 1))
    clock.set(D(2026, 1, 2))
    assert [c.pk for c in certs.certifications_in_scope(med.posts.worker, status=certs.EXPIRED)] == [row.pk]
    assert list(certs.certifications_in_scope(med.posts.worker, status=certs.LIVE)) == []
    again = _certify(med.posts.worker, person, valid_from="2026-01-02", valid_until="2026-12-31")   # no overlap now
    assert again.pk != row.pk


def test_an_overlapping_certification_is_refused_naming_the_one_that_stands(med, clock):
    person = med.person(None)
    standing = _certify(med.posts.worker, person)
    with pytest.raises(Conflict) as refused:
        _certify(med.posts.officer, person, valid_from="2026-09-01", valid_until="2027-06-30")
    assert refused.value.code == "certification_overlaps" and refused.value.details["certification"] == standing.pk
    assert str(standing.pk) in refused.value.message and "2026-09-21" in refused.value.message
    assert _certify(med.posts.worker, person, category_code="impoverished_by_illness").category_code == \
        "impoverished_by_illness"                                     # another category is another matter
    assert _certify(med.posts.worker, person, valid_from="2026-09-22", valid_until="2027-09-21")   # begins after
    certs.revoke_certification(actor=med.posts.worker, certification_id=standing.pk, reason="认定有误")
    assert "returned_to_poverty" not in _qualifies(person, D(2025, 10, 1))
    assert _certify(med.posts.worker, person, valid_until="2026-06-30")   # the revoked one no longer stands


@pytest.mark.parametrize("changes, field", [
    ({"id_number": "130183197001011234"}, "id_number"),
    ({"id_number": "12345"}, "id_number"),
    ({"id_number": ""}, "id_number"),
    ({"category_code": "friends_of_the_mayor"}, "category_code"),
    ({"valid_from": "2025-02-30"}, "valid_from"),
    ({"valid_from": ""}, "valid_from"),
    ({"valid_until": "next year"}, "valid_until"),
    ({"valid_until": "2025-09-21"}, "valid_until"),
    ({"valid_from": "2025-01-01", "valid_until": "2025-06-30"}, "valid_until"),
    ({"valid_until": "2028-09-22"}, "valid_until"),
    ({"reason": "  "}, "reason"),
    ({"reason": "理" * 1001}, "reason"),
    ({"reason": "ok\x00"}, "reason"),
])
def test_a_certification_is_refused_on_the_field_at_fault(med, clock, changes, field):
    person = med.person(None)
    with pytest.raises(ValidationError) as refused:
        _certify(med.posts.worker, person, **changes)
    assert refused.value.field == field


def test_three_years_at_most(med, clock):
    person = med.person(None)
    assert _certify(med.posts.worker, person, valid_until="2028-09-21").valid_until == D(2028, 9, 21)


def test_a_retired_category_cannot_be_certified(med, clock):
    from safetynet.medical.category_services import save_category

    save_category(actor=med.posts.officer, county_code=med.county.code, code="returned_to_poverty", name_zh="返贫",
                  name_en="Returned", qualify_by="certification", qualify_value="", active=False)
    with pytest.raises(ValidationError) as refused:
        _certify(med.posts.worker, med.person(None))
    assert refused.value.field == "category_code"


def test_another_towns_worker_finds_nobody_and_a_town_leader_may_not_certify(med, clock):
    person = med.person(None)                                   # in 正定镇
    with pytest.raises(NotFound) as refused:
        _certify(med.posts.other_worker, person)
    assert refused.value.field == "id_number"
    with pytest.raises(PermissionDenied):
        _certify(med.posts.leader, person)
    with pytest.raises(PermissionDenied):
        _certify(med.posts.inspector, person)
    row = _certify(med.posts.worker, person)
    with pytest.raises(NotFound):
        certs.revoke_certification(actor=med.posts.other_worker, certification_id=row.pk, reason="不对")
    with pytest.raises(PermissionDenied):
        certs.revoke_certification(actor=med.posts.inspector, certification_id=row.pk, reason="不对")
    assert list(certs.certifications_in_scope(med.posts.other_worker)) == []
    assert [c.pk for c in certs.certifications_in_scope(med.posts.inspector)] == [row.pk]


def test_a_deceased_person_is_not_certified(med, clock):
    person = med.person(None)
    person.is_deceased = True
    person.save(update_fields=["is_deceased"])
    with pytest.raises(ValidationError) as refused:
        _certify(med.posts.worker, person)
    assert refused.value.field == "id_number"


def test_a_revocation_needs_a_reason_and_happens_once(med, clock):
    row = _certify(med.posts.worker, med.person(None))
    with pytest.raises(ValidationError) as refused:
        certs.revoke_certification(actor=med.posts.worker, certification_id=row.pk, reason=" ")
    assert refused.value.field == "reason"
    certs.revoke_certification(actor=med.posts.officer, certification_id=row.pk, reason="家庭情况好转")
    with pytest.raises(Conflict):
        certs.revoke_certification(actor=med.posts.officer, certification_id=row.pk, reason="再次")


# ---- API ----------------------------------------------------------------------------------------

def test_the_api_certifies_lists_and_revokes(med, clock, login):
    person = med.person(None)
    c = login(med.posts.worker)
    body = {"id_number": person.id_number, "category": "impoverished_by_illness", "valid_from": "2025-09-22",
            "valid_until": "2026-09-21", "reason": "自付医疗费用超过人均可支配收入"}
    made = c.post("/api/v1/medical/certifications", body, content_type="application/json")
    assert made.status_code == 201, made.content
    assert made.json()["status"] == "live" and made.json()["id_number"] == person.id_number
    overlap = c.post("/api/v1/medical/certifications", body, content_type="application/json")
    assert overlap.status_code == 409 and overlap.json()["code"] == "certification_overlaps"
    listed = c.get("/api/v1/medical/certifications?status=live").json()
    assert listed["count"] == 1 and listed["items"][0]["category"] == "impoverished_by_illness"
    found = c.get(f"/api/v1/medical/certifications?q={person.id_number[:10]}").json()
    assert found["count"] == 1
    revoked = c.post(f"/api/v1/medical/certifications/{made.json()['id']}/revoke", {"reason": "错误"},
                     content_type="application/json")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"


def test_the_api_answers_404_to_another_town_and_403_to_the_town_leader_and_inspector(med, clock, login):
    person = med.person(None)
    body = {"id_number": person.id_number, "category": "returned_to_poverty", "valid_from": "2025-09-22",
            "valid_until": "2026-09-21", "reason": "返贫"}
    assert login(med.posts.other_worker).post("/api/v1/medical/certifications", body,
                                              content_type="application/json").status_code == 404
    for actor in (med.posts.leader, med.posts.inspector):
        assert login(actor).post("/api/v1/medical/certifications", body,
                                 content_type="application/json").status_code == 403
    bad = login(med.posts.worker).post("/api/v1/medical/certifications", {**body, "valid_until": "2025-01-01"},
                                       content_type="application/json")
    assert bad.status_code == 422 and bad.json()["field"] == "valid_until"


def test_the_inspector_sees_masked_id_numbers(med, clock, login):
    person = med.person(None)
    _certify(med.posts.worker, person)
    items = login(med.posts.inspector).get("/api/v1/medical/certifications").json()["items"]
    assert items[0]["id_number"] != person.id_number and items[0]["id_number"].endswith(person.id_number[-4:])


# ---- pages ---------------------------------------------------------------------------------------

def test_the_certifications_page_certifies_and_revokes(med, clock, login):
    person = med.person(None)
    c = login(med.posts.worker)
    form = {"action": "certify", "id_number": person.id_number, "category_code": "returned_to_poverty",
            "valid_from": "2025-09-22", "valid_until": "2029-09-22", "reason": "返贫"}
    refused = c.post("/medical/certifications/", form)
    assert refused.status_code == 422 and 'data-testid="field-error"' in refused.content.decode()
    unknown = c.post("/medical/certifications/", {**form, "id_number": new_id(D(1980, 1, 1))})
    assert unknown.status_code == 404 and "No person with this ID number in your area." in unknown.content.decode()
    made = c.post("/medical/certifications/", {**form, "valid_until": "2026-09-21"})
    assert made.status_code == 302
    page = c.get("/medical/certifications/").content.decode()
    assert person.name in page and 'data-testid="revoke-form"' in page
    row = certs.certifications_in_scope(med.posts.worker).get()
    gone = c.post("/medical/certifications/", {"action": "revoke", "certification": str(row.pk),
                                               "revoke_reason": "误录"})
    assert gone.status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None and row.revoke_reason == "误录"


def test_the_town_leader_reads_the_page_without_the_form_and_cannot_post(med, clock, login):
    c = login(med.posts.leader)
    page = c.get("/medical/certifications/")
    assert page.status_code == 200 and 'data-testid="certify-form"' not in page.content.decode()
    posted = c.post("/medical/certifications/", {"action": "certify", "id_number": med.person(None).id_number,
                                                 "category_code": "returned_to_poverty", "valid_from": "2025-09-22",
                                                 "valid_until": "2026-09-21", "reason": "返贫"})
    assert posted.status_code == 403


def test_the_certifications_page_is_chinese(med, clock, client):
    from django.contrib.auth import get_user_model

    person = med.person(None)
    _certify(med.posts.worker, person)
    client.force_login(get_user_model().objects.get(pk=med.posts.worker.user_id))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    page = client.get("/medical/certifications/")
    assert page.status_code == 200 and english_in_context(page.content.decode()) == []
    refused = client.post("/medical/certifications/", {"action": "certify", "id_number": person.id_number,
                                                       "category_code": "returned_to_poverty",
                                                       "valid_from": "2025-09-22", "valid_until": "2026-01-01",
                                                       "reason": "返贫"})
    assert refused.status_code == 409 and "撤销" in refused.content.decode()
    assert english_in_context(refused.content.decode()) == []
