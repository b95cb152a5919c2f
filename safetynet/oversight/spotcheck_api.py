"""Spot checks over HTTP (`/api/v1/oversight/spot-checks`, issue 18 part 4): the campaigns, a
preview of sizes per town, starting one, its sample (filters, pages), the re-visit with its
verdict, the error rates and the re-draw check. Each call is the service the pages call: 403 for
the role, 404 outside the area."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Path, Query, Router, Schema, Status
from pydantic import Field, StringConstraints

from safetynet.core.apischemas import NO_CONTROL, NO_NUL, InputSchema, PageQuery, responses
from safetynet.core.pagination import api_page

from . import spotchecks
from .spotchecks import CampaignInput, RevisitInput

router = Router(tags=["oversight"])
MAX_ID = 2_147_483_647
Id = Annotated[int, Path(..., ge=1, le=MAX_ID)]
Line = Annotated[str, StringConstraints(max_length=200, pattern=NO_CONTROL)]
Text = Annotated[str, StringConstraints(max_length=5000, pattern=NO_NUL)]
Search = Annotated[str, StringConstraints(max_length=50, pattern=NO_CONTROL)]
Program = Literal["dibao", "special_hardship", "temporary"]
VerdictCode = Literal["correct", "should_not_receive", "amount_wrong", "help_more", "help_less", "procedure_incomplete"]


class SpotCheckCampaignIn(InputSchema):
    name: Line
    programs: list[Program] = Field(default_factory=lambda: ["dibao", "special_hardship", "temporary"], max_length=3)
    include_cases: bool = True
    confirmed_by: Literal["town", "any"] = "town"
    period_from: dt.date | None = None
    period_to: dt.date | None = None
    include_enrollments: bool = True
    size_method: Literal["ratio", "confidence"] = "ratio"
    # Shares, not money: numbers in the body, read as decimals by the service (`Decimal(str(x))`).
    ratio: float | None = Field(None, ge=0.01, le=1)
    confidence: float | None = Field(None, ge=0.80, le=0.999)
    margin: float | None = Field(None, ge=0.01, le=0.25)
    seed: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,30}$")] | None = None

    def as_input(self) -> CampaignInput:
        return CampaignInput(**self.model_dump())


class SpotCheckTownPlanOut(Schema):
    town: str
    name: str
    population: int
    mandatory: int
    drawn: int


class SpotCheckPlanOut(Schema):
    seed: str
    population: int
    size: int
    drawn: int
    mandatory: int
    towns: list[SpotCheckTownPlanOut]


class SpotCheckCampaignOut(Schema):
    id: int
    county: str
    name: str
    programs: list[str]
    status: str
    started_on: dt.date
    finished_on: dt.date | None
    size_method: str
    ratio: Decimal | None
    confidence: Decimal | None
    margin: Decimal | None
    seed: str
    population: int
    drawn: int
    mandatory: int
    allocation: dict[str, int]
    frame_hash: str


class SpotCheckItemOut(Schema):
    id: int
    campaign: int
    position: int
    key: str
    case: int | None
    enrollment: int | None
    town: str
    village: str
    head_name: str
    program: str
    amount: Decimal | None
    worker: str
    reason: str
    weight: float
    risks: list[str]
    visited_on: dt.date | None
    visitors: str
    found: str
    verdict: str
    complaint: int | None


class SpotCheckItemPageOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[SpotCheckItemOut]


class SpotCheckRevisitIn(InputSchema):
    visited_on: dt.date
    visitors: Line
    found: Text
    verdict: VerdictCode


class SpotCheckRateOut(Schema):
    key: str
    label: str
    items: int
    checked: int
    wrong: int
    rate: float | None


class SpotCheckRatesOut(Schema):
    total: SpotCheckRateOut
    towns: list[SpotCheckRateOut]
    workers: list[SpotCheckRateOut]
    verdicts: dict[str, int]


class SpotCheckRedrawOut(Schema):
    matches: bool
    frame_intact: bool
    recorded: list[str]
    redrawn: list[str]


def _campaign(c) -> dict:
    return {"id": c.pk, "county": c.area_id, "name": c.name, "programs": c.programs, "status": c.status,
            "started_on": c.started_on, "finished_on": c.finished_on, "size_method": c.size_method, "ratio": c.ratio,
            "confidence": c.confidence, "margin": c.margin, "seed": c.seed, "population": c.population_size,
            "drawn": c.drawn_size, "mandatory": c.mandatory_size, "allocation": c.allocation, "frame_hash": c.frame_hash}


def _item(actor, i) -> dict:
    return {"id": i.pk, "campaign": i.campaign_id, "position": i.position, "key": i.key, "case": i.case_id,
            "enrollment": i.enrollment_id, "town": i.town_id, "village": i.area_id,
            "head_name": spotchecks.head_name(actor, i), "program": i.program, "amount": i.amount, "worker": i.worker,
            "reason": i.reason, "weight": i.weight, "risks": i.risks, "visited_on": i.visited_on, "visitors": i.visitors,
            "found": i.found, "verdict": i.verdict, "complaint": i.complaint_id}


def _rate(r) -> dict:
    return {"key": r.key, "label": str(r.label), "items": r.items, "checked": r.checked, "wrong": r.wrong, "rate": r.rate}


@router.get("/spot-checks", response=responses(list[SpotCheckCampaignOut]), summary="The county's spot-check campaigns")
def list_campaigns(request):
    return [_campaign(c) for c in spotchecks.campaigns_in_scope(request.auth)[:500]]


@router.post("/spot-checks/preview", response=responses(SpotCheckPlanOut), summary="Preview a campaign's sizes per town")
def preview_campaign(request, payload: SpotCheckCampaignIn):
    plan = spotchecks.plan_campaign(request.auth, county_code=request.auth.area_code[:6], item=payload.as_input())
    return {"seed": str(plan.item.seed), "population": plan.population, "size": plan.size, "drawn": plan.drawn,
            "mandatory": plan.mandatory, "towns": [t.__dict__ for t in plan.towns]}


@router.post("/spot-checks", response=responses(SpotCheckCampaignOut, ok_status=201), summary="Draw and start a campaign")
def start_campaign(request, payload: SpotCheckCampaignIn):
    campaign = spotchecks.start_campaign(request.auth, county_code=request.auth.area_code[:6], item=payload.as_input())
    return Status(201, _campaign(campaign))


@router.get("/spot-checks/{campaign_id}", response=responses(SpotCheckCampaignOut), summary="One campaign")
def get_campaign(request, campaign_id: Id):
    return _campaign(spotchecks.campaign_for(request.auth, campaign_id))


@router.get("/spot-checks/{campaign_id}/items", response=responses(SpotCheckItemPageOut), summary="A campaign's sample")
def list_items(request, campaign_id: Id, page: Query[PageQuery], town: Search = "", verdict: Search = "",
               reason: Search = "", q: Search = ""):
    campaign = spotchecks.campaign_for(request.auth, campaign_id)
    items = spotchecks.items_of(campaign, town=town, verdict=verdict, reason=reason, q=q)
    return api_page(items, offset=page.offset, limit=page.limit, item=lambda i: _item(request.auth, i))


@router.post("/spot-checks/items/{item_id}/revisit", response=responses(SpotCheckItemOut),
             summary="Record a re-visit and its verdict")
def record_revisit(request, item_id: Id, payload: SpotCheckRevisitIn):
    item = spotchecks.record_revisit(request.auth, item_id=item_id, revisit=RevisitInput(**payload.model_dump()))
    return _item(request.auth, spotchecks.item_for(request.auth, item.pk))


@router.get("/spot-checks/{campaign_id}/rates", response=responses(SpotCheckRatesOut),
            summary="Error rates by town and by worker")
def campaign_rates(request, campaign_id: Id):
    rates = spotchecks.error_rates(spotchecks.campaign_for(request.auth, campaign_id))
    return {"total": _rate(rates.total), "towns": [_rate(r) for r in rates.towns],
            "workers": [_rate(r) for r in rates.workers], "verdicts": rates.verdicts}


@router.get("/spot-checks/{campaign_id}/redraw", response=responses(SpotCheckRedrawOut),
            summary="Draw again from the recorded frame and seed, and compare")
def redraw_campaign(request, campaign_id: Id):
    check = spotchecks.redraw(spotchecks.campaign_for(request.auth, campaign_id))
    return check.__dict__
