"""Warnings and the monitoring register over HTTP (`/api/v1/discovery/`): the rules in force with
their hit rates, saving a county's rule (422 naming the parameter), starting the monthly run (a
background job) and following it, the warnings of a rule, and the register (list, flag, unflag,
refresh). Each call is the service the pages call: 403 for the role, 404 outside the area."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Path, Query, Router, Schema
from pydantic import StringConstraints

from safetynet.core.apischemas import NO_CONTROL, NO_NUL, SOME_LINE, InputSchema, PageQuery, responses
from safetynet.core.pagination import api_page
from safetynet.core.scoping import in_scope

from . import register, tasks, warning_rules
from .warning_models import Warning

router = Router(tags=["discovery"])
MAX_ID = 2_147_483_647
Id = Annotated[int, Path(..., ge=1, le=MAX_ID)]
Reason = Annotated[str, StringConstraints(max_length=500, pattern=NO_NUL)]
# A reason that must say something: one character that is neither a space nor a control character.
GivenReason = Annotated[str, StringConstraints(max_length=500,
                                               pattern=SOME_LINE)]
# A search or a town code as typed: no control character (the services refuse one).
SearchText = Annotated[str, StringConstraints(max_length=50, pattern=NO_CONTROL)]
County = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
Month = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]

class RuleOut(Schema):
    id: int
    county: str | None
    cause: str
    level: str
    parameters: dict[str, Any]
    active: bool
    raised: int
    ended: int
    in_need: int
    hit_rate: float | None

def _rule(rule, stats) -> dict:
    s = stats.get(rule.pk) or warning_rules.RuleStats()
    return {"id": rule.pk, "county": rule.area_id, "cause": rule.cause, "level": rule.level, "parameters": rule.parameters,
            "active": rule.active, "raised": s.raised, "ended": s.ended, "in_need": s.in_need, "hit_rate": s.hit_rate}

@router.get("/warning-rules", response=responses(list[RuleOut]), summary="The county's warning rules with hit rates")
def list_rules(request, county: County | None = None):
    """`county`: the post's own county when not given."""
    county = county or request.auth.area_code[:6]
    rules = warning_rules.rules_listed(request.auth, county)
    stats = warning_rules.rule_stats(rules, area_code=county)
    return [_rule(r, stats) for r in rules]

class RuleIn(InputSchema):
    county: County
    cause: Literal["disability", "medical", "unemployment", "death", "disaster", "income"]
    level: Literal["red", "orange", "yellow"]
    parameters: dict[str, Any] = Field(default_factory=dict)
    active: bool = True
    note: Reason = ""

@router.post("/warning-rules", response=responses(RuleOut), summary="Save the county's rule for a cause")
def save_rule(request, payload: RuleIn):
    rule = warning_rules.save_warning_rule(actor=request.auth, county_code=payload.county, cause=payload.cause,
                                           level=payload.level, parameters=payload.parameters, active=payload.active,
                                           note=payload.note)
    return _rule(rule, warning_rules.rule_stats([rule], area_code=payload.county))

class RunIn(InputSchema):
    county: County
    month: Month

class WarningJobOut(Schema):
    id: str
    status: str
    done: int
    total: int
    result: dict[str, Any]
    error: str

def _job(job) -> dict:
    return {"id": job.id, "status": job.status, "done": job.done or 0, "total": job.total or 0,
            "result": job.result or {}, "error": job.error or ""}

@router.post("/warning-runs", response=responses(WarningJobOut, ok_status=202), summary="Start the monthly warning run")
def start_run(request, payload: RunIn):
    return 202, _job(tasks.start_warning_run(actor=request.auth, county_code=payload.county, month=payload.month))

@router.get("/warning-runs/{job_id}", response=responses(WarningJobOut), summary="Follow a warning run")
def follow_run(request, job_id: Annotated[str, Path(..., max_length=32, pattern=r"^[0-9a-f]{32}$")]):
    return _job(tasks.get_job(request.auth, job_id))

class WarningOut(Schema):
    id: int
    rule: int
    cause: str
    level: str
    household: int
    person: int | None
    area: str
    raised_on: dt.date
    lead: int | None
    outcome: str
    detail: dict[str, Any]

class WarningPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[WarningOut]

def _warnings(rows) -> list[dict]:
    outcomes = warning_rules.outcomes_of(Warning.objects.filter(pk__in=[w.pk for w in rows]))
    return [{"id": w.pk, "rule": w.rule_id, "cause": w.cause, "level": w.level, "household": w.household_id,
             "person": w.person_id, "area": w.area_id, "raised_on": w.raised_on, "lead": w.lead_id,
             "outcome": outcomes.get(w.pk, "open"), "detail": w.detail} for w in rows]

@router.get("/warnings", response=responses(WarningPage), summary="Warnings in your area")
def list_warnings(request, page: Query[PageQuery], rule: int | None = None, cause: str = ""):
    request.auth.require(warning_rules.VIEW)
    rows = in_scope(Warning.objects.all(), request.auth)
    if rule:
        rows = rows.filter(rule_id=rule)
    if cause:
        rows = rows.filter(cause=cause)
    return api_page(rows.order_by("-id"), offset=page.offset, limit=page.limit, items=_warnings)

class EntryOut(Schema):
    id: int
    household: int
    name: str
    area: str
    category: str
    since: dt.date
    until: dt.date | None
    source: str
    reason: str

class EntryPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[EntryOut]

@router.get("/register", response=responses(EntryPage), summary="The monitoring register in your area")
def list_register(request, page: Query[PageQuery], town: SearchText = "", category: SearchText = "", q: SearchText = ""):
    rows = register.register_rows(request.auth, town=town, category=category, q=q)
    return api_page(rows, offset=page.offset, limit=page.limit, items=lambda r: register.register_items(request.auth, r))

class FlagIn(InputSchema):
    household: int = Field(..., ge=1, le=MAX_ID)
    category: Literal["rigid_expenses", "at_risk"]
    reason: GivenReason

@router.post("/register", response=responses(EntryOut, ok_status=201), summary="Flag a household (town worker)")
def flag(request, payload: FlagIn):
    row = register.flag_household(actor=request.auth, household_id=payload.household, category=payload.category,
                                  reason=payload.reason)
    return 201, register.register_items(request.auth, [row])[0]

class UnflagIn(InputSchema):
    reason: GivenReason

@router.post("/register/{entry_id}/end", response=responses(EntryOut), summary="End a town worker's flag")
def unflag(request, entry_id: Id, payload: UnflagIn):
    row = register.unflag_household(actor=request.auth, entry_id=entry_id, reason=payload.reason)
    return register.register_items(request.auth, [row])[0]

class RefreshIn(InputSchema):
    county: County

class RefreshOut(Schema):
    county: str
    added: int
    ended: int
    current: int

@router.post("/register/refresh", response=responses(RefreshOut), summary="Refresh the county's register from the data")
def refresh(request, payload: RefreshIn):
    return register.refresh_monitoring_register(request.auth, payload.county).as_dict()

ParamsIn = Literal["monitored", "all"]   # documented values of parameters.population
