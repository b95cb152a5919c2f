"""Lead pages, API, dashboard and the daily escalation (issue 17 parts 2, 5, 6): deadlines and
escalation across working days and holidays as the pages show them, the state × age table, the
filters, every action from the page and the API, denial (another town 404, a grid worker acting
403), the dashboard's figures on known leads, the home page's queue."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from safetynet.cases import services as case_services
from safetynet.core.models import AuditEvent
from safetynet.discovery import clocks, selectors, services
from safetynet.discovery.models import Escalation, GridReport, Lead, LeadEvent, LeadStatus
from tests.cases_helpers import investigators
from tests.conftest import OTHER_TOWN, TOWN

pytestmark = pytest.mark.django_db

D = dt.date


def report(actor, **fields):
    fields.setdefault("key", uuid.uuid4())
    fields.setdefault("cause", "illness")
    return services.file_grid_report(actor, **fields).report


def stranger_lead(actor, village, name="王五", **fields):
    return report(actor, name=name, address="村西头", area_code=village.code, **fields).lead


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.frombytes("RGB", (32, 32), bytes(range(256)) * 12).save(buffer, "PNG")
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Deadlines and escalation as the pages show them
# ---------------------------------------------------------------------------------------------
def test_deadlines_across_the_national_day_and_the_daily_escalation_on_the_pages(posts, clock, login, village):
    clock.set(D(2025, 9, 30))                   # the day before the 2025 holiday (1–8 October)
    lead = stranger_lead(posts.grid, village)
    due = clocks.deadlines(lead.area_id, D(2025, 9, 30))
    assert due.acknowledge_on == D(2025, 10, 9) and lead.acknowledge_due_on == due.acknowledge_on
    page = login(posts.worker).get(reverse("discovery:lead", args=[lead.pk])).content.decode()
    assert "2025-10-09" in page and 'data-testid="overdue-since"' not in page

    out = StringIO()
    call_command("escalate_leads", "--on", "2025-10-09", stdout=out)       # due today: not yet overdue
    assert "0 leads escalated to the town leader, 0 to the county" in out.getvalue()
    call_command("escalate_leads", "--on", "2025-10-10", stdout=StringIO())
    lead.refresh_from_db()
    assert lead.escalation == Escalation.TOWN_LEADER
    clock.set(D(2025, 10, 10))
    page = login(posts.worker).get(reverse("discovery:lead", args=[lead.pk])).content.decode()
    assert "with the town leader" in page and "2025-10-09" in page and 'data-testid="overdue-since"' in page
    listed = login(posts.worker).get(reverse("discovery:leads") + "?escalated=town_leader").content.decode()
    assert lead.number in listed and "with the town leader" in listed

    # Again the same day: nothing moves (idempotent). Saturday 11 October 2025 is a make-up working
    # day: the second working day overdue, still the town leader's; Monday 13 the third: the county.
    call_command("escalate_leads", "--on", "2025-10-10", stdout=StringIO())
    assert LeadEvent.objects.filter(lead=lead, kind="escalated").count() == 1
    call_command("escalate_leads", "--on", "2025-10-11", stdout=StringIO())
    lead.refresh_from_db()
    assert lead.escalation == Escalation.TOWN_LEADER
    call_command("escalate_leads", "--on", "2025-10-13", stdout=StringIO())
    lead.refresh_from_db()
    assert lead.escalation == Escalation.COUNTY
    clock.set(D(2025, 10, 13))
    page = login(posts.officer).get(reverse("discovery:leads") + "?escalated=county").content.decode()
    assert lead.number in page and "with the county" in page


def test_escalate_leads_command_only_for_the_area_given(posts, clock, village, other_village):
    clock.set(D(2025, 9, 22))
    here = stranger_lead(posts.grid, village)
    there = stranger_lead(posts.other_cadre, other_village, name="赵六")
    call_command("escalate_leads", "--area", TOWN, "--on", "2025-09-25", stdout=StringIO())
    here.refresh_from_db()
    there.refresh_from_db()
    assert here.escalation == Escalation.TOWN_LEADER and there.escalation == ""
    assert AuditEvent.objects.filter(action="discovery.escalate_lead").count() == 1


# ---------------------------------------------------------------------------------------------
# The grid worker's list
# ---------------------------------------------------------------------------------------------
def test_grid_workers_list_shows_leads_reports_due_dates_and_overdue(posts, clock, login, village, other_village):
    clock.set(D(2025, 9, 22))
    late = stranger_lead(posts.grid, village, name="王五")
    clock.set(D(2025, 9, 26))
    fresh = stranger_lead(posts.grid, village, name="钱七")
    elsewhere = stranger_lead(posts.other_cadre, other_village, name="赵六")
    page = login(posts.grid).get(reverse("discovery:mine"))
    assert page.status_code == 200
    html = page.content.decode()
    assert late.number in html and fresh.number in html and elsewhere.number not in html
    assert f'data-testid="lead-{late.pk}"' in html
    row = html.split(f'data-testid="lead-{late.pk}"')[1].split("</a>")[0]
    assert 'data-testid="overdue"' in row and "2025-09-23" in row          # acknowledge by the next working day
    row = html.split(f'data-testid="lead-{fresh.pk}"')[1].split("</a>")[0]
    assert 'data-testid="overdue"' not in row and "2025-09-28" in row      # Friday → Sunday 28, a make-up working day
    assert "Reports I filed" in html and html.count(late.number) >= 2


def test_town_worker_may_not_open_another_towns_lead_and_grid_worker_may_not_act(posts, login, village, other_village):
    lead = stranger_lead(posts.other_cadre, other_village)
    client = login(posts.worker)
    assert client.get(reverse("discovery:lead", args=[lead.pk])).status_code == 404
    assert client.post(reverse("discovery:lead_act", args=[lead.pk, "acknowledge"])).status_code == 404
    mine = stranger_lead(posts.grid, village)
    client = login(posts.grid)
    assert client.get(reverse("discovery:lead", args=[mine.pk])).status_code == 200
    assert client.post(reverse("discovery:lead_act", args=[mine.pk, "acknowledge"])).status_code == 403
    assert client.post(reverse("discovery:lead_act", args=[mine.pk, "close"]), {"reason": "not_in_need"}).status_code == 403
    mine.refresh_from_db()
    assert mine.status == LeadStatus.NEW
    assert login(posts.inspector).get(reverse("discovery:mine")).status_code == 403


def test_inspector_reads_masked_names_and_no_actions(posts, login, village):
    lead = stranger_lead(posts.grid, village, name="欧阳小明")
    html = login(posts.inspector).get(reverse("discovery:lead", args=[lead.pk])).content.decode()
    assert "欧阳小明" not in html and "欧阳**" in html and 'data-testid="actions"' not in html


# ---------------------------------------------------------------------------------------------
# The town's leads: the state × age table and the filters
# ---------------------------------------------------------------------------------------------
def test_state_by_age_table_counts_and_links(posts, clock, login, village):
    for day, name in ((D(2025, 9, 10), "甲"), (D(2025, 9, 17), "乙"), (D(2025, 9, 19), "丙"), (D(2025, 9, 22), "丁")):
        clock.set(day)
        stranger_lead(posts.grid, village, name=name)
    clock.set(D(2025, 9, 22))
    acknowledged = Lead.objects.get(name="乙")
    services.acknowledge_lead(actor=posts.worker, lead_id=acknowledged.pk)
    closed = Lead.objects.get(name="丙")
    services.close_lead(actor=posts.worker, lead_id=closed.pk, reason="not_found")
    table = selectors.state_age_table(posts.worker, D(2025, 9, 22))
    cells = {row["state"]: {c["age"]: c["count"] for c in row["cells"]} for row in table["rows"]}
    assert cells["new"] == {"0-1": 1, "2-3": 0, "4-7": 0, "8+": 1}         # 丁 today, 甲 12 days ago
    assert cells["acknowledged"] == {"0-1": 0, "2-3": 0, "4-7": 1, "8+": 0}   # 乙 5 days ago
    assert {e["state"]: e["count"] for e in table["ended"]}["closed"] == 1
    assert table["open_total"] == 3
    client = login(posts.worker)
    html = client.get(reverse("discovery:leads")).content.decode()
    assert 'href="?state=new&amp;age=8+"' in html
    listed = client.get(reverse("discovery:leads"), {"state": "new", "age": "8+"}).content.decode()
    assert "甲" in listed and "丁" not in listed and "1 lead" in listed
    assert client.get(reverse("discovery:leads"), {"age": "nonsense", "state": "x"}).status_code == 200


def test_lead_list_filters_search_and_scope(posts, clock, login, village, other_village, county):
    from safetynet.areas.models import Area

    clock.set(D(2025, 9, 22))
    second_village = Area.objects.filter(parent_id=TOWN, level="village").order_by("code")[1]
    cadre2 = dataclasses.replace(posts.cadre, area_code=second_village.code)
    a = stranger_lead(posts.grid, village, name="王大", cause="disability", urgency="urgent")
    b = stranger_lead(cadre2, second_village, name="李二", cause="job_loss")
    c = stranger_lead(posts.other_cadre, other_village, name="王三")
    opened = services.open_lead(posts.officer, services.LeadInput(
        source="phone", cause="illness", area_code=village.code, name="张四", address="东头", level="red"))
    d = opened.lead
    Lead.objects.filter(pk=b.pk).update(escalation=Escalation.TOWN_LEADER)
    client = login(posts.worker)

    def listed(**params):
        html = client.get(reverse("discovery:leads"), params).content.decode()
        return {n for n, lead in (("a", a), ("b", b), ("c", c), ("d", d)) if f'data-testid="lead-{lead.pk}"' in html}

    assert listed() == {"a", "b", "d"}                      # the other town's never
    assert listed(cause="disability") == {"a"}
    assert listed(source="phone") == {"d"}
    assert listed(level="red") == {"d"}
    assert listed(escalated="any") == {"b"}
    assert listed(escalated="county") == set()
    assert listed(village=second_village.code) == {"b"}
    assert listed(q="王") == {"a"}
    assert listed(state="open") == {"a", "b", "d"}
    assert listed(overdue="1") == set()
    clock.set(D(2025, 9, 24))
    assert listed(overdue="1") == {"a", "b", "d"}
    services.record_visit(actor=posts.worker, lead_id=a.pk, in_need=True, note="确实困难")
    assert listed(overdue="1") == {"b", "d"} and listed(overdue="0") == {"a"}
    assert login(posts.officer).get(reverse("discovery:leads"), {"q": "王"}).content.decode().count('data-testid="lead-') == 2


def test_lead_list_is_paginated(posts, clock, login, village):
    clock.set(D(2025, 9, 22))
    for n in range(32):
        stranger_lead(posts.grid, village, name=f"名{n:02d}")
    client = login(posts.worker)
    first = client.get(reverse("discovery:leads")).content.decode()
    second = client.get(reverse("discovery:leads"), {"page": 2}).content.decode()
    assert first.count('data-testid="lead-') == 30 and second.count('data-testid="lead-') == 2
    assert "Page 1 of 2" in first


# ---------------------------------------------------------------------------------------------
# Every action from the page
# ---------------------------------------------------------------------------------------------
def test_acknowledge_visit_and_close_from_the_page(posts, clock, login, village):
    lead = stranger_lead(posts.grid, village)
    client = login(posts.worker)
    url = lambda action: reverse("discovery:lead_act", args=[lead.pk, action])     # noqa: E731
    html = client.get(reverse("discovery:lead", args=[lead.pk])).content.decode()
    assert 'data-testid="acknowledge"' in html
    assert client.post(url("acknowledge")).status_code == 302
    lead.refresh_from_db()
    assert lead.status == LeadStatus.ACKNOWLEDGED
    bad = client.post(url("visit"), {"in_need": "yes", "note": ""})
    assert bad.status_code == 422 and 'data-testid="form-errors"' in bad.content.decode()
    assert client.post(url("visit"), {"in_need": "no", "note": "子女赡养"}).status_code == 302
    lead.refresh_from_db()
    assert lead.status == LeadStatus.VISITED and lead.in_need is False
    refused = client.post(url("close"), {"reason": "other", "note": ""})
    assert refused.status_code == 422 and "required" in refused.content.decode()
    assert client.post(url("close"), {"reason": "not_in_need"}).status_code == 302
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CLOSED and lead.close_reason == "not_in_need"
    again = client.post(url("acknowledge"), follow=True)
    assert "has ended" in again.content.decode()
    html = client.get(reverse("discovery:lead", args=[lead.pk])).content.decode()
    assert 'data-testid="actions"' not in html and "not in need" in html
    assert [e.kind for e in lead.events.order_by("id")] == ["opened", "acknowledged", "visited", "closed"]


def test_merge_and_link_household_from_the_page(posts, login, village, worker):
    from tests.registry_helpers import make_household

    a = stranger_lead(posts.grid, village, name="王五")
    b = stranger_lead(posts.grid, village, name="王老五", cause="disability")
    client = login(posts.worker)
    html = client.get(reverse("discovery:lead", args=[b.pk])).content.decode()
    assert f'value="{a.pk}"' in html
    response = client.post(reverse("discovery:lead_act", args=[b.pk, "merge"]), {"into": a.pk})
    assert response.status_code == 302 and response["Location"] == reverse("discovery:lead", args=[a.pk])
    assert Lead.objects.get(pk=b.pk).status == LeadStatus.MERGED
    household = make_household(posts.worker, village.code)
    assert client.post(reverse("discovery:lead_act", args=[a.pk, "link"]), {"household": "x"}).status_code == 422
    assert client.post(reverse("discovery:lead_act", args=[a.pk, "link"]), {"household": household.pk}).status_code == 302
    a.refresh_from_db()
    assert a.household_id == household.pk


def test_merge_into_a_lead_of_another_town_is_refused(posts, login, village, other_village):
    a = stranger_lead(posts.grid, village)
    other = stranger_lead(posts.other_cadre, other_village, name="赵六")
    response = login(posts.worker).post(reverse("discovery:lead_act", args=[a.pk, "merge"]), {"into": other.pk})
    assert response.status_code == 422                   # not one of the choices offered
    assert Lead.objects.get(pk=a.pk).status == LeadStatus.NEW


def test_file_an_application_from_the_lead_page(posts, standards, clock, login, village, poor_household):
    lead = report(posts.grid, household_id=poor_household.pk, note="丈夫瘫痪在床").lead
    client = login(posts.worker)
    html = client.get(reverse("discovery:lead", args=[lead.pk])).content.decode()
    assert "丈夫瘫痪在床" in html and f'value="{poor_household.head_id}" selected' in html
    response = client.post(reverse("discovery:lead_act", args=[lead.pk, "apply"]),
                           {"program": "dibao", "applicant": poor_household.head_id, "reason": "丈夫瘫痪在床"})
    lead.refresh_from_db()
    assert lead.status == LeadStatus.APPLIED and lead.case_id
    assert response.status_code == 302 and str(lead.case_id) in response["Location"]
    assert lead.case.channel == "from_lead" and lead.case.reason == "丈夫瘫痪在床"
    html = client.get(reverse("discovery:lead", args=[lead.pk])).content.decode()
    assert 'data-testid="case-link"' in html


def test_refer_link_waits_for_the_referrals_page(posts, login, village):
    lead = stranger_lead(posts.grid, village)
    html = login(posts.worker).get(reverse("discovery:lead", args=[lead.pk])).content.decode()
    from django.urls import NoReverseMatch

    try:
        url = reverse("discovery:refer_lead", args=[lead.pk])
    except NoReverseMatch:
        assert 'data-testid="refer"' not in html
    else:
        assert url in html


def test_report_photo_is_served_privately_in_the_area_only(posts, login, village, client):
    saved = report(posts.grid, name="王五", address="村西头", area_code=village.code, photo=_png(),
                   latitude="38.146500", longitude="114.570200")
    url = reverse("discovery:lead_photo", args=[saved.lead_id, saved.pk])
    html = login(posts.worker).get(reverse("discovery:lead", args=[saved.lead_id])).content.decode()
    assert url in html and "38.146500, 114.570200" in html
    response = login(posts.worker).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, no-store"
    assert login(posts.other_worker).get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 404


# ---------------------------------------------------------------------------------------------
# The dashboard
# ---------------------------------------------------------------------------------------------
def _timed(lead, *, acknowledged_hours: float | None = None, visited_hours: float | None = None):
    changes = {}
    if acknowledged_hours is not None:
        changes["acknowledged_at"] = lead.opened_at + dt.timedelta(hours=acknowledged_hours)
        changes["status"] = LeadStatus.ACKNOWLEDGED
    if visited_hours is not None:
        changes["visited_at"] = lead.opened_at + dt.timedelta(hours=visited_hours)
        changes["status"] = LeadStatus.VISITED
    Lead.objects.filter(pk=lead.pk).update(**changes)


def test_dashboard_medians_and_90th_percentiles_on_known_leads(posts, clock, login, village, other_village):
    clock.set(D(2025, 9, 22))
    hours = [1, 2, 3, 4, 5, 6, 7, 8, 9, 30]
    for n, h in enumerate(hours):
        _timed(stranger_lead(posts.grid, village, name=f"甲{n}"), acknowledged_hours=h,
               visited_hours=h * 10 if n < 4 else None)
    for n, h in enumerate([2, 6]):
        _timed(stranger_lead(posts.other_cadre, other_village, name=f"乙{n}"), acknowledged_hours=h)
    stranger_lead(posts.other_cadre, other_village, name="丙")         # not acknowledged yet
    Lead.objects.filter(name="丙").update(escalation=Escalation.COUNTY)
    d = selectors.dashboard(posts.officer, today=D(2025, 9, 24), days=30)
    towns = {t.town: t for t in d.towns}
    here, there = towns[TOWN], towns[OTHER_TOWN]
    assert (here.leads, here.acknowledged, here.acknowledge_median_hours, here.acknowledge_p90_hours) == (10, 10, 5, 9)
    assert (here.visited, here.visit_median_hours, here.visit_p90_hours) == (4, 20, 40)
    assert (there.leads, there.acknowledge_median_hours, there.acknowledge_p90_hours) == (3, 2, 6)
    assert there.with_county == 1 and there.overdue == 1                # 丙: acknowledge by 09-23; 乙 visit by 09-25
    assert len(d.towns) == 10                                            # every town of the county, even without leads
    assert d.all_towns.acknowledge_median_hours == 5 and d.all_towns.acknowledge_p90_hours == 9   # of 12
    assert d.by_cause == [{"cause": "illness", "label": "serious illness", "count": 13}]
    assert d.conversion == {"leads": 13, "applied": 0, "confirmed": 0, "enrolled": 0}
    # A town's post sees its own town only.
    mine = selectors.dashboard(posts.worker, today=D(2025, 9, 26))
    assert [t.town for t in mine.towns] == [TOWN] and mine.all_towns.leads == 10
    html = login(posts.officer).get(reverse("discovery:dashboard")).content.decode()
    assert 'data-testid="town-130123100"' in html and "vendor/echarts/echarts.min.js" in html
    answer = login(posts.officer).get(reverse("api-1:discovery_dashboard"), {"days": 30}).json()
    assert {t["town"]: t["acknowledge_p90_hours"] for t in answer["towns"]}[TOWN] == 9


def test_dashboard_conversion_from_lead_to_enrollment(posts, standards, clock, village, poor_household):
    lead = report(posts.grid, household_id=poor_household.pk).lead
    services.apply_from_lead(actor=posts.worker, lead_id=lead.pk, program_code="dibao", applicant_id=poor_household.head_id)
    case_id = Lead.objects.get(pk=lead.pk).case_id
    case_services.accept_application(actor=posts.worker, case_id=case_id)
    case_services.record_survey(actor=posts.worker, case_id=case_id, conducted_on=clock(), investigators=investigators(),
                                findings="家中确实困难", signed_by_household=True)
    case_services.record_manual_verification(actor=posts.verifier, case_id=case_id, summary="无异常")
    case_services.give_town_opinion(actor=posts.worker, case_id=case_id, opinion="符合条件")
    case_services.publish_notice(actor=posts.worker, case_id=case_id)
    clock.advance(7)
    case_services.close_notice(actor=posts.worker, case_id=case_id)
    case_services.confirm_case(actor=posts.officer, case_id=case_id)
    stranger_lead(posts.grid, village)
    d = selectors.dashboard(posts.officer, today=clock())
    assert d.conversion == {"leads": 2, "applied": 1, "confirmed": 1, "enrolled": 1}


def test_percentile_is_nearest_rank():
    assert selectors.percentile([], 50) is None
    assert selectors.percentile([7], 90) == 7
    assert selectors.percentile([4, 1, 3, 2], 50) == 2 and selectors.percentile([4, 1, 3, 2], 90) == 4


# ---------------------------------------------------------------------------------------------
# The home page and the menu
# ---------------------------------------------------------------------------------------------
def test_home_page_lists_leads_due_overdue_and_escalated(posts, clock, login, village):
    clock.set(D(2025, 9, 22))
    stranger_lead(posts.grid, village, name="甲")               # acknowledge by 09-23
    late = stranger_lead(posts.grid, village, name="乙")
    clock.set(D(2025, 9, 23))
    Lead.objects.filter(pk=late.pk).update(acknowledge_due_on=D(2025, 9, 22), escalation=Escalation.TOWN_LEADER)
    html = login(posts.worker).get(reverse("home")).content.decode()
    assert "Leads overdue" in html and "Leads due today" in html and "Leads escalated to me" in html
    lines = {q["label"]: q["count"] for q in __import__("safetynet.discovery.lead_views", fromlist=["x"]).home_queues(posts.worker)}
    assert lines == {"Leads overdue": 1, "Leads due today": 1, "Leads escalated to me": 1}
    grid_lines = {q["label"]: q["count"] for q in __import__("safetynet.discovery.lead_views", fromlist=["x"]).home_queues(posts.grid)}
    assert grid_lines == {"Open leads of my grid": 2}
    county_lines = {q["label"]: q["count"] for q in __import__("safetynet.discovery.lead_views", fromlist=["x"]).home_queues(posts.officer)}
    assert county_lines["Leads escalated to me"] == 0            # with the town leader, not yet the county
    assert "My leads" in login(posts.grid).get(reverse("home")).content.decode()


def test_menu_offers_the_lead_pages_to_the_posts_that_may_open_them(posts):
    from safetynet.core.menu import menu_for

    assert {"discovery:mine", "discovery:leads"} <= {e["url_name"] for e in menu_for(posts.grid)}
    assert "discovery:mine" not in {e["url_name"] for e in menu_for(posts.inspector)}
    # A town post works the town's list; "My leads" would be the same leads again.
    town = {e["url_name"] for e in menu_for(posts.worker)}
    assert "discovery:leads" in town and "discovery:mine" not in town
    assert "discovery:dashboard" in {e["url_name"] for e in menu_for(posts.county_leader)}


# ---------------------------------------------------------------------------------------------
# The API
# ---------------------------------------------------------------------------------------------
def test_api_lists_filters_and_reads_leads_in_scope(posts, api, clock, village, other_village):
    clock.set(D(2025, 9, 22))
    a = stranger_lead(posts.grid, village, cause="disability")
    stranger_lead(posts.other_cadre, other_village, name="赵六")
    client = api(posts.worker)
    page = client.get("/api/v1/discovery/leads").json()
    assert page["count"] == 1 and page["items"][0]["id"] == a.pk and page["items"][0]["overdue"] is False
    assert client.get("/api/v1/discovery/leads", {"cause": "illness"}).json()["count"] == 0
    assert client.get("/api/v1/discovery/leads", {"cause": "nonsense"}).status_code == 422
    clock.set(D(2025, 9, 24))
    assert client.get("/api/v1/discovery/leads", {"overdue": True}).json()["count"] == 1
    one = client.get(f"/api/v1/discovery/leads/{a.pk}").json()
    assert one["number"] == a.number and one["reports"][0]["cause"] == "disability" and one["events"][0]["kind"] == "opened"
    table = client.get("/api/v1/discovery/leads/by-state-and-age").json()
    assert table["rows"][0] == {"state": "new", "total": 1, "ages": {"0-1": 0, "2-3": 1, "4-7": 0, "8+": 0}}
    county = api(posts.officer).get("/api/v1/discovery/leads", {"limit": 1}).json()
    assert county["count"] == 2 and len(county["items"]) == 1


def test_api_actions_and_their_denials(posts, api, standards, village, other_village, poor_household):
    lead = report(posts.grid, household_id=poor_household.pk).lead
    other = stranger_lead(posts.other_cadre, other_village, name="赵六")
    base = f"/api/v1/discovery/leads/{lead.pk}"
    grid = api(posts.grid)
    assert grid.post(f"{base}/acknowledge").status_code == 403
    stranger = api(posts.other_worker)
    assert stranger.get(base).status_code == 404
    assert stranger.post(f"{base}/acknowledge").status_code == 404
    worker = api(posts.worker)
    assert worker.post(f"/api/v1/discovery/leads/{other.pk}/close", {"reason": "not_found"},
                       content_type="application/json").status_code == 404
    assert worker.post(f"{base}/visit", {"in_need": True, "note": "x", "extra": 1},
                       content_type="application/json").status_code == 422
    answer = worker.post(f"{base}/acknowledge")
    assert answer.status_code == 200 and answer.json()["status"] == "acknowledged"
    answer = worker.post(f"{base}/visit", {"in_need": True, "note": "确实困难"}, content_type="application/json")
    assert answer.json()["status"] == "visited" and answer.json()["in_need"] is True
    answer = worker.post(f"{base}/apply", {"program": "dibao", "applicant": poor_household.head_id},
                         content_type="application/json")
    assert answer.status_code == 200 and answer.json()["status"] == "applied" and answer.json()["case"]
    assert worker.post(f"{base}/close", {"reason": "not_in_need"}, content_type="application/json").status_code == 409


def test_api_merge_link_and_close(posts, api, village, worker):
    from tests.registry_helpers import make_household

    a = stranger_lead(posts.grid, village, name="王五")
    b = stranger_lead(posts.grid, village, name="王老五")
    client = api(posts.worker)
    merged = client.post(f"/api/v1/discovery/leads/{b.pk}/merge", {"into": a.pk}, content_type="application/json")
    assert merged.status_code == 200 and merged.json()["id"] == a.pk and len(merged.json()["reports"]) == 2
    assert client.post(f"/api/v1/discovery/leads/{a.pk}/merge", {"into": a.pk},
                       content_type="application/json").status_code == 422
    household = make_household(posts.worker, village.code)
    linked = client.post(f"/api/v1/discovery/leads/{a.pk}/household", {"household": household.pk},
                         content_type="application/json")
    assert linked.status_code == 200 and linked.json()["household"] == household.pk
    closed = client.post(f"/api/v1/discovery/leads/{a.pk}/close", {"reason": "other", "note": "已外出务工"},
                         content_type="application/json")
    assert closed.json()["status"] == "closed" and closed.json()["close_note"] == "已外出务工"


def test_api_masks_names_for_readers(posts, api, village):
    lead = stranger_lead(posts.grid, village, name="欧阳小明")
    answer = api(posts.inspector).get(f"/api/v1/discovery/leads/{lead.pk}").json()
    assert answer["name"] == "欧阳**" and answer["address"] == "" and answer["reports"][0]["note"] == ""


def test_escalations_are_audited_and_timed(posts, clock, village):
    clock.set(D(2025, 9, 22))
    lead = stranger_lead(posts.grid, village)
    from safetynet.discovery.escalation import escalate_every_county

    result = escalate_every_county(on=D(2025, 9, 24))
    assert result["130123"].to_town_leader == 1
    assert escalate_every_county(on=D(2025, 9, 24))["130123"].to_town_leader == 0
    lead.refresh_from_db()
    assert lead.escalated_at is not None and lead.escalated_at <= timezone.now()
    assert GridReport.objects.filter(lead=lead).count() == 1
