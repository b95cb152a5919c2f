"""Verification over HTTP: /api/v1/verification/...

- POST snapshots: a department (its login's token) or a county officer uploads a file (multipart:
  `dataset`, `file`, optional `taken_on`). 201 with the snapshot; 200 with `created` false for an
  identical re-send; 422 `snapshot_rejected` with every bad row in `details.rows`; 403
  `wrong_department` for another department's dataset.
- GET snapshots: the current snapshot of each dataset (a department's token: of its own datasets).
- POST households/{id}/verify: run the online verification (optional `case_id`: file the report on it).
- GET runs/{id}: a run's status and progress.
- POST reports/{result id}/sign-off: a county officer signs a household's report (`note`, and
  `reasons` {dataset: text}, one for each dataset the report lacked or read out of date: 422
  naming the field `reason_<dataset>` otherwise). Every report says per dataset what it knew
  (`coverage`, `complete`).

Thin: services and selectors do the work.
"""
from __future__ import annotations

import datetime as dt

from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from safetynet.cases.models import VerificationReport
from safetynet.core.apischemas import InputSchema, refuse_unknown_form_fields, responses
from safetynet.core.money import money_text

from . import selectors, services
from .reports import sign_off_report as sign

router = Router(tags=["verification"])


class SnapshotOut(Schema):
    id: int
    dataset: str
    department: str
    taken_on: dt.date
    rows: int
    status: str
    content_hash: str
    identities: dict
    created: bool = True


class FindingOut(Schema):
    person_id: int
    id_number: str
    source: str
    department: str
    item: str
    counted: bool
    monthly_amount: str | None
    value: str | None
    subject: str
    record_date: dt.date | None
    snapshot_id: int
    snapshot_taken_on: dt.date | None


class ReportOut(Schema):
    run: int
    household: int
    flags: list[str]
    counted_income: str
    per_capita_income: str
    financial_assets: str
    income: dict
    assets: dict
    rule: dict
    eligible: bool
    findings: list[FindingOut]
    case_report: int | None = None
    complete: bool
    coverage: list[CoverageOut]


class CoverageOut(Schema):
    dataset: str
    state: str                       # fresh | stale (out of date) | missing
    snapshot_id: int | None
    taken_on: dt.date | None
    age_days: int | None
    max_age_days: int | None
    records: int                     # the household's records found in it
    members: int                     # its members with a record
    reason: str = ""


class SignOffIn(InputSchema):
    note: str = ""
    reasons: dict[str, str] = {}


class SignOffOut(Schema):
    result: int
    signed_by: str
    signed_at: dt.datetime
    note: str
    coverage: list[CoverageOut]
    case_report: int | None = None


class VerificationRunOut(Schema):
    id: int
    kind: str
    status: str
    households_total: int
    households_done: int
    chunks_total: int
    chunks_done: int
    findings_count: int
    flagged_households: int
    error: str


class VerifyIn(InputSchema):
    case_id: int | None = None


def _snapshot_out(snapshot, created: bool = True) -> dict:
    return {"id": snapshot.pk, "dataset": snapshot.dataset, "department": snapshot.department, "taken_on": snapshot.taken_on,
            "rows": snapshot.row_count, "status": snapshot.status, "content_hash": snapshot.content_hash,
            "identities": snapshot.identities or {}, "created": created}



@router.post("/snapshots", response=responses(SnapshotOut, ok_status=201) | {200: SnapshotOut}, operation_id="verification_upload_snapshot")
def upload_snapshot(request, dataset: Form[str], file: File[UploadedFile], taken_on: Form[dt.date | None] = None):
    refuse_unknown_form_fields(request, fields={"dataset", "taken_on"}, files={"file"})
    result = services.import_snapshot(actor=request.actor, dataset_code=dataset, source=file, filename=file.name or "",
                                      taken_on=taken_on)
    return Status(201 if result.created else 200, _snapshot_out(result.snapshot, result.created))


@router.get("/snapshots", response=responses(list[SnapshotOut]), operation_id="verification_current_snapshots")
def current_snapshots(request):
    return [_snapshot_out(s) for s in selectors.current_snapshots_for(request.actor)]


@router.post("/households/{household_id}/verify", response=responses(ReportOut), operation_id="verification_verify_household")
def verify_household(request, household_id: int, payload: VerifyIn | None = None):
    report = services.verify_household(actor=request.actor, household_id=household_id,
                                       case_id=payload.case_id if payload else None)
    r = report.result
    return {"run": report.run.pk, "household": r.household_id, "flags": r.flags, "counted_income": money_text(r.counted_income),
            "per_capita_income": money_text(r.per_capita_income), "financial_assets": money_text(r.financial_assets),
            "income": r.income, "assets": r.assets, "rule": r.rule, "eligible": r.eligible,
            "findings": [{**f, "monthly_amount": money_text(f["monthly_amount"]), "value": money_text(f["value"])} for f in report.findings],
            "case_report": report.case_report_id, "complete": report.complete,
            "coverage": [c.as_dict() for c in report.coverage]}


@router.post("/reports/{result_id}/sign-off", response=responses(SignOffOut), operation_id="verification_sign_off_report")
def sign_off_report(request, result_id: int, payload: SignOffIn):
    signed = sign(actor=request.actor, result_id=result_id, note=payload.note, reasons=payload.reasons)
    filed = (VerificationReport.objects.filter(source="engine", findings__household_result=result_id)
             .values_list("id", flat=True).first())
    return {"result": result_id, "signed_by": signed.signed_by, "signed_at": signed.signed_at, "note": signed.note,
            "coverage": signed.coverage, "case_report": filed}


@router.get("/runs/{run_id}", response=responses(VerificationRunOut), operation_id="verification_run")
def run_status(request, run_id: int):
    return selectors.get_run(request.actor, run_id)
