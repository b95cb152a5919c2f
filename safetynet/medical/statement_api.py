"""The institutions' statements over HTTP for staff (`/api/v1/medical/`, issue 20 part 3): list and
read statements and what is on them, generate a county's month (its payment run), compare a
statement with the institution's claim, approve it (the county leader), write the run's bank files
and apply the bank's returns. The same services as the pages (statements.py); a town post reads
the institutions of its town and no run; another county's objects answer 404."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, File, Path, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import StringConstraints

from safetynet.core.apischemas import NO_NUL, InputSchema, PageQuery, refuse_unknown_form_fields, responses
from safetynet.core.dates import parse_month
from safetynet.core.masking import mask_name
from safetynet.core.money import money_text
from safetynet.core.pagination import api_page
from safetynet.core.privatefiles import answer_file
from safetynet.core.tabular import OFFICE_CSV

from . import statement_selectors as selectors
from . import statements
from .claim_api import MedicalStatementForInstitutionOut, statement_for_institution
from .statement_models import MedicalStatementStatus

router = Router()

MAX_ID = 2_147_483_647
Id = Annotated[int, Path(..., ge=1, le=MAX_ID)]
_MONTH = r"^20[0-9]{2}-(0[1-9]|1[0-2])$"
MonthText = Annotated[str, StringConstraints(pattern=_MONTH)]
CountyCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
FileName = Annotated[str, Path(..., pattern=r"^[0-9A-Za-z_.-]{1,100}$")]




# ---------------------------------------------------------------------------------------------
# Statements
# ---------------------------------------------------------------------------------------------
class MedicalStatementOut(MedicalStatementForInstitutionOut):
    """What the institution reads of its statement (claim_api.py), and the office's own figures."""

    id: int
    run: int
    institution: int
    institution_code: str
    institution_name: str
    generated_by: str
    approved_by: str
    approval_note: str
    charged_amount: str


def _statement(s) -> dict:
    return {**statement_for_institution(s), "id": s.pk, "run": s.run_id, "institution": s.institution_id,
            "institution_code": s.institution.code, "institution_name": s.institution.name,
            "generated_by": s.generated_by_username, "approved_by": s.approved_by_username,
            "approval_note": s.approval_note, "charged_amount": money_text(s.charged_amount)}


class MedicalStatementPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[MedicalStatementOut]


class MedicalStatementFilter(PageQuery):
    month: MonthText | None = None
    status: Literal[tuple(MedicalStatementStatus.values)] | None = None  # type: ignore[valid-type]
    county: CountyCode | None = None
    q: Annotated[str, StringConstraints(max_length=50, pattern=NO_NUL)] = ""


@router.get("/statements", response=responses(MedicalStatementPage),
            summary="Institutions' statements in the post's area (a town post: its town's institutions)")
def list_statements(request, filters: Query[MedicalStatementFilter]):
    qs = selectors.statements_in_scope(request.auth, month=parse_month(filters.month) if filters.month else None,
                                       status=filters.status or "", county=filters.county or "", q=filters.q)
    return api_page(qs, offset=filters.offset, limit=filters.limit, item=_statement)


@router.get("/statements/{statement_id}", response=responses(MedicalStatementOut), summary="An institution's statement")
def get_statement(request, statement_id: Id):
    return _statement(selectors.get_statement(request.auth, statement_id))


class MedicalStatementLineOut(Schema):
    id: int
    visit_number: str
    person: str
    settled_on: dt.date
    reversed_on: dt.date | None
    assistance: str
    status: str
    paid_on_statement: int | None


class MedicalStatementLinePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[MedicalStatementLineOut]


class MedicalStatementLineFilter(PageQuery):
    kind: Literal["settlements", "reversals"] = "settlements"


def _line(settlement) -> dict:
    return {"id": settlement.pk, "visit_number": settlement.visit_number, "person": mask_name(settlement.person.name),
            "settled_on": settlement.settled_on, "reversed_on": settlement.reversed_on,
            "assistance": money_text(settlement.assistance), "status": settlement.status,
            "paid_on_statement": settlement.statement_id}


@router.get("/statements/{statement_id}/lines", response=responses(MedicalStatementLinePage),
            summary="The settlements a statement pays, or the reversals it deducts (names masked)")
def list_lines(request, statement_id: Id, filters: Query[MedicalStatementLineFilter]):
    statement = selectors.get_statement(request.auth, statement_id)
    read = selectors.statement_reversals if filters.kind == "reversals" else selectors.statement_settlements
    return api_page(read(request.auth, statement), offset=filters.offset, limit=filters.limit, item=_line)


@router.post("/statements/{statement_id}/reconcile", response=responses(MedicalStatementOut),
             summary="Compare an open statement with the institution's claim")
def reconcile(request, statement_id: Id):
    return _statement(statements.reconcile_statement(actor=request.auth, statement_id=statement_id))


class MedicalStatementApproveIn(InputSchema):
    note: Annotated[str, StringConstraints(max_length=500, pattern=NO_NUL)] = Field(
        "", description="why a statement that differs from the claim is approved as it is (required then)")
    overrun_reason: Annotated[str, StringConstraints(max_length=500, pattern=NO_NUL)] = Field(
        "", description="only to pass the county's medical assistance budget line")


class MedicalStatementApprovedOut(MedicalStatementOut):
    budget_warning: str


@router.post("/statements/{statement_id}/approve", response=responses(MedicalStatementApprovedOut),
             summary="Approve a statement (the county leader, not its generator): its net charged to the county's "
                     "medical assistance budget; a net of zero or below is carried, not paid")
def approve(request, statement_id: Id, payload: MedicalStatementApproveIn):
    statement = statements.approve_statement(actor=request.auth, statement_id=statement_id, note=payload.note,
                                             overrun_reason=payload.overrun_reason)
    return {**_statement(statement), "budget_warning": statement.budget_warning}


# ---------------------------------------------------------------------------------------------
# Payment runs
# ---------------------------------------------------------------------------------------------
class MedicalStatementRunOut(Schema):
    id: int
    code: str
    county: str
    month: str
    status: str
    statement_count: int
    net_total: str
    payable_count: int
    payable_amount: str
    no_account_count: int
    no_account_amount: str
    added: dict[str, int]
    bank_files: list[str]


def _run(run) -> dict:
    return {"id": run.pk, "code": run.code, "county": run.area_id, "month": f"{run.month:%Y-%m}", "status": run.status,
            "statement_count": run.statement_count, "net_total": money_text(run.net_total),
            "payable_count": run.payable_count, "payable_amount": money_text(run.payable_amount),
            "no_account_count": run.no_account_count, "no_account_amount": money_text(run.no_account_amount),
            "added": getattr(run, "added", None) or (run.summary or {}).get("added") or {},
            "bank_files": [b["file"] for b in (run.export_summary or {}).get("banks", [])]}


class MedicalStatementGenerateIn(InputSchema):
    county: CountyCode
    month: MonthText = Field(..., description="a month that has ended, YYYY-MM")


@router.post("/payment-runs", response=responses(MedicalStatementRunOut, ok_status=201),
             summary="State a county's month (again: adds only what is new) and answer its payment run")
def generate(request, payload: MedicalStatementGenerateIn):
    run = statements.generate_statements(actor=request.auth, county_code=payload.county, month=payload.month)
    return Status(201, _run(run))


class MedicalStatementRunPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[MedicalStatementRunOut]


class MedicalStatementRunFilter(PageQuery):
    month: MonthText | None = None


@router.get("/payment-runs", response=responses(MedicalStatementRunPage),
            summary="The payment runs of the post's county (a town post: none)")
def list_runs(request, filters: Query[MedicalStatementRunFilter]):
    qs = selectors.runs_in_scope(request.auth)
    if filters.month:
        qs = qs.filter(month=parse_month(filters.month))
    return api_page(qs.order_by("-month", "area_id"), offset=filters.offset, limit=filters.limit, item=_run)


@router.get("/payment-runs/{run_id}", response=responses(MedicalStatementRunOut), summary="A payment run")
def get_run(request, run_id: Id):
    return _run(selectors.get_run(request.auth, run_id))


class MedicalStatementExportOut(Schema):
    files_count: int
    files_total: str
    no_account_count: int
    no_account_total: str
    paid_again: int
    files: list[str]
    summary_file: str


@router.post("/payment-runs/{run_id}/export", response=responses(MedicalStatementExportOut),
             summary="Write the bank files of a run whose statements are all approved (one row per institution paid)")
def export(request, run_id: Id):
    summary = statements.export_payment_run(actor=request.auth, run_id=run_id)
    return {"files_count": summary["files_count"], "files_total": summary["files_total"],
            "no_account_count": summary["no_account_count"], "no_account_total": summary["no_account_total"],
            "paid_again": summary.get("paid_again", 0), "files": [b["file"] for b in summary["banks"]],
            "summary_file": summary["summary_file"]}


class MedicalStatementReturnsOut(Schema):
    paid: int
    failed: int
    failed_amount: str
    reconciled: bool


@router.post("/payment-runs/{run_id}/returns", response=responses(MedicalStatementReturnsOut),
             summary="Apply the bank's return file (reference, amount, result, reason): all rows or none")
def returns(request, run_id: Id, file: File[UploadedFile]):
    refuse_unknown_form_fields(request, fields=set(), files={"file"})
    file.seek(0)   # read from its start, whatever read the request's parts before (as discovery reads a photo)
    result = statements.import_payment_returns(actor=request.auth, run_id=run_id, file=file, filename=file.name or "")
    return {"paid": result.paid, "failed": result.failed, "failed_amount": money_text(result.failed_amount),
            "reconciled": result.reconciled}


_CSV = {"200": {"description": "the file (CSV)", "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}}}}


@router.get("/payment-runs/{run_id}/files/{name}",
            response={code: schema for code, schema in responses(None).items() if code != 200},
            openapi_extra={"responses": _CSV}, summary="A bank file or the summary of an exported run (county posts)")
def run_file(request, run_id: Id, name: FileName):
    return answer_file(statements.exported_file(actor=request.auth, run_id=run_id, name=name), filename=name,
                       content_type=OFFICE_CSV)
