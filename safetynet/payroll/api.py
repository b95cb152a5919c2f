"""Payroll, enrollments and policy simulations over HTTP: /api/v1/payments (issue 5 part 5).

Reads go through `payments.selectors` (runs are per county: a town post sees its county's runs
and its own town's totals; another area's run or enrollment answers 404). Writes call the
services the pages and `safetynet payroll` call:

- POST runs (generate), runs/{id}/export, runs/{id}/returns (the bank's file, multipart) and
  simulations are long: they answer 202 with a job at once, after checking the permission (403),
  the area (404) and the input (422); GET jobs/{id} follows it (status, step, done of total)
  and, when it ends, gives its result, or the service's refusal in `error`/`error_code` (a
  frozen run, a bank file with bad rows listed in `error_rows`).
- POST runs/{id}/approve is the checker's signature and answers at once: 403 `maker_checker`
  for the person who generated the run, 409 for a frozen one.
- GET runs/{id}/files/{name}: a bank file or the summary of an exported run (county posts).
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, File, Path, Query, Router, Schema
from ninja.files import UploadedFile

from safetynet.core.apischemas import InputSchema, PageQuery, refuse_unknown_form_fields, responses
from safetynet.core.money import money_text
from safetynet.core.pagination import api_page
from safetynet.core.privatefiles import answer_file
from safetynet.core.tabular import OFFICE_CSV
from safetynet.enrollments.job_api import (
    CountyCode,
    JobOut,
    MonthText,
    accepted,
    job_out,
)
from safetynet.enrollments.models import EnrollmentStatus
from safetynet.enrollments.simulation import KEYS

from . import jobs, selectors, services
from .models import PayrollRun, RunStatus

router = Router(tags=["payments"])

MAX_ID = 2_147_483_647
RunId = Annotated[int, Path(..., ge=1, le=MAX_ID)]
EnrollmentId = Annotated[int, Path(..., ge=1, le=MAX_ID)]
JobId = Annotated[str, Path(..., pattern=r"^[0-9a-f]{32}$", description="the job's id, as the 202 answer gave it")]
FileName = Annotated[str, Path(..., pattern=r"^[0-9A-Za-z_.-]{1,100}$")]


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------

class RunFigures(Schema):
    payment_count: int
    total: str
    payable_count: int
    payable: str
    no_account_count: int
    no_account_total: str


class RunOut(RunFigures):
    id: int
    code: str
    county: str
    county_name: str
    month: str
    status: str
    generated_by: str
    generated_at: dt.datetime | None
    approved_by: str
    approved_at: dt.datetime | None
    exported_at: dt.datetime | None
    reconciled_at: dt.datetime | None


class RunPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[RunOut]


class TownTotalOut(Schema):
    town: str
    town_name: str
    program: str
    program_name: str
    count: int
    total: str
    no_account: int


class CountTotal(Schema):
    count: int = 0
    total: str = "0.00"


class CountDelta(Schema):
    count: int = 0
    delta: str = "0.00"


class ChangeOut(Schema):
    """The change from the county's previous run, explained (issue 5 part 2)."""

    previous_run: str = ""
    previous_month: str = ""
    previous_total: str = "0.00"
    total_change: str = "0.00"
    new: CountTotal = CountTotal()
    ended: CountTotal = CountTotal()
    changed: CountDelta = CountDelta()
    arrears: CountTotal = CountTotal()
    carried: CountTotal = CountTotal()
    regular: CountTotal = CountTotal()


class TotalsOut(RunFigures):
    run: int
    code: str
    by_town_program: list[TownTotalOut]


class BankFileOut(Schema):
    bank: str
    bank_name: str
    file: str
    count: int
    total: str
    sha256: str


class ExportOut(Schema):
    banks: list[BankFileOut]
    files_count: int
    files_total: str
    no_account_count: int
    no_account_total: str
    run_total: str
    payment_count: int
    summary_file: str
    summary_sha256: str


class RunDetailOut(RunOut):
    by_town_program: list[TownTotalOut]
    change: ChangeOut | None
    export: ExportOut | None = Field(None, description="the bank files, once exported (county posts only)")


class EnrollmentOut(Schema):
    id: int
    program: str
    status: str
    household: int
    person: int | None
    area: str
    case: int
    decision: int
    monthly_amount: str
    start_month: dt.date
    next_recheck_date: dt.date
    bank_account: str
    ended_on: dt.date | None
    end_reason: str


class EnrollmentPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[EnrollmentOut]


class EnrollmentDetailOut(EnrollmentOut):
    breakdown: list[dict]
    payments: int


class ChangeRowOut(Schema):
    at: dt.datetime
    kind: str
    from_amount: str | None
    to_amount: str | None
    from_status: str
    to_status: str
    reason: str
    decision: int | None
    effective_month: dt.date | None
    until_month: dt.date | None
    by: str


class PaymentRowOut(Schema):
    run: str
    month: dt.date
    kind: str
    amount: str
    status: str
    reference: str


class HistoryOut(Schema):
    enrollment: int
    changes: list[ChangeRowOut]
    payments: list[PaymentRowOut]



def _run_out(run: PayrollRun, figures: dict) -> dict:
    """The run with `figures`, its counts and totals as the caller may see them
    (selectors.run_figures: a town post's are its town's)."""
    return {
        "id": run.pk, "code": run.code, "county": run.area_id, "county_name": run.area.name,
        "month": run.month.strftime("%Y-%m"), "status": run.status, "payment_count": figures["payment_count"],
        "total": money_text(figures["total_amount"]), "payable_count": figures["payable_count"],
        "payable": money_text(figures["payable_amount"]), "no_account_count": figures["no_account_count"],
        "no_account_total": money_text(figures["no_account_amount"]),
        "generated_by": run.generated_by_username, "generated_at": run.generated_at,
        "approved_by": run.approved_by_username, "approved_at": run.approved_at,
        "exported_at": run.exported_at, "reconciled_at": run.reconciled_at,
    }


def _is_county(actor) -> bool:
    return actor.is_national or len(actor.area_code) <= 6


def _enrollment_out(e) -> dict:
    return {"id": e.pk, "program": e.program_id, "status": e.status, "household": e.household_id, "person": e.person_id,
            "area": e.area_id, "case": e.case_id, "decision": e.decision_id, "monthly_amount": money_text(e.monthly_amount),
            "start_month": e.start_month, "next_recheck_date": e.next_recheck_date, "bank_account": e.bank_account,
            "ended_on": e.ended_on, "end_reason": e.end_reason}


# --------------------------------------------------------------------------------------------
# Payroll runs
# --------------------------------------------------------------------------------------------

class RunFilter(PageQuery):
    status: Literal[tuple(RunStatus.values)] | None = None  # type: ignore[valid-type]
    month: MonthText | None = None


@router.get("/runs", response=responses(RunPage), summary="Payroll runs of your county")
def list_runs(request, filters: Query[RunFilter]):
    qs = selectors.runs_in_scope(request.auth)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.month:
        qs = qs.filter(month=services.parse_month(filters.month))
    def items(page: list) -> list:
        figures = selectors.runs_figures(request.auth, page)
        return [_run_out(r, figures[r.pk]) for r in page]

    return api_page(qs.order_by("-month", "area_id"), offset=filters.offset, limit=filters.limit, items=items)


@router.get("/runs/{run_id}", response=responses(RunDetailOut),
            summary="A run: its state, totals, change from last month (a town post: its town's)")
def get_run(request, run_id: RunId):
    actor = request.auth
    run = selectors.get_run(actor, run_id)
    figures = selectors.run_figures(actor, run)
    summary = run.export_summary if run.export_summary and _is_county(actor) else None
    return {**_run_out(run, figures), "by_town_program": figures["by_town_program"],
            "change": figures["change"] or None, "export": summary}


@router.get("/runs/{run_id}/totals", response=responses(TotalsOut), summary="A run's totals by town and program (a town post: its town's)")
def run_totals(request, run_id: RunId):
    run = selectors.get_run(request.auth, run_id)
    figures = selectors.run_figures(request.auth, run)
    out = _run_out(run, figures)
    return {**{k: out[k] for k in ("code", *RunFigures.model_fields)}, "run": run.pk,
            "by_town_program": figures["by_town_program"]}


@router.get("/runs/{run_id}/diff", response=responses(ChangeOut),
            summary="A run's change from the previous month, explained (a town post: its town's)")
def run_diff(request, run_id: RunId):
    run = selectors.get_run(request.auth, run_id)
    return selectors.run_figures(request.auth, run)["change"]


class GenerateIn(InputSchema):
    county: CountyCode
    month: MonthText


@router.post("/runs", response=responses(JobOut, ok_status=202), summary="Generate (or complete) a county's run: a job")
def generate_run(request, payload: GenerateIn):
    return accepted(jobs.start_generation(actor=request.auth, county_code=payload.county, month=payload.month))


@router.post("/runs/{run_id}/approve", response=responses(RunOut), summary="Approve a run (a county leader who did not generate it)")
def approve_run(request, run_id: RunId):
    run = services.approve_payroll_run(actor=request.auth, run_id=run_id)
    return _run_out(run, selectors.run_figures(request.auth, run))


@router.post("/runs/{run_id}/export", response=responses(JobOut, ok_status=202), summary="Write an approved run's bank files: a job")
def export_run(request, run_id: RunId):
    return accepted(jobs.start_export(actor=request.auth, run_id=run_id))


@router.post("/runs/{run_id}/returns", response=responses(JobOut, ok_status=202),
             summary="Import the bank's return file (reference, amount, result, reason): a job")
def import_returns(request, run_id: RunId, file: File[UploadedFile]):
    refuse_unknown_form_fields(request, fields=set(), files={"file"})
    return accepted(jobs.start_returns(actor=request.auth, run_id=run_id, upload=file, filename=file.name or ""))


_CSV = {"200": {"description": "the file (CSV)", "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}}}}


@router.get("/runs/{run_id}/files/{name}", response={code: schema for code, schema in responses(None).items() if code != 200},
            openapi_extra={"responses": _CSV}, summary="A bank file or the summary of an exported run (county posts)")
def run_file(request, run_id: RunId, name: FileName):
    path = services.exported_file(actor=request.auth, run_id=run_id, name=name)
    return answer_file(path, filename=name, content_type=OFFICE_CSV)


# --------------------------------------------------------------------------------------------
# Enrollments
# --------------------------------------------------------------------------------------------

class EnrollmentFilter(PageQuery):
    status: Literal[tuple(EnrollmentStatus.values)] | None = None  # type: ignore[valid-type]
    program: Literal["dibao", "special_hardship", "temporary"] | None = None
    household: int | None = Field(None, ge=1, le=MAX_ID)


@router.get("/enrollments", response=responses(EnrollmentPage), summary="Enrollments in your area")
def list_enrollments(request, filters: Query[EnrollmentFilter]):
    qs = selectors.payroll_enrollments(request.auth)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.program:
        qs = qs.filter(program_id=filters.program)
    if filters.household:
        qs = qs.filter(household_id=filters.household)
    return api_page(qs.order_by("-id"), offset=filters.offset, limit=filters.limit, item=_enrollment_out)


@router.get("/enrollments/{enrollment_id}", response=responses(EnrollmentDetailOut), summary="One enrollment")
def get_enrollment(request, enrollment_id: EnrollmentId):
    e = selectors.payroll_enrollment(request.auth, enrollment_id)
    breakdown = [line if isinstance(line, dict) else {"item": str(line)} for line in (e.breakdown or [])]
    return {**_enrollment_out(e), "breakdown": breakdown,
            "payments": selectors.enrollment_payments(request.auth, e).count()}


@router.get("/enrollments/{enrollment_id}/history", response=responses(HistoryOut),
            summary="An enrollment's changes (with reason and decision) and its payments")
def enrollment_history(request, enrollment_id: EnrollmentId):
    actor = request.auth
    e = selectors.payroll_enrollment(actor, enrollment_id)
    changes = [{"at": c.at, "kind": getattr(c, "kind", "") or "", "from_amount": money_text(c.from_amount),
                "to_amount": money_text(c.to_amount), "from_status": c.from_status, "to_status": c.to_status,
                "reason": c.reason, "decision": c.decision_id, "effective_month": c.effective_month,
                "until_month": getattr(c, "until_month", None), "by": c.by_username}
               for c in selectors.enrollment_history(actor, e)[:500]]
    payments = [{"run": p.run.code, "month": p.month, "kind": p.kind, "amount": money_text(p.amount), "status": p.status,
                 "reference": p.reference} for p in selectors.enrollment_payments(actor, e)[:500]]
    return {"enrollment": e.pk, "changes": changes, "payments": payments}


# --------------------------------------------------------------------------------------------
# Policy simulation and jobs
# --------------------------------------------------------------------------------------------

class SimulationIn(InputSchema):
    county: CountyCode
    program: Literal["dibao"] = "dibao"
    key: Literal[KEYS] = Field(..., description="the parameter to change")  # type: ignore[valid-type]
    value: str = Field(..., pattern=r"^[0-9]{1,6}(\.[0-9]{1,4})?$", description="the new value, as the standards page takes it")
    month: MonthText = Field(..., description="from this month")


@router.post("/simulations", response=responses(JobOut, ok_status=202),
             summary="What if a standard, increment or asset limit changed from a month: a job")
def simulate(request, payload: SimulationIn):
    return accepted(jobs.start_simulation(actor=request.auth, county_code=payload.county, program=payload.program,
                                           key=payload.key, value=payload.value, month=payload.month))


@router.get("/jobs/{job_id}", response=responses(JobOut), summary="A payments job: where it is, what came out")
def get_job(request, job_id: JobId):
    return job_out(jobs.get_job(request.auth, job_id))
