"""The daily escalation of overdue leads, county by county (issue 17 part 2), shared by
`safetynet escalate_leads` and the demo's days: each county's open, overdue leads go through
`services.escalate_overdue_leads` as the system acting at that county."""
from __future__ import annotations

import dataclasses
import datetime as dt

from safetynet.areas.actors import system_actor

from . import services
from .models import OPEN_STATUSES, Escalation, Lead


def escalate_every_county(*, area: str = "", on: dt.date | None = None) -> dict[str, services.EscalationResult]:
    """{county code: what moved} for every county with an open lead not yet with the county (only
    those under `area` when given: a county or a town). Idempotent for a day."""
    on = on or services.today()
    actor = system_actor()
    leads = Lead.objects.filter(status__in=OPEN_STATUSES).exclude(escalation=Escalation.COUNTY)
    if area:
        leads = leads.filter(area__code__startswith=area)
    counties = sorted({code[:6] for code in leads.values_list("area_id", flat=True).distinct()})
    results = {}
    for county in counties:
        scope = area if len(area) > 6 else county
        results[scope] = services.escalate_overdue_leads(actor=dataclasses.replace(actor, area_code=scope), on=on)
    return results
