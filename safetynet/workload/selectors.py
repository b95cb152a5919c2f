"""Reads of open work and of who holds it, set-based and through the actor's scope.

What counts as open work, one definition per kind (`SOURCES`), shared by the overview, the
proposals, the assignment service and the benchmark:
- a case to survey: open, its next step the household survey (`cases.clocks.next_step`:
  accepted or reopened), due on its stored `next_due`;
- a re-check: open, due on its `due_on`;
- a lead: open (new, acknowledged, visited), due on the earliest deadline it has not met
  (acknowledge by, visit by), so "overdue" here is `discovery.selectors.overdue_q`.

An assignment stays current after its work is done (it is the record of who did it); a worker's
load counts only the items still open.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case, Count, DateField, Exists, F, IntegerField, OuterRef, Q, QuerySet, Sum, Value, When,
)
from django.db.models.functions import Least, Substr
from django.utils.translation import gettext as _

from safetynet.cases.models import Case as CaseModel
from safetynet.core.errors import NotFound
from safetynet.core.scoping import Actor, in_scope
from safetynet.discovery.models import OPEN_STATUSES as LEAD_OPEN_STATUSES
from safetynet.discovery.models import Lead
from safetynet.enrollments.change_models import Recheck, RecheckStatus
from safetynet.workforce.models import Employment, StaffIdentity, StaffKind

from . import capacity
from .models import WorkAssignment, WorkKind

VIEW = "workforce.view"
ASSIGN = "workload.assign"
REASSIGN = "workload.reassign"
LEND = "workload.lend"


# ---- who works, and how much of a post ----------------------------------------------------------

def full_time_share():
    """The share of a full-time post a staff identity works (the register's `full_time_share`,
    0 to 1), as an expression (`.annotate(share=full_time_share())`): the one place it is read,
    for Python and SQL alike."""
    return F("full_time_share")


def town_staff_q() -> Q:
    """The staff a town's work is proposed to, as a filter (`is_town_worker` in Python): active,
    town staff or a contracted assistant placed in the town (at a village or grid of it), never a
    purchased service's worker (they take work only when the county lends it)."""
    return (Q(is_active=True) & ~Q(employment=Employment.PROVIDER_WORKER)
            & (Q(kind=StaffKind.TOWN_STAFF) | Q(employment=Employment.CONTRACTED_ASSISTANT)))


def is_town_worker(kind: str, employment: str) -> bool:
    """`town_staff_q` for one identity's kind and employment (activity is the capacity rule's)."""
    return employment != Employment.PROVIDER_WORKER and (
        kind == StaffKind.TOWN_STAFF or employment == Employment.CONTRACTED_ASSISTANT)


def in_towns_q(town_codes: Iterable[str]) -> Q:
    """Identities working in one of these towns (at the town, or a village or grid of it)."""
    q = Q(pk__in=[])
    for code in sorted(set(town_codes)):
        q |= Q(area__code__startswith=code)
    return q


# ---- open work, by kind -------------------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    kind: str
    model: type
    column: str           # the WorkAssignment column naming an item of this kind
    household: str        # the path from an item to its household id
    open_filter: tuple    # ((lookup, value), ...) that an open item matches

    def open_q(self, prefix: str = "") -> Q:
        return Q(**{f"{prefix}{lookup}": value for lookup, value in self.open_filter})

    def due(self, prefix: str = ""):
        """The item's live due date (the module docstring), as an expression."""
        if self.kind == WorkKind.CASE:
            return F(f"{prefix}next_due")
        if self.kind == WorkKind.RECHECK:
            return F(f"{prefix}due_on")
        return Case(
            When(**{f"{prefix}acknowledged_at__isnull": True, f"{prefix}visited_at__isnull": True},
                 then=Least(f"{prefix}acknowledge_due_on", f"{prefix}visit_due_on")),
            When(**{f"{prefix}visited_at__isnull": True}, then=F(f"{prefix}visit_due_on")),
            default=Value(None), output_field=DateField())


SOURCES: dict[str, Source] = {
    WorkKind.CASE: Source(WorkKind.CASE, CaseModel, "case", "household_id",
                          (("is_open", True), ("next_action", "record_survey"))),
    WorkKind.RECHECK: Source(WorkKind.RECHECK, Recheck, "recheck", "enrollment__household_id",
                             (("status", RecheckStatus.OPEN),)),
    WorkKind.LEAD: Source(WorkKind.LEAD, Lead, "lead", "household_id",
                          (("status__in", tuple(LEAD_OPEN_STATUSES)),)),
}


def weight_expression(today: dt.date, due: str = "due"):
    """`capacity.item_weight` as SQL over the annotation `due` (tests hold the two equal)."""
    soon = today + dt.timedelta(days=capacity.DUE_SOON_DAYS)
    return Case(When(**{f"{due}__isnull": True}, then=Value(capacity.BASE_WEIGHT)),
                When(**{f"{due}__lt": today}, then=Value(capacity.OVERDUE_WEIGHT)),
                When(**{f"{due}__lte": soon}, then=Value(capacity.DUE_SOON_WEIGHT)),
                default=Value(capacity.BASE_WEIGHT), output_field=IntegerField())


def assigned_q(source: Source) -> Exists:
    return Exists(WorkAssignment.objects.filter(is_current=True, **{source.column: OuterRef("pk")}))


def open_items(source: Source, area_prefix: str) -> QuerySet:
    """The open items of a kind under an area, annotated with `due`, `town` and `household`."""
    qs = source.model.objects.filter(source.open_q())
    if area_prefix:
        qs = qs.filter(area__code__startswith=area_prefix)
    return qs.annotate(due=source.due(), town=Substr("area_id", 1, 9), hh=F(source.household))


def scope_prefix(actor: Actor, area_code: str) -> str:
    """The narrower of the actor's area and the area asked for (one must contain the other; an
    area outside the post's answers 404)."""
    area_code = area_code or ""
    if area_code.startswith(actor.area_code):
        return area_code
    if actor.area_code.startswith(area_code):
        return actor.area_code
    raise NotFound(_("No such area in your scope: %(code)s.") % {"code": area_code}, field="area")


# ---- loads --------------------------------------------------------------------------------------

@dataclass
class WorkerFigures:
    items: int = 0
    overdue: int = 0
    weight: int = 0
    cases: int = 0
    rechecks: int = 0
    leads: int = 0


def worker_figures(worker_ids: Iterable[int], today: dt.date) -> dict[int, WorkerFigures]:
    """Open items, overdue and weight (`capacity.item_weight` summed) of each worker's current
    assignments, still-open items only: one grouped query per kind."""
    ids = sorted(set(worker_ids))
    figures = {pk: WorkerFigures() for pk in ids}
    if not ids:
        return figures
    for source in SOURCES.values():
        prefix = f"{source.column}__"
        rows = (WorkAssignment.objects.filter(source.open_q(prefix), is_current=True, kind=source.kind,
                                              worker_id__in=ids)
                .annotate(due=source.due(prefix)).values("worker_id").order_by()
                .annotate(n=Count("id"), late=Count("id", filter=Q(due__lt=today)), weight=Sum(weight_expression(today))))
        for row in rows:
            f = figures[row["worker_id"]]
            f.items += row["n"]
            f.overdue += row["late"]
            f.weight += row["weight"] or 0
            setattr(f, {"case": "cases", "recheck": "rechecks", "lead": "leads"}[source.kind], row["n"])
    return figures


def candidate_workers(town_codes: Iterable[str], today: dt.date, *, extra_ids: Iterable[int] = ()) -> dict[int, dict]:
    """The town staff of these towns and any other identities named (`extra_ids`: a chosen
    worker), each {"id", "name", "town", "area", "kind", "is_active", "share", "weight"}."""
    towns = sorted(set(town_codes))
    q = Q(pk__in=list(extra_ids))
    if towns:
        q |= town_staff_q() & in_towns_q(towns)
    rows = list(StaffIdentity.objects.filter(q).annotate(share=full_time_share())
                .values("id", "name", "area_id", "kind", "employment", "is_active", "share", "user_id"))
    figures = worker_figures([r["id"] for r in rows], today)
    return {r["id"]: {**r, "town": r["area_id"][:9] if len(r["area_id"]) >= 9 else "",
                      "weight": figures[r["id"]].weight} for r in rows}


def as_worker(row: dict) -> capacity.Worker:
    return capacity.Worker(id=row["id"], town=row["town"], full_time_share=Decimal(row["share"]),
                           is_active=row["is_active"], open_weight=row["weight"],
                           is_town_staff=is_town_worker(row["kind"], row["employment"]))


# ---- assignments --------------------------------------------------------------------------------

def assignments_in_scope(actor: Actor, *, current_only: bool = True) -> QuerySet[WorkAssignment]:
    actor.require(VIEW)
    qs = in_scope(WorkAssignment.objects.select_related("worker", "area"), actor)
    return qs.filter(is_current=True) if current_only else qs


def get_assignment(actor: Actor, assignment_id: int) -> WorkAssignment:
    actor.require(VIEW)
    try:
        return assignments_in_scope(actor, current_only=False).get(pk=int(assignment_id))
    except (WorkAssignment.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("Not found."))


def my_assignments(actor: Actor) -> QuerySet[WorkAssignment]:
    """The current assignments of the actor's own staff identities (any post: the worker's own
    list), open work first by due date."""
    if not actor.user_id:
        return WorkAssignment.objects.none()
    return (WorkAssignment.objects.filter(is_current=True, worker__user_id=actor.user_id, worker__is_active=True)
            .select_related("worker", "area", "case", "recheck", "lead", "household")
            .order_by(F("due_on").asc(nulls_last=True), "id"))


def current_holders(kind: str, ids: Iterable[int]) -> dict[int, WorkAssignment]:
    """The current assignment of each item of a kind (by item id)."""
    source = SOURCES[kind]
    ids = sorted(set(ids))
    if not ids:
        return {}
    rows = WorkAssignment.objects.filter(is_current=True, **{f"{source.column}_id__in": ids}).select_related("worker")
    return {getattr(a, f"{source.column}_id"): a for a in rows}


# ---- what the pages show of an item -------------------------------------------------------------

@dataclass
class ItemView:
    kind: str
    id: int
    label: str            # who it concerns
    area_name: str
    due: dt.date | None
    url_name: str         # the item's own page

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.id}"


_ITEM_FIELDS = {
    WorkKind.CASE: ("applicant__name", "cases:detail"),
    WorkKind.RECHECK: ("enrollment__household__head__name", "changes:recheck"),
    WorkKind.LEAD: ("name", "discovery:lead"),
}


def describe_items(keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], ItemView]:
    """Who each item concerns, where, when due, and its page: one query per kind."""
    keys = list(keys)
    found: dict[tuple[str, int], ItemView] = {}
    for kind, source in SOURCES.items():
        ids = [i for k, i in keys if k == kind]
        if not ids:
            continue
        name_field, url_name = _ITEM_FIELDS[kind]
        extra = ("household__head__name",) if kind == WorkKind.LEAD else ()
        rows = (source.model.objects.filter(pk__in=ids).annotate(due=source.due())
                .values("id", name_field, "area__name", "due", *extra))
        for row in rows:
            label = row[name_field] or (row.get("household__head__name") or "")
            found[(kind, row["id"])] = ItemView(kind=kind, id=row["id"], label=label, area_name=row["area__name"],
                                                due=row["due"], url_name=url_name)
    return found


def held_work(town_code: str) -> QuerySet[WorkAssignment]:
    """The current assignments of a town whose work is still open, soonest due first."""
    q = Q()
    for source in SOURCES.values():
        q |= Q(kind=source.kind) & source.open_q(f"{source.column}__")
    return (WorkAssignment.objects.filter(q, is_current=True, area__code__startswith=town_code)
            .select_related("worker").order_by(F("due_on").asc(nulls_last=True), "id"))


def open_keys(keys: Iterable[tuple[str, int]]) -> set[tuple[str, int]]:
    """Which of these items are still open work: one query per kind."""
    keys = list(keys)
    found = set()
    for kind, source in SOURCES.items():
        ids = [i for k, i in keys if k == kind]
        if ids:
            found |= {(kind, pk) for pk in source.model.objects.filter(source.open_q(), pk__in=ids).values_list("id", flat=True)}
    return found
