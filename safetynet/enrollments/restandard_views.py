"""The re-assessment page (restandard.py), for a county officer after the county changed a
dibao standard, increment or asset limit from a month: what changes, a preview in the
simulation's figures (how many amounts go up, down, stay, go to the town's queue; the monthly
cost before and after), the button that applies it, and the summary of what was done. Each step
is a job (jobs.py) whose bar the page shows until it ends.

Thin: restandard_tasks.start_preview / start_reassessment check and queue; restandard.py computes and
writes; the figures are the job's result.
"""
from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from safetynet.core.errors import NotFound, PermissionDenied, SafetyNetError

from . import jobs, restandard, restandard_tasks
from .job_views import follow
from .pages import payments_view

KINDS = (jobs.RESTANDARD_PREVIEW, jobs.RESTANDARD)


@payments_view(restandard.REASSESS)
@require_http_methods(["GET", "POST"])
def reassessment(request, actor, job_id=None):
    job = jobs.get_job(actor, job_id) if job_id else None
    if job is not None and job.kind not in KINDS:
        raise NotFound("Not found.")
    data = request.POST if request.method == "POST" else request.GET
    own = actor.area_code[:6] if len(actor.area_code) >= 6 else ""
    county = own or data.get("county") or (job.county if job else "")
    month = data.get("month") or (job.params.get("month", "") if job else "")
    error = change = None
    if request.method == "POST":
        start = restandard_tasks.start_reassessment if request.POST.get("action") == "apply" else restandard_tasks.start_preview
        try:
            return follow(request, start(actor=actor, county_code=county, month=month))
        except PermissionDenied:
            raise
        except SafetyNetError as exc:
            error = exc
    elif county and month:
        try:
            change = restandard.check_request(actor=actor, county_code=county, month=month)
        except (PermissionDenied, NotFound):
            raise
        except SafetyNetError as exc:
            error = exc
    result = job.result if job is not None and job.status == jobs.DONE else None
    return render(request, "enrollments/restandard.html", {
        "job": job, "poll": job is not None and not job.finished, "result": result, "error": error,
        "county": county, "month": month, "fixed_county": bool(own),
        "change": change, "lines": restandard.change_lines(change) if change else (result or {}).get("changes", []),
        "months": restandard.standard_changes(actor, county) if county and not month else [],
        "can_apply": bool(result) and job.kind == jobs.RESTANDARD_PREVIEW
        and bool(result["changed"] or result["to_review"] > result["proposed_before"]),
    }, status=422 if error else 200)
