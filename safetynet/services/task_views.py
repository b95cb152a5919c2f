"""Pages of the work given to providers (issue 19 part 4): the county's lending page (the towns
over their norm, then a town's open work ticked and given to a provider's worker under a
contract), the provider worker's own tasks (open the work, submit it), and the county's
acceptance queue (accept ticked tasks, reject one with its reason). Thin adapters over
`tasks.py`, which the API calls too."""
from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from safetynet.core.decorators import post_view
from safetynet.core.errors import ValidationError
from safetynet.core.pagewrites import attempt
from safetynet.core.pagination import numbered_page
from safetynet.workload.models import WorkKind

from . import selectors, tasks
from .models import OPEN_TASK_STATUSES, ContractStatus, ServiceScope, TaskStatus

PAGE_SIZE = 25
LEND = "workload.lend"
# The provider worker's own page: every provider worker's post surveys (areas/roles.py); the
# town and county posts that also do are offered their wider pages instead (core/menu.py `unless`).
MY_TASKS = "cases.survey"

WORK_URLS = {"case": "cases:detail", "recheck": "changes:recheck", "lead": "discovery:lead"}


def work_url(task) -> str:
    return reverse(WORK_URLS[task.work_kind], args=[task.work_id])


@post_view(LEND)
def lend(request, actor):
    """Towns over their norm; a town's open work to tick and give to a provider's worker."""
    on = tasks.today()
    source = request.POST if request.method == "POST" else request.GET
    town = source.get("town", "")
    work = source.get("work", "case")
    work = work if work in WorkKind.values else "case"
    loads = selectors.town_loads(actor, on)
    if town and town not in {t.code for t in loads}:
        raise Http404()
    open_contracts = list(selectors.contracts_for(actor, status=ContractStatus.ACTIVE)
                          .filter(area__code__startswith=actor.area_code[:6]))
    contract_id = source.get("contract", "")
    contract = next((c for c in open_contracts if str(c.pk) == contract_id), None)
    form = {"contract": contract_id, "worker": source.get("worker", ""), "kind": source.get("kind", ""),
            "due_on": source.get("due_on", ""), "note": source.get("note", ""), "items": source.getlist("items")}
    error, refused = None, []
    if request.method == "POST":
        def give():
            refs = [tasks.parse_work_ref(v) for v in form["items"]]
            if contract is None:
                raise ValidationError(_("Choose a contract in force."), field="contract")
            return tasks.assign_to_provider(actor=actor, contract_id=contract.pk, worker_id=form["worker"],
                                            kind=form["kind"], items=refs, due_on=form["due_on"] or None,
                                            note=form["note"])
        done, error = attempt(give)
        if done is not None:
            given = [r for r in done if r.ok]
            refused = [r for r in done if not r.ok]
            if given:
                messages.success(request, _("%(n)s items given to the provider.") % {"n": len(given)})
            if not refused:
                return redirect(reverse("services:contract", args=[contract.pk]))
    items = selectors.lendable_work(actor, town, kind=work) if town else []
    return render(request, "services/lend.html", {
        "loads": loads, "town": town, "work": work, "works": WorkKind.choices, "items": items,
        "contracts": open_contracts, "contract": contract,
        "workers": list(selectors.workers_of(contract.provider, active_only=True)) if contract else [],
        "kinds": [(k, ServiceScope(k).label) for k in (contract.scopes if contract else ServiceScope.values)],
        "form": form, "error": error, "refused": refused, "today": on}, status=422 if error or refused else 200)


@post_view(MY_TASKS)
def my_tasks(request, actor):
    """A provider's worker's tasks: open the work, hand it in."""
    error = None
    if request.method == "POST":
        task_id = request.POST.get("task", "")
        if not task_id.isdigit():
            raise Http404()
        done, error = attempt(lambda: tasks.submit_task(actor=actor, task_id=int(task_id),
                                                        note=request.POST.get("note", "")))
        if done is not None:
            messages.success(request, _("Task submitted: the county will accept it or say what is missing."))
            return redirect("services:my_tasks")
    status = request.GET.get("status", "")
    status = status if status in TaskStatus.values else ""
    qs = selectors.tasks_of_worker(actor, status=status).order_by("status", "due_on", "id")
    page = numbered_page(qs, request.GET.get("page"), PAGE_SIZE)
    rows = [{"t": t, "url": work_url(t) if t.status in OPEN_TASK_STATUSES else ""} for t in page]
    return render(request, "services/my_tasks.html", {
        "page": page, "rows": rows, "status": status, "statuses": [("", _("all")), *TaskStatus.choices],
        "query_string": urlencode({"status": status}) if status else "", "error": error,
        "open_count": selectors.tasks_of_worker(actor, status=TaskStatus.ASSIGNED).count()},
        status=422 if error else 200)


@post_view(tasks.ACCEPT)
def queue(request, actor):
    """The county's acceptance queue: the tasks handed in, oldest first."""
    error = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "accept":
            ids = [int(v) for v in request.POST.getlist("tasks") if v.isdigit()]
            done, error = attempt(lambda: tasks.accept_tasks(actor=actor, task_ids=ids))
            if done is not None:
                ok = sum(1 for r in done if r.ok)
                messages.success(request, _("%(n)s tasks accepted.") % {"n": ok})
                for r in done:
                    if not r.ok:
                        messages.error(request, f"#{r.task_id}: {r.error.message}")
                return redirect("services:queue")
        elif action == "reject":
            task_id = request.POST.get("task", "")
            if not task_id.isdigit():
                raise Http404()
            done, error = attempt(lambda: tasks.reject_task(actor=actor, task_id=int(task_id),
                                                            reason=request.POST.get("reason", "")))
            if done is not None:
                messages.success(request, _("Task rejected: the work is back with the town."))
                return redirect("services:queue")
        else:
            raise Http404()
    q = request.GET.get("q", "").strip()[:50]
    qs = tasks.decidable_tasks(actor)
    if q:
        qs = qs.filter(worker__staff_identity__name__icontains=q) | qs.filter(contract__provider__name__icontains=q)
    page = numbered_page(qs, request.GET.get("page"), PAGE_SIZE)
    rows = [{"t": t, "url": work_url(t)} for t in page]
    return render(request, "services/queue.html", {
        "page": page, "rows": rows, "q": q, "query_string": urlencode({"q": q}) if q else "", "error": error},
        status=422 if error else 200)
