"""Service projects over HTTP (`/api/v1/projects/`, issue 19 part 5): list and read, the county's
design, the panel, scores, the decision, funding, start, milestones, households served, the
outcome report, cancellation, and the county's figures. Thin: each operation calls the function
the pages call (`projects`, `project_selectors`, `project_overview`).

Proposals from organisations come through the public page only (`/projects/propose/`,
`public_project_views.py` says why), not through this API.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import StringConstraints

from safetynet.cases.schemas import Money
from safetynet.core.apischemas import NO_NUL, SOME_TEXT, InputSchema, PageQuery, responses
from safetynet.core.pagination import api_page

from . import project_selectors as selectors
from . import projects as svc
from .project_models import ProjectStatus, TargetGroup
from .project_overview import projects_at_a_glance

router = Router(tags=["projects"])

MAX_ID = 2_147_483_647
ProjectId = Annotated[int, Path(..., ge=1, le=MAX_ID)]
MilestoneId = Annotated[int, Path(..., ge=1, le=MAX_ID)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=SOME_TEXT)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=5000, pattern=SOME_TEXT)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=10000, pattern=SOME_TEXT)]
Note = Annotated[str, StringConstraints(max_length=2000, pattern=NO_NUL)]
Short = Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL)]
AreaCode = Annotated[str, StringConstraints(pattern=r"^([0-9]{6}|[0-9]{9})$")]


class ContactOut(Schema):
    name: str
    phone: str
    email: str
    masked: bool


class ProjectOut(Schema):
    id: int
    reference: str
    county: str
    area: str
    area_name: str
    title: str
    description: str
    target_group: str
    target_note: str
    budget: Decimal
    starts_on: dt.date
    ends_on: dt.date
    origin: str
    proposer_name: str
    proposer_uscc: str
    contact: ContactOut
    status: str
    received_on: dt.date
    decided_on: dt.date | None
    decision_note: str
    average_score: Decimal | None
    pass_score: int | None
    funded_total: Decimal


def _project(actor, p) -> dict:
    contact = selectors.contact_of(actor, p)
    return {"id": p.pk, "reference": p.reference, "county": p.county_id, "area": p.area_id, "area_name": p.area.name,
            "title": p.title, "description": p.description, "target_group": p.target_group,
            "target_note": p.target_note, "budget": p.budget, "starts_on": p.starts_on, "ends_on": p.ends_on,
            "origin": p.origin, "proposer_name": p.proposer_name, "proposer_uscc": p.proposer_uscc,
            "contact": {"name": contact.name, "phone": contact.phone, "email": contact.email, "masked": contact.masked},
            "status": p.status, "received_on": p.received_on, "decided_on": p.decided_on,
            "decision_note": p.decision_note, "average_score": p.average_score, "pass_score": p.pass_score,
            "funded_total": p.funded_total}


class ProjectPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ProjectOut]


class ProjectFilter(PageQuery):
    status: Literal[tuple(ProjectStatus.values)] | None = None
    q: str = Field("", max_length=50)


@router.get("", response=responses(ProjectPage), summary="Service projects in the post's area")
def list_projects(request, filters: Query[ProjectFilter]):
    qs = selectors.projects_in_scope(request.auth, status=filters.status or "", q=filters.q)
    return api_page(qs, offset=filters.offset, limit=filters.limit, item=lambda p: _project(request.auth, p))


class ProjectOverviewQuery(Schema):
    county: str = Field("", pattern=r"^([0-9]{6})?$", description="the county (empty: the post's own)")
    year: int | None = Field(None, ge=2000, le=2099, description="the year (empty: this year)")


class ProjectOverviewOut(Schema):
    county: str
    year: int
    projects: int
    by_status: dict[str, int]
    approved_budget: Decimal
    funded: Decimal
    households_served: int
    people_served: int


@router.get("/overview", response=responses(ProjectOverviewOut), summary="A county's projects of a year, counted")
def overview(request, query: Query[ProjectOverviewQuery]):
    actor = request.auth
    return projects_at_a_glance(actor, query.county or actor.area_code[:6], query.year or svc.today().year)


class ProjectIn(InputSchema):
    area: AreaCode
    title: Title
    description: Text
    target_group: Literal[tuple(TargetGroup.values)]
    target_note: Short = ""
    budget: Money
    starts_on: dt.date
    ends_on: dt.date
    proposer_name: Short = ""
    proposer_uscc: Annotated[str, StringConstraints(max_length=40, pattern=NO_NUL)] = ""
    contact_name: Annotated[str, StringConstraints(max_length=50, pattern=NO_NUL)] = ""
    contact_phone: Annotated[str, StringConstraints(max_length=20, pattern=NO_NUL)] = ""
    contact_email: Annotated[str, StringConstraints(max_length=254, pattern=NO_NUL)] = ""


@router.post("", response=responses(ProjectOut, ok_status=201), summary="The county designs a project")
def design(request, payload: ProjectIn):
    item = svc.ProjectInput(area_code=payload.area, **payload.dict(exclude={"area"}))
    return Status(201, _project(request.auth, svc.design_project(actor=request.auth, item=item)))


@router.get("/{project_id}", response=responses(ProjectOut), summary="One project")
def get_project(request, project_id: ProjectId):
    return _project(request.auth, selectors.get_project(request.auth, project_id))


class PanelIn(InputSchema):
    members: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(..., min_length=1, max_length=50)


class PanelMemberOut(Schema):
    user_id: int
    username: str
    score: int | None
    scale: int | None
    comment: str
    scored_on: dt.date | None


class PanelOut(Schema):
    project: ProjectOut
    members: list[PanelMemberOut]
    scored: int
    average: Decimal | None
    score_max: int
    pass_score: int


def _panel(actor, project) -> dict:
    standing = svc.standing_of(project)
    return {"project": _project(actor, project),
            "members": [{k: r[k] for k in ("user_id", "username", "score", "scale", "comment", "scored_on")}
                        for r in selectors.panel_rows(project)],
            "scored": standing.scored, "average": standing.average, "score_max": standing.scale.maximum,
            "pass_score": standing.scale.pass_score}


@router.get("/{project_id}/panel", response=responses(PanelOut), summary="The panel, its scores and the average")
def get_panel(request, project_id: ProjectId):
    return _panel(request.auth, selectors.get_project(request.auth, project_id))


@router.put("/{project_id}/panel", response=responses(PanelOut), summary="Set the evaluation panel")
def set_panel(request, project_id: ProjectId, payload: PanelIn):
    project = svc.set_panel(actor=request.auth, project_id=project_id, user_ids=payload.members)
    return _panel(request.auth, project)


class EvaluationIn(InputSchema):
    score: int
    comment: Text
    criteria: dict[Literal[tuple(svc.CRITERIA)], int] = Field(default_factory=dict)


class EvaluationOut(Schema):
    project: int
    score: int
    scale: int
    criteria: dict[str, int]
    comment: str
    scored_on: dt.date


@router.post("/{project_id}/evaluations", response=responses(EvaluationOut, ok_status=201),
             summary="A panel member scores the project (once)")
def evaluate(request, project_id: ProjectId, payload: EvaluationIn):
    e = svc.evaluate_project(actor=request.auth, project_id=project_id, score=payload.score, comment=payload.comment,
                             criteria=payload.criteria)
    return Status(201, {"project": project_id, "score": e.score, "scale": e.scale, "criteria": e.criteria,
                        "comment": e.comment, "scored_on": e.scored_on})


class DecisionIn(InputSchema):
    note: Note = ""


class ProjectReasonIn(InputSchema):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=SOME_TEXT)]


@router.post("/{project_id}/approve", response=responses(ProjectOut),
             summary="Approve (every member scored, the average at the pass score or above)")
def approve(request, project_id: ProjectId, payload: DecisionIn):
    return _project(request.auth, svc.approve_project(actor=request.auth, project_id=project_id, note=payload.note))


@router.post("/{project_id}/reject", response=responses(ProjectOut), summary="Reject, with the reason")
def reject(request, project_id: ProjectId, payload: ProjectReasonIn):
    return _project(request.auth, svc.reject_project(actor=request.auth, project_id=project_id, reason=payload.reason))


@router.post("/{project_id}/cancel", response=responses(ProjectOut), summary="Cancel, with the reason")
def cancel(request, project_id: ProjectId, payload: ProjectReasonIn):
    return _project(request.auth, svc.cancel_project(actor=request.auth, project_id=project_id, reason=payload.reason))


class FundingIn(InputSchema):
    amount: Money
    paid_on: dt.date
    note: Short = ""


class FundingOut(Schema):
    id: int
    project: int
    amount: Decimal
    paid_on: dt.date
    note: str
    funded_total: Decimal
    budget: Decimal


@router.post("/{project_id}/fundings", response=responses(FundingOut, ok_status=201),
             summary="Record a tranche paid (never above the approved budget)")
def fund(request, project_id: ProjectId, payload: FundingIn):
    t = svc.fund_project(actor=request.auth, project_id=project_id, amount=payload.amount, paid_on=payload.paid_on,
                         note=payload.note)
    return Status(201, {"id": t.pk, "project": project_id, "amount": t.amount, "paid_on": t.paid_on, "note": t.note,
                        "funded_total": t.project.funded_total, "budget": t.project.budget})


class EmptyIn(InputSchema):
    pass


@router.post("/{project_id}/start", response=responses(ProjectOut), summary="The funded project has started")
def start(request, project_id: ProjectId, payload: EmptyIn):
    return _project(request.auth, svc.start_project(actor=request.auth, project_id=project_id))


class MilestoneIn(InputSchema):
    title: Title
    due_on: dt.date


class MilestoneDoneIn(InputSchema):
    done_on: dt.date
    evidence: Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=SOME_TEXT)]


class MilestoneOut(Schema):
    id: int
    title: str
    due_on: dt.date
    done_on: dt.date | None
    evidence: str


def _milestone(m) -> dict:
    return {"id": m.pk, "title": m.title, "due_on": m.due_on, "done_on": m.done_on, "evidence": m.evidence}


@router.post("/{project_id}/milestones", response=responses(MilestoneOut, ok_status=201), summary="Add a milestone")
def add_milestone(request, project_id: ProjectId, payload: MilestoneIn):
    m = svc.add_milestone(actor=request.auth, project_id=project_id, title=payload.title, due_on=payload.due_on)
    return Status(201, _milestone(m))


@router.post("/{project_id}/milestones/{milestone_id}/done", response=responses(MilestoneOut),
             summary="Mark a milestone done, with its evidence")
def complete_milestone(request, project_id: ProjectId, milestone_id: MilestoneId, payload: MilestoneDoneIn):
    return _milestone(svc.complete_milestone(actor=request.auth, project_id=project_id, milestone_id=milestone_id,
                                             done_on=payload.done_on, evidence=payload.evidence))


class BeneficiariesIn(InputSchema):
    households: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(..., min_length=1, max_length=1000)


class BeneficiaryResultOut(Schema):
    household: int
    added: bool
    code: str
    reason: str


class BeneficiariesOut(Schema):
    added: int
    refused: int
    results: list[BeneficiaryResultOut]


@router.post("/{project_id}/beneficiaries", response=responses(BeneficiariesOut),
             summary="Add the households the project serves (each refused with its reason)")
def add_beneficiaries(request, project_id: ProjectId, payload: BeneficiariesIn):
    results = svc.add_beneficiaries(actor=request.auth, project_id=project_id, household_ids=payload.households)
    return {"added": sum(r.added for r in results), "refused": sum(not r.added for r in results),
            "results": [{"household": r.household_id, "added": r.added, "code": r.code, "reason": r.reason}
                        for r in results]}


class OutcomeIn(InputSchema):
    text: LongText


class ProjectOutcomeOut(Schema):
    project: int
    text: str
    households_served: int
    people_served: int
    spent: Decimal
    budget: Decimal
    submitted_on: dt.date


@router.post("/{project_id}/outcome", response=responses(ProjectOutcomeOut, ok_status=201),
             summary="Submit the outcome report (completes the project)")
def submit_outcome(request, project_id: ProjectId, payload: OutcomeIn):
    r = svc.submit_outcome(actor=request.auth, project_id=project_id, text=payload.text)
    return Status(201, {"project": project_id, "text": r.text, "households_served": r.households_served,
                        "people_served": r.people_served, "spent": r.spent, "budget": r.budget,
                        "submitted_on": r.submitted_on})
