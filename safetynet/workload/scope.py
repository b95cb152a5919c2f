"""What a post that sees only its assigned work finds (`core.scoping.in_scope` calls
`assigned_work` for an actor with `assigned_only`, through `settings.ASSIGNED_WORK_SCOPE`).

The answer is built from the actor's current assignments: the cases, re-checks and leads named,
the rows that hang off them (a survey or document by its `case`), and the households they concern
(so the worker can read the household it visits). Any other table answers nothing: a new table
is closed to such a post until it is named here."""
from __future__ import annotations

from django.db.models import QuerySet

from safetynet.core.scoping import Actor

from .models import WorkAssignment

# The tables whose rows are the work itself, by the assignment's column naming them.
_WORK_TABLES = {"cases.case": "case_id", "enrollments.recheck": "recheck_id", "discovery.lead": "lead_id"}
_HOUSEHOLD_TABLES = {"registry.household": "pk", "registry.person": "household_id"}


def current_assignments(actor: Actor) -> QuerySet[WorkAssignment]:
    """The actor's current assignments: those naming a staff identity of the actor's login."""
    return WorkAssignment.objects.filter(is_current=True, worker__user_id=actor.user_id, worker__is_active=True)


def assigned_work(queryset: QuerySet, actor: Actor) -> QuerySet:
    mine = current_assignments(actor)
    label = queryset.model._meta.label_lower
    if label in _WORK_TABLES:
        column = _WORK_TABLES[label]
        return queryset.filter(pk__in=mine.filter(**{f"{column}__isnull": False}).values(column))
    if label in _HOUSEHOLD_TABLES:
        return queryset.filter(**{f"{_HOUSEHOLD_TABLES[label]}__in": mine.filter(household__isnull=False)
                                  .values("household_id")})
    names = {f.name for f in queryset.model._meta.get_fields() if f.is_relation and f.many_to_one}
    for link, column in (("case", "case_id"), ("recheck", "recheck_id"), ("lead", "lead_id")):
        if link in names:
            return queryset.filter(**{f"{link}__in": mine.filter(**{f"{column}__isnull": False}).values(column)})
    return queryset.none()

