"""Payments in two (issue 16, item 3): a database that holds a county's work migrates across the
split without losing a row. The demo builds it (enrollments, terms, decisions, reconciled and
drafted payroll runs); the database is taken back to the schema before the split (payments 0008,
enrollments and payroll unapplied: the tables are payments_* again) and its figures are read there
by raw SQL; then it is migrated forward again and the same figures are read from the new tables
and through the models.

Runs on SQLite and PostgreSQL alike (the suite's database); `transactional_db`, because a
migration cannot run inside the test's transaction, and the schema is left migrated to the latest
state for the tests after it.
"""
from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE_THE_SPLIT = [("payments", "0008_private_bank_files"), ("enrollments", None), ("payroll", None)]
OLD = {"enrollment": "payments_enrollment", "term": "payments_enrollmentterm", "change": "payments_enrollmentchange",
       "run": "payments_payrollrun", "payment": "payments_payment"}
NEW = {"enrollment": "enrollments_enrollment", "term": "enrollments_enrollmentterm",
       "change": "enrollments_enrollmentchange", "run": "payroll_payrollrun", "payment": "payroll_payment"}


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)


def _latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _tables() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def _money(value) -> Decimal:
    """A sum as the database gives it (SQLite: a float) to the cent."""
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _figures(t: dict) -> dict:
    """Each run's payments (count and sum), and the count of enrollments, terms, decisions
    (EnrollmentChange rows) and payments, read by SQL from the tables named in `t`."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT r.code, r.status, r.total_amount, COUNT(p.id), SUM(p.amount) FROM {t['run']} r "
                       f"LEFT JOIN {t['payment']} p ON p.run_id = r.id GROUP BY r.code, r.status, r.total_amount ORDER BY r.code")
        runs = [(code, status, _money(total), count, _money(paid or 0)) for code, status, total, count, paid in cursor.fetchall()]
        counts = {}
        for name in ("enrollment", "term", "change", "payment"):
            cursor.execute(f"SELECT COUNT(*) FROM {t[name]}")
            counts[name] = cursor.fetchone()[0]
    return {"runs": runs, **counts}


@pytest.mark.django_db(transaction=True)
def test_a_demo_database_migrates_back_and_forth_across_the_split_without_loss(settings, tmp_path):
    from safetynet.areas.actors import system_actor
    from safetynet.enrollments import decisions
    from safetynet.enrollments.models import Enrollment, EnrollmentChange, EnrollmentTerm
    from safetynet.payroll.models import Payment, PayrollRun

    settings.DATA_DIR = tmp_path / "data"    # the snapshots, the runs and the bank files
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("demo", "--people", "600", "--seed", "7", stdout=StringIO())
    # A dated decision after the latest run, so the amount history (terms) and a decision are there too.
    last_month = PayrollRun.objects.order_by("-month").values_list("month", flat=True).first()
    enrollment = Enrollment.objects.filter(status="active").order_by("pk").first()
    decisions.decide_on_enrollment(actor=system_actor(), enrollment_id=enrollment.pk, kind="suspension",
                                   reason="Moved away for work; suspended while away.",
                                   effective_month=f"{last_month.year + last_month.month // 12}-{last_month.month % 12 + 1:02d}")
    latest = _latest()
    now = _figures(NEW)
    assert now["runs"] and now["enrollment"] and now["term"] and now["change"] and now["payment"], now
    assert any(status == "reconciled" for _code, status, *_ in now["runs"]), now["runs"]
    for code, _status, total, _count, paid in now["runs"]:
        assert paid == total, code    # a run's total is the sum of its payments

    try:
        _migrate(BEFORE_THE_SPLIT)
        tables = _tables()
        assert set(OLD.values()) <= tables and not set(NEW.values()) & tables
        assert _figures(OLD) == now
    finally:
        _migrate(latest)

    tables = _tables()
    assert set(NEW.values()) <= tables and not set(OLD.values()) & tables
    assert _figures(NEW) == now
    assert (Enrollment.objects.count(), EnrollmentTerm.objects.count(), EnrollmentChange.objects.count(),
            Payment.objects.count()) == (now["enrollment"], now["term"], now["change"], now["payment"])
    for run in PayrollRun.objects.all():
        assert sum((p.amount for p in run.payments.all()), Decimal("0.00")) == run.total_amount, run.code
