"""Reads of the work subsidies, through the post's scope. Runs are per county: a county post sees
its county's runs and figures; a town post sees the runs of its county but only its own town's
people, subsidies and figures (a statement or a line of another town: 404)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from safetynet.core.errors import NotFound
from safetynet.core.scoping import Actor, get_in_scope, in_scope
from safetynet.core.text import normalise_text

from .models import FROZEN_RUN_STATUSES, SubsidyLine, SubsidyRun, SubsidyStatement
from .scope import VIEW, county_of
from .subsidies import next_month


def runs_in_scope(actor: Actor) -> QuerySet[SubsidyRun]:
    actor.require(VIEW)
    qs = SubsidyRun.objects.select_related("area")
    if actor.is_national:
        return qs
    if len(actor.area_code) >= 6:
        return qs.filter(area_id=county_of(actor))
    return qs.filter(area_id__startswith=actor.area_code)


def get_run(actor: Actor, run_id) -> SubsidyRun:
    try:
        return runs_in_scope(actor).get(pk=int(run_id))
    except (SubsidyRun.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Not found."))


def run_of_month(actor: Actor, county_code: str, month) -> SubsidyRun | None:
    return runs_in_scope(actor).filter(area_id=county_code, month=month).first()


def statements_in_scope(actor: Actor, run: SubsidyRun, *, q: str = "", status: str = "") -> QuerySet[SubsidyStatement]:
    """A run's statements the post may see (a town post: the people whose work was in its town),
    searched by name or the end of the ID number."""
    actor.require(VIEW)
    qs = in_scope(SubsidyStatement.objects.filter(run=run), actor)
    q = normalise_text(q)
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(id_number__endswith=q.upper()) | Q(reference=q))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("area_id", "name", "id")


def get_statement(actor: Actor, statement_id) -> SubsidyStatement:
    actor.require(VIEW)
    try:
        return get_in_scope(SubsidyStatement.objects.select_related("run", "run__area", "area", "staff_identity"), actor,
                            pk=int(statement_id))
    except (ValueError, TypeError):
        raise NotFound(_("Not found."))


def statement_lines(actor: Actor, statement: SubsidyStatement) -> QuerySet[SubsidyLine]:
    """The lines of a statement: a town post sees those of its own town."""
    actor.require(VIEW)
    return in_scope(SubsidyLine.objects.filter(statement=statement).select_related("area"), actor).order_by("worked_on", "id")


def lines_in_scope(actor: Actor, run: SubsidyRun, *, kind: str = "") -> QuerySet[SubsidyLine]:
    actor.require(VIEW)
    qs = in_scope(SubsidyLine.objects.filter(run=run).select_related("area"), actor)
    return qs.filter(kind=kind) if kind else qs


def statements_of_person(actor: Actor, id_number: str) -> QuerySet[SubsidyStatement]:
    """A person's statements over the months, in the post's scope."""
    actor.require(VIEW)
    return in_scope(SubsidyStatement.objects.filter(id_number=id_number).select_related("run"), actor).order_by("-run__month")


_STORED = ("line_count", "statement_count", "total_amount", "payable_count", "payable_amount", "no_account_count",
           "no_account_amount")


def run_figures(actor: Actor, run: SubsidyRun) -> dict:
    """The run's figures as the post may see them: stored on the run for a post covering its
    county; computed from its own town's lines for a town post (never the county's total)."""
    actor.require(VIEW)
    summary = run.summary or {}
    if actor.covers(run.area_id):
        return {**{key: getattr(run, key) for key in _STORED}, "by_kind": summary.get("by_kind", {}),
                "by_town": summary.get("by_town", [])}
    lines = lines_in_scope(actor, run).order_by()
    totals = lines.aggregate(n=Count("id"), total=Sum("amount"), people=Count("payee_id_number", distinct=True))
    by_kind = {row["kind"]: {"count": row["n"], "total": f"{row['total']:.2f}"}
               for row in lines.values("kind").annotate(n=Count("id"), total=Sum("amount"))}
    total = totals["total"] or Decimal("0.00")
    return {"line_count": totals["n"], "statement_count": totals["people"], "total_amount": total,
            "payable_count": None, "payable_amount": None, "no_account_count": None, "no_account_amount": None,
            "by_kind": by_kind, "by_town": [t for t in summary.get("by_town", []) if t["town"].startswith(actor.area_code)]}


def next_subsidy_month(actor: Actor, county_code: str, today):
    """The month offered for generating: a run not yet approved is that month's; otherwise the
    month after the latest; with no run yet, the month before today's (work of a month is paid
    after it ends)."""
    latest = runs_in_scope(actor).filter(area_id=county_code).order_by("-month").values_list("month", "status").first()
    if latest is None:
        return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    month, status = latest
    return next_month(month) if status in FROZEN_RUN_STATUSES else month
