"""Reads of complaints for the pages, the API and the home page: scoped through
`complaints.complaints_in_scope` (the handling office under the post's area)."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass

from django.db.models import Q, QuerySet

from safetynet.core.scoping import Actor

from .complaints import clock_q, complaints_in_scope
from .models import OPEN_COMPLAINT, ClockState, Complaint

REFERENCE = re.compile(r"^TS\d{8}(\d{6,})$", re.IGNORECASE)


@dataclass
class ComplaintFilter:
    status: str = ""        # a ComplaintStatus, or "open"
    clock: str = ""         # a ClockState
    category: str = ""      # a category code
    channel: str = ""
    town: str = ""          # the town of the matter (9 digits)
    q: str = ""             # a reference or words of the subject

    def as_query(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v}


def filtered_complaints(actor: Actor, f: ComplaintFilter, on: dt.date) -> QuerySet[Complaint]:
    qs = complaints_in_scope(actor)
    if f.status == "open":
        qs = qs.filter(status__in=OPEN_COMPLAINT)
    elif f.status:
        qs = qs.filter(status=f.status)
    if f.clock:
        qs = qs.filter(clock_q(f.clock, on, actor.area_code))
    if f.category:
        qs = qs.filter(category__code=f.category)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.town:
        qs = qs.filter(area__code__startswith=f.town)
    if f.q:
        match = REFERENCE.match(f.q.strip())
        qs = qs.filter(pk=int(match.group(1))) if match else qs.filter(Q(subject__icontains=f.q))
    return qs


def clock_counts(actor: Actor, on: dt.date) -> dict[str, int]:
    """Open complaints in scope by clock state (done excluded)."""
    qs = complaints_in_scope(actor)
    return {state: qs.filter(clock_q(state, on, actor.area_code)).count()
            for state in (ClockState.BREACHED, ClockState.AT_RISK, ClockState.ON_TRACK)}
