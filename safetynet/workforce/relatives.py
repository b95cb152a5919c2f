"""Declaring and withdrawing close relatives (issue 18 part 3; POLICY.md §1 step 2).

Who may declare for a staff identity: the staff member himself, logged in with a post that writes
(an inspector's read-only post writes nothing but findings), or a post holding `oversight.relatives`
or `workforce.manage` whose area covers the staff member's (village cadres often have no login,
so their town records what they declare). The same rule for withdrawing.

A declaration counts at once in close-relative detection (`cases.closerelatives`), like a registry
kinship link.
"""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from safetynet.core.audit import record_event
from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.core.idnumbers import parse_id_number
from safetynet.core.masking import mask_id_number
from safetynet.core.scoping import Actor, in_scope
from safetynet.core.text import checked_choice, clean_field
from safetynet.registry.models import KinshipRelation

from .models import DeclaredRelative, StaffIdentity

KEEP = "oversight.relatives"
MANAGE = "workforce.manage"
READ_ONLY = "oversight.inspect"     # the mark of an inspector's post: it writes nothing but findings


def _snapshot(d: DeclaredRelative) -> dict:
    return {"staff_identity": d.staff_identity_id, "name": d.name, "id_number": mask_id_number(d.id_number),
            "relation": d.relation, "declared_on": d.declared_on, "is_active": d.is_active,
            "withdrawn_reason": d.withdrawn_reason}


def may_keep_for(actor: Actor, identity: StaffIdentity) -> bool:
    """Whether `actor` may declare or withdraw for `identity` (see the module docstring)."""
    if actor.can(READ_ONLY):
        return False
    if actor.user_id is not None and identity.user_id == actor.user_id:
        return True
    return (actor.can(KEEP) or actor.can(MANAGE)) and actor.covers(identity.area_id)


def _require_keeper(actor: Actor, identity: StaffIdentity) -> None:
    if may_keep_for(actor, identity):
        return
    if actor.can(READ_ONLY):
        raise PermissionDenied(_("An inspector's post records findings and writes nothing else."), code="forbidden")
    if not (actor.can(KEEP) or actor.can(MANAGE)):
        actor.require(KEEP)
    raise NotFound(_("No such staff member in your area."), field="staff_identity")


def _identity(actor: Actor, identity_id) -> StaffIdentity:
    try:
        identity = StaffIdentity.objects.select_for_update().get(pk=int(identity_id), is_active=True)
    except (StaffIdentity.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("No such staff member in your area."), field="staff_identity")
    _require_keeper(actor, identity)
    return identity


@transaction.atomic(durable=True)
def declare_relative(*, actor: Actor, staff_identity_id: int, name: str, id_number: str, relation: str,
                     declared_on: dt.date) -> DeclaredRelative:
    """Record one close relative of a staff member (validated ID number, a relation of POLICY.md §1
    step 2). Declaring the same person twice while in force is a conflict."""
    identity = _identity(actor, staff_identity_id)
    name = clean_field(name, "name", max_length=50, required=True)
    resident = parse_id_number(id_number, field="id_number")
    checked_choice(relation, KinshipRelation.values, "relation",
                   _("Choose spouse, parent, child, sibling, grandparent or grandchild."))
    if resident.number == identity.id_number:
        raise ValidationError(_("A staff member is not their own relative: give the relative's ID number."),
                              field="id_number")
    if DeclaredRelative.objects.filter(staff_identity=identity, id_number=resident.number, is_active=True).exists():
        raise Conflict(_("This relative is already declared for %(name)s.") % {"name": identity.name}, field="id_number")
    declared = DeclaredRelative.objects.create(
        staff_identity=identity, area_id=identity.area_id, name=name, id_number=resident.number, relation=relation,
        declared_on=declared_on, recorded_by_id=actor.user_id)
    record_event(actor=actor, action="workforce.declare_relative", obj=declared, after=_snapshot(declared))
    return declared


@transaction.atomic(durable=True)
def withdraw_declaration(*, actor: Actor, declaration_id: int, reason: str, on: dt.date) -> DeclaredRelative:
    """End a declaration (declared by mistake, a marriage ended): kept for history, no longer matched."""
    declared = DeclaredRelative.objects.select_for_update().filter(pk=declaration_id).first()
    if declared is None:
        raise NotFound(_("No such declaration in your area."))
    _require_keeper(actor, StaffIdentity.objects.get(pk=declared.staff_identity_id))
    reason = clean_field(reason, "reason", max_length=200, required=True)
    if not declared.is_active:
        raise Conflict(_("This declaration was already withdrawn."), code="conflict")
    before = _snapshot(declared)
    declared.is_active = False
    declared.withdrawn_on = on
    declared.withdrawn_reason = reason
    declared.save(update_fields=["is_active", "withdrawn_on", "withdrawn_reason"])
    record_event(actor=actor, action="workforce.withdraw_declaration", obj=declared, before=before,
                 after=_snapshot(declared))
    return declared


def declarations_in_scope(actor: Actor, *, active_only: bool = True) -> QuerySet[DeclaredRelative]:
    """The register a post reads: declarations of staff in its area, and the post's own."""
    actor.require("oversight.view")
    qs = in_scope(DeclaredRelative.objects.select_related("staff_identity", "area"), actor)
    return qs.filter(is_active=True) if active_only else qs


def own_declarations(actor: Actor) -> QuerySet[DeclaredRelative]:
    """What the logged-in staff member declared for themselves (any post reads its own)."""
    return (DeclaredRelative.objects.select_related("staff_identity")
            .filter(staff_identity__user_id=actor.user_id, staff_identity__is_active=True)
            if actor.user_id else DeclaredRelative.objects.none())
