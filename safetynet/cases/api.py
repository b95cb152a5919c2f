"""Cases over HTTP: /api/v1/cases (DESIGN.md §3; issue 3 part 5).

Reads through `cases.selectors` (scoped: another area's case answers 404); one POST per step of
the workflow, each calling the same service the pages call, so no rule is written twice. The
services check, in order, the area (404), the role (403), the order and guards (409, with a code
such as `transition_not_allowed`, `step_missing`, `stale_case`), then the input (422 with the
field). Send the case's `version` with a step to make a stale client fail with 409 `stale_case`
instead of acting on a case someone else just moved.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from annotated_types import Interval
from django.db.models import Q
from ninja import Body, Field, Path, Query, Router, Schema, Status
from pydantic import BeforeValidator, StrictBool, StringConstraints, model_validator

from safetynet.core.apischemas import ErrorOut, InputSchema, PageQuery, one_of, responses
from safetynet.core.errors import NotFound, ValidationError
from safetynet.core.masking import mask_id_number
from safetynet.programs.facts import texts_in
from safetynet.registry.models import AssetCategory, DisabilityType, IncomeCategory

from . import batch, clocks, selectors, services, supporters, workflow
from .models import Case, Status as CaseStatus, SupporterInability, SupporterRelation

router = Router(tags=["cases"])

MAX_ID = 2_147_483_647
CaseId = Annotated[int, Path(..., ge=1, le=MAX_ID)]
# Text without NUL characters (PostgreSQL cannot store them); lengths as the services allow.
_NO_NUL = r"^[^\x00]*$"
Text = Annotated[str, StringConstraints(max_length=20000, pattern=_NO_NUL)]
ShortText = Annotated[str, StringConstraints(max_length=2000, pattern=_NO_NUL)]
Name = Annotated[str, StringConstraints(max_length=100, pattern=_NO_NUL)]
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
ProgramCode = Literal["dibao", "special_hardship", "temporary"]


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------

class CaseOut(Schema):
    id: int
    program: str
    kind: str
    path: str
    status: str
    is_open: bool
    version: int
    household: int
    applicant: int
    applicant_name: str
    covered_person: int | None
    area: str
    channel: str
    requested_amount: Decimal | None
    proposed_amount: Decimal | None
    applied_on: dt.date
    next_action: str
    next_due: dt.date | None
    case_due: dt.date | None
    overdue: bool
    is_close_relative: bool


class CasePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CaseOut]


class EventOut(Schema):
    action: str
    from_status: str
    to_status: str
    at: dt.datetime
    username: str
    role: str
    area: str
    note: str


class DeadlineOut(Schema):
    step: str
    label: str
    due: dt.date | None
    done_on: dt.date | None
    state: str


class LineOut(Schema):
    item: str
    amount: str | None
    rule: str
    section: str = ""


class OutcomeOut(Schema):
    eligible: bool
    monthly_amount: str
    reasons: list[str]
    breakdown: list[LineOut]


class MemberOut(Schema):
    person_id: int
    name: str
    id_number: str
    relation_to_head: str
    birth_date: dt.date


class DecisionOut(Schema):
    id: int
    outcome: str
    monthly_amount: Decimal
    start_month: dt.date | None
    decided_on: dt.date
    decided_by: str
    reasons: str
    letter_number: str
    letter_due: dt.date | None
    letter_issued_at: dt.datetime | None


class CaseEnrollmentOut(Schema):
    id: int
    status: str
    monthly_amount: Decimal
    start_month: dt.date
    next_recheck_date: dt.date


class CaseDetailOut(CaseOut):
    members: list[MemberOut]
    allowed_actions: list[str]
    timeline: list[EventOut]
    deadlines: list[DeadlineOut]
    outcome: OutcomeOut | None
    decisions: list[DecisionOut]
    enrollments: list[CaseEnrollmentOut]
    surveys: int
    verification_reports: int
    deliberations: int
    objections: int


class TownOut(Schema):
    town_code: str
    town_name: str
    open: int
    overdue: int
    due_today: int


class TownsOut(Schema):
    today: dt.date
    items: list[TownOut]


def _case_out(case: Case, today: dt.date) -> dict:
    return {
        "id": case.pk, "program": case.program_id, "kind": case.kind, "path": case.path, "status": case.status,
        "is_open": case.is_open, "version": case.version, "household": case.household_id, "applicant": case.applicant_id,
        "applicant_name": case.applicant.name, "covered_person": case.covered_person_id, "area": case.area_id,
        "channel": case.channel, "requested_amount": case.requested_amount, "proposed_amount": case.proposed_amount,
        "applied_on": case.applied_on, "next_action": case.next_action, "next_due": case.next_due, "case_due": case.case_due,
        "overdue": bool(case.is_open and case.next_due and case.next_due < today), "is_close_relative": case.is_close_relative,
    }


def _outcome(outcome: dict | None) -> dict | None:
    if not outcome:
        return None
    breakdown, reasons = texts_in(outcome)
    return {"eligible": bool(outcome.get("eligible")), "monthly_amount": str(outcome.get("monthly_amount", "0.00")),
            "reasons": [str(r) for r in reasons],
            "breakdown": [{"item": str(line.get("item", "")), "amount": line.get("amount"), "rule": str(line.get("rule", "")),
                           "section": str(line.get("section", ""))} for line in breakdown]}


def _detail(actor, case_id: int) -> dict:
    """The case with its timeline, clocks, outcome and the steps the caller may take now. ID
    numbers are masked: the API has the registry's endpoints for whole numbers (audited there)."""
    file = selectors.case_file(actor, case_id)
    case = file.case
    return {
        **_case_out(case, file.today),
        "members": [{"person_id": m["person_id"], "name": m.get("name", ""), "id_number": mask_id_number(m.get("id_number", "")),
                     "relation_to_head": m.get("relation_to_head", ""), "birth_date": m["birth_date"]}
                    for m in case.snapshot.get("members", [])],
        "allowed_actions": file.allowed_actions,
        "timeline": [{"action": e.action, "from_status": e.from_status, "to_status": e.to_status, "at": e.at,
                      "username": e.actor_username, "role": e.actor_role, "area": e.actor_area_code, "note": e.note}
                     for e in file.events],
        "deadlines": [{"step": d.step, "label": str(d.label), "due": d.due, "done_on": d.done_on, "state": d.state(file.today)}
                      for d in file.deadlines],
        "outcome": _outcome(case.outcome),
        "decisions": [{"id": d.pk, "outcome": d.outcome, "monthly_amount": d.monthly_amount, "start_month": d.start_month,
                       "decided_on": d.decided_on, "decided_by": d.decided_by, "reasons": d.reasons,
                       "letter_number": d.letter_number, "letter_due": d.letter_due, "letter_issued_at": d.letter_issued_at}
                      for d in file.decisions],
        "enrollments": [{"id": e.pk, "status": e.status, "monthly_amount": e.monthly_amount, "start_month": e.start_month,
                         "next_recheck_date": e.next_recheck_date} for e in file.enrollments],
        "surveys": len(file.surveys), "verification_reports": len(file.verification_reports),
        "deliberations": len(file.deliberations), "objections": len(file.objections),
    }


# --------------------------------------------------------------------------------------------
# Reads
# --------------------------------------------------------------------------------------------

class CaseFilter(PageQuery):
    status: Literal[tuple(CaseStatus.values)] | None = Field(None, description="a workflow status")  # type: ignore[valid-type]
    program: ProgramCode | None = None
    overdue: bool | None = Field(None, description="true: open cases past their step's due date; false: the others")
    open: bool | None = Field(None, description="true: open cases only; false: closed only")


@router.get("", response=responses(CasePage), summary="Cases in scope")
def list_cases(request, filters: Query[CaseFilter]):
    actor = request.auth
    qs = selectors.cases_in_scope(actor)
    today = clocks.today()
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.program:
        qs = qs.filter(program_id=filters.program)
    if filters.open is not None:
        qs = qs.filter(is_open=filters.open)
    late = Q(is_open=True, next_due__lt=today)
    if filters.overdue is True:
        qs = qs.filter(late)
    elif filters.overdue is False:
        qs = qs.exclude(late)
    count = qs.count()
    page = qs.select_related("applicant").order_by("-id")[filters.offset:filters.offset + filters.limit]
    return {"count": count, "limit": filters.limit, "offset": filters.offset, "items": [_case_out(c, today) for c in page]}


@router.get("/overdue-by-town", response=responses(TownsOut), summary="Open and overdue cases per town",
            url_name="cases_overdue_by_town")
def overdue_by_town(request):
    rows = selectors.overdue_by_town(request.auth)
    return {"today": clocks.today(), "items": [vars(r) for r in rows]}


# Before "/{case_id}": Django tries the routes in order.
class BatchCaseIn(InputSchema):
    id: int = Field(..., ge=1, le=MAX_ID)
    version: Version


class BatchIn(InputSchema):
    action: Literal[tuple(batch.BATCH_ACTIONS)] = Field(..., description="the step to take for every case")
    cases: list[BatchCaseIn] = Field(..., min_length=1, max_length=batch.MAX_BATCH)


class BatchResultOut(Schema):
    case: int | None = Field(..., description="the case; null for an application that was not filed")
    ok: bool
    status: str = Field(..., description="the case's status after the step; empty when it was refused")
    error: ErrorOut | None = Field(None, description="why the step was refused for this case")


class BatchOut(Schema):
    action: str
    done: int
    refused: int
    results: list[BatchResultOut]


@router.post("/batch", response=responses(BatchOut), summary="Take one step for many cases at once")
def take_batch(request, payload: BatchIn):
    """Publish notices, close notices or confirm, for up to 100 cases: each case through the
    step's own service, the same checks as one at a time, in one transaction for the batch. A case refused
    is reported with its reason and leaves the others done; the answer is 200 either way. 403 or
    422 refuse the whole batch before any case is touched (a role without the step, a bad list)."""
    return _batch_answer(payload.action, batch.take_step_for_cases(
        actor=request.auth, action=payload.action, case_ids=[c.id for c in payload.cases],
        versions={c.id: c.version for c in payload.cases if c.version is not None}))


@router.get("/{case_id}", response=responses(CaseDetailOut), summary="One case: timeline, clocks, outcome, allowed steps")
def get_case(request, case_id: CaseId):
    return _detail(request.auth, case_id)


# --------------------------------------------------------------------------------------------
# Writes: the application, then one endpoint per step
# --------------------------------------------------------------------------------------------

# The application's body: one shape per program (and per channel: an entrusted application names
# who entrusted it), so every body the schema allows is one the service can take. A person who is
# not a living member of the household is, for that household, not found (404).
class _ApplyCommon(InputSchema):
    household: int = Field(..., ge=1, le=MAX_ID)
    applicant: int = Field(..., ge=1, le=MAX_ID, description="a living member of the household")
    reason: ShortText = ""


class _Direct(InputSchema):
    channel: Literal["walk_in", "online", "from_lead"]


class _Entrusted(InputSchema):
    channel: Literal["entrusted_by_village"]
    entrusted_by: NonBlank = Field(..., description="the village committee or person who applied on the household's behalf")


class _DibaoHousehold(InputSchema):
    program: Literal["dibao"]
    kind: Literal["household"] = "household"


class _DibaoIndividual(InputSchema):
    program: Literal["dibao"]
    kind: Literal["individual"]
    covered_person: int = Field(..., ge=1, le=MAX_ID, description="the member covered alone (MLG-2021 art. 8)")


class _SpecialHardship(InputSchema):
    program: Literal["special_hardship"]
    covered_person: int | None = Field(None, ge=1, le=MAX_ID, description="the person to support (default: the applicant)")


class _Temporary(InputSchema):
    program: Literal["temporary"]
    kind: Literal["emergency", "quick", "ordinary"]
    requested_amount: Money


def _apply_schemas() -> tuple:
    models = []
    for program_name, program in (("DibaoHousehold", _DibaoHousehold), ("DibaoIndividual", _DibaoIndividual),
                                  ("SpecialHardship", _SpecialHardship), ("Temporary", _Temporary)):
        for channel_name, channel in (("", _Direct), ("Entrusted", _Entrusted)):
            models.append(type(f"Apply{program_name}{channel_name}In", (program, channel, _ApplyCommon), {}))
    return tuple(models)


def _application_branch(body: dict) -> str | None:
    """Which of the application bodies `body` claims to be, from its program (and a dibao's kind,
    and whether it was entrusted): its errors are that body's only."""
    program = body.get("program")
    name = {"dibao": "DibaoIndividual" if body.get("kind") == "individual" else "DibaoHousehold",
            "special_hardship": "SpecialHardship", "temporary": "Temporary"}.get(program if isinstance(program, str) else "")
    if name is None:
        return None
    return f"Apply{name}{'Entrusted' if body.get('channel') == 'entrusted_by_village' else ''}In"


APPLY_SCHEMAS = _apply_schemas()
ApplyIn = one_of(APPLY_SCHEMAS, _application_branch, field="program", choices=("dibao", "special_hardship", "temporary"))


def _application_inputs(payload) -> dict:
    return {"program_code": payload.program, "household_id": payload.household, "applicant_id": payload.applicant,
            "channel": payload.channel, "entrusted_by": getattr(payload, "entrusted_by", ""),
            "kind": getattr(payload, "kind", None), "covered_person_id": getattr(payload, "covered_person", None),
            "requested_amount": getattr(payload, "requested_amount", None), "reason": payload.reason}


@router.post("", response=responses(CaseDetailOut, ok_status=201), summary="File an application")
def apply(request, payload: Body[ApplyIn]):   # (Body: ninja does not see a tagged union as a body)
    try:
        case = services.apply_for_assistance(actor=request.auth, **_application_inputs(payload))
    except ValidationError as exc:
        if exc.field in ("applicant", "covered_person"):
            raise NotFound(exc.message, field=exc.field)
        raise
    return Status(201, _detail(request.auth, case.pk))


class VersionIn(InputSchema):
    version: Version


class NoteIn(VersionIn):
    note: ShortText = ""


class ReasonIn(VersionIn):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=_NO_NUL)]


class ReasonsIn(VersionIn):
    reasons: Annotated[str, StringConstraints(min_length=1, max_length=20000, pattern=_NO_NUL)]


class AcceptIn(NoteIn):
    missing_materials: list[Annotated[str, StringConstraints(max_length=200, pattern=_NO_NUL)]] = Field([], max_length=50)
    promise_signed: StrictBool = True         # JSON true or false only, as the schema says
    authorization_signed: StrictBool = True


class MaterialsIn(VersionIn):
    items: list[Annotated[str, StringConstraints(max_length=200, pattern=_NO_NUL)]] = Field(..., min_length=1, max_length=50)


class InvestigatorIn(InputSchema):
    """A registered staff member (`staff_identity_id`, or `user_id` of a login registered as
    staff), or a person named with the ID number (the relative check needs it)."""

    staff_identity_id: Id | None = None
    user_id: Id | None = None
    name: Annotated[str, StringConstraints(max_length=50, pattern=_NO_NUL)] = ""
    id_number: Annotated[str, StringConstraints(max_length=20, pattern=_NO_NUL)] = ""

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
    id_number: Annotated[str, StringConstraints(max_length=20, pattern=_NO_NUL)] = ""
    birth_date: dt.date | None = None
    disability_type: Literal[tuple(DisabilityType.values)] | None = None  # type: ignore[valid-type]
    disability_grade: int | None = Field(None, ge=1, le=4)
    note: Annotated[str, StringConstraints(max_length=200, pattern=_NO_NUL)] = ""


class SupporterOut(Schema):
    id: int
    name: str
    id_number: str
    birth_date: dt.date | None
    relation: str
    inability: str
    disability_type: str
    disability_grade: int | None
    note: str
    recorded_by: str


class ProposedSupporterOut(Schema):
    """A relative the registry lists who is bound by law to support the person, with the rule's
    verdict on his own household's facts (`inability`: the reason it finds, `none`: able)."""

    name: str
    id_number: str
    birth_date: dt.date
    relation: str
    same_household: bool
    inability: str
    why: str
    notes: list[str]
    recorded: bool


class CountyVisitIn(VersionIn):
    """A home visit: the county's own records these; a survey also the daily activities."""

    conducted_on: DateText = Field(None, description="the day of the visit (default today)")
    investigators: list[InvestigatorIn] = Field(..., max_length=20)
    findings: Annotated[str, StringConstraints(min_length=1, max_length=20000, pattern=_NO_NUL)]
    signed_by_household: StrictBool


class SurveyRecordIn(CountyVisitIn):
    daily_activities: dict[Literal["eating", "dressing", "bed_transfer", "toileting", "walking_indoors", "bathing"], StrictBool] | None = None


class SurveyIn(SurveyRecordIn):
    supporters: list[SupporterIn] = Field([], max_length=20)


class IncomeItemIn(InputSchema):
    person_id: Id | None = None
    category: Literal[tuple(IncomeCategory.values)]  # type: ignore[valid-type]
    monthly_amount: Amount
    description: Annotated[str, StringConstraints(max_length=200, pattern=_NO_NUL)] = ""


class AssetItemIn(InputSchema):
    person_id: Id | None = None
    category: Literal[tuple(AssetCategory.values)]  # type: ignore[valid-type]
    value: AssetValue = "0.00"
    quantity: Annotated[int, Interval(ge=1, le=1000), BeforeValidator(_not_boolean)] = 1
    is_exempt: StrictBool = False
    description: Annotated[str, StringConstraints(max_length=200, pattern=_NO_NUL)] = ""


class VerificationIn(VersionIn):
    summary: Annotated[str, StringConstraints(min_length=1, max_length=20000, pattern=_NO_NUL)]
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
    opinion: Annotated[str, StringConstraints(min_length=1, max_length=20000, pattern=_NO_NUL)]


class OpinionIn(VersionIn):
    opinion: Text = ""


class NoticeIn(VersionIn):
    starts_on: DateText = Field(None, description="default today; within a week")


class ObjectionIn(VersionIn):
    content: Annotated[str, StringConstraints(min_length=1, max_length=20000, pattern=_NO_NUL)]
    objector_name: Annotated[str, StringConstraints(max_length=50, pattern=_NO_NUL)] = ""
    objector_contact: Annotated[str, StringConstraints(max_length=50, pattern=_NO_NUL)] = ""
    received_on: dt.date | None = None


class ObjectionAnswerIn(VersionIn):
    finding: Literal["upheld", "not_upheld"] = Field(..., description="upheld: the objection is founded")
    answer: Annotated[str, StringConstraints(min_length=1, max_length=20000, pattern=_NO_NUL)] = Field(
        ..., description="what the objector is told")


class AmountIn(NoteIn):
    amount: Money | None = None


class QuickAidIn(VersionIn):
    approve: bool
    amount: Money | None = None
    reasons: Text = ""


# ---- steps with inputs for many cases at once (cases/batch.py): each case the body of the
# step's own endpoint plus its id. Defined here, ahead of "/{case_id}" routes in the module.

class _BatchCase(InputSchema):
    id: Id


def _batch_body(name: str, step: type) -> type:
    # Extra fields are refused, not ignored (InputSchema): a field the batch does not take (a
    # survey's supporters) would otherwise be lost without a word.
    item = type(f"Batch{name}CaseIn", (step, _BatchCase), {})
    return type(f"Batch{name}In", (InputSchema,), {
        "__annotations__": {"cases": list[item]},
        "cases": Field(..., min_length=1, max_length=batch.MAX_BATCH)})


BatchAcceptIn = _batch_body("Accept", AcceptIn)
BatchSurveyIn = _batch_body("Survey", SurveyRecordIn)
BatchVerificationIn = _batch_body("Verification", VerificationIn)
BatchOpinionIn = _batch_body("Opinion", OpinionIn)


class BatchApplicationsIn(InputSchema):
    applications: list[ApplyIn] = Field(..., min_length=1, max_length=batch.MAX_BATCH)


def _batch_answer(action: str, results) -> dict:
    done = sum(r.ok for r in results)
    return {"action": action, "done": done, "refused": len(results) - done,
            "results": [{"case": r.case_id, "ok": r.ok, "status": r.status, "error": r.error} for r in results]}


def _take_batch(request, action: str, cases, inputs) -> dict:
    return _batch_answer(action, batch.take_steps(actor=request.auth, action=action, items=[
        {"case": c.id, "version": c.version, **inputs(c)} for c in cases]))


@router.post("/batch/applications", response=responses(BatchOut), summary="File many applications at once")
def apply_batch(request, payload: BatchApplicationsIn):
    """Up to 100 applications (a village's entrusted list, say), each the body of `POST /cases`,
    each filed through the same service. An application refused (a household already applying,
    a person not in the household) is reported with its reason, `case` null, and leaves the
    others filed; two for the same household in one list: the second is refused."""
    return _batch_answer("apply", batch.apply_for_households(
        actor=request.auth, applications=[_application_inputs(a) for a in payload.applications]))


@router.post("/batch/accept", response=responses(BatchOut), summary="Accept many applications at once")
def accept_batch(request, payload: BatchAcceptIn):
    """Each case the body of `POST /cases/{id}/accept` with its `id`; answered as `POST /cases/batch`."""
    return _take_batch(request, "accept", payload.cases, _accept_inputs)


@router.post("/batch/survey", response=responses(BatchOut), summary="Record many household surveys at once")
def survey_batch(request, payload: BatchSurveyIn):
    """Each case the body of `POST /cases/{id}/survey` with its `id`, without supporters (a
    special-hardship survey with supporters is recorded on its own)."""
    return _take_batch(request, "record_survey", payload.cases, _survey_inputs)


@router.post("/batch/verification", response=responses(BatchOut), summary="Enter many verification reports at once")
def verification_batch(request, payload: BatchVerificationIn):
    """Each case the body of `POST /cases/{id}/verification` with its `id` (marked manual)."""
    return _take_batch(request, "verify", payload.cases, _verification_inputs)


@router.post("/batch/opinion", response=responses(BatchOut), summary="Give the town opinion on many cases at once")
def opinion_batch(request, payload: BatchOpinionIn):
    """Each case the body of `POST /cases/{id}/town-opinion` with its `id`: the rule runs for each."""
    return _take_batch(request, "give_town_opinion", payload.cases, lambda c: {"opinion": c.opinion})


def _step(path: str, summary: str):
    return router.post(path, response=responses(CaseDetailOut), summary=summary)


def _accept_inputs(payload: AcceptIn) -> dict:
    return {"missing_materials": payload.missing_materials, "promise_signed": payload.promise_signed,
            "authorization_signed": payload.authorization_signed, "note": payload.note}


@_step("/{case_id}/accept", "Accept the application (close-relative check; missing materials asked once)")
def accept(request, case_id: CaseId, payload: AcceptIn):
    services.accept_application(actor=request.auth, case_id=case_id, version=payload.version, **_accept_inputs(payload))
    return _detail(request.auth, case_id)


@_step("/{case_id}/materials", "Ask for the missing materials (once)")
def request_materials(request, case_id: CaseId, payload: MaterialsIn):
    services.request_materials(actor=request.auth, case_id=case_id, items=payload.items, version=payload.version)
    return _detail(request.auth, case_id)


@_step("/{case_id}/resume", "The materials came in: back to accepted")
def resume(request, case_id: CaseId, payload: NoteIn):
    services.resume_case(actor=request.auth, case_id=case_id, note=payload.note, version=payload.version)
    return _detail(request.auth, case_id)


def _investigators(items: list[InvestigatorIn]) -> list[dict]:
    people = []
    for item in items:
        if item.staff_identity_id:
            people.append({"staff_identity_id": item.staff_identity_id})
        elif item.user_id:
            people.append({"user_id": item.user_id})
        else:
            people.append({"name": item.name, "id_number": item.id_number})
    return people


def _survey_inputs(payload: SurveyRecordIn) -> dict:
    return {"conducted_on": payload.conducted_on, "investigators": _investigators(payload.investigators),
            "findings": payload.findings, "signed_by_household": payload.signed_by_household,
            "daily_activities": payload.daily_activities}


@_step("/{case_id}/survey", "Record the household survey (two investigators, not relatives; signed)")
def survey(request, case_id: CaseId, payload: SurveyIn):
    services.record_survey(actor=request.auth, case_id=case_id, supporters=[s.dict() for s in payload.supporters],
                           version=payload.version, **_survey_inputs(payload))
    return _detail(request.auth, case_id)


@_step("/{case_id}/county-visit", "Record the county's own home visit")
def county_visit(request, case_id: CaseId, payload: CountyVisitIn):
    services.record_county_visit(actor=request.auth, case_id=case_id, conducted_on=payload.conducted_on,
                                 investigators=_investigators(payload.investigators), findings=payload.findings,
                                 signed_by_household=payload.signed_by_household, version=payload.version)
    return _detail(request.auth, case_id)


@_step("/{case_id}/verification", "Enter the verification report by hand (marked manual)")
def verification(request, case_id: CaseId, payload: VerificationIn):
    services.record_manual_verification(actor=request.auth, case_id=case_id, version=payload.version,
                                        **_verification_inputs(payload))
    return _detail(request.auth, case_id)


def _verification_inputs(payload: VerificationIn) -> dict:
    findings: dict = {}
    if payload.income is not None:
        findings["income"] = [{**i.dict(), "monthly_amount": f"{Decimal(i.monthly_amount):.2f}"} for i in payload.income]
    if payload.assets is not None:
        findings["assets"] = [{**a.dict(), "value": f"{Decimal(a.value):.2f}"} for a in payload.assets]
    if payload.note:
        findings["note"] = payload.note
    return {"summary": payload.summary, "findings": findings, "total_monthly_income": payload.total_monthly_income,
            "total_financial_assets": payload.total_financial_assets}


@_step("/{case_id}/deliberation", "Record a deliberation meeting")
def deliberation(request, case_id: CaseId, payload: DeliberationIn):
    services.hold_deliberation(actor=request.auth, case_id=case_id, held_on=payload.held_on, participants=payload.participants,
                               village_representatives=payload.village_representatives, votes_for=payload.votes_for,
                               votes_against=payload.votes_against, votes_abstaining=payload.votes_abstaining,
                               opinion=payload.opinion, version=payload.version)
    return _detail(request.auth, case_id)


@_step("/{case_id}/town-opinion", "Give the town opinion (the rule runs here)")
def town_opinion(request, case_id: CaseId, payload: OpinionIn):
    services.give_town_opinion(actor=request.auth, case_id=case_id, opinion=payload.opinion, version=payload.version)
    return _detail(request.auth, case_id)


@_step("/{case_id}/notice", "Publish the 7-day public notice")
def notice(request, case_id: CaseId, payload: NoticeIn):
    services.publish_notice(actor=request.auth, case_id=case_id, starts_on=payload.starts_on, version=payload.version)
    return _detail(request.auth, case_id)


@_step("/{case_id}/objections", "Record an objection to the notice")
def objection(request, case_id: CaseId, payload: ObjectionIn):
    services.record_objection(actor=request.auth, case_id=case_id, content=payload.content,
                              objector_name=payload.objector_name, objector_contact=payload.objector_contact,
                              received_on=payload.received_on, version=payload.version)
    return _detail(request.auth, case_id)


@_step("/{case_id}/objections/answer", "Answer the objection after the re-survey or deliberation")
def answer_objection(request, case_id: CaseId, payload: ObjectionAnswerIn):
    services.answer_objection(actor=request.auth, case_id=case_id, finding=payload.finding, answer=payload.answer,
                              version=payload.version)
    return _detail(request.auth, case_id)


@_step("/{case_id}/notice/close", "Close the notice after its full days")
def close_notice(request, case_id: CaseId, payload: VersionIn):
    services.close_notice(actor=request.auth, case_id=case_id, version=payload.version)
    return _detail(request.auth, case_id)


@_step("/{case_id}/confirm", "Confirm (decision and enrollment)")
def confirm(request, case_id: CaseId, payload: NoteIn):
    services.confirm_case(actor=request.auth, case_id=case_id, note=payload.note, version=payload.version)
    return _detail(request.auth, case_id)


@_step("/{case_id}/refuse", "Refuse, with the reasons")
def refuse(request, case_id: CaseId, payload: ReasonsIn):
    services.refuse_case(actor=request.auth, case_id=case_id, reasons=payload.reasons, version=payload.version)
    return _detail(request.auth, case_id)


@_step("/{case_id}/return", "Return the case to the town for supplement")
def return_for_supplement(request, case_id: CaseId, payload: ReasonIn):
    services.return_for_supplement(actor=request.auth, case_id=case_id, reason=payload.reason, version=payload.version)
    return _detail(request.auth, case_id)


@_step("/{case_id}/withdraw", "Record the applicant's withdrawal")
def withdraw(request, case_id: CaseId, payload: ReasonIn):
    services.withdraw_case(actor=request.auth, case_id=case_id, reason=payload.reason, version=payload.version)
    return _detail(request.auth, case_id)


@_step("/{case_id}/reopen", "Reopen a decided case after a complaint")
def reopen(request, case_id: CaseId, payload: ReasonIn):
    services.reopen_case(actor=request.auth, case_id=case_id, reason=payload.reason, version=payload.version)
    return _detail(request.auth, case_id)


@_step("/{case_id}/extend", "Extend the whole-case limit (30 → 45 working days), with a reason")
def extend(request, case_id: CaseId, payload: ReasonIn):
    services.extend_case(actor=request.auth, case_id=case_id, reason=payload.reason, version=payload.version)
    return _detail(request.auth, case_id)


@_step("/{case_id}/temporary/pay-first", "Emergency aid: the town pays first")
def pay_first(request, case_id: CaseId, payload: AmountIn):
    services.pay_emergency_aid_first(actor=request.auth, case_id=case_id, amount=payload.amount, note=payload.note,
                                     version=payload.version)
    return _detail(request.auth, case_id)


@_step("/{case_id}/temporary/switch-to-ordinary",
       "Emergency aid over the town's limit: go on by the ordinary procedure, the amount as requested")
def switch_to_ordinary(request, case_id: CaseId, payload: AmountIn):
    services.switch_to_ordinary_procedure(actor=request.auth, case_id=case_id, amount=payload.amount, note=payload.note,
                                          version=payload.version)
    return _detail(request.auth, case_id)


@_step("/{case_id}/temporary/complete-paperwork", "Emergency aid: the paperwork is complete")
def complete_paperwork(request, case_id: CaseId, payload: NoteIn):
    services.complete_emergency_paperwork(actor=request.auth, case_id=case_id, note=payload.note, version=payload.version)
    return _detail(request.auth, case_id)


@_step("/{case_id}/temporary/quick-aid", "Small-amount quick aid: approve or refuse (within 3 working days)")
def quick_aid(request, case_id: CaseId, payload: QuickAidIn):
    services.decide_quick_aid(actor=request.auth, case_id=case_id, approve=payload.approve, amount=payload.amount,
                              reasons=payload.reasons, version=payload.version)
    return _detail(request.auth, case_id)


@_step("/{case_id}/temporary/approve", "Ordinary temporary aid: approve at the level the amount calls for")
def approve_temporary(request, case_id: CaseId, payload: AmountIn):
    services.approve_temporary_aid(actor=request.auth, case_id=case_id, amount=payload.amount, note=payload.note,
                                   version=payload.version)
    return _detail(request.auth, case_id)


# --------------------------------------------------------------------------------------------
# Supporters of a special-hardship applicant (not a step: the list changes until the town opinion)
# --------------------------------------------------------------------------------------------

def _supporter_out(row) -> dict:
    return {"id": row.pk, "name": row.name, "id_number": mask_id_number(row.id_number) if row.id_number else "",
            "birth_date": row.birth_date, "relation": row.relation, "inability": row.inability,
            "disability_type": row.disability_type, "disability_grade": row.disability_grade, "note": row.note,
            "recorded_by": row.recorded_by}


@router.get("/{case_id}/supporters", response=responses(list[SupporterOut]), summary="The supporters recorded on a case")
def list_supporters(request, case_id: CaseId):
    return [_supporter_out(s) for s in supporters.supporters_of(request.auth, case_id)]


@router.post("/{case_id}/supporters", response=responses(SupporterOut, ok_status=201),
             summary="Record a supporter of a special-hardship applicant (the same ID number again corrects him)")
def record_supporter(request, case_id: CaseId, payload: SupporterIn):
    row = supporters.record_supporter(actor=request.auth, case_id=case_id, **payload.dict())
    return Status(201, _supporter_out(row))


@router.get("/{case_id}/supporters/proposed", response=responses(list[ProposedSupporterOut]),
            summary="The supporters the registry proposes (relatives bound by law, judged on their own households)")
def list_proposed_supporters(request, case_id: CaseId):
    return [{"name": k.name, "id_number": mask_id_number(k.id_number), "birth_date": k.birth_date, "relation": k.relation,
             "same_household": k.same_household, "inability": k.inability, "why": str(k.why) if k.why else "",
             "notes": [str(n) for n in k.notes], "recorded": k.recorded}
            for k in supporters.proposed_supporters(request.auth, case_id)]


@router.post("/{case_id}/supporters/proposed", response=responses(list[SupporterOut], ok_status=201),
             summary="Record every supporter the registry proposes that is not recorded yet, in one action")
def record_proposed_supporters(request, case_id: CaseId):
    rows = supporters.record_proposed_supporters(actor=request.auth, case_id=case_id)
    return Status(201, [_supporter_out(row) for row in rows])


@router.delete("/{case_id}/supporters/{supporter_id}", response=responses(None, ok_status=204),
               summary="Take a supporter off the case")
def remove_supporter(request, case_id: CaseId, supporter_id: Annotated[int, Path(..., ge=1, le=MAX_ID)]):
    supporters.remove_supporter(actor=request.auth, case_id=case_id, supporter_id=supporter_id)
    return Status(204, None)


ACTIONS_BY_ENDPOINT = {
    "accept": "accept", "materials": "request_materials", "resume": "resume", "survey": "record_survey",
    "county-visit": "record_county_visit", "verification": "verify", "deliberation": "hold_deliberation",
    "town-opinion": "give_town_opinion", "notice": "publish_notice", "objections": "record_objection",
    "objections/answer": "answer_objection", "notice/close": "close_notice", "confirm": "confirm", "refuse": "refuse",
    "return": "return_for_supplement",
    "withdraw": "withdraw", "reopen": "reopen", "extend": "extend", "temporary/pay-first": "pay_first",
    "temporary/switch-to-ordinary": "switch_to_ordinary",
    "temporary/complete-paperwork": "complete_paperwork", "temporary/quick-aid": "approve_quick_aid",
    "temporary/approve": "approve_temporary_aid",
}
assert set(ACTIONS_BY_ENDPOINT.values()) <= workflow.ACTIONS
