"""Reads of enrollments, through the actor's scope (the case pages show a case's enrollment;
the payments issue adds payroll reads)."""
from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from safetynet.core.errors import NotFound
from safetynet.core.scoping import Actor, get_in_scope, in_scope
from safetynet.enrollments.models import LIVE_STATUSES, Enrollment
from safetynet.enrollments.months import next_month

from .models import FROZEN_RUN_STATUSES


def enrollments_in_scope(actor: Actor, *, live_only: bool = False) -> QuerySet[Enrollment]:
    actor.require("cases.view")
    qs = in_scope(Enrollment.objects.select_related("program", "household", "person"), actor)
    return qs.filter(status__in=LIVE_STATUSES) if live_only else qs


def get_enrollment(actor: Actor, enrollment_id) -> Enrollment:
    actor.require("cases.view")
    return get_in_scope(Enrollment.objects.select_related("program", "household", "person", "decision"), actor,
                        pk=enrollment_id)


# ---------------------------------------------------------------------------------------------
# Payroll reads (issue 5). Runs are per county: a county post sees its county's runs, a town post
# sees the runs of its county but only its own town's payments and figures (run_figures;
# out-of-scope → 404).
# ---------------------------------------------------------------------------------------------
from safetynet.enrollments.models import EnrollmentChange  # noqa: E402
from safetynet.enrollments.pages import PAYMENTS_VIEW  # noqa: E402

from . import summaries  # noqa: E402
from .models import Payment, PayrollRun  # noqa: E402


def _county_of(actor: Actor) -> str:
    return actor.area_code[:6] if len(actor.area_code) >= 6 else actor.area_code


def runs_in_scope(actor: Actor) -> QuerySet[PayrollRun]:
    actor.require(PAYMENTS_VIEW)
    qs = PayrollRun.objects.select_related("area")
    if actor.is_national:
        return qs
    if len(actor.area_code) >= 6:
        return qs.filter(area_id=_county_of(actor))
    return qs.filter(area_id__startswith=actor.area_code)


def get_run(actor: Actor, run_id) -> PayrollRun:
    try:
        return runs_in_scope(actor).get(pk=run_id)
    except (PayrollRun.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Not found."))


def payments_in_scope(actor: Actor, run: PayrollRun) -> QuerySet[Payment]:
    """A run's payments the actor may see (a town post: its town's)."""
    actor.require(PAYMENTS_VIEW)
    return in_scope(Payment.objects.filter(run=run).select_related("program").order_by("id"), actor)


_STORED = ("payment_count", "total_amount", "payable_count", "payable_amount", "no_account_count", "no_account_amount")


def run_figures(actor: Actor, run: PayrollRun) -> dict:
    """The run's figures as `actor` may see them: its counts and totals (`payment_count`,
    `total_amount`, `payable_*`, `no_account_*`), `by_town_program` and the `change` from the
    previous month. A post at the county or above sees the county's, stored on the run at
    generation; a town post sees its own area's, computed from the run's payments under it (a
    few grouped queries, summaries.py): never the county's total and count. The API and the pages
    both read a run through here."""
    actor.require(PAYMENTS_VIEW)
    if actor.covers(run.area_id):
        summary = run.summary or {}
        return {**{key: getattr(run, key) for key in _STORED},
                "by_town_program": summary.get("by_town_program", []), "change": summary.get("change") or {}}
    rows = summaries.grouped(run, area_prefix=actor.area_code)
    return {**summaries.run_totals(run, rows), "by_town_program": summaries.totals_by_town_and_program(run, rows),
            "change": summaries.change_from_previous(run, rows, area_prefix=actor.area_code)}


def runs_figures(actor: Actor, runs: list[PayrollRun]) -> dict[int, dict]:
    """`run_figures`' counts and totals (not the breakdowns) of a page of runs, by run id: one
    grouped query for a town post."""
    actor.require(PAYMENTS_VIEW)
    mine = [run.pk for run in runs if not actor.covers(run.area_id)]
    scoped = summaries.totals_of_runs(mine, area_prefix=actor.area_code) if mine else {}
    return {run.pk: scoped.get(run.pk) or {key: getattr(run, key) for key in _STORED} for run in runs}


def payroll_enrollment(actor: Actor, enrollment_id) -> Enrollment:
    actor.require(PAYMENTS_VIEW)
    try:
        return get_in_scope(Enrollment.objects.select_related("program", "household", "person", "decision", "area"),
                            actor, pk=int(enrollment_id))
    except (ValueError, TypeError):
        raise NotFound("Not found.")


def enrollment_history(actor: Actor, enrollment: Enrollment) -> QuerySet[EnrollmentChange]:
    actor.require(PAYMENTS_VIEW)
    return EnrollmentChange.objects.filter(enrollment=enrollment).order_by("-at", "-id")


def enrollment_payments(actor: Actor, enrollment: Enrollment) -> QuerySet[Payment]:
    actor.require(PAYMENTS_VIEW)
    return Payment.objects.filter(enrollment=enrollment).select_related("run").order_by("-month", "-id")


def payroll_enrollments(actor: Actor) -> QuerySet[Enrollment]:
    actor.require(PAYMENTS_VIEW)
    return in_scope(Enrollment.objects.select_related("program", "household", "person", "area"), actor)


def next_payroll_month(actor: Actor, county_code: str, today):
    """The month a county's officer most likely generates next, offered on the runs page so the
    usual month is one submit: a run not yet approved is that month's (generating it again adds
    what is missing); otherwise the month after the latest run; with no run yet, next month
    (when enrollments confirmed this month start, MLG-2021 art. 25)."""
    latest = runs_in_scope(actor).filter(area_id=county_code).order_by("-month").values_list("month", "status").first()
    if latest is None:
        return next_month(today)
    month, status = latest
    return next_month(month) if status in FROZEN_RUN_STATUSES else month
