"""The demo county's staff register and training (issue 19 part 1), built through the same
services an office uses: the county and town staff get their post titles and the days they
joined, a few of them qualifications; a town's assistant is half-time; the county runs two
courses with sessions in the past months, the staff ticked on each session's page (a seeded share
of them missed one, so some are behind); and two towns pair an experienced worker with a new one.
Deterministic for a seed; run once (a county with courses already is left as it is)."""
from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from safetynet.core.scoping import Actor

from . import mentoring, training
from .models import Employment, StaffIdentity, StaffKind
from .services import record_qualification, update_staff_identity
from .training_models import TrainingCourse

POLICY_COURSE = ("社会救助政策法规", "低保、特困、临时救助的审核确认与动态管理", "8")
SURVEY_COURSE = ("入户调查与家庭经济状况核对", "入户调查要点、收入财产核算、信息核对", "4")
TITLES = {StaffKind.COUNTY_STAFF: "社会救助股科员", StaffKind.TOWN_STAFF: "社会救助专干"}


def _joined(rnd: random.Random, first: int, last: int, born: dt.date | None = None) -> dt.date:
    """A first of the month in a year from `first` to `last`, never before the person is 18 (the
    register refuses a joining before working age)."""
    if born is not None:
        first = min(max(first, born.year + 19), last)
    return dt.date(rnd.randint(first, last), rnd.randint(1, 12), 1)


def _past(day: dt.date, days: int) -> dt.date:
    """`days` before `day`, but in `day`'s year (the training year shown), and never after `day`."""
    return min(day, max(day.replace(month=1, day=5), day - dt.timedelta(days=days)))


def build_training_demo(*, county: str, day: dt.date, seed: int, actor_of: Callable[[str], Actor]) -> dict:
    """Register, train and pair the demo county's staff; a dict of counts."""
    if TrainingCourse.objects.filter(area_id=county).exists():
        return {"already": 1}
    rnd = random.Random(f"{seed}:training")
    officer = actor_of("county_officer")
    counts = {"registered": 0, "qualifications": 0, "courses": 0, "sessions": 0, "attendance": 0, "refused": 0,
              "mentoring_pairs": 0}
    offices = list(StaffIdentity.objects.filter(area__code__startswith=county, is_active=True,
                                                kind__in=[StaffKind.COUNTY_STAFF, StaffKind.TOWN_STAFF]).order_by("area_id", "id"))
    partners: dict[str, StaffIdentity] = {}
    for s in offices:
        newcomer = s.user_id is None and s.kind == StaffKind.TOWN_STAFF and s.area_id not in partners
        if newcomer:
            partners[s.area_id] = s
        contracted = newcomer and rnd.random() < 0.5
        update_staff_identity(actor=officer, identity_id=s.pk, post_title="社会救助协理员" if contracted else TITLES[s.kind],
                              employment=Employment.CONTRACTED_ASSISTANT if contracted else Employment.CIVIL_SERVANT,
                              full_time_share="0.50" if contracted and rnd.random() < 0.5 else "1.00",
                              joined_on=_joined(rnd, day.year - 1, day.year - 1, s.birth_date) if newcomer
                              else _joined(rnd, 2005, 2018, s.birth_date))
        counts["registered"] += 1
    for s in offices[:: max(1, len(offices) // 4)]:
        record_qualification(actor=officer, staff_identity_id=s.pk, name="社会工作者职业资格",
                             level=rnd.choice(["助理社会工作师", "社会工作师"]), certificate_number=f"SW{rnd.randint(10**7, 10**8 - 1)}",
                             obtained_on=_joined(rnd, 2012, 2020))
        counts["qualifications"] += 1
    policy = training.create_course(actor=officer, area_code=county, title=POLICY_COURSE[0], topic=POLICY_COURSE[1],
                                    hours=POLICY_COURSE[2], employments=[Employment.CIVIL_SERVANT, Employment.CONTRACTED_ASSISTANT])
    survey = training.create_course(actor=officer, area_code=county, title=SURVEY_COURSE[0], topic=SURVEY_COURSE[1],
                                    hours=SURVEY_COURSE[2], employments=[Employment.VILLAGE_CADRE, Employment.GRID_WORKER,
                                                                         Employment.CONTRACTED_ASSISTANT])
    counts["courses"] = 2
    sessions = [training.schedule_session(actor=officer, course_id=policy.pk, area_code=county, held_on=_past(day, 75),
                                          place="县民政局三楼会议室", trainer="县民政局社会救助股")]
    towns = sorted({s.area_id[:9] for s in offices if len(s.area_id) >= 9})
    for town in towns[:2]:
        sessions.append(training.schedule_session(actor=officer, course_id=survey.pk, area_code=town, held_on=_past(day, 40),
                                                  place="镇政府会议室", trainer="县民政局社会救助股"))
    counts["sessions"] = len(sessions)
    for session in sessions:
        wanted = list(StaffIdentity.objects.filter(area__code__startswith=session.area_id, is_active=True,
                                                   employment__in=session.course.employment_list).order_by("id")
                      .values_list("id", flat=True))
        ticked = [pk for pk in wanted if rnd.random() < 0.7]       # the rest missed it: behind on training
        if not ticked:
            continue
        results = training.record_session_attendance(actor=officer, session_id=session.pk, staff_ids=ticked)
        counts["attendance"] += sum(r.ok for r in results)
        counts["refused"] += sum(not r.ok for r in results)
    for username in ("town_worker", "town_worker2"):
        mentor = StaffIdentity.objects.filter(user__username=username, is_active=True).first()
        mentee = partners.pop(mentor.area_id, None) if mentor else None    # one mentor a newcomer
        if mentor is None or mentee is None:
            continue
        mentee.refresh_from_db()
        mentoring.start_mentoring(actor=officer, mentor_id=mentor.pk, mentee_id=mentee.pk,
                                  started_on=max(mentee.joined_on, day - dt.timedelta(days=60)),
                                  goal="熟悉受理、入户调查和动态管理的全流程")
        counts["mentoring_pairs"] += 1
    return counts
