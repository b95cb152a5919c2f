"""The complaint pages: the public form (bad attachments refused with the text kept), following
with a token and appealing, the staff list, page and actions, attachments' downloads, identity on
the page for each role, the categories page, and the daily command."""
from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from safetynet.oversight import complaints as svc
from safetynet.oversight.models import Complaint, ComplaintStatus
from tests.conftest import COUNTY, TOWN
from tests.test_oversight_complaints import png, public

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_public_form_files_and_shows_the_token_once(client, county, village):
    page = client.get(reverse("complaints_public:new"), {"q": village.name[:3]})
    assert page.status_code == 200 and village.code in page.content.decode()
    response = client.post(reverse("complaints_public:new"), {
        "q": village.name[:3], "village": village.code, "category": "missed", "content": "邻居老人无人照顾",
        "anonymous": "on", "attachments": [SimpleUploadedFile("p.png", png(), "image/png")]})
    assert response.status_code == 200
    complaint = Complaint.objects.get()
    html = response.content.decode()
    assert complaint.reference in html and complaint.attachments.count() == 1
    assert complaint.handling_area_id == TOWN and complaint.anonymous


def test_public_form_refuses_a_bad_file_and_keeps_the_text(client, county, village):
    response = client.post(reverse("complaints_public:new"), {
        "q": village.name[:3], "village": village.code, "category": "missed", "content": "这段文字要保留下来",
        "anonymous": "on", "attachments": [SimpleUploadedFile("virus.pdf", b"MZ\x90\x00binary", "application/pdf")]},
        HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    html = response.content.decode()
    assert "这段文字要保留下来" in html and "virus.pdf" in html and "neither a document" in html
    assert not Complaint.objects.exists()


def test_the_public_form_does_not_offer_the_control_category(client, county, village):
    html = client.get(reverse("complaints_public:new"), {"q": village.name[:3], "village": village.code}).content.decode()
    assert 'value="control_finding"' not in html and 'value="bribery"' in html


def test_follow_by_token_shows_the_answer_not_the_staff(client, posts, village, clock):
    filed = public(village.code, anonymous=False, reporter_name="王大明", reporter_contact="13800001111")
    c = filed.complaint
    svc.start_investigation(actor=posts.worker, complaint_id=c.pk)
    svc.add_complaint_note(actor=posts.worker, complaint_id=c.pk, note="内部备注不公开")
    svc.decide_complaint(actor=posts.worker, complaint_id=c.pk, finding="unsubstantiated", result="查无")
    svc.reply_to_reporter(actor=posts.worker, complaint_id=c.pk, answer="答复内容在此")
    assert client.get(reverse("complaints_public:follow")).status_code == 200
    response = client.post(reverse("complaints_public:follow"), {"token": filed.token})
    html = response.content.decode()
    assert response.status_code == 200 and "答复内容在此" in html and c.reference in html
    for secret in ("内部备注不公开", posts.worker.username, "王大明", "13800001111"):
        assert secret not in html
    assert client.post(reverse("complaints_public:follow"), {"token": "x" * 24}).status_code == 404
    response = client.post(reverse("complaints_public:appeal"), {"token": filed.token, "reason": "请求复查"})
    assert response.status_code == 200
    appeal = Complaint.objects.get(appeal_of=c)
    assert appeal.handling_area_id == COUNTY and appeal.reference in response.content.decode()


def test_the_list_counts_and_filters_by_clock(login, posts, village, clock):
    public(village.code)
    public(village.code, category="bribery", content="有人索要好处费")
    html = login(posts.worker).get(reverse("oversight:complaints")).content.decode()
    assert html.count('data-testid="complaint-') == 1           # the bribery report is the county's
    html = login(posts.officer).get(reverse("oversight:complaints")).content.decode()
    assert html.count('data-testid="complaint-') == 2
    html = login(posts.officer).get(reverse("oversight:complaints"), {"clock": "at_risk"}).content.decode()
    assert html.count('data-testid="complaint-') == 1       # bribery: answered within 2 working days
    assert login(posts.officer).get(reverse("oversight:complaints"), {"clock": "breached"}).content.decode().count(
        'data-testid="complaint-') == 0


def test_the_sensitive_complaint_page_is_404_for_the_town(login, posts, village, clock):
    c = public(village.code, category="staff_relative", content="村主任亲属吃低保").complaint
    assert login(posts.worker).get(reverse("oversight:complaint", args=[c.pk])).status_code == 404
    assert login(posts.leader).post(reverse("oversight:complaint_act", args=[c.pk, "note"]), {"note": "x"}).status_code == 404
    assert login(posts.officer).get(reverse("oversight:complaint", args=[c.pk])).status_code == 200


@pytest.mark.parametrize("who, sees", [("worker", False), ("leader", False), ("officer", False), ("inspector", False),
                                       ("county_leader", False), ("supervisor", True)])
def test_reporter_identity_on_the_page_and_api_by_role(login, make_actor, posts, village, clock, who, sees):
    actor = make_actor("supervisor", COUNTY) if who == "supervisor" else getattr(posts, who)
    c = public(village.code, anonymous=False, reporter_name="王大明", reporter_contact="13800001111").complaint
    client = login(actor)
    html = client.get(reverse("oversight:complaint", args=[c.pk])).content.decode()
    api = json.dumps(client.get(f"/api/v1/oversight/complaints/{c.pk}").json(), ensure_ascii=False)
    listing = json.dumps(client.get("/api/v1/oversight/complaints").json(), ensure_ascii=False)
    for text in (html, api, listing):
        assert ("王大明" in text) == sees and ("13800001111" in text) == sees


def test_staff_walk_the_complaint_through_the_page(login, posts, village, clock):
    c = public(village.code).complaint
    client = login(posts.worker)
    act = lambda action, **data: client.post(reverse("oversight:complaint_act", args=[c.pk, action]), data)  # noqa: E731
    assert act("assign", assignee=posts.worker.user_id).status_code == 302
    assert act("investigate", note="").status_code == 302
    assert act("decide", finding="partly", result="").status_code == 422
    assert act("decide", finding="partly", result="部分属实").status_code == 302
    assert act("reply", answer="已整改").status_code == 302
    assert act("close", note="").status_code == 302
    assert Complaint.objects.get(pk=c.pk).status == ComplaintStatus.CLOSED
    assert login(posts.inspector).post(reverse("oversight:complaint_act", args=[c.pk, "note"]), {"note": "x"}).status_code == 403


def test_intake_by_staff_and_denied_to_inspectors(login, posts, village, clock):
    url = reverse("oversight:complaint_intake")
    assert login(posts.inspector).get(url).status_code == 403
    client = login(posts.worker)
    assert client.get(url).status_code == 200
    response = client.post(url, {"channel": "hotline", "area": village.code, "category": "amount", "content": "来电反映金额少了",
                                 "anonymous": "on"})
    assert response.status_code == 200 and Complaint.objects.get().channel == "hotline"


def test_attachments_are_downloaded_only_by_staff_who_see_the_complaint(login, client, posts, village, other_village, clock):
    c = public(village.code, attachments=[("doc.pdf", b"%PDF-1.4 test")]).complaint
    a = c.attachments.get()
    url = reverse("oversight:complaint_file", args=[c.pk, a.pk])
    assert client.get(url).status_code == 404                                 # anonymous
    assert login(posts.other_worker).get(url).status_code == 404
    response = login(posts.worker).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")


def test_categories_page_for_the_county_only(login, posts, county, clock):
    url = reverse("oversight:complaint_categories")
    assert login(posts.inspector).get(url).status_code == 403
    client = login(posts.officer)
    assert client.get(url).status_code == 200
    bad = client.post(url, {"code": "procedure", "response_days": 5, "resolution_days": 2, "is_active": "on"})
    assert bad.status_code == 422
    assert client.post(url, {"code": "procedure", "response_days": 1, "resolution_days": 9, "is_active": "on"}).status_code == 302
    assert login(posts.worker).post(url, {"code": "procedure", "response_days": 1, "resolution_days": 9}).status_code == 403


def test_the_daily_command_escalates_once(posts, village, clock):
    c = public(village.code).complaint
    out = io.StringIO()
    call_command("escalate_complaints", on="2025-09-26", stdout=out)
    call_command("escalate_complaints", on="2025-09-26", stdout=out)
    c.refresh_from_db()
    assert c.handling_area_id == COUNTY and c.escalations == 1


def test_home_page_shows_complaint_lines(login, posts, village, clock):
    public(village.code)
    html = login(posts.worker).get(reverse("home")).content.decode()
    assert "Complaints due soon" in html or "Complaints past their deadline" in html


# ---- the API -------------------------------------------------------------------------------------
def test_api_files_and_walks_a_complaint(api, posts, village, clock):
    client = api(posts.worker)
    r = client.post("/api/v1/oversight/complaints", {"channel": "hotline", "category": "amount", "content": "金额不对",
                                                     "area": village.code}, content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    cid = body["id"]
    assert body["token"] and body["clock_state"] in ("on_track", "at_risk")
    post = lambda path, data: client.post(f"/api/v1/oversight/complaints/{cid}/{path}", data,  # noqa: E731
                                          content_type="application/json")
    assert post("assign", {"assignee": posts.worker.user_id}).status_code == 200
    assert post("decide", {"finding": "partly", "result": "x"}).status_code == 409
    assert post("investigate", {}).status_code == 200
    assert post("note", {"note": "内部"}).status_code == 200
    assert post("decide", {"finding": "partly", "result": "部分属实"}).status_code == 200
    assert post("reply", {"answer": "已处理"}).status_code == 200
    r = post("close", {})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert post("note", {"note": "x", "extra": 1}).status_code == 422
    assert client.get("/api/v1/oversight/complaints", {"status": "closed"}).json()["count"] == 1


def test_api_denies_by_role_and_area(api, posts, village, other_village, clock):
    c = public(village.code).complaint
    assert api(posts.inspector).post(f"/api/v1/oversight/complaints/{c.pk}/note", {"note": "x"},
                                     content_type="application/json").status_code == 403
    assert api(posts.other_worker).get(f"/api/v1/oversight/complaints/{c.pk}").status_code == 404
    assert api(posts.other_worker).post(f"/api/v1/oversight/complaints/{c.pk}/investigate", {},
                                        content_type="application/json").status_code == 404
    assert api(posts.inspector).post("/api/v1/oversight/complaints", {"channel": "hotline", "category": "amount",
                                     "content": "x", "area": village.code}, content_type="application/json").status_code == 403
