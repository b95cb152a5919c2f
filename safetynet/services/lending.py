"""Lending a town's open work to a purchased service's worker, and taking it back (issue 19).

The one place this app writes `workload.WorkAssignment` rows: `lend_work` ends the work's current
assignment (a town worker's) and gives it, with reason "lent", to the provider's worker, whose
post (`assigned_only`) then opens exactly that work through `workload.scope`; `end_lent_work`
ends the lent rows when the county accepts or rejects the task, and the work is closed to the
worker again.

Until workload's own `assign_work` (issue 19 part 2) is merged, these write the assignment rows
directly; at the merge they call it instead (the same unit of work, reason LENT).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from safetynet.core.scoping import Actor
from safetynet.core.unitofwork import UnitOfWork
from safetynet.workload.models import AssignmentReason, WorkAssignment

LEND = "workload.lend"
_COLUMN = {"case": "case_id", "recheck": "recheck_id", "lead": "lead_id"}


@dataclass(frozen=True)
class LentWork:
    """One piece of work to lend: its kind ("case", "recheck", "lead"), id, area and household."""
    kind: str
    id: int
    area_id: str
    household_id: int | None


def lend_work(uow: UnitOfWork, *, actor: Actor, items: list[LentWork], worker_id: int, due_on: dt.date,
              note: str = "") -> dict[tuple[str, int], WorkAssignment]:
    """Lend every item to the staff identity `worker_id` through the unit of work: the current
    assignment of each (if any) ends, a current "lent" one is inserted. The caller has checked
    the items (in scope, open, not already with a provider). Answers the new rows by (kind, id)."""
    actor.require(LEND)
    if not items:
        return {}
    at = timezone.now()
    for kind in _COLUMN:
        ids = [i.id for i in items if i.kind == kind]
        if ids:
            for pk in WorkAssignment.objects.filter(is_current=True, **{f"{_COLUMN[kind]}__in": ids}) \
                    .values_list("pk", flat=True):
                uow.update_where(WorkAssignment, {"is_current": False, "ended_at": at}, id=pk)
    made = {}
    for item in items:
        made[(item.kind, item.id)] = uow.insert(WorkAssignment(
            kind=item.kind, **{_COLUMN[item.kind]: item.id}, household_id=item.household_id, area_id=item.area_id,
            worker_id=worker_id, due_on=due_on, reason=AssignmentReason.LENT, note=note[:200],
            assigned_by_id=actor.user_id, assigned_at=at, is_current=True))
    uow.record_event(actor=actor, action="workload.lend_work", object_type="workforce.staffidentity",
                     object_id=worker_id, after={"items": [f"{i.kind}:{i.id}" for i in items], "due_on": due_on})
    return made


def end_lent_work(uow: UnitOfWork, *, assignment_ids: list[int]) -> None:
    """End the lent assignments (the task is accepted or rejected): the work is closed to the
    provider's worker again. Its caller's own permission and audit event cover it."""
    at = timezone.now()
    for pk in assignment_ids:
        uow.update_where(WorkAssignment, {"is_current": False, "ended_at": at}, id=pk, is_current=True)
