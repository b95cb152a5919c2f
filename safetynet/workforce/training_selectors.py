"""Reads of training and mentoring, through the actor's scope.

A course or session belongs to the county or a town (its `area`). A town post reads its own and
those of the county above it (the county's courses are offered to every town, and its staff sit
in the county's sessions), and writes only on its own (`training.py` checks the area). Attendance
is read by the attendee's area, so a town sees its own staff's rows of a county session and no
other town's.
"""
from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from safetynet.core.errors import NotFound
from safetynet.core.scoping import Actor, in_scope
from safetynet.core.text import normalise_text

from .models import StaffIdentity
from .training_models import MentoringPair, TrainingAttendance, TrainingCourse, TrainingSession

VIEW = "workforce.view"
TRAINING = "workforce.training"


def _above(actor: Actor) -> list[str]:
    """The county and town codes above the actor's area (whose courses it reads)."""
    code = actor.area_code
    return [code[:n] for n in (6, 9) if n < len(code)]


def _visible(qs: QuerySet, actor: Actor) -> QuerySet:
    if actor.is_national:
        return qs
    return qs.filter(Q(area__code__startswith=actor.area_code) | Q(area_id__in=_above(actor)))


def courses_visible(actor: Actor, *, q: str = "", employment: str = "") -> QuerySet[TrainingCourse]:
    actor.require(VIEW)
    qs = _visible(TrainingCourse.objects.select_related("area"), actor).annotate(session_count=Count("sessions"))
    q = normalise_text(q)[:50]
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(topic__icontains=q))
    if employment:
        qs = qs.filter(employments__contains=f",{employment},")
    return qs


def get_course(actor: Actor, course_id: int) -> TrainingCourse:
    actor.require(VIEW)
    course = _visible(TrainingCourse.objects.select_related("area"), actor).filter(pk=course_id).first()
    if course is None:
        raise NotFound(_("No such training course in your area."))
    return course


def sessions_visible(actor: Actor, *, course_id: int | None = None) -> QuerySet[TrainingSession]:
    actor.require(VIEW)
    qs = _visible(TrainingSession.objects.select_related("course", "area"), actor).annotate(attendees=Count("attendance"))
    if course_id is not None:
        qs = qs.filter(course_id=course_id)
    return qs


def get_session(actor: Actor, session_id: int) -> TrainingSession:
    actor.require(VIEW)
    session = _visible(TrainingSession.objects.select_related("course", "course__area", "area"), actor) \
        .filter(pk=session_id).first()
    if session is None:
        raise NotFound(_("No such training session in your area."))
    return session


def attendance_in_scope(actor: Actor, *, session_id: int | None = None, staff_identity_id: int | None = None,
                        year: int | None = None) -> QuerySet[TrainingAttendance]:
    """Attendance rows of the staff in the actor's area."""
    actor.require(VIEW)
    qs = in_scope(TrainingAttendance.objects.select_related("staff_identity", "area", "session", "session__course"), actor)
    if session_id is not None:
        qs = qs.filter(session_id=session_id)
    if staff_identity_id is not None:
        qs = qs.filter(staff_identity_id=staff_identity_id)
    if year is not None:
        qs = qs.filter(held_on__year=year)
    return qs


def staff_to_pick(actor: Actor, session: TrainingSession, *, q: str = "") -> QuerySet[StaffIdentity]:
    """Whom the session's page offers: the active staff of the session's area in the actor's
    scope, on a footing the course is for, not yet recorded for it."""
    qs = in_scope(StaffIdentity.objects.select_related("area"), actor).filter(
        is_active=True, area__code__startswith=session.area_id, employment__in=session.course.employment_list,
    ).exclude(pk__in=TrainingAttendance.objects.filter(session=session).values("staff_identity_id"))
    q = normalise_text(q)[:50]
    if q:
        qs = qs.filter(name__startswith=q)
    return qs.order_by("area_id", "name")


def mentoring_in_scope(actor: Actor, *, active_only: bool = False, staff_identity_id: int | None = None) -> QuerySet[MentoringPair]:
    actor.require(VIEW)
    qs = in_scope(MentoringPair.objects.select_related("mentor", "mentee", "area", "mentor__area", "mentee__area"), actor)
    if active_only:
        qs = qs.filter(ended_on__isnull=True)
    if staff_identity_id is not None:
        qs = qs.filter(Q(mentor_id=staff_identity_id) | Q(mentee_id=staff_identity_id))
    return qs


def get_pair(actor: Actor, pair_id: int) -> MentoringPair:
    actor.require(VIEW)
    pair = mentoring_in_scope(actor).filter(pk=pair_id).first()
    if pair is None:
        raise NotFound(_("No such mentoring pair in your area."))
    return pair
