"""Policy simulation over 1,000,000 households of one county (issue 5: at most 60 s), SQLite and
PostgreSQL side by side in one run.

The county is built once per database and size and reused (SQLite var/bench/simulation-<N>.sqlite3,
PostgreSQL database bench_safetynet_simulation_<N>; --fresh rebuilds both): the 正定县 network (130123)
from the committed extract, its demo standards (urban ¥900, rural ¥720), then, with one INSERT ...
SELECT per table, N households spread over the county's 187 villages (urban and rural), 1–5
members each (2.8 on average: heads aged 36–80, spouses, children; a few disabled, seriously ill
or deceased), their declared income (wages, pensions not tied to a member, scholarships that do
not count), their assets (homes, deposits, some cars, businesses, second homes), and a dibao
enrollment for most households whose wages are under the standard (amounts not recomputed: the
simulation measures the change, whatever the amounts). Untimed.

Timed, in a fresh process per database: `payments.simulation.simulate_policy` as the county's
officer would run it — the rural standard from ¥720 to ¥800 from 2026-01 — through the service
(parameters, enrollments, the registry read a chunk at a time by helper processes, the dibao rule
twice for the households it may concern, the audit event). Printed with its breakdown
(households, rule calls, who enters, leaves, changes), the CPU seconds of the process and of its
helpers, and their peak memory.

    .venv/bin/python bench/bench_simulation.py [--households 1000000] [--no-postgres] [--fresh]

Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

from common import PYTHON, ROOT, SAFETYNET, POSTGRES_SERVER, child_env, postgres_admin, postgres_reachable

POSTGRES_DB = "bench_safetynet_simulation"
COUNTY = "130123"
KEY, VALUE, MONTH = "rural_standard", "800.00", "2026-01"
TARGET_SECONDS = 60


def database_url(database: str, households: int, fresh: bool) -> str:
    if database == "postgresql":
        name = f"{POSTGRES_DB}_{households}"
        if fresh:
            postgres_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        try:
            postgres_admin(f"CREATE DATABASE {name}")
        except Exception:
            pass   # it exists: reused
        return f"{POSTGRES_SERVER}/{name}"
    path = ROOT / "var" / "bench" / f"simulation-{households}.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def run_child(url: str, mode: str, households: int) -> dict:
    command = [PYTHON, __file__, "--worker", mode, "--households", str(households)]
    out = subprocess.run(command, env=child_env(url), cwd=ROOT, capture_output=True, text=True)
    sys.stderr.write(out.stderr[-3000:] if out.returncode else out.stderr)
    if out.returncode != 0:
        raise SystemExit(f"the {mode} process failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---- the child: build the county, or measure ----------------------------------------------------

def _sequence(vendor: str, count: int) -> str:
    if vendor == "postgresql":
        return f"(SELECT generate_series(1::bigint, {count}) AS n) seq"   # bigint: n × 7919 passes 2**31
    return f"(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {count}) SELECT n FROM s) seq"


def _days_after(vendor: str, start: str, days: str) -> str:
    if vendor == "postgresql":
        return f"(DATE '{start}' + CAST({days} AS integer))"
    return f"date('{start}', '+' || CAST({days} AS TEXT) || ' days')"


SIZE = ("(CASE n % 10 WHEN 0 THEN 1 WHEN 1 THEN 1 WHEN 2 THEN 2 WHEN 3 THEN 2 WHEN 4 THEN 3 WHEN 5 THEN 3 "
        "WHEN 6 THEN 3 WHEN 7 THEN 4 WHEN 8 THEN 4 ELSE 5 END)")
# Wages a month: most households well off, one in seven much poorer.
WAGES = "(CASE WHEN n % 7 = 0 THEN (n * 13) % 2400 ELSE 1500 + (n * 7919) % 9000 END)"


def build(households: int) -> dict:
    import django

    django.setup()
    import datetime as dt

    from django.db import connection, transaction
    from django.utils import timezone

    from safetynet.areas.actors import system_actor
    from safetynet.areas.models import Area
    from safetynet.areas.services import import_divisions
    from safetynet.cases.models import Case, Decision
    from safetynet.programs.demo import seed_demo_standards
    from safetynet.registry.models import Household, Person

    vendor = connection.vendor
    if Household.objects.count() >= households:
        return {"built": False, "households": Household.objects.count()}
    system = system_actor()
    started = time.perf_counter()
    if not Area.objects.filter(code=COUNTY).exists():
        with (ROOT / "safetynet" / "areas" / "data" / "divisions-130123.csv").open("rb") as f:
            import_divisions(actor=system, source=f, filename="divisions-130123.csv")
    seed_demo_standards(actor=system, county_code=COUNTY)
    household = Household.objects.create(area_id=COUNTY + "100001", address="基准1号", registration_type="rural")
    head = Person.objects.create(household=household, area_id=household.area_id, name="基准", id_number="BENCH0",
                                 sex="male", birth_date=dt.date(1960, 1, 1), relation_to_head="head")
    case = Case.objects.create(program_id="dibao", kind="household", path="standard", household=household, applicant=head,
                               area_id=household.area_id, channel="walk_in", status="confirmed",
                               applied_on=dt.date(2025, 12, 1))
    decision = Decision.objects.create(case=case, outcome="approved", decided_at=timezone.now(), decided_on=dt.date(2025, 12, 20),
                                       letter_number="BENCH-1")
    villages = list(Area.objects.filter(code__startswith=COUNTY, level="village").order_by("code").values_list("code", flat=True))
    v = len(villages)
    seq = _sequence(vendor, households)
    n_text = "CAST(n AS TEXT)"
    stamp = "'2025-12-01 00:00:00+00:00'"
    offset = 10_000_000   # household ids; person ids are 8 × the household id + the member's slot
    with transaction.atomic(), connection.cursor() as c:
        c.execute("CREATE TEMPORARY TABLE bench_village (k integer PRIMARY KEY, code varchar(18))")
        c.executemany("INSERT INTO bench_village (k, code) VALUES (%s, %s)", list(enumerate(villages)))
        c.execute("CREATE TEMPORARY TABLE bench_slot (k integer PRIMARY KEY)")
        c.executemany("INSERT INTO bench_slot (k) VALUES (%s)", [(k,) for k in range(5)])
        c.execute(
            f"INSERT INTO registry_household (id, area_id, address, registration_type, head_id, phone, bank_account, "
            f"external_ref, created_at, updated_at) "
            f"SELECT {offset} + n, v.code, '模拟路' || {n_text} || '号', 'rural', NULL, '', '621700' || {n_text}, '', "
            f"{stamp}, {stamp} FROM {seq} JOIN bench_village v ON v.k = n % {v}")
        birth = (f"CASE WHEN s.k = 0 THEN {_days_after(vendor, '1945-01-01', '(n % 45) * 365 + n % 300')} "
                 f"WHEN s.k = 1 THEN {_days_after(vendor, '1947-01-01', '(n % 45) * 365 + n % 200')} "
                 f"ELSE {_days_after(vendor, '2000-01-01', '((n + s.k) % 25) * 365 + n % 250')} END")
        disabled = "((n + s.k) % 97 = 0)"
        c.execute(
            f"INSERT INTO registry_person (id, household_id, area_id, name, id_number, sex, birth_date, relation_to_head, "
            f"disability_type, disability_grade, serious_illness, work_ability, phone, is_deceased, created_at, updated_at) "
            f"SELECT ({offset} + n) * 8 + s.k, {offset} + n, v.code, '居民' || {n_text}, 'S' || CAST(({offset} + n) * 8 + s.k AS TEXT), "
            f"CASE WHEN s.k = 1 THEN 'female' ELSE 'male' END, {birth}, "
            f"CASE s.k WHEN 0 THEN 'head' WHEN 1 THEN 'spouse' ELSE 'child' END, "
            f"CASE WHEN {disabled} THEN 'physical' ELSE '' END, CASE WHEN {disabled} THEN 1 + n % 4 ELSE NULL END, "
            f"((n + s.k) % 53 = 0), 'full', '', (s.k > 0 AND (n + s.k) % 211 = 0), {stamp}, {stamp} "
            f"FROM {seq} JOIN bench_village v ON v.k = n % {v} JOIN bench_slot s ON s.k < {SIZE}")
        c.execute(f"UPDATE registry_household SET head_id = id * 8 WHERE id > {offset}")
        c.execute(
            f"INSERT INTO registry_incomeitem (household_id, person_id, category, monthly_amount, description) "
            f"SELECT {offset} + n, ({offset} + n) * 8, 'wages', {WAGES}, '' FROM {seq}")
        c.execute(
            f"INSERT INTO registry_incomeitem (household_id, person_id, category, monthly_amount, description) "
            f"SELECT {offset} + n, NULL, 'pension', 300 + n % 900, '' FROM {seq} WHERE n % 6 = 0")
        c.execute(
            f"INSERT INTO registry_incomeitem (household_id, person_id, category, monthly_amount, description) "
            f"SELECT {offset} + n, NULL, 'excluded_scholarship', 500, '' FROM {seq} WHERE n % 10 = 3")
        for category, value, quantity, where in (
                ("home", "0", "1", "n % 5 <> 0"), ("deposit", "(n * 37) % 50000", "1", "n % 3 <> 0"),
                ("vehicle", "60000", "1", "n % 11 = 0"), ("business", "0", "1", "n % 37 = 0"),
                ("home", "0", "1", "n % 41 = 0")):
            c.execute(
                f"INSERT INTO registry_asset (household_id, person_id, category, value, quantity, description, is_exempt) "
                f"SELECT {offset} + n, NULL, '{category}', {value}, {quantity}, '', false FROM {seq} WHERE {where}")
        c.execute(
            f"INSERT INTO enrollments_enrollment (program_id, household_id, person_id, area_id, case_id, decision_id, status, "
            f"monthly_amount, breakdown, start_month, next_recheck_date, bank_account, ended_on, end_reason, created_at, updated_at) "
            f"SELECT 'dibao', {offset} + n, NULL, v.code, {case.pk}, {decision.pk}, "
            f"CASE WHEN n % 50 = 3 THEN 'gradual_exit' ELSE 'active' END, 300 + n % 700, '[]', '2025-01-01', '2026-06-01', "
            f"'621700' || {n_text}, NULL, '', {stamp}, {stamp} "
            f"FROM {seq} JOIN bench_village v ON v.k = n % {v} WHERE {WAGES} < 760 * {SIZE} AND n % 4 <> 0")
        c.execute("DROP TABLE bench_village")
        c.execute("DROP TABLE bench_slot")
    with connection.cursor() as c:
        c.execute("ANALYZE")
    return {"built": True, "households": Household.objects.count(), "seconds": time.perf_counter() - started}


def measure() -> dict:
    import django

    django.setup()
    from django.db import connection

    from safetynet.areas.actors import system_actor
    from safetynet.enrollments.models import Enrollment
    from safetynet.enrollments.simulation import simulate_policy
    from safetynet.registry.models import Person

    vendor = connection.vendor
    last = [time.perf_counter()]

    def progress(done, total):
        if time.perf_counter() - last[0] > 5:
            last[0] = time.perf_counter()
            print(f"  {vendor}: {done:,} / {total:,} households", file=sys.stderr, flush=True)

    load = os.getloadavg()[0]
    cpu = time.process_time()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    children_cpu = before.ru_utime + before.ru_stime
    started = time.perf_counter()
    result = simulate_policy(actor=system_actor(), county_code=COUNTY, program="dibao", key=KEY, value=VALUE, month=MONTH,
                             progress=progress)
    wall = time.perf_counter() - started
    helpers = resource.getrusage(resource.RUSAGE_CHILDREN)   # the helper processes, reaped when the pool shut down
    return {"database": vendor, "wall": wall, "cpu": time.process_time() - cpu, "load": load,
            "helpers_cpu": helpers.ru_utime + helpers.ru_stime - children_cpu, "helpers_rss": helpers.ru_maxrss / 1024,
            "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "people": Person.objects.filter(is_deceased=False).count(), "enrollments": Enrollment.objects.count(),
            **{k: result[k] for k in ("households", "assessments", "paid_before", "paid_after", "cost_before", "cost_after",
                                      "unchanged", "not_paid")},
            "entering": result["entering"]["count"], "leaving": result["leaving"]["count"],
            "raised": result["raised"]["count"], "lowered": result["lowered"]["count"],
            "eligible_not_enrolled": result["eligible_not_enrolled"]["count"], "unsupported": result["unsupported"]["count"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--fresh", action="store_true", help="rebuild the county (else the one built before is reused)")
    parser.add_argument("--worker", choices=["build", "measure"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(build(args.households) if args.worker == "build" else measure()))
        return
    databases = ["sqlite"] + ([] if args.no_postgres or not postgres_reachable() else ["postgresql"])
    results = []
    for database in databases:
        url = database_url(database, args.households, args.fresh)
        subprocess.run([SAFETYNET, "migrate", "--no-input", "-v", "0"], env=child_env(url), cwd=ROOT, check=True)
        built = run_child(url, "build", args.households)
        print(f"{database}: {built['households']:,} households "
              + (f"built in {built['seconds']:.0f} s" if built["built"] else "(reused)"), flush=True)
        results.append(run_child(url, "measure", args.households))
    load = os.getloadavg()
    print(f"\nPolicy simulation: {KEY} → ¥{VALUE} from {MONTH}, county {COUNTY} "
          f"({platform.machine()}, {os.cpu_count()} cores, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})")
    print(f"{'':34}" + "".join(f"{r['database']:>16}" for r in results))
    rows = [(f"simulation, wall (s)  [≤ {TARGET_SECONDS}]", "wall", "{:.1f}"), ("  CPU of the process (s)", "cpu", "{:.1f}"),
            ("  CPU of its helper processes (s)", "helpers_cpu", "{:.1f}"),
            ("  load when started", "load", "{:.2f}"), ("  peak memory (MiB)", "rss", "{:,.0f}"),
            ("  peak memory of a helper (MiB)", "helpers_rss", "{:,.0f}"),
            ("households assessed", "households", "{:,}"), ("living people", "people", "{:,}"),
            ("dibao rule calls", "assessments", "{:,}"), ("enrollments", "enrollments", "{:,}"),
            ("paid before / after", None, None), ("cost before (¥ a month)", "cost_before", "{}"),
            ("cost after (¥ a month)", "cost_after", "{}"), ("entering", "entering", "{:,}"), ("leaving", "leaving", "{:,}"),
            ("raised", "raised", "{:,}"), ("lowered", "lowered", "{:,}"), ("unchanged", "unchanged", "{:,}"),
            ("eligible, not enrolled", "eligible_not_enrolled", "{:,}"),
            ("paid, not supported by the registry", "unsupported", "{:,}")]
    for label, key, fmt in rows:
        if key is None:
            print(f"{label:34}" + "".join(f"{r['paid_before']:>8,}/{r['paid_after']:<7,}" for r in results))
            continue
        print(f"{label:34}" + "".join(f"{fmt.format(r[key]):>16}" for r in results))


if __name__ == "__main__":
    main()
