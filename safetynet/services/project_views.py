"""Staff pages of service projects (issue 19 part 5), namespace `projects`: the list (search, status
filter, htmx), a project's page (its state, panel and scores against the pass score, the decision,
funding, milestones, households served, outcome report), the county's design form, the panel, and
a panel member's queue and score form. Thin adapters over `projects` (writes) and
`project_selectors` (reads), which the API calls too.
"""
from __future__ import annotations

import re
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from safetynet.areas.models import Area, Level
from safetynet.core.decorators import post_view
from safetynet.core.errors import ValidationError
from safetynet.core.pagewrites import attempt
from safetynet.core.pagination import numbered_page

from . import project_selectors as selectors
from . import projects as svc
from .project_forms import DesignForm, EvaluationForm, PanelForm, project_input_of
from .project_models import ProjectStatus

VIEW, MANAGE, EVALUATE = svc.VIEW, svc.MANAGE, svc.EVALUATE
PAGE_SIZE = 25
STATUS_CSS = {
    ProjectStatus.PROPOSED: "status-new", ProjectStatus.UNDER_EVALUATION: "status-waiting",
    ProjectStatus.APPROVED: "status-approved", ProjectStatus.REJECTED: "status-refused",
    ProjectStatus.FUNDED: "status-approved", ProjectStatus.IN_PROGRESS: "status-progress",
    ProjectStatus.COMPLETED: "status-approved", ProjectStatus.CANCELLED: "status-refused",
}


def _status_choices():
    return [("", _("all")), *ProjectStatus.choices]


@require_safe
@post_view(VIEW)
def project_list(request, actor):
    status = request.GET.get("status", "")
    status = status if status in ProjectStatus.values else ""
    q = (request.GET.get("q") or "").strip()[:50]
    page = numbered_page(selectors.projects_in_scope(actor, status=status, q=q), request.GET.get("page"), PAGE_SIZE)
    query = urlencode({k: v for k, v in (("status", status), ("q", q)) if v})
    context = {"page": page, "status": status, "q": q, "statuses": _status_choices(), "query_string": query,
               "css": STATUS_CSS, "may_design": actor.can(MANAGE), "may_evaluate": actor.can(EVALUATE)}
    partial = bool(request.headers.get("HX-Request"))
    return render(request, "services/projects/_list.html" if partial else "services/projects/list.html", context)


def _areas_for(actor) -> list[tuple[str, str]]:
    """The county and its towns a county post may design a project for."""
    code = actor.area_code
    qs = Area.objects.filter(level__in=[Level.COUNTY, Level.TOWN], is_active=True).order_by("code")
    if code:
        qs = qs.filter(code__startswith=code)
    return [(a.code, a.name) for a in qs[:300]]


@post_view(MANAGE)
def project_new(request, actor):
    form = DesignForm(request.POST or None, areas=_areas_for(actor))
    if request.method == "POST" and form.is_valid():
        done, error = attempt(lambda: svc.design_project(actor=actor, item=project_input_of(form.cleaned_data)))
        if done is not None:
            messages.success(request, _("Project %(ref)s designed: choose its evaluation panel.") % {"ref": done.reference})
            return redirect("projects:panel", project_id=done.pk)
        form.add_error(error.field if error.field in form.fields else None, error.message)
    return render(request, "services/projects/new.html", {"form": form.mark_invalid()},
                  status=422 if form.errors else 200)


def _household_ids(text: str) -> list[int]:
    """Household numbers typed or pasted, separated by spaces, commas or lines."""
    tokens = [t for t in re.split(r"[\s,，、;；]+", text or "") if t]
    bad = [t for t in tokens if not t.lstrip("#").isdigit() or len(t.lstrip("#")) > 10]
    if bad:
        raise ValidationError(_("%(value)s is not a household number.") % {"value": bad[0][:20]}, field="households")
    return [int(t.lstrip("#")) for t in tokens]


ACTION_FIELDS = ("note", "reason", "amount", "paid_on", "title", "due_on", "milestone", "done_on", "evidence",
                 "households", "text")


def _run(actor, project, action: str, form: dict):
    pk = project.pk
    steps = {
        "approve": lambda: svc.approve_project(actor=actor, project_id=pk, note=form["note"]),
        "reject": lambda: svc.reject_project(actor=actor, project_id=pk, reason=form["reason"]),
        "cancel": lambda: svc.cancel_project(actor=actor, project_id=pk, reason=form["reason"]),
        "fund": lambda: svc.fund_project(actor=actor, project_id=pk, amount=form["amount"], paid_on=form["paid_on"],
                                         note=form["note"]),
        "start": lambda: svc.start_project(actor=actor, project_id=pk),
        "add_milestone": lambda: svc.add_milestone(actor=actor, project_id=pk, title=form["title"], due_on=form["due_on"]),
        "complete_milestone": lambda: svc.complete_milestone(
            actor=actor, project_id=pk, milestone_id=int(form["milestone"]) if form["milestone"].isdigit() else 0,
            done_on=form["done_on"], evidence=form["evidence"]),
        "add_beneficiaries": lambda: svc.add_beneficiaries(actor=actor, project_id=pk,
                                                           household_ids=_household_ids(form["households"])),
        "submit_outcome": lambda: svc.submit_outcome(actor=actor, project_id=pk, text=form["text"]),
    }
    if action not in steps:
        raise Http404()
    return attempt(steps[action])


def _done_message(request, action: str, done) -> None:
    if action == "add_beneficiaries":
        added = [r for r in done if r.added]
        messages.success(request, _("%(n)d households added.") % {"n": len(added)})
        for r in done:
            if not r.added:
                messages.warning(request, _("Household %(id)d: %(reason)s") % {"id": r.household_id, "reason": r.reason})
        return
    messages.success(request, _("Done: %(action)s.") % {"action": svc.ACTION_LABELS.get(action, action)})


@post_view(VIEW)
def project_detail(request, actor, project_id: int):
    project = selectors.get_project(actor, project_id)
    action, error = request.POST.get("action", ""), None
    form = {k: request.POST.get(k, "").strip() if k != "households" else request.POST.get(k, "") for k in ACTION_FIELDS}
    if request.method == "POST":
        done, error = _run(actor, project, action, form)
        if done is not None:
            _done_message(request, action, done)
            return redirect("projects:detail", project_id=project.pk)
        project = selectors.get_project(actor, project_id)
    figures = selectors.project_figures(project)
    panel = selectors.panel_rows(project)
    return render(request, "services/projects/detail.html", {
        "p": project, "css": STATUS_CSS.get(project.status, ""), "contact": selectors.contact_of(actor, project),
        "panel": panel, "figures": figures, "standing": figures["standing"],
        "fundings": project.fundings.all(), "milestones": project.milestones.all(),
        "beneficiaries": selectors.beneficiary_rows(project), "outcome": getattr(project, "outcome", None),
        "events": project.events.all(), "actions": svc.allowed_actions(project, actor), "action": action,
        "form": form, "error": error, "today": svc.today(),
        "may_score": actor.can(EVALUATE) and project.status == ProjectStatus.UNDER_EVALUATION
        and any(r["user_id"] == actor.user_id and r["score"] is None for r in panel),
    }, status=422 if error else 200)


@post_view(MANAGE)
def project_panel(request, actor, project_id: int):
    project = selectors.get_project(actor, project_id)
    choices = selectors.evaluator_choices(project)
    current = list(project.panel.values_list("user_id", flat=True))
    form = PanelForm(request.POST or None, choices=choices, initial={"members": current})
    if request.method == "POST" and form.is_valid():
        done, error = attempt(lambda: svc.set_panel(actor=actor, project_id=project.pk,
                                                    user_ids=form.cleaned_data["members"]))
        if done is not None:
            messages.success(request, _("The panel of %(ref)s is set: its members find the project in their evaluations.")
                             % {"ref": done.reference})
            return redirect("projects:detail", project_id=project.pk)
        form.add_error("members" if error.field == "members" else None, error.message)
    return render(request, "services/projects/panel.html", {"p": project, "form": form.mark_invalid(),
                                                             "may_set": project.status in svc.WORK["set_panel"]},
                  status=422 if form.errors else 200)


@require_safe
@post_view(EVALUATE)
def my_evaluations(request, actor):
    page = numbered_page(selectors.evaluations_due(actor), request.GET.get("page"), PAGE_SIZE)
    return render(request, "services/projects/evaluations.html", {"page": page, "query_string": ""})


@post_view(EVALUATE)
def evaluate(request, actor, project_id: int):
    project = selectors.get_project(actor, project_id)
    scale = svc.scale_for(project, svc.today())
    form = EvaluationForm(request.POST or None, scale=scale)
    if request.method == "POST" and form.is_valid():
        done, error = attempt(lambda: svc.evaluate_project(
            actor=actor, project_id=project.pk, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"],
            criteria=form.criteria()))
        if done is not None:
            messages.success(request, _("Your score of %(score)d for %(ref)s is recorded.") % {
                "score": done.score, "ref": project.reference})
            return redirect("projects:evaluations")
        field = error.field.replace("criteria.", "criterion_") if error.field else None
        form.add_error(field if field in form.fields else None, error.message)
    return render(request, "services/projects/evaluate.html", {"p": project, "form": form.mark_invalid(),
                                                                "scale": scale}, status=422 if form.errors else 200)

