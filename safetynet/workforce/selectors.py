"""Reads of the workforce register, through the actor's scope."""
from __future__ import annotations

from django.db.models import QuerySet

from safetynet.core.scoping import Actor, in_scope

from .models import StaffIdentity


def staff_identities_in_scope(actor: Actor, *, active_only: bool = True) -> QuerySet[StaffIdentity]:
    qs = in_scope(StaffIdentity.objects.select_related("area"), actor)
    return qs.filter(is_active=True) if active_only else qs
