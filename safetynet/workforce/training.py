"""Training courses, sessions and attendance (issue 19 part 1): the writes.

Courses and sessions belong to the county or a town, and only posts of that area (or above)
write on them (`workforce.training`). Attendance is recorded for a list of staff at once by
`record_attendance`, through the unit of work (or the transaction's `AT_ONCE`) its caller passes:
the staff rows and the session's attendance are read once for the whole list, each person is
decided by `attendance_refusal` (a reason, or none), and only the accepted rows are written; one
person refused holds back no other. The page, the API and the demo call it; one person is a list
of one.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.areas.models import Area, Level
from safetynet.core.audit import record_event
from safetynet.core.dates import parse_date
from safetynet.core.errors import Conflict, NotFound, ValidationError
from safetynet.core.scoping import Actor, in_scope
from safetynet.core.text import clean_field
from safetynet.core.unitofwork import UnitOfWork, WritesAtOnce, unit_of_work

from .clock import today
from .models import Employment, StaffIdentity
from .quantities import parse_hours
from .training_models import TrainingAttendance, TrainingCourse, TrainingSession
from .training_selectors import TRAINING, get_course, get_session

MAX_ATTENDEES = 500        # one session's list in one request
OWNER_LEVELS = (Level.COUNTY, Level.TOWN)


def _owner_area(actor: Actor, area_code: str, *, field: str = "area") -> Area:
    area_code = (area_code or "").strip()
    actor.require_area(area_code)
    area = Area.objects.filter(code=area_code).first()
    if area is None:
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": area_code}, field=field)
    if area.level not in OWNER_LEVELS:
        raise ValidationError(_("Training is held by the county or a town: choose one."), field=field)
    return area


def checked_employments(values) -> str:
    """The footings a course is for, stored as ",a,b," (at least one, each known, once)."""
    if isinstance(values, str):
        values = [v for v in values.replace("，", ",").split(",")]
    chosen = []
    for value in values or ():
        value = str(value).strip()
        if not value:
            continue
        if value not in Employment.values:
            raise ValidationError(_("%(value)s is not an employment: choose among civil servant, contracted assistant, "
                                    "village cadre, grid worker and provider's worker.") % {"value": value[:30]},
                                  field="employments")
        if value not in chosen:
            chosen.append(value)
    if not chosen:
        raise ValidationError(_("Say whom the course is for: at least one employment."), field="employments")
    ordered = [e for e in Employment.values if e in chosen]
    return "," + ",".join(ordered) + ","


@transaction.atomic(durable=True)
def create_course(*, actor: Actor, area_code: str, title: str, hours, employments, topic: str = "") -> TrainingCourse:
    """A course the county or a town offers: its title, topic, the hours one session of it
    credits (one decimal) and whom it is for."""
    actor.require(TRAINING)
    area = _owner_area(actor, area_code)
    title = clean_field(title, "title", max_length=100, required=True)
    topic = clean_field(topic, "topic", max_length=200)
    hours = parse_hours(hours)
    employments = checked_employments(employments)
    course = TrainingCourse.objects.create(area=area, title=title, topic=topic, hours=hours, employments=employments,
                                           recorded_by_id=actor.user_id)
    record_event(actor=actor, action="workforce.create_course", obj=course, after={
        "area": area.code, "title": title, "topic": topic, "hours": str(hours), "employments": employments})
    return course


@transaction.atomic(durable=True)
def schedule_session(*, actor: Actor, course_id: int, area_code: str, held_on, place: str = "",
                     trainer: str = "") -> TrainingSession:
    """A holding of a course for the staff of the county or a town under the course's area (a
    town holds the county's course for its own staff). A session may be planned ahead; its
    attendance is recorded once it was held."""
    actor.require(TRAINING)
    course = get_course(actor, course_id)
    area = _owner_area(actor, area_code)
    if not area.code.startswith(course.area_id):
        raise ValidationError(_("%(area)s is not under %(owner)s, which holds this course.") % {
            "area": area.name, "owner": course.area.name}, field="area")
    held_on = parse_date(held_on, field="held_on", required=True)
    if held_on.year < 2000:
        raise ValidationError(_("%(d)s is too early for a session.") % {"d": held_on.isoformat()}, field="held_on")
    if held_on > today() + dt.timedelta(days=366):
        raise ValidationError(_("A session is planned at most a year ahead."), field="held_on")
    place = clean_field(place, "place", max_length=100)
    trainer = clean_field(trainer, "trainer", max_length=50)
    session = TrainingSession.objects.create(course=course, area=area, held_on=held_on, place=place, trainer=trainer,
                                             recorded_by_id=actor.user_id)
    record_event(actor=actor, action="workforce.schedule_session", obj=session, after={
        "course": course.pk, "area": area.code, "held_on": held_on, "place": place, "trainer": trainer})
    return session


# ---- attendance ------------------------------------------------------------------------------

@dataclass(frozen=True)
class AttendanceFacts:
    """What deciding one person needs (read for the whole list at once)."""
    staff_identity_id: int
    name: str
    area_id: str
    area_name: str
    employment: str
    is_active: bool
    joined_on: dt.date | None


@dataclass
class AttendanceResult:
    staff_identity_id: int
    ok: bool
    attendance_id: int | None = None
    name: str = ""
    code: str = ""
    message: str = ""


def attendance_refusal(facts: AttendanceFacts | None, *, session: TrainingSession, recorded: set[int],
                       in_this_list: set[int], staff_identity_id: int) -> tuple[str, str] | None:
    """Why this person cannot be credited with the session ((code, message)), or None."""
    if facts is None:
        return "not_found", _("No such staff member in your area.")
    if staff_identity_id in recorded:
        return "duplicate", _("%(name)s is already recorded for this session.") % {"name": facts.name}
    if staff_identity_id in in_this_list:
        return "duplicate", _("%(name)s is listed twice: recorded once.") % {"name": facts.name}
    if not facts.is_active:
        return "inactive", _("%(name)s has left the staff.") % {"name": facts.name}
    if not facts.area_id.startswith(session.area_id):
        return "outside_session_area", _("%(name)s works at %(area)s, outside %(session_area)s whose staff this session "
                                         "is for.") % {"name": facts.name, "area": facts.area_name,
                                                       "session_area": session.area.name}
    if facts.employment not in session.course.employment_list:
        return "not_for_employment", _("%(name)s is a %(employment)s: the course is for %(for)s.") % {
            "name": facts.name, "employment": Employment(facts.employment).label if facts.employment else _("employment not stated"),
            "for": "、".join(str(Employment(e).label) for e in session.course.employment_list)}
    if facts.joined_on is not None and facts.joined_on > session.held_on:
        return "joined_after", _("%(name)s joined on %(joined)s, after the session.") % {
            "name": facts.name, "joined": facts.joined_on.isoformat()}
    return None


def _facts(actor: Actor, staff_ids: Sequence[int]) -> dict[int, AttendanceFacts]:
    rows = in_scope(StaffIdentity.objects.filter(pk__in=list(staff_ids)), actor).values_list(
        "id", "name", "area_id", "area__name", "employment", "is_active", "joined_on")
    return {r[0]: AttendanceFacts(*r) for r in rows}


def checked_session_hours(session: TrainingSession, hours) -> Decimal:
    """The hours credited to each attendee: the course's hours when not given, never more."""
    if hours in (None, ""):
        return session.course.hours
    return parse_hours(hours, maximum=session.course.hours)


def record_attendance(work: UnitOfWork | WritesAtOnce, actor: Actor, *, session_id: int, staff_ids: Sequence[int],
                      hours=None) -> list[AttendanceResult]:
    """Credit each listed staff member with the session (hours: the course's, or fewer for a part
    of it), writing through `work`; each refused person is answered with the reason, in the
    order given. The session must be in the actor's area (404) and already held."""
    actor.require(TRAINING)
    session = get_session(actor, session_id)
    actor.require_area(session.area_id)
    if session.held_on > today():
        raise ValidationError(_("This session is planned for %(d)s: record its attendance once it was held.") % {
            "d": session.held_on.isoformat()}, field="session", code="not_held_yet")
    hours = checked_session_hours(session, hours)
    ids = [int(i) for i in staff_ids]
    if not ids:
        raise ValidationError(_("Tick at least one staff member."), field="staff_ids")
    if len(ids) > MAX_ATTENDEES:
        raise ValidationError(_("At most %(n)d people at once.") % {"n": MAX_ATTENDEES}, field="staff_ids")
    facts = _facts(actor, ids)
    recorded = set(TrainingAttendance.objects.filter(session=session, staff_identity_id__in=ids)
                   .values_list("staff_identity_id", flat=True))
    at = timezone.now()
    results, seen = [], set()
    for staff_id in ids:
        person = facts.get(staff_id)
        refusal = attendance_refusal(person, session=session, recorded=recorded, in_this_list=seen, staff_identity_id=staff_id)
        seen.add(staff_id)
        if refusal is not None:
            results.append(AttendanceResult(staff_id, False, name=person.name if person else "", code=refusal[0],
                                            message=refusal[1]))
            continue
        row = work.insert(TrainingAttendance(session_id=session.pk, staff_identity_id=staff_id, area_id=person.area_id,
                                             held_on=session.held_on, hours=hours, recorded_by_id=actor.user_id,
                                             recorded_at=at))
        results.append(AttendanceResult(staff_id, True, attendance_id=row.pk, name=person.name))
    credited = [r.staff_identity_id for r in results if r.ok]
    if credited:
        work.record_event(actor=actor, action="workforce.record_attendance", obj=session, after={
            "staff_identities": credited, "hours": str(hours),
            "refused": {str(r.staff_identity_id): r.code for r in results if not r.ok}})
    return results


def record_session_attendance(*, actor: Actor, session_id: int, staff_ids: Sequence[int], hours=None) -> list[AttendanceResult]:
    """`record_attendance` in its own unit of work: the page's and the API's door. Two desks
    recording the same person at once: the second is answered as a conflict (the database's
    unique constraint), nothing half-written."""
    try:
        with unit_of_work(size_hint=max(1, len(staff_ids))) as work:
            return record_attendance(work, actor, session_id=session_id, staff_ids=staff_ids, hours=hours)
    except IntegrityError:
        raise Conflict(_("Someone recorded this session's attendance at the same moment: reload the page and try again."),
                       code="conflict")
