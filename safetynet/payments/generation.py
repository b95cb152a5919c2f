"""The payroll's set-based steps: each is ONE `INSERT ... SELECT` (or `UPDATE`) over the whole
county, never a loop over enrollments in Python (DESIGN.md §4 "Payroll and other bulk writes").

The same SQL runs on SQLite and PostgreSQL (string `||`, `CAST(.. AS TEXT)`, `CASE`, `LIKE`,
`NOT IN`/`NOT EXISTS`, `ON CONFLICT DO NOTHING`). Every step is idempotent: a row is inserted only
when no payment for its (enrollment, month) exists yet, and the partial unique index
`payment_once_per_enrollment_month` refuses a double payment whatever happens (the service also
locks the run's row, so two generations of one county and month queue instead of racing). So
re-running a step after an interruption completes the run and never duplicates it. (The regular
step has no `ON CONFLICT` clause: on PostgreSQL it doubles the cost of a million-row insert, and
the anti-join already leaves nothing to conflict.)

The rules (issue 5 part 2; POLICY.md §1 "Payment from the month after confirmation, monthly"):
- regular: every enrollment that is active or in gradual exit, whose start month is on or before
  the run's month, is paid its monthly amount for the run's month;
- arrears: a decision that came after the county's run of its start month was generated (a late
  decision) left that month unpaid. For every earlier run of the county whose month is on or after
  the enrollment's start month, that was created before the enrollment and that holds no payment
  for it, the next run adds one
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

# Written exactly as the partial unique index's condition, so SQLite can read that index.
LIVE = "NOT (x.status = 'carried_over')"
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
    """The anti-join is a non-correlated `NOT IN`: both databases evaluate it once (SQLite into a
    transient index, PostgreSQL as a hashed subplan) from the range of the unique (month,
    enrollment) index, so it never re-scans the table it is inserting into."""
    t = _tables()
    sql = (
        f"INSERT INTO {t['payment']} ({_COLUMNS}) "
        f"SELECT %s, e.id, e.household_id, e.program_id, e.area_id, %s, 'regular', e.monthly_amount, e.bank_account, "
        f"COALESCE(p.name, ''), %s || CAST(e.id AS TEXT), "
        f"CASE WHEN e.bank_account = '' THEN 'no_account' ELSE 'pending' END, NULL, '' "
        f"FROM {t['enrollment']} e {_payee_join(t)} "
        f"WHERE e.area_id LIKE %s AND e.status IN ('active', 'gradual_exit') AND e.start_month <= %s "
        f"AND e.id NOT IN (SELECT x.enrollment_id FROM {t['payment']} x WHERE x.month = %s AND {LIVE})")
    return _execute(sql, [run.pk, run.month, f"{run.code}-", f"{run.area_id}%", run.month, run.month])


def insert_arrears_payments(run: PayrollRun) -> int:
    """Only an enrollment created after an earlier run was generated can have been missed by it,
    so the pairs looked at are (enrollment created since run r, run r): few, by the index on
    `created_at`, however many months the county has paid."""
    t = _tables()
    sql = (
        f"INSERT INTO {t['payment']} ({_COLUMNS}) "
        f"SELECT %s, e.id, e.household_id, e.program_id, e.area_id, r.month, 'arrears', e.monthly_amount, e.bank_account, "
        f"COALESCE(p.name, ''), %s || CAST(e.id AS TEXT) || '-A' || r.code, "
        f"CASE WHEN e.bank_account = '' THEN 'no_account' ELSE 'pending' END, NULL, '' "
        f"FROM {t['run']} r JOIN {t['enrollment']} e ON e.created_at > r.created_at AND e.start_month <= r.month "
        f"{_payee_join(t)} "
        f"WHERE r.area_id = %s AND r.month < %s AND r.id <> %s "
        f"AND e.created_at > (SELECT MIN(r0.created_at) FROM {t['run']} r0 WHERE r0.area_id = %s AND r0.month < %s) "
        f"AND e.area_id LIKE %s AND e.status IN ('active', 'gradual_exit') "
        f"AND NOT EXISTS (SELECT 1 FROM {t['payment']} x WHERE x.month = r.month AND x.enrollment_id = e.id AND {LIVE}) "
        f"ON CONFLICT DO NOTHING")
    return _execute(sql, [run.pk, f"{run.code}-", run.area_id, run.month, run.pk, run.area_id, run.month,
                          f"{run.area_id}%"])


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
        f"AND o.id NOT IN (SELECT x.carried_from_id FROM {t['payment']} x WHERE x.carried_from_id IS NOT NULL) "
        f"ON CONFLICT DO NOTHING")
    return _execute(sql, [run.pk, f"{run.code}-", run.area_id, run.month])


STEPS = (
    ("regular", insert_regular_payments),
    ("arrears", insert_arrears_payments),
    ("carry_mark", mark_carried_over),
    ("carried", insert_carried_payments),
)


def prepare_transaction() -> None:
    """PostgreSQL: room for the anti-join's hash of a million enrollment ids (a hashed subplan is
    chosen only when it fits in work_mem; the default 4 MB would re-scan instead). Local to the
    generation's transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")


def refresh_statistics() -> None:
    """PostgreSQL: after a million rows were added in this transaction the planner still thinks
    the payments table is as it was; a sampled ANALYZE lets the summaries' joins hash instead of
    looping. (SQLite's planner does not depend on statistics that way.)"""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Payment._meta.db_table}")


def month_code(month: dt.date) -> str:
    return f"{month.year:04d}{month.month:02d}"
