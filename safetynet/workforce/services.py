"""Writes to the workforce register (DESIGN.md §8): staff identities (for close-relative filing,
the investigators' picker and, since issue 19, the staff register with its employment, post,
share of full time and qualifications)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.areas.models import Area, Level
from safetynet.core.audit import record_event
from safetynet.core.dates import parse_date
from safetynet.core.errors import Conflict, NotFound, ValidationError
from safetynet.core.idnumbers import parse_id_number
from safetynet.core.masking import mask_id_number
from safetynet.core.scoping import Actor, get_in_scope
from safetynet.core.text import clean_field, clean_text

from .clock import today
from .models import EMPLOYMENT_OF_KIND, EMPLOYMENTS_OF_KIND, Employment, Qualification, StaffIdentity, StaffKind
from .quantities import parse_share

MANAGE = "workforce.manage"
WORKING_AGE = 16          # nobody joins the office younger (Labour Law art. 15)
KEEP = object()           # `update_staff_identity`: this field is not changed

# Which level of area each kind works at (a county staff member sits at the county, etc.).
KIND_LEVELS = {
    StaffKind.COUNTY_STAFF: {Level.COUNTY},
    StaffKind.TOWN_STAFF: {Level.TOWN},
    StaffKind.VILLAGE_COMMITTEE: {Level.VILLAGE},
    StaffKind.GRID_WORKER: {Level.GRID},
}


def _snapshot(identity: StaffIdentity) -> dict:
    return {"name": identity.name, "id_number": mask_id_number(identity.id_number), "area": identity.area_id,
            "kind": identity.kind, "user": identity.user_id, "is_active": identity.is_active,
            "employment": identity.employment, "post_title": identity.post_title,
            "full_time_share": str(identity.full_time_share), "joined_on": identity.joined_on}


def _name(value) -> str:
    name = clean_text(value, field="name")
    if not name:
        raise ValidationError(_("The name is required."), field="name")
    if len(name) > 50:
        raise ValidationError(_("A name has at most 50 characters."), field="name")
    return name


def checked_employment(kind: str, employment: str) -> str:
    """The footing given, or the kind's usual one when none is; refused when the kind is not on it."""
    employment = (employment or "").strip() or EMPLOYMENT_OF_KIND[kind]
    if employment not in Employment.values:
        raise ValidationError(_("Choose civil servant, contracted assistant, village cadre, grid worker or provider's worker."),
                              field="employment")
    if employment not in EMPLOYMENTS_OF_KIND[kind]:
        raise ValidationError(_("A %(kind)s is not employed as a %(employment)s: choose %(choices)s.") % {
            "kind": StaffKind(kind).label, "employment": Employment(employment).label,
            "choices": _(" or ").join(str(Employment(e).label) for e in EMPLOYMENTS_OF_KIND[kind])}, field="employment")
    return employment


def checked_joined_on(value, birth_date: dt.date) -> dt.date | None:
    """The day the person joined: not in the future, and at working age."""
    joined = parse_date(value, field="joined_on")
    if joined is None:
        return None
    if joined > today():
        raise ValidationError(_("The day joined (%(d)s) is in the future.") % {"d": joined.isoformat()}, field="joined_on")
    if joined < _years_after(birth_date, WORKING_AGE):
        raise ValidationError(_("The day joined (%(d)s) is before the person was %(age)d years old.") % {
            "d": joined.isoformat(), "age": WORKING_AGE}, field="joined_on")
    return joined


def _years_after(day: dt.date, years: int) -> dt.date:
    """The day `years` after `day` (a 29 February birthday comes of age on 1 March)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


def _user(user_id) -> int | None:
    if user_id is None:
        return None
    if not get_user_model().objects.filter(pk=user_id).exists():
        raise ValidationError(_("No such login."), field="user")
    return user_id


@transaction.atomic(durable=True)
def register_staff_identity(*, actor: Actor, name: str, id_number: str, area_code: str, kind: str,
                            user_id: int | None = None, employment: str = "", post_title: str = "",
                            full_time_share=None, joined_on=None) -> StaffIdentity:
    """Register someone who handles or supervises assistance, or sits on a village committee.

    The ID number is validated (GB 11643-1999) because close-relative detection matches the
    registry's kinship against it, and gives the birth date the register shows ages from; one
    active identity per person. Employment defaults to the kind's usual footing, the share of
    full time to 1.00."""
    actor.require(MANAGE)
    actor.require_area(area_code or "")
    area = Area.objects.filter(code=area_code).first()
    if area is None:
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": area_code}, field="area")
    name = _name(name)
    resident = parse_id_number(id_number, field="id_number")
    if kind not in StaffKind.values:
        raise ValidationError(_("Choose county staff, town staff, village committee member or grid worker."), field="kind")
    if area.level not in KIND_LEVELS[kind]:
        raise ValidationError(_("A %(kind)s works at a %(level)s, not at %(area)s.") % {
            "kind": StaffKind(kind).label, "level": "/".join(str(Level(l).label) for l in KIND_LEVELS[kind]),
            "area": area.name}, field="area")
    employment = checked_employment(kind, employment)
    post_title = clean_field(post_title, "post_title", max_length=50)
    share = Decimal("1.00") if full_time_share in (None, "") else parse_share(full_time_share)
    joined = checked_joined_on(joined_on, resident.birth_date)
    user_id = _user(user_id)
    if StaffIdentity.objects.filter(id_number=resident.number, is_active=True).exists():
        raise Conflict(_("This person is already registered as active staff."), field="id_number")
    identity = StaffIdentity.objects.create(
        user_id=user_id, name=name, id_number=resident.number, area=area, kind=kind, employment=employment,
        post_title=post_title, birth_date=resident.birth_date, full_time_share=share, joined_on=joined)
    record_event(actor=actor, action="workforce.register_staff_identity", obj=identity, after=_snapshot(identity))
    return identity


@transaction.atomic(durable=True)
def update_staff_identity(*, actor: Actor, identity_id: int, name=KEEP, employment=KEEP, post_title=KEEP,
                          full_time_share=KEEP, joined_on=KEEP, user_id=KEEP) -> StaffIdentity:
    """Correct what the register says of an active staff member (the fields given; `KEEP` leaves
    one as it is). The ID number, the kind and the place of work are not edited: a person who
    moves is ended and registered again, so the close-relative history keeps where he was."""
    actor.require(MANAGE)
    identity = get_in_scope(StaffIdentity.objects.select_for_update(), actor, id=identity_id)
    if not identity.is_active:
        raise Conflict(_("This staff member has left: the register keeps the entry as it was."), code="inactive")
    before = _snapshot(identity)
    if name is not KEEP:
        identity.name = _name(name)
    if employment is not KEEP:
        identity.employment = checked_employment(identity.kind, employment)
    if post_title is not KEEP:
        identity.post_title = clean_field(post_title, "post_title", max_length=50)
    if full_time_share is not KEEP:
        identity.full_time_share = parse_share(full_time_share)
    if joined_on is not KEEP:
        birth = identity.birth_date or parse_id_number(identity.id_number).birth_date
        identity.joined_on = checked_joined_on(joined_on, birth)
    if user_id is not KEEP:
        identity.user_id = _user(user_id)
    identity.save()
    after = _snapshot(identity)
    if after != before:
        record_event(actor=actor, action="workforce.update_staff_identity", obj=identity, before=before, after=after)
    return identity


@transaction.atomic(durable=True)
def end_staff_identity(*, actor: Actor, identity_id: int) -> StaffIdentity:
    """A staff member leaves the post: kept for history, no longer matched."""
    actor.require(MANAGE)
    identity = get_in_scope(StaffIdentity.objects.select_for_update(), actor, id=identity_id)
    if not identity.is_active:
        return identity
    before = _snapshot(identity)
    identity.is_active = False
    identity.ended_at = timezone.now()
    identity.save(update_fields=["is_active", "ended_at"])
    record_event(actor=actor, action="workforce.end_staff_identity", obj=identity, before=before, after=_snapshot(identity))
    return identity


@transaction.atomic(durable=True)
def record_qualification(*, actor: Actor, staff_identity_id: int, name: str, obtained_on, level: str = "",
                         certificate_number: str = "", expires_on=None) -> Qualification:
    """A certificate an active staff member holds: obtained on a day not in the future and not
    before he was born; it expires (if it does) after it was obtained. The same qualification at
    the same level is recorded once."""
    actor.require(MANAGE)
    identity = get_in_scope(StaffIdentity.objects.select_for_update(), actor, id=staff_identity_id)
    if not identity.is_active:
        raise Conflict(_("This staff member has left: the register keeps the entry as it was."), code="inactive")
    name = clean_field(name, "name", max_length=100, required=True)
    level = clean_field(level, "level", max_length=50)
    certificate_number = clean_field(certificate_number, "certificate_number", max_length=50)
    obtained = parse_date(obtained_on, field="obtained_on", required=True)
    if obtained > today():
        raise ValidationError(_("The day obtained (%(d)s) is in the future.") % {"d": obtained.isoformat()}, field="obtained_on")
    birth = identity.birth_date or parse_id_number(identity.id_number).birth_date
    if obtained <= birth:
        raise ValidationError(_("The day obtained (%(d)s) is before the person was born.") % {"d": obtained.isoformat()},
                              field="obtained_on")
    expires = parse_date(expires_on, field="expires_on")
    if expires is not None and expires <= obtained:
        raise ValidationError(_("A qualification expires after the day it was obtained."), field="expires_on")
    if Qualification.objects.filter(staff_identity=identity, name=name, level=level).exists():
        raise Conflict(_("%(name)s already holds this qualification at this level.") % {"name": identity.name}, field="name")
    qualification = Qualification.objects.create(
        staff_identity=identity, area_id=identity.area_id, name=name, level=level,
        certificate_number=certificate_number, obtained_on=obtained, expires_on=expires)
    record_event(actor=actor, action="workforce.record_qualification", obj=qualification, after={
        "staff_identity": identity.pk, "name": name, "level": level, "certificate_number": certificate_number,
        "obtained_on": obtained, "expires_on": expires})
    return qualification


def disclose_id_numbers(*, actor: Actor, identity_ids: list[int], where: str) -> None:
    """Whole ID numbers of staff left the system (a post holding `registry.view_id_number` read
    them on a page or through the API): record who received which (DESIGN.md §5)."""
    if identity_ids and actor.can("registry.view_id_number"):
        record_event(actor=actor, action="workforce.disclose_id_numbers", object_type="workforce.staffidentity",
                     object_id=where[:200], after={"staff_identities": identity_ids})
