"""Reads of enrollments, through the actor's scope (the case pages show a case's enrollment;
the payments issue adds payroll reads)."""
from __future__ import annotations

from django.db.models import QuerySet

from safetynet.core.scoping import Actor, get_in_scope, in_scope

from .models import LIVE_STATUSES, Enrollment


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
# sees the runs of its county but only its own town's payments and totals (out-of-scope → 404).
# ---------------------------------------------------------------------------------------------
from .models import EnrollmentChange, Payment, PayrollRun  # noqa: E402

PAYMENTS_VIEW = "payments.view"


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
        from safetynet.core.errors import NotFound
        from django.utils.translation import gettext as _

        raise NotFound(_("Not found."))


def payments_in_scope(actor: Actor, run: PayrollRun) -> QuerySet[Payment]:
    """A run's payments the actor may see (a town post: its town's)."""
    actor.require(PAYMENTS_VIEW)
    return in_scope(Payment.objects.filter(run=run).select_related("program").order_by("id"), actor)


def town_totals(actor: Actor, run: PayrollRun) -> list[dict]:
    """The run's totals by town and program (computed at generation), narrowed to the actor's scope."""
    rows = run.summary.get("by_town_program", []) if run.summary else []
    if actor.is_national or len(actor.area_code) <= 6:
        return rows
    return [r for r in rows if r["town"].startswith(actor.area_code[:9]) or actor.area_code.startswith(r["town"])]


def payroll_enrollment(actor: Actor, enrollment_id) -> Enrollment:
    actor.require(PAYMENTS_VIEW)
    try:
        return get_in_scope(Enrollment.objects.select_related("program", "household", "person", "decision", "area"),
                            actor, pk=int(enrollment_id))
    except (ValueError, TypeError):
        from safetynet.core.errors import NotFound

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
