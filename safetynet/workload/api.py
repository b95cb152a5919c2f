"""Workload and assignment over HTTP (`/api/v1/workload/`, issue 19 part 2): the county's
overview by town, a town's workers' loads, assignments (list, one), assigning a list of items
(proposed by capacity, chosen, or lent to a purchased service by the county), re-assigning, and
assigning a town's new work as proposed. Each write calls the service the pages call: 403 for
the role, 404 outside the area; a list answers each item's outcome (its refusal's code and
reason), 409 when another office assigned the same work meanwhile.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Path, Query, Router, Schema
from django.utils.translation import gettext as _
from pydantic import StrictBool, StringConstraints

from safetynet.core.apischemas import NO_CONTROL, InputSchema, PageQuery, responses
from safetynet.core.errors import ValidationError
from safetynet.core.pagination import api_page

from . import assignments, overview, selectors
from .assignments import WorkRef
from .models import AssignmentReason, WorkKind

router = Router(tags=["workload"])

MAX_ID = 2_147_483_647
Id = Annotated[int, Path(..., ge=1, le=MAX_ID)]
# Any area code: a post without the permission is refused (403) before the code is judged, an
# area outside the post's answers 404, one that is no town 404 (reads) or 422 (assigning).
TownCode = Annotated[str, Path(..., pattern=r"^[0-9]{1,18}$")]
Note = Annotated[str, StringConstraints(max_length=200, pattern=NO_CONTROL)]   # one line
Kind = Literal[tuple(WorkKind.values)]


class TownLoadOut(Schema):
    code: str
    name: str
    cases: int
    cases_overdue: int
    rechecks: int
    rechecks_overdue: int
    leads: int
    leads_overdue: int
    open: int
    overdue: int
    unassigned: int
    workers: int
    fte: float
    households: int
    items_per_fte: float | None
    households_per_fte: float | None
    open_items_per_worker: int
    caseload_per_worker: int
    min_workers_per_town: int
    understaffed: bool
    over_norm: bool
    reasons: list[str]


class WorkloadOverviewQuery(Schema):
    county: str = Field("", pattern=r"^([0-9]{6})?$", description="empty: the post's county")


def _town(t) -> dict:
    return {**{k: getattr(t, k) for k in TownLoadOut.model_fields if k not in ("fte", "items_per_fte", "households_per_fte")},
            "fte": float(t.fte), "items_per_fte": None if t.items_per_fte is None else float(t.items_per_fte),
            "households_per_fte": None if t.households_per_fte is None else float(t.households_per_fte)}


@router.get("/overview", response=responses(list[TownLoadOut]),
            summary="Open work, overdue, staff and the staffing norms' flags of each town of a county")
def county_overview(request, filters: Query[WorkloadOverviewQuery]):
    actor = request.auth
    actor.require(selectors.VIEW)
    county = filters.county or actor.area_code[:6]
    if not county:
        raise ValidationError(_("Name the county."), field="county")
    return [_town(t) for t in overview.town_loads(actor, county, on=assignments.today())]


class WorkerLoadOut(Schema):
    id: int
    name: str
    share: float
    items: int
    overdue: int
    weight: int
    cases: int
    rechecks: int
    leads: int
    load: float | None


@router.get("/towns/{code}/workers", response=responses(list[WorkerLoadOut]),
            summary="A town's staff and what each holds (load: weighted open items per full-time share)")
def town_workers(request, code: TownCode):
    return [{"id": w.id, "name": w.name, "share": float(w.share), "items": w.items, "overdue": w.overdue,
             "weight": w.weight, "cases": w.cases, "rechecks": w.rechecks, "leads": w.leads,
             "load": None if w.load is None else float(w.load)}
            for w in overview.worker_loads(request.auth, code, on=assignments.today())]


class AssignmentOut(Schema):
    id: int
    kind: str
    item: int
    household: int | None
    area: str
    worker: int
    worker_name: str
    due_on: dt.date | None
    reason: str
    note: str
    assigned_at: dt.datetime
    current: bool
    ended_at: dt.datetime | None


def _assignment(a) -> dict:
    return {"id": a.pk, "kind": a.kind, "item": getattr(a, f"{a.kind}_id"), "household": a.household_id,
            "area": a.area_id, "worker": a.worker_id, "worker_name": a.worker.name, "due_on": a.due_on,
            "reason": a.reason, "note": a.note, "assigned_at": a.assigned_at, "current": a.is_current,
            "ended_at": a.ended_at}


class AssignmentPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[AssignmentOut]


class AssignmentFilter(PageQuery):
    town: str = Field("", pattern=r"^([0-9]{9})?$")
    worker: int | None = Field(None, ge=1, le=MAX_ID)
    kind: Literal["case", "recheck", "lead", ""] = ""
    current: bool = Field(True, description="false: ended rows too (the history)")


@router.get("/assignments", response=responses(AssignmentPage), summary="Assignments in the post's area")
def list_assignments(request, filters: Query[AssignmentFilter]):
    qs = selectors.assignments_in_scope(request.auth, current_only=filters.current)
    if filters.town:
        qs = qs.filter(area__code__startswith=filters.town)
    if filters.worker:
        qs = qs.filter(worker_id=filters.worker)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    return api_page(qs.order_by("-id"), offset=filters.offset, limit=filters.limit, item=_assignment)


@router.get("/assignments/{assignment_id}", response=responses(AssignmentOut), summary="One assignment")
def get_assignment(request, assignment_id: Id):
    return _assignment(selectors.get_assignment(request.auth, assignment_id))


class AssignmentItemIn(InputSchema):
    kind: Kind
    id: int = Field(..., ge=1, le=MAX_ID)
    worker: int | None = Field(None, ge=1, le=MAX_ID, description="empty: the worker the capacity rule proposes")


class AssignmentsIn(InputSchema):
    items: list[AssignmentItemIn] = Field(..., min_length=1, max_length=500)
    lend: StrictBool = Field(False, description="lend to a purchased service's worker (the county; each item names the worker)")
    note: Note = ""


class ReassignIn(InputSchema):
    items: list[AssignmentItemIn] = Field(..., min_length=1, max_length=500)
    note: Note = ""


class RefusalOut(Schema):
    code: str
    message: str
    field: str | None


class AssignmentOutcomeOut(Schema):
    kind: str
    id: int
    ok: bool
    assignment: AssignmentOut | None
    ended: int | None
    error: RefusalOut | None


def _outcomes(outcomes) -> list[dict]:
    return [{"kind": o.ref.kind, "id": o.ref.id, "ok": o.ok,
             "assignment": _assignment(o.assignment) if o.assignment is not None else None,
             "ended": o.ended.pk if o.ended is not None else None,
             "error": {"code": o.error.code, "message": o.error.message, "field": o.error.field} if o.error else None}
            for o in outcomes]


def _refs(items) -> list[WorkRef]:
    return [WorkRef(i.kind, i.id, i.worker) for i in items]


@router.post("/assignments", response=responses(list[AssignmentOutcomeOut]),
             summary="Assign a list of open items (each to its named worker or as the capacity rule proposes)")
def assign(request, payload: AssignmentsIn):
    reason = AssignmentReason.LENT if payload.lend else ""
    return _outcomes(assignments.assign(actor=request.auth, items=_refs(payload.items), reason=reason, note=payload.note))


@router.post("/reassignments", response=responses(list[AssignmentOutcomeOut]),
             summary="Re-assign held items (the town leader, the county); the current rows are ended and kept")
def reassign(request, payload: ReassignIn):
    return _outcomes(assignments.reassign(actor=request.auth, items=_refs(payload.items), note=payload.note))


class NewWorkOut(Schema):
    town: str
    open: int
    assigned: int
    refused: dict[str, int]


@router.post("/towns/{code}/assign-new", response=responses(NewWorkOut),
             summary="Assign every open item of a town nobody holds, as the capacity rule proposes")
def assign_new(request, code: TownCode):
    result = assignments.assign_new_work(actor=request.auth, town_code=code)
    return {"town": result.town, "open": result.open, "assigned": result.assigned, "refused": dict(result.refused)}
