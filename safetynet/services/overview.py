"""Purchased services in a few figures for the county overview (issue 19 part 6): providers,
contracts in force, their tasks and how many met their accuracy target (`quality.quality_of`)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Q, Sum

from safetynet.core.scoping import Actor

from .models import ContractStatus, ProviderStatement, TaskStatus
from .quality import quality_of
from .selectors import contracts_for, providers_for, tasks_in_scope


def contracts_at_a_glance(actor: Actor, county_code: str, *, on: dt.date) -> dict:
    """{"providers", "contracts_active", "tasks_open", "tasks_accepted_month", "quality_met", "quality_missed",
    "quality_unsampled", "owed_year"} for the county (amounts Decimal)."""
    actor.require_area(county_code)
    contracts = list(contracts_for(actor).filter(area__code__startswith=county_code, status=ContractStatus.ACTIVE))
    month = on.replace(day=1)
    tasks = tasks_in_scope(actor).filter(area__code__startswith=county_code).aggregate(
        open=Count("id", filter=Q(status__in=[TaskStatus.ASSIGNED, TaskStatus.SUBMITTED])),
        accepted=Count("id", filter=Q(status=TaskStatus.ACCEPTED, decided_on__gte=month)))
    met = [q.met for q in quality_of(contracts).values()]
    owed = ProviderStatement.objects.filter(area__code__startswith=county_code, month__year=on.year) \
        .aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    return {"providers": providers_for(actor, active_only=True).filter(area__code__startswith=county_code).count(),
            "contracts_active": len(contracts), "tasks_open": tasks["open"], "tasks_accepted_month": tasks["accepted"],
            "quality_met": met.count(True), "quality_missed": met.count(False), "quality_unsampled": met.count(None),
            "owed_year": owed}
