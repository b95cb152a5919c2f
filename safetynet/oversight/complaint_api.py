"""Complaints over HTTP (issue 18 part 2), under /api/v1/oversight/: list and read the complaints
the post's offices handle, file one from a staff channel, and each action (assign, investigate,
note, decide, reply, close), through the services the pages call.

Errors: 403 for the role, 404 outside the area (a sensitive complaint about a town does not exist
for the town), 409 for a step out of order, 422 for the input, with the field. The reporter's name
and contact are empty unless `complaints.may_see_reporter`.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import StringConstraints

from safetynet.core.apischemas import NO_NUL, SOME_TEXT, InputSchema, PageQuery, responses
from safetynet.core.errors import NotFound
from safetynet.core.pagination import api_page
from safetynet.core.scoping import get_in_scope
from safetynet.core.text import normalise_text

from . import complaints as svc
from .complaint_selectors import ComplaintFilter, filtered_complaints
from .models import (
    STAFF_CHANNELS,
    ClockState,
    Complaint,
    ComplaintChannel,
    ComplaintFinding,
    ComplaintStatus,
)

router = Router(tags=["oversight"])

MAX_ID = 2_147_483_647
Id = Annotated[int, Path(..., ge=1, le=MAX_ID)]
Text = Annotated[str, StringConstraints(max_length=5000, pattern=NO_NUL)]
Note = Annotated[str, StringConstraints(max_length=2000, pattern=NO_NUL)]


class ComplaintEventOut(Schema):
    kind: str
    at: dt.datetime
    by: str
    note: str
    data: dict


class ComplaintOut(Schema):
    id: int
    reference: str
    channel: str
    category: str
    area: str
    handling_area: str
    subject: str
    status: str
    clock_state: str
    anonymous: bool
    reporter_name: str = Field(description="empty unless the post may see who filed (the county's supervision inspector)")
    reporter_contact: str
    received_on: dt.date
    response_due_on: dt.date
    resolution_due_on: dt.date
    responded_on: dt.date | None
    assigned_to: str
    escalations: int
    finding: str
    decided_on: dt.date | None
    replied_on: dt.date | None
    closed_on: dt.date | None
    case: int | None
    enrollment: int | None
    appeal_of: int | None
    follow_up: str


class ComplaintDetailOut(ComplaintOut):
    content: str
    result: str
    reply: str
    attachments: list[str]
    allowed_actions: list[str]
    events: list[ComplaintEventOut]


class ComplaintPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ComplaintOut]


def _complaint(c: Complaint, actor, on: dt.date) -> dict:
    sees = svc.may_see_reporter(actor)
    return {
        "id": c.pk, "reference": c.reference, "channel": c.channel, "category": c.category.code, "area": c.area_id,
        "handling_area": c.handling_area_id, "subject": c.subject, "status": c.status,
        "clock_state": svc.clock_state(c, on), "anonymous": c.anonymous,
        "reporter_name": c.reporter_name if sees else "", "reporter_contact": c.reporter_contact if sees else "",
        "received_on": c.received_on, "response_due_on": c.response_due_on, "resolution_due_on": c.resolution_due_on,
        "responded_on": c.responded_on, "assigned_to": c.assigned_to.username if c.assigned_to_id else "",
        "escalations": c.escalations, "finding": c.finding, "decided_on": c.decided_on, "replied_on": c.replied_on,
        "closed_on": c.closed_on, "case": c.case_id, "enrollment": c.enrollment_id, "appeal_of": c.appeal_of_id,
        "follow_up": c.follow_up,
    }


def _detail(actor, complaint_id: int) -> dict:
    c = get_in_scope(svc.complaints_in_scope(actor).select_related("category", "assigned_to"), actor, "handling_area",
                     pk=complaint_id)
    out = _complaint(c, actor, svc.today())
    out.update({"content": c.content, "result": c.result, "reply": c.reply,
                "attachments": [a.original_name for a in c.attachments.all()],
                "allowed_actions": svc.allowed_actions(c, actor),
                "events": [{"kind": e.kind, "at": e.at, "by": e.by, "note": e.note, "data": e.data}
                           for e in c.events.order_by("at", "id")]})
    return out


class ComplaintQuery(PageQuery):
    status: Literal[("open", *ComplaintStatus.values)] | None = Field(None, description="a status, or open")  # type: ignore[valid-type]
    clock: Literal[tuple(ClockState.values)] | None = None  # type: ignore[valid-type]
    category: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,40}$")] | None = None
    channel: Literal[tuple(ComplaintChannel.values)] | None = None  # type: ignore[valid-type]
    town: Annotated[str, StringConstraints(pattern=r"^[0-9]{9}$")] | None = Field(None, description="the town of the matter")
    q: Annotated[str, StringConstraints(max_length=60, pattern=NO_NUL)] | None = Field(
        None, description="a reference (TS...) or words of the subject")


@router.get("/complaints", response=responses(ComplaintPage), summary="Complaints handled by the post's offices")
def list_complaints(request, filters: Query[ComplaintQuery]):
    actor = request.auth
    on = svc.today()
    chosen = ComplaintFilter(status=filters.status or "", clock=filters.clock or "", category=filters.category or "",
                             channel=filters.channel or "", town=filters.town or "", q=filters.q or "")
    qs = filtered_complaints(actor, chosen, on).select_related("category", "assigned_to")
    return api_page(qs, offset=filters.offset, limit=filters.limit, item=lambda c: _complaint(c, actor, on))


@router.get("/complaints/{complaint_id}", response=responses(ComplaintDetailOut),
            summary="One complaint, its timeline and the actions the post may take")
def get_complaint(request, complaint_id: Id):
    return _detail(request.auth, complaint_id)


class ComplaintFileIn(InputSchema):
    channel: Literal[tuple(c.value for c in STAFF_CHANNELS)]  # type: ignore[valid-type]
    category: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,40}$")]
    content: Annotated[str, StringConstraints(min_length=1, max_length=5000, pattern=SOME_TEXT)] = Field(
        ..., description="what is reported")
    area: Annotated[str, StringConstraints(pattern=r"^[0-9]{9,18}$")] | None = Field(
        None, description="the village or town concerned (empty: the case's or enrollment's)")
    subject: Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL)] = ""
    reporter_name: Annotated[str, StringConstraints(max_length=50, pattern=NO_NUL)] = Field(
        "", description="the reporter's name; empty: filed anonymously (the contact is then not kept)")
    reporter_contact: Annotated[str, StringConstraints(max_length=100, pattern=NO_NUL)] = ""
    case: int | None = Field(None, ge=1, le=MAX_ID)
    enrollment: int | None = Field(None, ge=1, le=MAX_ID)
    received_on: dt.date | None = None


class ComplaintFiledOut(ComplaintDetailOut):
    token: str = Field(description="given once: the reporter follows the complaint with it")


@router.post("/complaints", response=responses(ComplaintFiledOut, ok_status=201),
             summary="File a complaint from the hotline, a letter or a visit (the token is answered once)")
def file_complaint(request, payload: ComplaintFileIn):
    actor = request.auth
    filed = svc.file_complaint(actor, svc.ComplaintInput(
        channel=payload.channel, category=payload.category, content=payload.content, area_code=payload.area or "",
        subject=payload.subject, anonymous=not normalise_text(payload.reporter_name), reporter_name=payload.reporter_name,
        reporter_contact=payload.reporter_contact, case_id=payload.case, enrollment_id=payload.enrollment,
        received_on=payload.received_on))
    try:
        out = _detail(actor, filed.complaint.pk)
    except NotFound:       # a sensitive complaint went past the town that typed it in
        filed.complaint.refresh_from_db()
        out = {**_detail_defaults(), **_complaint(filed.complaint, actor, svc.today())}
    return Status(201, {**out, "token": filed.token})


def _detail_defaults() -> dict:
    return {"content": "", "result": "", "reply": "", "attachments": [], "allowed_actions": [], "events": []}


class ComplaintAssignIn(InputSchema):
    assignee: int = Field(..., ge=1, le=MAX_ID, description="a user holding a post that handles complaints at the office")


@router.post("/complaints/{complaint_id}/assign", response=responses(ComplaintDetailOut), summary="Assign the complaint")
def assign(request, complaint_id: Id, payload: ComplaintAssignIn):
    svc.assign_complaint(actor=request.auth, complaint_id=complaint_id, assignee_id=payload.assignee)
    return _detail(request.auth, complaint_id)


class ComplaintNoteIn(InputSchema):
    note: Note = ""


@router.post("/complaints/{complaint_id}/investigate", response=responses(ComplaintDetailOut),
             summary="Start the investigation")
def investigate(request, complaint_id: Id, payload: ComplaintNoteIn):
    svc.start_investigation(actor=request.auth, complaint_id=complaint_id, note=payload.note)
    return _detail(request.auth, complaint_id)


class ComplaintRequiredNoteIn(InputSchema):
    note: Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=NO_NUL)]


@router.post("/complaints/{complaint_id}/note", response=responses(ComplaintDetailOut),
             summary="Add a staff note (never shown to the reporter)")
def note(request, complaint_id: Id, payload: ComplaintRequiredNoteIn):
    svc.add_complaint_note(actor=request.auth, complaint_id=complaint_id, note=payload.note)
    return _detail(request.auth, complaint_id)


class ComplaintDecideIn(InputSchema):
    finding: Literal[tuple(ComplaintFinding.values)]  # type: ignore[valid-type]
    result: Annotated[str, StringConstraints(min_length=1, max_length=5000, pattern=NO_NUL)]


@router.post("/complaints/{complaint_id}/decide", response=responses(ComplaintDetailOut),
             summary="Record the result (a substantiated one re-opens the case or opens a re-check)")
def decide(request, complaint_id: Id, payload: ComplaintDecideIn):
    svc.decide_complaint(actor=request.auth, complaint_id=complaint_id, finding=payload.finding, result=payload.result)
    return _detail(request.auth, complaint_id)


class ComplaintReplyIn(InputSchema):
    answer: Annotated[str, StringConstraints(min_length=1, max_length=5000, pattern=NO_NUL)]


@router.post("/complaints/{complaint_id}/reply", response=responses(ComplaintDetailOut),
             summary="Answer the reporter (they read it with their token)")
def reply(request, complaint_id: Id, payload: ComplaintReplyIn):
    svc.reply_to_reporter(actor=request.auth, complaint_id=complaint_id, answer=payload.answer)
    return _detail(request.auth, complaint_id)


@router.post("/complaints/{complaint_id}/close", response=responses(ComplaintDetailOut), summary="Close the complaint")
def close(request, complaint_id: Id, payload: ComplaintNoteIn):
    svc.close_complaint(actor=request.auth, complaint_id=complaint_id, note=payload.note)
    return _detail(request.auth, complaint_id)
