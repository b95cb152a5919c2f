"""The statements over HTTP (issue 20 part 3): the institution's claim and its own statements
(`/api/v1/medical/institution/`, by its key; nothing of another institution; a revoked key 401),
and the staff API (`/api/v1/medical/`): generate, list, reconcile, approve, export, returns, files,
each refused to the wrong role (403) and outside the area (404)."""
from __future__ import annotations

import json

import pytest

from safetynet.medical import keys
from safetynet.medical.models import MedicalClaim, MedicalStatement, Settlement
from tests.conftest import force_login
from tests.medical_statement_helpers import COUNTY, D, Decimal, returns_file, stmt  # noqa: F401 (a fixture)

CLAIMS = "/api/v1/medical/institution/claims"


def _post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


@pytest.fixture
def stated(stmt):
    stmt.budget()
    stmt.settle(assistance="1000.00", visit="ZY001")
    stmt.settle(assistance="234.56", visit="ZY002")
    stmt.settle(stmt.centre, assistance="300.00", visit="WS001")
    stmt.generate()
    return stmt


def test_an_institution_sends_its_claim_and_reads_its_own_statement(stated):
    hospital = stated.client(stated.hospital_key)
    answer = _post(hospital, CLAIMS, {"month": "2025-09", "settlements": 2, "assistance_total": "1234.56", "visits": [
        {"visit_number": "ZY001", "assistance": "1000.00"}, {"visit_number": "ZY002", "assistance": "234.56"}]})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["replaced"] is False and body["visits"] == 2 and body["statement"]["status"] == "reconciled"
    answer = _post(hospital, CLAIMS, {"month": "2025-09", "settlements": 3, "assistance_total": "1300.00"})
    body = answer.json()
    assert body["replaced"] is True and body["submissions"] == 2 and body["statement"]["status"] == "discrepant"
    assert body["statement"]["differences"]["count"] == {"claimed": 3, "ours": 2}
    own = hospital.get("/api/v1/medical/institution/statements/2025-09").json()
    assert (own["net_total"], own["settlements_count"], own["claimed_total"]) == ("1234.56", 2, "1300.00")
    assert hospital.get("/api/v1/medical/institution/claims/2025-09").json()["settlements"] == 3
    assert [s["month"] for s in hospital.get("/api/v1/medical/institution/statements").json()["items"]] == ["2025-09"]


def test_an_institution_reads_nothing_of_another(stated):
    centre = stated.client(stated.centre_key)
    _post(stated.client(stated.hospital_key), CLAIMS, {"month": "2025-09", "settlements": 2, "assistance_total": "1234.56"})
    own = centre.get("/api/v1/medical/institution/statements/2025-09").json()
    assert own["net_total"] == "300.00" and own["claimed_total"] is None       # its own, not the hospital's
    assert [s["net_total"] for s in centre.get("/api/v1/medical/institution/statements").json()["items"]] == ["300.00"]
    assert centre.get("/api/v1/medical/institution/claims/2025-09").status_code == 404   # the hospital's claim: not its
    Settlement.objects.filter(institution=stated.centre).update(statement=None)
    MedicalStatement.objects.filter(institution=stated.centre).delete()
    assert centre.get("/api/v1/medical/institution/statements/2025-09").status_code == 404


def test_a_revoked_key_or_a_staff_session_is_answered_401(stated, client):
    hospital = stated.client(stated.hospital_key)
    assert hospital.get("/api/v1/medical/institution/statements/2025-09").status_code == 200
    key = stated.hospital.keys.get()
    keys.revoke_key(actor=stated.posts.officer, key_id=key.pk)
    assert hospital.get("/api/v1/medical/institution/statements/2025-09").status_code == 401
    assert _post(hospital, CLAIMS, {"month": "2025-09", "settlements": 0, "assistance_total": "0"}).status_code == 401
    assert not MedicalClaim.objects.exists()
    assert client.get("/api/v1/medical/institution/statements/2025-09").status_code == 401
    force_login(client, stated.posts.officer)
    assert client.get("/api/v1/medical/institution/statements/2025-09").status_code == 401


def test_a_claim_is_checked_before_it_is_kept(stated):
    hospital = stated.client(stated.hospital_key)
    cases = [
        ({"month": "2025-09", "settlements": 1, "assistance_total": "12.345"}, 422),          # three decimals
        ({"month": "2025-09", "settlements": -1, "assistance_total": "1.00"}, 422),
        ({"month": "2025-09", "settlements": 1, "assistance_total": "1.00", "visit": []}, 422),  # unknown field
        ({"month": "2025-10", "settlements": 1, "assistance_total": "1.00"}, 422),           # not ended
        ({"month": "2025-09", "settlements": 2, "assistance_total": "2.00",
          "visits": [{"visit_number": "A", "assistance": "1.00"}, {"visit_number": "A", "assistance": "1.00"}]}, 422),
    ]
    for body, status in cases:
        answer = _post(hospital, CLAIMS, body)
        assert answer.status_code == status, (body, answer.content)
    assert not MedicalClaim.objects.exists()


def test_a_claim_of_fifty_thousand_visits_is_taken(stated):
    visits = [{"visit_number": f"ZY25090{i:06d}", "assistance": "10.00"} for i in range(50_000)]
    body = json.dumps({"month": "2025-09", "settlements": 50_000, "assistance_total": "500000.00", "visits": visits},
                      separators=(",", ":"))
    answer = stated.client(stated.hospital_key).post(CLAIMS, body, content_type="application/json")
    assert answer.status_code == 200, answer.content[:300]
    statement = answer.json()["statement"]
    assert statement["status"] == "discrepant"
    assert statement["differences"]["not_ours"]["count"] == 50_000
    assert len(statement["differences"]["not_ours"]["visits"]) == 100
    assert statement["differences"]["not_claimed"]["count"] == 2
    too_many = json.dumps({"month": "2025-09", "settlements": 1, "assistance_total": "1.00",
                           "visits": [{"visit_number": f"{i}", "assistance": "0"} for i in range(50_001)]},
                          separators=(",", ":"))
    assert stated.client(stated.hospital_key).post(CLAIMS, too_many, content_type="application/json").status_code == 422


# ---------------------------------------------------------------------------------------------
# Staff
# ---------------------------------------------------------------------------------------------
def test_the_county_states_reconciles_approves_and_pays_through_the_api(stmt, api):
    stmt.budget()
    stmt.settle(assistance="1000.00", visit="ZY001")
    stmt.settle(stmt.centre, assistance="300.00", visit="WS001")
    officer = api(stmt.posts.officer)
    answer = _post(officer, "/api/v1/medical/payment-runs", {"county": COUNTY, "month": "2025-09"})
    assert answer.status_code == 201, answer.content
    run = answer.json()
    assert run["statement_count"] == 2 and run["net_total"] == "1300.00" and run["added"]["settlements"] == 2
    assert _post(officer, "/api/v1/medical/payment-runs", {"county": COUNTY, "month": "2025-10"}).status_code == 422
    items = officer.get("/api/v1/medical/statements?month=2025-09").json()["items"]
    assert {i["institution_code"]: i["status"] for i in items} == {"H13012300001": "draft", "H13012310001": "draft"}
    ids = {i["institution_code"]: i["id"] for i in items}
    reconciled = _post(officer, f"/api/v1/medical/statements/{ids['H13012300001']}/reconcile", {}).json()
    assert reconciled["status"] == "discrepant" and reconciled["differences"] == {"no_claim": True}
    stmt.claim(stmt.centre, settlements=1, total="300.00")
    lines = officer.get(f"/api/v1/medical/statements/{ids['H13012300001']}/lines").json()["items"]
    assert [(line["visit_number"], line["assistance"]) for line in lines] == [("ZY001", "1000.00")]
    assert lines[0]["person"].endswith("*")                                    # the name masked

    leader = api(stmt.posts.county_leader)
    answer = _post(leader, f"/api/v1/medical/statements/{ids['H13012300001']}/approve", {})
    assert answer.status_code == 422 and answer.json()["field"] == "note"
    answer = _post(leader, f"/api/v1/medical/statements/{ids['H13012300001']}/approve", {"note": "以结算记录为准"})
    assert answer.status_code == 200 and answer.json()["status"] == "approved"
    assert answer.json()["charged_amount"] == "1000.00"
    assert _post(leader, f"/api/v1/medical/statements/{ids['H13012310001']}/approve", {}).json()["status"] == "approved"
    assert _post(leader, f"/api/v1/medical/payment-runs/{run['id']}/export", {}).status_code == 403

    officer = api(stmt.posts.officer)
    exported = _post(officer, f"/api/v1/medical/payment-runs/{run['id']}/export", {}).json()
    assert exported["files_count"] == 2 and exported["files_total"] == "1300.00"
    first = officer.get(f"/api/v1/medical/payment-runs/{run['id']}/files/{exported['files'][0]}")
    assert first.status_code == 200 and b"".join(first.streaming_content).startswith(b"\xef\xbb\xbf")
    refs = {i["institution_code"]: i["reference"] for i in officer.get("/api/v1/medical/statements").json()["items"]}
    upload = returns_file([(refs["H13012300001"], "1000.00", "paid", ""), (refs["H13012310001"], "300.00", "paid", "")])
    upload.name = "returns.csv"
    answer = officer.post(f"/api/v1/medical/payment-runs/{run['id']}/returns", {"file": upload})
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"paid": 2, "failed": 0, "failed_amount": "0.00",
                                                           "reconciled": True}
    assert officer.get(f"/api/v1/medical/payment-runs/{run['id']}").json()["status"] == "reconciled"
    assert {i["status"] for i in officer.get("/api/v1/medical/statements").json()["items"]} == {"paid"}


def test_the_staff_api_refuses_the_wrong_role_and_area(stmt, api, make_actor):
    from safetynet.areas.models import Area

    stmt.settle(assistance="1000.00")
    stmt.settle(stmt.centre, assistance="300.00")
    run = stmt.generate()
    hospital, centre = stmt.statement(), stmt.statement(stmt.centre)
    worker = api(stmt.posts.worker)           # 正定镇: its town's health centre only, and no run
    assert _post(worker, "/api/v1/medical/payment-runs", {"county": COUNTY, "month": "2025-09"}).status_code == 403
    assert [i["id"] for i in worker.get("/api/v1/medical/statements").json()["items"]] == [centre.pk]
    assert worker.get(f"/api/v1/medical/statements/{hospital.pk}").status_code == 404
    assert worker.get(f"/api/v1/medical/payment-runs/{run.pk}").status_code == 404
    assert worker.get("/api/v1/medical/payment-runs").json()["count"] == 0
    assert _post(worker, f"/api/v1/medical/statements/{centre.pk}/reconcile", {}).status_code == 403
    other = api(stmt.posts.other_worker)
    assert other.get("/api/v1/medical/statements").json()["count"] == 0
    assert other.get(f"/api/v1/medical/statements/{centre.pk}").status_code == 404
    inspector = api(stmt.posts.inspector)     # reads everything of the county, writes nothing
    assert inspector.get("/api/v1/medical/statements").json()["count"] == 2
    assert inspector.get(f"/api/v1/medical/payment-runs/{run.pk}").status_code == 200
    assert _post(inspector, f"/api/v1/medical/statements/{hospital.pk}/reconcile", {}).status_code == 403
    assert _post(inspector, f"/api/v1/medical/statements/{hospital.pk}/approve", {"note": "x"}).status_code == 403
    assert _post(inspector, f"/api/v1/medical/payment-runs/{run.pk}/export", {}).status_code == 403
    Area.objects.create(code="130124", name="深泽县", level="county", parent_id=COUNTY[:4])
    stranger = api(make_actor("county_officer", "130124"))
    assert stranger.get(f"/api/v1/medical/statements/{hospital.pk}").status_code == 404
    assert _post(stranger, f"/api/v1/medical/statements/{hospital.pk}/reconcile", {}).status_code == 404
    assert _post(stranger, "/api/v1/medical/payment-runs", {"county": COUNTY, "month": "2025-09"}).status_code == 404
    assert _post(stranger, f"/api/v1/medical/payment-runs/{run.pk}/export", {}).status_code == 404
    assert stranger.get("/api/v1/medical/statements").json()["count"] == 0
    assert MedicalStatement.objects.filter(status="draft").count() == 2
