"""Pages of the warnings and the monitoring register (issue 17 part 4): the register (by town and
category, searchable, paginated; names masked where the role needs no more; a town worker flags
and ends flags), the county's warning rules with their hit rates, a rule's page (edit, retire,
its warnings and outcomes) and the monthly run (started here, followed with a progress bar).
Every write is the service the API and the command call."""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from safetynet.areas.models import Area
from safetynet.core import jobpages
from safetynet.core.decorators import post_view
from safetynet.core.errors import SafetyNetError
from safetynet.core.pagination import numbered_page
from safetynet.core.scoping import in_scope

from . import register, tasks, warning_rules
from .models import WarningLevel
from .warning_models import MANUAL_CATEGORIES, MonitorCategory, Warning, WarningCause
from .warning_run import month_start
from .services import today

PAGE_SIZE = 50


def _county_of(request, actor) -> str:
    return (request.GET.get("county") or request.POST.get("county") or actor.area_code)[:6]


@post_view("discovery.view")
def register_page(request, actor):
    town, category, q = request.GET.get("town", ""), request.GET.get("category", ""), request.GET.get("q", "")
    rows = register.register_rows(actor, town=town, category=category, q=q)
    page = numbered_page(rows, request.GET.get("page"), PAGE_SIZE)
    towns = Area.objects.filter(level="town", code__startswith=actor.area_code[:9]).values_list("code", "name")
    query = "&".join(f"{k}={v}" for k, v in (("town", town), ("category", category), ("q", q)) if v)
    return render(request, "discovery/register.html", {
        "rows": register.register_items(actor, page.rows), "total": page.total, "page": page.number, "pages": page.pages,
        "query_string": query, "town": town, "category": category, "q": q, "towns": list(towns),
        "categories": MonitorCategory.choices, "manual": [(c.value, c.label) for c in MANUAL_CATEGORIES],
        "can_work": actor.can("discovery.work"), "county": actor.area_code[:6]})


@post_view("discovery.work")
def register_flag(request, actor):
    if request.method == "POST":
        try:
            register.flag_household(actor=actor, household_id=int(request.POST.get("household") or 0),
                                    category=request.POST.get("category", ""), reason=request.POST.get("reason", ""))
            messages.success(request, _("The household is on the register."))
        except (SafetyNetError, ValueError) as error:
            messages.error(request, getattr(error, "message", _("Give the household's number.")))
    return redirect("discovery:register")


@post_view("discovery.work")
def register_end(request, actor, entry_id: int):
    if request.method == "POST":
        try:
            register.unflag_household(actor=actor, entry_id=entry_id, reason=request.POST.get("reason", ""))
            messages.success(request, _("The entry has ended."))
        except SafetyNetError as error:
            messages.error(request, error.message)
    return redirect("discovery:register")


@post_view("discovery.work")
def register_refresh(request, actor):
    if request.method == "POST":
        try:
            result = register.refresh_monitoring_register(actor, _county_of(request, actor))
            messages.success(request, _("Register refreshed: %(added)s added, %(ended)s ended.")
                             % {"added": result.added, "ended": result.ended})
        except SafetyNetError as error:
            messages.error(request, error.message)
    return redirect("discovery:register")


@post_view("discovery.view")
def rule_list(request, actor):
    county = _county_of(request, actor)
    rules = warning_rules.rules_listed(actor, county)
    stats = warning_rules.rule_stats(rules, area_code=county)
    return render(request, "discovery/warning_rules.html", {
        "rows": [{"rule": r, "stats": stats[r.pk]} for r in rules], "county": county,
        "can_edit": actor.can("discovery.rules"), "month": today().strftime("%Y-%m")})


@post_view("discovery.view")
def rule_page(request, actor, cause: str):
    county = _county_of(request, actor)
    if cause not in WarningCause.values:
        return redirect("discovery:warning_rules")
    rules = {r.cause: r for r in warning_rules.rules_listed(actor, county)}
    rule = rules.get(cause)
    error = None
    values = dict(rule.parameters) if rule else {}
    if request.method == "POST":
        actor.require(warning_rules.RULES)
        values = {k: request.POST.get(k, "") for k in warning_rules.CAUSE_PARAMETERS[WarningCause(cause)]}
        if "grades" in values:
            values["grades"] = request.POST.getlist("grades")
        try:
            warning_rules.save_warning_rule(actor=actor, county_code=county, cause=cause,
                                            level=request.POST.get("level", ""), parameters=values,
                                            active=request.POST.get("active") == "on", note=request.POST.get("note", ""))
            messages.success(request, _("The rule is saved."))
            return redirect(reverse("discovery:warning_rule", args=[cause]) + f"?county={county}")
        except SafetyNetError as exc:
            error = exc
    stats = warning_rules.rule_stats([rule], area_code=county)[rule.pk] if rule else warning_rules.RuleStats(outcomes={})
    warnings = in_scope(Warning.objects.filter(rule=rule), actor) if rule else Warning.objects.none()
    page = numbered_page(warnings.order_by("-id"), request.GET.get("page"), PAGE_SIZE)
    outcomes = warning_rules.outcomes_of(Warning.objects.filter(pk__in=[w.pk for w in page.rows]))
    return render(request, "discovery/warning_rule.html", {
        "rule": rule, "cause": cause, "cause_label": WarningCause(cause).label, "county": county, "stats": stats,
        "outcomes": [(warning_rules.OUTCOME_LABELS[k], v) for k, v in (stats.outcomes or {}).items()],
        "warnings": [{"w": w, "outcome": warning_rules.OUTCOME_LABELS[outcomes.get(w.pk, "open")]} for w in page.rows],
        "page": page.number, "pages": page.pages, "total": page.total, "query_string": f"county={county}",
        "values": values, "error": error, "levels": WarningLevel.choices,
        "parameters": [(name, warning_rules.PARAMETER_LABELS[name]) for name in warning_rules.CAUSE_PARAMETERS[WarningCause(cause)]],
        "grades": [1, 2, 3, 4], "can_edit": actor.can("discovery.rules")})


@post_view("discovery.rules")
def run_start(request, actor):
    if request.method != "POST":
        return redirect("discovery:warning_rules")
    try:
        job = tasks.start_warning_run(actor=actor, county_code=_county_of(request, actor),
                                      month=month_start(request.POST.get("month", "")))
    except SafetyNetError as error:
        messages.error(request, error.message)
        return redirect("discovery:warning_rules")
    return redirect("discovery:warning_run", job_id=job.id)


def _run_urls(job) -> dict:
    return {"progress_url": reverse("discovery:warning_run_progress", args=[job.id]),
            "report_url": reverse("discovery:warning_run_report", args=[job.id])}


@post_view("discovery.rules")
def run_page(request, actor, job_id: str):
    job = tasks.get_job(actor, job_id)
    return jobpages.job_page(request, job, back_url=reverse("discovery:warning_rules"), **_run_urls(job))


@post_view("discovery.rules")
def run_progress(request, actor, job_id: str):
    job = tasks.get_job(actor, job_id)
    return jobpages.job_progress(request, job, **_run_urls(job))


@post_view("discovery.rules")
def run_report(request, actor, job_id: str):
    job = tasks.get_job(actor, job_id)
    result = job.result or {}
    found = [(WarningCause(k).label, v) for k, v in (result.get("found") or {}).items() if k in WarningCause.values]
    return render(request, "discovery/warning_run.html", {"job": job, "result": result, "found": found})
