"""Monthly payroll for 1,000,000 active enrollments in one county, SQLite and PostgreSQL side by
side in one run (issue 5: generation ≤ 15 s, the second generation of the same month ≤ 3 s; the
naive ORM loop over 20,000 enrollments at least 100× slower than the set-based generation).

Each database is built fresh by a child process: migrations, the 正定县 network (130123) from the
committed extract, then, with one INSERT ... SELECT each, 1,000,000 minimal households (one per
enrollment), their heads and 1,000,000 dibao enrollments spread over the county's 187 villages
(2 % in gradual exit, 1 % without a bank account, amounts ¥300–¥999, from 2025-01), all pointing at
one case and decision; plus a small second county (130124, 20,000 enrollments) for the naive
comparison. Untimed.

Timed, in the same process, per database:
  bare      a bare INSERT ... SELECT of the 1,000,000 enrollments into a scratch table (the floor);
  generate  `generate_payroll_run` for 2025-10 (regular, arrears, carry steps, totals by town and
            program, change from last month, audit event), through the service;
  again     the second generation of the same month (adds nothing);
  set-20k / naive-20k  the service on the 20,000-enrollment county, against a loop over the same
            enrollments creating payments one by one through the ORM, by the same rules (the term
            in force for the month, refused-work deductions, the payee, an existence check, the
            insert; in one transaction), the check that both ways pay the same, and their ratio.

    .venv/bin/python bench/bench_payroll.py [--enrollments 1000000] [--small 20000] [--no-postgres]

Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from common import POSTGRES_SERVER, PYTHON, ROOT, SAFETYNET, child_env, postgres_admin, postgres_reachable  # noqa: E402,F401

POSTGRES_DB = "bench_safetynet_payroll"
COUNTY = "130123"
SMALL_COUNTY = "130124"
MONTH = "2025-10"


def prepare(database: str) -> str:
    if database == "postgresql":
        postgres_admin(f"DROP DATABASE IF EXISTS {POSTGRES_DB} WITH (FORCE)")
        postgres_admin(f"CREATE DATABASE {POSTGRES_DB}")
        url = f"{POSTGRES_SERVER}/{POSTGRES_DB}"
    else:
        path = ROOT / "var" / "bench" / "payroll.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    subprocess.run([SAFETYNET, "migrate", "--no-input", "-v", "0"], env=child_env(url), cwd=ROOT, check=True)
    return url


def run_child(url: str, enrollments: int, small: int) -> dict:
    command = [PYTHON, __file__, "--worker", "--enrollments", str(enrollments), "--small", str(small)]
    out = subprocess.run(command, env=child_env(url), cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"the measuring process failed:\n{out.stderr[-5000:]}")
    sys.stderr.write(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---- the child: build the county, time the steps ------------------------------------------------

def _sequence(vendor: str, count: int, offset: int) -> str:
    """A derived table `seq(n)` of offset+1 .. offset+count."""
    if vendor == "postgresql":
        return f"(SELECT generate_series({offset + 1}, {offset + count}) AS n) seq"
    return (f"(WITH RECURSIVE s(n) AS (SELECT {offset + 1} UNION ALL SELECT n + 1 FROM s WHERE n < {offset + count}) "
            f"SELECT n FROM s) seq")


def build_county(cursor, vendor: str, county: str, count: int, offset: int, case_id: int, decision_id: int) -> None:
    from safetynet.areas.models import Area

    villages = list(Area.objects.filter(code__startswith=county, level="village").order_by("code").values_list("code", flat=True))
    cursor.execute("CREATE TEMPORARY TABLE bench_village (k integer PRIMARY KEY, code varchar(18))")
    cursor.executemany("INSERT INTO bench_village (k, code) VALUES (%s, %s)", list(enumerate(villages)))
    stamp = "'2025-01-01 00:00:00+00:00'"
    v = len(villages)
    seq = _sequence(vendor, count, offset)
    text = "CAST(n AS TEXT)"
    cursor.execute(
        f"INSERT INTO registry_person (id, household_id, area_id, name, id_number, sex, birth_date, relation_to_head, "
        f"disability_type, disability_grade, serious_illness, work_ability, phone, is_deceased, created_at, updated_at) "
        f"SELECT n, n, v.code, '户主' || {text}, 'B' || {text}, 'male', '1960-01-01', 'head', '', NULL, false, 'full', '', "
        f"false, {stamp}, {stamp} FROM {seq} JOIN bench_village v ON v.k = n % {v}")
    cursor.execute(
        f"INSERT INTO registry_household (id, area_id, address, registration_type, head_id, phone, bank_account, "
        f"external_ref, created_at, updated_at) "
        f"SELECT n, v.code, '测试路' || {text} || '号', 'rural', n, '', "
        f"CASE WHEN n % 100 = 7 THEN '' ELSE '621700' || {text} END, '', {stamp}, {stamp} "
        f"FROM {seq} JOIN bench_village v ON v.k = n % {v}")
    cursor.execute(
        f"INSERT INTO enrollments_enrollment (program_id, household_id, person_id, area_id, case_id, decision_id, status, "
        f"monthly_amount, breakdown, start_month, next_recheck_date, bank_account, ended_on, end_reason, created_at, updated_at) "
        f"SELECT 'dibao', n, NULL, v.code, {case_id}, {decision_id}, "
        f"CASE WHEN n % 50 = 3 THEN 'gradual_exit' ELSE 'active' END, 300 + n % 700, '[]', '2025-01-01', '2026-01-01', "
        f"CASE WHEN n % 100 = 7 THEN '' ELSE '621700' || {text} END, NULL, '', {stamp}, {stamp} "
        f"FROM {seq} JOIN bench_village v ON v.k = n % {v}")
    cursor.execute("DROP TABLE bench_village")


def worker(enrollments: int, small: int) -> None:
    import django

    django.setup()
    import datetime as dt
    from decimal import Decimal

    from django.db import connection, transaction
    from django.utils import timezone

    from safetynet.areas.actors import system_actor
    from safetynet.areas.models import Area
    from safetynet.areas.services import import_divisions
    from safetynet.cases.models import Case, Decision
    from safetynet.payroll import services
    from safetynet.enrollments.models import Enrollment, EnrollmentTerm, WorkRefusalDeduction
    from safetynet.payroll.models import Payment, PayrollRun
    from django.db.models import Q, Sum
    from safetynet.registry.models import Household, Person

    vendor = connection.vendor
    log = lambda message: print(f"  {vendor}: {message}", file=sys.stderr, flush=True)  # noqa: E731
    system = system_actor()
    with (ROOT / "safetynet" / "areas" / "data" / "divisions-130123.csv").open("rb") as f:
        import_divisions(actor=system, source=f, filename="divisions-130123.csv")
    Area.objects.create(code=SMALL_COUNTY, name="栾城区", level="county", parent_id="1301")
    Area.objects.create(code=SMALL_COUNTY + "100", name="栾城镇", level="town", parent_id=SMALL_COUNTY)
    Area.objects.create(code=SMALL_COUNTY + "100001", name="东村", level="village", parent_id=SMALL_COUNTY + "100",
                        urban_rural_class="220")
    # One case and decision for every enrollment to point at (the payroll never reads them).
    household = Household.objects.create(area_id=COUNTY + "100001", address="基准1号", registration_type="rural")
    head = Person.objects.create(household=household, area_id=household.area_id, name="基准", id_number="BENCH0",
                                 sex="male", birth_date=dt.date(1960, 1, 1), relation_to_head="head")
    today = dt.date(2024, 12, 20)
    case = Case.objects.create(program_id="dibao", kind="household", path="standard", household=household, applicant=head,
                               area_id=household.area_id, channel="walk_in", status="confirmed", applied_on=today)
    decision = Decision.objects.create(case=case, outcome="approved", decided_at=timezone.now(), decided_on=today,
                                       letter_number="BENCH-1")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        build_county(cursor, vendor, COUNTY, enrollments, 1_000_000, case.pk, decision.pk)
        build_county(cursor, vendor, SMALL_COUNTY, small, 3_000_000, case.pk, decision.pk)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    log(f"built {Enrollment.objects.count():,} enrollments in {time.perf_counter() - started:.0f} s")

    figures = {"database": vendor, "enrollments": Enrollment.objects.filter(area__code__startswith=COUNTY).count()}
    # The floor: a bare INSERT ... SELECT of the same rows.
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_bare (id bigint, enrollment_id bigint, month date, amount numeric(12, 2), "
                       "reference varchar(64))")
        started = time.perf_counter()
        with transaction.atomic():
            cursor.execute("INSERT INTO bench_bare SELECT id, id, %s, monthly_amount, 'R' || CAST(id AS TEXT) "
                           "FROM enrollments_enrollment WHERE area_id LIKE %s", [dt.date(2025, 10, 1), f"{COUNTY}%"])
        figures["bare"] = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_bare")
    log(f"bare INSERT ... SELECT {figures['bare']:.2f} s")

    started = time.perf_counter()
    run = services.generate_payroll_run(actor=system, county_code=COUNTY, month=MONTH)
    figures["generate"] = time.perf_counter() - started
    figures["payments"] = run.payment_count
    figures["total"] = f"{run.total_amount:.2f}"
    figures["no_account"] = run.no_account_count
    figures["sum_check"] = f"{sum(Decimal(r['total']) for r in run.summary['by_town_program']):.2f}"
    log(f"generate {figures['generate']:.2f} s ({run.payment_count:,} payments)")
    started = time.perf_counter()
    again = services.generate_payroll_run(actor=system, county_code=COUNTY, month=MONTH)
    figures["again"] = time.perf_counter() - started
    figures["again_added"] = sum(again.added.values())
    log(f"again {figures['again']:.2f} s")

    started = time.perf_counter()
    services.generate_payroll_run(actor=system, county_code=SMALL_COUNTY, month=MONTH)
    figures["set_small"] = time.perf_counter() - started
    naive_run = PayrollRun.objects.create(area_id=SMALL_COUNTY, month=dt.date(2025, 11, 1), code=SMALL_COUNTY + "202511")
    month = dt.date(2025, 11, 1)
    started = time.perf_counter()
    # The naive way applies the same rules as generation.py, one enrollment at a time, as peers
    # do: the term in force for the month (status and amount), the refused-work deductions, the
    # payee; then an existence check and the insert.
    with transaction.atomic():
        for e in Enrollment.objects.filter(area__code__startswith=SMALL_COUNTY, start_month__lte=month) \
                .select_related("household__head", "person"):
            term = (EnrollmentTerm.objects.filter(enrollment=e, from_month__lte=month)
                    .filter(Q(until_month__isnull=True) | Q(until_month__gt=month)).first())
            status, amount = (term.status, term.amount) if term else (e.status, e.monthly_amount)
            if status not in ("active", "gradual_exit"):
                continue
            amount -= (WorkRefusalDeduction.objects.filter(enrollment=e, from_month__lte=month, until_month__gt=month)
                       .aggregate(total=Sum("amount"))["total"] or 0)
            if amount <= 0 or Payment.objects.filter(enrollment=e, month=month).exclude(status="carried_over").exists():
                continue
            payee = e.person or e.household.head
            Payment.objects.create(run=naive_run, enrollment=e, household_id=e.household_id, program_id=e.program_id,
                                   area_id=e.area_id, month=month, amount=amount, bank_account=e.bank_account,
                                   payee_name=payee.name if payee else "",
                                   reference=f"{naive_run.code}-{e.pk}",
                                   status="pending" if e.bank_account else "no_account")
    figures["naive_small"] = time.perf_counter() - started
    figures["small"] = Payment.objects.filter(run=naive_run).count()
    set_run = PayrollRun.objects.get(area_id=SMALL_COUNTY, month=dt.date(2025, 10, 1))
    naive_total = Payment.objects.filter(run=naive_run).aggregate(total=Sum("amount"))["total"]
    figures["same_result"] = (figures["small"], naive_total) == (set_run.payment_count, set_run.total_amount)
    log(f"20k: set {figures['set_small']:.2f} s, naive {figures['naive_small']:.2f} s")
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--enrollments", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=20_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.enrollments, args.small)
        return
    databases = ["sqlite"] + ([] if args.no_postgres or not postgres_reachable() else ["postgresql"])
    results = []
    for database in databases:
        print(f"{database}: migrating and building {args.enrollments:,} + {args.small:,} enrollments ...", flush=True)
        results.append(run_child(prepare(database), args.enrollments, args.small))
    print(f"\nPayroll, {args.enrollments:,} active enrollments in one county ({platform.machine()}, {os.cpu_count()} cores)")
    print(f"{'':34}" + "".join(f"{r['database']:>14}" for r in results))
    rows = [("bare INSERT ... SELECT (s)", "bare", "{:.2f}"), ("generate, first (s)  [≤ 15]", "generate", "{:.2f}"),
            ("generate, same month again (s)  [≤ 3]", "again", "{:.2f}"), ("payments", "payments", "{:,}"),
            ("  without bank account", "no_account", "{:,}"), ("run total (¥)", "total", "{}"),
            ("sum of town/program totals (¥)", "sum_check", "{}"), ("added by the second run", "again_added", "{}"),
            (f"set-based, {args.small:,} enrollments (s)", "set_small", "{:.3f}"),
            (f"naive ORM loop, {args.small:,} (s)", "naive_small", "{:.2f}")]
    for label, key, fmt in rows:
        print(f"{label:34}" + "".join(f"{fmt.format(r[key]):>14}" for r in results))
    print(f"{'same payments and total both ways':34}" + "".join(f"{'yes' if r['same_result'] else 'NO':>14}" for r in results))
    print(f"{'naive / set-based  [≥ 100×]':34}" + "".join(f"{r['naive_small'] / r['set_small']:>13.0f}×" for r in results))


if __name__ == "__main__":
    main()
