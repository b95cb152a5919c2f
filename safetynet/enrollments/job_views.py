"""Pages that follow a payments job (jobs.py): the job page with its progress bar, and the bar
alone, which the page polls every second with htmx until the job ends (UI.md: long jobs show a
progress bar; the page can be left and come back).

When a payroll job ends the bar sends the browser to the run (HX-Redirect) with the outcome as a
message; a simulation's page reloads to show its result. `follow` is what a page that starts a
job answers: the run page at once when the job is already over (a worker that runs jobs as they
are queued), else the job page.
"""
from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import jobs
from .pages import payments_view

# Jobs whose outcome is read on a page of their own, which shows the bar while they run and
# reloads when they end.
PAGE_KINDS = {jobs.SIMULATE: "payments:simulation_job", jobs.RESTANDARD_PREVIEW: "payments:restandard_job",
              jobs.RESTANDARD: "payments:restandard_job"}


def outcome_message(job: jobs.Job) -> tuple[int, str]:
    """(message level, text) saying how a payroll job ended."""
    r = job.result
    if job.status == jobs.FAILED:
        return messages.ERROR, job.error
    if job.kind == jobs.GENERATE:
        added = sum((r.get("added") or {}).get(k, 0) for k in ("regular", "arrears", "carried"))
        if not added:
            return messages.SUCCESS, _("Run %(code)s was already complete: nothing added.") % {"code": r.get("code")}
        return messages.SUCCESS, _("Run %(code)s generated: %(added)s payments added.") % {"code": r.get("code"), "added": added}
    if job.kind == jobs.APPROVE:
        return messages.SUCCESS, _("Run %(code)s approved; it is frozen now.") % {"code": r.get("code")}
    if job.kind == jobs.EXPORT:
        export = r.get("export") or {}
        return messages.SUCCESS, _("Bank files written: %(count)s payments, ¥%(total)s.") % {
            "count": export.get("files_count"), "total": export.get("files_total")}
    if job.kind == jobs.IMPORT_RETURNS:
        return messages.SUCCESS, _("Returns applied: %(paid)s paid, %(failed)s failed (carried into the next run).") % {
            "paid": r.get("paid"), "failed": r.get("failed")}
    return messages.SUCCESS, _("Done.")


def _destination(job: jobs.Job) -> str:
    """Where a finished job's outcome is read: its run, or the runs when there is none."""
    if job.kind in PAGE_KINDS:
        return reverse(PAGE_KINDS[job.kind], args=[job.id])
    run = job.result.get("run") or job.params.get("run")
    return reverse("payments:run", args=[run]) if run else reverse("payments:runs")


def tell(request, job: jobs.Job) -> None:
    level, text = outcome_message(job)
    messages.add_message(request, level, text)
    for row in job.error_rows[:20]:
        messages.error(request, row)


def follow(request, job: jobs.Job):
    """The answer of a page that started `job`."""
    if job.finished and job.kind not in PAGE_KINDS:
        tell(request, job)
        return redirect(_destination(job))
    return redirect(_destination(job) if job.kind in PAGE_KINDS else reverse("payments:job", args=[job.id]))


def progress_context(job: jobs.Job) -> dict:
    return {"job": job, "poll": not job.finished}


@payments_view()
@require_GET
def job_detail(request, actor, job_id):
    job = jobs.get_job(actor, job_id)
    if job.kind in PAGE_KINDS:
        return redirect(_destination(job))
    return render(request, "enrollments/job.html", {**progress_context(job), "destination": _destination(job)})


@payments_view()
@require_GET
def job_progress(request, actor, job_id):
    """The bar alone. Polled: when the job has ended, a payroll job sends the browser on to its
    run (the outcome as a message), a simulation reloads its page."""
    job = jobs.get_job(actor, job_id)
    response = render(request, "enrollments/_job_progress.html", progress_context(job))
    if job.finished and request.headers.get("HX-Request"):
        if job.kind in PAGE_KINDS:
            response["HX-Refresh"] = "true"
        else:
            tell(request, job)
            response = HttpResponse(status=204)
            response["HX-Redirect"] = _destination(job)
    return response
