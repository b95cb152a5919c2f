"""The batch endpoints with inputs (POST /api/v1/cases/batch/...): each case the body of the
step's own endpoint plus its id, answered per case; the whole batch refused (403, 422) for a
role without the step or a bad body, with nothing touched."""
from __future__ import annotations


from safetynet.cases.models import Case
from safetynet.enrollments.models import Enrollment
from tests.cases_helpers import investigators, make_poor_household




def _post(client, path, body):
    return client.post(f"/api/v1/cases/{path}", body, content_type="application/json")


def test_the_path_through_the_batch_endpoints(login, posts, village, clock, standards):
    households = [make_poor_household(posts.worker, village.code) for _ in range(2)]
    worker = login(posts.worker)
    filed = _post(worker, "batch/applications", {"applications": [
        {"program": "dibao", "household": h.pk, "applicant": h.head_id, "channel": "walk_in"} for h in households]})
    assert filed.status_code == 200, filed.content
    ids = [r["case"] for r in filed.json()["results"]]
    assert filed.json()["done"] == 2 and all(ids)
    cases = [{"id": i} for i in ids]
    assert _post(worker, "batch/accept", {"cases": cases}).json()["done"] == 2
    team = [{"name": p["name"], "id_number": p["id_number"]} for p in investigators()]
    answer = _post(worker, "batch/survey", {"cases": [
        {"id": i, "investigators": team, "findings": "属实", "signed_by_household": True} for i in ids]}).json()
    assert answer["done"] == 2 and {r["status"] for r in answer["results"]} == {"surveyed"}
    officer = login(posts.verifier)
    assert _post(officer, "batch/verification", {"cases": [{"id": i, "summary": "无异常"} for i in ids]}).json()["done"] == 2
    worker = login(posts.worker)
    assert _post(worker, "batch/opinion", {"cases": [{"id": i, "opinion": "符合"} for i in ids]}).json()["done"] == 2
    assert _post(worker, "batch", {"action": "publish_notice", "cases": cases}).json()["done"] == 2
    clock.advance(8)
    assert _post(worker, "batch", {"action": "close_notice", "cases": cases}).json()["done"] == 2
    officer = login(posts.officer)
    assert _post(officer, "batch", {"action": "confirm", "cases": cases}).json()["done"] == 2
    assert Enrollment.objects.filter(case_id__in=ids).count() == 2


def test_batch_endpoints_answer_per_case_and_refuse_whole_batches(login, posts, village, other_village, clock, standards):
    household = make_poor_household(posts.worker, village.code)
    stranger = make_poor_household(posts.other_worker, other_village.code)
    worker = login(posts.worker)
    answer = _post(worker, "batch/applications", {"applications": [
        {"program": "dibao", "household": household.pk, "applicant": household.head_id, "channel": "walk_in"},
        {"program": "dibao", "household": household.pk, "applicant": household.head_id, "channel": "walk_in"},
        {"program": "dibao", "household": stranger.pk, "applicant": stranger.head_id, "channel": "walk_in"}]}).json()
    assert [r["ok"] for r in answer["results"]] == [True, False, False]
    assert answer["results"][1]["error"]["code"] == "conflict" and answer["results"][1]["case"] is None
    assert answer["results"][2]["error"]["code"] == "not_found"       # another town's household
    case_id = answer["results"][0]["case"]
    # a survey refused for its own reason, with the field
    _post(worker, "batch/accept", {"cases": [{"id": case_id}]})
    refused = _post(worker, "batch/survey", {"cases": [
        {"id": case_id, "investigators": [{"name": "一人", "id_number": "110101198001010019"}], "findings": "属实",
         "signed_by_household": True}]}).json()
    assert refused["refused"] == 1 and refused["results"][0]["error"]["field"] == "investigators"
    # whole batches: a town cannot verify (403); a bad body (422); too many cases (422)
    assert _post(worker, "batch/verification", {"cases": [{"id": case_id, "summary": "x"}]}).status_code == 403
    assert _post(worker, "batch/survey", {"cases": [{"id": case_id, "findings": "属实"}]}).status_code == 422
    assert _post(worker, "batch/survey", {"cases": [
        {"id": case_id, "investigators": [], "findings": "属实", "signed_by_household": True, "supporters": []}]}
    ).status_code == 422
    assert _post(worker, "batch/accept", {"cases": [{"id": i} for i in range(1, 102)]}).status_code == 422
    assert _post(login(posts.inspector), "batch/applications", {"applications": [
        {"program": "dibao", "household": household.pk, "applicant": household.head_id, "channel": "walk_in"}]}
    ).status_code == 403
    assert Case.objects.get(pk=case_id).status == "accepted"


def test_the_batch_endpoints_are_in_the_openapi_schema(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("applications", "accept", "survey", "verification", "opinion"):
        assert "post" in paths[f"/api/v1/cases/batch/{path}"]
