"""The workload of a county's towns and of a town's workers (issue 19 part 2), set-based: a few
grouped queries whatever the number of items (bench/bench_workload.py: the county overview over
50,000 open items).

Per town: open cases to survey, re-checks and leads and how many of each are overdue, how many
nobody holds; the staff (`selectors.town_staff_q`) and their full-time equivalent (the sum of
their shares of a post, `selectors.full_time_share`); open items and enrolled households (live
enrollments) per full-time worker; and the flags of the WORKFORCE staffing norms, read per town
(`programs/catalogue.py`, editable per area and period):
- understaffed: fewer full-time workers than `min_workers_per_town`;
- over norm: more open items per full-time worker than `open_items_per_worker`, or more enrolled
  households than `caseload_per_worker` (a town with work and nobody is over norm too).
The county sees the towns over norm; it may lend their work to a purchased service
(`assignments.assign_work(reason=LENT)`).

Per worker: open items held, overdue, the weighted load (`capacity`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr
from django.utils.translation import gettext as _

from safetynet.areas.models import Area, Level
from safetynet.cases import clocks
from safetynet.core.errors import NotFound
from safetynet.core.scoping import Actor
from safetynet.enrollments.models import LIVE_STATUSES, Enrollment
from safetynet.programs.catalogue import WORKFORCE
from safetynet.programs.selectors import parameters_for
from safetynet.workforce.models import StaffIdentity

from . import capacity
from .selectors import SOURCES, VIEW, assigned_q, full_time_share, open_items, scope_prefix, town_staff_q, worker_figures

_PLURAL = {"case": "cases", "recheck": "rechecks", "lead": "leads"}


@dataclass
class TownLoad:
    code: str
    name: str
    cases: int = 0
    cases_overdue: int = 0
    rechecks: int = 0
    rechecks_overdue: int = 0
    leads: int = 0
    leads_overdue: int = 0
    unassigned: int = 0
    workers: int = 0
    fte: Decimal = Decimal("0")
    households: int = 0
    open_items_per_worker: int = 0       # the norms in force for the town
    caseload_per_worker: int = 0
    min_workers_per_town: int = 0
    items_per_fte: Decimal | None = None
    households_per_fte: Decimal | None = None
    understaffed: bool = False
    over_norm: bool = False
    reasons: list[str] = field(default_factory=list)   # understaffed, items_over_norm, households_over_norm

    @property
    def open(self) -> int:
        return self.cases + self.rechecks + self.leads

    @property
    def overdue(self) -> int:
        return self.cases_overdue + self.rechecks_overdue + self.leads_overdue

    @property
    def flagged(self) -> bool:
        return self.understaffed or self.over_norm


def _per(n: int, fte: Decimal) -> Decimal | None:
    return (Decimal(n) / fte).quantize(Decimal("0.1")) if fte > 0 else None


def judge(town: TownLoad) -> TownLoad:
    """Set the flags of a town's figures against its norms (pure: the tests plant figures)."""
    town.items_per_fte = _per(town.open, town.fte)
    town.households_per_fte = _per(town.households, town.fte)
    town.reasons = []
    if town.fte < town.min_workers_per_town:
        town.reasons.append("understaffed")
    if town.open and (town.items_per_fte is None or town.items_per_fte > town.open_items_per_worker):
        town.reasons.append("items_over_norm")
    if town.households and (town.households_per_fte is None or town.households_per_fte > town.caseload_per_worker):
        town.reasons.append("households_over_norm")
    town.understaffed = "understaffed" in town.reasons
    town.over_norm = any(r.endswith("over_norm") for r in town.reasons)
    return town


def town_loads(actor: Actor, area_code: str, *, on: dt.date) -> list[TownLoad]:
    """Every town under `area_code` as far as the post sees (a town's post: its own), in code
    order: eight grouped queries (three kinds of work, staff, enrollments, the towns) and the
    norms of each town."""
    actor.require(VIEW)
    prefix = scope_prefix(actor, area_code)
    towns = {code: TownLoad(code=code, name=name) for code, name in Area.objects.filter(
        level=Level.TOWN, code__startswith=prefix[:9]).order_by("code").values_list("code", "name")
             if code.startswith(prefix) or prefix.startswith(code)}
    if not towns:
        return []
    for source in SOURCES.values():
        rows = (open_items(source, prefix).annotate(held=assigned_q(source)).values("town").order_by()
                .annotate(n=Count("pk"), late=Count("pk", filter=Q(due__lt=on)),
                          free=Count("pk", filter=Q(held=False))))
        plural = _PLURAL[source.kind]
        for row in rows:
            town = towns.get(row["town"])
            if town is None:
                continue
            setattr(town, plural, row["n"])
            setattr(town, f"{plural}_overdue", row["late"])
            town.unassigned += row["free"]
    staff = (StaffIdentity.objects.filter(town_staff_q(), area__code__startswith=prefix[:9])
             .annotate(town=Substr("area_id", 1, 9), share=full_time_share()).values("town").order_by()
             .annotate(n=Count("id"), fte=Sum("share")))
    for row in staff:
        if row["town"] in towns:
            towns[row["town"]].workers = row["n"]
            towns[row["town"]].fte = Decimal(row["fte"] or 0)
    enrolled = (Enrollment.objects.filter(status__in=LIVE_STATUSES, area__code__startswith=prefix)
                .annotate(town=Substr("area_id", 1, 9)).values("town").order_by()
                .annotate(n=Count("household_id", distinct=True)))
    for row in enrolled:
        if row["town"] in towns:
            towns[row["town"]].households = row["n"]
    for town in towns.values():
        norms = parameters_for(WORKFORCE, town.code, on)
        town.open_items_per_worker = int(norms["open_items_per_worker"])
        town.caseload_per_worker = int(norms["caseload_per_worker"])
        town.min_workers_per_town = int(norms["min_workers_per_town"])
        judge(town)
    return list(towns.values())


@dataclass
class WorkerLoad:
    id: int
    name: str
    user_id: int | None
    share: Decimal
    items: int
    overdue: int
    weight: int
    cases: int
    rechecks: int
    leads: int
    load: Decimal | None


def worker_loads(actor: Actor, town_code: str, *, on: dt.date) -> list[WorkerLoad]:
    """The town's staff, each with what they hold, heaviest load first."""
    actor.require(VIEW)
    actor.require_area(town_code)
    if len(town_code) != 9:
        raise NotFound(_("No such town in your area."), field="town")
    rows = list(StaffIdentity.objects.filter(town_staff_q(), area__code__startswith=town_code).annotate(share=full_time_share())
                .values("id", "name", "user_id", "share"))
    figures = worker_figures([r["id"] for r in rows], on)
    loads = []
    for r in rows:
        f = figures[r["id"]]
        loads.append(WorkerLoad(id=r["id"], name=r["name"], user_id=r["user_id"], share=Decimal(r["share"]),
                                items=f.items, overdue=f.overdue, weight=f.weight, cases=f.cases, rechecks=f.rechecks,
                                leads=f.leads, load=capacity.load_of(f.weight, Decimal(r["share"]))))
    return sorted(loads, key=lambda w: (-(w.load if w.load is not None else Decimal(-1)), w.id))


def workload_at_a_glance(actor: Actor, county_code: str, *, on: dt.date | None = None) -> dict:
    """The county's workload in a few figures, for the county overview page another part builds:
    {"open", "overdue", "unassigned", "cases", "rechecks", "leads", "fte", "towns", "understaffed",
    "over_norm", "flagged_towns": [{"code", "name", "reasons"}]}."""
    towns = town_loads(actor, county_code, on=on or clocks.today())
    flagged = [t for t in towns if t.flagged]
    return {
        "open": sum(t.open for t in towns), "overdue": sum(t.overdue for t in towns),
        "unassigned": sum(t.unassigned for t in towns), "cases": sum(t.cases for t in towns),
        "rechecks": sum(t.rechecks for t in towns), "leads": sum(t.leads for t in towns),
        "fte": sum((t.fte for t in towns), Decimal("0")), "towns": len(towns),
        "understaffed": sum(t.understaffed for t in towns), "over_norm": sum(t.over_norm for t in towns),
        "flagged_towns": [{"code": t.code, "name": t.name, "reasons": list(t.reasons)} for t in flagged],
    }
