"""Pages of workload and assignment (`/workload/`, namespace `workload`): the county's overview
(a chart of open items per full-time worker by town, the towns over norm in red, and the table),
a town's page (its workers' loads, the work nobody holds with the worker the capacity rule
proposes, "assign as proposed", and each item assigned or re-assigned in place with htmx), and a
worker's own list. Thin adapters over `overview`, `selectors` and `assignments`."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from safetynet.areas.models import Area, Level
from safetynet.core.decorators import post_view
from safetynet.core.errors import SafetyNetError
from safetynet.core.pagewrites import attempt
from safetynet.core.pagination import numbered_page

from . import assignments, capacity, overview, selectors
from .assignments import WorkRef
from .models import AssignmentReason, WorkKind

PAGE_SIZE = 25



def _town_or_404(actor, code: str) -> Area:
    actor.require_area(code)
    town = Area.objects.filter(code=code, level=Level.TOWN).first()
    if town is None:
        raise Http404(_("Not found in your area."))
    return town


@require_safe
@post_view(selectors.VIEW)
def county_overview(request, actor):
    """The towns of the county (a town's post: its own town) with their figures and flags."""
    county = request.GET.get("county", "") if actor.is_national else actor.area_code[:6]
    if not county.isdigit() or len(county) != 6:
        raise Http404(_("Not found in your area."))
    on = assignments.today()
    towns = overview.town_loads(actor, county, on=on)
    chart = {
        "towns": [t.name for t in towns],
        "items": [float(t.items_per_fte) if t.items_per_fte is not None else None for t in towns],
        "households": [float(t.households_per_fte) if t.households_per_fte is not None else None for t in towns],
        "flagged": [t.flagged for t in towns],
        "norm": towns[0].open_items_per_worker if towns else None,
        "labels": {"items": _("Open items per full-time worker"), "households": _("Enrolled households per full-time worker"),
                   "norm": _("Norm")},
    }
    if len(towns) == 1 and len(actor.area_code) >= 9:
        return redirect("workload:town", code=towns[0].code)
    return render(request, "workload/overview.html", {
        "towns": towns, "chart": chart, "county": county, "on": on,
        "glance": {"open": sum(t.open for t in towns), "overdue": sum(t.overdue for t in towns),
                   "unassigned": sum(t.unassigned for t in towns), "flagged": sum(t.flagged for t in towns)},
        "may_lend": actor.can(selectors.LEND) and len(actor.area_code) <= 6})


def _unassigned_rows(actor, town_code: str, page_arg, names: dict) -> tuple:
    refs = assignments.unassigned_refs(town_code)
    page = numbered_page(refs, page_arg, PAGE_SIZE)
    views = selectors.describe_items((r.kind, r.id) for r in page)
    proposals = assignments.propose(actor=actor, items=list(page)) if actor.can(selectors.ASSIGN) else {}
    rows = []
    for r in page:
        if (r.kind, r.id) in views:
            proposed = proposals.get((r.kind, r.id))
            rows.append({"item": views[(r.kind, r.id)], "proposed": proposed, "proposed_name": names.get(proposed, "")})
    return page, rows


def _town_context(request, actor, town: Area) -> dict:
    on = assignments.today()
    workers = overview.worker_loads(actor, town.code, on=on)
    names = {w.id: w.name for w in workers}
    page, rows = _unassigned_rows(actor, town.code, request.GET.get("page"), names)
    held_page = numbered_page(selectors.held_work(town.code), request.GET.get("held_page"), PAGE_SIZE)
    held_views = selectors.describe_items((a.kind, getattr(a, f"{a.kind}_id")) for a in held_page)
    held = [{"assignment": a, "item": held_views.get((a.kind, getattr(a, f"{a.kind}_id")))} for a in held_page]
    [figures] = overview.town_loads(actor, town.code, on=on) or [None]
    return {"town": town, "on": on, "workers": workers, "names": names, "page": page, "rows": rows,
            "held_page": held_page, "held": [h for h in held if h["item"] is not None], "figures": figures,
            "may_assign": actor.can(selectors.ASSIGN), "may_reassign": actor.can(selectors.REASSIGN),
            "weights": {"overdue": capacity.OVERDUE_WEIGHT, "soon": capacity.DUE_SOON_WEIGHT,
                        "base": capacity.BASE_WEIGHT, "days": capacity.DUE_SOON_DAYS},
            "query_string": "", "kinds": WorkKind.choices}


@require_safe
@post_view(selectors.VIEW)
def town_page(request, actor, code: str):
    town = _town_or_404(actor, code)
    return render(request, "workload/town.html", _town_context(request, actor, town))


@require_POST
@post_view(selectors.ASSIGN)
def assign_new(request, actor, code: str):
    """"Assign as proposed": every open item of the town nobody holds."""
    town = _town_or_404(actor, code)
    result, error = attempt(lambda: assignments.assign_new_work(actor=actor, town_code=town.code))
    if error:
        messages.error(request, error.message)
    else:
        refused = sum(result.refused.values())
        messages.success(request, _("%(n)s items assigned as proposed; %(r)s could not be.") % {
            "n": result.assigned, "r": refused})
    return redirect("workload:town", code=town.code)


def _ref_from(request) -> WorkRef:
    kind = request.POST.get("kind", "")
    try:
        item_id = int(request.POST.get("id", ""))
    except ValueError:
        item_id = 0
    worker = request.POST.get("worker", "")
    return WorkRef(kind, item_id, int(worker) if worker.isdigit() else None)


def _write(request, actor, code: str, reason: str):
    """One item assigned (or re-assigned) from its row: the row again (htmx) or the page."""
    town = _town_or_404(actor, code)
    ref = _ref_from(request)
    try:
        outcome = assignments.assign_one(actor=actor, item=ref, reason=reason, note=request.POST.get("note", ""))
        error = None
    except SafetyNetError as exc:
        if exc.status in (403, 404) and exc.field != "worker":
            raise
        outcome, error = None, exc
    if request.headers.get("HX-Request"):
        names = {w.id: w.name for w in overview.worker_loads(actor, town.code, on=assignments.today())}
        item = selectors.describe_items([(ref.kind, ref.id)]).get((ref.kind, ref.id))
        if item is None:
            raise Http404(_("Not found in your area."))
        return render(request, "workload/_item_row.html", {
            "row": {"item": item, "assignment": outcome.assignment if outcome else None, "error": error,
                    "proposed": None},
            "town": town, "names": names, "on": assignments.today(), "may_assign": actor.can(selectors.ASSIGN),
            "may_reassign": actor.can(selectors.REASSIGN)}, status=422 if error else 200)
    if error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Assigned to %(name)s.") % {"name": outcome.assignment.worker.name})
    return redirect("workload:town", code=town.code)


@require_POST
@post_view(selectors.ASSIGN)
def assign_item(request, actor, code: str):
    return _write(request, actor, code, "")


@require_POST
@post_view(selectors.REASSIGN)
def reassign_item(request, actor, code: str):
    return _write(request, actor, code, AssignmentReason.REASSIGNED)


@login_required
@require_safe
def my_work(request):
    """A worker's own current assignments (any post, a provider's worker too), open work first."""
    actor = getattr(request, "actor", None)
    if actor is None:
        raise DjangoPermissionDenied(_("You hold no post: ask the county office to assign one."))
    rows = selectors.my_assignments(actor)
    page = numbered_page(rows, request.GET.get("page"), PAGE_SIZE)
    views = selectors.describe_items((a.kind, getattr(a, f"{a.kind}_id")) for a in page)
    open_keys = selectors.open_keys(views)
    return render(request, "workload/mine.html", {
        "page": page, "on": assignments.today(), "query_string": "",
        "rows": [{"assignment": a, "item": views.get((a.kind, getattr(a, f"{a.kind}_id"))),
                  "open": (a.kind, getattr(a, f"{a.kind}_id")) in open_keys} for a in page]})
