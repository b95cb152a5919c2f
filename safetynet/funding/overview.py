"""The county's funding at a glance, for the county overview page another part builds (issue 19):
the work subsidies of the month and the year, the budget and what is spent by kind, and how many
lines warn or are used up. Read through the post's scope: a town post asking for its county gets
its own town's figures."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from safetynet.areas.models import Area, Level
from safetynet.cases import clocks
from safetynet.core.errors import NotFound
from safetynet.core.scoping import Actor, in_scope

from . import budgets, forecast
from .models import BudgetKind, SubsidyLine
from .scope import VIEW


def funding_at_a_glance(actor: Actor, county_code: str, year: int, *, today: dt.date | None = None) -> dict:
    """{"county", "year", "month", "subsidies": {"month": {...}, "year": {...}}, "budget": {kind: {...}},
    "lines": {"total", "warned", "exhausted"}, "warnings": [text]}; amounts are Decimal."""
    actor.require(VIEW)
    county_code = (county_code or "").strip()
    county = Area.objects.filter(code=county_code, level=Level.COUNTY).first() if county_code else None
    if county is None or not (actor.covers(county.code) or actor.area_code.startswith(county.code)):
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": county_code or "—"}, field="county")
    today = today or clocks.today()
    month = today.replace(day=1)
    lines = in_scope(SubsidyLine.objects.filter(run__area=county), actor).order_by()

    def subsidies(qs) -> dict:
        row = qs.aggregate(total=Sum("amount"), n=Count("id"), people=Count("payee_id_number", distinct=True))
        return {"total": row["total"] or Decimal("0.00"), "subsidies": row["n"], "people": row["people"]}

    states = [s for s in budgets.spending(actor, year=year, on=today) if s.line.area_id.startswith(county.code)]
    by_kind = {kind: {"budget": Decimal("0.00"), "spent": Decimal("0.00"), "lines": 0} for kind in BudgetKind.values}
    for state in states:
        row = by_kind[state.line.kind]
        row["budget"] += state.line.amount
        row["spent"] += state.spent
        row["lines"] += 1
    for row in by_kind.values():
        row["left"] = row["budget"] - row["spent"]
        row["share"] = forecast.share_spent(budget=row["budget"], spent=row["spent"])
    return {
        "county": county.code, "county_name": county.name, "year": year, "month": month,
        "subsidies": {"month": subsidies(lines.filter(run__month=month)), "year": subsidies(lines.filter(run__month__year=year))},
        "budget": by_kind,
        "budget_total": sum((row["budget"] for row in by_kind.values()), Decimal("0.00")),
        "spent_total": sum((row["spent"] for row in by_kind.values()), Decimal("0.00")),
        "lines": {"total": len(states), "warned": sum(s.state == forecast.WARNED for s in states),
                  "exhausted": sum(s.state == forecast.EXHAUSTED for s in states)},
        "warnings": [s.warning for s in states if s.state != forecast.OK],
    }
