"""One-stop settlement for a designated institution's cashier system (issue 20 part 3;
POLICY.md §4): `/api/v1/medical/institution/settlements`.

The institution authenticates with its key (the parent router's `keys.InstitutionKeyAuth` sets
`request.institution`; a staff login or token is not a key) and sees only its own visits:
another institution's visit number is as unknown as a missing one (404).

- `POST /settlements`: the bill after the two insurances → the assistance, what the patient pays,
  the category applied and why, the cap left. The same bill again answers the same; another bill
  under the visit number is 409 `visit_conflict`.
- `GET /settlements/{visit_number}`: the answer given, with its current status.
- `POST /settlements/{visit_number}/reversal`: undo it (a refund): the cap and deductible return.

The views only read the body and call `settlements`: the answer is the service's dict, validated
once by the response schema. Amounts travel as strings ("1234.56"); a JSON number is read too.
The body's types are loose on purpose (text or a number for an amount, text for a date) so that
`settlements.read_bill` gives each refusal its own code and field (`negative_amount`,
`bill_does_not_add_up`, ...) rather than a generic type error; the OpenAPI document still says
what is expected (a pattern, a format) and gives an example.
"""
from __future__ import annotations

from typing import Annotated, Union

from django.utils.translation import gettext as _
from ninja import Path, Router, Schema
from pydantic import ConfigDict, Field, WithJsonSchema, field_validator

from safetynet.core.apischemas import InputSchema, responses

from . import settlements

router = Router()

AMOUNT_PATTERN = r"^[0-9]{1,8}(\.[0-9]{1,2})?$"
VISIT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$"
ID_PATTERN = r"^([0-9]{17}[0-9Xx]|[0-9]{15})$"

Amount = Annotated[Union[str, int, float], WithJsonSchema({
    "anyOf": [{"type": "string", "pattern": AMOUNT_PATTERN}, {"type": "number", "minimum": 0, "maximum": 10_000_000}],
    "description": "Yuan, at most two decimals, never negative: text (\"1234.56\") or a JSON number."})]
DateText = Annotated[str, WithJsonSchema({"type": "string", "format": "date", "description": "YYYY-MM-DD"})]
VisitNumber = Annotated[str, WithJsonSchema({
    "type": "string", "pattern": VISIT_PATTERN, "minLength": 1, "maxLength": 64,
    "description": "The institution's own number of the stay or visit: 1 to 64 letters, digits, dots, dashes, "
                   "slashes or underscores. Settled once: it is the idempotency key of the bill."})]
IdNumber = Annotated[str, WithJsonSchema({
    "type": "string", "pattern": ID_PATTERN, "description": "The patient's resident ID number (18 characters, "
                                                            "or 15 for an old one)."})]
AMOUNT_FIELDS = settlements.AMOUNTS

EXAMPLE = {"visit_number": "ZY2025000123", "id_number": "130123196001010013", "admitted_on": "2025-09-10",
           "discharged_on": "2025-09-18", "total_cost": "12000.00", "basic_insurance_paid": "6000.00",
           "critical_illness_paid": "1000.00", "eligible_self_paid": "4000.00", "ineligible_self_paid": "1000.00"}


class MedicalSettlementIn(InputSchema):
    """A bill after basic medical insurance and critical-illness insurance: the total cost is
    the sum of the two insurances' payments and the eligible and ineligible self-paid parts."""

    model_config = ConfigDict(json_schema_extra=lambda schema, model: schema.update(examples=[EXAMPLE]))

    visit_number: VisitNumber
    id_number: IdNumber
    admitted_on: DateText
    discharged_on: DateText
    total_cost: Amount
    basic_insurance_paid: Amount
    critical_illness_paid: Amount
    eligible_self_paid: Amount
    ineligible_self_paid: Amount

    @field_validator(*AMOUNT_FIELDS, mode="before")
    @classmethod
    def refuse_what_is_not_an_amount(cls, value):
        """true/false, null, a list or an object is not an amount (else `true` could pass as 1)."""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValueError(_("Give the amount as text or a number, e.g. 1234.56."))
        return value


class MedicalBreakdownOut(Schema):
    category: str
    eligible: str
    deductible_left: str = Field(description="what was left of the year's deductible before this bill")
    deductible_applied: str
    counted: str = Field(description="eligible − deductible applied")
    rate: str
    computed: str = Field(description="counted × rate, rounded half up to the cent")
    annual_cap: str
    cap_left: str = Field(description="what was left of the annual cap before this bill")
    assistance: str
    remaining_cap: str
    capped: bool
    rounding: str
    source: str


class MedicalConsideredOut(Schema):
    category: str
    assistance: str


class MedicalSettlementOut(Schema):
    settlement_id: int
    visit_number: str
    status: str = Field(description="settled, or reversed")
    person: str = Field(description="the patient's name, masked")
    year: int = Field(description="the year whose deductible and cap the bill counts against (of discharge)")
    category: str = Field(description="the category applied: the most favorable of those the person is in")
    category_name: str
    category_name_en: str
    qualified_by: str = Field(description="enrollment, register or certification")
    assistance: str = Field(description="paid by medical assistance: the institution deducts it from the bill")
    patient_pays: str = Field(description="what the patient pays: self-paid parts − assistance")
    annual_cap: str
    remaining_cap: str
    capped: bool = Field(description="the annual cap took part of what the rate gave")
    cap_note: str | None = None
    cap_note_en: str | None = None
    breakdown: MedicalBreakdownOut
    considered: list[MedicalConsideredOut]
    settled_at: str


class MedicalReversalIn(InputSchema):
    reason: str = Field(max_length=500, description="why the settlement is undone (a refund, a wrong bill)")


class MedicalReversalOut(Schema):
    settlement_id: int
    visit_number: str
    status: str
    assistance_restored: str
    remaining_cap: str = Field(description="of the annual cap of the category applied, after the reversal")
    reversed_at: str
    reason: str


VisitPath = Annotated[str, Path(..., min_length=1, max_length=200, description="the visit number sent with the bill")]


@router.post("/settlements", response=responses(MedicalSettlementOut), summary="Settle a bill (one-stop)")
def settle(request, payload: MedicalSettlementIn):
    """The assistance for the bill, at once; the patient pays `patient_pays`. Send the same bill
    again (a lost answer, a timeout) and the same answer comes back."""
    return settlements.settle_bill(request.institution, payload.dict())


@router.post("/settlements/{path:visit_number}/reversal", response=responses(MedicalReversalOut),
             summary="Reverse a settlement (a refund)")
def reverse(request, visit_number: VisitPath, payload: MedicalReversalIn):
    return settlements.reverse_settlement(request.institution, visit_number, reason=payload.reason)


@router.get("/settlements/{path:visit_number}", response=responses(MedicalSettlementOut),
            summary="Read a settlement's answer")
def read(request, visit_number: VisitPath):
    return settlements.settlement_answer(request.institution, visit_number)
