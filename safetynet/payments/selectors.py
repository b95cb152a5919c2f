"""Reads of enrollments, through the actor's scope (the case pages show a case's enrollment;
the payments issue adds payroll reads)."""
from __future__ import annotations

from django.db.models import QuerySet

from safetynet.core.scoping import Actor, get_in_scope, in_scope

from .models import LIVE_STATUSES, Enrollment


def enrollments_in_scope(actor: Actor, *, live_only: bool = False) -> QuerySet[Enrollment]:
    actor.require("cases.view")
    qs = in_scope(Enrollment.objects.select_related("program", "household", "person"), actor)
    return qs.filter(status__in=LIVE_STATUSES) if live_only else qs


def get_enrollment(actor: Actor, enrollment_id) -> Enrollment:
    actor.require("cases.view")
    return get_in_scope(Enrollment.objects.select_related("program", "household", "person", "decision"), actor,
                        pk=enrollment_id)
