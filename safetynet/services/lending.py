"""Lending a town's open work to a purchased service's worker, and taking it back (issue 19).

Lending is workload's `assign_work` with reason "lent" (the one way work gets a worker: the same
checks of the item, of the worker's county and of the household's relatives); the provider's
worker's post (`assigned_only`) then opens exactly that work through `workload.scope`.
`end_lent_work` ends the lent rows when the county accepts or rejects the task, and the work is
closed to the worker again.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from safetynet.core.scoping import Actor
from safetynet.core.unitofwork import UnitOfWork
from safetynet.workload.assignments import Outcome, WorkRef, assign_work
from safetynet.workload.models import AssignmentReason, WorkAssignment


@dataclass(frozen=True)
class LentWork:
    """One piece of work to lend: its kind ("case", "recheck", "lead") and id."""
    kind: str
    id: int


def lend_work(uow: UnitOfWork, *, actor: Actor, items: list[LentWork], worker_id: int,
              note: str = "") -> dict[tuple[str, int], Outcome]:
    """Lend every item to the staff identity `worker_id` through the unit of work (workload's
    `assign_work`, reason LENT: the current assignment of each ends, a current "lent" one is
    inserted). Answers each item's outcome by (kind, id): its new row, or its refusal."""
    if not items:
        return {}
    outcomes = assign_work(uow, actor=actor, items=[WorkRef(i.kind, i.id, worker_id) for i in items],
                           reason=AssignmentReason.LENT, note=note[:200])
    return {(o.ref.kind, o.ref.id): o for o in outcomes}


def end_lent_work(uow: UnitOfWork, *, assignment_ids: list[int]) -> None:
    """End the lent assignments (the task is accepted or rejected): the work is closed to the
    provider's worker again. Its caller's own permission and audit event cover it."""
    at = timezone.now()
    for pk in assignment_ids:
        uow.update_where(WorkAssignment, {"is_current": False, "ended_at": at}, id=pk, is_current=True)
