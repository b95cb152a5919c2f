"""The audit ledger over HTTP (`/api/v1/oversight/audit/`, issue 18 part 7): events searched by
person, object, action and time in the post's area, newest first by keyset (`before`: the cursor
the last page gave), and the chain's status. Reads only; `audit.view`."""
from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, Query, Router, Schema
from pydantic import StringConstraints

from safetynet.core.apischemas import NO_NUL, responses

from . import auditlog

router = Router(tags=["oversight"])
Short = Annotated[str, StringConstraints(max_length=64, pattern=NO_NUL)]


class AuditEventOut(Schema):
    sequence: int
    at: dt.datetime
    username: str
    role: str
    area_code: str
    action: str
    object_type: str
    object_id: str
    before: dict | list | None
    after: dict | list | None


class AuditEventPage(Schema):
    items: list[AuditEventOut]
    next_before: int | None


class AuditEventFilter(Schema):
    username: Annotated[str, StringConstraints(max_length=150, pattern=NO_NUL)] = ""
    object_type: Short = ""
    object_id: Short = ""
    action: Short = ""
    area: Annotated[str, StringConstraints(pattern=r"^([0-9]{2,18})?$")] = ""
    since: dt.date | None = None
    until: dt.date | None = None
    before: int | None = Field(None, ge=1, le=2**62, description="the cursor the previous page gave (next_before)")
    limit: int = Field(50, ge=1, le=500)


@router.get("/audit/events", response=responses(AuditEventPage), summary="Search the audit ledger in the post's area")
def list_events(request, filters: Query[AuditEventFilter]):
    wanted = auditlog.LedgerFilter(username=filters.username, object_type=filters.object_type,
                                   object_id=filters.object_id, action=filters.action, area=filters.area,
                                   since=filters.since, until=filters.until)
    rows, cursor = auditlog.search_ledger(request.auth, wanted, before=filters.before, limit=filters.limit)
    return {"items": [{f: getattr(e, f) for f in AuditEventOut.model_fields} for e in rows], "next_before": cursor}


class AuditChainOut(Schema):
    intact: bool
    last_sequence: int
    break_at: int | None
    reason: str
    message: str


@router.get("/audit/verify", response=responses(AuditChainOut),
            summary="Re-compute the ledger's hash chain (as `safetynet audit verify`)")
def verify(request):
    status = auditlog.chain_status(request.auth)
    return {"intact": status.intact, "last_sequence": status.last_sequence, "break_at": status.break_at,
            "reason": status.reason, "message": status.message}
