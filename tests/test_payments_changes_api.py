"""The changes API (/api/v1/changes): success for the post whose step it is, 403 for a role that
may not, 404 outside the area, 409 with a code out of order, 422 with the field for bad input."""
from __future__ import annotations


from safetynet.enrollments.models import ChangeProposal, Recheck
from safetynet.registry.models import Person
from tests.payments_helpers import D
from tests.conftest import COUNTY
from tests.verification_helpers import import_other_datasets, import_rows

BASE = "/api/v1/changes"


def post(client, path, body=None):
    return client.post(f"{BASE}{path}", body or {}, content_type="application/json")


def test_report_verify_survey_and_close_a_recheck(api, payroll, clock, vdata):
    p = payroll
    clock.set(D(2025, 10, 20))
    other = p.enroll("500.00", area=p.other_village)
    cadre = api(p.posts.cadre)
    assert post(cadre, f"/enrollments/{other.pk}/reports", {"kind": "income", "description": "x"}).status_code == 404
    bad = post(cadre, f"/enrollments/{p.base.pk}/reports", {"kind": "income", "description": " "})
    assert bad.status_code == 422 and bad.json()["field"] == "description"
    assert post(cadre, f"/enrollments/{p.base.pk}/reports", {"kind": "pets", "description": "x"}).status_code == 422
    made = post(cadre, f"/enrollments/{p.base.pk}/reports", {"kind": "address", "description": "搬到镇上租房"})
    assert made.status_code == 201
    recheck_id = made.json()["recheck"]
    assert api(p.posts.grid).get(f"{BASE}/rechecks").status_code == 403
    worker = api(p.posts.worker)
    listed = worker.get(f"{BASE}/rechecks").json()
    assert listed["count"] == 1 and listed["items"][0]["survey_needed"] is True
    assert api(p.posts.other_worker).get(f"{BASE}/rechecks/{recheck_id}").status_code == 404
    worker = api(p.posts.worker)
    early = post(worker, f"/rechecks/{recheck_id}/close", {"outcome": "kept", "reason": "无变化"})
    assert early.status_code == 403                     # the town worker does not decide
    officer = api(p.posts.officer)
    early = post(officer, f"/rechecks/{recheck_id}/close", {"outcome": "kept", "reason": "无变化"})
    assert early.status_code == 409 and early.json()["code"] == "verification_missing"
    worker = api(p.posts.worker)
    import_other_datasets(p.posts.officer)          # every department's data there: a complete report
    assert post(worker, f"/rechecks/{recheck_id}/verify").status_code == 200
    survey = {"conducted_on": "2025-10-20", "investigators": ["刘一", "陈二"], "findings": "租住镇上，收入未变",
              "signed_by_household": True}
    assert post(worker, f"/rechecks/{recheck_id}/survey", {**survey, "investigators": ["刘一"]}).status_code == 422
    assert post(worker, f"/rechecks/{recheck_id}/survey", survey).json()["survey_on"] == "2025-10-20"
    officer = api(p.posts.officer)
    closed = post(officer, f"/rechecks/{recheck_id}/close", {"outcome": "kept", "reason": "地址变更，收入未变",
                                                             "effective_month": "2025-13"})
    assert closed.status_code == 422
    closed = post(officer, f"/rechecks/{recheck_id}/close", {"outcome": "kept", "reason": "地址变更，收入未变"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert Recheck.objects.get(pk=recheck_id).outcome == "kept"


def test_decisions_months_and_work_refusal(api, payroll, clock):
    p = payroll
    clock.set(D(2025, 10, 20))
    e = p.enroll("800.00")
    assert post(api(p.posts.worker), f"/enrollments/{e.pk}/decisions",
                {"kind": "suspension", "reason": "x"}).status_code == 403
    officer = api(p.posts.officer)
    assert post(officer, f"/enrollments/{e.pk}/decisions", {"kind": "resumption", "reason": "x"}).status_code == 409
    done = post(officer, f"/enrollments/{e.pk}/decisions", {"kind": "suspension", "reason": "外出", "effective_month": "2025-12"})
    assert done.status_code == 201 and done.json()["change"]["to_status"] == "suspended"
    months = officer.get(f"{BASE}/enrollments/{e.pk}/months", {"months": 4}).json()
    assert [(m["month"], m["due"]) for m in months["months"]] == [
        ("2025-10-01", "800.00"), ("2025-11-01", "800.00"), ("2025-12-01", "0.00"), ("2026-01-01", "0.00")]
    head = p.base.household.head_id
    refusal = post(officer, f"/enrollments/{p.base.pk}/work-refusals",
                   {"person": head, "refusals": 3, "from_month": "2025-11", "to_month": "2025-11", "reason": "三次拒绝工作"})
    assert refusal.status_code == 201 and refusal.json()["to_amount"] == "1470.00"
    again = post(officer, f"/enrollments/{p.base.pk}/work-refusals",
                 {"person": head, "refusals": 3, "from_month": "2025-11", "to_month": "2025-12", "reason": "再次"})
    assert again.status_code == 409 and again.json()["code"] == "deduction_overlaps"
    assert api(p.posts.other_worker).get(f"{BASE}/enrollments/{e.pk}/months").status_code == 404


def test_proposals_over_the_api(api, payroll, clock, vdata):
    p = payroll
    spouse = Person.objects.get(household_id=p.base.household_id, relation_to_head="spouse")
    import_rows(p.posts.officer, "public_security_deaths",
                [{"id_number": spouse.id_number, "name": spouse.name, "death_date": "2025-10-03"}])
    clock.set(D(2025, 10, 20))
    assert post(api(p.posts.worker), "/triggers", {"county": COUNTY}).status_code == 403
    officer = api(p.posts.officer)
    run = post(officer, "/triggers", {"county": COUNTY}).json()
    assert run["proposals"] == 1 and post(officer, "/triggers", {"county": COUNTY}).json()["proposals"] == 0
    proposal = ChangeProposal.objects.get()
    worker = api(p.posts.worker)
    assert worker.get(f"{BASE}/proposals").json()["count"] == 1
    assert post(worker, f"/proposals/{proposal.pk}/reject", {"reason": ""}).status_code == 422
    confirmed = post(worker, f"/proposals/{proposal.pk}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert post(worker, f"/proposals/{proposal.pk}/confirm").json()["code"] == "proposal_decided"
    assert api(p.posts.other_worker).get(f"{BASE}/proposals").json()["count"] == 0
