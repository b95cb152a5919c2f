"""What an inspector's scope holds, counted (issue 18 part 5): the overview page and the API's
`/inspections/overview` read the same function. Each count is of what the post may read (its
permissions) in its area; the pages it links to are the existing case, payroll and complaint pages,
which inspectors already read.
"""
from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, Sum

from safetynet.cases.models import Case
from safetynet.core.scoping import Actor, in_scope
from safetynet.enrollments.models import LIVE_STATUSES, Enrollment
from safetynet.payroll.models import Payment

from .inspection_models import FindingStatus, InspectionFinding
from .models import OPEN_COMPLAINT, Complaint
from .relative_models import CloseRelativeFiling


def scope_counts(actor: Actor, on: dt.date) -> dict[str, int]:
    actor.require("oversight.view")
    counts: dict[str, int] = {}
    if actor.can("cases.view"):
        row = in_scope(Case.objects.order_by(), actor).aggregate(
            total=Count("id"), open=Count("id", filter=Q(is_open=True)),
            close_relative=Count("id", filter=Q(is_close_relative=True)))
        counts.update(cases=row["total"], cases_open=row["open"], cases_close_relative=row["close_relative"])
    if actor.can("payments.view"):
        counts["enrollments_live"] = in_scope(Enrollment.objects.order_by(), actor).filter(status__in=LIVE_STATUSES).count()
        month = on.replace(day=1)
        row = in_scope(Payment.objects.order_by(), actor).filter(month=month).aggregate(n=Count("id"), total=Sum("amount"))
        counts["payments_this_month"] = row["n"]
        counts["paid_this_month_yuan"] = int(row["total"] or 0)
    counts["complaints_open"] = in_scope(Complaint.objects.order_by(), actor, "handling_area").filter(
        status__in=OPEN_COMPLAINT).count()
    findings = in_scope(InspectionFinding.objects.order_by(), actor, "office").aggregate(
        open=Count("id", filter=Q(status=FindingStatus.OPEN, due_on__gte=on)),
        overdue=Count("id", filter=Q(status=FindingStatus.OVERDUE) | Q(status=FindingStatus.OPEN, due_on__lt=on)),
        answered=Count("id", filter=Q(status=FindingStatus.ANSWERED)))
    counts.update(findings_open=findings["open"], findings_overdue=findings["overdue"],
                  findings_answered=findings["answered"])
    counts["relative_filings_found_later"] = in_scope(CloseRelativeFiling.objects.order_by(), actor).filter(
        at_acceptance=False).count()
    return counts
