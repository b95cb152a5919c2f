"""The demo county's open work assigned by capacity (issue 19 part 2), after its months of office
work, through the services an office uses:

- each town's worker assigns the town's open work nobody holds (cases to survey, re-checks,
  leads) as the capacity rule proposes (`assignments.assign_new_work`), so every town page opens
  on its workers' loads and the county's overview on every town's;
- the demo town's leader re-assigns two items away from the busiest worker of the town, to
  whom the capacity rule proposes among the others, noting why.

A second call adds nothing (what is held is left alone; the re-assignments are made once, noted).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from safetynet.core.scoping import Actor

from . import overview
from .assignments import WorkRef, assign_new_work, reassign
from .models import AssignmentReason, WorkAssignment
from .selectors import held_work

REASSIGN_NOTE = "负担过重 调整给他人"   # as `core.text.clean_text` keeps it


def build_assignment_demo(*, town_actors: Mapping[str, Actor], actor_of: Callable[[str], Actor], day: dt.date) -> dict:
    """`town_actors`: a post of each town that assigns its work (the towns' workers); `actor_of`:
    the demo's actor by login (the town leader re-assigns)."""
    counts = {"towns": 0, "assigned": 0, "refused": 0, "reassigned": 0}
    for town, actor in sorted(town_actors.items()):
        result = assign_new_work(actor=actor, town_code=town)
        counts["towns"] += 1
        counts["assigned"] += result.assigned
        counts["refused"] += sum(result.refused.values())
    leader = actor_of("town_leader")
    town = leader.area_code[:9]
    if not WorkAssignment.objects.filter(reason=AssignmentReason.REASSIGNED, area__code__startswith=town,
                                         note=REASSIGN_NOTE).exists():
        loads = overview.worker_loads(leader, town, on=day)
        if len(loads) > 1 and loads[0].items:
            busiest = loads[0].id
            items = [WorkRef(a.kind, getattr(a, f"{a.kind}_id")) for a in held_work(town).filter(worker_id=busiest)[:2]]
            counts["reassigned"] = sum(o.ok for o in reassign(actor=leader, items=items, note=REASSIGN_NOTE))
    return counts
