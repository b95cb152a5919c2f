"""The amount history of an enrollment (`EnrollmentTerm`) and what a dated decision does to the
money already generated (issue 5 part 3).

A decision takes effect from a month. `rewrite_from` makes the months from it on say what the
decision says; `reprice_from` keeps the statuses and changes the amounts (a death takes one
member's share off every month from the month after it). Then `reconcile_payments`:

- payments of runs not yet approved for those months are released (deleted): the run is a draft,
  its totals no longer match its payments, so it must be generated again before it is approved
  (services._check_totals says so), and the generation pays the new amounts;
- payments of approved runs that were more than due become `Overpayment` rows to recover
  (a death found months later, a retroactive suspension);
- a decision that would make an approved month due MORE than it paid is refused: a payment is
  one per enrollment and month (the database says so), so the difference cannot be paid for
  that month; the decision must take effect from a month not yet approved.

Called inside the deciding service's transaction; every statement here is one set-based SQL
statement or a handful of ORM rows of one enrollment.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.core.errors import Conflict

# The one place the enrollments read the payroll's tables (enrollments/__init__.py): a dated
# decision settles the money already generated for its months, in its own transaction.
from safetynet.payroll.models import FROZEN_RUN_STATUSES, Payment, PayrollRun

from . import dues
from .change_models import EnrollmentTerm, Overpayment
from .models import PAID_STATUSES, Enrollment, EnrollmentChange, EnrollmentStatus
from .months import month_of, month_text, next_month

ZERO = Decimal("0.00")
UNFROZEN_RUN_STATUSES = ("generating", "generated")


@dataclass(frozen=True)
class Segment:
    from_month: dt.date
    until_month: dt.date | None
    status: str
    amount: Decimal


def terms_of(enrollment: Enrollment) -> list[EnrollmentTerm]:
    return list(EnrollmentTerm.objects.filter(enrollment=enrollment).order_by("from_month"))


def ensure_opening_term(enrollment: Enrollment) -> None:
    """An enrollment's first dated change: its months so far, as confirmed, become a term."""
    if not EnrollmentTerm.objects.filter(enrollment=enrollment).exists():
        EnrollmentTerm.objects.create(enrollment=enrollment, from_month=enrollment.start_month, until_month=None,
                                      status=enrollment.status, amount=enrollment.monthly_amount, change=None)


def in_force(enrollment: Enrollment, month: dt.date, terms: list[EnrollmentTerm] | None = None) -> tuple[str, Decimal]:
    """(status, amount) in force for `month` (before deductions)."""
    terms = terms_of(enrollment) if terms is None else terms
    for term in terms:
        if term.from_month <= month and (term.until_month is None or term.until_month > month):
            return term.status, term.amount
    if terms and month < terms[0].from_month:
        return terms[0].status, terms[0].amount
    return enrollment.status, enrollment.monthly_amount


def _replace(enrollment: Enrollment, month: dt.date, segments: list[Segment], change: EnrollmentChange | None) -> None:
    month = max(month, enrollment.start_month)
    covering = (EnrollmentTerm.objects.filter(enrollment=enrollment, from_month__lt=month)
                .order_by("-from_month").first())
    EnrollmentTerm.objects.filter(enrollment=enrollment, from_month__gte=month).delete()
    if covering is not None and (covering.until_month is None or covering.until_month > month):
        covering.until_month = month
        covering.save(update_fields=["until_month"])
    EnrollmentTerm.objects.bulk_create([
        EnrollmentTerm(enrollment=enrollment, from_month=max(s.from_month, month), until_month=s.until_month,
                       status=s.status, amount=s.amount, change=change)
        for s in segments if s.until_month is None or s.until_month > max(s.from_month, month)])


def rewrite_from(enrollment: Enrollment, month: dt.date, segments: list[Segment], change: EnrollmentChange | None) -> None:
    """The months from `month` on become `segments` (contiguous, the first from `month`, the last
    open-ended): a decision replaces whatever was scheduled after its effective month."""
    ensure_opening_term(enrollment)
    _replace(enrollment, month, segments, change)


def reprice_from(enrollment: Enrollment, month: dt.date, price: Callable[[EnrollmentTerm, dt.date], Decimal],
                 change: EnrollmentChange | None) -> None:
    """Keep the statuses from `month` on, with the amounts `price(term, from_month)` gives."""
    ensure_opening_term(enrollment)
    month = max(month, enrollment.start_month)
    segments = []
    for term in terms_of(enrollment):
        if term.until_month is not None and term.until_month <= month:
            continue
        start = max(term.from_month, month)
        segments.append(Segment(start, term.until_month, term.status, price(term, start)))
    _replace(enrollment, month, segments, change)


def settle_enrollment(enrollment: Enrollment, effective_month: dt.date, today: dt.date, reason: str = "") -> None:
    """The enrollment's own status and amount say what was decided: what is in force in the
    later of this month and the decision's effective month. Ending sets the end date."""
    status, amount = in_force(enrollment, max(month_of(today), effective_month))
    enrollment.status, enrollment.monthly_amount = status, amount
    if status == EnrollmentStatus.ENDED and not enrollment.ended_on:
        enrollment.ended_on, enrollment.end_reason = today, reason[:200]
    enrollment.save(update_fields=["status", "monthly_amount", "ended_on", "end_reason", "updated_at"])


def settle_finished_terms(area_code: str, today: dt.date) -> int:
    """Enrollments whose last (open-ended) term has begun but whose own status still says
    otherwise — a gradual exit whose months are over — take that term's status, in one UPDATE.
    Only the last term moves them, so a decision dated in the future is never undone."""
    t_enrollment, t_term = Enrollment._meta.db_table, EnrollmentTerm._meta.db_table
    last = (f"SELECT {{col}} FROM {t_term} t WHERE t.enrollment_id = {t_enrollment}.id AND t.until_month IS NULL "
            f"AND t.from_month <= %s")
    sql = (f"UPDATE {t_enrollment} SET status = ({last.format(col='t.status')}), "
           f"ended_on = CASE WHEN ({last.format(col='t.status')}) = 'ended' THEN COALESCE(ended_on, %s) ELSE ended_on END, "
           f"end_reason = CASE WHEN ({last.format(col='t.status')}) = 'ended' AND end_reason = '' THEN %s ELSE end_reason END "
           f"WHERE area_id LIKE %s AND status IN ('active', 'suspended', 'gradual_exit') "
           f"AND EXISTS ({last.format(col='1')} AND t.status <> {t_enrollment}.status)")
    month = month_of(today)
    with connection.cursor() as cursor:
        cursor.execute(sql, [month, month, today, month, "gradual exit completed", f"{area_code}%", month])
        return max(cursor.rowcount, 0)


# ---------------------------------------------------------------------------------------------
# Money already generated
# ---------------------------------------------------------------------------------------------
def release_unapproved_payments(enrollment: Enrollment, month: dt.date) -> int:
    """Regular and arrears rows of draft runs for `month` and after: the next generation redoes them."""
    return release_unapproved_payments_of([enrollment.pk], month)


def release_unapproved_payments_of(enrollment_ids: list[int], month: dt.date) -> int:
    """release_unapproved_payments for many enrollments at once (one DELETE)."""
    runs = PayrollRun.objects.filter(status__in=UNFROZEN_RUN_STATUSES).values("id")
    deleted, _details = Payment.objects.filter(enrollment_id__in=enrollment_ids, month__gte=month,
                                               kind__in=("regular", "arrears"), run_id__in=runs).delete()
    return deleted


def _paid_rows_sql(count: int) -> str:
    """Each payment (not carried over) from a month on of `count` enrollments, with what its month
    is due now; parameters: the enrollment ids, then the month."""
    t_payment = Payment._meta.db_table
    due = dues.due_amount_sql("e", "p.month")
    listed = ", ".join(["%s"] * count)
    return (f"SELECT p.enrollment_id, e.area_id, p.month, p.amount, {due} AS due FROM {t_payment} p "
            f"JOIN {Enrollment._meta.db_table} e ON e.id = p.enrollment_id "
            f"WHERE p.enrollment_id IN ({listed}) AND p.month >= %s AND NOT (p.status = 'carried_over')")


def due_by_month(enrollment: Enrollment, months: list[dt.date]) -> dict[dt.date, Decimal]:
    """What each month is due, by the payroll's own expression (dues.due_amount_sql)."""
    if not months:
        return {}
    listed = " UNION ALL ".join(["SELECT %s AS month"] * len(months))
    sql = (f"SELECT x.month, {dues.due_amount_sql('e', 'x.month')} FROM ({listed}) x "
           f"JOIN {Enrollment._meta.db_table} e ON e.id = %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*months, enrollment.pk])
        rows = cursor.fetchall()
    out = {}
    for month, due in rows:
        month = month if isinstance(month, dt.date) else dt.date.fromisoformat(str(month)[:10])
        out[month] = Decimal(str(due)).quantize(Decimal("0.01"))
    return out


def first_underpaid_month(enrollment: Enrollment, month: dt.date):
    """(month, paid, due) of the first month from `month` paid less than it is now due, or None."""
    row = first_underpaid_month_of([enrollment.pk], month)
    return None if row is None else row[1:]


def first_underpaid_month_of(enrollment_ids: list[int], month: dt.date):
    """(enrollment id, month, paid, due) of the first month from `month` that one of the
    enrollments was paid less than it is now due, or None (one statement)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT enrollment_id, month, amount, due FROM ({_paid_rows_sql(len(enrollment_ids))}) x "
                       f"WHERE due > amount ORDER BY month, enrollment_id", [*enrollment_ids, month])
        return cursor.fetchone()


def record_overpayments(enrollment: Enrollment, month: dt.date, change: EnrollmentChange) -> int:
    """One row per month from `month` that was paid more than it is now due, less what earlier
    decisions already recorded for that month (one INSERT ... SELECT)."""
    return record_overpayments_of({enrollment.pk: change.pk}, month)


def record_overpayments_of(changes: dict[int, int], month: dt.date) -> int:
    """record_overpayments for many enrollments at once, each against its own decision
    (`changes`: {enrollment id: change id}), in one INSERT ... SELECT."""
    if not changes:
        return 0
    t_over, t_change = Overpayment._meta.db_table, EnrollmentChange._meta.db_table
    ids = list(changes)
    listed = ", ".join(["%s"] * len(ids))
    sql = (f"INSERT INTO {t_over} (enrollment_id, area_id, change_id, month, paid, due, amount, outstanding, status, created_at) "
           f"SELECT y.enrollment_id, y.area_id, y.change_id, y.month, y.amount, y.due, y.over, y.over, 'open', %s FROM ("
           f"SELECT x.enrollment_id, x.area_id, c.id AS change_id, x.month, x.amount, x.due, "
           f"x.amount - x.due - COALESCE((SELECT SUM(o.amount) FROM {t_over} o "
           f"WHERE o.enrollment_id = x.enrollment_id AND o.month = x.month), 0) AS over FROM ({_paid_rows_sql(len(ids))}) x "
           f"JOIN {t_change} c ON c.enrollment_id = x.enrollment_id AND c.id IN ({listed})) y WHERE y.over > 0")
    with connection.cursor() as cursor:
        cursor.execute(sql, [timezone.now(), *ids, month, *changes.values()])
        return max(cursor.rowcount, 0)


def reconcile_payments(enrollment: Enrollment, month: dt.date, change: EnrollmentChange) -> dict:
    """After the schedule changed from `month`: release drafts, refuse an increase of an approved
    month, record overpayments. Raises Conflict (the caller's transaction rolls back)."""
    return reconcile_payments_of({enrollment.pk: change.pk}, month)


def reconcile_payments_of(changes: dict[int, int], month: dt.date) -> dict:
    """reconcile_payments for many enrollments whose schedules changed from `month`, each by its
    own decision (`changes`: {enrollment id: change id}), a few statements whatever their number."""
    if not changes:
        return {"released": 0, "overpaid_months": 0}
    ids = list(changes)
    released = release_unapproved_payments_of(ids, month)
    under = first_underpaid_month_of(ids, month)
    if under is not None:
        paid_month = under[1] if isinstance(under[1], dt.date) else dt.date.fromisoformat(str(under[1])[:10])
        raise Conflict(
            _("%(month)s was already paid ¥%(paid)s in an approved run, less than the ¥%(due)s this decision makes due: "
              "a month is paid once, so let the decision take effect from a month not yet approved.")
            % {"month": month_text(paid_month), "paid": f"{Decimal(str(under[2])):.2f}", "due": f"{Decimal(str(under[3])):.2f}"},
            field="effective_month", code="month_already_paid")
    overpaid = record_overpayments_of(changes, month)
    return {"released": released, "overpaid_months": overpaid}


def frozen_months(county_code: str, month: dt.date) -> list[str]:
    """The months from `month` on of the county's approved (frozen) runs."""
    return [month_text(m) for m in PayrollRun.objects.filter(area_id=county_code, month__gte=month,
                                                             status__in=FROZEN_RUN_STATUSES)
            .order_by("month").values_list("month", flat=True)]


def default_effective_month(enrollment: Enrollment, today: dt.date | None = None) -> dt.date:
    """The month after the last one generated for the enrollment (and, given `today`, not before
    next month): a decision takes effect from the next month not yet paid (MLG-2021 art. 25)."""
    last = (Payment.objects.filter(enrollment=enrollment).exclude(status="carried_over").order_by("-month")
            .values_list("month", flat=True).first())
    candidates = [enrollment.start_month] + ([next_month(today)] if today else [])
    if last:
        candidates.append(next_month(last))
    return max(candidates)


def is_paid_status(status: str) -> bool:
    return status in PAID_STATUSES
