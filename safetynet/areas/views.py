"""Views: thin adapters over services and selectors.

The tree page browses the actor's own subtree; children load with htmx when a node opens.
The import page keeps each run's report (counts, bad rows, .xlsx error sheet) privately
(core/importreports.py), keyed by a random id that only the user who ran it may open. The upload
runs as a background job (jobs.py, tasks.py) followed on its own page with a progress bar, which
ends on that report.
"""
from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safetynet.core import importreports, jobpages
from safetynet.core.privatefiles import download_view
from safetynet.core.errors import NotFound, SafetyNetError
from safetynet.core.decorators import acting_post, post_view

from . import jobs, selectors, services, tasks
from .actors import SESSION_KEY, active_posts
from .forms import AreaNameForm, AreaSearchForm, DivisionImportForm
from .models import Level

PAGE_SIZE = 50
IMPORT_COUNTS = (("added", "added", _l("Added")), ("renamed", "renamed", _l("Renamed")),
                 ("reclassified", "reclassified", _l("Class changed")), ("unchanged", "unchanged", _l("Unchanged")))


_actor = acting_post


def _tree_url(code: str = "") -> str:
    url = reverse("areas:tree")
    return f"{url}?{urlencode({'code': code})}" if code else url


# --- the post one acts through (/switch-post/, routed in safetynet/urls.py) ---

@login_required
@require_POST
def switch_post(request):
    """Act through another of one's own posts; a post id that is not the user's is ignored."""
    post_id = request.POST.get("post")
    if post_id and post_id.isdigit() and active_posts(request.user).filter(pk=int(post_id)).exists():
        request.session[SESSION_KEY] = int(post_id)
    nxt = request.POST.get("next") or request.headers.get("Referer") or "/"
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        nxt = "/"
    return HttpResponseRedirect(nxt)


# --- the tree -------------------------------------------------------------------------------

@require_GET
@post_view("areas.view")
def tree(request, actor):
    """The network from the actor's own area down; `?code=` opens a node, `?q=` searches."""
    search = AreaSearchForm(request.GET or None)
    q = search.cleaned_data["q"].strip() if search.is_valid() else ""
    if q:
        return _search_page(request, actor, search, q)
    if request.GET.get("needs_class"):
        return _without_class_page(request, actor, request.GET.get("code", "").strip(), search=search)
    return _node_page(request, actor, request.GET.get("code", "").strip(), search=search)


def _area_or_own(actor, code: str):
    """The area `code` in the actor's scope (404 outside it), or the actor's own area."""
    if not code:
        return selectors.actor_area(actor)
    try:
        return selectors.get_area(actor, code)
    except NotFound:
        raise Http404(_("No such area in your scope."))


def _node_page(request, actor, code: str, *, search=None, add_form=None, rename_form=None, status=200):
    area = _area_or_own(actor, code)
    counts, children = selectors.area_overview(actor, area.code if area else "")
    counts["without_class"] = selectors.villages_without_class(actor, area.code if area else "").count()
    can_edit = actor.can("areas.edit") and area is not None
    can_add = can_edit and area.level in (Level.VILLAGE, Level.GROUP)
    # Summarised on top, so a refusal shows even where its form is not offered.
    form_errors = [e for form in (add_form, rename_form) if form is not None for errors in form.errors.values() for e in errors]
    context = {
        "area": area,
        "counts": counts,
        "crumbs": selectors.breadcrumb(actor, area) if area else [],
        "children": children,
        "search": search or AreaSearchForm(),
        "form_errors": form_errors,
        "can_edit": can_edit,
        "can_add": can_add,
        "can_import": actor.can("areas.import"),
        "add_form": add_form or AreaNameForm(prefix="add"),
        "rename_form": rename_form or AreaNameForm(prefix="rename", initial={"name": area.name if area else ""}),
        "child_level": (Level.GROUP if area.level == Level.VILLAGE else Level.GRID).label if can_add else "",
    }
    return render(request, "areas/tree.html", context, status=status)


def _after(request) -> str:
    after = request.GET.get("after", "").strip()
    return after if after.isascii() and after.isdigit() else ""


def _search_page(request, actor, search, q: str):
    """Search results a page at a time, by code (keyset: a deep page costs what the first does)."""
    results = selectors.search_areas(actor, q=q).select_related("parent")
    after = _after(request)
    rows, following = selectors.page_after(results, after=after, limit=PAGE_SIZE)
    return render(request, "areas/tree.html", {
        "search": search, "q": q, "results": rows, "count": None if after else results.count(),
        "next_url": f"?{urlencode({'q': q, 'after': following})}" if following else "",
        "first_url": f"?{urlencode({'q': q})}" if after else "",
        "can_import": actor.can("areas.import"),
    })


def _without_class_page(request, actor, code: str, *, search):
    """The villages (under `code`) whose urban-rural class is unknown: no standard applies to
    them until it is set (ADR 0006). Paged by code."""
    area = _area_or_own(actor, code)
    villages = selectors.villages_without_class(actor, area.code if area else "").select_related("parent")
    after = _after(request)
    rows, following = selectors.page_after(villages, after=after, limit=PAGE_SIZE)
    base = {"needs_class": 1, **({"code": area.code} if area else {})}
    return render(request, "areas/without_class.html", {
        "search": search, "area": area, "villages": rows, "count": None if after else villages.count(),
        "next_url": f"?{urlencode({**base, 'after': following})}" if following else "",
        "first_url": f"?{urlencode(base)}" if after else "",
        "can_import": actor.can("areas.import"),
    })


@login_required
@require_GET
def children(request):
    """The partial an opening node loads: its children, each with counts."""
    actor = _actor(request, "areas.view")
    code = request.GET.get("code", "").strip()
    try:
        area = selectors.get_area(actor, code)
    except NotFound:
        raise Http404(_("No such area in your scope."))
    if not request.htmx:
        return redirect(_tree_url(area.code))
    return render(request, "areas/_children.html", {"children": selectors.child_areas_with_counts(actor, area.code)})


@login_required
@require_POST
def add_child(request, code: str):
    """A group under a village or a grid under a group, with the next free number."""
    actor = _actor(request, "areas.edit")
    form = AreaNameForm(request.POST, prefix="add")
    if form.is_valid():
        try:
            created = services.create_area(actor=actor, parent=code, name=form.cleaned_data["name"])
        except NotFound:
            raise Http404(_("No such area in your scope."))
        except SafetyNetError as exc:
            form.add_error("name" if exc.field in (None, "name") else None, exc.message)
        else:
            messages.success(request, _("Added %(name)s (%(code)s).") % {"name": created.name, "code": created.code})
            return redirect(_tree_url(code))
    return _node_page(request, actor, code, add_form=form, status=422)


@login_required
@require_POST
def rename(request, code: str):
    actor = _actor(request, "areas.edit")
    form = AreaNameForm(request.POST, prefix="rename")
    if form.is_valid():
        try:
            area = services.rename_area(actor=actor, code=code, name=form.cleaned_data["name"])
        except NotFound:
            raise Http404(_("No such area in your scope."))
        except SafetyNetError as exc:
            form.add_error("name" if exc.field in (None, "name") else None, exc.message)
        else:
            messages.success(request, _("Renamed to %(name)s.") % {"name": area.name})
            return redirect(_tree_url(code))
    return _node_page(request, actor, code, rename_form=form, status=422)


# --- importing the division list ------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def import_divisions(request):
    """Upload the official lists (one or several files); on success go to the report (POST-redirect-GET)."""
    actor = _actor(request, "areas.import")
    posted = request.method == "POST"
    form = DivisionImportForm(request.POST if posted else None, request.FILES if posted else None)
    status = 200
    if posted:
        if form.is_valid():
            uploads = form.cleaned_data["file"]
            try:
                job = tasks.start_division_import(actor=actor, uploads=uploads)
            except SafetyNetError as exc:
                form.add_error("file", exc.message)
            else:
                return redirect("areas:import_job", job_id=job.id)
        status = 422
    return render(request, "areas/import.html", {"form": form}, status=status)


def _import_job(request, job_id: str):
    """The import job, for a post that may import in the job's area (else 404)."""
    actor = _actor(request, "areas.import")
    try:
        job = jobs.BOOK.get_job(actor, job_id, kind=jobs.IMPORT_DIVISIONS)
    except NotFound:
        raise Http404(_("Not found."))
    urls = {"progress_url": reverse("areas:import_job_progress", args=[job.id]),
            "report_url": reverse("areas:import_report", args=[job.result["report_id"]]) if job.result.get("report_id") else ""}
    return job, urls


@login_required
@require_GET
def import_job(request, job_id: str):
    """The upload's job: its progress bar while it runs, its report once it is done."""
    job, urls = _import_job(request, job_id)
    return jobpages.job_page(request, job, back_url=reverse("areas:import"), **urls)


@login_required
@require_GET
def import_job_progress(request, job_id: str):
    job, urls = _import_job(request, job_id)
    return jobpages.job_progress(request, job, **urls)


@login_required
@require_GET
def import_report(request, report_id: str):
    return render(request, "areas/import_report.html", {
        **importreports.report_page(request, "areas", report_id, actor=_actor(request, "areas.import"),
                                    cards=IMPORT_COUNTS, error_sheet="areas:import_error_sheet", with_file=True),
        "form": DivisionImportForm(),
    })


@download_view
@login_required
@require_GET
def import_error_sheet(request, report_id: str):
    return importreports.answer_error_sheet("areas", report_id, actor=_actor(request, "areas.import"), stem="divisions")


# --- the area search widget's suggestions (areas/forms.AreaField) ---------------------------

@login_required
@require_GET
def area_options(request):
    """The `<option>`s of an area search box: areas in the post's scope, of the levels asked,
    whose name contains what was typed or whose code starts with it (`?levels=village,group`,
    the typed text under `?q=` or under the field's own name given as `?param=`)."""
    actor = _actor(request, "areas.view")
    levels = [level for level in request.GET.get("levels", "").split(",") if level in Level.values] or [Level.VILLAGE]
    param = request.GET.get("param") or "q"
    q = request.GET.get(param, "") or request.GET.get("q", "")
    return render(request, "areas/_area_options.html", {"options": selectors.area_suggestions(actor, q, levels)})
