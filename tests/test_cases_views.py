"""Case pages: each page for the right role, 404 for another town's case, 403 for a post that may
not act, the next-step forms only for the post whose step it is, and input kept on a failed submit."""
from __future__ import annotations

import re

from django.urls import reverse

from safetynet.cases import services
from safetynet.cases.models import Case, CaseEvent
from safetynet.enrollments.models import Enrollment
from tests.cases_helpers import D, investigators, make_poor_household, walk
from tests.conftest import OTHER_TOWN, TOWN




def _url(case, name="detail", *args):
    return reverse(f"cases:{name}", args=[case.pk, *args])


def _act(client, case, action, data=None, version=None):
    case.refresh_from_db()
    payload = {f"{action}-version": version if version is not None else case.version}
    payload.update({f"{action}-{k}": v for k, v in (data or {}).items()})
    return client.post(reverse("cases:act", args=[case.pk, action]), payload)


def _forms(html: str) -> set[str]:
    return set(re.findall(r'data-action="([a-z_]+)"', html))


# --- the pages, by role and area ------------------------------------------------------------

def test_queue_shows_overdue_due_today_and_waiting_in_order(login, posts, poor_household, clock, standards):
    applied = walk(posts, poor_household, clock, to="applied")
    other = make_poor_household(posts.worker, poor_household.area_id)
    accepted = walk(posts, other, clock, to="accepted")
    clock.advance(30)   # the survey of `accepted` is long overdue
    response = login(posts.worker).get(reverse("cases:queue"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index('id="overdue"') < html.index('id="due_today"') < html.index('id="waiting"')
    assert 'data-testid="count-overdue">1<' in html and 'data-testid="count-waiting">1<' in html
    assert f'href="/cases/{accepted.pk}/"' in html and f'href="/cases/{applied.pk}/"' in html
    # filter by program (htmx swaps only the queue)
    response = login(posts.worker).get(reverse("cases:queue"), {"program": "temporary"}, HTTP_HX_REQUEST="true",
                                       HTTP_HX_TARGET="queue")
    assert response.status_code == 200 and "<html" not in response.content.decode()
    assert f'/cases/{accepted.pk}/' not in response.content.decode()


def test_home_shows_the_case_queue_counts(login, posts, poor_household, clock, standards):
    walk(posts, poor_household, clock, to="applied")
    html = login(posts.worker).get(reverse("home")).content.decode()
    assert "/cases/#waiting" in html and "/cases/#overdue" in html


def test_case_page_for_each_role_in_area_and_404_outside(login, posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="surveyed")
    for actor in (posts.worker, posts.officer, posts.cadre, posts.leader, posts.inspector, posts.county_leader):
        response = login(actor).get(_url(case))
        assert response.status_code == 200, actor.role
    assert login(posts.other_worker).get(_url(case)).status_code == 404
    assert login(posts.other_cadre).get(_url(case)).status_code == 404
    # a grid worker does not read cases at all
    assert login(posts.grid).get(_url(case)).status_code == 403


def test_case_page_masks_ids_and_shows_timeline_and_clocks(login, posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="town_reviewed")
    html = login(posts.worker).get(_url(case)).content.decode()
    head = poor_household.head
    assert head.id_number not in html
    assert head.id_number[:6] in html and head.id_number[-4:] in html
    assert 'data-testid="timeline"' in html and 'data-testid="deadlines"' in html
    assert 'data-step="survey"' in html and 'data-step="case"' in html
    # the rule breakdown, line by line with the regulation it rests on, by its name
    assert 'data-testid="breakdown"' in html and "¥2,070.00" in html
    assert "Measures for the Review and Confirmation of Minimum Living Guarantees" in html and "POLICY.md" not in html


def test_other_pages_render(login, posts, poor_household, clock, standards):
    walk(posts, poor_household, clock, to="accepted")
    client = login(posts.officer)
    assert client.get(reverse("cases:list")).status_code == 200
    response = client.get(reverse("cases:overdue"))
    assert response.status_code == 200 and "echarts.min.js" in response.content.decode()
    data = client.get(reverse("api-1:cases_overdue_by_town")).json()
    assert data["items"][0]["town_code"] == TOWN and data["items"][0]["open"] == 1


# --- the next-step forms ------------------------------------------------------------------------

def test_forms_appear_only_for_the_post_whose_step_it_is(login, posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="applied")
    assert "accept" in _forms(login(posts.worker).get(_url(case)).content.decode())
    assert _forms(login(posts.officer).get(_url(case)).content.decode()) == set()
    assert _forms(login(posts.inspector).get(_url(case)).content.decode()) == set()

    case = walk(posts, make_poor_household(posts.worker, poor_household.area_id), clock, to="surveyed")
    assert "verify" in _forms(login(posts.officer).get(_url(case)).content.decode())
    assert "verify" not in _forms(login(posts.worker).get(_url(case)).content.decode())

    case = walk(posts, make_poor_household(posts.worker, poor_household.area_id), clock, to="notice_closed")
    officer_forms = _forms(login(posts.officer).get(_url(case)).content.decode())
    assert {"confirm", "refuse"} <= officer_forms
    worker_forms = _forms(login(posts.worker).get(_url(case)).content.decode())
    assert "confirm" not in worker_forms and "refuse" not in worker_forms


def test_grid_worker_posting_a_confirm_is_refused_403(login, posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="notice_closed")
    assert _act(login(posts.grid), case, "confirm").status_code == 403
    assert _act(login(posts.worker), case, "confirm").status_code == 403   # the town may not confirm here
    assert _act(login(posts.other_worker), case, "confirm").status_code == 404
    case.refresh_from_db()
    assert case.status == "notice_closed"


def test_out_of_order_step_shows_the_reason_409(login, posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="in_notice")
    response = _act(login(posts.worker), case, "close_notice")
    assert response.status_code == 409
    assert "The public notice runs until" in response.content.decode()


def test_failed_submit_keeps_the_input_and_names_the_field(login, posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="accepted")
    response = _act(login(posts.worker), case, "record_survey", {
        "conducted_on": clock().isoformat(), "findings": "院里堆满杂物，家中无电器",
        "name_1": "调查员甲", "id_number_1": investigators(1)[0]["id_number"], "signed_by_household": "on"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "院里堆满杂物，家中无电器" in html and "调查员甲" in html
    assert "at least two different investigators" in html
    case.refresh_from_db()
    assert case.status == "accepted"


def test_stale_form_fails_clearly(login, posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="verified")
    response = _act(login(posts.worker), case, "give_town_opinion", {"opinion": "同意"}, version=case.version - 1)
    assert response.status_code == 409
    assert "Someone else changed this case" in response.content.decode()
    assert "同意" in response.content.decode()


def test_the_dibao_path_through_the_pages(login, posts, poor_household, clock, standards):
    client = login(posts.worker)
    response = client.get(reverse("cases:new"), {"household": poor_household.pk})
    assert response.status_code == 200
    assert poor_household.head.name in response.content.decode()
    response = client.post(reverse("cases:new") + f"?household={poor_household.pk}", {
        "household": poor_household.pk, "program": "dibao", "applicant": poor_household.head_id, "channel": "walk_in",
        "dibao_kind": "household"})
    assert response.status_code == 302
    case = Case.objects.get(household=poor_household)
    assert _act(client, case, "accept", {"promise_signed": "on", "authorization_signed": "on"}).status_code == 302
    people = investigators(2)
    assert _act(client, case, "record_survey", {
        "conducted_on": clock().isoformat(), "findings": "属实", "signed_by_household": "on",
        "name_1": people[0]["name"], "id_number_1": people[0]["id_number"],
        "name_2": people[1]["name"], "id_number_2": people[1]["id_number"]}).status_code == 302
    officer = login(posts.verifier)
    page = officer.get(_url(case)).content.decode()
    assert 'name="income-0-monthly_amount"' in page and 'value="900.00"' in page   # pre-filled from the declaration
    response = officer.post(reverse("cases:act", args=[case.pk, "verify"]), {
        "verify-version": Case.objects.get(pk=case.pk).version, "verify-summary": "无异常",
        "income-TOTAL_FORMS": "1", "income-INITIAL_FORMS": "1", "income-MIN_NUM_FORMS": "0", "income-MAX_NUM_FORMS": "40",
        "income-0-person": poor_household.head_id, "income-0-category": "wages", "income-0-monthly_amount": "900.00"})
    assert response.status_code == 302, response.content.decode()[:2000]
    client = login(posts.worker)
    assert _act(client, case, "give_town_opinion", {"opinion": "符合条件"}).status_code == 302
    assert _act(client, case, "publish_notice", {"starts_on": clock().isoformat()}).status_code == 302
    clock.advance(7)
    assert _act(client, case, "close_notice").status_code == 302
    assert _act(login(posts.officer), case, "confirm", {"note": ""}).status_code == 302
    case.refresh_from_db()
    assert case.status == "confirmed"
    assert Enrollment.objects.get(case=case).monthly_amount == 2070
    assert list(CaseEvent.objects.filter(case=case).values_list("action", flat=True)) == [
        "apply", "accept", "record_survey", "verify", "give_town_opinion", "publish_notice", "close_notice", "confirm"]
    page = login(posts.officer).get(_url(case)).content.decode()
    assert 'data-testid="letter-link"' in page and 'data-testid="enrollment"' in page


def test_household_include_lists_applications(rf, posts, poor_household, clock, standards):
    from django.template import Context, Template

    case = walk(posts, poor_household, clock, to="applied")
    html = Template("{% load cases_tags %}{% household_cases household %}").render(
        Context({"actor": posts.worker, "household": poor_household}))
    assert f"/cases/{case.pk}/" in html and f"/cases/new/?household={poor_household.pk}&amp;program=temporary" in html
    html = Template("{% load cases_tags %}{% household_cases household %}").render(
        Context({"actor": posts.grid, "household": poor_household}))
    assert "household-cases" not in html


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00\x00:~\x9bU\x00\x00\x00"
       b"\nIDATx\x9cc`\x00\x00\x00\x02\x00\x01H\xaf\xa4q\x00\x00\x00\x00IEND\xaeB`\x82")


def test_documents_upload_and_download_in_scope(login, posts, poor_household, clock, standards, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    case = walk(posts, poor_household, clock, to="accepted")
    client = login(posts.worker)
    response = client.post(reverse("cases:document_upload", args=[case.pk]),
                           {"file": SimpleUploadedFile("住房照片.png", PNG, content_type="image/png"), "description": "住房"})
    assert response.status_code == 302
    attachment = case.attachments.get()
    assert "住房照片.png" in client.get(_url(case)).content.decode()
    assert client.get(reverse("cases:document", args=[case.pk, attachment.pk])).status_code == 200
    # not a photo: refused with the reason, nothing stored
    client.post(reverse("cases:document_upload", args=[case.pk]),
                {"file": SimpleUploadedFile("x.png", b"not an image", content_type="image/png")})
    assert case.attachments.count() == 1
    assert login(posts.other_worker).get(reverse("cases:document", args=[case.pk, attachment.pk])).status_code == 404
    assert login(posts.other_worker).post(reverse("cases:document_upload", args=[case.pk]),
                                          {"file": SimpleUploadedFile("y.png", PNG)}).status_code == 404


def test_temporary_quick_aid_through_the_page(login, posts, poor_household, clock, standards):
    client = login(posts.worker)
    client.post(reverse("cases:new") + f"?household={poor_household.pk}", {
        "household": poor_household.pk, "program": "temporary", "temporary_kind": "quick", "applicant": poor_household.head_id,
        "channel": "walk_in", "requested_amount": "600.00"})
    case = Case.objects.get(household=poor_household)
    page = client.get(_url(case)).content.decode()
    assert {"approve_quick_aid", "refuse_quick_aid"} <= _forms(page)
    assert 'value="600.00"' in page        # the requested amount pre-filled
    assert _act(login(posts.officer), case, "approve_quick_aid", {"amount": "600.00"}).status_code == 403
    assert _act(login(posts.worker), case, "approve_quick_aid", {"amount": "600.00"}).status_code == 302
    case.refresh_from_db()
    assert case.status == "confirmed" and case.decisions.get().monthly_amount == 600


# --- investigators are picked from the staff register (issue 15, item 5) ----------------------

def test_the_survey_form_ticks_the_worker_and_offers_colleagues_from_the_register(login, posts, poor_household, clock,
                                                                                   standards, village):
    from safetynet.workforce.models import StaffIdentity

    case = walk(posts, poor_household, clock, to="accepted")
    me = StaffIdentity.objects.create(user_id=posts.worker.user_id, name="王镇干", id_number=investigators(1)[0]["id_number"],
                                      area_id=TOWN, kind="town_staff")
    colleague = StaffIdentity.objects.create(name="赵村干", id_number=investigators(1)[0]["id_number"], area_id=village.code,
                                             kind="village_committee")
    StaffIdentity.objects.create(name="钱他镇", id_number=investigators(1)[0]["id_number"], area_id=OTHER_TOWN,
                                 kind="town_staff")
    client = login(posts.worker)
    html = client.get(_url(case)).content.decode()
    assert re.search(rf'name="record_survey-investigators" value="{me.pk}"[^>]*checked', html)
    assert f'value="{colleague.pk}"' in html and not re.search(rf'value="{colleague.pk}"[^>]*checked', html)
    assert "钱他镇" not in html                        # another town's staff are not offered
    assert "<details" in html and "Someone not in the staff register" in html    # typed rows folded away
    # Ticking one colleague is the whole input; the worker is kept as ticked.
    response = _act(client, case, "record_survey", {"conducted_on": clock().isoformat(), "findings": "属实",
                                                    "signed_by_household": "on", "investigators": [me.pk, colleague.pk]})
    assert response.status_code == 302, re.findall(r'invalid-feedback[^>]*>([^<]+)<', response.content.decode())
    case.refresh_from_db()
    survey = case.surveys.get()
    assert case.status == "surveyed"
    assert sorted(survey.investigators.values_list("staff_identity_id", flat=True)) == sorted([me.pk, colleague.pk])
    assert sorted(survey.investigators.values_list("name", flat=True)) == sorted(["王镇干", "赵村干"])


def test_a_staff_member_of_another_town_cannot_be_posted_as_investigator(login, posts, poor_household, clock, standards):
    from safetynet.workforce.models import StaffIdentity

    case = walk(posts, poor_household, clock, to="accepted")
    me = StaffIdentity.objects.create(user_id=posts.worker.user_id, name="王镇干", id_number=investigators(1)[0]["id_number"],
                                      area_id=TOWN, kind="town_staff")
    elsewhere = StaffIdentity.objects.create(name="钱他镇", id_number=investigators(1)[0]["id_number"], area_id=OTHER_TOWN,
                                             kind="town_staff")
    response = _act(login(posts.worker), case, "record_survey", {"conducted_on": clock().isoformat(), "findings": "属实",
                                                                 "signed_by_household": "on",
                                                                 "investigators": [me.pk, elsewhere.pk]})
    assert response.status_code == 422 and "属实" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "accepted"


# --- a case starts from the household (issue 15, item 6) --------------------------------------

def test_new_application_finds_the_household_by_name_or_id_number(login, posts, poor_household, clock, standards,
                                                                  other_village):
    other = make_poor_household(posts.other_worker, other_village.code)
    client = login(posts.worker)
    head = poor_household.head
    page = client.get(reverse("cases:new"))
    assert page.status_code == 200 and 'name="q"' in page.content.decode() and 'type="number"' not in page.content.decode()
    found = client.get(reverse("cases:new"), {"q": head.name, "program": "dibao"}).content.decode()
    assert f"?household={poor_household.pk}&amp;program=dibao" in found
    assert head.id_number not in found and head.id_number[-4:] in found            # masked, as on the household list
    by_number = client.get(reverse("cases:new"), {"q": head.id_number[:14]}, HTTP_HX_REQUEST="true",
                           HTTP_HX_TARGET="pick-results")
    html = by_number.content.decode()
    assert "<html" not in html and f"?household={poor_household.pk}" in html       # the short list alone, for htmx
    # Another town's household is not found, by name or by number.
    assert f"?household={other.pk}" not in client.get(reverse("cases:new"), {"q": other.head.name}).content.decode()
    assert f"?household={other.pk}" not in client.get(reverse("cases:new"), {"q": other.head.id_number}).content.decode()
    assert login(posts.inspector).get(reverse("cases:new"), {"q": head.name}).status_code == 403


def test_the_household_page_offers_the_programs_it_could_apply_for_prefilled(login, posts, poor_household, clock,
                                                                           standards):
    client = login(posts.worker)
    page = client.get(reverse("registry:household_detail", args=[poor_household.pk])).content.decode()
    for program in ("dibao", "special_hardship", "temporary"):   # the child of 10 cannot work: special hardship too
        assert f"/cases/new/?household={poor_household.pk}&amp;program={program}" in page
    form = client.get(reverse("cases:new"), {"household": poor_household.pk, "program": "special_hardship"}).context["form"]
    child = poor_household.members.get(relation_to_head="child")
    assert form["program"].value() == "special_hardship" and form["covered_person"].value() == child.pk
    assert form["applicant"].value() == poor_household.head_id
    # The worker only confirms: one submit files the dibao application from the button's link.
    response = client.post(reverse("cases:new") + f"?household={poor_household.pk}&program=dibao", {
        "household": poor_household.pk, "program": "dibao", "applicant": poor_household.head_id, "channel": "walk_in",
        "dibao_kind": "household"})
    assert response.status_code == 302
    page = client.get(reverse("registry:household_detail", args=[poor_household.pk])).content.decode()
    assert "program=dibao" not in page and "program=temporary" in page       # an open dibao case: no second one
    page = login(posts.inspector).get(reverse("registry:household_detail", args=[poor_household.pk])).content.decode()
    assert "/cases/new/" not in page                                            # a post that may not apply gets no button


def test_a_household_without_anyone_unable_to_work_is_not_offered_special_hardship(posts, village, clock, standards):
    from safetynet.cases import pages
    from safetynet.registry.selectors import household_members
    from tests.cases_helpers import new_id
    from safetynet.registry.services import create_household

    household = create_household(actor=posts.worker, area_code=village.code, address="测试村99号", registration_type="rural",
                                 members=[{"name": "壮年人", "id_number": new_id(D(1980, 3, 1)), "relation_to_head": "head"}])
    offered = [o.program for o in pages.apply_options(posts.worker, household, household_members(household), clock())]
    assert offered == ["dibao", "temporary"]


# --- emergency aid over the town's limit (issue 15, item 8) -----------------------------------

def test_emergency_aid_over_the_limit_offers_the_switch_in_place_keeping_what_was_typed(login, posts, poor_household,
                                                                                       clock, standards):
    case = services.apply_for_assistance(actor=posts.worker, program_code="temporary", household_id=poor_household.pk,
                                         applicant_id=poor_household.head_id, channel="walk_in", kind="emergency",
                                         requested_amount="3000", reason="火灾")
    client = login(posts.worker)
    page = client.get(_url(case)).content.decode()
    assert 'data-testid="switch-to-ordinary"' not in page and 'data-action="switch_to_ordinary"' not in page
    refused = _act(client, case, "pay_first", {"amount": "5000", "note": "房屋全毁，急需安置"})
    html = refused.content.decode()
    assert refused.status_code == 422 and "Above the town" in html
    assert 'data-testid="switch-to-ordinary"' in html and "房屋全毁，急需安置" in html and 'value="5000"' in html
    assert f'formaction="/cases/{case.pk}/act/switch_to_ordinary/"' in html
    # The button posts the same form (its fields, as typed) to the switch.
    case.refresh_from_db()
    response = client.post(reverse("cases:act", args=[case.pk, "switch_to_ordinary"]), {
        "pay_first-version": case.version, "pay_first-amount": "5000", "pay_first-note": "房屋全毁，急需安置"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.path, case.status, case.requested_amount) == ("temporary:ordinary", "applied", 5000)
    assert case.events.get(action="switch_to_ordinary").note == "房屋全毁，急需安置"
    # Another town's post cannot switch it (404), a county officer may not (403).
    other = services.apply_for_assistance(actor=posts.worker, program_code="temporary", household_id=poor_household.pk,
                                          applicant_id=poor_household.members.get(relation_to_head="spouse").pk,
                                          channel="walk_in", kind="emergency", requested_amount="5000", reason="火灾")
    data = {"pay_first-version": other.version, "pay_first-amount": "5000"}
    assert login(posts.other_worker).post(reverse("cases:act", args=[other.pk, "switch_to_ordinary"]), data).status_code == 404
    assert login(posts.officer).post(reverse("cases:act", args=[other.pk, "switch_to_ordinary"]), data).status_code == 403
    other.refresh_from_db()
    assert other.path == "temporary:emergency"
