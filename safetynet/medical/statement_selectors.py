"""Reads of the institutions' statements, claims and payment runs, through the post's scope.

A statement is in the scope of the institution's area: a county post reads its county's
institutions, a town post only the institutions registered in its town (a county hospital: none).
A run and its bank files are the county's: a town post reads no run (404). An institution's own
system reads only its own statements and claims (`institution_statement`, keyed by the
institution the key authenticated)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from safetynet.core.errors import NotFound
from safetynet.core.scoping import Actor, get_in_scope, in_scope
from safetynet.core.text import normalise_text

from .models import Institution, Settlement
from .statement_models import MedicalClaim, MedicalPaymentRun, MedicalStatement
from .statements import APPROVE, TRANSITIONS, VIEW, runs_of


def county_of(actor: Actor) -> str:
    """The county of the post ('' for a national post)."""
    return actor.area_code[:6] if len(actor.area_code) >= 6 else ""


def statements_in_scope(actor: Actor, *, month: dt.date | None = None, status: str = "", q: str = "",
                        county: str = "") -> QuerySet[MedicalStatement]:
    """The statements of the institutions in the post's area, by month, status, county, or a
    search on the institution's code or name."""
    actor.require(VIEW)
    qs = in_scope(MedicalStatement.objects.select_related("institution", "run"), actor, "institution__area")
    if month:
        qs = qs.filter(month=month)
    if status:
        qs = qs.filter(status=status)
    if county:
        qs = qs.filter(institution__area__code__startswith=county)
    q = normalise_text(q)
    if q:
        qs = qs.filter(Q(institution__code__icontains=q) | Q(institution__name__contains=q))
    return qs.order_by("-month", "institution__code")


def statements_to_approve(actor: Actor) -> QuerySet[MedicalStatement]:
    """Statements compared with their claim (reconciled or discrepant) that this post may approve:
    none that it generated itself (maker-checker, as `statements.approve_statement` refuses)."""
    if not (actor.can(APPROVE) and actor.can(VIEW)):
        return MedicalStatement.objects.none()
    return statements_in_scope(actor).filter(status__in=TRANSITIONS["approve"]).exclude(generated_by_id=actor.user_id)


def get_statement(actor: Actor, statement_id) -> MedicalStatement:
    actor.require(VIEW)
    try:
        return get_in_scope(MedicalStatement.objects.select_related("institution", "run", "run__area", "carried_into"),
                            actor, "institution__area", pk=int(statement_id))
    except (TypeError, ValueError):
        raise NotFound(_("Not found."))


def statement_settlements(actor: Actor, statement: MedicalStatement) -> QuerySet[Settlement]:
    """The settlements stated on a statement (the caller has read the statement in scope)."""
    actor.require(VIEW)
    return Settlement.objects.filter(statement=statement).select_related("person").order_by("settled_on", "visit_number")


def statement_reversals(actor: Actor, statement: MedicalStatement) -> QuerySet[Settlement]:
    """The reversals a statement deducts (settlements paid on an earlier statement)."""
    actor.require(VIEW)
    return (Settlement.objects.filter(reversal_statement=statement).select_related("person", "statement")
            .order_by("reversed_on", "visit_number"))


def carried_from(actor: Actor, statement: MedicalStatement) -> QuerySet[MedicalStatement]:
    actor.require(VIEW)
    return MedicalStatement.objects.filter(carried_into=statement).order_by("month")


def claim_of(statement: MedicalStatement) -> MedicalClaim | None:
    return MedicalClaim.objects.filter(institution_id=statement.institution_id, month=statement.month).first()


def runs_in_scope(actor: Actor) -> QuerySet[MedicalPaymentRun]:
    actor.require(VIEW)
    return runs_of(actor)


def get_run(actor: Actor, run_id) -> MedicalPaymentRun:
    try:
        return runs_in_scope(actor).get(pk=int(run_id))
    except (MedicalPaymentRun.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("Not found."))


def run_of_month(actor: Actor, county: str, month: dt.date) -> MedicalPaymentRun | None:
    if not county:
        return None
    return runs_in_scope(actor).filter(area_id=county, month=month).first()


def run_statements(actor: Actor, run: MedicalPaymentRun) -> QuerySet[MedicalStatement]:
    """The statements a run pays (its month's, and earlier ones paid again with it)."""
    actor.require(VIEW)
    return in_scope(MedicalStatement.objects.filter(run=run).select_related("institution"), actor,
                    "institution__area").order_by("institution__code", "month")


def month_figures(statements: QuerySet[MedicalStatement]) -> dict:
    """Counts and totals of a list of statements, and each status's count."""
    totals = statements.order_by().aggregate(n=Count("id"), settlements=Sum("settlements_count"),
                                             assistance=Sum("assistance_total"), reversed=Sum("reversals_total"),
                                             net=Sum("net_total"), claimed=Sum("claimed_total"))
    by_status = dict(statements.order_by().values_list("status").annotate(n=Count("id")))
    zero = Decimal("0.00")
    return {"statements": totals["n"], "settlements": totals["settlements"] or 0,
            "assistance": totals["assistance"] or zero, "reversed": totals["reversed"] or zero,
            "net": totals["net"] or zero, "claimed": totals["claimed"], "by_status": by_status}


def chart_of(statements) -> dict:
    """Each institution's net for the month (the page's bar chart)."""
    rows = list(statements)
    return {"names": [s.institution.name for s in rows], "net": [float(s.net_total) for s in rows],
            "claimed": [float(s.claimed_total) if s.claimed_total is not None else None for s in rows]}


# ---------------------------------------------------------------------------------------------
# The institution's own
# ---------------------------------------------------------------------------------------------
def institution_statements(institution: Institution) -> QuerySet[MedicalStatement]:
    return MedicalStatement.objects.filter(institution=institution).order_by("-month")


def institution_statement(institution: Institution, month: dt.date) -> MedicalStatement:
    statement = MedicalStatement.objects.filter(institution=institution, month=month).first()
    if statement is None:
        raise NotFound(_("No statement of %(month)s for your institution yet.") % {"month": f"{month:%Y-%m}"})
    return statement


def institution_claim(institution: Institution, month: dt.date) -> MedicalClaim:
    claim = MedicalClaim.objects.filter(institution=institution, month=month).first()
    if claim is None:
        raise NotFound(_("No claim of %(month)s from your institution.") % {"month": f"{month:%Y-%m}"})
    return claim
