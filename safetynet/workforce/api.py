"""The staff register, training and mentoring over HTTP (`/api/v1/workforce/`, issue 19 part 1).

Thin: reads through `selectors`, `training_selectors` and `standing`, writes through `services`,
`training` and `mentoring`, as the pages. ID numbers are whole for posts holding
`registry.view_id_number` (each answer that discloses them is audited) and masked otherwise.
Shares and hours travel as decimal text ("0.50", "7.5"), never as binary floats.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import StringConstraints

from safetynet.core.apischemas import NO_NUL, SOME_TEXT, InputSchema, PageQuery, responses
from safetynet.core.pagination import api_page

from . import mentoring, selectors, services, training, training_selectors
from .clock import today
from .models import Employment, StaffKind
from .standing import hours_by_person, training_standing

router = Router(tags=["workforce"])

MAX_ID = 2_147_483_647
Id = Annotated[int, Path(..., ge=1, le=MAX_ID)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=SOME_TEXT)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=SOME_TEXT)]
Short = Annotated[str, StringConstraints(max_length=50, pattern=NO_NUL)]
Long = Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL)]
Note = Annotated[str, StringConstraints(max_length=500, pattern=NO_NUL)]
AreaCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}([0-9]{3}){0,4}$")]
OfficeCode = Annotated[str, StringConstraints(pattern=r"^([0-9]{6}|[0-9]{9})$")]
IdNumber = Annotated[str, StringConstraints(pattern=r"^([0-9]{17}[0-9Xx]|[0-9]{15})$")]
Share = Annotated[str, StringConstraints(pattern=r"^(0(\.[0-9]{1,2})?|1(\.0{1,2})?)$")]
Hours = Annotated[str, StringConstraints(pattern=r"^(0\.[1-9]|[1-9][0-9]?(\.[0-9])?|1[0-9]{2}(\.[0-9])?|200(\.0)?)$")]
EmploymentLiteral = Literal[tuple(Employment.values)]
KindLiteral = Literal[tuple(StaffKind.values)]
TownFilter = Field("", pattern=r"^([0-9]{6}|[0-9]{9})?$")


# ---- staff -----------------------------------------------------------------------------------

class QualificationOut(Schema):
    id: int
    name: str
    level: str
    certificate_number: str
    obtained_on: dt.date
    expires_on: dt.date | None


class StaffOut(Schema):
    id: int
    name: str
    id_number: str
    birth_date: dt.date | None
    age: int | None
    area: str
    area_name: str
    kind: str
    employment: str
    post_title: str
    full_time_share: str
    joined_on: dt.date | None
    is_active: bool
    user: int | None
    training_hours_this_year: str


class StaffDetailOut(StaffOut):
    qualifications: list[QualificationOut]


class StaffPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[StaffOut]


def _staff(actor, s, hours) -> dict:
    return {"id": s.pk, "name": s.name, "id_number": selectors.shown_id_number(actor, s.id_number),
            "birth_date": s.birth_date, "age": s.age_on(today()), "area": s.area_id, "area_name": s.area.name,
            "kind": s.kind, "employment": s.employment, "post_title": s.post_title,
            "full_time_share": f"{s.full_time_share:.2f}", "joined_on": s.joined_on, "is_active": s.is_active,
            "user": s.user_id, "training_hours_this_year": str(hours)}


def _qualification(q) -> dict:
    return {"id": q.pk, "name": q.name, "level": q.level, "certificate_number": q.certificate_number,
            "obtained_on": q.obtained_on, "expires_on": q.expires_on}


def _staff_detail(request, staff_id: int) -> dict:
    actor = request.auth
    s = selectors.get_staff(actor, staff_id)
    services.disclose_id_numbers(actor=actor, identity_ids=[s.pk], where=request.path)
    hours = hours_by_person(actor, [s.pk], today().year)[s.pk]
    return {**_staff(actor, s, hours), "qualifications": [_qualification(q) for q in selectors.qualifications_of(actor, s)]}


class StaffFilter(PageQuery):
    town: str = TownFilter
    employment: EmploymentLiteral | None = None
    q: str = Field("", max_length=50)
    include_left: bool = False


@router.get("/staff", response=responses(StaffPage), summary="The staff register of the post's area")
def list_staff(request, filters: Query[StaffFilter]):
    actor = request.auth
    town, employment = selectors.checked_filters(actor, town=filters.town, employment=filters.employment or "")
    qs = selectors.staff_register(actor, town=town, employment=employment, q=filters.q, active_only=not filters.include_left)

    def items(page: list) -> list:
        hours = hours_by_person(actor, [s.pk for s in page], today().year)
        services.disclose_id_numbers(actor=actor, identity_ids=[s.pk for s in page], where=request.path)
        return [_staff(actor, s, hours[s.pk]) for s in page]
    return api_page(qs, offset=filters.offset, limit=filters.limit, items=items)


class StaffIn(InputSchema):
    name: Name
    id_number: IdNumber
    area: AreaCode
    kind: KindLiteral
    employment: EmploymentLiteral | None = None
    post_title: Short = ""
    full_time_share: Share = "1.00"
    joined_on: dt.date | None = None
    user: int | None = Field(None, ge=1, le=MAX_ID)


@router.post("/staff", response=responses(StaffDetailOut, ok_status=201), summary="Register a staff member")
def create_staff(request, payload: StaffIn):
    s = services.register_staff_identity(
        actor=request.auth, name=payload.name, id_number=payload.id_number, area_code=payload.area, kind=payload.kind,
        employment=payload.employment or "", post_title=payload.post_title, full_time_share=payload.full_time_share,
        joined_on=payload.joined_on, user_id=payload.user)
    return Status(201, _staff_detail(request, s.pk))


@router.get("/staff/{staff_id}", response=responses(StaffDetailOut), summary="One staff member, with qualifications")
def get_staff(request, staff_id: Id):
    return _staff_detail(request, staff_id)


class StaffPatch(InputSchema):
    """Leave a field out to keep it. The ID number, the kind and the place of work are not
    edited (a person who moves leaves and is registered again); `joined_on` and `user` may be
    null (not known, no login)."""

    name: Name = None
    employment: EmploymentLiteral = None
    post_title: Short = None
    full_time_share: Share = None
    joined_on: dt.date | None = None
    user: int | None = Field(None, ge=1, le=MAX_ID)


@router.patch("/staff/{staff_id}", response=responses(StaffDetailOut), summary="Correct a staff member's register entry")
def update_staff(request, staff_id: Id, payload: StaffPatch):
    changes = payload.dict(exclude_unset=True)
    if "user" in changes:
        changes["user_id"] = changes.pop("user")
    services.update_staff_identity(actor=request.auth, identity_id=staff_id, **changes)
    return _staff_detail(request, staff_id)


@router.post("/staff/{staff_id}/end", response=responses(StaffDetailOut), summary="Record that a staff member left")
def end_staff(request, staff_id: Id):
    services.end_staff_identity(actor=request.auth, identity_id=staff_id)
    return _staff_detail(request, staff_id)


@router.get("/staff/{staff_id}/qualifications", response=responses(list[QualificationOut]),
            summary="A staff member's qualifications")
def list_qualifications(request, staff_id: Id):
    s = selectors.get_staff(request.auth, staff_id)
    return [_qualification(q) for q in selectors.qualifications_of(request.auth, s)]


class QualificationIn(InputSchema):
    name: Title
    level: Short = ""
    certificate_number: Short = ""
    obtained_on: dt.date
    expires_on: dt.date | None = None


@router.post("/staff/{staff_id}/qualifications", response=responses(QualificationOut, ok_status=201),
             summary="Record a qualification a staff member holds")
def create_qualification(request, staff_id: Id, payload: QualificationIn):
    q = services.record_qualification(actor=request.auth, staff_identity_id=staff_id, name=payload.name,
                                      level=payload.level, certificate_number=payload.certificate_number,
                                      obtained_on=payload.obtained_on, expires_on=payload.expires_on)
    return Status(201, _qualification(q))


# ---- courses and sessions --------------------------------------------------------------------

class CourseOut(Schema):
    id: int
    area: str
    area_name: str
    title: str
    topic: str
    hours: str
    employments: list[str]


def _course(c) -> dict:
    return {"id": c.pk, "area": c.area_id, "area_name": c.area.name, "title": c.title, "topic": c.topic,
            "hours": str(c.hours), "employments": c.employment_list}


class CoursePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CourseOut]


class CourseFilter(PageQuery):
    q: str = Field("", max_length=50)
    employment: EmploymentLiteral | None = None


@router.get("/courses", response=responses(CoursePage), summary="Training courses of the post's area and above")
def list_courses(request, filters: Query[CourseFilter]):
    qs = training_selectors.courses_visible(request.auth, q=filters.q, employment=filters.employment or "")
    return api_page(qs, offset=filters.offset, limit=filters.limit, item=_course)


class CourseIn(InputSchema):
    area: OfficeCode
    title: Title
    topic: Long = ""
    hours: Hours
    employments: list[EmploymentLiteral] = Field(..., min_length=1, max_length=5)


@router.post("/courses", response=responses(CourseOut, ok_status=201), summary="Create a training course")
def create_course(request, payload: CourseIn):
    c = training.create_course(actor=request.auth, area_code=payload.area, title=payload.title, topic=payload.topic,
                               hours=payload.hours, employments=payload.employments)
    return Status(201, _course(c))


@router.get("/courses/{course_id}", response=responses(CourseOut), summary="One training course")
def get_course(request, course_id: Id):
    return _course(training_selectors.get_course(request.auth, course_id))


class SessionOut(Schema):
    id: int
    course: int
    course_title: str
    area: str
    area_name: str
    held_on: dt.date
    place: str
    trainer: str


def _session(s) -> dict:
    return {"id": s.pk, "course": s.course_id, "course_title": s.course.title, "area": s.area_id,
            "area_name": s.area.name, "held_on": s.held_on, "place": s.place, "trainer": s.trainer}


class SessionPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[SessionOut]


class SessionFilter(PageQuery):
    course: int | None = Field(None, ge=1, le=MAX_ID)


@router.get("/sessions", response=responses(SessionPage), summary="Training sessions of the post's area and above")
def list_sessions(request, filters: Query[SessionFilter]):
    qs = training_selectors.sessions_visible(request.auth, course_id=filters.course)
    return api_page(qs, offset=filters.offset, limit=filters.limit, item=_session)


class SessionIn(InputSchema):
    area: OfficeCode
    held_on: dt.date
    place: Short = ""
    trainer: Short = ""


@router.post("/courses/{course_id}/sessions", response=responses(SessionOut, ok_status=201),
             summary="Schedule a session of a course")
def create_session(request, course_id: Id, payload: SessionIn):
    s = training.schedule_session(actor=request.auth, course_id=course_id, area_code=payload.area,
                                  held_on=payload.held_on, place=payload.place, trainer=payload.trainer)
    return Status(201, _session(s))


@router.get("/sessions/{session_id}", response=responses(SessionOut), summary="One training session")
def get_session(request, session_id: Id):
    return _session(training_selectors.get_session(request.auth, session_id))


class AttendanceOut(Schema):
    id: int
    staff: int
    name: str
    area: str
    hours: str


class AttendanceResultOut(Schema):
    staff: int
    ok: bool
    attendance: int | None
    name: str
    code: str
    message: str


class AttendanceAnswer(Schema):
    credited: int
    refused: int
    results: list[AttendanceResultOut]


@router.get("/sessions/{session_id}/attendance", response=responses(list[AttendanceOut]),
            summary="Who attended a session (the staff of the post's area)")
def list_attendance(request, session_id: Id):
    session = training_selectors.get_session(request.auth, session_id)
    rows = training_selectors.attendance_in_scope(request.auth, session_id=session.pk).order_by("staff_identity_id")
    return [{"id": a.pk, "staff": a.staff_identity_id, "name": a.staff_identity.name, "area": a.area_id,
             "hours": str(a.hours)} for a in rows]


class AttendanceIn(InputSchema):
    staff: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(..., min_length=1, max_length=training.MAX_ATTENDEES)
    hours: Hours | None = None


@router.post("/sessions/{session_id}/attendance", response=responses(AttendanceAnswer),
             summary="Record the attendance of a list of staff (each refused one answered with its reason)")
def record_attendance(request, session_id: Id, payload: AttendanceIn):
    results = training.record_session_attendance(actor=request.auth, session_id=session_id, staff_ids=payload.staff,
                                                 hours=payload.hours)
    return {"credited": sum(r.ok for r in results), "refused": sum(not r.ok for r in results),
            "results": [{"staff": r.staff_identity_id, "ok": r.ok, "attendance": r.attendance_id, "name": r.name,
                         "code": r.code, "message": r.message} for r in results]}


# ---- mentoring -------------------------------------------------------------------------------

class PairOut(Schema):
    id: int
    mentor: int
    mentor_name: str
    mentee: int
    mentee_name: str
    area: str
    started_on: dt.date
    ended_on: dt.date | None
    goal: str
    end_note: str


def _pair(p) -> dict:
    return {"id": p.pk, "mentor": p.mentor_id, "mentor_name": p.mentor.name, "mentee": p.mentee_id,
            "mentee_name": p.mentee.name, "area": p.area_id, "started_on": p.started_on, "ended_on": p.ended_on,
            "goal": p.goal, "end_note": p.end_note}


class PairPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[PairOut]


class PairFilter(PageQuery):
    active_only: bool = False


@router.get("/mentoring", response=responses(PairPage), summary="Mentoring pairs of the post's area")
def list_pairs(request, filters: Query[PairFilter]):
    qs = training_selectors.mentoring_in_scope(request.auth, active_only=filters.active_only)
    return api_page(qs, offset=filters.offset, limit=filters.limit, item=_pair)


class PairIn(InputSchema):
    mentor: int = Field(..., ge=1, le=MAX_ID)
    mentee: int = Field(..., ge=1, le=MAX_ID)
    started_on: dt.date
    goal: Note = ""
    area: Annotated[str, StringConstraints(pattern=r"^([0-9]{6}([0-9]{3}){0,4})?$")] = ""


@router.post("/mentoring", response=responses(PairOut, ok_status=201), summary="Pair a mentor with a mentee")
def create_pair(request, payload: PairIn):
    pair = mentoring.start_mentoring(actor=request.auth, mentor_id=payload.mentor, mentee_id=payload.mentee,
                                     started_on=payload.started_on, goal=payload.goal, area_code=payload.area)
    return Status(201, _pair(training_selectors.get_pair(request.auth, pair.pk)))


class PairEndIn(InputSchema):
    ended_on: dt.date
    note: Note = ""


@router.post("/mentoring/{pair_id}/end", response=responses(PairOut), summary="End a mentoring pair")
def end_pair(request, pair_id: Id, payload: PairEndIn):
    mentoring.end_mentoring(actor=request.auth, pair_id=pair_id, ended_on=payload.ended_on, note=payload.note)
    return _pair(training_selectors.get_pair(request.auth, pair_id))


# ---- training standing -----------------------------------------------------------------------

class PersonStandingOut(Schema):
    staff: int
    name: str
    area: str
    town: str
    employment: str
    hours_a_year: str | None
    due: str | None
    done: str | None
    short: str | None
    behind: bool | None


class TownStandingOut(Schema):
    town: str
    name: str
    staff: int
    behind: int
    unstated: int
    percent_behind: str | None


class StandingOut(Schema):
    year: int
    through: dt.date
    towns: list[TownStandingOut]
    count: int
    limit: int
    offset: int
    items: list[PersonStandingOut]


class StandingFilter(PageQuery):
    year: int | None = Field(None, ge=2000, le=2100)
    town: str = TownFilter
    employment: EmploymentLiteral | None = None
    behind_only: bool = False


def _person_standing(p) -> dict:
    s = p.standing
    return {"staff": p.staff_identity_id, "name": p.name, "area": p.area_id, "town": p.town_code,
            "employment": p.employment, "hours_a_year": str(s.required_year) if s else None,
            "due": str(s.due) if s else None, "done": str(s.done) if s else None, "short": str(s.short) if s else None,
            "behind": s.behind if s else None}


@router.get("/training-standing", response=responses(StandingOut),
            summary="Training hours done against hours due, per person and per town")
def get_standing(request, filters: Query[StandingFilter]):
    actor = request.auth
    town, employment = selectors.checked_filters(actor, town=filters.town, employment=filters.employment or "")
    standing = training_standing(actor, filters.year or today().year, town=town, employment=employment)
    people = standing.behind if filters.behind_only else standing.people
    return {"year": standing.year, "through": standing.through,
            "towns": [{"town": t.code, "name": t.name, "staff": t.staff, "behind": t.behind, "unstated": t.unstated,
                       "percent_behind": str(t.percent_behind) if t.percent_behind is not None else None}
                      for t in standing.towns],
            "count": len(people), "limit": filters.limit, "offset": filters.offset,
            "items": [_person_standing(p) for p in people[filters.offset:filters.offset + filters.limit]]}
