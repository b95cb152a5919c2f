"""Referrals and the one door (issue 17 part 3): the catalogue's checks, deadlines in working
days and overdue, nobody referred twice for one need, the window's three routes (joining a
household's open lead), the assistance chain, and denial (another town → 404, wrong role → 403)
for every write, through the services, the API and the pages."""
from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import pytest

from safetynet.areas.models import Area
from safetynet.core.audit import AuditEvent
from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.core.workdays import add_working_days
from safetynet.discovery import referral_chain, services
from safetynet.discovery import referral_services as referrals
from safetynet.discovery.models import Lead, LeadEvent, LeadStatus, Referral, ReferralStatus
from tests.cases_helpers import make_poor_household, walk

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(posts):
    """A few agencies of 正定县, as the county officer adds them."""
    def add(kind, name, days=None):
        return referrals.save_agency(actor=posts.officer, kind=kind, name=name, contact_person="王主任",
                                     phone="0311-88012345", address="正定县城", answer_days=days)
    return {"education": add("education", "县教育局资助中心", 5), "housing": add("housing", "县住建局"),
            "employment": add("employment", "县人社局就业服务中心", 3), "charity": add("charity", "县慈善总会", 10)}


@pytest.fixture
def grid(make_actor, village):
    return make_actor("grid_worker", village.code)


def open_lead_for(actor, household, cause="illness", source="walk_in"):
    return services.open_lead(actor, services.LeadInput(source=source, cause=cause, household_id=household.pk,
                                                        description="看病花了很多钱")).lead


# ---------------------------------------------------------------------------------------------
# The catalogue
# ---------------------------------------------------------------------------------------------
def test_agency_defaults_to_the_catalogues_answer_days_and_checks_its_fields(posts, clock):
    agency = referrals.save_agency(actor=posts.officer, kind="disability", name=" 县残联 ", phone="+86 311 8801 2345")
    assert (agency.name, agency.answer_days, agency.area_id, agency.active) == ("县残联", 10, "130123", True)
    bad = [dict(name=""), dict(phone="12"), dict(phone="call 8801"), dict(answer_days=0), dict(answer_days=61),
           dict(answer_days="ten"), dict(kind="bank")]
    for fields in bad:
        args = dict(kind="charity", name="县红十字会", phone="", answer_days=None) | fields
        with pytest.raises(ValidationError) as err:
            referrals.save_agency(actor=posts.officer, **args)
        assert err.value.field in {"name", "phone", "answer_days", "kind"}
    with pytest.raises(Conflict):
        referrals.save_agency(actor=posts.officer, kind="charity", name="县残联")
    changed = referrals.save_agency(actor=posts.officer, agency_id=agency.pk, kind="disability", name="县残疾人联合会",
                                    answer_days=20)
    assert changed.answer_days == 20
    retired = referrals.retire_agency(actor=posts.officer, agency_id=agency.pk)
    assert not retired.active and agency.pk not in referrals.agencies_for(posts.worker, active_only=True).values_list(
        "pk", flat=True)
    assert AuditEvent.objects.filter(action__in=["discovery.save_agency", "discovery.retire_agency"]).count() == 3


def test_catalogue_writes_are_the_county_officers(posts, catalogue, grid):
    agency = catalogue["housing"]
    for actor in (posts.worker, posts.leader, posts.county_leader, grid):
        with pytest.raises(PermissionDenied):
            referrals.save_agency(actor=actor, kind="other", name="某单位")
        with pytest.raises(PermissionDenied):
            referrals.retire_agency(actor=actor, agency_id=agency.pk)
    # Another county's officer does not see 正定县's catalogue at all.
    other = Area.objects.create(code="130124", name="深泽县", level="county", parent_id="1301")
    from safetynet.areas.actors import actor_for_post
    from safetynet.areas.models import Post
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("shenze_officer", password="x-long-enough-9")
    stranger = actor_for_post(Post.objects.create(user=user, role="county_officer", area_id=other.code))
    with pytest.raises(NotFound):
        referrals.save_agency(actor=stranger, agency_id=agency.pk, kind="housing", name="改名")
    with pytest.raises(NotFound):
        referrals.retire_agency(actor=stranger, agency_id=agency.pk)
    assert not referrals.agencies_for(stranger).exists()


# ---------------------------------------------------------------------------------------------
# Referring, deadlines, overdue
# ---------------------------------------------------------------------------------------------
def test_referral_deadline_counts_working_days_across_the_national_day_and_turns_overdue(posts, catalogue, clock,
                                                                                        poor_household):
    clock.day = dt.date(2025, 9, 26)                      # Friday; 1–8 October is the holiday
    lead = open_lead_for(posts.worker, poor_household)
    made = referrals.refer_lead(posts.worker, lead.pk, [catalogue["education"].pk, catalogue["employment"].pk],
                                "孩子上学费用困难；家长失业")
    education, employment = made
    assert education.due_on == add_working_days(dt.date(2025, 9, 26), 5) == dt.date(2025, 10, 10)
    assert employment.due_on == add_working_days(dt.date(2025, 9, 26), 3) == dt.date(2025, 9, 30)
    assert education.kind == "education" and education.household_id == poor_household.pk
    lead.refresh_from_db()
    assert lead.status == LeadStatus.REFERRED and lead.ended_by_id == posts.worker.user_id and lead.ended_at
    assert LeadEvent.objects.filter(lead=lead, kind="referred").count() == 1
    assert AuditEvent.objects.filter(action="discovery.refer").count() == 2
    assert AuditEvent.objects.filter(action="discovery.refer_lead").count() == 1

    assert referrals.referral_counts(posts.worker, dt.date(2025, 9, 30))["overdue"] == 0     # due that day
    assert referrals.referral_counts(posts.worker, dt.date(2025, 10, 1))["overdue"] == 1
    overdue = list(referrals.referrals_in_scope(posts.worker, state="overdue", on=dt.date(2025, 10, 11)))
    assert [r.pk for r in overdue] == [employment.pk, education.pk]
    referrals.record_referral_answer(actor=posts.worker, referral_id=employment.pk, answer="in_progress",
                                     note="已登记求职")
    assert Referral.objects.get(pk=employment.pk).answered_on == clock.day
    counts = referrals.referral_counts(posts.worker, dt.date(2025, 10, 11))
    assert (counts["overdue"], counts["in_progress"]) == (1, 1)
    assert [r.pk for r in referrals.referrals_in_scope(posts.worker, agency_id=catalogue["education"].pk)] == [education.pk]
    assert not referrals.referral_counts(posts.other_worker, dt.date(2025, 10, 11))["overdue"]


def test_a_second_open_referral_of_one_kind_is_refused(posts, catalogue, clock, poor_household):
    lead = open_lead_for(posts.worker, poor_household)
    [first] = referrals.refer_lead(posts.worker, lead.pk, [catalogue["education"].pk], "学费")
    second = open_lead_for(posts.worker, poor_household, cause="job_loss")
    other_education = referrals.save_agency(actor=posts.officer, kind="education", name="县教育基金会")
    with pytest.raises(Conflict) as err:
        referrals.refer_lead(posts.worker, second.pk, [catalogue["housing"].pk, other_education.pk], "又来")
    assert err.value.code == "already_referred" and first.number in err.value.message
    second.refresh_from_db()
    assert second.is_open and Referral.objects.count() == 1              # nothing half-written
    with pytest.raises(ValidationError):                                 # two of one kind in one go
        referrals.refer_lead(posts.worker, second.pk, [catalogue["education"].pk, other_education.pk], "学费")
    referrals.record_referral_answer(actor=posts.worker, referral_id=first.pk, answer="in_progress")
    with pytest.raises(Conflict):                                        # in progress is still open
        referrals.refer_lead(posts.worker, second.pk, [other_education.pk], "学费")
    referrals.record_referral_answer(actor=posts.worker, referral_id=first.pk, answer="declined", note="不符合条件")
    [again] = referrals.refer_lead(posts.worker, second.pk, [other_education.pk], "学费，教育局不符合条件")
    assert again.status == ReferralStatus.SENT
    with pytest.raises(Conflict):                                        # settled: no answer again
        referrals.record_referral_answer(actor=posts.worker, referral_id=first.pk, answer="helped")
    with pytest.raises(ValidationError):                                 # a refusal says why
        referrals.record_referral_answer(actor=posts.worker, referral_id=again.pk, answer="not_theirs")
    referrals.record_referral_answer(actor=posts.worker, referral_id=again.pk, answer="in_progress")
    withdrawn = referrals.withdraw_referral(actor=posts.worker, referral_id=again.pk, reason="家庭已自行解决")
    assert withdrawn.status == ReferralStatus.WITHDRAWN and not withdrawn.is_open
    assert "education" not in referrals.open_referral_kinds(household_id=poor_household.pk)
    with pytest.raises(Conflict):
        referrals.withdraw_referral(actor=posts.worker, referral_id=again.pk, reason="再撤")


def test_retired_or_unknown_agencies_and_ended_leads_are_refused(posts, catalogue, clock, poor_household):
    lead = open_lead_for(posts.worker, poor_household)
    referrals.retire_agency(actor=posts.officer, agency_id=catalogue["charity"].pk)
    for ids in ([], [catalogue["charity"].pk], [999999], ["x"]):
        with pytest.raises(ValidationError) as err:
            referrals.refer_lead(posts.worker, lead.pk, ids, "需要")
        assert err.value.field == "agencies"
    with pytest.raises(ValidationError):
        referrals.refer_lead(posts.worker, lead.pk, [catalogue["housing"].pk], "  ")
    services.close_lead(actor=posts.worker, lead_id=lead.pk, reason="not_in_need")
    with pytest.raises(Conflict):
        referrals.refer_lead(posts.worker, lead.pk, [catalogue["housing"].pk], "住房")


def test_referral_writes_are_denied_outside_the_town_and_to_the_wrong_role(posts, catalogue, clock, poor_household, grid):
    lead = open_lead_for(posts.worker, poor_household)
    for actor, error in ((posts.other_worker, NotFound), (grid, PermissionDenied), (posts.cadre, PermissionDenied),
                         (posts.county_leader, PermissionDenied), (posts.inspector, PermissionDenied)):
        with pytest.raises(error):
            referrals.refer_lead(actor, lead.pk, [catalogue["housing"].pk], "住房")
    [r] = referrals.refer_lead(posts.worker, lead.pk, [catalogue["housing"].pk], "住房漏雨")
    for actor, error in ((posts.other_worker, NotFound), (grid, PermissionDenied), (posts.inspector, PermissionDenied)):
        with pytest.raises(error):
            referrals.record_referral_answer(actor=actor, referral_id=r.pk, answer="helped")
        with pytest.raises(error):
            referrals.withdraw_referral(actor=actor, referral_id=r.pk, reason="错了")
    with pytest.raises(NotFound):
        referrals.get_referral(posts.other_worker, r.pk)
    assert referrals.get_referral(grid, r.pk).pk == r.pk             # the grid worker reads his village's
    # The county works what climbed to it: it may answer.
    assert referrals.record_referral_answer(actor=posts.officer, referral_id=r.pk, answer="helped").answer == "helped"


# ---------------------------------------------------------------------------------------------
# One door
# ---------------------------------------------------------------------------------------------
def window(actor, household=None, **fields):
    base = dict(source="walk_in", cause="illness", need="住院费用负担重", route="close", close_reason="other",
                close_note="已告知医疗救助政策")
    if household is not None:
        base["household_id"] = household.pk
    return referrals.take_at_window(actor, referrals.WindowIntake(**(base | fields)))


def test_window_for_a_household_with_an_open_lead_joins_it(posts, catalogue, clock, poor_household, grid):
    reported = services.file_grid_report(grid, key=uuid.uuid4(), cause="illness", household_id=poor_household.pk)
    lead = reported.report.lead
    result = window(posts.worker, poor_household, source="phone", cause="job_loss", route="refer",
                    agency_ids=[catalogue["employment"].pk], need="丈夫失业，想找工作")
    assert result.joined and result.lead.pk == lead.pk
    assert Lead.objects.filter(household=poor_household).count() == 1
    lead.refresh_from_db()
    assert lead.status == LeadStatus.REFERRED and "job_loss" in lead.causes
    assert [r.agency_id for r in result.referrals] == [catalogue["employment"].pk]


def test_window_routes_to_an_application_through_the_cases_intake(posts, catalogue, clock, poor_household, standards):
    result = window(posts.worker, poor_household, route="apply", program_code="dibao",
                    applicant_id=poor_household.head_id, need="收入低 申请低保", accept=True)
    from safetynet.cases.models import Case

    case = Case.objects.get(pk=result.case_id)
    assert (case.channel, case.reason, case.status, case.household_id) == ("from_lead", "收入低 申请低保", "accepted",
                                                                          poor_household.pk)
    assert result.lead.status == LeadStatus.APPLIED and result.lead.case_id == case.pk
    assert result.lead.source == "walk_in" and result.lead.acknowledged_at is not None
    # The cases' own intake refuses a second open dibao application: the lead is kept open and named.
    with pytest.raises(Conflict) as err:
        window(posts.worker, poor_household, route="apply", program_code="dibao", applicant_id=poor_household.head_id)
    assert "L" in err.value.message and err.value.details["lead"]
    kept = Lead.objects.get(pk=err.value.details["lead"])
    assert kept.is_open and kept.acknowledged_at is not None


def test_window_closes_with_a_reason_and_takes_a_person_not_registered(posts, catalogue, clock, village):
    closed = window(posts.worker, name="赵六", area_code=village.code, address="村东头", phone="13912345678")
    assert closed.lead.status == LeadStatus.CLOSED and closed.lead.close_note == "已告知医疗救助政策"
    assert closed.lead.household_id is None and closed.lead.phone == "13912345678"
    referred = window(posts.worker, name="赵六", area_code=village.code, address="村东头", route="refer",
                      agency_ids=[catalogue["charity"].pk])
    assert referred.referrals[0].name == "赵六" and referred.referrals[0].household_id is None
    with pytest.raises(Conflict):                                   # the same person, the same kind, still open
        window(posts.worker, name="赵六", area_code=village.code, address="村东头", route="refer",
               agency_ids=[catalogue["charity"].pk])


def test_a_failed_window_submit_opens_nothing(posts, catalogue, clock, poor_household, village):
    failures = [dict(route="refer", agency_ids=[]), dict(route="apply"), dict(route="apply", program_code="dibao"),
                dict(route="close", close_reason=""), dict(route="close", close_reason="other", close_note=""),
                dict(route="teleport"), dict(need=" "), dict(phone="12"), dict(source="grid_report")]
    for fields in failures:
        with pytest.raises(ValidationError):
            window(posts.worker, poor_household, **fields)
    with pytest.raises(ValidationError):
        window(posts.worker, name="钱七", area_code=village.code, address="", route="close")   # no address
    with pytest.raises(ValidationError):
        window(posts.worker, name="钱七", area_code=village.code, address="西街", route="apply", program_code="dibao")
    assert not Lead.objects.exists()


def test_window_is_denied_outside_the_town_and_to_the_wrong_role(posts, catalogue, clock, poor_household, grid,
                                                                  other_village):
    with pytest.raises(NotFound):
        window(posts.other_worker, poor_household)
    with pytest.raises(NotFound):
        window(posts.worker, name="孙八", area_code=other_village.code, address="外镇")
    for actor in (grid, posts.cadre, posts.inspector, posts.county_leader):
        with pytest.raises(PermissionDenied):
            window(actor, poor_household)
    assert not Lead.objects.exists()


# ---------------------------------------------------------------------------------------------
# The assistance chain
# ---------------------------------------------------------------------------------------------
def test_the_chain_holds_cases_enrollments_referrals_and_leads_in_date_order(posts, catalogue, clock, standards, grid,
                                                                             village):
    household = make_poor_household(posts.worker, village.code)
    case = walk(posts, household, clock, to="confirmed")
    clock.advance(2)
    lead = open_lead_for(posts.worker, household, cause="job_loss")
    [r] = referrals.refer_lead(posts.worker, lead.pk, [catalogue["employment"].pk], "丈夫失业")
    clock.advance(1)
    later = open_lead_for(posts.worker, household, cause="illness")
    chain = referral_chain.assistance_chain(posts.worker, household.pk)
    kinds = [e.kind for e in chain.entries]
    assert sorted(kinds) == ["case", "enrollment", "lead", "lead", "referral"] and kinds[0] == "case"
    assert [e.on for e in chain.entries] == sorted(e.on for e in chain.entries)
    case_row = chain.entries[0]
    assert case_row.id == case.pk and "approved" in case_row.detail and not case_row.open_need
    assert [e.help_kind for e in chain.entries if e.kind == "enrollment"] == ["program:dibao"]
    assert {e.id for e in chain.entries if e.open_need} == {r.pk, later.pk}      # waiting referral, unrouted lead
    assert chain.open_needs == 2 and chain.twice == []
    referrals.record_referral_answer(actor=posts.worker, referral_id=r.pk, answer="declined", note="名额已满")
    chain = referral_chain.assistance_chain(posts.worker, household.pk)
    assert [e.open_need for e in chain.entries if e.kind == "referral"] == [True]   # declined, nothing followed
    # Two helps of one kind at once (planted: an open dibao case beside the live enrollment).
    from safetynet.cases.models import Case

    Case.objects.filter(pk=case.pk).update(is_open=True)
    chain = referral_chain.assistance_chain(posts.worker, household.pk)
    assert chain.twice and {e.kind for e in chain.entries if e.twice} == {"case", "enrollment"}
    # The grid worker reads the chain without applications and enrollments; another town: 404.
    grid_chain = referral_chain.assistance_chain(grid, household.pk)
    assert {e.kind for e in grid_chain.entries} == {"lead", "referral"} and not grid_chain.shows_cases
    with pytest.raises(NotFound):
        referral_chain.assistance_chain(posts.other_worker, household.pk)
    with pytest.raises(PermissionDenied):
        referral_chain.assistance_chain(dataclasses.replace(posts.worker, permissions=frozenset()), household.pk)


# ---------------------------------------------------------------------------------------------
# The API
# ---------------------------------------------------------------------------------------------
def test_api_catalogue_referrals_window_and_chain(api, posts, clock, poor_household, grid):
    client = api(posts.officer)
    made = client.post("/api/v1/discovery/agencies", {"kind": "housing", "name": "县住建局", "phone": "0311-88023456"},
                       content_type="application/json")
    assert made.status_code == 201 and made.json()["answer_days"] == 10
    agency_id = made.json()["id"]
    assert client.post("/api/v1/discovery/agencies", {"kind": "housing", "name": "", "x": 1},
                       content_type="application/json").status_code == 422
    assert client.put(f"/api/v1/discovery/agencies/{agency_id}", {"kind": "housing", "name": "县住房和城乡建设局",
                      "answer_days": 15}, content_type="application/json").json()["answer_days"] == 15
    client = api(posts.worker)
    assert client.post("/api/v1/discovery/agencies", {"kind": "charity", "name": "某会"},
                       content_type="application/json").status_code == 403
    assert client.put(f"/api/v1/discovery/agencies/{agency_id}", {"kind": "charity", "name": "某会"},
                      content_type="application/json").status_code == 403
    assert client.get("/api/v1/discovery/agencies").json()["count"] == 1

    taken = client.post("/api/v1/discovery/window", {
        "source": "phone", "cause": "disaster", "need": "房屋被暴雨冲坏", "route": "refer", "household": poor_household.pk,
        "agencies": [agency_id]}, content_type="application/json")
    assert taken.status_code == 201, taken.json()
    body = taken.json()
    assert body["lead_status"] == "referred" and body["referrals"][0]["due_on"] == str(add_working_days(clock.day, 15))
    rid = body["referrals"][0]["id"]
    listed = client.get("/api/v1/discovery/referrals?state=open").json()
    assert listed["count"] == 1 and listed["overdue"] == 0
    assert api(posts.other_worker).post(f"/api/v1/discovery/referrals/{rid}/answer", {"answer": "helped"},
                                        content_type="application/json").status_code == 404
    assert api(grid).post(f"/api/v1/discovery/referrals/{rid}/withdraw", {"reason": "错"},
                          content_type="application/json").status_code == 403
    client = api(posts.worker)
    answered = client.post(f"/api/v1/discovery/referrals/{rid}/answer", {"answer": "helped", "note": "已维修"},
                           content_type="application/json")
    assert answered.status_code == 200 and answered.json()["answer"] == "helped"
    assert client.post(f"/api/v1/discovery/referrals/{rid}/withdraw", {"reason": "晚了"},
                       content_type="application/json").status_code == 409

    lead = open_lead_for(posts.worker, poor_household)
    assert client.post(f"/api/v1/discovery/leads/{lead.pk}/referrals", {"agencies": [agency_id], "need": "再修"},
                       content_type="application/json").status_code == 201
    lead2 = open_lead_for(posts.worker, poor_household)
    assert client.post(f"/api/v1/discovery/leads/{lead2.pk}/referrals", {"agencies": [agency_id], "need": "第三次"},
                       content_type="application/json").status_code == 409
    assert api(posts.other_worker).post(f"/api/v1/discovery/leads/{lead2.pk}/referrals", {"agencies": [agency_id],
                                        "need": "x"}, content_type="application/json").status_code == 404
    assert api(grid).post("/api/v1/discovery/window", {"source": "walk_in", "cause": "illness", "need": "x",
                          "route": "close", "close_reason": "not_in_need", "household": poor_household.pk},
                          content_type="application/json").status_code == 403
    assert api(posts.other_worker).post("/api/v1/discovery/window", {
        "source": "walk_in", "cause": "illness", "need": "x", "route": "close", "close_reason": "not_in_need",
        "household": poor_household.pk}, content_type="application/json").status_code == 404

    chain = api(posts.worker).get(f"/api/v1/discovery/households/{poor_household.pk}/chain")
    assert chain.status_code == 200 and [e["kind"] for e in chain.json()["entries"]].count("referral") == 2
    assert api(posts.other_worker).get(f"/api/v1/discovery/households/{poor_household.pk}/chain").status_code == 404


# ---------------------------------------------------------------------------------------------
# The pages
# ---------------------------------------------------------------------------------------------
def test_pages_take_a_walk_in_and_show_the_chain(client, posts, catalogue, clock, poor_household, grid):
    from tests.conftest import force_login

    force_login(client, posts.worker)
    assert client.get("/discovery/agencies/").status_code == 200
    assert client.get("/discovery/agencies/new/").status_code == 403
    page = client.get(f"/discovery/window/?q={poor_household.head.name}")
    assert page.status_code == 200 and f"?household={poor_household.pk}" in page.content.decode()
    form = {"source": "walk_in", "household": poor_household.pk, "cause": "illness", "need": "女儿上学没钱",
            "route": "refer", "agencies": [catalogue["education"].pk]}
    failed = client.post("/discovery/window/", form | {"need": ""})
    assert failed.status_code == 422 and not Lead.objects.exists()
    assert catalogue["education"].name in failed.content.decode()
    done = client.post("/discovery/window/", form)
    assert done.status_code == 302 and Referral.objects.count() == 1
    r = Referral.objects.get()
    assert client.get("/discovery/referrals/?state=all").status_code == 200
    detail = client.post(f"/discovery/referrals/{r.pk}/", {"action": "answer", "answer": "declined", "note": ""})
    assert detail.status_code == 422
    assert client.post(f"/discovery/referrals/{r.pk}/", {"action": "answer", "answer": "helped"}).status_code == 302
    chain = client.get(f"/discovery/households/{poor_household.pk}/chain/")
    assert chain.status_code == 200 and catalogue["education"].name in chain.content.decode()
    household_page = client.get(f"/registry/households/{poor_household.pk}/")
    assert f"/discovery/households/{poor_household.pk}/chain/" in household_page.content.decode()

    lead = open_lead_for(posts.worker, poor_household)
    assert client.get(f"/discovery/leads/{lead.pk}/refer/").status_code == 200
    assert client.post(f"/discovery/leads/{lead.pk}/refer/", {"agencies": [catalogue["housing"].pk],
                                                               "need": "房子漏雨"}).status_code == 302

    force_login(client, posts.other_worker)
    assert client.get(f"/discovery/households/{poor_household.pk}/chain/").status_code == 404
    assert client.get(f"/discovery/referrals/{r.pk}/").status_code == 404
    assert client.post(f"/discovery/leads/{lead.pk}/refer/", {"agencies": [catalogue["housing"].pk]}).status_code == 404
    assert client.post("/discovery/window/", form).status_code == 404
    force_login(client, grid)
    assert client.get("/discovery/window/").status_code == 403
    assert client.post(f"/discovery/referrals/{r.pk}/", {"action": "withdraw", "reason": "x"}).status_code in (403, 409)
    force_login(client, posts.officer)
    assert client.post("/discovery/agencies/new/", {"kind": "other", "name": "", "answer_days": "5"}).status_code == 422
    assert client.post("/discovery/agencies/new/", {"kind": "other", "name": "县红十字会",
                                                    "answer_days": "5"}).status_code == 302
    assert client.post(f"/discovery/agencies/{catalogue['housing'].pk}/retire/").status_code == 302
