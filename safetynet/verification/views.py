"""Verification pages (issue 4, parts 3-6): a household's reports and the button that requests one,
the report itself (page, A4 PDF, sign-off), a run's progress, and the identity proposals.

Thin adapters: reads through selectors (reports.get_result, identity_services.proposals_in_scope),
writes through services (services.verify_household, reports.sign_off_report,
identity_services.confirm/reject), the same functions the API and the CLI call. Out of scope →
404; a post without the permission → 403; a refused step → the message on the page it came from.
"""
from __future__ import annotations


from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from safetynet.cases.models import Case, Status
from safetynet.core.decorators import post_view
from safetynet.core.errors import NotFound, PermissionDenied, SafetyNetError, ValidationError
from safetynet.core.masking import mask_id_number
from safetynet.core.pagination import numbered_page
from safetynet.core.money import format_yuan
from safetynet.core.privatefiles import answer_file, download_view
from safetynet.core.scoping import get_in_scope, in_scope
from safetynet.registry.models import Household

from . import identity_services, reports, selectors, services
from .casefile import flag_label
from .forms import NoteForm, RejectForm, RequestForm, SignOffForm
from .identity_models import ProposalStatus
from .models import RunStatus

PAGE_SIZE = 25


def verification_view(permission: str = "verification.view"):
    """Login, an acting post holding `permission` (core/decorators.py)."""
    return post_view(permission)


# --------------------------------------------------------------------------------------------
# A household: its reports, and the request for a new one
# --------------------------------------------------------------------------------------------

def _result_row(result) -> dict:
    missing = len(reports.report_gaps(result))
    return {"result": result, "flags": [flag_label(f) for f in result.flags or []], "complete": not missing, "gaps": missing}


@require_GET
@verification_view()
def household_page(request, actor, household_id: int):
    household = get_in_scope(Household.objects.select_related("area"), actor, pk=household_id)
    results = list(reports.results_for_household(actor, household.pk)[:20])
    cases = list(in_scope(Case.objects.filter(household_id=household.pk, is_open=True), actor)
                 .select_related("applicant").order_by("-id")[:10]) if actor.can("cases.view") else []
    try:
        highlighted = int(request.GET.get("case") or 0)
    except ValueError:
        highlighted = 0
    return render(request, "verification/household.html", {
        "household": household, "results": [_result_row(r) for r in results],
        "cases": [{"case": c, "waiting": c.status == Status.SURVEYED, "authorized": c.authorization_signed_at is not None,
                   "highlighted": c.pk == highlighted} for c in cases],
        "can_run": actor.can("verification.run"), "any_authorized": any(c.authorization_signed_at for c in cases),
    })


@require_POST
@verification_view("verification.run")
def request_verification(request, actor):
    """"Request verification": the household (and the case that asks for it) verified now,
    then its report."""
    form = RequestForm(request.POST)
    if not form.is_valid():
        raise Http404(_("Not found in your area."))
    household_id, case_id = form.cleaned_data["household"], form.cleaned_data.get("case")
    try:
        report = services.verify_household(actor=actor, household_id=household_id, case_id=case_id)
    except (NotFound, PermissionDenied):
        raise
    except SafetyNetError as error:
        messages.error(request, error.message)
        url = reverse("verification:household", args=[household_id])
        return redirect(f"{url}?case={case_id}" if case_id else url)
    messages.success(request, _("Verification done: %(n)d records found.") % {"n": len(report.findings)})
    if case_id and not report.complete:
        messages.warning(request, _("Department data is missing or out of date: the report is filed on case #%(case)s "
                                    "when you sign it off with a reason for each such dataset.") % {"case": case_id})
    return redirect("verification:report", result_id=report.result.pk)


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------

def _render_report(request, actor, result, form=None, status: int = 200):
    context = reports.report_context(actor, result)
    context["sign_form"] = form or SignOffForm(gaps=context["gaps"])
    return render(request, "verification/report.html", context, status=status)


@require_GET
@verification_view()
def report_page(request, actor, result_id: int):
    return _render_report(request, actor, reports.get_result(actor, result_id))


@download_view
@require_GET
@verification_view()
def report_pdf(request, actor, result_id: int):
    result = reports.get_result(actor, result_id)
    return answer_file(reports.report_pdf(actor, result), filename=f"verification-report-{result.pk}.pdf",
                       content_type="application/pdf", inline=True)


@require_POST
@verification_view()
def sign_off(request, actor, result_id: int):
    result = reports.get_result(actor, result_id)
    form = SignOffForm(request.POST, gaps=reports.report_gaps(result))
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        reports.sign_off_report(actor=actor, result_id=result_id, note=note, reasons=form.reasons())
    except (NotFound, PermissionDenied):
        raise
    except ValidationError as error:
        fields = dict(error.details.get("fields") or {})
        if error.field and error.field not in fields:
            fields[error.field] = error.message
        for name, message in fields.items():
            form.add_error(name if name in form.fields else None, message)
        messages.error(request, error.message)
        return _render_report(request, actor, result, form=form, status=422)
    except SafetyNetError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Report signed."))
    return redirect("verification:report", result_id=result_id)


# --------------------------------------------------------------------------------------------
# Runs and their progress
# --------------------------------------------------------------------------------------------

def _progress(run) -> dict:
    elapsed = None
    if run.started_at:
        end = run.finished_at or timezone.now()
        elapsed = max(0, int((end - run.started_at).total_seconds()))
    percent = 100 if run.status == RunStatus.DONE else int(run.progress * 100)
    return {"run": run, "percent": percent, "elapsed": elapsed,
            "finished": run.status in (RunStatus.DONE, RunStatus.FAILED)}


@require_GET
@verification_view()
def run_list(request, actor):
    """The runs in the area, newest first (the CLI starts them; each opens on its progress)."""
    page = numbered_page(selectors.runs_in_scope(actor).order_by("-id"), request.GET.get("page"), PAGE_SIZE)
    return render(request, "verification/runs.html", {
        "rows": [_progress(run) for run in page], "total": page.total, "page": page.number, "pages": page.pages,
    })


@require_GET
@verification_view()
def run_page(request, actor, run_id: int):
    run = selectors.get_run(actor, run_id)
    flagged_only = request.GET.get("all") != "1"
    results = selectors.results_of(actor, run.pk, flagged_only=flagged_only)
    page = numbered_page(results.order_by("household_id").values("id", "household_id", "flags", "per_capita_income",
                                                               "financial_assets", "area_code"),
                         request.GET.get("page"), PAGE_SIZE)
    rows = page.rows
    for row in rows:
        row["flag_labels"] = [flag_label(f) for f in row["flags"] or []]
        row["per_capita"] = format_yuan(row["per_capita_income"])
    return render(request, "verification/run.html", {
        **_progress(run), "rows": rows, "total": page.total, "page": page.number, "pages": page.pages,
        "flagged_only": flagged_only,
        "kind": run.get_kind_display(),
    })


@require_GET
@verification_view()
def run_progress(request, actor, run_id: int):
    """The progress bar alone, polled by the run page every second until the run ends."""
    run = selectors.get_run(actor, run_id)
    context = _progress(run)
    response = render(request, "verification/_run_progress.html", context)
    if context["finished"] and request.GET.get("polling") == "1" and run.status == RunStatus.DONE:
        response["HX-Refresh"] = "true"   # the page that watched the run reloads with its results
    return response


# --------------------------------------------------------------------------------------------
# Identity proposals
# --------------------------------------------------------------------------------------------

FIELD_LABELS = {"id_rest": _("ID number (area, sequence)"), "name": _("Name"), "birth_date": _("Birth date"),
                "address": _("Address")}


@require_GET
@verification_view()
def proposal_list(request, actor):
    status = request.GET.get("status") or ProposalStatus.PROPOSED
    if status not in ProposalStatus.values:
        status = ProposalStatus.PROPOSED
    qs = identity_services.proposals_in_scope(actor, status=status)
    page = numbered_page(qs, request.GET.get("page"), PAGE_SIZE)
    whole = actor.can("registry.view_id_number")
    show = (lambda v: v or "") if whole else mask_id_number
    rows = []
    for p in page:
        person = p.person
        compared = p.compared or {}
        rows.append({
            "proposal": p, "percent": f"{p.match_probability * 100:.1f}",
            "source": reports.source_label(p.dataset), "kind": p.get_id_kind_display(),
            "fields": [
                {"label": _("ID number"), "record": show(p.record_id_number) or "—", "person": show(person.id_number),
                 "level": (compared.get("id_rest") or {}).get("level", "")},
                {"label": FIELD_LABELS["name"], "record": p.record_name or "—", "person": person.name,
                 "level": (compared.get("name") or {}).get("level", "")},
                {"label": FIELD_LABELS["birth_date"], "record": p.record_birth_date.isoformat() if p.record_birth_date else "—",
                 "person": person.birth_date.isoformat(), "level": (compared.get("birth_date") or {}).get("level", "")},
                {"label": FIELD_LABELS["address"], "record": p.record_address or "—", "person": person.household.address,
                 "level": (compared.get("address") or {}).get("level", "")},
            ],
        })
    return render(request, "verification/proposals.html", {
        "rows": rows, "status": status, "statuses": ProposalStatus.choices, "total": page.total, "page": page.number,
        "pages": page.pages,
        "can_decide": actor.can(identity_services.CONFIRM_PERMISSION) and actor.user_id is not None,
        "note_form": NoteForm(), "reject_form": RejectForm(),
    })


def _decide(request, actor, proposal_id: int, action):
    try:
        action()
    except (NotFound, PermissionDenied):
        raise
    except SafetyNetError as error:
        messages.error(request, error.message)
    return redirect(f"{reverse('verification:proposals')}?status={ProposalStatus.PROPOSED}")


@require_POST
@verification_view(identity_services.CONFIRM_PERMISSION)
def confirm_proposal(request, actor, proposal_id: int):
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""

    def act():
        link = identity_services.confirm_identity_proposal(actor=actor, proposal_id=proposal_id, note=note)
        messages.success(request, _("Confirmed: later verifications count this record as %(name)s's.")
                         % {"name": link.person.name})
    return _decide(request, actor, proposal_id, act)


@require_POST
@verification_view(identity_services.CONFIRM_PERMISSION)
def reject_proposal(request, actor, proposal_id: int):
    form = RejectForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""

    def act():
        identity_services.reject_identity_proposal(actor=actor, proposal_id=proposal_id, note=note)
        messages.success(request, _("Rejected: this record will not be proposed for this person again."))
    return _decide(request, actor, proposal_id, act)

