"""The spot checks' pages and API (issue 18 part 4): the county previews and starts a campaign,
lists its sample with filters, records a re-visit, exports the sample; a town's post cannot start
one, another county's campaign answers 404, an inspector reads but writes nothing."""
from __future__ import annotations

import pytest

from safetynet.areas.models import Area
from safetynet.oversight import spotchecks
from safetynet.oversight.models import Complaint, SpotCheckCampaign
from safetynet.oversight.spotchecks import CampaignInput
from tests.conftest import force_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrolled(payroll):
    for _ in range(8):
        payroll.enroll("600.00")
    for _ in range(4):
        payroll.enroll("600.00", area=payroll.other_village)
    return payroll


def _campaign(p, seed=9):
    return spotchecks.start_campaign(p.posts.officer, county_code="130123", item=CampaignInput(
        name="第四季度抽查", programs=["dibao"], include_cases=False, seed=seed))


def test_the_county_previews_then_starts_a_campaign_on_the_page(enrolled, login):
    client = login(enrolled.posts.officer)
    form = {"name": "第四季度抽查", "programs": ["dibao"], "include_enrollments": "1", "size_method": "ratio",
            "ratio": "0.30", "confidence": "", "margin": "", "seed": "", "confirmed_by": "town"}
    preview = client.post("/oversight/spot-checks/new/", {**form, "preview": "1"})
    assert preview.status_code == 200 and b'data-testid="plan"' in preview.content
    seed = preview.context["seed"]
    assert not SpotCheckCampaign.objects.exists()
    started = client.post("/oversight/spot-checks/new/", {**form, "seed": str(seed), "start": "1"})
    campaign = SpotCheckCampaign.objects.get()
    assert started.status_code == 302 and started["Location"] == f"/oversight/spot-checks/{campaign.pk}/"
    assert campaign.seed == str(seed)
    page = client.get(f"/oversight/spot-checks/{campaign.pk}/")
    assert page.status_code == 200 and "same sample" in page.content.decode()
    assert b'id="spotcheck-chart-data"' in page.content and b"<script>" not in page.content
    filtered = client.get(f"/oversight/spot-checks/{campaign.pk}/?town=130123102&verdict=open")
    assert all(row["item"].town_id == "130123102" for row in filtered.context["rows"])
    bad = client.post("/oversight/spot-checks/new/", {**form, "name": "", "start": "1"})
    assert bad.status_code == 200 and b'data-testid="error"' in bad.content


def test_the_revisit_form_records_a_verdict_and_opens_a_complaint(enrolled, login, clock):
    campaign = _campaign(enrolled)
    item = campaign.items.first()
    client = login(enrolled.posts.officer)
    answer = client.post(f"/oversight/spot-checks/items/{item.pk}/", {
        "visited_on": clock().isoformat(), "visitors": "王科长、李干事", "found": "家有轿车", "verdict": "should_not_receive"})
    assert answer.status_code == 302
    assert Complaint.objects.get(source_key=f"spot_check:{item.pk}").enrollment_id == item.enrollment_id
    refused = client.post(f"/oversight/spot-checks/items/{item.pk}/", {
        "visited_on": clock().isoformat(), "visitors": "", "found": "x", "verdict": "correct"})
    assert refused.status_code == 200 and b'data-testid="error"' in refused.content


def test_the_sample_exports_as_csv_with_bom_and_as_xlsx(enrolled, login):
    campaign = _campaign(enrolled)
    client = login(enrolled.posts.officer)
    csv = client.get(f"/oversight/spot-checks/{campaign.pk}/sample.csv")
    assert csv.status_code == 200 and csv.content.startswith("\ufeff".encode())
    body = csv.content.decode("utf-8-sig")
    assert body.count("\n") == campaign.items.count() + 1 and "王" in body      # names whole for the visitors
    xlsx = client.get(f"/oversight/spot-checks/{campaign.pk}/sample.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get(f"/oversight/spot-checks/{campaign.pk}/sample.pdf").status_code == 404


def test_denial_on_the_pages(enrolled, login, make_actor, clock):
    campaign = _campaign(enrolled)
    item = campaign.items.first()
    p = enrolled.posts
    for actor in (p.worker, p.leader):
        client = login(actor)
        assert client.get("/oversight/spot-checks/new/").status_code == 403
        assert client.get(f"/oversight/spot-checks/{campaign.pk}/").status_code == 404   # the county's, not the town's
    client = login(p.inspector)
    assert client.get(f"/oversight/spot-checks/{campaign.pk}/").status_code == 200
    names = client.get(f"/oversight/spot-checks/{campaign.pk}/sample.csv").content.decode("utf-8-sig")
    assert "王" in names and "*" in names        # masked for an inspector
    assert client.post(f"/oversight/spot-checks/items/{item.pk}/", {
        "visited_on": clock().isoformat(), "visitors": "x", "found": "x", "verdict": "correct"}).status_code == 403
    Area.objects.create(code="130124", name="高邑县", level="county", parent_id="1301")
    client = login(make_actor("county_officer", "130124"))
    assert client.get(f"/oversight/spot-checks/{campaign.pk}/").status_code == 404
    assert client.get(f"/oversight/spot-checks/items/{item.pk}/").status_code == 404
    assert client.get(f"/oversight/spot-checks/{campaign.pk}/sample.csv").status_code == 404


def test_the_api(enrolled, api, make_actor, clock):
    p = enrolled.posts
    client = api(p.officer)
    body = {"name": "接口抽查", "programs": ["dibao"], "include_cases": False, "seed": "77"}
    preview = client.post("/api/v1/oversight/spot-checks/preview", body, content_type="application/json")
    assert preview.status_code == 200 and preview.json()["seed"] == "77"
    started = client.post("/api/v1/oversight/spot-checks", body, content_type="application/json")
    assert started.status_code == 201
    campaign_id = started.json()["id"]
    assert client.get(f"/api/v1/oversight/spot-checks/{campaign_id}/redraw").json()["matches"] is True
    items = client.get(f"/api/v1/oversight/spot-checks/{campaign_id}/items?limit=2").json()
    assert items["count"] == started.json()["drawn"] + started.json()["mandatory"] and len(items["items"]) == 2
    item_id = items["items"][0]["id"]
    answer = client.post(f"/api/v1/oversight/spot-checks/items/{item_id}/revisit", {
        "visited_on": clock().isoformat(), "visitors": "王科长", "found": "金额偏高", "verdict": "amount_wrong"},
        content_type="application/json")
    assert answer.status_code == 200 and answer.json()["complaint"]
    rates = client.get(f"/api/v1/oversight/spot-checks/{campaign_id}/rates").json()
    assert rates["total"]["wrong"] == 1 and rates["verdicts"]["amount_wrong"] == 1
    unknown = client.post("/api/v1/oversight/spot-checks", {**body, "colour": "red"}, content_type="application/json")
    assert unknown.status_code == 422
    assert api(p.worker).post("/api/v1/oversight/spot-checks", body, content_type="application/json").status_code == 403
    assert api(p.inspector).post(f"/api/v1/oversight/spot-checks/items/{item_id}/revisit", {
        "visited_on": clock().isoformat(), "visitors": "x", "found": "x", "verdict": "correct"},
        content_type="application/json").status_code == 403
    Area.objects.create(code="130124", name="高邑县", level="county", parent_id="1301")
    stranger = api(make_actor("county_officer", "130124"))
    assert stranger.get(f"/api/v1/oversight/spot-checks/{campaign_id}").status_code == 404
    assert stranger.get(f"/api/v1/oversight/spot-checks/{campaign_id}/items").status_code == 404


def test_the_menu_offers_spot_checks_to_the_county_and_not_to_a_town(enrolled, client):
    from safetynet.core.menu import menu_for

    assert "oversight:spotcheck_list" in [e["url_name"] for e in menu_for(enrolled.posts.officer)]
    force_login(client, enrolled.posts.officer)
