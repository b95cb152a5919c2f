"""The policy simulation page (issue 5 part 4), for a county's officer and leader: the form
(program, parameter, new value, from month), then the job's progress, then its result — counts,
monthly cost before and after, a chart by town (ECharts, drawn by static/safetynet/
payments-simulation-chart.js: the CSP forbids inline scripts) and the table behind it.

Thin: simulation_tasks.start_simulation checks and queues; simulation.py computes; the result is the job's.
"""
from __future__ import annotations

import json

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from safetynet.core.errors import PermissionDenied, SafetyNetError
from safetynet.programs import catalogue
from safetynet.programs.selectors import parameters_for

from . import jobs, simulation_tasks
from .job_views import follow
from .months import month_text, next_month, parse_month
from .pages import payments_view
from .simulation import SIMULATE, simulated_specs


def _chart(result: dict) -> str:
    towns = result.get("by_town") or []
    return json.dumps({"towns": [t["town_name"] for t in towns], "before": [float(t["before"]) for t in towns],
                       "after": [float(t["after"]) for t in towns]}, ensure_ascii=False)


def _in_force(county: str, month: str) -> dict:
    """The value in force of each parameter for the form's choices ("¥720.00"), when the county
    and month are readable."""
    try:
        values = parameters_for(catalogue.DIBAO, county, parse_month(month))
    except SafetyNetError:
        return {}
    return {s.key: catalogue.display_value(s, values.get(s.key)) for s in simulated_specs()}


@payments_view(SIMULATE)
@require_http_methods(["GET", "POST"])
def simulation(request, actor, job_id=None):
    job = jobs.get_job(actor, job_id, kind=jobs.SIMULATE) if job_id else None
    own_county = actor.area_code[:6] if len(actor.area_code) >= 6 else ""
    defaults = {"county": own_county, "program": catalogue.DIBAO, "key": "urban_standard", "value": "",
                "month": month_text(next_month(timezone.localdate()))}
    if job is not None:
        defaults.update(county=job.county, **job.params)
    form = {k: (request.POST.get(k, v) if request.method == "POST" else v) for k, v in defaults.items()}
    if own_county:
        form["county"] = own_county
    error = None
    if request.method == "POST":
        try:
            return follow(request, simulation_tasks.start_simulation(actor=actor, county_code=form["county"], program=form["program"],
                                                         key=form["key"], value=form["value"], month=form["month"]))
        except PermissionDenied:
            raise
        except SafetyNetError as exc:
            error = exc
    result = job.result if job is not None and job.status == jobs.DONE else None
    return render(request, "enrollments/simulation.html", {
        "form": form, "error": error, "job": job, "poll": job is not None and not job.finished, "result": result,
        "chart": _chart(result) if result else "", "specs": simulated_specs(), "in_force": _in_force(form["county"], form["month"]),
        "programs": [(catalogue.DIBAO, catalogue.program_name(catalogue.DIBAO))], "fixed_county": bool(own_county),
    }, status=422 if error else 200)
