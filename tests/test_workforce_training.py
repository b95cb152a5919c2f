"""Training and mentoring (issue 19 part 1): courses, sessions, attendance recorded for a list of
staff (each bad row refused with its reason, nobody credited twice), hours against the
`training_hours_<employment>` parameter, who is behind per town, mentoring rules, the county
overview's figures; town denial (404) and role denial (403) on every write page and API op."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.core.models import AuditEvent
from safetynet.core.unitofwork import AT_ONCE
from safetynet.programs.services import set_parameter
from safetynet.workforce import mentoring, training
from safetynet.workforce.clock import today
from safetynet.workforce.overview import staff_at_a_glance
from safetynet.workforce.services import end_staff_identity, record_qualification, register_staff_identity
from safetynet.workforce.standing import training_standing
from safetynet.workforce.training_models import MentoringPair, TrainingAttendance
from safetynet.workforce.training_rules import hours_due, months_counted, standing_of
from tests.cases_helpers import new_id
from tests.conftest import COUNTY, OTHER_TOWN, TOWN, force_login

LAST_YEAR = today().year - 1


def _staff(actor, area=TOWN, kind="town_staff", name="甲", **more):
    return register_staff_identity(actor=actor, name=name, id_number=new_id(), area_code=area, kind=kind, **more)


@pytest.fixture
def course(officer):
    return training.create_course(actor=officer, area_code=COUNTY, title="社会救助政策", hours="8",
                                  employments=["civil_servant", "contracted_assistant"], topic="低保审核确认")


@pytest.fixture
def session(worker, course):
    return training.schedule_session(actor=worker, course_id=course.pk, area_code=TOWN, held_on=f"{LAST_YEAR}-03-10",
                                     place="镇政府会议室", trainer="县民政局")


# ---- rules ------------------------------------------------------------------------------------

def test_hours_due_spread_over_the_months_from_joining():
    assert months_counted(2025, None, dt.date(2025, 6, 15)) == 6
    assert months_counted(2025, dt.date(2025, 10, 3), dt.date(2025, 12, 31)) == 3
    assert months_counted(2025, dt.date(2026, 1, 1), dt.date(2025, 12, 31)) == 0
    assert hours_due(40, 2025, None, dt.date(2025, 12, 31)) == Decimal("40.0")
    assert hours_due(40, 2025, None, dt.date(2025, 6, 1)) == Decimal("20.0")
    assert hours_due(16, 2025, dt.date(2025, 10, 1), dt.date(2025, 12, 31)) == Decimal("4.0")
    s = standing_of(40, Decimal("12"), 2025, None, dt.date(2025, 6, 30))
    assert (s.required_year, s.due, s.done, s.behind, s.short) == (Decimal("40.0"), Decimal("20.0"), Decimal("12.0"), True,
                                                                  Decimal("8.0"))
    assert not standing_of(40, Decimal("40"), 2024, None, dt.date(2025, 2, 1)).behind
    assert standing_of(40, Decimal("0"), 2030, None, dt.date(2025, 2, 1)).due == Decimal("0.0")    # nothing due yet


# ---- courses and sessions ---------------------------------------------------------------------

def test_course_and_session_checks(officer, worker, course):
    assert course.employment_list == ["civil_servant", "contracted_assistant"] and course.hours == Decimal("8.0")
    for more, field in [({"hours": "7.25"}, "hours"), ({"hours": "0"}, "hours"), ({"hours": "201"}, "hours"),
                        ({"employments": []}, "employments"), ({"employments": ["mayor"]}, "employments"),
                        ({"title": ""}, "title"), ({"area_code": TOWN + "001"}, "area")]:
        args = {"area_code": COUNTY, "title": "课", "hours": "2", "employments": ["grid_worker"], **more}
        with pytest.raises(ValidationError) as error:
            training.create_course(actor=officer, **args)
        assert error.value.field == field, more
    with pytest.raises(NotFound):          # a town does not create a course for the county
        training.create_course(actor=worker, area_code=COUNTY, title="课", hours="2", employments=["grid_worker"])
    with pytest.raises(NotFound):          # nor schedules in another town
        training.schedule_session(actor=worker, course_id=course.pk, area_code=OTHER_TOWN, held_on="2025-01-01")
    town_course = training.create_course(actor=worker, area_code=TOWN, title="入户调查", hours="4", employments=["village_cadre"])
    with pytest.raises(ValidationError) as error:   # a town's course is not held for the county
        training.schedule_session(actor=officer, course_id=town_course.pk, area_code=COUNTY, held_on="2025-01-01")
    assert error.value.field == "area"


def test_attendance_records_a_list_and_refuses_bad_rows_with_reasons(worker, officer, course, session, village):
    a, b = _staff(worker, name="甲"), _staff(worker, name="乙", employment="contracted_assistant")
    cadre = _staff(worker, area=village.code, kind="village_committee", name="村丙")
    left = _staff(worker, name="丁")
    end_staff_identity(actor=worker, identity_id=left.pk)
    elsewhere = _staff(officer, area=OTHER_TOWN, name="外戊")
    late = _staff(worker, name="己", joined_on=f"{LAST_YEAR}-06-01")
    results = training.record_session_attendance(actor=worker, session_id=session.pk,
                                                 staff_ids=[a.pk, b.pk, a.pk, cadre.pk, left.pk, elsewhere.pk, late.pk, 999999])
    codes = [(r.staff_identity_id, r.ok, r.code) for r in results]
    assert codes == [(a.pk, True, ""), (b.pk, True, ""), (a.pk, False, "duplicate"), (cadre.pk, False, "not_for_employment"),
                     (left.pk, False, "inactive"), (elsewhere.pk, False, "not_found"), (late.pk, False, "joined_after"),
                     (999999, False, "not_found")]
    assert all(r.message for r in results if not r.ok)
    assert TrainingAttendance.objects.filter(session=session).count() == 2
    assert set(TrainingAttendance.objects.values_list("hours", flat=True)) == {Decimal("8.0")}
    event = AuditEvent.objects.get(action="workforce.record_attendance")
    assert event.after["staff_identities"] == [a.pk, b.pk] and event.after["refused"][str(cadre.pk)] == "not_for_employment"
    again = training.record_session_attendance(actor=worker, session_id=session.pk, staff_ids=[a.pk])
    assert not again[0].ok and again[0].code == "duplicate" and "already recorded" in again[0].message
    assert TrainingAttendance.objects.filter(session=session).count() == 2


def test_attendance_outside_the_sessions_area_and_the_hours_limit(officer, worker, course):
    county_session = training.schedule_session(actor=officer, course_id=course.pk, area_code=TOWN,
                                               held_on=f"{LAST_YEAR}-04-01")
    other = _staff(officer, area=OTHER_TOWN, name="外")
    [r] = training.record_session_attendance(actor=officer, session_id=county_session.pk, staff_ids=[other.pk])
    assert not r.ok and r.code == "outside_session_area"
    with pytest.raises(ValidationError) as error:
        training.record_session_attendance(actor=officer, session_id=county_session.pk, staff_ids=[other.pk], hours="8.5")
    assert error.value.field == "hours"
    with pytest.raises(ValidationError):
        training.record_session_attendance(actor=officer, session_id=county_session.pk, staff_ids=[])
    planned = training.schedule_session(actor=officer, course_id=course.pk, area_code=COUNTY,
                                        held_on=today() + dt.timedelta(days=10))
    with pytest.raises(ValidationError) as error:
        training.record_session_attendance(actor=officer, session_id=planned.pk, staff_ids=[other.pk])
    assert error.value.code == "not_held_yet"
    with pytest.raises(NotFound):           # the county's session: a town reads it, writes nothing on it
        training.record_session_attendance(actor=worker, session_id=planned.pk, staff_ids=[other.pk])
    part = training.record_session_attendance(actor=officer, session_id=county_session.pk,
                                              staff_ids=[_staff(officer, name="半").pk], hours="3.5")
    assert part[0].ok and TrainingAttendance.objects.get(pk=part[0].attendance_id).hours == Decimal("3.5")


def test_record_attendance_writes_through_the_callers_transaction(worker, session):
    from django.db import transaction

    a = _staff(worker)
    with transaction.atomic():
        [r] = training.record_attendance(AT_ONCE, worker, session_id=session.pk, staff_ids=[a.pk])
    assert r.ok and TrainingAttendance.objects.filter(staff_identity=a).exists()


# ---- standing ---------------------------------------------------------------------------------

def test_hours_against_the_parameter_and_behind_per_town(officer, worker, course, session):
    done = _staff(worker, name="够")
    short = _staff(worker, name="缺")
    other = _staff(officer, area=OTHER_TOWN, name="外镇")
    unstated = register_staff_identity(actor=officer, name="未定", id_number=new_id(), area_code=OTHER_TOWN, kind="town_staff")
    type(unstated).objects.filter(pk=unstated.pk).update(employment="")
    second = training.schedule_session(actor=worker, course_id=course.pk, area_code=TOWN, held_on=f"{LAST_YEAR}-09-01")
    training.record_session_attendance(actor=worker, session_id=session.pk, staff_ids=[done.pk, short.pk])
    training.record_session_attendance(actor=worker, session_id=second.pk, staff_ids=[done.pk])
    # The county asks 16 hours of its civil servants (the catalogue's 40 otherwise).
    standing = training_standing(officer, LAST_YEAR)
    people = {p.name: p.standing for p in standing.people}
    assert people["够"].required_year == Decimal("40.0") and people["够"].done == Decimal("16.0") and people["够"].behind
    assert people["外镇"].done == Decimal("0.0") and people["未定"] is None
    set_parameter(actor=_superuser(), program_code="workforce", key="training_hours_civil_servant", area_code=COUNTY,
                  value="16", effective_from=dt.date(LAST_YEAR, 1, 1), reason="县定")
    standing = training_standing(officer, LAST_YEAR)
    people = {p.name: p.standing for p in standing.people}
    assert (people["够"].required_year, people["够"].behind) == (Decimal("16.0"), False)
    assert (people["缺"].due, people["缺"].done, people["缺"].short) == (Decimal("16.0"), Decimal("8.0"), Decimal("8.0"))
    towns = {t.code: t for t in standing.towns}
    assert (towns[TOWN].staff, towns[TOWN].behind, towns[TOWN].percent_behind) == (2, 1, Decimal("50.0"))
    assert (towns[OTHER_TOWN].staff, towns[OTHER_TOWN].behind, towns[OTHER_TOWN].unstated) == (2, 1, 1)
    assert towns[OTHER_TOWN].percent_behind == Decimal("100.0")
    assert [p.name for p in training_standing(worker, LAST_YEAR).people] == ["够", "缺"]       # the town's own
    assert [p.name for p in training_standing(officer, LAST_YEAR, town=TOWN).behind] == ["缺"]
    glance = staff_at_a_glance(officer, COUNTY, LAST_YEAR)
    assert glance["staff"] == 4 and glance["training_behind"] == 2 and glance["training_unstated"] == 1
    assert glance["training_behind_percent"] == Decimal("66.7") and glance["by_employment"]["civil_servant"] == 3
    assert glance["by_town"][TOWN]["staff"] == 2 and glance["full_time_equivalent"] == Decimal("4.00")
    with pytest.raises(NotFound):
        staff_at_a_glance(worker, COUNTY, LAST_YEAR)


def _superuser():
    from safetynet.areas.actors import system_actor

    return system_actor()


def test_the_behind_page_and_api(client, api, officer, worker, session):
    short = _staff(worker, name="缺课")
    training.record_session_attendance(actor=worker, session_id=session.pk, staff_ids=[short.pk])
    force_login(client, officer)
    page = client.get("/workforce/training/behind/", {"year": LAST_YEAR})
    body = page.content.decode()
    assert page.status_code == 200 and "缺课" in body and 'id="training-chart-data"' in body
    assert client.get("/workforce/training/behind/", {"year": LAST_YEAR, "town": OTHER_TOWN}).status_code == 200
    answer = api(officer).get("/api/v1/workforce/training-standing", {"year": LAST_YEAR, "behind_only": True}).json()
    assert [p["name"] for p in answer["items"]] == ["缺课"] and answer["items"][0]["short"] == "32.0"
    force_login(client, worker)
    assert client.get("/workforce/training/behind/", {"town": OTHER_TOWN}).status_code == 404
    assert api(worker).get("/api/v1/workforce/training-standing", {"town": OTHER_TOWN}).status_code == 404


# ---- mentoring --------------------------------------------------------------------------------

def test_mentoring_rules(worker, officer):
    senior = _staff(worker, name="老", joined_on="2010-01-01")
    junior = _staff(worker, name="新", joined_on="2024-03-01")
    peer = _staff(worker, name="同", joined_on="2023-06-01")
    unknown = _staff(worker, name="未知")
    with pytest.raises(ValidationError) as error:
        mentoring.start_mentoring(actor=worker, mentor_id=senior.pk, mentee_id=senior.pk, started_on="2024-04-01")
    assert error.value.field == "mentee"
    with pytest.raises(ValidationError) as error:      # joined less than a year before
        mentoring.start_mentoring(actor=worker, mentor_id=peer.pk, mentee_id=junior.pk, started_on="2024-04-01")
    assert error.value.field == "mentor" and "more experienced" in error.value.message
    with pytest.raises(ValidationError):               # the day joined not known, no qualification
        mentoring.start_mentoring(actor=worker, mentor_id=unknown.pk, mentee_id=junior.pk, started_on="2024-04-01")
    pair = mentoring.start_mentoring(actor=worker, mentor_id=senior.pk, mentee_id=junior.pk, started_on="2024-04-01",
                                     goal="熟悉入户调查")
    assert pair.area_id == TOWN and AuditEvent.objects.filter(action="workforce.start_mentoring").exists()
    record_qualification(actor=worker, staff_identity_id=unknown.pk, name="社会工作者职业资格", obtained_on="2020-01-01")
    with pytest.raises(Conflict) as error:             # one active mentor at a time
        mentoring.start_mentoring(actor=worker, mentor_id=unknown.pk, mentee_id=junior.pk, started_on="2024-05-01")
    assert "老" in error.value.message
    mentoring.start_mentoring(actor=worker, mentor_id=unknown.pk, mentee_id=peer.pk, started_on="2024-05-01")  # qualified
    with pytest.raises(ValidationError):
        mentoring.end_mentoring(actor=worker, pair_id=pair.pk, ended_on="2024-03-01")
    mentoring.end_mentoring(actor=worker, pair_id=pair.pk, ended_on="2024-12-01", note="已能独立入户")
    with pytest.raises(Conflict):
        mentoring.end_mentoring(actor=worker, pair_id=pair.pk, ended_on="2024-12-02")
    mentoring.start_mentoring(actor=worker, mentor_id=unknown.pk, mentee_id=junior.pk, started_on="2024-12-02")
    assert MentoringPair.objects.filter(ended_on__isnull=True).count() == 2
    future = today() + dt.timedelta(days=3)
    with pytest.raises(ValidationError):
        mentoring.start_mentoring(actor=worker, mentor_id=senior.pk, mentee_id=_staff(worker, name="将").pk, started_on=future)


def test_mentoring_scope_and_role(worker, officer, make_actor):
    senior = _staff(worker, name="老", joined_on="2010-01-01")
    junior = _staff(worker, name="新", joined_on="2024-03-01")
    stranger = _staff(officer, area=OTHER_TOWN, name="外", joined_on="2024-03-01")
    with pytest.raises(NotFound):
        mentoring.start_mentoring(actor=worker, mentor_id=senior.pk, mentee_id=stranger.pk, started_on="2024-04-01")
    with pytest.raises(NotFound):
        mentoring.start_mentoring(actor=worker, mentor_id=senior.pk, mentee_id=junior.pk, started_on="2024-04-01",
                                  area_code=OTHER_TOWN)
    with pytest.raises(ValidationError):               # the county pairs across towns only at the county
        mentoring.start_mentoring(actor=officer, mentor_id=senior.pk, mentee_id=stranger.pk, started_on="2024-04-01")
    assert mentoring.start_mentoring(actor=officer, mentor_id=senior.pk, mentee_id=stranger.pk, started_on="2024-04-01",
                                     area_code=COUNTY).area_id == COUNTY
    with pytest.raises(PermissionDenied):
        mentoring.start_mentoring(actor=make_actor("town_leader", TOWN), mentor_id=senior.pk, mentee_id=junior.pk,
                                  started_on="2024-04-01")


# ---- pages and API: success and denial on every write -----------------------------------------

def test_training_pages_walk(client, worker, course, session):
    a = _staff(worker, name="页甲")
    force_login(client, worker)
    assert client.get("/workforce/training/courses/").status_code == 200
    assert "社会救助政策" in client.get(f"/workforce/training/courses/{course.pk}/").content.decode()
    page = client.get(f"/workforce/training/sessions/{session.pk}/").content.decode()
    assert "页甲" in page                                  # offered to tick
    done = client.post(f"/workforce/training/sessions/{session.pk}/attendance/", {"staff": [a.pk]})
    assert done.status_code == 302 and TrainingAttendance.objects.filter(staff_identity=a).exists()
    twice = client.post(f"/workforce/training/sessions/{session.pk}/attendance/", {"staff": [a.pk]})
    assert twice.status_code == 422 and 'data-testid="refused"' in twice.content.decode()
    made = client.post("/workforce/training/courses/new/", {"area": TOWN, "title": "镇课", "hours": "2",
                                                            "employments": ["village_cadre"]})
    assert made.status_code == 302
    bad = client.post(f"/workforce/training/courses/{course.pk}/sessions/", {"area": TOWN, "held_on": "昨天"})
    assert bad.status_code == 422
    assert client.get("/workforce/mentoring/").status_code == 200
    assert client.get("/workforce/staff/%d/" % a.pk).status_code == 200


def test_training_writes_refused_by_role_403_and_by_town_404(client, api, officer, worker, make_actor, course, session):
    a = _staff(worker, joined_on="2010-01-01")
    b = _staff(worker, name="乙", joined_on="2024-01-01")
    pair = mentoring.start_mentoring(actor=worker, mentor_id=a.pk, mentee_id=b.pk, started_on="2024-02-01")
    leader = make_actor("town_leader", TOWN)
    force_login(client, leader)
    assert client.get(f"/workforce/training/sessions/{session.pk}/").status_code == 200
    writes = [("/workforce/training/courses/new/", {"area": TOWN, "title": "课", "hours": "1", "employments": ["grid_worker"]}),
              (f"/workforce/training/courses/{course.pk}/sessions/", {"area": TOWN, "held_on": "2025-01-01"}),
              (f"/workforce/training/sessions/{session.pk}/attendance/", {"staff": [a.pk]}),
              ("/workforce/mentoring/new/", {"mentor": a.pk, "mentee": b.pk, "started_on": "2024-02-01"}),
              (f"/workforce/mentoring/{pair.pk}/end/", {"ended_on": "2024-06-01"})]
    for url, data in writes:
        assert client.post(url, data).status_code == 403, url
    assert client.get("/workforce/training/courses/new/").status_code == 403
    other = make_actor("town_worker", OTHER_TOWN)
    force_login(client, other)
    assert client.get(f"/workforce/training/sessions/{session.pk}/").status_code == 404
    assert client.post(f"/workforce/training/sessions/{session.pk}/attendance/", {"staff": [a.pk]}).status_code == 404
    assert client.post(f"/workforce/training/courses/{course.pk}/sessions/", {"area": TOWN, "held_on": "2025-01-01"}).status_code == 404
    assert client.post("/workforce/training/courses/new/", {"area": TOWN, "title": "课", "hours": "1",
                                                            "employments": ["grid_worker"]}).status_code == 404
    assert client.post("/workforce/mentoring/new/", {"mentor": a.pk, "mentee": b.pk, "started_on": "2024-02-01"}).status_code == 404
    assert client.post(f"/workforce/mentoring/{pair.pk}/end/", {"ended_on": "2024-06-01"}).status_code == 404
    # The API, the same.
    j = "application/json"
    for actor, status in ((leader, 403), (other, 404)):
        c = api(actor)
        assert c.post("/api/v1/workforce/courses", {"area": TOWN, "title": "课", "hours": "1", "employments": ["grid_worker"]},
                      content_type=j).status_code == status
        assert c.post(f"/api/v1/workforce/courses/{course.pk}/sessions", {"area": TOWN, "held_on": "2025-01-01"},
                      content_type=j).status_code == status
        assert c.post(f"/api/v1/workforce/sessions/{session.pk}/attendance", {"staff": [a.pk]},
                      content_type=j).status_code == status
        assert c.post("/api/v1/workforce/mentoring", {"mentor": a.pk, "mentee": b.pk, "started_on": "2024-02-01"},
                      content_type=j).status_code == status
        assert c.post(f"/api/v1/workforce/mentoring/{pair.pk}/end", {"ended_on": "2024-06-01"},
                      content_type=j).status_code == status
    assert not TrainingAttendance.objects.exists() and MentoringPair.objects.get().ended_on is None
    assert api(other).get(f"/api/v1/workforce/sessions/{session.pk}").status_code == 404
    assert api(other).get(f"/api/v1/workforce/mentoring").json()["count"] == 0


def test_api_records_attendance_per_row(api, worker, session):
    a = _staff(worker)
    answer = api(worker).post(f"/api/v1/workforce/sessions/{session.pk}/attendance", {"staff": [a.pk, a.pk], "hours": "6"},
                              content_type="application/json")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["credited"], body["refused"]) == (1, 1) and body["results"][1]["code"] == "duplicate"
    rows = api(worker).get(f"/api/v1/workforce/sessions/{session.pk}/attendance").json()
    assert [(r["staff"], r["hours"]) for r in rows] == [(a.pk, "6.0")]
    too_many = api(worker).post(f"/api/v1/workforce/sessions/{session.pk}/attendance", {"staff": [a.pk], "hours": "9"},
                                content_type="application/json")
    assert too_many.status_code == 422


def test_the_demo_builds_training_through_the_services_once(county, make_actor):
    from safetynet.workforce.training_demo import build_training_demo

    officer = make_actor("county_officer", COUNTY, username="county_officer")
    worker = make_actor("town_worker", TOWN, username="town_worker")
    register_staff_identity(actor=officer, name="县干", id_number=new_id(), area_code=COUNTY, kind="county_staff",
                            user_id=officer.user_id)
    register_staff_identity(actor=officer, name="镇干", id_number=new_id(), area_code=TOWN, kind="town_staff",
                            user_id=worker.user_id)
    for n in range(3):
        register_staff_identity(actor=officer, name=f"新人{n}", id_number=new_id(), area_code=TOWN, kind="town_staff")
    actors = {"county_officer": officer, "town_worker": worker}
    counts = build_training_demo(county=COUNTY, day=today(), seed=7, actor_of=actors.__getitem__)
    assert counts["courses"] == 2 and counts["mentoring_pairs"] == 1 and counts["attendance"] >= 1
    assert build_training_demo(county=COUNTY, day=today(), seed=7, actor_of=actors.__getitem__) == {"already": 1}
    pair = MentoringPair.objects.get()
    assert pair.mentor.user_id == worker.user_id and pair.mentee.name == "新人0"
