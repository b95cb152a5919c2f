"""What an enrollment is due for a month, as SQL: the term in force for the month (or, without
terms, the enrollment itself) in a paid status (active or gradual exit), its amount less the
deductions for refused work covering the month (MLG-2021 art. 34), never below zero.

The payroll pays by it (payroll/generation.py joins the same terms and deductions in its
set-based steps) and the enrollments' own checks read it: what a dated decision leaves due
(schedule.py), the simulation and the re-assessment after a standard change. It reads only the
enrollments' tables, so it lives here, below the payroll (enrollments/__init__.py).
"""
from __future__ import annotations

from .change_models import EnrollmentTerm, WorkRefusalDeduction
from .models import PAID_STATUSES


def covers(alias: str, month: str) -> str:
    """`{alias}` (a term or a deduction) covers the month `month`."""
    return f"{alias}.from_month <= {month} AND ({alias}.until_month IS NULL OR {alias}.until_month > {month})"


def month_terms() -> str:
    """The terms and the summed deductions in force in the run's month (four `%s`: the month), as
    derived tables the regular step LEFT JOINs: at most one term and one sum per enrollment `e`."""
    term, deduction = EnrollmentTerm._meta.db_table, WorkRefusalDeduction._meta.db_table
    return (f" LEFT JOIN (SELECT tt.enrollment_id, tt.status, tt.amount FROM {term} tt WHERE {covers('tt', '%s')}) t"
            f" ON t.enrollment_id = e.id"
            f" LEFT JOIN (SELECT dd.enrollment_id, SUM(dd.amount) AS amount FROM {deduction} dd"
            f" WHERE dd.from_month <= %s AND dd.until_month > %s GROUP BY dd.enrollment_id) d ON d.enrollment_id = e.id")


def deducted(e: str, month: str) -> str:
    return (f"COALESCE((SELECT SUM(dd.amount) FROM {WorkRefusalDeduction._meta.db_table} dd WHERE dd.enrollment_id = {e}.id "
            f"AND dd.from_month <= {month} AND dd.until_month > {month}), 0)")


def amount(e: str, term_amount: str, deducted_amount: str) -> str:
    """The month's amount: the term's (or, without terms, the enrollment's) less the deductions."""
    return f"(COALESCE({term_amount}, {e}.monthly_amount) - {deducted_amount})"


def is_due(status: str, amount_sql: str) -> str:
    """A month is paid when its status is a paid one (models.PAID_STATUSES) and its amount is above zero."""
    return f"{status} IN ({', '.join(repr(str(s)) for s in PAID_STATUSES)}) AND {amount_sql} > 0"


def due_amount_sql(e: str, month: str) -> str:
    """What enrollment `{e}` is due for the month `month` (SQL expressions), per the rules above:
    0 when the term (or, without terms, the enrollment) is not in a paid status. The payroll's
    regular and arrears steps state the same rule over their joined rows (`amount`, `is_due`)."""
    term = f"FROM {EnrollmentTerm._meta.db_table} tt WHERE tt.enrollment_id = {e}.id AND {covers('tt', month)}"
    status = f"COALESCE((SELECT tt.status {term}), {e}.status)"
    due = amount(e, f"(SELECT tt.amount {term})", deducted(e, month))
    return f"(CASE WHEN {is_due(status, due)} THEN {due} ELSE 0 END)"
