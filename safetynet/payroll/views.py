"""Payroll pages: the runs (generate), a run (totals by town and program, change from last
month, approve, export, bank returns, its payments) and an enrollment with its history.

Thin adapters: reads through `payments.selectors`, writes through `payments.services`, the same
functions the `safetynet payroll` command calls. NotFound → 404, PermissionDenied → 403; other
domain errors are shown as a page message, with the form as typed.
"""
from __future__ import annotations


from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from safetynet.cases import clocks
from safetynet.core.errors import NotFound, PermissionDenied, SafetyNetError, ValidationError
from safetynet.core.privatefiles import answer_file, download_view
from safetynet.core.tabular import OFFICE_CSV
from safetynet.enrollments.job_views import follow
from safetynet.enrollments.pages import page_of, payments_view

from . import jobs, selectors, services
from .models import PaymentStatus, RunStatus





@payments_view()
def run_list(request, actor):
    county = actor.area_code[:6] if len(actor.area_code) >= 6 else ""
    form = {"county": request.POST.get("county", county), "month": request.POST.get("month", "")}
    if request.method != "POST" and county and actor.can("payments.generate"):
        form["month"] = selectors.next_payroll_month(actor, county, clocks.today()).strftime("%Y-%m")
    error = None
    if request.method == "POST":
        try:
            return follow_job(request, jobs.start_generation(actor=actor, county_code=form["county"], month=form["month"]))
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message)
        except SafetyNetError as exc:
            error = exc
    runs, page, pages, total = page_of(request, selectors.runs_in_scope(actor))
    figures = selectors.runs_figures(actor, runs)
    rows = [{"run": run, "figures": figures[run.pk]} for run in runs]
    return render(request, "payroll/run_list.html", {
        "rows": rows, "page": page, "pages": pages, "total": total, "form": form, "error": error,
        "can_generate": actor.can("payments.generate"), "can_simulate": actor.can("payments.simulate")},
        status=422 if error else 200)


@payments_view()
@require_GET
def run_detail(request, actor, run_id):
    run = selectors.get_run(actor, run_id)
    payments, page, pages, total = page_of(request, selectors.payments_in_scope(actor, run))
    is_county = actor.is_national or len(actor.area_code) <= 6
    figures = selectors.run_figures(actor, run)
    return render(request, "payroll/run_detail.html", {
        "run": run, "figures": figures, "payments": payments, "page": page, "pages": pages, "total": total,
        "by_town": figures["by_town_program"], "change": figures["change"],
        "is_county": is_county,
        "can_approve": actor.can("payments.approve") and run.status == RunStatus.GENERATED
        and run.generated_by_id != actor.user_id,
        "own_run": actor.can("payments.approve") and run.generated_by_id == actor.user_id,
        "can_export": actor.can("payments.generate") and run.status == RunStatus.APPROVED,
        "can_import": actor.can("payments.generate") and run.status == RunStatus.EXPORTED,
        "files": (run.export_summary or {}).get("banks", []) if is_county else [],
        "statuses": dict(PaymentStatus.choices),
    })


def follow_job(request, job):
    return follow(request, job)


def _act(request, actor, run_id, action):
    """Run `action`; its answer (a job to follow) or, after a message, the run page."""
    try:
        answer = action()
        if answer is not None:
            return answer
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message)
    except NotFound:
        raise Http404(_("Not found in your area."))
    except SafetyNetError as exc:
        messages.error(request, exc.message)
        for row in (exc.details or {}).get("rows", [])[:20]:
            messages.error(request, row)
    return redirect("payments:run", run_id=run_id)


@payments_view("payments.approve")
@require_POST
def run_approve(request, actor, run_id):
    def approve():
        run = services.approve_payroll_run(actor=actor, run_id=run_id)
        messages.success(request, _("Run %(code)s approved; it is frozen now.") % {"code": run.code})
    return _act(request, actor, run_id, approve)


@payments_view("payments.generate")
@require_POST
def run_export(request, actor, run_id):
    return _act(request, actor, run_id, lambda: follow_job(request, jobs.start_export(actor=actor, run_id=run_id)))


@payments_view("payments.generate")
@require_POST
def run_returns(request, actor, run_id):
    upload = request.FILES.get("file")

    def apply():
        if upload is None:
            raise ValidationError(_("Choose the bank's return file."), field="file")
        return follow_job(request, jobs.start_returns(actor=actor, run_id=run_id, upload=upload, filename=upload.name))
    return _act(request, actor, run_id, apply)


@download_view
@payments_view()
@require_GET
def run_file(request, actor, run_id, name):
    """A bank file or the summary of an exported run (county posts only; anyone else 404)."""
    return answer_file(services.exported_file(actor=actor, run_id=run_id, name=name), filename=name,
                       content_type=OFFICE_CSV)


@payments_view()
@require_GET
def enrollment_detail(request, actor, enrollment_id):
    enrollment = selectors.payroll_enrollment(actor, enrollment_id)
    payments, page, pages, total = page_of(request, selectors.enrollment_payments(actor, enrollment))
    return render(request, "payroll/enrollment_detail.html", {
        "e": enrollment, "history": selectors.enrollment_history(actor, enrollment)[:100],
        "payments": payments, "page": page, "pages": pages, "total": total, "statuses": dict(PaymentStatus.choices)})
