"""The payroll's set-based steps: each is ONE `INSERT ... SELECT` (or `UPDATE`) over the whole
county, never a loop over enrollments in Python (DESIGN.md §4 "Payroll and other bulk writes").

The same SQL runs on SQLite and PostgreSQL (string `||`, `CAST(.. AS TEXT)`, `CASE`, `LIKE`,
`NOT EXISTS`, `ON CONFLICT DO NOTHING`). Every step is idempotent: a row is inserted only when no
payment for its (enrollment, month) exists yet, and the partial unique index
`payment_once_per_enrollment_month` refuses a double payment even if two generations race
(`ON CONFLICT DO NOTHING` makes the loser skip instead of fail). So re-running a step after an
interruption completes the run and never duplicates it.

The rules (issue 5 part 2; POLICY.md §1 "Payment from the month after confirmation, monthly"):
- regular: every enrollment that is active or in gradual exit, whose start month is on or before
  the run's month, is paid its monthly amount for the run's month;
- arrears: a decision that came after the county's run of its start month was generated (a late
  decision) left that month unpaid. For every earlier run of the county whose month is on or after
  the enrollment's start month and that holds no payment for the enrollment, the next run adds one
  arrears row FOR that month (its own (enrollment, month) row, `kind=arrears`), at the current
  monthly amount;
- carried: payments of earlier frozen runs that the bank returned as failed, or that had no bank
  account, move into this run: the old row becomes `carried_over` (it was not paid) and a new row
  for the same month and amount, pointing back at it, is added here;
- a payment without a bank account is listed with status `no_account`: counted in the run, not
  sent to a bank, and carried into the next run until an account is known.
"""
from __future__ import annotations

import datetime as dt

from django.db import connection

from .models import Enrollment, Payment, PayrollRun
from safetynet.registry.models import Household, Person

PAID_STATUSES = ("active", "gradual_exit")
CARRY_STATUSES = ("failed", "no_account")
FROZEN = ("approved", "exported", "reconciled")

_COLUMNS = ("run_id, enrollment_id, household_id, program_id, area_id, month, kind, amount, bank_account, "
            "payee_name, reference, status, carried_from_id, return_reason")


def _tables() -> dict:
    return {"payment": Payment._meta.db_table, "enrollment": Enrollment._meta.db_table,
            "run": PayrollRun._meta.db_table, "household": Household._meta.db_table, "person": Person._meta.db_table}


def _payee_join(t: dict) -> str:
    """The payee is the covered person (individual coverage) or else the household's head."""
    return (f" LEFT JOIN {t['household']} h ON h.id = e.household_id"
            f" LEFT JOIN {t['person']} p ON p.id = COALESCE(e.person_id, h.head_id)")


def _execute(sql: str, params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def insert_regular_payments(run: PayrollRun) -> int:
    t = _tables()
    sql = (
        f"INSERT INTO {t['payment']} ({_COLUMNS}) "
        f"SELECT %s, e.id, e.household_id, e.program_id, e.area_id, %s, 'regular', e.monthly_amount, e.bank_account, "
        f"COALESCE(p.name, ''), %s || CAST(e.id AS TEXT), "
        f"CASE WHEN e.bank_account = '' THEN 'no_account' ELSE 'pending' END, NULL, '' "
        f"FROM {t['enrollment']} e {_payee_join(t)} "
        f"WHERE e.area_id LIKE %s AND e.status IN ('active', 'gradual_exit') AND e.start_month <= %s "
        f"AND NOT EXISTS (SELECT 1 FROM {t['payment']} x WHERE x.enrollment_id = e.id AND x.month = %s "
        f"AND x.status <> 'carried_over') "
        f"ON CONFLICT DO NOTHING")
    return _execute(sql, [run.pk, run.month, f"{run.code}-", f"{run.area_id}%", run.month, run.month])


def insert_arrears_payments(run: PayrollRun) -> int:
    t = _tables()
    sql = (
        f"INSERT INTO {t['payment']} ({_COLUMNS}) "
        f"SELECT %s, e.id, e.household_id, e.program_id, e.area_id, r.month, 'arrears', e.monthly_amount, e.bank_account, "
        f"COALESCE(p.name, ''), %s || CAST(e.id AS TEXT) || '-A' || r.code, "
        f"CASE WHEN e.bank_account = '' THEN 'no_account' ELSE 'pending' END, NULL, '' "
        f"FROM {t['enrollment']} e JOIN {t['run']} r ON r.area_id = %s AND r.month >= e.start_month AND r.month < %s "
        f"{_payee_join(t)} "
        f"WHERE e.area_id LIKE %s AND e.status IN ('active', 'gradual_exit') AND e.start_month < %s "
        f"AND NOT EXISTS (SELECT 1 FROM {t['payment']} x WHERE x.enrollment_id = e.id AND x.month = r.month "
        f"AND x.status <> 'carried_over') "
        f"ON CONFLICT DO NOTHING")
    return _execute(sql, [run.pk, f"{run.code}-", run.area_id, run.month, f"{run.area_id}%", run.month])


def mark_carried_over(run: PayrollRun) -> int:
    """Failed and no-account payments of the county's earlier frozen runs: their money moves on."""
    t = _tables()
    sql = (
        f"UPDATE {t['payment']} SET status = 'carried_over' "
        f"WHERE status IN ('failed', 'no_account') AND run_id IN "
        f"(SELECT id FROM {t['run']} WHERE area_id = %s AND month < %s AND status IN ('approved', 'exported', 'reconciled'))")
    return _execute(sql, [run.area_id, run.month])


def insert_carried_payments(run: PayrollRun) -> int:
    """A new row here for every carried-over row (of any earlier run) that has no successor yet."""
    t = _tables()
    sql = (
        f"INSERT INTO {t['payment']} ({_COLUMNS}) "
        f"SELECT %s, o.enrollment_id, o.household_id, o.program_id, o.area_id, o.month, 'carried', o.amount, "
        f"e.bank_account, o.payee_name, %s || CAST(o.enrollment_id AS TEXT) || '-C' || CAST(o.id AS TEXT), "
        f"CASE WHEN e.bank_account = '' THEN 'no_account' ELSE 'pending' END, o.id, '' "
        f"FROM {t['payment']} o JOIN {t['enrollment']} e ON e.id = o.enrollment_id "
        f"JOIN {t['run']} r ON r.id = o.run_id "
        f"WHERE o.status = 'carried_over' AND r.area_id = %s AND r.month < %s "
        f"AND NOT EXISTS (SELECT 1 FROM {t['payment']} x WHERE x.carried_from_id = o.id) "
        f"ON CONFLICT DO NOTHING")
    return _execute(sql, [run.pk, f"{run.code}-", run.area_id, run.month])


STEPS = (
    ("regular", insert_regular_payments),
    ("arrears", insert_arrears_payments),
    ("carry_mark", mark_carried_over),
    ("carried", insert_carried_payments),
)


def month_code(month: dt.date) -> str:
    return f"{month.year:04d}{month.month:02d}"
