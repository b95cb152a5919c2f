"""The anomaly reports over HTTP (`/api/v1/oversight/anomalies...`): the runs (list, start one as a
background job, follow it with its counts per kind), the findings (filtered by run, kind, status
and town, a page at a time; one finding) and saying what a finding was. Each call is the service
the pages call: 403 for the role, 404 outside the area."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Path, Query, Router, Schema
from pydantic import StringConstraints

from safetynet.core.apischemas import NO_NUL, InputSchema, PageQuery, responses
from safetynet.core.pagination import api_page

from . import anomaly_services as services

router = Router(tags=["oversight"])
MAX_ID = 2_147_483_647
Id = Annotated[int, Path(..., ge=1, le=MAX_ID)]
County = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
Month = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
Town = Annotated[str, StringConstraints(pattern=r"^([0-9]{9})?$")]
Note = Annotated[str, StringConstraints(max_length=2000, pattern=NO_NUL)]
Kind = Literal["", "deceased_paid", "incompatible", "two_counties", "over_limits", "unfiled_relative",
               "confirmed_by_relative", "high_amounts", "short_surveys"]
Status = Literal["", "open", "explained", "rectified"]


class AnomalyKindCount(Schema):
    kind: str
    label: str
    open: int
    explained: int
    rectified: int
    total: int


class AnomalyRunOut(Schema):
    id: int
    county: str
    month: str
    monthly: bool
    status: str
    progress: dict[str, Any]
    counts: dict[str, int]
    found: dict[str, int]
    seconds: float | None
    error: str
    created_at: dt.datetime
    finished_at: dt.datetime | None


class AnomalyRunDetailOut(AnomalyRunOut):
    kinds: list[AnomalyKindCount]


class AnomalyRunPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[AnomalyRunOut]


class AnomalyRunIn(InputSchema):
    county: County
    month: Month


class AnomalyFindingOut(Schema):
    id: int
    run: int
    kind: str
    kind_label: str
    area: str
    household: int | None
    person: int | None
    case: int | None
    enrollment: int | None
    worker: str | None
    facts: dict[str, Any]
    amount: Decimal | None
    status: str
    note: str
    resolved_by: str
    resolved_at: dt.datetime | None
    found_at: dt.datetime
    complaint: int | None


class AnomalyFindingPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[AnomalyFindingOut]


class AnomalyStatusIn(InputSchema):
    status: Literal["open", "explained", "rectified"]
    note: Note = ""


def run_out(run) -> dict:
    return {"id": run.pk, "county": run.area_id, "month": run.month.strftime("%Y-%m"), "monthly": run.monthly,
            "status": run.status, "progress": run.progress or {}, "counts": run.counts or {}, "found": run.found or {},
            "seconds": run.seconds, "error": run.error, "created_at": run.created_at, "finished_at": run.finished_at}


def finding_out(f) -> dict:
    return {"id": f.pk, "run": f.run_id, "kind": f.kind, "kind_label": str(f.get_kind_display()), "area": f.area_id,
            "household": f.household_id, "person": f.person_id, "case": f.case_id, "enrollment": f.enrollment_id,
            "worker": f.staff_user.username if f.staff_user_id else None, "facts": f.facts, "amount": f.amount,
            "status": f.status, "note": f.note, "resolved_by": f.resolved_by, "resolved_at": f.resolved_at,
            "found_at": f.found_at, "complaint": f.complaint_id}


@router.get("/anomalies/runs", response=responses(AnomalyRunPage), summary="Anomaly reports of your county")
def list_runs(request, page: Query[PageQuery]):
    return api_page(services.runs_in_scope(request.auth), offset=page.offset, limit=page.limit, item=run_out)


@router.post("/anomalies/runs", response=responses(AnomalyRunOut, ok_status=202),
             summary="Start an anomaly report (a background job)")
def start_run(request, payload: AnomalyRunIn):
    return 202, run_out(services.start_anomaly_run(actor=request.auth, county_code=payload.county, month=payload.month))


@router.get("/anomalies/runs/{run_id}", response=responses(AnomalyRunDetailOut),
            summary="An anomaly report: its progress and findings per kind")
def get_run(request, run_id: Id):
    run = services.get_run(request.auth, run_id)
    kinds = services.counts_by_kind(services.findings_in_scope(request.auth, run_id=run.pk))
    return {**run_out(run), "kinds": kinds}


@router.get("/anomalies/findings", response=responses(AnomalyFindingPage), summary="Anomaly findings in your area")
def list_findings(request, page: Query[PageQuery], run: int | None = None, kind: Kind = "", status: Status = "",
                  town: Town = ""):
    rows = services.findings_in_scope(request.auth, run_id=run, kind=kind, status=status, town=town)
    return api_page(rows, offset=page.offset, limit=page.limit, item=finding_out)


@router.get("/anomalies/findings/{finding_id}", response=responses(AnomalyFindingOut), summary="One anomaly finding")
def get_finding(request, finding_id: Id):
    return finding_out(services.get_finding(request.auth, finding_id))


@router.post("/anomalies/findings/{finding_id}/status", response=responses(AnomalyFindingOut),
             summary="Say what a finding was: explained or rectified, with a note")
def set_status(request, finding_id: Id, payload: AnomalyStatusIn):
    services.set_finding_status(actor=request.auth, finding_id=finding_id, status=payload.status, note=payload.note)
    return finding_out(services.get_finding(request.auth, finding_id))
