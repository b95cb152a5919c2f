"""The funding pages and API (issue 19 part 3): the county's month of subsidies (generate,
approve, export), a person's statement, budgets and spending with their charts' data; a town post
sees its town only (404 for another's), a post without the permission gets 403."""
from __future__ import annotations

import pytest

from safetynet.funding import subsidies
from safetynet.funding.models import BudgetLine, SubsidyRun, SubsidyStatement
from tests.conftest import COUNTY, OTHER_TOWN, TOWN
from tests.funding_helpers import budget, work  # noqa: F401,F811 (a fixture)


@pytest.fixture
def month(work, posts):
    budget(posts.officer, TOWN, "250.00")
    budget(posts.officer, OTHER_TOWN, "5000.00")
    return work


def test_the_month_page_generate_approve_export(month, posts, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    officer = login(posts.officer)
    assert officer.get("/funding/?month=2025-09").status_code == 200
    assert officer.post("/funding/", {"month": "2025-09"}).status_code == 302
    run = SubsidyRun.objects.get()
    page = officer.get("/funding/?month=2025-09").content.decode()
    assert run.code in page and "Waiting for the county leader" in page
    leader = login(posts.county_leader)
    assert "Approve these subsidies" in leader.get("/funding/?month=2025-09").content.decode()
    assert leader.post(f"/funding/runs/{run.pk}/approve/").status_code == 302
    run.refresh_from_db()
    assert run.status == "approved"
    assert "92% spent" in login(posts.county_leader).get("/funding/?month=2025-09").content.decode()   # 230.00 of 250.00
    assert login(posts.county_leader).post(f"/funding/runs/{run.pk}/export/").status_code == 403
    assert login(posts.officer).post(f"/funding/runs/{run.pk}/export/").status_code == 302
    run.refresh_from_db()
    assert run.status == "exported"
    # The search (htmx swaps the statements table).
    villager = month.roll[0]
    found = login(posts.officer).get(f"/funding/?month=2025-09&q={villager.name}", HTTP_HX_REQUEST="true")
    assert found.status_code == 200 and villager.name in found.content.decode() and "<html" not in found.content.decode()


def test_town_posts_see_their_town_only(month, posts, login):
    run = subsidies.generate_subsidies(actor=posts.officer, county_code=COUNTY, month="2025-09")
    mine = SubsidyStatement.objects.filter(run=run, area__code__startswith=TOWN).first()
    theirs = SubsidyStatement.objects.filter(run=run, area__code__startswith=OTHER_TOWN).first()
    worker = login(posts.worker)
    page = worker.get("/funding/?month=2025-09").content.decode()
    assert mine.name in page and theirs.name not in page and "¥230.00" in page and "¥370.00" not in page
    assert worker.get(f"/funding/statements/{mine.pk}/").status_code == 200
    assert worker.get(f"/funding/statements/{theirs.pk}/").status_code == 404
    assert worker.post("/funding/", {"month": "2025-09"}).status_code == 403 and SubsidyRun.objects.count() == 1
    assert worker.post(f"/funding/runs/{run.pk}/approve/").status_code == 403
    spending = worker.get("/funding/spending/data.json?year=2025").json()
    assert [line["area"] for line in spending["lines"]] == ["正定镇"]
    assert login(posts.grid).get("/funding/").status_code == 403             # no funding.view
    assert login(posts.inspector).get("/funding/budgets/?year=2025").status_code == 200
    assert login(posts.inspector).post("/funding/budgets/", {"action": "set", "year": "2025", "area": TOWN,
                                                             "kind": "subsidies", "amount": "1"}).status_code == 403


def test_budget_pages(month, posts, login):
    officer = login(posts.officer)
    assert officer.get("/funding/budgets/?year=2025").status_code == 200
    bad = officer.post("/funding/budgets/", {"action": "set", "year": "2025", "area": TOWN, "kind": "subsidies",
                                             "amount": "12.345"})
    assert bad.status_code == 422 and "12.345" in bad.content.decode()
    assert officer.post("/funding/budgets/", {"action": "set", "year": "2025", "area": COUNTY, "kind": "work_expenses",
                                              "amount": "90000", "note": "县级"}).status_code == 302
    assert BudgetLine.objects.filter(area_id=COUNTY, kind="work_expenses").exists()
    assert officer.get("/funding/spending/?year=2025").status_code == 200
    data = officer.get("/funding/spending/data.json?year=2025").json()
    assert len(data["lines"]) == 3 and len(data["monthly"]["subsidies"]) == 12
    leader = login(posts.county_leader)
    assert leader.post("/funding/budgets/", {"action": "overrun", "year": "2025", "overrun_area": TOWN,
                                             "overrun_kind": "purchased_services", "overrun_source_kind": "provider_payment",
                                             "overrun_source_key": "P-1", "overrun_amount": "100",
                                             "overrun_reason": "合同追加"}).status_code == 422   # no such line
    line = BudgetLine.objects.get(area_id=COUNTY, kind="work_expenses")
    assert login(posts.other_worker).post(f"/funding/budgets/{line.pk}/remove/").status_code == 403
    assert login(posts.officer).post(f"/funding/budgets/{line.pk}/remove/").status_code == 302


def test_the_api(month, posts, api):
    post = lambda actor, url, body: api(actor).post(url, body, content_type="application/json")  # noqa: E731
    assert post(posts.worker, "/api/v1/funding/runs", {"county": COUNTY, "month": "2025-09"}).status_code == 403
    assert post(posts.officer, "/api/v1/funding/runs", {"county": COUNTY, "month": "2025-09",
                                                        "surveys": [999999]}).status_code == 422
    made = post(posts.officer, "/api/v1/funding/runs", {"county": COUNTY, "month": "2025-09"})
    assert made.status_code == 201 and made.json()["total_amount"] == "370.00"
    run = made.json()["id"]
    assert post(posts.officer, f"/api/v1/funding/runs/{run}/approve", {}).status_code == 403
    approved = post(posts.county_leader, f"/api/v1/funding/runs/{run}/approve", {})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert post(posts.officer, f"/api/v1/funding/runs/{run}/export", {}).status_code == 200
    statements = api(posts.worker).get(f"/api/v1/funding/runs/{run}/statements").json()
    assert statements["count"] == 5 and all("*" in s["id_number"] or len(s["id_number"]) == 18 for s in statements["items"])
    theirs = SubsidyStatement.objects.filter(run_id=run, area__code__startswith=OTHER_TOWN).first()
    assert api(posts.worker).get(f"/api/v1/funding/statements/{theirs.pk}").status_code == 404
    assert api(posts.officer).get(f"/api/v1/funding/statements/{theirs.pk}").json()["lines"]
    assert api(posts.worker).get(f"/api/v1/funding/runs/{run}/lines?kind=meeting").json()["count"] == 3
    # Budget lines: create, read, change, remove; charges; an overrun approved by the leader only.
    line = post(posts.officer, "/api/v1/funding/budget-lines", {"year": 2025, "area": COUNTY, "kind": "purchased_services",
                                                               "amount": "1000.00"})
    assert line.status_code == 201 and line.json()["state"] == "ok"
    assert post(posts.officer, "/api/v1/funding/budget-lines", {"year": 2025, "area": COUNTY, "kind": "x",
                                                               "amount": "1"}).status_code == 422
    assert post(posts.officer, "/api/v1/funding/budget-lines", {"year": 2025, "area": COUNTY, "kind": "subsidies",
                                                               "amount": "1", "colour": "red"}).status_code == 422
    line_id = line.json()["id"]
    changed = api(posts.officer).patch(f"/api/v1/funding/budget-lines/{line_id}", {"note": "购买服务"},
                                       content_type="application/json")
    assert changed.status_code == 200 and changed.json()["note"] == "购买服务" and changed.json()["amount"] == "1000.00"
    assert api(posts.worker).get(f"/api/v1/funding/budget-lines/{line_id}").status_code == 404
    assert api(posts.officer).get("/api/v1/funding/budget-lines?year=2025").json()["count"] == 3
    assert api(posts.officer).get("/api/v1/funding/charges?year=2025").json()["count"] == 2
    overrun = {"area": COUNTY, "year": 2025, "kind": "purchased_services", "source_kind": "provider_payment",
               "source_key": "P-7", "amount": "1500.00", "reason": "合同追加服务"}
    assert post(posts.officer, "/api/v1/funding/overruns", overrun).status_code == 403
    assert post(posts.county_leader, "/api/v1/funding/overruns", overrun).status_code == 201
    assert api(posts.officer).delete(f"/api/v1/funding/budget-lines/{line_id}").status_code == 409
    glance = api(posts.county_leader).get(f"/api/v1/funding/overview?county={COUNTY}&year=2025")
    assert glance.status_code == 200 and glance.json()["spent_total"] == "370.00"
