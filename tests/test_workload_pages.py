"""The workload pages: the county overview and its chart, a town's page (workers' loads, the
work nobody holds with its proposed worker, assign as proposed, an item assigned and re-assigned
in place with htmx), a worker's own list; 403 for the role, 404 for another town."""
from __future__ import annotations

import json
import re

from safetynet.workload.models import WorkAssignment
from tests.conftest import COUNTY, OTHER_TOWN, TOWN
from tests.workload_helpers import work  # noqa: F401  (fixture)


def test_the_county_overview_shows_every_town_and_its_chart(work, login):
    w = work
    page = login(w.posts.officer).get("/workload/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-town="{TOWN}"' in html and f'data-town="{OTHER_TOWN}"' in html
    data = json.loads(re.search(r'<script id="workload-chart-data" type="application/json">(.*?)</script>', html, re.S).group(1))
    assert len(data["towns"]) == 10 and data["norm"] == 25 and len(data["flagged"]) == 10
    assert "workload-chart.js" in html


def test_a_town_post_lands_on_its_town_and_not_another(work, login):
    w = work
    client = login(w.posts.worker)
    assert client.get("/workload/").url == f"/workload/towns/{TOWN}/"
    assert client.get(f"/workload/towns/{OTHER_TOWN}/").status_code == 404
    assert client.get(f"/workload/towns/{COUNTY}/").status_code == 404
    assert login(w.posts.grid).get("/workload/").status_code == 403


def test_the_town_page_proposes_and_assigns_as_proposed(work, login):
    w = work
    client = login(w.posts.worker)
    page = client.get(f"/workload/towns/{TOWN}/")
    html = page.content.decode()
    assert page.status_code == 200 and "王工作" in html and "李工作" in html
    assert html.count('data-item="') == 3 and "proposed:" in html
    done = client.post(f"/workload/towns/{TOWN}/assign-new/")
    assert done.status_code == 302 and WorkAssignment.objects.filter(is_current=True).count() == 3
    # The other town's worker may not assign here.
    other = login(w.posts.other_worker)
    assert other.post(f"/workload/towns/{TOWN}/assign-new/").status_code == 404


def test_an_item_is_assigned_and_reassigned_in_place(work, login):
    w = work
    client = login(w.posts.worker)
    row = client.post(f"/workload/towns/{TOWN}/assign/", {"kind": "case", "id": w.case.pk, "worker": w.li.pk},
                      HTTP_HX_REQUEST="true")
    assert row.status_code == 200 and "李工作" in row.content.decode()
    assert WorkAssignment.objects.get(case=w.case).worker_id == w.li.pk
    # The same again: refused in the row, with the reason.
    again = client.post(f"/workload/towns/{TOWN}/assign/", {"kind": "case", "id": w.case.pk}, HTTP_HX_REQUEST="true")
    assert again.status_code == 422 and "re-assign it instead" in again.content.decode()
    # A town worker does not re-assign; the town leader does.
    assert client.post(f"/workload/towns/{TOWN}/reassign/", {"kind": "case", "id": w.case.pk}).status_code == 403
    leader = login(w.posts.leader)
    moved = leader.post(f"/workload/towns/{TOWN}/reassign/", {"kind": "case", "id": w.case.pk, "note": "换人"},
                        HTTP_HX_REQUEST="true")
    assert moved.status_code == 200 and "王工作" in moved.content.decode()
    assert WorkAssignment.objects.get(case=w.case, is_current=True).worker_id == w.wang.pk
    # An item of nowhere: 404.
    assert leader.post(f"/workload/towns/{TOWN}/reassign/", {"kind": "case", "id": 999999}).status_code == 404


def test_a_worker_sees_their_own_assignments(work, login):
    w = work
    login(w.posts.worker).post(f"/workload/towns/{TOWN}/assign/", {"kind": "lead", "id": w.lead.pk, "worker": w.wang.pk})
    page = login(w.posts.worker).get("/workload/mine/")
    assert page.status_code == 200 and f"/discovery/leads/{w.lead.pk}/" in page.content.decode()
    assert "Nothing is assigned to you." in login(w.posts.leader).get("/workload/mine/").content.decode()
