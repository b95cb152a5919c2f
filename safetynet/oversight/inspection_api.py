"""Inspections over HTTP (`/api/v1/oversight/inspections/`, issue 18 part 5): the overview of a
post's scope, and findings: recorded by an inspector, answered by the responsible office, accepted
or returned by the inspector. The only writes an inspector's post may make anywhere. Exports are
pages (`/oversight/inspections/export/...`), served through the view that checks the post.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import StringConstraints

from safetynet.core.apischemas import NO_NUL, InputSchema, PageQuery, responses
from safetynet.core.pagination import api_page

from . import inspection_overview, inspections
from .complaints import today
from .inspection_models import FindingStatus

router = Router(tags=["oversight"])

MAX_ID = 2_147_483_647
Id = Annotated[int, Path(..., ge=1, le=MAX_ID)]
Subject = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NO_NUL)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=5000, pattern=NO_NUL)]
Note = Annotated[str, StringConstraints(max_length=2000, pattern=NO_NUL)]


class InspectionOverviewOut(Schema):
    area: str
    counts: dict[str, int]


@router.get("/inspections/overview", response=responses(InspectionOverviewOut),
            summary="What is in the post's scope, counted")
def overview(request):
    return {"area": request.auth.area_code, "counts": inspection_overview.scope_counts(request.auth, today())}


class InspectionFindingOut(Schema):
    id: int
    reference: str
    body: str
    inspector: str
    office: str
    office_name: str
    subject: str
    text: str
    case: int | None
    enrollment: int | None
    status: str
    overdue: bool
    recorded_on: dt.date
    due_on: dt.date
    answer: str
    answered_on: dt.date | None
    accepted_on: dt.date | None
    times_returned: int


def _finding(f) -> dict:
    return {"id": f.pk, "reference": f.reference, "body": f.body, "inspector": f.inspector.username, "office": f.office_id,
            "office_name": f.office.name, "subject": f.subject, "text": f.text, "case": f.case_id,
            "enrollment": f.enrollment_id, "status": f.status, "overdue": inspections.is_overdue(f, today()),
            "recorded_on": f.recorded_on, "due_on": f.due_on, "answer": f.answer, "answered_on": f.answered_on,
            "accepted_on": f.accepted_on, "times_returned": f.times_returned}


class InspectionFindingPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[InspectionFindingOut]


class InspectionFindingFilter(PageQuery):
    status: Literal[tuple(FindingStatus.values)] | None = None
    office: str = Field("", pattern=r"^([0-9]{6}|[0-9]{9})?$")


@router.get("/inspections/findings", response=responses(InspectionFindingPage),
            summary="Inspection findings addressed to offices in the post's area")
def list_findings(request, filters: Query[InspectionFindingFilter]):
    qs = inspections.findings_in_scope(request.auth, status=filters.status or "", office=filters.office)
    return api_page(qs.select_related("inspector"), offset=filters.offset, limit=filters.limit, item=_finding)


class InspectionFindingIn(InputSchema):
    office: Annotated[str, StringConstraints(pattern=r"^([0-9]{6}|[0-9]{9})$")]
    subject: Subject
    text: Text
    case: int | None = Field(None, ge=1, le=MAX_ID)
    enrollment: int | None = Field(None, ge=1, le=MAX_ID)


@router.post("/inspections/findings", response=responses(InspectionFindingOut, ok_status=201),
             summary="Record a finding on an office in the inspector's scope")
def record(request, payload: InspectionFindingIn):
    f = inspections.record_finding(actor=request.auth, office_code=payload.office, subject=payload.subject,
                                   text=payload.text, case_id=payload.case, enrollment_id=payload.enrollment, on=today())
    return Status(201, _finding(f))


@router.get("/inspections/findings/{finding_id}", response=responses(InspectionFindingOut), summary="One finding")
def get_finding(request, finding_id: Id):
    return _finding(inspections.get_finding(request.auth, finding_id))


class InspectionAnswerIn(InputSchema):
    answer: Text


@router.post("/inspections/findings/{finding_id}/answer", response=responses(InspectionFindingOut),
             summary="The responsible office answers the finding")
def answer(request, finding_id: Id, payload: InspectionAnswerIn):
    return _finding(inspections.answer_finding(actor=request.auth, finding_id=finding_id, answer=payload.answer,
                                               on=today()))


class InspectionDecisionIn(InputSchema):
    note: Note = ""


@router.post("/inspections/findings/{finding_id}/accept", response=responses(InspectionFindingOut),
             summary="The inspector accepts the office's answer")
def accept(request, finding_id: Id, payload: InspectionDecisionIn):
    return _finding(inspections.accept_answer(actor=request.auth, finding_id=finding_id, note=payload.note, on=today()))


@router.post("/inspections/findings/{finding_id}/return", response=responses(InspectionFindingOut),
             summary="The inspector returns the answer to the office (a note says why)")
def send_back(request, finding_id: Id, payload: InspectionDecisionIn):
    return _finding(inspections.return_answer(actor=request.auth, finding_id=finding_id, note=payload.note, on=today()))
