"""The public self-check over HTTP: POST /api/v1/public/eligibility (no login, rate-limited).

Contract (issue 3 §6): the request names the program ("dibao"), a 12-digit village code, the
month (YYYY-MM), the members (birth date, disability grade and kind, serious illness, counted
monthly income) and the household's assets; the answer says eligible or not, the monthly amount,
the standard, the per-capita income, the reasons and the breakdown, amounts as decimal strings
with two places. Bad input answers 422 {code, message, field}; too many requests from one
address answer 429 {code: "throttled"}. Thin: selfcheck.check_dibao_eligibility does the work.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Router, Schema

from safetynet.core.apischemas import ErrorOut, InputSchema

from .selfcheck import MAX_COUNT, MAX_FINANCIAL, MAX_INCOME, MAX_MEMBERS, check_dibao_eligibility
from .throttle import PublicCheckThrottle

public_router = Router(tags=["public"], auth=None)

DisabilityType = Literal["physical", "intellectual", "mental", "visual", "hearing", "speech", "multiple"]


class SelfCheckMemberIn(InputSchema):
    birth_date: dt.date
    disability_grade: int | None = Field(None, ge=1, le=4, description="1 (most severe) to 4; null when none")
    disability_type: DisabilityType | None = None
    serious_illness: bool = False
    monthly_income: Decimal = Field(Decimal("0"), ge=0, le=MAX_INCOME, decimal_places=2,
                                    description="counted monthly income in yuan (POLICY.md §1 Income)")


class SelfCheckAssetsIn(InputSchema):
    financial: Decimal = Field(Decimal("0"), ge=0, le=MAX_FINANCIAL, decimal_places=2,
                               description="deposits, securities, funds, insurance, claims, online finance")
    homes: int = Field(0, ge=0, le=MAX_COUNT)
    non_residential_properties: int = Field(0, ge=0, le=MAX_COUNT)
    vehicles: int = Field(0, ge=0, le=MAX_COUNT, description="motor vehicles other than a mobility vehicle, motorcycle or e-bike")
    businesses: int = Field(0, ge=0, le=MAX_COUNT)


class SelfCheckIn(InputSchema):
    program: Literal["dibao"]
    area_code: str = Field(..., pattern=r"^[0-9]{12}$", description="12-digit village code")
    month: str = Field(..., pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$", description="YYYY-MM")
    members: list[SelfCheckMemberIn] = Field(..., min_length=1, max_length=MAX_MEMBERS)
    assets: SelfCheckAssetsIn = Field(default_factory=SelfCheckAssetsIn)


class SelfCheckLineOut(Schema):
    item: str
    amount: str
    rule: str


class SelfCheckOut(Schema):
    eligible: bool
    monthly_amount: str
    standard: str
    per_capita_income: str
    reasons: list[str]
    breakdown: list[SelfCheckLineOut]


@public_router.post("/eligibility", response={200: SelfCheckOut, 400: ErrorOut, 413: ErrorOut, 422: ErrorOut, 429: ErrorOut},
                    throttle=[PublicCheckThrottle()], summary="Public dibao self-check (no login)")
def eligibility(request, payload: SelfCheckIn):
    """Whether a household would qualify for dibao, and roughly how much, before it applies.
    An estimate from what the resident declares: the office decides after a survey and
    verification. Incomes are counted monthly incomes (POLICY.md §1)."""
    answer = check_dibao_eligibility(
        area_code=payload.area_code, month=payload.month,
        members=[m.model_dump() for m in payload.members], assets=payload.assets.model_dump(),
    )
    return answer.as_json()
