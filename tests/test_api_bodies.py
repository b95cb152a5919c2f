"""Request bodies (issue 14 items 8 and 9): a field the endpoint does not take is refused with 422
naming it, never dropped; a PATCH applies every field it takes or refuses it; a body too large
answers 413; an application's error comes from the one program it names."""
import datetime as dt

import pytest

from safetynet.core.idnumbers import make_id_number
from safetynet.registry import services
from safetynet.registry.models import Household, Person
from tests.conftest import TOWN

HEAD_ID = make_id_number("130123", dt.date(1956, 3, 9), 12, "male")
SON_ID = make_id_number("130123", dt.date(1990, 5, 4), 31, "male")


@pytest.fixture
def household(village, make_actor):
    actor = make_actor("town_worker", TOWN)
    return services.create_household(actor=actor, area_code=village.code, address="正定镇某村 1 号", registration_type="rural",
                                     members=[{"name": "王建国", "id_number": HEAD_ID, "relation_to_head": "head"}])


@pytest.fixture
def worker_client(county, client_for):
    return client_for("town_worker", TOWN)


# ---------------------------------------------------------------------------------------------
# Unknown fields
# ---------------------------------------------------------------------------------------------

def _request_body_objects(spec: dict):
    """Every object schema a request body can hold, with where it was found."""
    components = spec.get("components", {}).get("schemas", {})
    seen: set[str] = set()

    def walk(node, where):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if ref:
                name = ref.rsplit("/", 1)[-1]
                if name not in seen:
                    seen.add(name)
                    yield from walk(components[name], name)
                return
            if node.get("type") == "object" or "properties" in node:
                yield where, node
            for key, value in node.items():
                if key != "additionalProperties" or isinstance(value, dict):
                    yield from walk(value, where)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item, where)

    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            content = (operation.get("requestBody") or {}).get("content", {})
            if "application/json" in content:
                yield from walk(content["application/json"]["schema"], f"{method.upper()} {path}")


def test_every_request_body_says_it_takes_no_other_field(client, db):
    spec = client.get("/api/v1/openapi.json").json()
    objects = list(_request_body_objects(spec))
    assert len(objects) > 40
    # An object that is a free mapping (daily activities: a key per activity) says what its values are.
    loose = sorted({where for where, node in objects
                    if "properties" in node and node.get("additionalProperties") is not False})
    assert loose == []


def test_a_misspelled_household_field_is_refused_naming_it(worker_client, village):
    response = worker_client.post("/api/v1/households", {"area": village.code, "address": "某村 2 号", "registration_type": "rural",
                                                  "bank_acount": "6222020200112233"}, content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid" and body["field"] == "bank_acount"
    assert "bank_acount" in body["message"]
    assert not Household.objects.exists()


def test_a_misspelled_member_field_inside_a_household_is_refused_with_its_place(worker_client, village):
    response = worker_client.post("/api/v1/households", {
        "area": village.code, "address": "某村 2 号", "registration_type": "rural",
        "members": [{"name": "王建国", "id_number": HEAD_ID, "relation_to_head": "head", "phnoe": "13800000000"}]},
        content_type="application/json")
    assert response.status_code == 422
    assert response.json()["field"] == "members.0.phnoe"
    assert not Household.objects.exists()


def test_the_unknown_field_message_speaks_chinese(worker_client, household):
    response = worker_client.post("/api/v1/persons", {"household": household.pk, "name": "王小明", "id_number": SON_ID,
                                               "relation_to_head": "child", "phnoe": "13800000000"},
                           content_type="application/json", headers={"Accept-Language": "zh-hans"})
    assert response.status_code == 422
    assert response.json()["message"] == "未知字段：phnoe。"
    assert Person.objects.count() == 1


def test_every_unknown_field_is_named(worker_client, household):
    response = worker_client.post("/api/v1/persons", {"household": household.pk, "name": "王小明", "id_number": SON_ID,
                                               "relation_to_head": "child", "phnoe": "1", "sexx": "male"},
                           content_type="application/json", headers={"Accept-Language": "en"})
    body = response.json()
    assert response.status_code == 422 and body["message"] == "Unknown fields: phnoe, sexx."
    assert sorted(e["field"] for e in body["errors"]) == ["phnoe", "sexx"]


# ---------------------------------------------------------------------------------------------
# A PATCH applies each field it takes, or refuses it
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("change", [{"is_deceased": True}, {"id_number": SON_ID}, {"nmae": "王建设"}])
def test_patching_a_person_with_a_field_it_does_not_change_is_refused(worker_client, household, change):
    person = household.members.get()
    response = worker_client.patch(f"/api/v1/persons/{person.pk}", change, content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == next(iter(change))
    person.refresh_from_db()
    assert (person.is_deceased, person.id_number, person.name) == (False, HEAD_ID, "王建国")


@pytest.mark.parametrize("field", ["work_ability", "serious_illness", "relation_to_head", "name", "phone",
                                   "disability_type"])
def test_patching_a_persons_fact_to_null_is_refused_not_read_as_a_default(worker_client, household, field):
    person = household.members.get()
    Person.objects.filter(pk=person.pk).update(work_ability="partial", serious_illness=True, phone="13800000000")
    response = worker_client.patch(f"/api/v1/persons/{person.pk}", {field: None}, content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == field
    person.refresh_from_db()
    assert (person.work_ability, person.serious_illness, person.phone) == ("partial", True, "13800000000")


def test_patching_a_person_applies_every_field_it_takes(worker_client, household):
    person = household.members.get()
    response = worker_client.patch(f"/api/v1/persons/{person.pk}", {
        "name": "王建设", "relation_to_head": "head", "disability_type": "physical", "disability_grade": 2,
        "serious_illness": True, "work_ability": "none", "phone": "13800000000"}, content_type="application/json")
    assert response.status_code == 200, response.json()
    person.refresh_from_db()
    assert (person.name, person.disability_type, person.disability_grade, person.serious_illness, person.work_ability,
            person.phone) == ("王建设", "physical", 2, True, "none", "13800000000")
    # null clears the grade (with the type): no disability
    response = worker_client.patch(f"/api/v1/persons/{person.pk}", {"disability_type": "", "disability_grade": None},
                            content_type="application/json")
    assert response.status_code == 200
    person.refresh_from_db()
    assert (person.disability_type, person.disability_grade) == ("", None)


@pytest.mark.parametrize("field", ["address", "registration_type", "phone", "bank_account", "area"])
def test_patching_a_household_fact_to_null_is_refused(worker_client, household, field):
    Household.objects.filter(pk=household.pk).update(phone="13800000000", bank_account="6222020200112233")
    response = worker_client.patch(f"/api/v1/households/{household.pk}", {field: None}, content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == field
    household.refresh_from_db()
    assert (household.phone, household.bank_account) == ("13800000000", "6222020200112233")


def test_patching_a_household_with_an_unknown_field_is_refused(worker_client, household):
    response = worker_client.patch(f"/api/v1/households/{household.pk}", {"adress": "某村 3 号"}, content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "adress"
    household.refresh_from_db()
    assert household.address == "正定镇某村 1 号"


# ---------------------------------------------------------------------------------------------
# An application's errors are those of the program it names
# ---------------------------------------------------------------------------------------------

def _application(household, **body):
    return {"household": household.pk, "applicant": household.head_id, "channel": "walk_in", **body}


def test_a_temporary_application_with_a_negative_amount_gets_the_one_error_on_the_amount(worker_client, household):
    response = worker_client.post("/api/v1/cases", _application(household, program="temporary", kind="emergency",
                                                         requested_amount="-100.00"), content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert [e["field"] for e in body["errors"]] == ["requested_amount"]
    assert body["field"] == "requested_amount"


def test_an_entrusted_application_missing_who_entrusted_it_is_told_that_alone(worker_client, household):
    response = worker_client.post("/api/v1/cases", _application(household, program="dibao", channel="entrusted_by_village"),
                           content_type="application/json")
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["entrusted_by"]


def test_an_application_for_no_such_program_is_refused_on_the_program(worker_client, household):
    response = worker_client.post("/api/v1/cases", _application(household, program="housing"), content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert [e["field"] for e in body["errors"]] == ["program"]
    assert "temporary" in body["message"]


def test_a_batch_of_applications_names_the_one_bad_field_with_its_place(worker_client, household):
    response = worker_client.post("/api/v1/cases/batch/applications", {"applications": [
        _application(household, program="dibao"),
        _application(household, program="temporary", kind="quick", requested_amount="-1", reasn="x")]},
        content_type="application/json")
    assert response.status_code == 422
    assert sorted(e["field"] for e in response.json()["errors"]) == ["applications.1.reasn", "applications.1.requested_amount"]


# ---------------------------------------------------------------------------------------------
# A body too large
# ---------------------------------------------------------------------------------------------

def _twelve_megabytes_of_json(village) -> bytes:
    filler = "某" * (12 * 1024 * 1024 // 3)
    return ('{"area": "%s", "address": "%s", "registration_type": "rural"}' % (village.code, filler)).encode()


def test_a_twelve_megabyte_json_body_answers_413_in_json(worker_client, village):
    body = _twelve_megabytes_of_json(village)
    assert len(body) >= 12 * 1024 * 1024
    response = worker_client.post("/api/v1/households", body, content_type="application/json",
                           headers={"Accept-Language": "en"})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "too_large"
    assert not Household.objects.exists()
    spec = worker_client.get("/api/v1/openapi.json").json()
    assert "413" in spec["paths"]["/api/v1/households"]["post"]["responses"]        # said where it can happen


def test_a_twelve_megabyte_form_answers_a_plain_413_page(worker_client, village):
    response = worker_client.post("/registry/households/new/", {"address": "某" * (12 * 1024 * 1024 // 3)})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert b"Traceback" not in response.content


def test_a_large_multipart_body_with_small_fields_is_not_refused_for_its_size(worker_client, village):
    """Uploads (rosters, department files) are files, which the limit does not count."""
    import io

    big = io.BytesIO(b"x" * (3 * 1024 * 1024))
    big.name = "roster.csv"
    response = worker_client.post("/api/v1/verification/snapshots", {"dataset": "no_such_dataset", "file": big})
    assert response.status_code != 413


def test_a_misspelled_field_of_an_upload_is_refused_not_dropped(county, client_for, settings, tmp_path):
    """A multipart body is not a schema: `taken_onn` would have been dropped, the snapshot dated today."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from safetynet.verification.models import Snapshot

    settings.DATA_DIR = tmp_path
    officer = client_for("county_officer", county.code)
    from tests.test_verification_departments import GOOD, HEADER
    from tests.verification_helpers import csv_bytes

    csv = csv_bytes(HEADER, GOOD)
    response = officer.post("/api/v1/verification/snapshots", {
        "dataset": "deposits", "taken_onn": "2025-01-31", "file": SimpleUploadedFile("d.csv", csv, "text/csv")})
    assert response.status_code == 422 and response.json()["field"] == "taken_onn"
    assert not Snapshot.objects.exists()
    response = officer.post("/api/v1/payments/runs/1/returns", {"file": SimpleUploadedFile("r.csv", b"x"),
                                                                 "fille": SimpleUploadedFile("r.csv", b"x")})
    assert response.status_code == 422 and response.json()["field"] == "fille"


@pytest.mark.parametrize("extra", [{"supporters": []}, {"daily_activities": {"eating": True}}])
def test_the_county_visit_refuses_what_it_does_not_record(client, posts, poor_household, clock, standards, extra):
    """The county's visit shared the survey's body, whose supporters and daily activities it dropped."""
    from django.contrib.auth import get_user_model

    from safetynet.cases.models import Survey
    from tests.cases_helpers import investigators, walk

    case = walk(posts, poor_household, clock, to="accepted")
    client.force_login(get_user_model().objects.get(pk=posts.officer.user_id))
    body = {"investigators": investigators(2), "findings": "县级入户核查", "signed_by_household": True}
    refused = client.post(f"/api/v1/cases/{case.pk}/county-visit", {**body, **extra}, content_type="application/json")
    assert refused.status_code == 422 and refused.json()["field"] == next(iter(extra))
    assert not Survey.objects.filter(case=case, kind="county_visit").exists()
    done = client.post(f"/api/v1/cases/{case.pk}/county-visit", body, content_type="application/json")
    assert done.status_code == 200, done.json()
