"""Work given to a provider's worker under a contract, and its way to payment (issue 19 part 4).

`assign_to_provider` takes a list of cases, re-checks or leads at once: it reads what it needs for
all of them (one query a kind), decides each (`decide_item`, pure: a specific refusal or the
facts to write) and writes the good ones through one unit of work, each as a `ServiceTask` and a
lent `WorkAssignment` (`lending.lend_work`) that opens the work to the worker and nothing else.
A refused item holds back no other; a refusal that concerns the whole list (the contract not in
force, the worker not the provider's) is raised.

The worker submits the task (`submit_task`); the county accepts (`accept_tasks`, a list) or
rejects it with a reason (`reject_task`; a task not yet submitted may be taken back the same
way). Both end the lent assignment. Statuses move only through `transition` (`TRANSITIONS`).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.cases import clocks
from safetynet.cases.models import Case
from safetynet.core.dates import parse_date
from safetynet.core.errors import Conflict, NotFound, PermissionDenied, SafetyNetError, ValidationError
from safetynet.core.scoping import Actor, in_scope
from safetynet.core.text import checked_choice, clean_field
from safetynet.core.unitofwork import UnitOfWork, unit_of_work
from safetynet.discovery.models import OPEN_STATUSES as OPEN_LEAD_STATUSES
from safetynet.discovery.models import Lead
from safetynet.enrollments.change_models import Recheck, RecheckStatus
from safetynet.workload.models import WorkAssignment, WorkKind

from .lending import LentWork, end_lent_work, lend_work
from .models import (
    OPEN_TASK_STATUSES, Contract, ContractStatus, ProviderWorker, ServiceScope, ServiceTask, ServiceTaskEvent, TaskStatus,
)
from .selectors import contracts_for, get_near, tasks_of_worker

MANAGE = "services.manage"
ACCEPT = "services.accept"
WORKER = "worker"       # the task's own worker, holding the permission to work its kind of work

# The work each service may be given (WorkAssignment's kinds): a survey is a case's household
# survey or a re-check's; discovery works leads; verification support and care help with an open
# case or an enrollment's re-check.
SCOPE_WORK = {
    ServiceScope.SURVEY: (WorkKind.CASE, WorkKind.RECHECK),
    ServiceScope.DISCOVERY: (WorkKind.LEAD,),
    ServiceScope.VERIFICATION_SUPPORT: (WorkKind.CASE, WorkKind.RECHECK),
    ServiceScope.CARE: (WorkKind.CASE, WorkKind.RECHECK),
}
# What a worker's post must hold to work (and submit) each kind of work.
WORK_PERMISSION = {WorkKind.CASE: "cases.survey", WorkKind.RECHECK: "payments.recheck", WorkKind.LEAD: "discovery.work"}

T = TaskStatus
# (from, to) -> who fires it: a permission, or WORKER.
TRANSITIONS = {
    (T.ASSIGNED, T.SUBMITTED): WORKER,
    (T.SUBMITTED, T.ACCEPTED): ACCEPT,
    (T.SUBMITTED, T.REJECTED): ACCEPT,
    (T.ASSIGNED, T.REJECTED): ACCEPT,       # taken back before it was done
}


def today() -> dt.date:
    """The business date (the demo and tests move it through `cases.clocks.today`)."""
    return clocks.today()


@dataclass(frozen=True)
class WorkRef:
    kind: str
    id: int

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"


def parse_work_ref(value) -> WorkRef:
    """ "case:12", "recheck:3", "lead:7" (a form's ticks) → WorkRef."""
    text = str(value or "").strip()
    kind, _sep, number = text.partition(":")
    if kind not in WorkKind.values or not number.isdigit() or not 0 < int(number) < 2**31:
        raise ValidationError(_("%(value)s names no case, re-check or lead.") % {"value": text[:40]}, field="items")
    return WorkRef(kind, int(number))


@dataclass
class Assigned:
    item: WorkRef
    task: ServiceTask | None = None
    error: SafetyNetError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class WorkFacts:
    area_id: str
    household_id: int | None
    is_open: bool
    with_provider: bool


def load_work_facts(actor: Actor, items: Sequence[WorkRef]) -> dict[WorkRef, WorkFacts]:
    """What deciding needs of each item, one read a kind, within the post's scope (an item
    outside it is missing here and answered "no such ...")."""
    ids = {kind: sorted({i.id for i in items if i.kind == kind}) for kind in WorkKind.values}
    rows: dict[WorkRef, tuple] = {}
    if ids["case"]:
        for pk, area, household, is_open in in_scope(Case.objects.filter(pk__in=ids["case"]), actor) \
                .values_list("pk", "area_id", "household_id", "is_open"):
            rows[WorkRef("case", pk)] = (area, household, is_open)
    if ids["recheck"]:
        for pk, area, household, status in in_scope(Recheck.objects.filter(pk__in=ids["recheck"]), actor) \
                .values_list("pk", "area_id", "enrollment__household_id", "status"):
            rows[WorkRef("recheck", pk)] = (area, household, status == RecheckStatus.OPEN)
    if ids["lead"]:
        for pk, area, household, status in in_scope(Lead.objects.filter(pk__in=ids["lead"]), actor) \
                .values_list("pk", "area_id", "household_id", "status"):
            rows[WorkRef("lead", pk)] = (area, household, status in OPEN_LEAD_STATUSES)
    lent: set[WorkRef] = set()
    for kind in WorkKind.values:
        if ids[kind]:
            column = f"{kind}_id"
            lent.update(WorkRef(kind, pk) for pk in ServiceTask.objects.filter(
                status__in=OPEN_TASK_STATUSES, **{f"{column}__in": ids[kind]}).values_list(column, flat=True))
            lent.update(WorkRef(kind, pk) for pk in WorkAssignment.objects.filter(
                is_current=True, reason="lent", **{f"{column}__in": ids[kind]}).values_list(column, flat=True))
    return {ref: WorkFacts(area, household, is_open, ref in lent) for ref, (area, household, is_open) in rows.items()}


_MISSING = {"case": _("No such case in your area."), "recheck": _("No such re-check in your area."),
            "lead": _("No such lead in your area.")}


def decide_item(item: WorkRef, facts: WorkFacts | None, *, contract: Contract, kind: str) -> SafetyNetError | None:
    """Whether `item` may be given under `contract` as `kind` (pure: the facts are read before):
    None, or the specific refusal."""
    if facts is None:
        return NotFound(str(_MISSING[item.kind]), field="items")
    if item.kind not in SCOPE_WORK[kind]:
        return ValidationError(_("%(item)s: a %(work)s is not work for %(service)s under this contract.") % {
            "item": item.key, "work": WorkKind(item.kind).label, "service": ServiceScope(kind).label},
            field="items", code="outside_scope")
    if not facts.area_id.startswith(contract.area_id):
        return ValidationError(_("%(item)s lies outside the area the contract covers (%(area)s).") % {
            "item": item.key, "area": contract.area.name}, field="items", code="outside_area")
    if not facts.is_open:
        return ValidationError(_("%(item)s is no longer open.") % {"item": item.key}, field="items", code="not_open")
    if facts.with_provider:
        return Conflict(_("%(item)s is already assigned to a provider.") % {"item": item.key}, field="items",
                        code="already_assigned")
    return None


def _contract_for_assigning(actor: Actor, contract_id: int, *, kind: str, on: dt.date,
                            due_on: dt.date | None) -> tuple[Contract, dt.date]:
    """The contract, locked, if work of `kind` may be given under it today and be due on `due_on`
    (by default the contract's last day); else the refusal, which concerns every item."""
    contract = get_near(contracts_for(actor).select_for_update(of=("self",)), pk=contract_id)
    actor.require_area(contract.area_id)
    due_on = due_on or contract.ends_on
    if contract.status != ContractStatus.ACTIVE:
        raise ValidationError(_("Contract %(ref)s is %(status)s: work is assigned only under a contract in force.") % {
            "ref": contract.reference, "status": contract.get_status_display()}, field="contract",
            code="contract_not_active")
    if not contract.starts_on <= on <= contract.ends_on:
        raise ValidationError(_("Contract %(ref)s runs from %(start)s to %(end)s: no work is assigned under it on "
                                "%(on)s.") % {"ref": contract.reference, "start": contract.starts_on.isoformat(),
                                              "end": contract.ends_on.isoformat(), "on": on.isoformat()},
                              field="contract", code="outside_period")
    if due_on > contract.ends_on:
        raise ValidationError(_("The work would be due on %(due)s, after the contract ends (%(end)s).") % {
            "due": due_on.isoformat(), "end": contract.ends_on.isoformat()}, field="due_on", code="outside_period")
    if due_on < on:
        raise ValidationError(_("The day the work is due cannot be before today."), field="due_on")
    if kind not in contract.scopes:
        raise ValidationError(_("Contract %(ref)s does not buy %(service)s (it buys %(scopes)s).") % {
            "ref": contract.reference, "service": ServiceScope(kind).label,
            "scopes": "、".join(contract.scope_labels)}, field="kind", code="outside_scope")
    return contract, due_on


def _worker_of(contract: Contract, worker_id) -> ProviderWorker:
    worker = ProviderWorker.objects.filter(pk=worker_id).select_related("staff_identity").first() \
        if str(worker_id).isdigit() else None
    if worker is None or worker.provider_id != contract.provider_id:
        raise ValidationError(_("Choose a worker of %(provider)s.") % {"provider": contract.provider.name},
                              field="worker", code="not_providers_worker")
    if not worker.is_active or not worker.staff_identity.is_active:
        raise ValidationError(_("%(name)s no longer works for %(provider)s.") % {
            "name": worker.staff_identity.name, "provider": contract.provider.name}, field="worker",
            code="worker_inactive")
    return worker


def assign_to_provider(*, actor: Actor, contract_id: int, worker_id: int, kind: str, items: Sequence[WorkRef],
                       due_on=None, note: str = "") -> list[Assigned]:
    """Give each item to the provider's worker under the contract, in one unit of work (a list of
    one is one item). Answers each item with its task or its refusal."""
    actor.require(MANAGE)
    kind = checked_choice(kind, ServiceScope.values, "kind", _("Choose the service the work is for."))
    if not items:
        raise ValidationError(_("Choose the work to assign."), field="items")
    if len(items) > 500:
        raise ValidationError(_("At most 500 items at once."), field="items")
    note = clean_field(note, "note", max_length=200)
    on = today()
    due = parse_date(due_on, field="due_on")
    results: list[Assigned] = []
    with unit_of_work(size_hint=len(items) * 2) as uow:
        contract, due = _contract_for_assigning(actor, contract_id, kind=kind, on=on, due_on=due)
        worker = _worker_of(contract, worker_id)
        facts = load_work_facts(actor, items)
        chosen: dict[WorkRef, WorkFacts] = {}
        for item in dict.fromkeys(items):
            error = decide_item(item, facts.get(item), contract=contract, kind=kind)
            results.append(Assigned(item, error=error))
            if error is None:
                chosen[item] = facts[item]
        lent = lend_work(uow, actor=actor, worker_id=worker.staff_identity_id, note=note or contract.reference,
                         items=[LentWork(i.kind, i.id) for i in chosen])
        at = timezone.now()
        for result in results:
            if not result.ok:
                continue
            item, f = result.item, chosen[result.item]
            outcome = lent[(item.kind, item.id)]
            if not outcome.ok:          # workload's own refusal (e.g. the worker is a relative of the household)
                result.error = outcome.error
                continue
            task = uow.insert(ServiceTask(
                contract_id=contract.pk, kind=kind, work_kind=item.kind, **{f"{item.kind}_id": item.id},
                household_id=f.household_id, area_id=f.area_id, worker_id=worker.pk,
                assignment_id=outcome.assignment.pk, assigned_on=on, due_on=due, status=T.ASSIGNED,
                assigned_by_id=actor.user_id))
            uow.insert_unkeyed(ServiceTaskEvent(task_id=task.pk, from_status="", to_status=T.ASSIGNED, at=at,
                                                by=actor.username, note=note))
            uow.record_event(actor=actor, action="services.assign_to_provider", obj=task, after={
                "contract": contract.pk, "kind": kind, "work": item.key, "worker": worker.pk, "due_on": due})
            result.task = task
    return results


# ---- status changes ---------------------------------------------------------------------------

def transition(uow: UnitOfWork, task: ServiceTask, to: str, *, actor: Actor, note: str = "", **fields) -> ServiceTask:
    """The one way a task's status changes: who may fire it (the table), the update, the
    timeline row and the audit event, through the caller's unit of work."""
    needed = TRANSITIONS.get((task.status, to))
    if needed is None:
        raise Conflict(_("This task is %(status)s: it cannot become %(to)s.") % {
            "status": task.get_status_display(), "to": TaskStatus(to).label}, code="wrong_status")
    if needed == WORKER:
        actor.require(WORK_PERMISSION[task.work_kind])
        if task.worker.staff_identity.user_id != actor.user_id:
            raise PermissionDenied(_("Only the worker the task was given to submits it."), code="forbidden")
    else:
        actor.require(needed)
    before = task.status
    uow.update_where(ServiceTask, {"status": to, **fields}, id=task.pk)
    task.status = to
    for name, value in fields.items():
        setattr(task, name, value)
    uow.insert_unkeyed(ServiceTaskEvent(task_id=task.pk, from_status=before, to_status=to, at=timezone.now(),
                                        by=actor.username, note=note))
    uow.record_event(actor=actor, action=f"services.task_{to}", obj=task, before={"status": before},
                     after={"status": to, "note": note[:200]})
    return task


def require_worker_post(actor: Actor) -> None:
    """A post that may work none of the kinds of work has no tasks of its own (403)."""
    if not any(actor.can(p) for p in WORK_PERMISSION.values()):
        actor.require(WORK_PERMISSION[WorkKind.CASE])


def submit_task(*, actor: Actor, task_id: int, note: str = "") -> ServiceTask:
    """The provider's worker hands the work in (what was done, in a few words). A post that may
    work none of the kinds of work is refused (403) before any task is looked for; another
    worker's task is not found (404)."""
    require_worker_post(actor)
    with unit_of_work(size_hint=2) as uow:
        task = tasks_of_worker(actor).select_for_update(of=("self",)).select_related("worker__staff_identity") \
            .filter(pk=task_id).first()
        if task is None:
            raise NotFound(_("No such task of yours."))
        note = clean_field(note, "note", max_length=2000, multiline=True)
        transition(uow, task, T.SUBMITTED, actor=actor, note=note, submitted_on=today(), submission_note=note)
    return task


def _tasks_for_decision(actor: Actor, task_ids: Sequence[int]) -> dict[int, ServiceTask]:
    actor.require(ACCEPT)
    qs = in_scope(ServiceTask.objects.select_for_update(of=("self",)).select_related("worker__staff_identity"), actor)
    return {t.pk: t for t in qs.filter(pk__in=list(task_ids))}


@dataclass
class Decided:
    task_id: int
    task: ServiceTask | None = None
    error: SafetyNetError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def accept_tasks(*, actor: Actor, task_ids: Sequence[int]) -> list[Decided]:
    """The county accepts each submitted task (a list, one unit of work): it counts for payment,
    and the lent work closes to the worker. A task that cannot be accepted is refused alone."""
    if not task_ids:
        raise ValidationError(_("Choose the tasks to accept."), field="tasks")
    ids = list(dict.fromkeys(task_ids))[:500]
    results = []
    with unit_of_work(size_hint=len(ids) * 2) as uow:
        tasks = _tasks_for_decision(actor, ids)
        on, ended = today(), []
        for pk in ids:
            task = tasks.get(pk)
            if task is None:
                results.append(Decided(pk, error=NotFound(_("No such task in your area."), field="tasks")))
                continue
            mark = uow.mark()
            try:
                actor.require_area(task.area_id)
                transition(uow, task, T.ACCEPTED, actor=actor, decided_on=on, decided_by=actor.username)
                ended.append(task.assignment_id)
                results.append(Decided(pk, task=task))
            except (Conflict, ValidationError) as error:
                uow.discard(mark)
                results.append(Decided(pk, error=error))
        end_lent_work(uow, assignment_ids=ended)
    return results


def accept_task(*, actor: Actor, task_id: int) -> ServiceTask:
    [result] = accept_tasks(actor=actor, task_ids=[task_id])
    if result.error:
        raise result.error
    return result.task


def reject_task(*, actor: Actor, task_id: int, reason: str) -> ServiceTask:
    """The county rejects a submitted task (or takes back one not done), saying why; it is not
    paid, and the work goes back to the town (no current assignment: it may be given again)."""
    with unit_of_work(size_hint=2) as uow:
        task = _tasks_for_decision(actor, [task_id]).get(task_id)
        if task is None:
            raise NotFound(_("No such task in your area."))
        reason = clean_field(reason, "reason", max_length=500, required=True)
        transition(uow, task, T.REJECTED, actor=actor, note=reason, decided_on=today(), decided_by=actor.username,
                   reject_reason=reason)
        end_lent_work(uow, assignment_ids=[task.assignment_id])
    return task


def decidable_tasks(actor: Actor):
    """The county's acceptance queue: submitted tasks in the post's area, oldest first."""
    actor.require(ACCEPT)
    return in_scope(ServiceTask.objects.filter(status=T.SUBMITTED), actor).select_related(
        "contract", "contract__provider", "worker__staff_identity", "area", "household").order_by("submitted_on", "id")

