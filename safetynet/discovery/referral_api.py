"""Referrals over HTTP (`/api/v1/discovery/`, issue 17 part 3): the county's catalogue of agencies,
referrals (from a lead, answered, withdrawn), the town's one door (one POST that opens a lead and
routes it) and a household's assistance chain.

Each POST calls the service the pages call (`referral_services`), so no rule is written twice.
Errors: 403 for the role, 404 outside the area, 409 for a second open referral of one kind or a
settled referral, 422 for the input, with the field.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import StringConstraints

from safetynet.core.apischemas import NO_NUL, SOME_LINE, InputSchema, PageQuery, responses
from safetynet.core.pagination import api_page

from . import referral_chain, referral_services as referrals
from .models import Cause, CloseReason, Source, Urgency
from .referral_models import AgencyKind, ReferralAnswer

router = Router(tags=["discovery"])

MAX_ID = 2_147_483_647
Id = Annotated[int, Path(..., ge=1, le=MAX_ID)]
Short = Annotated[str, StringConstraints(max_length=100, pattern=NO_NUL)]
Note = Annotated[str, StringConstraints(max_length=500, pattern=NO_NUL)]
Text = Annotated[str, StringConstraints(max_length=2000, pattern=NO_NUL)]
# What a person needs, in words: required, so at least one character that is not a space.
Need = Annotated[str, StringConstraints(max_length=2000,
                                        pattern=SOME_LINE)]
AreaCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{12,15}$")]
AgencyId = Annotated[int, Field(ge=1, le=MAX_ID)]


# --------------------------------------------------------------------------------------------
# Agencies
# --------------------------------------------------------------------------------------------
class AgencyOut(Schema):
    id: int
    county: str
    kind: str
    name: str
    contact_person: str
    phone: str
    address: str
    answer_days: int
    active: bool


def _agency(a) -> dict:
    return {"id": a.pk, "county": a.area_id, "kind": a.kind, "name": a.name, "contact_person": a.contact_person,
            "phone": a.phone, "address": a.address, "answer_days": a.answer_days, "active": a.active}


class AgencyPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[AgencyOut]


class AgencyFilter(PageQuery):
    active: bool | None = Field(None, description="true: in the catalogue; false: retired; empty: all")
    kind: Literal[tuple(AgencyKind.values)] | None = None


@router.get("/agencies", response=responses(AgencyPage), summary="The county's referral catalogue")
def list_agencies(request, filters: Query[AgencyFilter]):
    request.auth.require(referrals.VIEW)
    qs = referrals.agencies_for(request.auth)
    if filters.active is not None:
        qs = qs.filter(active=filters.active)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    return api_page(qs, offset=filters.offset, limit=filters.limit, item=_agency)


class AgencyIn(InputSchema):
    kind: Literal[tuple(AgencyKind.values)]
    name: Short
    contact_person: Short = ""
    phone: Annotated[str, StringConstraints(max_length=30, pattern=NO_NUL)] = ""
    address: Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL)] = ""
    answer_days: int | None = Field(None, ge=1, le=60, description="empty: the catalogue's referral_answer_days")
    active: bool = True


@router.post("/agencies", response=responses(AgencyOut, ok_status=201), summary="Add an agency to the catalogue")
def create_agency(request, payload: AgencyIn):
    agency = referrals.save_agency(actor=request.auth, **payload.dict())
    return Status(201, _agency(agency))


@router.put("/agencies/{agency_id}", response=responses(AgencyOut), summary="Change an agency (active=false retires it)")
def update_agency(request, agency_id: Id, payload: AgencyIn):
    return _agency(referrals.save_agency(actor=request.auth, agency_id=agency_id, **payload.dict()))


# --------------------------------------------------------------------------------------------
# Referrals
# --------------------------------------------------------------------------------------------
class ReferralOut(Schema):
    id: int
    number: str
    lead: int | None
    household: int | None
    name: str
    area: str
    agency: int
    agency_name: str
    kind: str
    need: str
    sent_on: dt.date
    due_on: dt.date
    overdue: bool
    status: str
    answer: str
    answer_note: str
    answered_at: dt.datetime | None
    answered_on: dt.date | None
    withdrawn_reason: str


def _referral(r, today: dt.date) -> dict:
    return {"id": r.pk, "number": r.number, "lead": r.lead_id, "household": r.household_id, "name": r.name,
            "area": r.area_id, "agency": r.agency_id, "agency_name": r.agency.name, "kind": r.kind, "need": r.need,
            "sent_on": r.sent_on, "due_on": r.due_on, "overdue": referrals.is_overdue(r, today), "status": r.status,
            "answer": r.answer, "answer_note": r.answer_note, "answered_at": r.answered_at,
            "answered_on": r.answered_on, "withdrawn_reason": r.withdrawn_reason}


class ReferralPage(Schema):
    count: int
    limit: int
    offset: int
    overdue: int
    items: list[ReferralOut]


class ReferralFilter(PageQuery):
    state: Literal[referrals.REFERRAL_STATES] | None = None
    agency: int | None = Field(None, ge=1, le=MAX_ID)
    household: int | None = Field(None, ge=1, le=MAX_ID)
    overdue: bool | None = Field(None, description="true: sent and past the answer's due day")


@router.get("/referrals", response=responses(ReferralPage), summary="Referrals in scope, the oldest due first")
def list_referrals(request, filters: Query[ReferralFilter]):
    today = referrals.services.today()
    qs = referrals.referrals_in_scope(request.auth, state=filters.state or "", agency_id=filters.agency,
                                      household_id=filters.household, overdue=filters.overdue, on=today)
    page = api_page(qs, offset=filters.offset, limit=filters.limit, item=lambda r: _referral(r, today))
    page["overdue"] = referrals.referral_counts(request.auth, today)["overdue"]
    return page


@router.get("/referrals/{referral_id}", response=responses(ReferralOut), summary="One referral")
def get_referral(request, referral_id: Id):
    return _referral(referrals.get_referral(request.auth, referral_id), referrals.services.today())


class ReferIn(InputSchema):
    agencies: list[AgencyId] = Field(..., min_length=1, max_length=referrals.MAX_AGENCIES)
    need: Need


@router.post("/leads/{lead_id}/referrals", response=responses(list[ReferralOut], ok_status=201),
             summary="End an open lead as referrals to agencies of the catalogue")
def refer_lead(request, lead_id: Id, payload: ReferIn):
    made = referrals.refer_lead(request.auth, lead_id, payload.agencies, payload.need)
    today = referrals.services.today()
    return Status(201, [_referral(r, today) for r in made])


class AnswerIn(InputSchema):
    answer: Literal[tuple(ReferralAnswer.values)]
    note: Note = ""


@router.post("/referrals/{referral_id}/answer", response=responses(ReferralOut), summary="Record the agency's answer")
def answer_referral(request, referral_id: Id, payload: AnswerIn):
    r = referrals.record_referral_answer(actor=request.auth, referral_id=referral_id, answer=payload.answer,
                                         note=payload.note)
    return _referral(r, referrals.services.today())


class WithdrawIn(InputSchema):
    reason: Note


@router.post("/referrals/{referral_id}/withdraw", response=responses(ReferralOut), summary="Withdraw a referral not settled")
def withdraw_referral(request, referral_id: Id, payload: WithdrawIn):
    r = referrals.withdraw_referral(actor=request.auth, referral_id=referral_id, reason=payload.reason)
    return _referral(r, referrals.services.today())


# --------------------------------------------------------------------------------------------
# One door
# --------------------------------------------------------------------------------------------
class WindowIn(InputSchema):
    source: Literal["walk_in", "phone"]
    cause: Literal[tuple(Cause.values)]
    need: Need
    route: Literal["apply", "refer", "close"]
    household: int | None = Field(None, ge=1, le=MAX_ID, description="a registered household; or name, area, address")
    name: Annotated[str, StringConstraints(max_length=50, pattern=NO_NUL)] = ""
    area: AreaCode | None = Field(None, description="the village (or group, grid) of a person not registered")
    address: Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL)] = ""
    phone: Annotated[str, StringConstraints(max_length=30, pattern=NO_NUL)] = ""
    urgency: Literal[tuple(Urgency.values)] = "normal"
    program: Literal["dibao", "special_hardship", "temporary"] | None = Field(None, description="route apply")
    applicant: int | None = Field(None, ge=1, le=MAX_ID, description="route apply: a member of the household")
    kind: Literal["household", "individual", "emergency", "quick", "ordinary"] | None = None
    requested_amount: Decimal | None = Field(None, ge=0, le=1_000_000, decimal_places=2)
    accept: bool = False
    agencies: list[AgencyId] = Field([], max_length=referrals.MAX_AGENCIES, description="route refer")
    close_reason: Literal[tuple(CloseReason.values)] | None = Field(None, description="route close")
    close_note: Note = ""


class WindowOut(Schema):
    lead: int
    lead_number: str
    joined: bool
    route: str
    lead_status: str
    case: int | None
    referrals: list[ReferralOut]


@router.post("/window", response=responses(WindowOut, ok_status=201),
             summary="One-door acceptance: take a walk-in or a phone call once and route it at once")
def take_at_window(request, payload: WindowIn):
    result = referrals.take_at_window(request.auth, referrals.WindowIntake(
        source=Source(payload.source), cause=payload.cause, need=payload.need, route=payload.route,
        household_id=payload.household, name=payload.name, area_code=payload.area or "", address=payload.address,
        phone=payload.phone, urgency=payload.urgency, program_code=payload.program or "", applicant_id=payload.applicant,
        kind=payload.kind, requested_amount=payload.requested_amount, accept=payload.accept,
        agency_ids=payload.agencies, close_reason=payload.close_reason or "", close_note=payload.close_note))
    today = referrals.services.today()
    return Status(201, {"lead": result.lead.pk, "lead_number": result.lead.number, "joined": result.joined,
                        "route": result.route, "lead_status": result.lead.status, "case": result.case_id,
                        "referrals": [_referral(r, today) for r in result.referrals]})


# --------------------------------------------------------------------------------------------
# The assistance chain
# --------------------------------------------------------------------------------------------
class ChainEntryOut(Schema):
    on: dt.date
    kind: str
    id: int
    number: str
    title: str
    help_kind: str
    help_label: str
    status: str
    detail: str
    until: dt.date | None
    open_need: bool
    twice: bool


class ChainOut(Schema):
    household: int
    head_name: str
    open_needs: int
    twice: list[str]
    shows_cases: bool
    shows_enrollments: bool
    entries: list[ChainEntryOut]


@router.get("/households/{household_id}/chain", response=responses(ChainOut),
            summary="A household's assistance chain: applications, enrollments, referrals and leads in date order")
def household_chain(request, household_id: Id):
    chain = referral_chain.assistance_chain(request.auth, household_id, links=False)
    return {"household": chain.household.pk, "head_name": chain.head_name, "open_needs": chain.open_needs,
            "twice": chain.twice, "shows_cases": chain.shows_cases, "shows_enrollments": chain.shows_enrollments,
            "entries": [e.__dict__ for e in chain.entries]}
