"""A department's login (issue 14 item 3) reads only what its upload work needs: it uploads its own
datasets and lists their current snapshots; every other operation of the API (areas and their
counts, the registry, cases, payments, changes, programs, verification runs) answers 403 or 404,
with real objects behind every path."""
from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from safetynet.payroll import services as payroll_services
from safetynet.verification import department_accounts as accounts
from tests.conftest import COUNTY
from tests.verification_helpers import csv_bytes
from tests.test_verification_departments import GOOD, HEADER, VEHICLES

UPLOAD = "/api/v1/verification/snapshots"
ALLOWED = {("post", UPLOAD), ("get", UPLOAD)}


@pytest.fixture
def department(vdata, payroll, client):
    """A finance department's token, in a county with a household, a confirmed case, its
    enrollment and a payroll run."""
    p = payroll
    account = accounts.register_department_account(actor=p.posts.officer, username="bank_feed", department="finance")
    _, p.secret = accounts.issue_department_token(actor=p.posts.officer, account_id=account.pk)
    p.run = payroll_services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
    p.headers = {"Authorization": f"Bearer {p.secret}"}
    return p


def _values(p) -> dict[str, str]:
    household = p.base.household
    return {"code": COUNTY, "household_id": household.pk, "person_id": household.head_id, "case_id": p.case.pk,
            "run_id": p.run.pk, "enrollment_id": p.base.pk, "key": "urban_standard", "name": "x.csv",
            "job_id": "0" * 32, "supporter_id": 1, "recheck_id": 1, "overpayment_id": 1, "proposal_id": 1, "pending_id": 1,
            "result_id": 1, "lead_id": 1, "referral_id": 1, "agency_id": 1, "entry_id": 1,
            "declaration_id": 1, "finding_id": 1, "complaint_id": 1, "campaign_id": 1, "item_id": 1,
            "staff_id": 1, "course_id": 1, "session_id": 1, "pair_id": 1,
            "project_id": 1, "milestone_id": 1,
            "provider_id": 1, "contract_id": 1, "task_id": 1, "worker_id": 1, "assignment_id": 1,
            "deliberation_id": 1, "statement_id": 1, "line_id": 1,
            "category_code": "dibao", "certification_id": 1, "institution_id": 1, "key_id": 1}


def _operations(client):
    spec = client.get("/api/v1/openapi.json").json()
    for path, operations in spec["paths"].items():
        for method in operations:
            if not path.startswith("/api/v1/public/"):
                yield method, path


def test_a_departments_token_reads_nothing_but_its_own_snapshots(client, department):
    p = department
    values = _values(p)
    answers = {}
    for method, path in _operations(client):
        if (method, path) in ALLOWED:
            continue
        url = re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)
        if method == "get":
            answers[(method, path)] = client.get(url, headers=p.headers).status_code
        elif method == "delete":
            answers[(method, path)] = client.delete(url, headers=p.headers).status_code
    assert answers and {key: status for key, status in answers.items() if status not in (403, 404)} == {}
    assert answers[("get", "/api/v1/areas/{code}")] == 403
    assert answers[("get", "/api/v1/areas")] == 403
    assert answers[("get", "/api/v1/payments/runs/{run_id}")] == 403


def test_a_departments_token_writes_nothing_but_its_own_datasets(client, department):
    p = department
    household = p.base.household
    writes = [
        ("/api/v1/areas", {"parent": p.village.code, "name": "一组"}),
        ("/api/v1/households", {"area": p.village.code, "address": "某村 9 号", "registration_type": "rural"}),
        ("/api/v1/cases", {"program": "dibao", "household": household.pk, "applicant": household.head_id,
                           "channel": "walk_in"}),
        (f"/api/v1/verification/households/{household.pk}/verify", {}),
        ("/api/v1/payments/runs", {"county": COUNTY, "month": "2025-11"}),
        (f"/api/v1/payments/runs/{p.run.pk}/approve", {}),
        ("/api/v1/changes/triggers", {"county": COUNTY}),
        (f"/api/v1/changes/enrollments/{p.base.pk}/reports", {"kind": "income", "description": "收入变化"}),
    ]
    for path, body in writes:
        assert client.post(path, body, content_type="application/json", headers=p.headers).status_code in (403, 404), path
    patched = client.patch(f"/api/v1/persons/{household.head_id}", {"phone": "13800000000"},
                           content_type="application/json", headers=p.headers)
    assert patched.status_code in (403, 404)


def test_a_departments_token_uploads_and_lists_its_own_datasets_only(client, department):
    p = department
    upload = client.post(UPLOAD, {"dataset": "deposits", "file": SimpleUploadedFile("d.csv", csv_bytes(HEADER, GOOD))},
                         headers=p.headers)
    assert upload.status_code == 201, upload.content
    from safetynet.verification import services
    from safetynet.verification.models import Snapshot

    services.import_snapshot(actor=p.posts.officer, dataset_code="vehicles", filename="v.csv",
                             source=SimpleUploadedFile("v.csv", csv_bytes(*VEHICLES)))
    assert set(Snapshot.objects.values_list("dataset", flat=True)) == {"deposits", "vehicles"}
    listed = client.get(UPLOAD, headers=p.headers)
    assert listed.status_code == 200
    assert [s["dataset"] for s in listed.json()] == ["deposits"]         # not the other department's
    officer = client.get(UPLOAD, headers={"Authorization": "Bearer " + _token(p.posts.officer)})
    assert sorted(s["dataset"] for s in officer.json()) == ["deposits", "vehicles"]


def _token(actor) -> str:
    from safetynet.areas.tokens import issue_api_token

    return issue_api_token(actor=actor, username=actor.username)[1]


def test_a_post_without_areas_view_gets_its_landing_page_without_the_networks_counts(client_for, county):
    """The same rule on the pages: the landing page counts households and people for the posts
    that may read the network (it answered them to a provider's or an institution's post)."""
    for role in ("provider_worker", "institution"):
        client = client_for(role, county.code)
        response = client.get("/")
        assert response.status_code == 200
        assert 'data-testid="count-households"' not in response.content.decode()
        client.logout()
    assert 'data-testid="count-households"' in client_for("grid_worker", county.code).get("/").content.decode()


def test_the_department_role_holds_no_permission_in_the_table():
    """A department's token reads nothing because its post's role holds nothing: a permission
    given to that role would be given to every department."""
    from safetynet.areas.roles import ROLE_PERMISSIONS

    assert ROLE_PERMISSIONS[accounts.DEPARTMENT_ROLE] == frozenset()
