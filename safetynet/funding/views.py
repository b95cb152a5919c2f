"""The work subsidies' pages (issue 19 part 3): a county's month (generate, the run's figures by
kind and town, the statements by person with a search, approve, export, the bank's returns, the
bank files) and one person's statement. Thin adapters over subsidies.py, subsidy_runs.py and
selectors.py, which the API and the demo call too. Town posts see their own town's people only."""
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
from safetynet.core.masking import mask_id_number
from safetynet.core.pagewrites import attempt
from safetynet.core.pagination import numbered_page
from safetynet.core.privatefiles import answer_file, download_view
from safetynet.core.tabular import OFFICE_CSV

from . import budgets, forecast, selectors, subsidies, subsidy_runs
from .models import StatementStatus, SubsidyKind, SubsidyRunStatus
from .scope import APPROVE_OVERRUN, APPROVE_RUN, SUBSIDIES, VIEW, county_of

PAGE_SIZE = 30


def _month_asked(request, actor, county: str) -> dt.date:
    """The month asked for; by default the county's latest run's, else the one to generate next."""
    try:
        month = parse_month(request.POST.get("month") or request.GET.get("month") or None, field="month")
    except ValidationError:
        month = None
    latest = selectors.runs_in_scope(actor).filter(area_id=county).order_by("-month").values_list("month", flat=True).first()
    return month or latest or selectors.next_subsidy_month(actor, county, clocks.today())


def _errors(request, error) -> None:
    messages.error(request, error.message)
    for row in (error.details or {}).get("rows", [])[1:20]:
        messages.error(request, row)


@post_view(VIEW)
def month_page(request, actor):
    """The county's subsidies of a month: what needs doing next is at the top."""
    county = county_of(actor)
    month = _month_asked(request, actor, county)
    if request.method == "POST":
        done, error = attempt(lambda: subsidies.generate_subsidies(actor=actor, county_code=county, month=month))
        if done is not None:
            messages.success(request, _("Subsidies of %(month)s generated: %(surveys)s survey and %(meetings)s meeting "
                                        "subsidies added, %(people)s people in all.")
                             % {"month": month.strftime("%Y-%m"), "surveys": done.added["surveys"],
                                "meetings": done.added["meetings"], "people": done.statement_count})
        else:
            _errors(request, error)
        return redirect(f"{reverse('funding:subsidies')}?month={month:%Y-%m}")
    run = selectors.run_of_month(actor, county, month) if county else None
    q, status = request.GET.get("q", ""), request.GET.get("status", "")
    status = status if status in StatementStatus.values else ""
    context = {"month": month, "run": run, "q": q, "status": status, "statuses": StatementStatus.choices,
               "to_generate": month if run is None or not run.is_frozen else selectors.next_subsidy_month(
                   actor, county, clocks.today()),
               "may_generate": actor.can(SUBSIDIES) and bool(county),
               "previous": (month - dt.timedelta(days=1)).replace(day=1), "next": subsidies.next_month(month)}
    if run is not None:
        page = numbered_page(selectors.statements_in_scope(actor, run, q=q, status=status), request.GET.get("page"), PAGE_SIZE)
        whole = actor.can("registry.view_id_number")
        context.update({
            "figures": selectors.run_figures(actor, run), "page": page,
            "rows": [{"s": s, "id_number": s.id_number if whole else mask_id_number(s.id_number)} for s in page],
            "query_string": "&".join(f"{k}={v}" for k, v in (("month", f"{month:%Y-%m}"), ("q", q), ("status", status)) if v),
            "kinds": dict(SubsidyKind.choices), "is_county": actor.covers(run.area_id),
            "may_approve": actor.can(APPROVE_RUN) and run.status == SubsidyRunStatus.GENERATED
            and run.generated_by_id != actor.user_id and run.statement_count > 0,
            "own_run": actor.can(APPROVE_RUN) and run.generated_by_id == actor.user_id,
            "may_approve_overrun": actor.can(APPROVE_OVERRUN),
            "may_export": actor.can(SUBSIDIES) and run.status == SubsidyRunStatus.APPROVED,
            "may_import": actor.can(SUBSIDIES) and run.status == SubsidyRunStatus.EXPORTED,
            "files": (run.export_summary or {}).get("banks", []) if actor.covers(run.area_id) else [],
        })
        if run.status == SubsidyRunStatus.GENERATED and actor.covers(run.area_id):
            context["budget_checks"] = subsidy_runs.budget_checks(run, clocks.today())
        elif run.is_frozen:
            context["budget_warnings"] = subsidy_runs.run_budget_warnings(actor, run, clocks.today())
    template = "funding/_statements.html" if request.headers.get("HX-Request") and run else "funding/month.html"
    return render(request, template, context)


def _back(run) -> str:
    return f"{reverse('funding:subsidies')}?month={run.month:%Y-%m}"


@require_POST
@post_view(APPROVE_RUN)
def run_approve(request, actor, run_id: int):
    run = selectors.get_run(actor, run_id)
    done, error = attempt(lambda: subsidy_runs.approve_subsidy_run(
        actor=actor, run_id=run.pk, on=clocks.today(), overrun_reason=request.POST.get("overrun_reason", "")))
    if done is not None:
        messages.success(request, _("Subsidy run %(code)s approved and charged to the budgets; it is frozen now.")
                         % {"code": done.code})
        for warning in done.budget_warnings:
            messages.warning(request, warning)
    else:
        _errors(request, error)
    return redirect(_back(run))


@require_POST
@post_view(SUBSIDIES)
def run_export(request, actor, run_id: int):
    run = selectors.get_run(actor, run_id)
    done, error = attempt(lambda: subsidy_runs.export_subsidy_run(actor=actor, run_id=run.pk))
    if done is not None:
        messages.success(request, _("Bank files written: %(count)s payments, ¥%(total)s.")
                         % {"count": done["files_count"], "total": done["files_total"]})
    else:
        _errors(request, error)
    return redirect(_back(run))


@require_POST
@post_view(SUBSIDIES)
def run_returns(request, actor, run_id: int):
    run = selectors.get_run(actor, run_id)
    upload = request.FILES.get("file")

    def apply():
        if upload is None:
            raise ValidationError(_("Choose the bank's return file."), field="file")
        return subsidy_runs.import_subsidy_returns(actor=actor, run_id=run.pk, file=upload, filename=upload.name)
    done, error = attempt(apply)
    if done is not None:
        messages.success(request, _("Returns applied: %(paid)s paid, %(failed)s failed.") % {"paid": done.paid,
                                                                                            "failed": done.failed})
    else:
        _errors(request, error)
    return redirect(_back(run))


@download_view
@require_GET
@post_view(VIEW)
def run_file(request, actor, run_id: int, name: str):
    """A bank file or the summary of an exported run (county posts only; anyone else 404)."""
    return answer_file(subsidy_runs.exported_file(actor=actor, run_id=run_id, name=name), filename=name,
                       content_type=OFFICE_CSV)


@require_GET
@post_view(VIEW)
def statement(request, actor, statement_id: int):
    s = selectors.get_statement(actor, statement_id)
    whole = actor.can("registry.view_id_number")
    lines = list(selectors.statement_lines(actor, s))
    return render(request, "funding/statement.html", {
        "s": s, "lines": lines, "id_number": s.id_number if whole else mask_id_number(s.id_number),
        "account": ("…" + s.bank_account[-4:]) if s.bank_account else "",
        "partial": len(lines) < s.line_count,
        "history": selectors.statements_of_person(actor, s.id_number).exclude(pk=s.pk)[:24]})


def home_queues(actor) -> list[dict]:
    """"My work" lines: a subsidy run waiting for this post's approval; budget lines near their end."""
    if actor is None or not actor.can(VIEW):
        return []
    lines = []
    today = clocks.today()
    if actor.can(APPROVE_RUN):
        waiting = selectors.runs_in_scope(actor).filter(status=SubsidyRunStatus.GENERATED, statement_count__gt=0)
        waiting = waiting.exclude(generated_by_id=actor.user_id).order_by("month").first()
        if waiting is not None:
            lines.append({"label": _("Work subsidies to approve"), "count": waiting.statement_count,
                          "url": f"{reverse('funding:subsidies')}?month={waiting.month:%Y-%m}", "css": "status-waiting"})
    near = [s for s in budgets.spending(actor, year=today.year, on=today) if s.state != forecast.OK]
    if near:
        lines.append({"label": _("Budget lines near or past their end"), "count": len(near),
                      "url": f"{reverse('funding:spending')}?year={today.year}", "css": "status-overdue"})
    return lines
