"""Reads for changes and exits, always through the actor's scope (another area's rows answer 404):
the re-check queue of each town, the automatic proposals waiting for confirmation, the endings on
notice, change reports, and an enrollment's amounts month by month."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from safetynet.areas.models import Area, Level
from safetynet.core.errors import NotFound, ValidationError
from safetynet.core.scoping import Actor, get_in_scope, in_scope

from . import schedule
from .change_models import (
    ChangeProposal,
    ChangeReport,
    EndingStatus,
    EnrollmentTerm,
    Overpayment,
    OverpaymentSettlement,
    OverpaymentStatus,
    PendingEnding,
    ProposalStatus,
    Recheck,
    RecheckStatus,
    TriggerSignal,
    WorkRefusalDeduction,
)
from .models import LIVE_STATUSES, Enrollment, EnrollmentChange
from .months import shift_month

VIEW = "payments.view"
REPORT = "payments.report_change"


def county_in_scope(actor: Actor, county_code: str) -> Area:
    """The county a payroll run, the triggers, a simulation or a re-assessment is for: out of the
    actor's scope (or no such area) is not found, an area that is not a county is refused."""
    county_code = (county_code or "").strip()
    actor.require_area(county_code)
    county = Area.objects.filter(code=county_code).first()
    if county is None:
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": county_code}, field="county")
    if county.level != Level.COUNTY:
        raise ValidationError(_("%(name)s is not a county: payroll runs are per county.") % {"name": county.name},
                              field="county")
    return county


def rechecks_in_scope(actor: Actor, *, status: str | None = RecheckStatus.OPEN) -> QuerySet[Recheck]:
    actor.require(VIEW)
    qs = in_scope(Recheck.objects.select_related("enrollment", "enrollment__household", "enrollment__program", "area"), actor)
    return qs.filter(status=status).order_by("due_on", "id") if status else qs.order_by("-id")


def get_recheck(actor: Actor, recheck_id) -> Recheck:
    actor.require(VIEW)
    try:
        recheck_id = int(recheck_id)
    except (TypeError, ValueError):
        raise NotFound(gettext("Not found."))
    return get_in_scope(Recheck.objects.select_related("enrollment", "enrollment__household", "enrollment__program",
                                                       "enrollment__person", "area", "change"), actor, pk=recheck_id)


@dataclass
class TownQueue:
    town: str
    town_name: str
    open: int = 0
    overdue: int = 0
    due_soon: int = 0
    overpaid: Decimal = Decimal("0.00")      # overpayments still outstanding
    overpaid_count: int = 0


def recheck_queue_by_town(actor: Actor, today: dt.date, *, soon_days: int = 7) -> list[TownQueue]:
    """Per town: open re-checks (all, overdue, due within `soon_days`) and the overpayments still
    outstanding (two grouped queries)."""
    towns: dict[str, TownQueue] = {}
    rows = (rechecks_in_scope(actor).order_by().annotate(town=Substr("area_id", 1, 9)).values("town")
            .annotate(n=Count("id"), late=Count("id", filter=Q(due_on__lt=today)),
                      soon=Count("id", filter=Q(due_on__gte=today, due_on__lte=today + dt.timedelta(days=soon_days)))))
    for r in rows:
        towns[r["town"]] = TownQueue(r["town"], r["town"], r["n"], r["late"], r["soon"])
    for r in (overpayments_in_scope(actor).order_by().annotate(town=Substr("area_id", 1, 9)).values("town")
              .annotate(total=Sum("outstanding"), n=Count("id"))):
        queue = towns.setdefault(r["town"], TownQueue(r["town"], r["town"]))
        queue.overpaid, queue.overpaid_count = Decimal(r["total"]).quantize(Decimal("0.01")), r["n"]
    names = dict(Area.objects.filter(code__in=list(towns)).values_list("code", "name"))
    for queue in towns.values():
        queue.town_name = names.get(queue.town, queue.town)
    return [towns[code] for code in sorted(towns)]


def overpayments_in_scope(actor: Actor, *, status: str | None = OverpaymentStatus.OPEN) -> QuerySet[Overpayment]:
    """Overpayments in scope (default: those still outstanding), oldest month first."""
    actor.require(VIEW)
    qs = in_scope(Overpayment.objects.select_related("enrollment", "enrollment__household", "area"), actor)
    return (qs.filter(status=status) if status else qs).order_by("month", "id")


@dataclass
class RecheckCounts:
    open: int
    overdue: int
    due_soon: int


def recheck_counts(actor: Actor, today: dt.date, *, soon_days: int = 7) -> RecheckCounts:
    """Open re-checks in scope: all, overdue, and due within `soon_days` (one query)."""
    row = rechecks_in_scope(actor).order_by().aggregate(
        n=Count("id"), late=Count("id", filter=Q(due_on__lt=today)),
        soon=Count("id", filter=Q(due_on__gte=today, due_on__lte=today + dt.timedelta(days=soon_days))))
    return RecheckCounts(row["n"], row["late"], row["soon"])


def filter_due(qs: QuerySet[Recheck], due: str, today: dt.date, *, soon_days: int = 7) -> QuerySet[Recheck]:
    """"overdue": past their due date; "soon": due within `soon_days`; anything else: all."""
    if due == "overdue":
        return qs.filter(due_on__lt=today)
    if due == "soon":
        return qs.filter(due_on__gte=today, due_on__lte=today + dt.timedelta(days=soon_days))
    return qs


def proposals_in_scope(actor: Actor, *, status: str | None = ProposalStatus.PENDING) -> QuerySet[ChangeProposal]:
    actor.require(VIEW)
    qs = in_scope(ChangeProposal.objects.select_related("enrollment", "enrollment__household", "person", "signal"), actor)
    return qs.filter(status=status).order_by("id") if status else qs.order_by("-id")


def get_proposal(actor: Actor, proposal_id) -> ChangeProposal:
    actor.require(VIEW)
    try:
        proposal_id = int(proposal_id)
    except (TypeError, ValueError):
        raise NotFound(gettext("Not found."))
    return get_in_scope(ChangeProposal.objects.select_related("enrollment", "person", "signal"), actor, pk=proposal_id)


def endings_on_notice(actor: Actor) -> QuerySet[PendingEnding]:
    actor.require(VIEW)
    return in_scope(PendingEnding.objects.filter(status=EndingStatus.NOTICE).select_related("enrollment", "notice"),
                    actor).order_by("notice_ends_on", "id")


def reports_in_scope(actor: Actor) -> QuerySet[ChangeReport]:
    actor.require(VIEW)
    return in_scope(ChangeReport.objects.select_related("enrollment", "household", "recheck"), actor).order_by("-id")


def reportable_enrollments(actor: Actor, *, text: str = "") -> QuerySet[Enrollment]:
    """Live enrollments a village or town post may report a change for, by address or name."""
    actor.require(REPORT)
    qs = in_scope(Enrollment.objects.filter(status__in=LIVE_STATUSES).select_related("household", "program", "person"), actor)
    text = (text or "").strip()
    if text:
        qs = qs.filter(Q(household__address__icontains=text) | Q(household__head__name__icontains=text))
    return qs.order_by("area_id", "id")


def enrollment_for_report(actor: Actor, enrollment_id) -> Enrollment:
    actor.require(REPORT)
    try:
        enrollment_id = int(enrollment_id)
    except (TypeError, ValueError):
        raise NotFound(gettext("Not found."))
    return get_in_scope(Enrollment.objects.select_related("household", "program", "person", "area"), actor, pk=enrollment_id)


@dataclass
class MonthLine:
    month: dt.date
    status: str
    amount: Decimal
    deduction: Decimal
    due: Decimal


@dataclass
class EnrollmentFile:
    enrollment: Enrollment
    terms: list
    months: list
    changes: list
    deductions: list
    overpayments: list
    overpaid_open: Decimal
    open_recheck: Recheck | None
    rechecks: list
    proposals: list
    endings: list
    signals: list
    reports: list


def months_ahead(enrollment: Enrollment, first: dt.date, count: int, terms: list, deductions: list) -> list[MonthLine]:
    """Each month from `first`: the term in force, the deductions, and what is due, computed by
    the payroll's own expression (schedule.due_by_month)."""
    months = [shift_month(first, n) for n in range(count)]
    due = schedule.due_by_month(enrollment, months)
    lines = []
    for month in months:
        status, amount = schedule.in_force(enrollment, month, terms)
        deducted = sum((d.amount for d in deductions if d.from_month <= month < d.until_month), Decimal("0.00"))
        lines.append(MonthLine(month, status, amount, deducted, due.get(month, Decimal("0.00"))))
    return lines


def enrollment_file(actor: Actor, enrollment_id, *, today: dt.date, months: int = 12) -> EnrollmentFile:
    actor.require(VIEW)
    try:
        enrollment_id = int(enrollment_id)
    except (TypeError, ValueError):
        raise NotFound(gettext("Not found."))
    enrollment = get_in_scope(Enrollment.objects.select_related("household", "program", "person", "area", "case"), actor,
                              pk=enrollment_id)
    terms = list(EnrollmentTerm.objects.filter(enrollment=enrollment).order_by("from_month"))
    deductions = list(WorkRefusalDeduction.objects.filter(enrollment=enrollment).select_related("person").order_by("from_month"))
    overpayments = list(Overpayment.objects.filter(enrollment=enrollment).order_by("month", "id").prefetch_related(
        Prefetch("settlements", queryset=OverpaymentSettlement.objects.order_by("id"))))
    first = max(enrollment.start_month, shift_month(today.replace(day=1), -3))
    rechecks = list(Recheck.objects.filter(enrollment=enrollment).order_by("-id")[:20])
    return EnrollmentFile(
        enrollment=enrollment, terms=terms, months=months_ahead(enrollment, first, months, terms, deductions),
        changes=list(EnrollmentChange.objects.filter(enrollment=enrollment).select_related("person").order_by("-at", "-id")[:100]),
        deductions=deductions, overpayments=overpayments,
        overpaid_open=sum((o.outstanding for o in overpayments if o.status == OverpaymentStatus.OPEN), Decimal("0.00")),
        open_recheck=next((r for r in rechecks if r.status == RecheckStatus.OPEN), None), rechecks=rechecks,
        proposals=list(ChangeProposal.objects.filter(enrollment=enrollment).select_related("person").order_by("-id")[:20]),
        endings=list(PendingEnding.objects.filter(enrollment=enrollment).order_by("-id")[:10]),
        signals=list(TriggerSignal.objects.filter(enrollment=enrollment).select_related("person").order_by("-id")[:20]),
        reports=list(ChangeReport.objects.filter(enrollment=enrollment).order_by("-id")[:20]))
