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

Amounts by month (issue 5 part 3): a payment for month M is paid at the amount in force FOR M,
not today's. An enrollment whose decisions carry effective months has `EnrollmentTerm` rows (the
amount history, change_models.py): the term covering M gives the status (paid only when active or
in gradual exit) and the amount; an enrollment without terms is paid its `monthly_amount` while
its status is paid, as before. A member's deduction for refused work (MLG-2021 art. 34) covering M
is subtracted. So a run across a standard change, a late decision's arrears, the months of a
gradual exit and the month after a death each pay what that month was due, and a gradual exit
stops by itself when its months are over. Each step still joins the history in its one
statement; `due_amount_sql` (enrollments/dues.py) is the same rule for the per-enrollment checks of schedule.py.
- arrears for changes: a term written after an earlier run was generated (a suspension lifted
  from an earlier month, say) can make a month of that run due that it did not pay; the next run
  adds an arrears row for it, at that month's amount (the same step as the late decisions').
"""
from __future__ import annotations

import datetime as dt

from django.db import connection

from safetynet.enrollments.dues import amount as due_amount
from safetynet.enrollments.dues import covers, deducted, due_amount_sql, is_due, month_terms
from safetynet.enrollments.models import Enrollment, EnrollmentTerm
from safetynet.registry.models import Household, Person

from .models import Payment, PayrollRun

CARRY_STATUSES = ("failed", "no_account")

# Written exactly as the partial unique index's condition, so SQLite can read that index.
LIVE = "NOT (x.status = 'carried_over')"
# The same condition written otherwise, so that SQLite can NOT read that index: where the county's
# runs are the way in, the (month, enrollment) index would read every county's payments of the month.
LIVE_BY_RUN = "x.status <> 'carried_over'"
_COLUMNS = ("run_id, enrollment_id, household_id, program_id, area_id, month, kind, amount, bank_account, "
            "payee_name, reference, status, carried_from_id, return_reason")


def _tables() -> dict:
    return {"payment": Payment._meta.db_table, "enrollment": Enrollment._meta.db_table,
            "run": PayrollRun._meta.db_table, "household": Household._meta.db_table, "person": Person._meta.db_table,
            "term": EnrollmentTerm._meta.db_table}


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
    transient index, PostgreSQL as a hashed subplan), so it never re-scans the table it is
    inserting into. It reads only the county's own runs of this month or later (where every
    payment FOR this month of the county's enrollments lies: the run of the month, and the later
    runs' arrears and carried rows), by the (run, status) index: a county's generation costs the
    county's size, not the province's (all counties pay the same month). The unique (month,
    enrollment) index still refuses any double payment whatever this reads."""
    t = _tables()
    amount = due_amount("e", "t.amount", "COALESCE(d.amount, 0)")
    sql = (
        f"INSERT INTO {t['payment']} ({_COLUMNS}) "
        f"SELECT %s, e.id, e.household_id, e.program_id, e.area_id, %s, 'regular', {amount}, e.bank_account, "
        f"COALESCE(p.name, ''), %s || CAST(e.id AS TEXT), "
        f"CASE WHEN e.bank_account = '' THEN 'no_account' ELSE 'pending' END, NULL, '' "
        f"FROM {t['enrollment']} e {month_terms()} {_payee_join(t)} "
        f"WHERE e.area_id LIKE %s AND {is_due('COALESCE(t.status, e.status)', amount)} AND e.start_month <= %s "
        f"AND e.id NOT IN (SELECT x.enrollment_id FROM {t['payment']} x WHERE x.run_id IN "
        f"(SELECT r.id FROM {t['run']} r WHERE r.area_id = %s AND r.month >= %s) AND x.month = %s AND {LIVE_BY_RUN})")
    month = run.month
    return _execute(sql, [run.pk, month, f"{run.code}-", month, month, month, month, f"{run.area_id}%", month,
                          run.area_id, month, month])


def insert_arrears_payments(run: PayrollRun) -> int:
    """Two kinds of missed months, in one statement (a UNION ALL of two selects):

    - late decisions: only an enrollment created after an earlier run was generated can have been
      missed by it, so the pairs looked at are (enrollment created since run r, run r): few, by
      the index on `created_at`, however many months the county has paid;
    - late changes: only a term written after run r can have made one of r's months due since,
      so the pairs are (term created since run r, run r): as few as the changes.
    Each row is paid at the amount due for ITS month (the term in force then, less deductions)."""
    t = _tables()
    due = due_amount_sql("e", "r.month")
    changed = f"(t.amount - {deducted('e', 'r.month')})"
    columns = ("%s, e.id, e.household_id, e.program_id, e.area_id, r.month, 'arrears', {amount}, e.bank_account, "
               "COALESCE(p.name, ''), %s || CAST(e.id AS TEXT) || '-A' || r.code, "
               "CASE WHEN e.bank_account = '' THEN 'no_account' ELSE 'pending' END, CAST(NULL AS BIGINT), ''")
    unpaid = f"NOT EXISTS (SELECT 1 FROM {t['payment']} x WHERE x.month = r.month AND x.enrollment_id = e.id AND {LIVE})"
    sql = (
        f"INSERT INTO {t['payment']} ({_COLUMNS}) "
        f"SELECT {columns.format(amount=due)} "
        f"FROM {t['run']} r JOIN {t['enrollment']} e ON e.created_at > r.created_at AND e.start_month <= r.month "
        f"{_payee_join(t)} "
        f"WHERE r.area_id = %s AND r.month < %s AND r.id <> %s "
        f"AND e.created_at > (SELECT MIN(r0.created_at) FROM {t['run']} r0 WHERE r0.area_id = %s AND r0.month < %s) "
        f"AND e.area_id LIKE %s AND {due} > 0 AND {unpaid} "
        f"UNION ALL "
        f"SELECT {columns.format(amount=changed)} "
        f"FROM {t['term']} t JOIN {t['run']} r ON t.created_at > r.created_at AND {covers('t', 'r.month')} "
        f"JOIN {t['enrollment']} e ON e.id = t.enrollment_id AND e.start_month <= r.month "
        f"{_payee_join(t)} "
        f"WHERE r.area_id = %s AND r.month < %s AND r.id <> %s AND e.area_id LIKE %s "
        f"AND {is_due('t.status', changed)} AND {unpaid} "
        f"ON CONFLICT DO NOTHING")
    return _execute(sql, [run.pk, f"{run.code}-", run.area_id, run.month, run.pk, run.area_id, run.month, f"{run.area_id}%",
                          run.pk, f"{run.code}-", run.area_id, run.month, run.pk, f"{run.area_id}%"])


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


# SQLite's page cache while generating: a million payments and their four indexes are some 300 MB
# of new pages; with the connection's usual 64 MB cache SQLite spills dirty pages to the WAL in
# the middle of the transaction and writes many of them again (measured: 18.7 s against 13–15 s
# for the regular step of bench/bench_payroll.py). Pages are allocated only as they are used, and
# the usual size is restored when the generation ends.
SQLITE_GENERATION_CACHE_KIB = 1024 * 1024
SQLITE_USUAL_CACHE_KIB = 64 * 1024


def prepare_transaction() -> None:
    """PostgreSQL: room for the anti-join's hash of a million enrollment ids (a hashed subplan is
    chosen only when it fits in work_mem; the default 4 MB would re-scan instead). Local to the
    generation's transaction. SQLite: the larger page cache above."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL work_mem = '256MB'")
        elif connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_GENERATION_CACHE_KIB}")


def finish_transaction() -> None:
    """Give the page cache back (SQLite; PostgreSQL's SET LOCAL ends with the transaction)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_USUAL_CACHE_KIB}")


def refresh_statistics(added_rows: int) -> None:
    """PostgreSQL: after many rows were added in this transaction the planner still thinks the
    payments table is as it was; a sampled ANALYZE lets the summaries' joins hash instead of
    looping. Only when the rows added are a tenth of the table or more (autovacuum's own rule of
    thumb): for a small county in a big province it would cost more than it saves. (SQLite's
    planner does not depend on statistics that way.)"""
    if connection.vendor != "postgresql" or added_rows <= 0:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [Payment._meta.db_table])
        row = cursor.fetchone()
        if row is None or added_rows >= 0.1 * max(float(row[0]), 0.0):
            cursor.execute(f"ANALYZE {Payment._meta.db_table}")


def month_code(month: dt.date) -> str:
    return f"{month.year:04d}{month.month:02d}"
