"""The workload API (`/api/v1/workload/`): the overview, a town's workers, assignments listed and
read, assigned (each item's outcome), re-assigned, a town's new work; 403 for the role, 404 for
another town, 422 for a body with an unknown field."""
from __future__ import annotations

from safetynet.workload.models import WorkAssignment
from tests.conftest import COUNTY, OTHER_TOWN, TOWN
from tests.workload_helpers import work  # noqa: F401  (fixture)

BASE = "/api/v1/workload"


def test_overview_and_town_workers(work, api):
    w = work
    client = api(w.posts.officer)
    towns = client.get(f"{BASE}/overview").json()
    town = next(t for t in towns if t["code"] == TOWN)
    assert (town["cases"], town["rechecks"], town["leads"], town["workers"], town["fte"]) == (1, 1, 1, 2, 2.0)
    assert client.get(f"{BASE}/overview?county=130124").status_code == 404
    workers = client.get(f"{BASE}/towns/{TOWN}/workers").json()
    assert {x["name"] for x in workers} == {"王工作", "李工作"}
    other = api(w.posts.other_worker)
    assert other.get(f"{BASE}/towns/{TOWN}/workers").status_code == 404
    assert [t["code"] for t in other.get(f"{BASE}/overview").json()] == [OTHER_TOWN]
    assert api(w.posts.grid).get(f"{BASE}/overview").status_code == 403


def test_assign_list_get_and_reassign(work, api):
    w = work
    client = api(w.posts.worker)
    answer = client.post(f"{BASE}/assignments", {"items": [
        {"kind": "case", "id": w.case.pk}, {"kind": "lead", "id": w.lead.pk, "worker": w.other.pk},
        {"kind": "recheck", "id": w.recheck.pk, "worker": w.li.pk}]}, content_type="application/json")
    assert answer.status_code == 200
    body = answer.json()
    assert [o["ok"] for o in body] == [True, False, True]
    assert body[1]["error"]["code"] == "not_found" and body[1]["error"]["field"] == "worker"
    assert body[0]["assignment"]["reason"] == "proposed" and body[2]["assignment"]["worker"] == w.li.pk
    listed = client.get(f"{BASE}/assignments?kind=recheck").json()
    assert listed["count"] == 1 and listed["items"][0]["item"] == w.recheck.pk
    one = client.get(f"{BASE}/assignments/{body[0]['assignment']['id']}")
    assert one.status_code == 200 and one.json()["kind"] == "case"
    assert api(w.posts.other_worker).get(f"{BASE}/assignments/{body[0]['assignment']['id']}").status_code == 404
    # Re-assign: not the town worker's; the leader's.
    assert client.post(f"{BASE}/reassignments", {"items": [{"kind": "recheck", "id": w.recheck.pk}]},
                       content_type="application/json").status_code == 403
    moved = api(w.posts.leader).post(f"{BASE}/reassignments", {"items": [{"kind": "recheck", "id": w.recheck.pk}],
                                                                     "note": "调整"}, content_type="application/json")
    assert moved.status_code == 200 and moved.json()[0]["assignment"]["worker"] == w.wang.pk
    assert moved.json()[0]["ended"] == body[2]["assignment"]["id"]
    history = api(w.posts.leader).get(f"{BASE}/assignments?kind=recheck&current=false").json()
    assert history["count"] == 2


def test_lending_is_the_countys_and_bodies_are_checked(work, api):
    w = work
    client = api(w.posts.worker)
    assert client.post(f"{BASE}/assignments", {"items": [{"kind": "case", "id": w.case.pk, "worker": w.wang.pk}],
                                               "lend": True}, content_type="application/json").status_code == 403
    assert client.post(f"{BASE}/assignments", {"items": [{"kind": "case", "id": w.case.pk}], "urgent": True},
                       content_type="application/json").status_code == 422
    assert client.post(f"{BASE}/assignments", {"items": []}, content_type="application/json").status_code == 422
    assert client.post(f"{BASE}/assignments", {"items": [{"kind": "parcel", "id": 1}]},
                       content_type="application/json").status_code == 422


def test_a_towns_new_work_over_the_api(work, api):
    w = work
    answer = api(w.posts.worker).post(f"{BASE}/towns/{TOWN}/assign-new")
    assert answer.status_code == 200 and answer.json() == {"town": TOWN, "open": 3, "assigned": 3, "refused": {}}
    assert WorkAssignment.objects.filter(is_current=True).count() == 3
    assert api(w.posts.other_worker).post(f"{BASE}/towns/{TOWN}/assign-new").status_code == 404
    assert api(w.posts.inspector).post(f"{BASE}/towns/{TOWN}/assign-new").status_code == 403
    assert api(w.posts.officer).post(f"{BASE}/towns/{COUNTY}/assign-new").status_code == 404      # no town
