"""The institutions' statements pages (`/medical/statements/`, issue 20 part 3): a county's month
(generate, each institution's statement with its claim beside ours, a bar of the nets), one
statement (what it pays and deducts, names masked; the differences with the claim; compare,
approve), and the month's payment run (bank files, the bank's returns). Thin adapters over
statements.py and statement_selectors.py, which the API and the command call too. A town post
reads the institutions of its town only, and no run."""
from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from safetynet.cases import clocks
from safetynet.core.dates import parse_month
from safetynet.core.decorators import post_view
from safetynet.core.errors import ValidationError
from safetynet.core.masking import mask_name
from safetynet.core.pagewrites import attempt
from safetynet.core.pagination import numbered_page
from safetynet.core.privatefiles import answer_file, download_view
from safetynet.core.tabular import OFFICE_CSV
from safetynet.funding import budgets
from safetynet.funding.models import BudgetKind

from . import statement_selectors as selectors
from . import statements
from .statement_models import OPEN_STATEMENT_STATUSES, MedicalPaymentRunStatus, MedicalStatementStatus
from .statements import APPROVE, STATEMENTS, VIEW

PAGE_SIZE = 30
LINES_PAGE_SIZE = 50
CHART_MAX = 200


def _month_asked(request) -> dt.date:
    """The month asked for; by default the last month that has ended."""
    try:
        month = parse_month(request.POST.get("month") or request.GET.get("month") or None, field="month")
    except ValidationError:
        month = None
    return month or statements.last_ended_month(clocks.today())


def _errors(request, error) -> None:
    messages.error(request, error.message)
    for row in (error.details or {}).get("rows", [])[1:20]:
        messages.error(request, row)


def _list_url(month: dt.date) -> str:
    return f"{reverse('medical:statements')}?month={month:%Y-%m}"


@post_view(VIEW)
def statement_list(request, actor):
    """The county's month: generate it, each institution's statement (claim beside ours), the run."""
    county = selectors.county_of(actor)
    month = _month_asked(request)
    if request.method == "POST":
        done, error = attempt(lambda: statements.generate_statements(actor=actor, county_code=county, month=month))
        if done is not None:
            added = done.added
            messages.success(request, _("Statements of %(month)s generated: %(settlements)s settlements stated, "
                                        "%(reversals)s reversals deducted, %(statements)s institutions in all.")
                             % {"month": f"{month:%Y-%m}", "settlements": added["settlements"],
                                "reversals": added["reversals"], "statements": done.statement_count})
            if added["waiting"]:
                messages.warning(request, _("%(n)s settlements wait for next month's statement: their institution's "
                                            "statement of this month is approved.") % {"n": added["waiting"]})
        else:
            _errors(request, error)
        return redirect(_list_url(month))
    status, q = request.GET.get("status", ""), request.GET.get("q", "")
    status = status if status in MedicalStatementStatus.values else ""
    month_qs = selectors.statements_in_scope(actor, month=month, county=county)
    qs = selectors.statements_in_scope(actor, month=month, county=county, status=status, q=q)
    page = numbered_page(qs, request.GET.get("page"), PAGE_SIZE)
    run = selectors.run_of_month(actor, county, month)
    today = clocks.today()
    return render(request, "medical/statement_list.html", {
        "month": month, "page": page, "figures": selectors.month_figures(month_qs), "run": run,
        "status": status, "q": q, "statuses": MedicalStatementStatus.choices,
        "query_string": "&".join(f"{k}={v}" for k, v in (("month", f"{month:%Y-%m}"), ("status", status), ("q", q)) if v),
        "previous": (month - dt.timedelta(days=1)).replace(day=1), "next": statements.next_month(month),
        "has_ended": month <= statements.last_ended_month(today), "latest": statements.last_ended_month(today),
        "may_generate": actor.can(STATEMENTS) and bool(county) and (run is None or run.is_open)
        and month <= statements.last_ended_month(today),
        "chart": selectors.chart_of(month_qs.order_by("institution__code")[:CHART_MAX]),
        "chart_labels": {"net": _("Net to pay"), "claimed": _("Claimed")},
    })


def _approval_check(statement, today) -> dict:
    """How the approval would stand against the county's medical assistance budget (nothing written)."""
    if statement.net_total <= 0:
        return {"carried": True}
    try:
        check = budgets.check_charge(area_code=statement.run.area_id, year=statement.month.year,
                                     kind=BudgetKind.MEDICAL_ASSISTANCE, amount=statement.net_total, on=today)
    except ValidationError as error:
        return {"refusal": error.message}
    return {"refusal": check.refusal() if check.overrun else "", "warning": check.warning(), "overrun": check.overrun > 0}


def _differences(statement) -> dict:
    """The statement's differences, each visit claimed and not on it with its reason in words."""
    d = dict(statement.differences or {})
    if d.get("not_ours"):
        d["not_ours"] = {**d["not_ours"], "visits": [{**row, "label": statements.why_label(row)}
                                                     for row in d["not_ours"].get("visits", [])]}
    return d


@require_GET
@post_view(VIEW)
def statement_detail(request, actor, statement_id: int):
    statement = selectors.get_statement(actor, statement_id)
    lines = numbered_page(selectors.statement_settlements(actor, statement), request.GET.get("page"), LINES_PAGE_SIZE)
    reversals = list(selectors.statement_reversals(actor, statement)[:200])
    is_open = statement.status in OPEN_STATEMENT_STATUSES
    may_approve = (actor.can(APPROVE) and statement.status in statements.TRANSITIONS["approve"]
                   and statement.generated_by_id != actor.user_id)
    return render(request, "medical/statement_detail.html", {
        "s": statement, "lines": lines, "reversals": reversals, "carried_from": selectors.carried_from(actor, statement),
        "claim": selectors.claim_of(statement), "differences": _differences(statement),
        "line_rows": [{"l": line, "person": mask_name(line.person.name)} for line in lines],
        "reversal_rows": [{"l": line, "person": mask_name(line.person.name)} for line in reversals],
        "may_reconcile": actor.can(STATEMENTS) and is_open,
        "may_approve": may_approve, "own_statement": actor.can(APPROVE) and statement.generated_by_id == actor.user_id,
        "approval": _approval_check(statement, clocks.today()) if may_approve else None,
        "may_approve_overrun": actor.can("funding.approve_overrun"),
        "run_visible": actor.covers(statement.run.area_id),
        "query_string": "",
    })


def _detail_url(statement_id: int) -> str:
    return reverse("medical:statement_detail", args=[statement_id])


@require_POST
@post_view(STATEMENTS)
def statement_reconcile(request, actor, statement_id: int):
    statement = selectors.get_statement(actor, statement_id)
    done, error = attempt(lambda: statements.reconcile_statement(actor=actor, statement_id=statement.pk))
    if done is not None:
        if done.status == MedicalStatementStatus.RECONCILED:
            messages.success(request, _("The statement matches the institution's claim."))
        else:
            messages.warning(request, _("The statement differs from the institution's claim: the differences are listed."))
    else:
        _errors(request, error)
    return redirect(_detail_url(statement.pk))


@require_POST
@post_view(APPROVE)
def statement_approve(request, actor, statement_id: int):
    statement = selectors.get_statement(actor, statement_id)
    done, error = attempt(lambda: statements.approve_statement(
        actor=actor, statement_id=statement.pk, note=request.POST.get("note", ""),
        overrun_reason=request.POST.get("overrun_reason", "")))
    if done is not None:
        if done.status == MedicalStatementStatus.CARRIED:
            messages.success(request, _("Approved with nothing to pay: the net of %(net)s is carried into the "
                                        "institution's next statement.") % {"net": f"¥{done.net_total:,.2f}"})
        else:
            messages.success(request, _("Approved: %(net)s charged to the county's medical assistance budget.")
                             % {"net": f"¥{done.net_total:,.2f}"})
        if done.budget_warning:
            messages.warning(request, done.budget_warning)
    else:
        _errors(request, error)
    return redirect(_detail_url(statement.pk))


@require_GET
@post_view(VIEW)
def run_detail(request, actor, run_id: int):
    """The month's payment run: its statements as the bank pays them, the bank files, the returns."""
    run = selectors.get_run(actor, run_id)
    rows = list(selectors.run_statements(actor, run))
    waiting = [s for s in rows if s.status in OPEN_STATEMENT_STATUSES]
    return render(request, "medical/statement_run.html", {
        "run": run, "rows": rows, "waiting": waiting,
        "may_export": actor.can(STATEMENTS) and run.is_open and not waiting and bool(rows),
        "may_import": actor.can(STATEMENTS) and run.status == MedicalPaymentRunStatus.EXPORTED,
        "files": (run.export_summary or {}).get("banks", []),
    })


def _run_url(run_id: int) -> str:
    return reverse("medical:statement_run", args=[run_id])


@require_POST
@post_view(STATEMENTS)
def run_export(request, actor, run_id: int):
    run = selectors.get_run(actor, run_id)
    done, error = attempt(lambda: statements.export_payment_run(actor=actor, run_id=run.pk))
    if done is not None:
        messages.success(request, _("Bank files written: %(count)s institutions, ¥%(total)s.")
                         % {"count": done["files_count"], "total": done["files_total"]})
        if done["no_account_count"]:
            messages.warning(request, _("%(count)s institutions have no bank account (¥%(total)s): listed, not paid. "
                                        "They are paid with the county's next run once their account is recorded.")
                             % {"count": done["no_account_count"], "total": done["no_account_total"]})
    else:
        _errors(request, error)
    return redirect(_run_url(run.pk))


@require_POST
@post_view(STATEMENTS)
def run_returns(request, actor, run_id: int):
    run = selectors.get_run(actor, run_id)
    upload = request.FILES.get("file")

    def apply():
        if upload is None:
            raise ValidationError(_("Choose the bank's return file."), field="file")
        return statements.import_payment_returns(actor=actor, run_id=run.pk, file=upload, filename=upload.name)
    done, error = attempt(apply)
    if done is not None:
        messages.success(request, _("Returns applied: %(paid)s paid, %(failed)s failed.") % {"paid": done.paid,
                                                                                            "failed": done.failed})
    else:
        _errors(request, error)
    return redirect(_run_url(run.pk))


@download_view
@require_GET
@post_view(VIEW)
def run_file(request, actor, run_id: int, name: str):
    """A bank file or the summary of an exported run (county posts only; anyone else 404)."""
    return answer_file(statements.exported_file(actor=actor, run_id=run_id, name=name), filename=name,
                       content_type=OFFICE_CSV)


def home_queues(actor) -> list[dict]:
    """"My work" line: institutions' statements compared with their claims that wait for this
    post's approval, linked to the oldest month among them."""
    if actor is None:
        return []
    waiting = selectors.statements_to_approve(actor)
    count = waiting.count()
    if not count:
        return []
    oldest = waiting.order_by("month").values_list("month", flat=True).first()
    return [{"label": _("Medical statements to approve"), "count": count, "url": _list_url(oldest), "css": "status-waiting"}]

