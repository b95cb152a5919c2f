"""Pages of inspections (issue 18 part 5): the overview of a post's scope with links to the pages
that hold it, the exports, and findings (recorded, answered, accepted or returned). Thin adapters
over `inspection_overview`, `inspection_exports` and `inspections`, which the API calls too.
"""
from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from safetynet.core.dates import parse_month
from safetynet.core.decorators import post_view
from safetynet.core.errors import SafetyNetError
from safetynet.core.menu import may_open
from safetynet.core.pagination import numbered_page
from safetynet.core.privatefiles import answer_file

from . import inspection_exports, inspection_overview, inspections
from .complaints import today
from .inspection_models import FindingStatus
from safetynet.core.pagewrites import attempt

VIEW, INSPECT, RECTIFY, EXPORT = inspections.VIEW, inspections.INSPECT, inspections.RECTIFY, inspection_exports.EXPORT
PAGE_SIZE = 25
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The pages the overview links to (each checks its own permission; the overview shows those the post may open).
LINKS = (
    ("cases:list", gettext_lazy("All cases")),
    ("cases:overdue", gettext_lazy("Overdue cases")),
    ("payments:runs", gettext_lazy("Payroll runs")),
    ("changes:queue", gettext_lazy("Changes and exits")),
    ("oversight:complaints", gettext_lazy("Complaints")),
    ("oversight:spotcheck_list", gettext_lazy("Spot checks")),
    ("oversight:boards", gettext_lazy("Village boards")),
    ("oversight:anomaly_runs", gettext_lazy("Anomaly reports")),
    ("oversight:relative_filings", gettext_lazy("Close-relative filings")),
    ("oversight:finding_list", gettext_lazy("Inspection findings")),
    ("oversight:audit", gettext_lazy("Audit ledger")),
)


def _links(actor) -> list[dict]:
    return [{"url": reverse(name), "label": label} for name, label in LINKS if may_open(actor, name)]


@require_safe
@post_view(VIEW)
def overview(request, actor):
    on = today()
    return render(request, "oversight/inspections/overview.html", {
        "counts": inspection_overview.scope_counts(actor, on), "links": _links(actor), "month": on.strftime("%Y-%m"),
        "may_export": actor.can(EXPORT), "may_inspect": actor.can(INSPECT)})


@require_safe
@post_view(EXPORT)
def export(request, actor, kind: str):
    if kind not in inspection_exports.KINDS:
        raise Http404()
    try:
        month = parse_month(request.GET.get("month") or None, field="month") if kind == "payments" else None
        made = inspection_exports.export_workbook(actor=actor, kind=kind, area_code=request.GET.get("area", ""),
                                                 month=month)
    except SafetyNetError as error:
        if error.status in (403, 404):
            raise
        messages.error(request, error.message)
        return redirect("oversight:inspection_overview")
    return answer_file(made.content, filename=made.filename, content_type=XLSX)


def _status_choices():
    return [("", _("all")), *FindingStatus.choices]


@require_safe
@post_view(VIEW)
def finding_list(request, actor):
    status = request.GET.get("status", "")
    status = status if status in FindingStatus.values else ""
    on = today()
    page = numbered_page(inspections.findings_in_scope(actor, status=status), request.GET.get("page"), PAGE_SIZE)
    rows = [{"f": f, "overdue": inspections.is_overdue(f, on)} for f in page]
    return render(request, "oversight/inspections/findings.html", {
        "page": page, "rows": rows, "status": status, "statuses": _status_choices(),
        "query_string": f"status={status}" if status else "", "may_inspect": actor.can(INSPECT)})


FINDING_FIELDS = ("office", "subject", "text", "case", "enrollment")


def _int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return 0


@post_view(INSPECT)
def finding_new(request, actor):
    form = {k: request.POST.get(k, request.GET.get(k, "")) for k in FINDING_FIELDS}
    error = None
    if request.method == "POST":
        done, error = attempt(lambda: inspections.record_finding(
            actor=actor, office_code=form["office"], subject=form["subject"], text=form["text"], on=today(),
            case_id=_int(form["case"]), enrollment_id=_int(form["enrollment"])))
        if done is not None:
            messages.success(request, _("Finding %(ref)s recorded: %(office)s answers by %(due)s.") % {
                "ref": done.reference, "office": done.office.name, "due": done.due_on.isoformat()})
            return redirect("oversight:finding", finding_id=done.pk)
    offices = inspections.offices_for(actor)
    return render(request, "oversight/inspections/finding_form.html", {
        "form": form, "error": error, "offices": offices,
        "days": inspections.rectify_days(offices[0].code, today()) if offices else None}, status=422 if error else 200)


@post_view(VIEW)
def finding_detail(request, actor, finding_id: int):
    finding = inspections.get_finding(actor, finding_id)
    action, error = request.POST.get("action", ""), None
    form = {k: request.POST.get(k, "") for k in ("answer", "note")}
    if request.method == "POST":
        on = today()
        steps = {
            "answer": lambda: inspections.answer_finding(actor=actor, finding_id=finding.pk, answer=form["answer"], on=on),
            "accept": lambda: inspections.accept_answer(actor=actor, finding_id=finding.pk, note=form["note"], on=on),
            "return": lambda: inspections.return_answer(actor=actor, finding_id=finding.pk, note=form["note"], on=on),
        }
        if action not in steps:
            raise Http404()
        done, error = attempt(steps[action])
        if done is not None:
            messages.success(request, _("Finding %(ref)s: %(status)s.") % {"ref": done.reference,
                                                                         "status": done.get_status_display()})
            return redirect("oversight:finding", finding_id=finding.pk)
    is_author = actor.can(INSPECT) and finding.inspector_id == actor.user_id
    return render(request, "oversight/inspections/finding_detail.html", {
        "f": finding, "events": finding.events.all(), "overdue": inspections.is_overdue(finding, today()),
        "form": form, "action": action, "error": error,
        "may_answer": actor.can(RECTIFY) and actor.area_code == finding.office_id
        and finding.status in (FindingStatus.OPEN, FindingStatus.OVERDUE),
        "may_decide": is_author and finding.status == FindingStatus.ANSWERED}, status=422 if error else 200)
