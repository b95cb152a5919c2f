"""The bodies the case steps take over HTTP (one class per shape; cases/steps.py names which
step takes which, and cases/api.py serves them). Apart from cases/api.py so the step table can name
a step's body without importing the router. Every body refuses unknown fields (InputSchema); text
is NUL-free (PostgreSQL cannot store NUL) and bounded as the services allow.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from annotated_types import Interval
from ninja import Field
from pydantic import BeforeValidator, StrictBool, StringConstraints, model_validator

from safetynet.core.apischemas import NO_NUL, InputSchema
from safetynet.registry.models import AssetCategory, DisabilityType, IncomeCategory

from .models import SupporterInability, SupporterRelation

MAX_ID = 2_147_483_647
# Text without NUL characters (PostgreSQL cannot store them); lengths as the services allow.
Text = Annotated[str, StringConstraints(max_length=20000, pattern=NO_NUL)]
ShortText = Annotated[str, StringConstraints(max_length=2000, pattern=NO_NUL)]
Name = Annotated[str, StringConstraints(max_length=100, pattern=NO_NUL)]
# An amount as the services take it: more than zero, at most two decimal places (a string, so the
# schema says exactly which texts are amounts).
Money = Annotated[str, StringConstraints(pattern=r"^(0\.(0[1-9]|[1-9][0-9]?)|[1-9][0-9]{0,9}(\.[0-9]{1,2})?)$")]
Amount = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,10}(\.[0-9]{1,2})?$")]        # zero or more
AssetValue = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,12}(\.[0-9]{1,2})?$")]
NonBlank = Annotated[str, StringConstraints(max_length=100, pattern=r"^[^\x00]*[^\s\x00-\x1f\x85][^\x00]*$")]


def _date_text(value):
    # JSON has no date: a date comes as "YYYY-MM-DD" text (pydantic alone reads 0 as 1970-01-01).
    if value is not None and not isinstance(value, (str, dt.date)):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


def _not_boolean(value):
    # pydantic reads true as 1; JSON's true is not a number (and 237.0 is, for JSON Schema).
    if isinstance(value, bool):
        raise ValueError("a number, not true or false")
    return value


# Bodies answered per case (the batch endpoints answer 200 with a result for each case) must not
# take what the schema forbids as if it were valid: no true for a number, no 0 for a date.
DateText = Annotated[dt.date | None, BeforeValidator(_date_text)]
Id = Annotated[int, Interval(ge=1, le=MAX_ID), BeforeValidator(_not_boolean)]   # (constraints first: in the schema)
Version = Annotated[Id | None,
                    Field(None, description="the case version the client saw (optimistic locking)")]


class VersionIn(InputSchema):
    version: Version


class NoteIn(VersionIn):
    note: ShortText = ""


class ReasonIn(VersionIn):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=NO_NUL)]


class ReasonsIn(VersionIn):
    reasons: Annotated[str, StringConstraints(min_length=1, max_length=20000, pattern=NO_NUL)]


class AcceptIn(NoteIn):
    missing_materials: list[Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL)]] = Field([], max_length=50)
    promise_signed: StrictBool = True         # JSON true or false only, as the schema says
    authorization_signed: StrictBool = True


class MaterialsIn(VersionIn):
    items: list[Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL)]] = Field(..., min_length=1, max_length=50)


class InvestigatorIn(InputSchema):
    """A registered staff member (`staff_identity_id`, or `user_id` of a login registered as
    staff), or a person named with the ID number (the relative check needs it)."""

    staff_identity_id: Id | None = None
    user_id: Id | None = None
    name: Annotated[str, StringConstraints(max_length=50, pattern=NO_NUL)] = ""
    id_number: Annotated[str, StringConstraints(max_length=20, pattern=NO_NUL)] = ""

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value):
        # Every field has a default, so ninja would read anything (a list, a number) as "nobody".
        if not isinstance(getattr(value, "_obj", value), dict):     # (ninja wraps the input first)
            raise ValueError("an investigator is an object")
        return value


class SupporterIn(InputSchema):
    """A person bound by law to support a special-hardship applicant, and why he cannot (SH-2021
    art. 8; `none`: he can). The birth date comes from the ID number when one is given; the two
    age-bound reasons need one or the other; `disabled_low_means` needs the certificate's type and grade."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=r"^[^\x00]*[^\s\x00-\x1f\x85][^\x00]*$")]
    relation: Literal[tuple(SupporterRelation.values)]  # type: ignore[valid-type]
    inability: Literal[tuple(SupporterInability.values)] = "none"  # type: ignore[valid-type]
    id_number: Annotated[str, StringConstraints(max_length=20, pattern=NO_NUL)] = ""
    birth_date: dt.date | None = None
    disability_type: Literal[tuple(DisabilityType.values)] | None = None  # type: ignore[valid-type]
    disability_grade: int | None = Field(None, ge=1, le=4)
    note: Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL)] = ""


class CountyVisitIn(VersionIn):
    """A home visit: the county's own records these; a survey also the daily activities."""

    conducted_on: DateText = Field(None, description="the day of the visit (default today)")
    investigators: list[InvestigatorIn] = Field(..., max_length=20)
    findings: Annotated[str, StringConstraints(min_length=1, max_length=20000, pattern=NO_NUL)]
    signed_by_household: StrictBool
    duration_minutes: int | None = Field(None, ge=1, le=1440, description="the visit's length in minutes")


class SurveyRecordIn(CountyVisitIn):
    daily_activities: dict[Literal["eating", "dressing", "bed_transfer", "toileting", "walking_indoors", "bathing"], StrictBool] | None = None


class SurveyIn(SurveyRecordIn):
    supporters: list[SupporterIn] = Field([], max_length=20)


class IncomeItemIn(InputSchema):
    person_id: Id | None = None
    category: Literal[tuple(IncomeCategory.values)]  # type: ignore[valid-type]
    monthly_amount: Amount
    description: Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL)] = ""


class AssetItemIn(InputSchema):
    person_id: Id | None = None
    category: Literal[tuple(AssetCategory.values)]  # type: ignore[valid-type]
    value: AssetValue = "0.00"
    quantity: Annotated[int, Interval(ge=1, le=1000), BeforeValidator(_not_boolean)] = 1
    is_exempt: StrictBool = False
    description: Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL)] = ""


class VerificationIn(VersionIn):
    summary: Annotated[str, StringConstraints(min_length=1, max_length=20000, pattern=NO_NUL)]
    income: list[IncomeItemIn] | None = Field(None, max_length=100, description="verified income items; replace the declared ones")
    assets: list[AssetItemIn] | None = Field(None, max_length=100, description="verified assets; replace the declared ones")
    note: Text = ""
    total_monthly_income: Amount | None = None
    total_financial_assets: AssetValue | None = None


class DeliberationIn(VersionIn):
    held_on: dt.date | None = None
    participants: int = Field(..., ge=1, le=10000)
    village_representatives: int = Field(..., ge=0, le=10000)
    votes_for: int = Field(0, ge=0, le=10000)
    votes_against: int = Field(0, ge=0, le=10000)
    votes_abstaining: int = Field(0, ge=0, le=10000)
    opinion: Annotated[str, StringConstraints(min_length=1, max_length=20000, pattern=NO_NUL)]


class OpinionIn(VersionIn):
    opinion: Text = ""


class NoticeIn(VersionIn):
    starts_on: DateText = Field(None, description="default today; within a week")


class ObjectionIn(VersionIn):
    content: Annotated[str, StringConstraints(min_length=1, max_length=20000, pattern=NO_NUL)]
    objector_name: Annotated[str, StringConstraints(max_length=50, pattern=NO_NUL)] = ""
    objector_contact: Annotated[str, StringConstraints(max_length=50, pattern=NO_NUL)] = ""
    received_on: dt.date | None = None


class ObjectionAnswerIn(VersionIn):
    finding: Literal["upheld", "not_upheld"] = Field(..., description="upheld: the objection is founded")
    answer: Annotated[str, StringConstraints(min_length=1, max_length=20000, pattern=NO_NUL)] = Field(
        ..., description="what the objector is told")


class AmountIn(NoteIn):
    amount: Money | None = None


class QuickAidIn(VersionIn):
    approve: bool
    amount: Money | None = None
    reasons: Text = ""
