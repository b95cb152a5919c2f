"""The cases API: each step's endpoint answers success for the post whose step it is, 403 for a
role that may not take it, 404 for a post outside the case's area, 409 with a code when the step
is out of order; the list and detail are scoped; bad input answers 422 with the field."""
from __future__ import annotations

import pytest

from safetynet.cases import services
from safetynet.cases.models import Case
from safetynet.enrollments.models import Enrollment
from tests.cases_helpers import investigators, make_poor_household, walk


def post(client, case_id, endpoint, body=None):
    return client.post(f"/api/v1/cases/{case_id}/{endpoint}", body or {}, content_type="application/json")


def _survey():
    return {"investigators": investigators(2), "findings": "家中确实困难", "signed_by_household": True}


# endpoint, status to walk to, post that acts, role that may not, state where it is out of order,
# body, status after success. The walk uses the services (tests.cases_helpers.walk).
STEPS = [
    ("accept", "applied", "worker", "officer", "accepted", {}, "accepted"),
    ("survey", "accepted", "worker", "cadre", "applied", "survey", "surveyed"),
    ("county-visit", "accepted", "officer", "cadre", "applied", "survey", "accepted"),
    ("materials", "accepted", "worker", "officer", "applied", {"items": ["户口簿复印件"]}, "returned_for_supplement"),
    ("verification", "surveyed", "officer", "worker", "accepted", {"summary": "无异常"}, "verified"),
    ("deliberation", "verified", "worker", "officer", "accepted",
     {"participants": 9, "village_representatives": 6, "opinion": "同意"}, "deliberated"),
    ("town-opinion", "verified", "worker", "cadre", "surveyed", {"opinion": "符合条件"}, "town_reviewed"),
    ("notice", "town_reviewed", "worker", "officer", "verified", {}, "in_notice"),
    ("objections", "in_notice", "worker", "officer", "town_reviewed", {"content": "他家新买了小汽车"}, "contested"),
    ("notice/close", "in_notice", "worker", "officer", "town_reviewed", {}, "notice_closed"),
    ("confirm", "notice_closed", "officer", "worker", "in_notice", {}, "confirmed"),
    ("refuse", "notice_closed", "officer", "worker", "accepted", {"reasons": "人均收入高于标准"}, "refused"),
    ("return", "surveyed", "officer", "cadre", "applied", {"reason": "请补充入户照片"}, "returned_for_supplement"),
    ("withdraw", "accepted", "worker", "officer", "confirmed", {"reason": "申请人撤回"}, "withdrawn"),
    ("extend", "accepted", "worker", "cadre", "applied", {"reason": "需向外地核对"}, "accepted"),
    ("reopen", "confirmed", "officer", "worker", "accepted", {"reason": "群众投诉"}, "reopened"),
]
IDS = [s[0] for s in STEPS]


def _body(body):
    return _survey() if body == "survey" else dict(body)


def _case_at(posts, household, clock, status):
    case = walk(posts, household, clock, to=status)
    return case


@pytest.mark.parametrize("endpoint,at,who,wrong,_early,body,after", STEPS, ids=IDS)
def test_step_succeeds_for_the_right_post(api, posts, poor_household, clock, standards, endpoint, at, who, wrong, _early,
                                          body, after):
    case = _case_at(posts, poor_household, clock, at)
    if endpoint == "notice/close":
        clock.advance(7)
    response = post(api(getattr(posts, who)), case.pk, endpoint, {**_body(body), "version": case.version})
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["status"] == after and data["version"] > case.version
    assert data["timeline"][-1]["username"] == getattr(posts, who).username


@pytest.mark.parametrize("endpoint,at,who,wrong,_early,body,after", STEPS, ids=IDS)
def test_step_refused_for_the_wrong_role_and_area(api, posts, poor_household, clock, standards, endpoint, at, who, wrong,
                                                  _early, body, after):
    case = _case_at(posts, poor_household, clock, at)
    if endpoint == "notice/close":
        clock.advance(7)
    response = post(api(getattr(posts, wrong)), case.pk, endpoint, _body(body))
    assert response.status_code == 403, response.json()
    assert response.json()["code"] in ("forbidden", "county_only", "decider_level")
    response = post(api(posts.other_worker), case.pk, endpoint, _body(body))
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert Case.objects.get(pk=case.pk).status == case.status == at


@pytest.mark.parametrize("endpoint,at,who,wrong,early,body,after", STEPS, ids=IDS)
def test_step_out_of_order_is_409_with_a_code(api, posts, poor_household, clock, standards, endpoint, at, who, wrong, early,
                                              body, after):
    case = _case_at(posts, poor_household, clock, early)
    response = post(api(getattr(posts, who)), case.pk, endpoint, _body(body))
    assert response.status_code == 409, response.json()
    assert response.json()["code"] in ("transition_not_allowed", "step_missing")
    assert Case.objects.get(pk=case.pk).status == early


def test_closing_the_notice_early_is_409(api, posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="in_notice")
    response = post(api(posts.worker), case.pk, "notice/close")
    assert response.status_code == 409 and response.json()["code"] == "transition_not_allowed"


def test_stale_version_is_409_stale_case(api, posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="verified")
    response = post(api(posts.worker), case.pk, "town-opinion", {"opinion": "同意", "version": case.version - 1})
    assert response.status_code == 409 and response.json()["code"] == "stale_case"


def test_bad_input_is_422_with_the_field(api, posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="accepted")
    response = post(api(posts.worker), case.pk, "survey", {**_survey(), "investigators": investigators(1)})
    assert response.status_code == 422 and response.json()["field"] == "investigators"
    response = post(api(posts.worker), case.pk, "survey", {"findings": "x", "signed_by_household": True})
    assert response.status_code == 422 and response.json()["field"] == "investigators"
    case = walk(posts, make_poor_household(posts.worker, poor_household.area_id), clock, to="verified")
    response = post(api(posts.worker), case.pk, "deliberation", {"participants": 3, "village_representatives": 4, "opinion": "x"})
    assert response.status_code == 422 and response.json()["field"] == "village_representatives"


def test_apply_then_the_whole_dibao_path(api, posts, poor_household, clock, standards):
    client = api(posts.worker)
    response = client.post("/api/v1/cases", {"program": "dibao", "household": poor_household.pk,
                                             "applicant": poor_household.head_id, "channel": "walk_in"},
                           content_type="application/json")
    assert response.status_code == 201, response.json()
    case_id = response.json()["id"]
    assert response.json()["allowed_actions"] == ["accept", "withdraw"] or "accept" in response.json()["allowed_actions"]
    assert all("*" in m["id_number"] for m in response.json()["members"])
    # the same person twice: refused
    again = client.post("/api/v1/cases", {"program": "dibao", "household": poor_household.pk,
                                          "applicant": poor_household.head_id, "channel": "walk_in"},
                        content_type="application/json")
    assert again.status_code == 409
    assert post(client, case_id, "accept").status_code == 200
    assert post(client, case_id, "survey", _survey()).status_code == 200
    assert post(api(posts.verifier), case_id, "verification", {"summary": "无异常"}).status_code == 200
    client = api(posts.worker)
    detail = post(client, case_id, "town-opinion", {"opinion": "符合"}).json()
    assert detail["outcome"]["eligible"] and detail["outcome"]["monthly_amount"] == "2070.00"
    assert detail["outcome"]["breakdown"][-1]["amount"] == "2070.00"
    assert post(client, case_id, "notice").status_code == 200
    clock.advance(7)
    assert post(client, case_id, "notice/close").status_code == 200
    detail = post(api(posts.officer), case_id, "confirm").json()
    assert detail["status"] == "confirmed" and detail["decisions"][0]["monthly_amount"] == "2070.00"
    assert detail["enrollments"][0]["monthly_amount"] == "2070.00"
    assert Enrollment.objects.filter(case_id=case_id).count() == 1
    assert {d["step"] for d in detail["deadlines"]} >= {"survey", "verification", "notice", "confirmation", "case"}


def test_list_is_scoped_and_filters(api, posts, poor_household, clock, standards, other_village):
    mine = walk(posts, poor_household, clock, to="accepted")
    theirs_household = make_poor_household(posts.other_worker, other_village.code)
    theirs = services.apply_for_assistance(actor=posts.other_worker, program_code="dibao", household_id=theirs_household.pk,
                                           applicant_id=theirs_household.head_id, channel="walk_in")
    body = api(posts.worker).get("/api/v1/cases").json()
    assert [c["id"] for c in body["items"]] == [mine.pk]
    assert api(posts.worker).get(f"/api/v1/cases/{theirs.pk}").status_code == 404
    county = api(posts.officer)
    assert county.get("/api/v1/cases").json()["count"] == 2
    assert county.get("/api/v1/cases", {"status": "applied"}).json()["items"][0]["id"] == theirs.pk
    assert county.get("/api/v1/cases", {"overdue": "true"}).json()["count"] == 0
    clock.advance(20)
    overdue = county.get("/api/v1/cases", {"overdue": "true"}).json()
    assert [c["id"] for c in overdue["items"]] == [mine.pk] and overdue["items"][0]["overdue"]
    assert county.get("/api/v1/cases", {"program": "temporary"}).json()["count"] == 0
    assert county.get("/api/v1/cases", {"status": "nonsense"}).status_code == 422
    towns = county.get("/api/v1/cases/overdue-by-town").json()["items"]
    assert {t["town_code"]: t["overdue"] for t in towns}[mine.area_id[:9]] == 1


def test_grid_worker_reads_no_cases(api, posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="applied")
    client = api(posts.grid)
    assert client.get("/api/v1/cases").status_code == 403
    assert client.get(f"/api/v1/cases/{case.pk}").status_code == 403
    assert post(client, case.pk, "accept").status_code == 403


# --- temporary assistance ------------------------------------------------------------------------

def _temporary(client, household, kind, amount):
    response = client.post("/api/v1/cases", {"program": "temporary", "kind": kind, "household": household.pk,
                                             "applicant": household.head_id, "channel": "walk_in",
                                             "requested_amount": amount}, content_type="application/json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def test_emergency_aid_paid_first_then_paperwork(api, posts, poor_household, clock, standards):
    case_id = _temporary(api(posts.worker), poor_household, "emergency", "1500.00")
    assert post(api(posts.officer), case_id, "temporary/pay-first").status_code == 403
    assert post(api(posts.other_worker), case_id, "temporary/pay-first").status_code == 404
    early = post(api(posts.worker), case_id, "temporary/complete-paperwork")
    assert early.status_code == 409 and early.json()["code"] == "transition_not_allowed"
    detail = post(api(posts.worker), case_id, "temporary/pay-first").json()
    assert detail["status"] == "paid_first" and detail["decisions"][0]["monthly_amount"] == "1500.00"
    missing = post(api(posts.worker), case_id, "temporary/complete-paperwork")
    assert missing.status_code == 409 and missing.json()["code"] == "step_missing"
    assert post(api(posts.worker), case_id, "survey", _survey()).status_code == 200
    done = post(api(posts.worker), case_id, "temporary/complete-paperwork").json()
    assert done["status"] == "confirmed"


def test_emergency_aid_over_the_town_limit_switches_to_the_ordinary_procedure(api, posts, poor_household, clock,
                                                                             standards):
    case_id = _temporary(api(posts.worker), poor_household, "emergency", "3000.00")
    over = post(api(posts.worker), case_id, "temporary/pay-first", {"amount": "5000.00"})
    assert over.status_code == 422 and over.json()["code"] == "over_town_limit"
    assert post(api(posts.officer), case_id, "temporary/switch-to-ordinary", {"amount": "5000.00"}).status_code == 403
    assert post(api(posts.other_worker), case_id, "temporary/switch-to-ordinary", {"amount": "5000.00"}).status_code == 404
    detail = post(api(posts.worker), case_id, "temporary/switch-to-ordinary", {"amount": "5000.00"}).json()
    assert detail["status"] == "applied" and detail["next_action"] == "accept"
    again = post(api(posts.worker), case_id, "temporary/switch-to-ordinary")
    assert again.status_code == 409 and again.json()["code"] == "transition_not_allowed"


def test_quick_aid_decided_by_the_town(api, posts, poor_household, clock, standards):
    case_id = _temporary(api(posts.worker), poor_household, "quick", "500.00")
    assert post(api(posts.officer), case_id, "temporary/quick-aid", {"approve": True}).status_code == 403
    assert post(api(posts.other_worker), case_id, "temporary/quick-aid", {"approve": True}).status_code == 404
    detail = post(api(posts.worker), case_id, "temporary/quick-aid", {"approve": True}).json()
    assert detail["status"] == "confirmed"
    again = post(api(posts.worker), case_id, "temporary/quick-aid", {"approve": True})
    assert again.status_code == 409 and again.json()["code"] == "transition_not_allowed"


def test_ordinary_temporary_aid_approved_at_its_level(api, posts, poor_household, clock, standards):
    client = api(posts.worker)
    case_id = _temporary(client, poor_household, "ordinary", "5000.00")   # above the town's 4 × ¥900
    early = post(client, case_id, "temporary/approve")
    assert early.status_code == 409 and early.json()["code"] == "transition_not_allowed"
    assert post(client, case_id, "accept").status_code == 200
    assert post(client, case_id, "survey", _survey()).status_code == 200
    assert post(api(posts.officer), case_id, "verification", {"summary": "无异常"}).status_code == 200
    assert post(api(posts.worker), case_id, "town-opinion", {"opinion": "同意"}).status_code == 200
    refused = post(api(posts.worker), case_id, "temporary/approve")
    assert refused.status_code == 403 and refused.json()["code"] == "approving_level"
    assert post(api(posts.other_worker), case_id, "temporary/approve").status_code == 404
    detail = post(api(posts.officer), case_id, "temporary/approve").json()
    assert detail["status"] == "confirmed" and detail["decisions"][-1]["monthly_amount"] == "5000.00"


def test_resume_after_materials(api, posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="applied")
    detail = post(api(posts.worker), case.pk, "accept", {"missing_materials": ["残疾证复印件"]}).json()
    assert detail["status"] == "returned_for_supplement"
    assert post(api(posts.officer), case.pk, "resume").status_code == 403
    assert post(api(posts.other_worker), case.pk, "resume").status_code == 404
    assert post(api(posts.worker), case.pk, "resume").json()["status"] == "accepted"
    again = post(api(posts.worker), case.pk, "resume")
    assert again.status_code == 409 and again.json()["code"] == "transition_not_allowed"


def test_a_survey_records_the_visits_length_and_refuses_an_impossible_one(api, posts, poor_household, clock, standards):
    """The length of the visit is what the anomaly report and the spot check read as a short
    survey (issue 18): kept when given, refused outside 1–1440 minutes, optional."""
    from safetynet.cases.models import Survey

    case = walk(posts, poor_household, clock, to="accepted")
    for bad in (0, 1441, 45.5):
        response = post(api(posts.worker), case.pk, "survey", {**_survey(), "duration_minutes": bad})
        assert response.status_code == 422 and "duration_minutes" in response.content.decode()
    assert post(api(posts.worker), case.pk, "survey", {**_survey(), "duration_minutes": 45}).status_code == 200
    assert Survey.objects.get(case=case).duration_minutes == 45
