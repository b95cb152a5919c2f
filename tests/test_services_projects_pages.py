"""The pages and the API of service projects (issue 19 part 5): the public proposal form and follow
page (rate limited, never a contact, an evaluator or a score), the staff pages by role and town
(403, 404), contact data masked, and the API's refusals."""
from __future__ import annotations

import pytest
from django.core.cache import cache

from safetynet.services import projects as svc
from safetynet.services.project_models import ProjectStatus, ServiceProject
from tests.conftest import COUNTY, OTHER_TOWN, TOWN
from tests.test_services_projects import USCC, proposal

FORM = {"area": TOWN, "title": "困境儿童课后照料", "description": "为困境儿童提供课后托管和学业辅导。",
        "target_group": "children", "target_note": "", "budget": "80000.00", "starts_on": "2025-10-01",
        "ends_on": "2026-06-30", "proposer_name": "正定县童心社会工作服务社", "proposer_uscc": USCC,
        "contact_name": "王春华", "contact_phone": "13900001111", "contact_email": "wch@example.org"}


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def project(posts, clock):
    filed = svc.propose_project(proposal())
    filed.project.token = filed.token
    return filed.project


def test_the_public_proposes_and_follows_without_seeing_staff_data(client, posts, clock):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get("/projects/propose/", {"q": "正定"})
    assert page.status_code == 200 and TOWN in page.content.decode()
    answer = client.post("/projects/propose/", {**FORM, "q": "正定", "title": "  困境儿童\u3000课后照料 "})
    assert answer.status_code == 200
    token = answer.context["token"]
    project = ServiceProject.objects.get()
    assert project.title == "困境儿童 课后照料" and project.status == ProjectStatus.PROPOSED
    assert project.reference in answer.content.decode()

    svc.set_panel(actor=posts.officer, project_id=project.pk, user_ids=[posts.verifier.user_id, posts.county_leader.user_id])
    svc.evaluate_project(actor=posts.verifier, project_id=project.pk, score=81, comment="机构经验丰富")
    followed = client.post("/projects/follow/", {"token": token})
    html = followed.content.decode()
    assert followed.status_code == 200 and followed.context["view"].status == "under_evaluation"
    for secret in ("王春华", "13900001111", "wch@example.org", "机构经验丰富", posts.verifier.username,
                   posts.officer.username, "81"):
        assert secret not in html
    assert client.post("/projects/follow/", {"token": "x" * 24}).status_code == 404


def test_a_bad_proposal_keeps_what_was_typed_and_says_why(client, posts, clock):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    answer = client.post("/projects/propose/", {**FORM, "q": "正定", "budget": "80,000", "proposer_uscc": "123"})
    assert answer.status_code == 422
    html = answer.content.decode()
    assert "thousands separator" in html and "80,000" in html
    answer = client.post("/projects/propose/", {**FORM, "q": "正定", "proposer_uscc": "91110000600037341M"})
    assert answer.status_code == 422 and "check character" in answer.content.decode()
    answer = client.post("/projects/propose/", {**FORM, "q": "正定", "contact_name": ""})
    assert answer.status_code == 422
    assert not ServiceProject.objects.exists()


def test_the_public_forms_are_rate_limited_and_csrf_protected(client, posts, clock, settings):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/projects/propose/", {**FORM, "q": "正定"}).status_code == 403
    for _ in range(20):
        client.post("/projects/follow/", {"token": "y" * 24})
    assert client.post("/projects/propose/", {**FORM, "q": "正定"}).status_code == 429
    assert not ServiceProject.objects.exists()


def test_staff_pages_by_role_and_town(client, login, posts, project, make_actor):
    assert login(posts.officer).get("/projects/").status_code == 200
    assert project.reference in client.get("/projects/", {"q": "阳光"}).content.decode()
    partial = client.get("/projects/", {"status": "proposed"}, headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    assert client.get(f"/projects/{project.pk}/").status_code == 200
    assert client.get(f"/projects/{project.pk}/panel/").status_code == 200
    assert client.get("/projects/new/").status_code == 200

    login(posts.worker)                                   # the town reads its town's project, writes nothing
    assert client.get(f"/projects/{project.pk}/").status_code == 200
    assert client.get("/projects/new/").status_code == 403
    assert client.get(f"/projects/{project.pk}/panel/").status_code == 403
    assert client.post(f"/projects/{project.pk}/", {"action": "reject", "reason": "x"}).status_code == 403
    assert client.get("/projects/evaluations/").status_code == 403
    login(posts.other_worker)                             # another town: as if it did not exist
    assert client.get(f"/projects/{project.pk}/").status_code == 404
    assert project.reference not in client.get("/projects/").content.decode()
    login(posts.grid)
    assert client.get("/projects/").status_code == 403
    project.refresh_from_db()
    assert project.status == ProjectStatus.PROPOSED


def test_contact_data_masked_on_the_page_for_posts_that_do_not_manage(client, login, posts, project):
    whole = login(posts.officer).get(f"/projects/{project.pk}/").content.decode()
    assert "李晓梅" in whole and "13812345678" in whole
    for reader in (posts.county_leader, posts.worker, posts.inspector):
        html = login(reader).get(f"/projects/{project.pk}/").content.decode()
        assert "李晓梅" not in html and "13812345678" not in html and "lixm@" not in html
        assert "李晓*" in html and "138****5678" in html


def test_the_evaluation_flow_through_the_pages(client, login, posts, project):
    login(posts.officer)
    answer = client.post(f"/projects/{project.pk}/panel/", {"members": [posts.verifier.user_id,
                                                                        posts.county_leader.user_id]})
    assert answer.status_code == 302
    login(posts.verifier)
    queue = client.get("/projects/evaluations/")
    assert project.reference in queue.content.decode()
    refused = client.post(f"/projects/{project.pk}/evaluate/", {"score": "120", "comment": "好"})
    assert refused.status_code == 422 and "outside the scale: projects are scored from 0 to 100" in refused.content.decode()
    assert client.post(f"/projects/{project.pk}/evaluate/", {"score": "50", "comment": "一般"}).status_code == 302
    login(posts.county_leader)
    assert client.post(f"/projects/{project.pk}/evaluate/", {"score": "60", "comment": "可以",
                                                             "criterion_need": "70"}).status_code == 302
    login(posts.officer)
    below = client.post(f"/projects/{project.pk}/", {"action": "approve", "note": ""})
    assert below.status_code == 422 and "below the pass score of 60" in below.content.decode()
    assert client.post(f"/projects/{project.pk}/", {"action": "reject", "reason": "平均分未达标"}).status_code == 302
    project.refresh_from_db()
    assert project.status == ProjectStatus.REJECTED


def test_funding_milestones_and_households_through_the_page(client, login, posts, project, village, other_village):
    from tests.cases_helpers import make_poor_household

    svc.set_panel(actor=posts.officer, project_id=project.pk, user_ids=[posts.verifier.user_id])
    svc.evaluate_project(actor=posts.verifier, project_id=project.pk, score=90, comment="好")
    svc.approve_project(actor=posts.officer, project_id=project.pk)
    login(posts.officer)
    over = client.post(f"/projects/{project.pk}/", {"action": "fund", "amount": "120000.01", "paid_on": "2025-09-22"})
    assert over.status_code == 422 and "above the approved budget" in over.content.decode()
    assert client.post(f"/projects/{project.pk}/", {"action": "fund", "amount": "30000", "paid_on": "2025-09-22"}).status_code == 302
    here, there = make_poor_household(posts.worker, village.code), make_poor_household(posts.other_worker, other_village.code)
    answer = client.post(f"/projects/{project.pk}/", {"action": "add_beneficiaries", "households": f"{here.pk}, {there.pk}"},
                         follow=True)
    html = answer.content.decode()
    assert "1 households added" in html and f"Household {there.pk}: The household is registered outside" in html
    assert client.post(f"/projects/{project.pk}/", {"action": "add_beneficiaries", "households": "12 abc"}).status_code == 422
    assert client.post(f"/projects/{project.pk}/", {"action": "add_milestone", "title": "开班", "due_on": "2025-10-15"}).status_code == 302
    assert client.post(f"/projects/{project.pk}/", {"action": "nonsense"}).status_code == 404
    page = client.get(f"/projects/{project.pk}/").content.decode()
    assert "¥30,000.00" in page and "开班" in page


def test_the_api_flow_and_its_refusals(api, client, posts, project, village):
    from tests.cases_helpers import make_poor_household

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    base = f"/api/v1/projects/{project.pk}"
    client = api(posts.officer)
    listed = client.get("/api/v1/projects", {"status": "proposed"}).json()
    assert listed["count"] == 1 and listed["items"][0]["contact"]["masked"] is False
    assert client.put(f"{base}/panel", {"members": [posts.verifier.user_id, posts.county_leader.user_id]},
                      content_type="application/json").status_code == 200
    assert client.post(f"{base}/evaluations", {"score": 90, "comment": "好"},
                       content_type="application/json").status_code == 403          # not on the panel
    client = api(posts.verifier)
    refused = client.post(f"{base}/evaluations", {"score": 101, "comment": "好"}, content_type="application/json")
    assert refused.status_code == 422 and refused.json()["code"] == "score_outside_scale"
    assert "from 0 to 100" in refused.json()["message"]
    assert client.post(f"{base}/evaluations", {"score": 80, "comment": "好", "criteria": {"need": 80}},
                       content_type="application/json").status_code == 201
    assert client.post(f"{base}/evaluations", {"score": 80, "comment": "好"},
                       content_type="application/json").status_code == 409
    client = api(posts.county_leader)
    assert client.get(base).json()["contact"] == {"name": "李晓*", "phone": "138****5678", "email": "l***@example.org",
                                                  "masked": True}
    assert client.post(f"{base}/evaluations", {"score": 70, "comment": "可"}, content_type="application/json").status_code == 201
    assert client.post(f"{base}/approve", {}, content_type="application/json").status_code == 403
    client = api(posts.officer)
    assert client.post(f"{base}/approve", {"note": "同意"}, content_type="application/json").json()["status"] == "approved"
    over = client.post(f"{base}/fundings", {"amount": "200000.00", "paid_on": "2025-09-22"}, content_type="application/json")
    assert over.status_code == 422 and over.json()["code"] == "over_budget"
    assert client.post(f"{base}/fundings", {"amount": "100000.00", "paid_on": "2025-09-22"},
                       content_type="application/json").json()["funded_total"] == "100000.00"
    assert client.post(f"{base}/start", {}, content_type="application/json").json()["status"] == "in_progress"
    milestone = client.post(f"{base}/milestones", {"title": "开班", "due_on": "2025-10-15"}, content_type="application/json").json()
    assert client.post(f"{base}/milestones/{milestone['id']}/done", {"done_on": "2025-09-22", "evidence": "签到表"},
                       content_type="application/json").json()["done_on"] == "2025-09-22"
    household = make_poor_household(posts.worker, village.code)
    added = client.post(f"{base}/beneficiaries", {"households": [household.pk, 999999]}, content_type="application/json").json()
    assert (added["added"], added["refused"], added["results"][1]["code"]) == (1, 1, "not_found")
    outcome = client.post(f"{base}/outcome", {"text": "服务 30 名儿童"}, content_type="application/json")
    assert outcome.status_code == 201 and outcome.json()["people_served"] == 3
    glance = client.get("/api/v1/projects/overview", {"county": COUNTY, "year": 2025}).json()
    assert glance["by_status"]["completed"] == 1 and glance["people_served"] == 3
    assert client.post("/api/v1/projects", {"area": TOWN, "title": "x", "description": "y", "target_group": "elderly",
                                            "budget": "100.00", "starts_on": "2025-10-01", "ends_on": "2025-12-31",
                                            "color": "red"}, content_type="application/json").status_code == 422
    created = client.post("/api/v1/projects", {"area": COUNTY, "title": "全县临时救助服务", "description": "见方案",
                                               "target_group": "temporary", "budget": "50000.00", "starts_on": "2025-10-01",
                                               "ends_on": "2025-12-31"}, content_type="application/json")
    assert created.status_code == 201 and created.json()["origin"] == "designed_by_county"
    other = api(posts.other_worker)
    assert other.get(base).status_code == 404
    assert api(posts.worker).post("/api/v1/projects", {"area": TOWN, "title": "x", "description": "y",
                                                       "target_group": "elderly", "budget": "100.00",
                                                       "starts_on": "2025-10-01", "ends_on": "2025-12-31"},
                                  content_type="application/json").status_code == 403
    assert api(posts.worker).get("/api/v1/projects/overview").json()["projects"] == 1     # the town's own
    assert OTHER_TOWN not in api(posts.worker).get("/api/v1/projects").content.decode()


def test_the_project_pages_are_chinese(client, login_site_language, posts, project):
    from tests.untranslated import english_in_context

    svc.set_panel(actor=posts.officer, project_id=project.pk, user_ids=[posts.verifier.user_id])
    pages = {posts.officer: ["/projects/", f"/projects/{project.pk}/", f"/projects/{project.pk}/panel/", "/projects/new/"],
             posts.verifier: ["/projects/evaluations/", f"/projects/{project.pk}/evaluate/"],
             posts.worker: [f"/projects/{project.pk}/"]}
    for actor, urls in pages.items():
        login_site_language(actor)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            assert english_in_context(response.content.decode()) == [], url
    client.logout()
    proposed = client.post("/projects/propose/", {**FORM, "q": "正定"})
    assert english_in_context(proposed.content.decode()) == []
    for response in (client.get("/projects/propose/", {"q": "正定"}), client.post("/projects/follow/", {"token": project.token}),
                     client.post("/projects/propose/", {**FORM, "q": "正定", "budget": "8万"})):
        assert english_in_context(response.content.decode()) == [], response.request["PATH_INFO"]
