"""Reads on leads, always through the post's scope (issue 17 part 5): the town's list and its
filters, the table of leads by state and age, the grid worker's list, the home page's queue and
the county dashboard's figures. The pages and the API read the same functions.

Response times are wall-clock hours from a lead's opening to its acknowledgement and to its visit;
the median and the 90th percentile are nearest-rank percentiles over the durations of the leads
opened in the period (bounded: one county's leads of a period), worked out in Python.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.utils.translation import gettext as _

from safetynet.areas.models import Area
from safetynet.cases.models import Status as CaseStatus
from safetynet.core.errors import NotFound, ValidationError
from safetynet.core.scoping import Actor, get_in_scope, in_scope
from safetynet.core.text import clean_text
from safetynet.enrollments.models import LIVE_STATUSES, Enrollment

from .models import OPEN_STATUSES, Escalation, GridReport, Lead, LeadStatus, Source

VIEW = "discovery.view"
REPORT = "discovery.report"
WORK = "discovery.work"

# Days since a lead opened, as the town's table counts them: (key, first day, last day or None).
AGE_BANDS = (("0-1", 0, 1), ("2-3", 2, 3), ("4-7", 4, 7), ("8+", 8, None))


def leads_in_scope(actor: Actor) -> QuerySet[Lead]:
    actor.require(VIEW)
    return in_scope(Lead.objects.all(), actor)


def get_lead(actor: Actor, lead_id) -> Lead:
    actor.require(VIEW)
    try:
        lead_id = int(lead_id)
    except (TypeError, ValueError):
        raise NotFound(_("Not found.")) from None
    return get_in_scope(Lead.objects.select_related("area", "household", "household__head", "person", "case",
                                                    "merged_into"), actor, pk=lead_id)


def overdue_q(today: dt.date) -> Q:
    """An open lead past a deadline it has not met (clocks.overdue_since, as a filter)."""
    return Q(status__in=OPEN_STATUSES) & (Q(acknowledged_at__isnull=True, acknowledge_due_on__lt=today)
                                          | Q(visited_at__isnull=True, visit_due_on__lt=today))


def due_today_q(today: dt.date) -> Q:
    return Q(status__in=OPEN_STATUSES) & (Q(acknowledged_at__isnull=True, acknowledge_due_on=today)
                                          | Q(visited_at__isnull=True, visit_due_on=today))


def age_q(band: str, today: dt.date) -> Q:
    """Leads opened `band` days ago (AGE_BANDS)."""
    for key, first, last in AGE_BANDS:
        if key == band:
            q = Q(opened_on__lte=today - dt.timedelta(days=first))
            if last is not None:
                q &= Q(opened_on__gte=today - dt.timedelta(days=last))
            return q
    return Q()


@dataclass
class LeadFilter:
    """What the town's list is narrowed by (the page's query string and the API's query)."""
    state: str = ""          # a LeadStatus, or "open" / "ended"
    cause: str = ""
    source: str = ""
    level: str = ""
    escalated: str = ""      # "", "any", "town_leader", "county"
    overdue: bool | None = None
    village: str = ""        # an area code under the post (village, group or grid)
    age: str = ""            # an AGE_BANDS key
    due: str = ""            # "today": a deadline not met falls today
    q: str = ""              # a name (or its beginning)

    def as_query(self) -> dict:
        values = {k: v for k, v in vars(self).items() if v not in ("", None)}
        if self.overdue is not None:
            values["overdue"] = "1" if self.overdue else "0"
        return values


def filtered_leads(actor: Actor, filters: LeadFilter, today: dt.date) -> QuerySet[Lead]:
    qs = leads_in_scope(actor)
    if filters.state == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif filters.state == "ended":
        qs = qs.exclude(status__in=OPEN_STATUSES)
    elif filters.state in LeadStatus.values:
        qs = qs.filter(status=filters.state)
    if filters.cause:
        qs = qs.filter(cause=filters.cause)          # the cause it was opened for
    if filters.source:
        qs = qs.filter(source=filters.source)
    if filters.level:
        qs = qs.filter(level=filters.level)
    if filters.escalated == "any":
        qs = qs.filter(status__in=OPEN_STATUSES).exclude(escalation="")
    elif filters.escalated in (Escalation.TOWN_LEADER, Escalation.COUNTY):
        qs = qs.filter(status__in=OPEN_STATUSES, escalation=filters.escalated)
    if filters.overdue is True:
        qs = qs.filter(overdue_q(today))
    elif filters.overdue is False:
        qs = qs.exclude(overdue_q(today))
    if filters.village:
        qs = qs.filter(area__code__startswith=filters.village)
    if filters.age:
        qs = qs.filter(age_q(filters.age, today))
    if filters.due == "today":
        qs = qs.filter(due_today_q(today))
    if filters.q:
        try:
            name = clean_text(filters.q, field="q")[:50]
        except ValidationError:          # a control character cannot be in any name: nothing matches
            return qs.none()
        if name:
            qs = qs.filter(Q(name__startswith=name) | Q(household__head__name__startswith=name))
    return qs


def ordered_for_work(qs: QuerySet[Lead]) -> QuerySet[Lead]:
    """Open first, the sooner deadline first; ended ones after, newest first."""
    from django.db.models import Case, IntegerField, Value, When

    return qs.annotate(_ended=Case(When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1),
                                   output_field=IntegerField())).order_by("_ended", "visit_due_on", "-opened_at", "-id")


def state_age_table(actor: Actor, today: dt.date) -> dict:
    """Open leads by state (rows) and days since opened (columns), and ended ones by how they
    ended: one grouped query."""
    whens = {f"age_{key.replace('-', '_').replace('+', 'p')}": Count("id", filter=age_q(key, today))
             for key, _a, _b in AGE_BANDS}
    rows = {r["status"]: r for r in leads_in_scope(actor).values("status").annotate(total=Count("id"), **whens)}
    table = []
    for status in OPEN_STATUSES:
        r = rows.get(status, {})
        table.append({"state": status, "label": LeadStatus(status).label, "total": r.get("total", 0),
                      "cells": [{"age": key, "count": r.get(f"age_{key.replace('-', '_').replace('+', 'p')}", 0)}
                                for key, _a, _b in AGE_BANDS]})
    ended = [{"state": s, "label": LeadStatus(s).label, "count": rows.get(s, {}).get("total", 0)}
             for s in (LeadStatus.APPLIED, LeadStatus.REFERRED, LeadStatus.CLOSED, LeadStatus.MERGED)]
    totals = [sum(row["cells"][i]["count"] for row in table) for i in range(len(AGE_BANDS))]
    return {"bands": [key for key, _a, _b in AGE_BANDS], "rows": table, "ended": ended, "column_totals": totals,
            "open_total": sum(row["total"] for row in table)}


# ---------------------------------------------------------------------------------------------
# The grid worker's list and the home page
# ---------------------------------------------------------------------------------------------
def my_leads(actor: Actor) -> QuerySet[Lead]:
    """The leads of the worker's area (grid, or village for a cadre) and those opened by reports
    the worker filed."""
    actor.require(REPORT)
    reported = GridReport.objects.filter(reporter_id=actor.user_id).values("lead_id")
    return (in_scope(Lead.objects.all(), actor) | Lead.objects.filter(pk__in=reported)).distinct()


def my_reports(actor: Actor) -> QuerySet[GridReport]:
    actor.require(REPORT)
    return GridReport.objects.filter(reporter_id=actor.user_id).select_related("lead").order_by("-received_at", "-id")


def escalated_to_q(actor: Actor) -> Q:
    """The escalated leads that are this post's to take up: the county's at a county (or
    above), the town leader's and the county's at a town."""
    if len(actor.area_code) <= 6:
        return Q(escalation=Escalation.COUNTY)
    return Q(escalation__in=[Escalation.TOWN_LEADER, Escalation.COUNTY])


def home_counts(actor: Actor, today: dt.date) -> dict:
    """The home page's lines: due today, overdue, escalated (posts that work leads); open leads
    of the grid (posts that report)."""
    qs = in_scope(Lead.objects.all(), actor)
    counts = {}
    if actor.can(WORK):
        counts.update(qs.aggregate(due_today=Count("id", filter=due_today_q(today)),
                                   overdue=Count("id", filter=overdue_q(today)),
                                   escalated=Count("id", filter=Q(status__in=OPEN_STATUSES) & escalated_to_q(actor))))
    elif actor.can(REPORT):
        counts["mine_open"] = my_leads(actor).filter(status__in=OPEN_STATUSES).count()
    return counts


# ---------------------------------------------------------------------------------------------
# The county dashboard
# ---------------------------------------------------------------------------------------------
def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (the smallest value with at least p % of the values at or under
    it); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def _hours(start: dt.datetime, end: dt.datetime) -> float:
    return round((end - start).total_seconds() / 3600, 1)


@dataclass
class TownFigures:
    town: str
    town_name: str
    leads: int = 0
    open: int = 0
    overdue: int = 0
    with_town_leader: int = 0
    with_county: int = 0
    acknowledged: int = 0
    visited: int = 0
    acknowledge_median_hours: float | None = None
    acknowledge_p90_hours: float | None = None
    visit_median_hours: float | None = None
    visit_p90_hours: float | None = None


@dataclass
class Dashboard:
    since: dt.date
    today: dt.date
    towns: list[TownFigures] = field(default_factory=list)
    all_towns: TownFigures | None = None
    by_cause: list[dict] = field(default_factory=list)
    by_source: list[dict] = field(default_factory=list)
    warnings_by_cause: list[dict] = field(default_factory=list)
    conversion: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"since": self.since, "today": self.today, "towns": [vars(t) for t in self.towns],
                "all_towns": vars(self.all_towns) if self.all_towns else None, "by_cause": self.by_cause,
                "by_source": self.by_source, "warnings_by_cause": self.warnings_by_cause, "conversion": self.conversion}


def dashboard(actor: Actor, *, today: dt.date, days: int = 30) -> Dashboard:
    """The figures of the leads opened in the last `days` days (overdue and escalated: of every
    open lead now), by town, for the county's (or the town's own) dashboard."""
    since = today - dt.timedelta(days=days)
    scoped = leads_in_scope(actor)
    period = scoped.filter(opened_on__gt=since).exclude(status=LeadStatus.MERGED)
    result = Dashboard(since=since, today=today)
    town = Substr("area_id", 1, 9)
    per_town: dict[str, TownFigures] = {}
    names = dict(in_scope(Area.objects.filter(level="town"), actor, "parent").values_list("code", "name")) \
        if len(actor.area_code) <= 6 else {}
    names.update(Area.objects.filter(code=actor.area_code[:9], level="town").values_list("code", "name")
                 if len(actor.area_code) >= 9 else [])
    for code, name in sorted(names.items()):
        per_town[code] = TownFigures(code, name)

    def figures(code: str) -> TownFigures:
        if code not in per_town:
            per_town[code] = TownFigures(code, Area.objects.filter(code=code).values_list("name", flat=True).first() or code)
        return per_town[code]

    for row in period.annotate(town=town).values("town").annotate(n=Count("id")):
        figures(row["town"]).leads = row["n"]
    for row in scoped.filter(status__in=OPEN_STATUSES).annotate(town=town).values("town").annotate(
            open=Count("id"), overdue=Count("id", filter=overdue_q(today)),
            leader=Count("id", filter=Q(escalation=Escalation.TOWN_LEADER)),
            county=Count("id", filter=Q(escalation=Escalation.COUNTY))):
        f = figures(row["town"])
        f.open, f.overdue, f.with_town_leader, f.with_county = row["open"], row["overdue"], row["leader"], row["county"]
    acknowledge: dict[str, list[float]] = {}
    visit: dict[str, list[float]] = {}
    # Response times are of leads someone had to respond to: a person taken at the town's window
    # (walk-in or call) is acknowledged as the lead opens, and would only pull the figures to 0.
    responded = period.filter(acknowledged_at__isnull=False).exclude(source__in=(Source.WALK_IN, Source.PHONE))
    for area, opened, acked, visited in responded.values_list("area_id", "opened_at", "acknowledged_at", "visited_at"):
        acknowledge.setdefault(area[:9], []).append(_hours(opened, acked))
        if visited is not None:
            visit.setdefault(area[:9], []).append(_hours(opened, visited))
    everyone_ack = [h for hours in acknowledge.values() for h in hours]
    everyone_visit = [h for hours in visit.values() for h in hours]
    for code in set(acknowledge) | set(visit):
        _times(figures(code), acknowledge.get(code, []), visit.get(code, []))
    result.towns = [per_town[c] for c in sorted(per_town)]
    total = TownFigures("", "")
    for f in result.towns:
        for name in ("leads", "open", "overdue", "with_town_leader", "with_county"):
            setattr(total, name, getattr(total, name) + getattr(f, name))
    _times(total, everyone_ack, everyone_visit)
    result.all_towns = total
    from .models import Cause

    result.by_cause = [{"cause": r["cause"], "label": str(Cause(r["cause"]).label), "count": r["n"]}
                       for r in period.values("cause").annotate(n=Count("id")).order_by("-n", "cause")]
    result.by_source = [{"source": r["source"], "label": str(Source(r["source"]).label), "count": r["n"]}
                        for r in period.values("source").annotate(n=Count("id")).order_by("-n", "source")]
    result.warnings_by_cause = [{"cause": r["cause"], "label": str(Cause(r["cause"]).label), "count": r["n"]}
                                for r in period.filter(source=Source.WARNING).values("cause").annotate(n=Count("id"))
                                .order_by("-n", "cause")]
    result.conversion = conversion(period)
    return result


def _times(f: TownFigures, acknowledge: list[float], visit: list[float]) -> None:
    f.acknowledged, f.visited = len(acknowledge), len(visit)
    f.acknowledge_median_hours, f.acknowledge_p90_hours = percentile(acknowledge, 50), percentile(acknowledge, 90)
    f.visit_median_hours, f.visit_p90_hours = percentile(visit, 50), percentile(visit, 90)


def conversion(leads: QuerySet[Lead]) -> dict:
    """Leads → applications filed from them → confirmed → an enrollment live for that case."""
    counts = leads.aggregate(leads=Count("id"), applied=Count("id", filter=Q(case__isnull=False)),
                             confirmed=Count("id", filter=Q(case__status=CaseStatus.CONFIRMED)))
    enrolled = Enrollment.objects.filter(case_id__in=leads.filter(case__isnull=False).values("case_id"),
                                         status__in=LIVE_STATUSES).values("case_id").distinct().count()
    return {**counts, "enrolled": enrolled}
