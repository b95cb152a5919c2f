"""Manual medical reimbursements over HTTP (`/api/v1/medical/reimbursements`, issue 20 part 4):
file one (the case and its bill, `reimbursement.apply_for_reimbursement`, the page's function),
list those in the post's area, read one with what the formula gives today (while the case is open)
or the settlement its approval wrote. Every later step is a case step
(`POST /api/v1/cases/{case_id}/accept`, `.../review_reimbursement`, `.../approve_reimbursement`,
`.../refuse`).

The bill's amounts and dates are read as the cashier's are (`settlements.read_bill`): text such as
"1200.50" (or a JSON number), refused with the same errors naming the field. A patient or applicant
who is not a living member of the household is, for that household, not found (404), as in
`POST /api/v1/cases`.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import StringConstraints

from safetynet.cases.models import Channel
from safetynet.core.apischemas import NO_NUL, InputSchema, PageQuery, responses
from safetynet.core.errors import NotFound, ValidationError
from safetynet.core.money import money_text
from safetynet.core.pagination import api_page

from . import reimbursement
from .models import NotSettledBecause, ReimbursementBill, SettlementStatus
from .reimbursement_selectors import (
    category_names,
    get_reimbursement,
    quote_reimbursement,
    reimbursements_in_scope,
    settlement_of,
)

router = Router()

MAX_ID = 2_147_483_647
CaseId = Annotated[int, Path(..., ge=1, le=MAX_ID)]
BillAmount = Annotated[str, StringConstraints(max_length=40, pattern=NO_NUL)] | int | float
BillDate = Annotated[str, StringConstraints(max_length=10, pattern=NO_NUL)]


class MedicalReimbursementIn(InputSchema):
    household: int = Field(..., ge=1, le=MAX_ID)
    person: int = Field(..., ge=1, le=MAX_ID, description="the patient, a living member of the household")
    applicant: int | None = Field(None, ge=1, le=MAX_ID, description="who applies (a living member; default the patient)")
    treated_at: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NO_NUL)] = Field(
        ..., description="where the patient was treated (the hospital's name)")
    not_settled_because: Literal[tuple(NotSettledBecause.values)]   # type: ignore[valid-type]
    admitted_on: BillDate = Field(..., description="YYYY-MM-DD")
    discharged_on: BillDate = Field(..., description="YYYY-MM-DD; the year whose deductible and cap the bill counts against")
    total_cost: BillAmount
    basic_insurance_paid: BillAmount
    critical_illness_paid: BillAmount
    eligible_self_paid: BillAmount = Field(..., description="within the insurance catalogue: what the formula counts")
    ineligible_self_paid: BillAmount
    channel: Literal[tuple(Channel.values)] = Channel.WALK_IN.value   # type: ignore[valid-type]
    entrusted_by: Annotated[str, StringConstraints(max_length=100, pattern=NO_NUL)] = ""
    reason: Annotated[str, StringConstraints(max_length=2000, pattern=NO_NUL)] = ""


class MedicalReimbursementQuoteOut(Schema):
    """What the formula gives the bill today (`ok`), or why nothing (`refusal`, `code`)."""

    ok: bool
    refusal: str = ""
    code: str = ""
    category: str | None = None
    category_name: str | None = None
    deductible_left: str | None = None
    deductible_applied: str | None = None
    rate: str | None = None
    annual_cap: str | None = None
    cap_left: str | None = None
    computed: str | None = None
    assistance: str | None = None
    remaining_cap: str | None = None
    capped: bool | None = None


class MedicalReimbursementSettlementOut(Schema):
    id: int
    status: str
    category: str
    category_name: str
    assistance: str
    patient_pays: str
    remaining_cap: str
    capped: bool
    settled_on: dt.date
    reversed_on: dt.date | None


class MedicalReimbursementOut(Schema):
    case: int
    status: str
    is_open: bool
    version: int
    next_action: str
    next_due: dt.date | None
    household: int
    person: int
    person_name: str
    applicant: int
    area: str
    treated_at: str
    not_settled_because: str
    admitted_on: dt.date
    discharged_on: dt.date
    total_cost: str
    basic_insurance_paid: str
    critical_illness_paid: str
    eligible_self_paid: str
    ineligible_self_paid: str
    requested_amount: str | None
    filed_by: str
    filed_at: dt.datetime
    quote: MedicalReimbursementQuoteOut | None = Field(None, description="while the case is open (read one only)")
    settlement: MedicalReimbursementSettlementOut | None = Field(None, description="once approved (read one only)")


class MedicalReimbursementPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[MedicalReimbursementOut]


class MedicalReimbursementFilter(PageQuery):
    open: bool | None = Field(None, description="true: open cases only; false: decided or withdrawn")



def _out(row: ReimbursementBill, *, full: bool = False) -> dict:
    case = row.case
    out = {"case": case.pk, "status": case.status, "is_open": case.is_open, "version": case.version,
           "next_action": case.next_action, "next_due": case.next_due, "household": row.household_id,
           "person": row.person_id, "person_name": row.person.name, "applicant": case.applicant_id, "area": row.area_id,
           "treated_at": row.treated_at, "not_settled_because": row.not_settled_because, "admitted_on": row.admitted_on,
           "discharged_on": row.discharged_on, "requested_amount": money_text(case.requested_amount),
           "filed_by": row.filed_by, "filed_at": row.filed_at, "quote": None, "settlement": None,
           **{name: money_text(getattr(row, name)) for name in (
               "total_cost", "basic_insurance_paid", "critical_illness_paid", "eligible_self_paid",
               "ineligible_self_paid")}}
    if not full:
        return out
    if case.is_open:
        quote = quote_reimbursement(row)
        if quote.ok:
            best = quote.best
            out["quote"] = {"ok": True, "category": best.category_code,
                            "category_name": category_names(row.area_id, best.category_code)[0],
                            **{k: v for k, v in best.as_dict().items() if k in (
                                "deductible_left", "deductible_applied", "rate", "annual_cap", "cap_left", "computed",
                                "assistance", "remaining_cap", "capped")}}
        else:
            out["quote"] = {"ok": False, "refusal": quote.refusal, "code": quote.code}
    settlement = settlement_of(case.pk)
    if settlement is not None:
        out["settlement"] = {
            "id": settlement.pk, "status": settlement.status, "category": settlement.category_code,
            "category_name": category_names(row.area_id, settlement.category_code)[0],
            "assistance": money_text(settlement.assistance), "patient_pays": money_text(settlement.patient_pays),
            "remaining_cap": money_text(settlement.remaining_cap), "capped": settlement.capped,
            "settled_on": settlement.settled_on,
            "reversed_on": settlement.reversed_on if settlement.status == SettlementStatus.REVERSED else None}
    return out


@router.post("/reimbursements", response=responses(MedicalReimbursementOut, ok_status=201),
             summary="File a manual medical reimbursement (a case with its bill)")
def file_reimbursement(request, payload: MedicalReimbursementIn):
    data = payload.dict()
    try:
        case = reimbursement.apply_for_reimbursement(
            actor=request.auth, household_id=data.pop("household"), person_id=data.pop("person"),
            applicant_id=data.pop("applicant"), **data)
    except ValidationError as exc:
        if exc.field in ("person", "applicant", "covered_person"):
            raise NotFound(exc.message, field="person" if exc.field == "covered_person" else exc.field) from None
        raise
    return Status(201, _out(get_reimbursement(request.auth, case.pk), full=True))


@router.get("/reimbursements", response=responses(MedicalReimbursementPage),
            summary="Manual medical reimbursements in scope, newest first")
def list_reimbursements(request, filters: Query[MedicalReimbursementFilter]):
    qs = reimbursements_in_scope(request.auth)
    if filters.open is not None:
        qs = qs.filter(case__is_open=filters.open)
    return api_page(qs.order_by("-id"), offset=filters.offset, limit=filters.limit, item=_out)


@router.get("/reimbursements/{case_id}", response=responses(MedicalReimbursementOut),
            summary="One manual medical reimbursement: the bill, today's quote or its settlement")
def get_reimbursement_by_case(request, case_id: CaseId):
    return _out(get_reimbursement(request.auth, case_id), full=True)
