"""The institution's side of the monthly statements (`/api/v1/medical/institution/`, issue 20
part 3): its claim for a month that has ended (`POST claims`: its own count and total of the
month's one-stop settlements, and optionally each visit), read back (`GET claims/{month}`), and its
own statements as the county states them (`GET statements`, `GET statements/{month}`: totals,
status, differences with its claim, payment). Authenticated by the institution's key on the parent
router (`keys.InstitutionKeyAuth` sets `request.institution`): an institution reads nothing of any
other's. The same services as the county's pages (statements.py, statement_selectors.py)."""
from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, Path, Query, Router, Schema
from pydantic import StringConstraints

from safetynet.core.apischemas import NO_NUL, InputSchema, PageQuery, responses
from safetynet.core.dates import parse_month
from safetynet.core.money import money_text
from safetynet.core.pagination import api_page

from . import statement_selectors as selectors
from . import statements

router = Router()

_MONTH = r"^20[0-9]{2}-(0[1-9]|1[0-2])$"
MonthText = Annotated[str, StringConstraints(pattern=_MONTH)]
MonthPath = Annotated[str, Path(..., pattern=_MONTH, description="YYYY-MM")]
Amount = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,12}(\.[0-9]{1,2})?$")]




class MedicalClaimVisitIn(InputSchema):
    visit_number: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=NO_NUL)]
    assistance: Amount


class MedicalClaimIn(InputSchema):
    month: MonthText = Field(..., description="the month claimed, YYYY-MM (a month that has ended)")
    settlements: int = Field(..., ge=0, le=10_000_000, description="one-stop settlements of the month")
    assistance_total: Amount = Field(..., description="their assistance in yuan, e.g. \"1234.56\"")
    visits: list[MedicalClaimVisitIn] | None = Field(
        None, max_length=statements.MAX_VISITS,
        description=f"each visit and its assistance (optional, up to {statements.MAX_VISITS:,}); they must add up to "
                    "the count and total")


class MedicalStatementForInstitutionOut(Schema):
    month: str
    status: str
    status_label: str
    reference: str
    settlements_count: int
    assistance_total: str
    reversals_count: int
    reversals_total: str
    carried_total: str
    net_total: str
    claimed_count: int | None
    claimed_total: str | None
    differences: dict
    approved_at: dt.datetime | None
    paid_amount: str | None
    paid_at: dt.datetime | None
    return_reason: str


def statement_for_institution(statement) -> dict:
    paid = statement.status in ("exported", "paid", "failed")
    return {"month": f"{statement.month:%Y-%m}", "status": statement.status,
            "status_label": statements.status_label(statement.status), "reference": statement.reference or "",
            "settlements_count": statement.settlements_count, "assistance_total": money_text(statement.assistance_total),
            "reversals_count": statement.reversals_count, "reversals_total": money_text(statement.reversals_total),
            "carried_total": money_text(statement.carried_total), "net_total": money_text(statement.net_total),
            "claimed_count": statement.claimed_count, "claimed_total": money_text(statement.claimed_total),
            "differences": statement.differences or {}, "approved_at": statement.approved_at,
            "paid_amount": money_text(statement.amount) if paid else None, "paid_at": statement.paid_at,
            "return_reason": statement.return_reason}


class MedicalClaimOut(Schema):
    month: str
    settlements: int
    assistance_total: str
    visits: int
    submissions: int
    submitted_at: dt.datetime
    replaced: bool
    statement: MedicalStatementForInstitutionOut | None


def _claim(claim, statement) -> dict:
    return {"month": f"{claim.month:%Y-%m}", "settlements": claim.settlements_count,
            "assistance_total": money_text(claim.assistance_total), "visits": claim.visits_count,
            "submissions": claim.submissions, "submitted_at": claim.submitted_at,
            "replaced": bool(getattr(claim, "replaced", False)),
            "statement": statement_for_institution(statement) if statement is not None else None}


@router.post("/claims", response=responses(MedicalClaimOut),
             summary="Send (or replace, while the statement is open) the institution's claim for a month that has ended")
def submit_claim(request, payload: MedicalClaimIn):
    visits = None if payload.visits is None else [{"visit_number": v.visit_number, "assistance": v.assistance}
                                                  for v in payload.visits]
    claim = statements.submit_claim(institution=request.institution, month=payload.month, settlements=payload.settlements,
                                    assistance_total=payload.assistance_total, visits=visits)
    return _claim(claim, claim.statement)


@router.get("/claims/{month}", response=responses(MedicalClaimOut), summary="The institution's claim for a month")
def get_claim(request, month: MonthPath):
    claim = selectors.institution_claim(request.institution, parse_month(month))
    statement = selectors.institution_statements(request.institution).filter(month=claim.month).first()
    return _claim(claim, statement)


class MedicalStatementForInstitutionPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[MedicalStatementForInstitutionOut]


@router.get("/statements", response=responses(MedicalStatementForInstitutionPage),
            summary="The institution's own monthly statements, newest first")
def list_statements(request, filters: Query[PageQuery]):
    return api_page(selectors.institution_statements(request.institution), offset=filters.offset, limit=filters.limit,
                    item=statement_for_institution)


@router.get("/statements/{month}", response=responses(MedicalStatementForInstitutionOut),
            summary="The institution's statement of a month: totals, status, differences with its claim, payment")
def get_statement(request, month: MonthPath):
    return statement_for_institution(selectors.institution_statement(request.institution, parse_month(month)))
