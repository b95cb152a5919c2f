"""Work subsidies and budgets over HTTP (`/api/v1/funding/`, issue 19 part 3): subsidy runs
(generate, approve, export), their statements and lines, budget lines (create or change, read,
remove), the charges against them, a county leader's approval of an overrun, the spending and the
county's funding at a glance. The same services as the pages; a town post reads its own town."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import StringConstraints

from safetynet.cases import clocks
from safetynet.core.apischemas import NO_NUL, SOME_TEXT, InputSchema, PageQuery, responses
from safetynet.core.masking import mask_id_number
from safetynet.core.money import money_text
from safetynet.core.pagination import api_page

from . import budgets, overview, purchases, selectors, subsidies, subsidy_runs
from .models import BudgetKind, StatementStatus, SubsidyKind
from .scope import county_of

router = Router(tags=["funding"])

MAX_ID = 2_147_483_647
Id = Annotated[int, Path(..., ge=1, le=MAX_ID)]
_WORDS = SOME_TEXT
CountyCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
AreaCode = Annotated[str, StringConstraints(pattern=r"^([0-9]{6}|[0-9]{9})$")]
MonthText = Annotated[str, StringConstraints(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$")]
Amount = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,12}(\.[0-9]{1,2})?$")]
Year = Annotated[int, Field(..., ge=budgets.MIN_YEAR, le=budgets.MAX_YEAR)]
Kind = Literal[tuple(BudgetKind.values)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=_WORDS)]
Ids = list[Annotated[int, Field(ge=1, le=MAX_ID)]]



# ---------------------------------------------------------------------------------------------
# Subsidy runs
# ---------------------------------------------------------------------------------------------
class SubsidyRunOut(Schema):
    id: int
    code: str
    county: str
    month: str
    status: str
    statement_count: int
    line_count: int
    total_amount: str
    payable_amount: str | None
    no_account_amount: str | None
    generated_by: str
    approved_by: str
    by_kind: dict[str, dict]
    added: dict[str, int]
    budget_warnings: list[str]
    bank_files: list[str]


def _run(actor, run, *, warnings: bool = True) -> dict:
    figures = selectors.run_figures(actor, run)
    summary = run.summary or {}
    return {"id": run.pk, "code": run.code, "county": run.area_id, "month": run.month.strftime("%Y-%m"),
            "status": run.status, "statement_count": figures["statement_count"], "line_count": figures["line_count"],
            "total_amount": money_text(figures["total_amount"]), "payable_amount": money_text(figures["payable_amount"]),
            "no_account_amount": money_text(figures["no_account_amount"]), "generated_by": run.generated_by_username,
            "approved_by": run.approved_by_username, "by_kind": figures["by_kind"],
            "added": getattr(run, "added", None) or summary.get("added") or {},
            "budget_warnings": getattr(run, "budget_warnings", None)
            or (subsidy_runs.run_budget_warnings(actor, run, clocks.today()) if run.is_frozen and warnings else []),
            "bank_files": [b["file"] for b in (run.export_summary or {}).get("banks", [])] if actor.covers(run.area_id) else []}


class SubsidyRunPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[SubsidyRunOut]


class SubsidyRunFilter(PageQuery):
    month: MonthText | None = None


@router.get("/runs", response=responses(SubsidyRunPage), summary="Subsidy runs of the post's county")
def list_runs(request, filters: Query[SubsidyRunFilter]):
    qs = selectors.runs_in_scope(request.auth)
    if filters.month:
        qs = qs.filter(month=dt.date(int(filters.month[:4]), int(filters.month[5:]), 1))
    return api_page(qs.order_by("-month", "area_id"), offset=filters.offset, limit=filters.limit,
                    item=lambda run: _run(request.auth, run, warnings=False))


class SubsidyGenerateIn(InputSchema):
    county: CountyCode
    month: MonthText
    surveys: Ids | None = Field(None, max_length=subsidies.MAX_IDS, description="only these surveys (default: all)")
    deliberations: Ids | None = Field(None, max_length=subsidies.MAX_IDS,
                                      description="only these deliberation meetings (default: all)")


@router.post("/runs", response=responses(SubsidyRunOut, ok_status=201),
             summary="Generate (or complete) a county's subsidies of a month from the recorded work")
def generate(request, payload: SubsidyGenerateIn):
    run = subsidies.generate_subsidies(actor=request.auth, county_code=payload.county, month=payload.month,
                                       survey_ids=payload.surveys, deliberation_ids=payload.deliberations)
    return Status(201, _run(request.auth, run))


@router.get("/runs/{run_id}", response=responses(SubsidyRunOut), summary="A subsidy run (a town post: its town's figures)")
def get_run(request, run_id: Id):
    return _run(request.auth, selectors.get_run(request.auth, run_id))


class ApproveIn(InputSchema):
    overrun_reason: Annotated[str, StringConstraints(max_length=500, pattern=NO_NUL)] = ""


@router.post("/runs/{run_id}/approve", response=responses(SubsidyRunOut),
             summary="Approve a run (not by its generator): charged to the towns' subsidy budgets, then frozen")
def approve(request, run_id: Id, payload: ApproveIn):
    run = selectors.get_run(request.auth, run_id)
    run = subsidy_runs.approve_subsidy_run(actor=request.auth, run_id=run.pk, on=clocks.today(),
                                           overrun_reason=payload.overrun_reason)
    return _run(request.auth, run)


class SubsidyExportOut(Schema):
    files_count: int
    files_total: str
    no_account_count: int
    no_account_total: str
    files: list[str]
    summary_file: str


@router.post("/runs/{run_id}/export", response=responses(SubsidyExportOut),
             summary="Write an approved run's bank files (downloaded from the run's page)")
def export(request, run_id: Id):
    run = selectors.get_run(request.auth, run_id)
    summary = subsidy_runs.export_subsidy_run(actor=request.auth, run_id=run.pk)
    return {"files_count": summary["files_count"], "files_total": summary["files_total"],
            "no_account_count": summary["no_account_count"], "no_account_total": summary["no_account_total"],
            "files": [b["file"] for b in summary["banks"]], "summary_file": summary["summary_file"]}


# ---------------------------------------------------------------------------------------------
# Statements and lines
# ---------------------------------------------------------------------------------------------
class SubsidyLineOut(Schema):
    id: int
    kind: str
    worked_on: dt.date
    area: str
    case: int
    survey_investigator: int | None
    deliberation_participant: int | None
    amount: str


class SubsidyStatementOut(Schema):
    id: int
    run: int
    month: str
    name: str
    id_number: str
    area: str
    amount: str
    line_count: int
    has_bank_account: bool
    status: str
    reference: str
    return_reason: str


def _statement(actor, s) -> dict:
    whole = actor.can("registry.view_id_number")
    return {"id": s.pk, "run": s.run_id, "month": s.run.month.strftime("%Y-%m"), "name": s.name,
            "id_number": s.id_number if whole else mask_id_number(s.id_number), "area": s.area_id,
            "amount": money_text(s.amount), "line_count": s.line_count, "has_bank_account": bool(s.bank_account),
            "status": s.status, "reference": s.reference, "return_reason": s.return_reason}


def _line(line) -> dict:
    return {"id": line.pk, "kind": line.kind, "worked_on": line.worked_on, "area": line.area_id, "case": line.case_id,
            "survey_investigator": line.survey_investigator_id, "deliberation_participant": line.deliberation_participant_id,
            "amount": money_text(line.amount)}


class StatementPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[SubsidyStatementOut]


class StatementFilter(PageQuery):
    q: Annotated[str, StringConstraints(max_length=50, pattern=NO_NUL)] = ""
    status: Literal[tuple(StatementStatus.values)] | None = None


@router.get("/runs/{run_id}/statements", response=responses(StatementPage),
            summary="A run's statements by person (a town post: its town's people)")
def list_statements(request, run_id: Id, filters: Query[StatementFilter]):
    run = selectors.get_run(request.auth, run_id)
    qs = selectors.statements_in_scope(request.auth, run, q=filters.q, status=filters.status or "").select_related("run")
    return api_page(qs, offset=filters.offset, limit=filters.limit, item=lambda s: _statement(request.auth, s))


class StatementDetailOut(SubsidyStatementOut):
    lines: list[SubsidyLineOut]


@router.get("/statements/{statement_id}", response=responses(StatementDetailOut),
            summary="A person's statement with its subsidies (a town post: those of its town)")
def get_statement(request, statement_id: Id):
    s = selectors.get_statement(request.auth, statement_id)
    return {**_statement(request.auth, s), "lines": [_line(line) for line in selectors.statement_lines(request.auth, s)]}


class LinePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[SubsidyLineOut]


class LineFilter(PageQuery):
    kind: Literal[tuple(SubsidyKind.values)] | None = None


@router.get("/runs/{run_id}/lines", response=responses(LinePage), summary="A run's subsidies, one per work and kind")
def list_lines(request, run_id: Id, filters: Query[LineFilter]):
    run = selectors.get_run(request.auth, run_id)
    qs = selectors.lines_in_scope(request.auth, run, kind=filters.kind or "").order_by("id")
    return api_page(qs, offset=filters.offset, limit=filters.limit, item=_line)


# ---------------------------------------------------------------------------------------------
# Budgets
# ---------------------------------------------------------------------------------------------
class BudgetLineOut(Schema):
    id: int
    year: int
    area: str
    area_name: str
    kind: str
    amount: str
    note: str
    spent: str
    left: str
    state: str
    months_left: int | None
    warning: str


def _budget_line(state) -> dict:
    line = state.line
    return {"id": line.pk, "year": line.year, "area": line.area_id, "area_name": line.area.name, "kind": line.kind,
            "amount": money_text(line.amount), "note": line.note, "spent": money_text(state.spent), "left": money_text(state.left),
            "state": state.state, "months_left": state.months_left, "warning": state.warning}


def _state_of(actor, line) -> dict:
    states = {s.line.pk: s for s in budgets.spending(actor, year=line.year, on=clocks.today(), kind=line.kind)}
    return _budget_line(states[line.pk])


class BudgetLinePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[BudgetLineOut]


class BudgetLineFilter(PageQuery):
    year: int | None = Field(None, ge=budgets.MIN_YEAR, le=budgets.MAX_YEAR, description="default: this year")
    kind: Kind | None = None


@router.get("/budget-lines", response=responses(BudgetLinePage),
            summary="The year's budget lines in the post's area, with what is spent and the forecast")
def list_budget_lines(request, filters: Query[BudgetLineFilter]):
    states = budgets.spending(request.auth, year=filters.year or clocks.today().year, on=clocks.today(),
                              kind=filters.kind or "")
    page = states[filters.offset:filters.offset + filters.limit]
    return {"count": len(states), "limit": filters.limit, "offset": filters.offset, "items": [_budget_line(s) for s in page]}


class BudgetLineIn(InputSchema):
    year: Year
    area: AreaCode
    kind: Kind
    amount: Amount
    note: Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL)] = ""


@router.post("/budget-lines", response=responses(BudgetLineOut, ok_status=201),
             summary="Set a county's or a town's budget line for a year and kind (created or changed)")
def set_budget_line(request, payload: BudgetLineIn):
    line = budgets.set_budget_line(actor=request.auth, year=payload.year, area_code=payload.area, kind=payload.kind,
                                   amount=payload.amount, note=payload.note)
    return Status(201, _state_of(request.auth, line))


@router.get("/budget-lines/{line_id}", response=responses(BudgetLineOut), summary="A budget line")
def get_budget_line(request, line_id: Id):
    return _state_of(request.auth, budgets.get_budget_line(request.auth, line_id))


class BudgetLinePatch(InputSchema):
    amount: Amount | None = None
    note: Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL)] | None = None


@router.patch("/budget-lines/{line_id}", response=responses(BudgetLineOut), summary="Change a budget line's amount or note")
def change_budget_line(request, line_id: Id, payload: BudgetLinePatch):
    line = budgets.get_budget_line(request.auth, line_id)
    changes = payload.dict(exclude_unset=True)
    line = budgets.set_budget_line(actor=request.auth, year=line.year, area_code=line.area_id, kind=line.kind,
                                   amount=changes.get("amount") or line.amount, note=changes.get("note", line.note))
    return _state_of(request.auth, line)


@router.delete("/budget-lines/{line_id}", response=responses(None, ok_status=204),
               summary="Remove a budget line nothing was charged to")
def remove_budget_line(request, line_id: Id):
    line = budgets.get_budget_line(request.auth, line_id)
    budgets.remove_budget_line(actor=request.auth, line_id=line.pk)
    return Status(204, None)


class ChargeOut(Schema):
    id: int
    line: int
    area: str
    kind: str
    amount: str
    source_kind: str
    source_key: str
    description: str
    charged_on: dt.date
    overrun_approved_by: str
    overrun_reason: str


def _charge(c) -> dict:
    return {"id": c.pk, "line": c.line_id, "area": c.area_id, "kind": c.line.kind, "amount": money_text(c.amount),
            "source_kind": c.source_kind, "source_key": c.source_key, "description": c.description,
            "charged_on": c.charged_on, "overrun_approved_by": c.overrun.approved_by_username if c.overrun else "",
            "overrun_reason": c.overrun.reason if c.overrun else ""}


class ChargePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ChargeOut]


class ChargeFilter(PageQuery):
    year: int | None = Field(None, ge=budgets.MIN_YEAR, le=budgets.MAX_YEAR)
    line: int | None = Field(None, ge=1, le=MAX_ID)


@router.get("/charges", response=responses(ChargePage), summary="Money charged against the budget lines in the post's area")
def list_charges(request, filters: Query[ChargeFilter]):
    qs = budgets.charges_in_scope(request.auth, line_id=filters.line, year=filters.year)
    return api_page(qs, offset=filters.offset, limit=filters.limit, item=_charge)


class OverrunIn(InputSchema):
    area: AreaCode
    year: Year
    kind: Kind
    source_kind: Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=_WORDS)]
    source_key: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=_WORDS)]
    amount: Amount
    reason: Reason


class OverrunOut(Schema):
    id: int
    line: int
    source_kind: str
    source_key: str
    amount: str
    reason: str
    approved_by: str


@router.post("/overruns", response=responses(OverrunOut, ok_status=201),
             summary="A county leader approves, with a reason, that one charge may pass its budget line")
def approve_overrun(request, payload: OverrunIn):
    o = budgets.approve_overrun(actor=request.auth, area_code=payload.area, year=payload.year, kind=payload.kind,
                                source_kind=payload.source_kind, source_key=payload.source_key, amount=payload.amount,
                                reason=payload.reason)
    return Status(201, {"id": o.pk, "line": o.line_id, "source_kind": o.source_kind, "source_key": o.source_key,
                        "amount": money_text(o.amount), "reason": o.reason, "approved_by": o.approved_by_username})


class PurchasesIn(InputSchema):
    county: CountyCode
    month: MonthText


class PurchaseRowOut(Schema):
    source: str
    key: str
    area: str
    amount: str
    warning: str = ""
    reason: str = ""
    code: str = ""


class PurchasesOut(Schema):
    charged: list[PurchaseRowOut]
    refused: list[PurchaseRowOut]


@router.post("/purchased-services/charge", response=responses(PurchasesOut),
             summary="Charge a month's provider statements and project tranches to the purchased-services lines "
                     "(each once; a refused one holds back no other)")
def charge_purchases(request, payload: PurchasesIn):
    done = purchases.charge_purchased_services(actor=request.auth, county_code=payload.county, month=payload.month)
    return {"charged": [{**row, "amount": money_text(row["amount"])} for row in done.charged],
            "refused": [{**row, "amount": money_text(row["amount"])} for row in done.refused]}


class OverviewFilter(Schema):
    county: CountyCode | None = Field(None, description="default: the post's county")
    year: int | None = Field(None, ge=budgets.MIN_YEAR, le=budgets.MAX_YEAR, description="default: this year")


class FundingOverviewOut(Schema):
    county: str
    year: int
    subsidies_month: str
    subsidies_year: str
    budget_total: str
    spent_total: str
    lines: dict[str, int]
    warnings: list[str]


@router.get("/overview", response=responses(FundingOverviewOut), summary="A county's subsidies and budgets at a glance")
def glance(request, filters: Query[OverviewFilter]):
    d = overview.funding_at_a_glance(request.auth, filters.county or county_of(request.auth),
                                     filters.year or clocks.today().year)
    return {"county": d["county"], "year": d["year"], "subsidies_month": money_text(d["subsidies"]["month"]["total"]),
            "subsidies_year": money_text(d["subsidies"]["year"]["total"]), "budget_total": money_text(d["budget_total"]),
            "spent_total": money_text(d["spent_total"]), "lines": d["lines"], "warnings": d["warnings"]}
