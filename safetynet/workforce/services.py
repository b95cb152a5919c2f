"""Writes to the workforce register (DESIGN.md §8): staff identities for close-relative filing."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.areas.models import Area, Level
from safetynet.core.audit import record_event
from safetynet.core.errors import Conflict, NotFound, ValidationError
from safetynet.core.idnumbers import parse_id_number
from safetynet.core.text import clean_text
from safetynet.core.masking import mask_id_number
from safetynet.core.scoping import Actor, get_in_scope

from .models import StaffIdentity, StaffKind

MANAGE = "workforce.manage"

# Which level of area each kind works at (a county staff member sits at the county, etc.).
KIND_LEVELS = {
    StaffKind.COUNTY_STAFF: {Level.COUNTY},
    StaffKind.TOWN_STAFF: {Level.TOWN},
    StaffKind.VILLAGE_COMMITTEE: {Level.VILLAGE},
    StaffKind.GRID_WORKER: {Level.GRID},
}


def _snapshot(identity: StaffIdentity) -> dict:
    return {"name": identity.name, "id_number": mask_id_number(identity.id_number), "area": identity.area_id,
            "kind": identity.kind, "user": identity.user_id, "is_active": identity.is_active}


@transaction.atomic(durable=True)
def register_staff_identity(*, actor: Actor, name: str, id_number: str, area_code: str, kind: str,
                            user_id: int | None = None) -> StaffIdentity:
    """Register someone who handles or supervises assistance, or sits on a village committee.

    The ID number is validated (GB 11643-1999) because close-relative detection matches the
    registry's kinship against it; one active identity per person."""
    actor.require(MANAGE)
    name = clean_text(name, field="name")
    if not name:
        raise ValidationError(_("The name is required."), field="name")
    if len(name) > 50:
        raise ValidationError(_("A name has at most 50 characters."), field="name")
    resident = parse_id_number(id_number, field="id_number")
    if kind not in StaffKind.values:
        raise ValidationError(_("Choose county staff, town staff, village committee member or grid worker."), field="kind")
    actor.require_area(area_code or "")
    area = Area.objects.filter(code=area_code).first()
    if area is None:
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": area_code}, field="area")
    if area.level not in KIND_LEVELS[kind]:
        raise ValidationError(_("A %(kind)s works at a %(level)s, not at %(area)s.") % {
            "kind": StaffKind(kind).label, "level": "/".join(str(Level(l).label) for l in KIND_LEVELS[kind]),
            "area": area.name}, field="area")
    if user_id is not None:
        from django.contrib.auth import get_user_model

        if not get_user_model().objects.filter(pk=user_id).exists():
            raise ValidationError(_("No such login."), field="user")
    if StaffIdentity.objects.filter(id_number=resident.number, is_active=True).exists():
        raise Conflict(_("This person is already registered as active staff."), field="id_number")
    identity = StaffIdentity.objects.create(user_id=user_id, name=name, id_number=resident.number, area=area, kind=kind)
    record_event(actor=actor, action="workforce.register_staff_identity", obj=identity, after=_snapshot(identity))
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
