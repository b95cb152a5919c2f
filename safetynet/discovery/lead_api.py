"""Leads over HTTP (issue 17 part 6): list and read leads, each action a lead takes, and the
dashboard's figures, under /api/v1/discovery/.

Reads through `discovery.selectors` (scoped: another area's lead answers 404); each POST calls
the service the pages call. Errors: 403 for the role, 404 outside the area, 409 for a lead that
has ended or a household that already has an open lead, 422 for the input, with the field.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Path, Query, Router, Schema
from pydantic import StringConstraints

from safetynet.core.apischemas import NO_NUL, InputSchema, PageQuery, responses
from safetynet.core.masking import mask_name, mask_phone
from safetynet.core.pagination import api_page

from . import selectors, services
from .models import OPEN_STATUSES, Cause, CloseReason, LeadStatus, Source, WarningLevel

router = Router(tags=["discovery"])

MAX_ID = 2_147_483_647
Id = Annotated[int, Path(..., ge=1, le=MAX_ID)]
Note = Annotated[str, StringConstraints(max_length=2000, pattern=NO_NUL)]
ShortNote = Annotated[str, StringConstraints(max_length=500, pattern=NO_NUL)]


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------
class LeadReportOut(Schema):
    id: int
    received_at: dt.datetime
    reporter: str
    cause: str
    urgency: str
    note: str
    latitude: float | None
    longitude: float | None
    has_photo: bool
    photo_refused: str


class LeadEventOut(Schema):
    kind: str
    at: dt.datetime
    by: str
    note: str
    data: dict


class LeadOut(Schema):
    id: int
    number: str
    area: str
    household: int | None
    person: int | None
    name: str
    approximate_age: int | None
    address: str
    phone: str
    source: str
    cause: str
    causes: list[str]
    urgency: str
    level: str
    description: str
    status: str
    opened_at: dt.datetime
    opened_on: dt.date
    acknowledge_due_on: dt.date
    visit_due_on: dt.date
    acknowledged_at: dt.datetime | None
    visited_at: dt.datetime | None
    in_need: bool | None
    visit_note: str
    overdue: bool
    escalation: str
    escalated_at: dt.datetime | None
    ended_at: dt.datetime | None
    close_reason: str
    close_note: str
    case: int | None
    merged_into: int | None


class LeadDetailOut(LeadOut):
    reports: list[LeadReportOut]
    events: list[LeadEventOut]


class LeadPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[LeadOut]


def _lead(lead, actor, today: dt.date) -> dict:
    whole = actor.can(services.WORK) or actor.can(services.REPORT)
    overdue = lead.status in OPEN_STATUSES and (
        (lead.acknowledged_at is None and lead.acknowledge_due_on < today)
        or (lead.visited_at is None and lead.visit_due_on < today))
    return {
        "id": lead.pk, "number": lead.number, "area": lead.area_id, "household": lead.household_id, "person": lead.person_id,
        "name": lead.name if whole else mask_name(lead.name), "approximate_age": lead.approximate_age,
        "address": lead.address if whole else "", "phone": lead.phone if whole else mask_phone(lead.phone),
        "source": lead.source, "cause": lead.cause, "causes": list(lead.causes), "urgency": lead.urgency, "level": lead.level,
        "description": lead.description if whole else "", "status": lead.status, "opened_at": lead.opened_at,
        "opened_on": lead.opened_on, "acknowledge_due_on": lead.acknowledge_due_on, "visit_due_on": lead.visit_due_on,
        "acknowledged_at": lead.acknowledged_at, "visited_at": lead.visited_at, "in_need": lead.in_need,
        "visit_note": lead.visit_note if whole else "", "overdue": overdue, "escalation": lead.escalation,
        "escalated_at": lead.escalated_at, "ended_at": lead.ended_at, "close_reason": lead.close_reason,
        "close_note": lead.close_note if whole else "", "case": lead.case_id, "merged_into": lead.merged_into_id,
    }


def _detail(lead, actor) -> dict:
    today = services.today()
    out = _lead(lead, actor, today)
    whole = actor.can(services.WORK) or actor.can(services.REPORT)
    out["reports"] = [{"id": r.pk, "received_at": r.received_at, "reporter": r.reporter.username, "cause": r.cause,
                       "urgency": r.urgency, "note": r.note if whole else "",
                       "latitude": float(r.latitude) if r.latitude is not None else None,
                       "longitude": float(r.longitude) if r.longitude is not None else None,
                       "has_photo": bool(r.photo), "photo_refused": r.photo_refused}
                      for r in lead.reports.select_related("reporter").order_by("received_at", "id")]
    out["events"] = [{"kind": e.kind, "at": e.at, "by": e.by.username if e.by_id else "", "note": e.note if whole else "",
                      "data": e.data} for e in lead.events.select_related("by").order_by("at", "id")]
    return out


# ---------------------------------------------------------------------------------------------
# Reads
# ---------------------------------------------------------------------------------------------
class LeadQuery(PageQuery):
    state: Literal[("open", "ended", *LeadStatus.values)] | None = Field(  # type: ignore[valid-type]
        None, description="a status, or open / ended")
    cause: Literal[tuple(Cause.values)] | None = None  # type: ignore[valid-type]
    source: Literal[tuple(Source.values)] | None = None  # type: ignore[valid-type]
    level: Literal[tuple(WarningLevel.values)] | None = None  # type: ignore[valid-type]
    escalated: Literal["any", "town_leader", "county"] | None = Field(None, description="open leads escalated (to whom)")
    overdue: bool | None = Field(None, description="true: open leads past a deadline they have not met")
    area: Annotated[str, StringConstraints(pattern=r"^[0-9]{6,18}$")] | None = Field(
        None, description="only leads under this area code (a village, group or grid)")
    age: Literal[tuple(k for k, _a, _b in selectors.AGE_BANDS)] | None = Field(  # type: ignore[valid-type]
        None, description="days since opened")
    q: Annotated[str, StringConstraints(max_length=50, pattern=NO_NUL)] | None = Field(None, description="a name or its beginning")


@router.get("/leads", response=responses(LeadPage), summary="Leads in scope (open first, sooner deadline first)")
def list_leads(request, filters: Query[LeadQuery]):
    actor = request.auth
    today = services.today()
    chosen = selectors.LeadFilter(state=filters.state or "", cause=filters.cause or "", source=filters.source or "",
                                  level=filters.level or "", escalated=filters.escalated or "", overdue=filters.overdue,
                                  village=filters.area or "", age=filters.age or "", q=filters.q or "")
    qs = selectors.ordered_for_work(selectors.filtered_leads(actor, chosen, today))
    return api_page(qs, offset=filters.offset, limit=filters.limit, item=lambda lead: _lead(lead, actor, today))


class AgeRowOut(Schema):
    state: str
    total: int
    ages: dict[str, int]


class StateAgeOut(Schema):
    today: dt.date
    rows: list[AgeRowOut]
    ended: dict[str, int]


@router.get("/leads/by-state-and-age", response=responses(StateAgeOut),
            summary="Open leads by state and days since opened; ended leads by how they ended")
def leads_by_state_and_age(request):
    today = services.today()
    table = selectors.state_age_table(request.auth, today)
    return {"today": today,
            "rows": [{"state": r["state"], "total": r["total"], "ages": {c["age"]: c["count"] for c in r["cells"]}}
                     for r in table["rows"]],
            "ended": {e["state"]: e["count"] for e in table["ended"]}}


class LeadTownOut(Schema):
    town: str
    town_name: str
    leads: int
    open: int
    overdue: int
    with_town_leader: int
    with_county: int
    acknowledged: int
    visited: int
    acknowledge_median_hours: float | None
    acknowledge_p90_hours: float | None
    visit_median_hours: float | None
    visit_p90_hours: float | None


class CountOut(Schema):
    label: str
    count: int
    cause: str = ""
    source: str = ""


class ConversionOut(Schema):
    leads: int
    applied: int
    confirmed: int
    enrolled: int


class DashboardOut(Schema):
    since: dt.date
    today: dt.date
    towns: list[LeadTownOut]
    all_towns: LeadTownOut
    by_cause: list[CountOut]
    by_source: list[CountOut]
    warnings_by_cause: list[CountOut]
    conversion: ConversionOut


class DashboardQuery(Schema):
    days: int = Field(30, ge=1, le=366, description="leads opened in the last so many days (1-366)")


@router.get("/dashboard", response=responses(DashboardOut), url_name="discovery_dashboard",
            summary="Response times (hours; median and 90th percentile) by town, leads by cause and source, "
                    "warnings by cause, overdue and escalated by town, conversion to enrollment")
def dashboard(request, query: Query[DashboardQuery]):
    return selectors.dashboard(request.auth, today=services.today(), days=query.days).as_dict()


@router.get("/leads/{lead_id}", response=responses(LeadDetailOut), summary="One lead, its reports and timeline")
def get_lead(request, lead_id: Id):
    return _detail(selectors.get_lead(request.auth, lead_id), request.auth)


# ---------------------------------------------------------------------------------------------
# Actions
# ---------------------------------------------------------------------------------------------
def _answer(request, lead_id: int) -> dict:
    return _detail(selectors.get_lead(request.auth, lead_id), request.auth)


@router.post("/leads/{lead_id}/acknowledge", response=responses(LeadDetailOut), summary="Acknowledge the lead")
def acknowledge(request, lead_id: Id):
    services.acknowledge_lead(actor=request.auth, lead_id=lead_id)
    return _answer(request, lead_id)


class VisitIn(InputSchema):
    in_need: bool = Field(..., description="whether the visit found the household in need")
    note: Note = Field(..., description="what the visit found")


@router.post("/leads/{lead_id}/visit", response=responses(LeadDetailOut), summary="Record the visit")
def visit(request, lead_id: Id, payload: VisitIn):
    services.record_visit(actor=request.auth, lead_id=lead_id, in_need=payload.in_need, note=payload.note)
    return _answer(request, lead_id)


class CloseIn(InputSchema):
    reason: Literal[tuple(CloseReason.values)]  # type: ignore[valid-type]
    note: ShortNote = ""


@router.post("/leads/{lead_id}/close", response=responses(LeadDetailOut), summary="Close the lead with a reason")
def close(request, lead_id: Id, payload: CloseIn):
    services.close_lead(actor=request.auth, lead_id=lead_id, reason=payload.reason, note=payload.note)
    return _answer(request, lead_id)


class MergeIn(InputSchema):
    into: int = Field(..., ge=1, le=MAX_ID, description="the open lead this one joins")


@router.post("/leads/{lead_id}/merge", response=responses(LeadDetailOut),
             summary="Merge the lead into another open lead (answers the lead it joined)")
def merge(request, lead_id: Id, payload: MergeIn):
    selectors.get_lead(request.auth, lead_id)          # the area first (404), then the input (422)
    into = services.merge_leads(actor=request.auth, lead_id=lead_id, into_id=payload.into)
    return _answer(request, into.pk)


class LinkIn(InputSchema):
    household: int = Field(..., ge=1, le=MAX_ID)


@router.post("/leads/{lead_id}/household", response=responses(LeadDetailOut), summary="Link a registered household")
def link(request, lead_id: Id, payload: LinkIn):
    services.link_household(actor=request.auth, lead_id=lead_id, household_id=payload.household)
    return _answer(request, lead_id)


class ApplyIn(InputSchema):
    program: Literal["dibao", "special_hardship", "temporary"]
    applicant: int = Field(..., ge=1, le=MAX_ID, description="a member of the lead's household")
    reason: ShortNote = Field("", description="empty: the lead's description")
    accept: bool = Field(False, description="taken at the town's window: accepted at once")
    kind: Literal["household", "individual", "emergency", "quick", "ordinary"] | None = None
    covered_person: int | None = Field(None, ge=1, le=MAX_ID)
    requested_amount: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,10}(\.[0-9]{1,2})?$")] | None = None


@router.post("/leads/{lead_id}/apply", response=responses(LeadDetailOut),
             summary="File an application from the lead (the lead ends as applied, the case linked)")
def apply(request, lead_id: Id, payload: ApplyIn):
    fields = {}
    if payload.kind:
        fields["kind"] = payload.kind
    if payload.covered_person:
        fields["covered_person_id"] = payload.covered_person
    if payload.requested_amount:
        fields["requested_amount"] = payload.requested_amount
    services.apply_from_lead(actor=request.auth, lead_id=lead_id, program_code=payload.program,
                             applicant_id=payload.applicant, accept=payload.accept, reason=payload.reason, **fields)
    return _answer(request, lead_id)

