"""Tasks given to providers over HTTP (`/api/v1/services/tasks`, issue 19 part 4): the tasks in the
post's area, assigning a list of work under a contract (each item answered with its task or its
refusal), a provider worker's own tasks and its submission, and the county's acceptance or
rejection. Each call is the service the pages call: 403 for the role, 404 outside the area."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Path, Query, Router, Schema
from pydantic import Field, StringConstraints

from safetynet.core.apischemas import NO_CONTROL, NO_NUL, SOME_TEXT, InputSchema, PageQuery, responses
from safetynet.core.pagination import api_page

from . import selectors, tasks
from .models import ServiceScope, TaskStatus
from .tasks import WorkRef

router = Router(tags=["services"])
MAX_ID = 2_147_483_647
Id = Annotated[int, Path(..., ge=1, le=MAX_ID)]
Search = Annotated[str, StringConstraints(max_length=50, pattern=NO_CONTROL)]
StatusCode = Literal[tuple(TaskStatus.values)]  # type: ignore[valid-type]


class TaskOut(Schema):
    id: int
    contract: int
    kind: str
    work_kind: str
    case: int | None
    recheck: int | None
    lead: int | None
    area: str
    worker: int
    worker_name: str
    assigned_on: dt.date
    due_on: dt.date
    status: str
    submitted_on: dt.date | None
    submission_note: str
    decided_on: dt.date | None
    reject_reason: str


def _task(t) -> dict:
    return {"id": t.pk, "contract": t.contract_id, "kind": t.kind, "work_kind": t.work_kind, "case": t.case_id,
            "recheck": t.recheck_id, "lead": t.lead_id, "area": t.area_id, "worker": t.worker_id,
            "worker_name": t.worker.staff_identity.name, "assigned_on": t.assigned_on, "due_on": t.due_on,
            "status": t.status, "submitted_on": t.submitted_on, "submission_note": t.submission_note,
            "decided_on": t.decided_on, "reject_reason": t.reject_reason}


class TaskPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[TaskOut]


class TaskFilter(PageQuery):
    contract: int | None = Field(None, ge=1, le=MAX_ID)
    status: StatusCode | None = None
    q: Search = ""


@router.get("/tasks", response=responses(TaskPage), summary="Tasks whose work lies in the post's area")
def list_tasks(request, filters: Query[TaskFilter]):
    qs = selectors.tasks_in_scope(request.auth, contract_id=filters.contract, status=filters.status or "", q=filters.q)
    return api_page(qs, offset=filters.offset, limit=filters.limit, item=_task)


class MyTaskFilter(PageQuery):
    status: StatusCode | None = None


@router.get("/tasks/mine", response=responses(TaskPage), summary="A provider worker's own tasks")
def my_tasks(request, filters: Query[MyTaskFilter]):
    tasks.require_worker_post(request.auth)
    qs = selectors.tasks_of_worker(request.auth, status=filters.status or "").select_related("worker__staff_identity")
    return api_page(qs.order_by("status", "due_on", "id"), offset=filters.offset, limit=filters.limit, item=_task)


class TaskAcceptIn(InputSchema):
    tasks: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(..., min_length=1, max_length=500)


class DecidedOut(Schema):
    task: int
    ok: bool
    code: str | None
    message: str | None


@router.post("/tasks/accept", response=responses(list[DecidedOut]),
             summary="Accept submitted tasks (each answered): they count for payment")
def accept(request, payload: TaskAcceptIn):
    return [{"task": r.task_id, "ok": r.ok, "code": r.error.code if r.error else None,
             "message": r.error.message if r.error else None}
            for r in tasks.accept_tasks(actor=request.auth, task_ids=payload.tasks)]


@router.get("/tasks/{task_id}", response=responses(TaskOut), summary="One task")
def get_task(request, task_id: Id):
    return _task(selectors.get_task(request.auth, task_id))


class TaskWorkItemIn(InputSchema):
    kind: Literal["case", "recheck", "lead"]
    id: int = Field(..., ge=1, le=MAX_ID)


class TaskAssignIn(InputSchema):
    contract: int = Field(..., ge=1, le=MAX_ID)
    worker: int = Field(..., ge=1, le=MAX_ID)
    kind: Literal[tuple(ServiceScope.values)]  # type: ignore[valid-type]
    items: list[TaskWorkItemIn] = Field(..., min_length=1, max_length=500)
    due_on: dt.date | None = None
    note: Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL)] = ""


class AssignedOut(Schema):
    kind: str
    id: int
    ok: bool
    task: int | None
    code: str | None
    message: str | None


class AssignOut(Schema):
    assigned: int
    refused: int
    items: list[AssignedOut]


@router.post("/tasks", response=responses(AssignOut),
             summary="Give cases, re-checks or leads to a provider's worker under a contract (each answered)")
def assign(request, payload: TaskAssignIn):
    results = tasks.assign_to_provider(actor=request.auth, contract_id=payload.contract, worker_id=payload.worker,
                                       kind=payload.kind, items=[WorkRef(i.kind, i.id) for i in payload.items],
                                       due_on=payload.due_on, note=payload.note)
    items = [{"kind": r.item.kind, "id": r.item.id, "ok": r.ok, "task": r.task.pk if r.task else None,
              "code": r.error.code if r.error else None, "message": r.error.message if r.error else None}
             for r in results]
    return {"assigned": sum(r.ok for r in results), "refused": sum(not r.ok for r in results), "items": items}


class SubmitIn(InputSchema):
    note: Annotated[str, StringConstraints(max_length=2000, pattern=NO_NUL)] = ""


@router.post("/tasks/{task_id}/submit", response=responses(TaskOut), summary="The worker hands the task in")
def submit(request, task_id: Id, payload: SubmitIn):
    task = tasks.submit_task(actor=request.auth, task_id=task_id, note=payload.note)
    return _task(selectors.tasks_of_worker(request.auth).select_related("worker__staff_identity").get(pk=task.pk))


class RejectIn(InputSchema):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=SOME_TEXT)]


@router.post("/tasks/{task_id}/reject", response=responses(TaskOut),
             summary="Reject a task (or take back one not done), saying why")
def reject(request, task_id: Id, payload: RejectIn):
    task = tasks.reject_task(actor=request.auth, task_id=task_id, reason=payload.reason)
    return _task(selectors.get_task(request.auth, task.pk))

