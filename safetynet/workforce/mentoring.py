"""Mentoring pairs (issue 19 part 1): an experienced worker bringing along a new one.

Who may mentor (`mentor_refusal`, a pure function): someone other than the mentee, both active,
and experienced, which the register can tell in one of two ways:
- the mentor holds a qualification in force on the day the pair starts (社会工作者职业资格 and
  the like), or
- the mentor joined at least `SENIORITY_DAYS` (a year) before the mentee, both days known.
A mentee has one active mentor at a time (refused here with the mentor's name, and by a database
constraint). The pair sits at an area of the actor's scope that holds both people (the mentee's
town when none is given). Writes need `workforce.training`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from safetynet.areas.models import Area
from safetynet.core.audit import record_event
from safetynet.core.dates import parse_date
from safetynet.core.errors import Conflict, NotFound, ValidationError
from safetynet.core.scoping import Actor, get_in_scope
from safetynet.core.text import clean_field

from .clock import today
from .models import Qualification, StaffIdentity
from .training_models import MentoringPair
from .training_selectors import TRAINING

SENIORITY_DAYS = 365


@dataclass(frozen=True)
class MentorFacts:
    staff_identity_id: int
    name: str
    is_active: bool
    joined_on: dt.date | None
    qualified: bool              # holds a qualification in force on the start day


def mentor_refusal(mentor: MentorFacts, mentee: MentorFacts) -> tuple[str, str] | None:
    """Why `mentor` may not mentor `mentee` ((field, message)), or None (module docstring)."""
    if mentor.staff_identity_id == mentee.staff_identity_id:
        return "mentee", _("Nobody mentors himself: choose another mentee.")
    for person, field in ((mentor, "mentor"), (mentee, "mentee")):
        if not person.is_active:
            return field, _("%(name)s has left the staff.") % {"name": person.name}
    if mentor.qualified:
        return None
    if mentor.joined_on is not None and mentee.joined_on is not None \
            and (mentee.joined_on - mentor.joined_on).days >= SENIORITY_DAYS:
        return None
    return "mentor", _("%(mentor)s is not more experienced than %(mentee)s: a mentor holds a qualification in force, or "
                       "joined at least a year before the mentee (record the days joined on the register).") % {
        "mentor": mentor.name, "mentee": mentee.name}


def _facts(identity: StaffIdentity, on: dt.date) -> MentorFacts:
    qualified = any(q.valid_on(on) for q in Qualification.objects.filter(staff_identity=identity))
    return MentorFacts(identity.pk, identity.name, identity.is_active, identity.joined_on, qualified)


def _person(actor: Actor, staff_id, field: str) -> StaffIdentity:
    try:
        return get_in_scope(StaffIdentity.objects.select_related("area"), actor, pk=int(staff_id))
    except (NotFound, TypeError, ValueError):
        raise NotFound(_("No such staff member in your area."), field=field)


@transaction.atomic(durable=True)
def start_mentoring(*, actor: Actor, mentor_id: int, mentee_id: int, started_on, goal: str = "",
                    area_code: str = "") -> MentoringPair:
    actor.require(TRAINING)
    mentor = _person(actor, mentor_id, "mentor")
    mentee = _person(actor, mentee_id, "mentee")
    area_code = (area_code or "").strip() or mentee.area_id[:9]
    actor.require_area(area_code)
    area = Area.objects.filter(code=area_code).first()
    if area is None:
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": area_code}, field="area")
    for person, field in ((mentor, "mentor"), (mentee, "mentee")):
        if not person.area_id.startswith(area.code):
            raise ValidationError(_("%(name)s works at %(where)s, outside %(area)s.") % {
                "name": person.name, "where": person.area.name, "area": area.name}, field=field)
    started_on = parse_date(started_on, field="started_on", required=True)
    if started_on > today():
        raise ValidationError(_("The start (%(d)s) is in the future.") % {"d": started_on.isoformat()}, field="started_on")
    goal = clean_field(goal, "goal", max_length=500, multiline=True)
    refusal = mentor_refusal(_facts(mentor, started_on), _facts(mentee, started_on))
    if refusal is not None:
        raise ValidationError(refusal[1], field=refusal[0], code="not_allowed")
    current = MentoringPair.objects.select_for_update().filter(mentee=mentee, ended_on__isnull=True) \
        .select_related("mentor").first()
    if current is not None:
        raise Conflict(_("%(mentee)s already has a mentor (%(mentor)s) since %(d)s: end that pair first.") % {
            "mentee": mentee.name, "mentor": current.mentor.name, "d": current.started_on.isoformat()}, field="mentee")
    pair = MentoringPair.objects.create(mentor=mentor, mentee=mentee, area=area, started_on=started_on, goal=goal,
                                        recorded_by_id=actor.user_id)
    record_event(actor=actor, action="workforce.start_mentoring", obj=pair, after={
        "mentor": mentor.pk, "mentee": mentee.pk, "area": area.code, "started_on": started_on, "goal": goal[:200]})
    return pair


@transaction.atomic(durable=True)
def end_mentoring(*, actor: Actor, pair_id: int, ended_on, note: str = "") -> MentoringPair:
    """The pair's work is done (or stopped): kept, no longer active."""
    actor.require(TRAINING)
    pair = get_in_scope(MentoringPair.objects.select_for_update(), actor, pk=pair_id)
    if pair.ended_on is not None:
        raise Conflict(_("This mentoring pair already ended on %(d)s.") % {"d": pair.ended_on.isoformat()}, code="conflict")
    ended_on = parse_date(ended_on, field="ended_on", required=True)
    if ended_on > today():
        raise ValidationError(_("The end (%(d)s) is in the future.") % {"d": ended_on.isoformat()}, field="ended_on")
    if ended_on < pair.started_on:
        raise ValidationError(_("The end is before the start (%(d)s).") % {"d": pair.started_on.isoformat()}, field="ended_on")
    pair.ended_on = ended_on
    pair.end_note = clean_field(note, "note", max_length=500, multiline=True)
    pair.save(update_fields=["ended_on", "end_note"])
    record_event(actor=actor, action="workforce.end_mentoring", obj=pair, after={"ended_on": ended_on,
                                                                                 "note": pair.end_note[:200]})
    return pair
