"""Household economic status verification at province scale (issue 4), all figures in one run:

- the batch: every household (1,000,000 persons in 400,000 households) against department
  snapshots of at least 20,000,000 rows, through the engine (safetynet.verification.engine:
  Ibis on DuckDB, the dibao rule of programs.rules, results written to the database): wall
  time and peak memory (target ≤ 30 s, ≤ 4 GiB), beside the bare DuckDB join of the same tables;
- accuracy on the planted facts: every exact-ID fact found (recall 100 %) and no flag on any
  other household (the background is generated clean: incomes under the standard, assets within
  the limits, so every flag the engine raises must be a planted one);
- online: one household's report through services.verify_household, p50/p95/max over
  --online households with the snapshots in place (target p95 < 100 ms);
- the naive way — one query per member per dataset, as peer systems do — against the engine
  on the same --naive households (default 20,000): the ratio (target ≥ 50×), and whether both
  agree on every household's flags.

The population is generated directly as Parquet (DuckDB SQL, seconds), not through the
registry: persons with valid ID numbers (born in 20 counties of Hebei), households in the
real villages of 正定县 (whose demo standards, rural ¥720 and urban ¥900, the rule reads).
The department files are generated the same way and imported through
services.import_snapshot — validated row by row with set-based SQL, written as sorted Parquet
plus an indexed DuckDB file — and the import is timed too. For the online figure,
--db-households of them (default 2,000) are also written to the database with a case bearing
the applicant's authorization. All of it lives in var/bench/verification-<persons>/ and is
reused (--fresh rebuilds).

Each measurement runs in a child process of its own (peak memory from its own getrusage).

    .venv/bin/python bench/bench_verification.py [--persons 1000000] [--naive 20000] [--online 500] [--fresh]

Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
SAFETYNET = str(ROOT / ".venv" / "bin" / "safetynet")
COUNTY = "130123"
TARGET_ROWS = 20_500_000
PLANT_EVERY = 557                      # one household in 557 gets a planted fact (about 720 of 400,000)
KINDS = ("vehicle", "business", "second_home", "non_residential", "deposits_over_limit", "death", "undeclared_wages")
FLAG = {"vehicle": "vehicle", "business": "business", "second_home": "more_than_one_home",
        "non_residential": "non_residential_property", "deposits_over_limit": "financial_assets_over_limit",
        "death": "member_deceased", "undeclared_wages": "undeclared_wages"}
BIRTH_COUNTIES = ("130102", "130104", "130105", "130108", "130109", "130110", "130111", "130121", "130123", "130125",
                  "130126", "130127", "130128", "130129", "130130", "130131", "130132", "130133", "130181", "130183")


def workdir(persons: int) -> Path:
    path = ROOT / "var" / "bench" / f"verification-{persons}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def child_env(persons: int) -> dict:
    folder = workdir(persons)
    return {**os.environ, "SAFETYNET_DATA_DIR": str(folder), "DJANGO_SETTINGS_MODULE": "safetynet.settings",
            "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}", "SAFETYNET_DUCKDB_MEMORY": os.environ.get("SAFETYNET_DUCKDB_MEMORY", "2500MB")}


def run_child(args, step: str, extra: list[str] | None = None) -> dict:
    """Run `step` in a child; its last stdout line is JSON (with the child's own peak RSS, from getrusage)."""
    command = [PYTHON, __file__, "--child", step, "--persons", str(args.persons), "--naive", str(args.naive),
               "--online", str(args.online), "--chunk", str(args.chunk), "--naive-measured", str(args.naive_measured), "--db-households", str(args.db_households)]
    command += extra or []
    started = time.monotonic()
    process = subprocess.run(command, env=child_env(args.persons), cwd=ROOT, capture_output=True, text=True)
    out, err = process.stdout, process.stderr
    if process.returncode:
        raise SystemExit(f"step {step} failed:\n{err[-4000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    result["child_seconds"] = time.monotonic() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--naive", type=int, default=20_000, help="households for the naive-vs-engine comparison")
    parser.add_argument("--naive-measured", type=int, default=2_000,
                        help="of those, how many the naive way is timed on (the rest extrapolated; 0: all)")
    parser.add_argument("--online", type=int, default=500, help="online reports measured")
    parser.add_argument("--chunk", type=int, default=100_000, help="households per chunk of the batch")
    parser.add_argument("--db-households", type=int, default=2_000, help="households also written to the database")
    parser.add_argument("--fresh", action="store_true", help="generate and import everything again")
    parser.add_argument("--setup-only", action="store_true", help="generate and import, measure nothing")
    parser.add_argument("--only", nargs="+", choices=("bare", "batch", "online", "naive"), default=[],
                        help="run only these measurements (printed as JSON)")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        # Always the bench's own files and database, whatever the caller's environment says.
        env = child_env(args.persons)
        for key in ("SAFETYNET_DATA_DIR", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"):
            os.environ[key] = env[key]
        os.environ.setdefault("SAFETYNET_DUCKDB_MEMORY", env["SAFETYNET_DUCKDB_MEMORY"])
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        result = CHILD_STEPS[args.child](args)
        print(json.dumps(result, default=str))
        return

    load = os.getloadavg()
    print(f"# verification — {time.strftime('%Y-%m-%d %H:%M')} — {platform.node()}, {os.cpu_count()} CPUs, "
          f"load {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f} — {args.persons:,} persons", flush=True)
    folder = workdir(args.persons)
    if args.fresh:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    if not (folder / "SETUP_DONE").exists():
        print("setting up (once; reused by later runs) ...", flush=True)
        setup = run_child(args, "setup")
        (folder / "SETUP_DONE").write_text(json.dumps(setup, default=str))
    setup = json.loads((folder / "SETUP_DONE").read_text())
    if args.setup_only:
        print(json.dumps(setup, indent=1, default=str))
        return
    print(f"population: {setup['persons']:,} persons in {setup['households']:,} households "
          f"(generated in {setup['generate_seconds']:.1f} s)")
    print(f"snapshots: {setup['rows']:,} rows in {len(setup['datasets'])} datasets, imported (validated, sorted, indexed) in "
          f"{setup['import_seconds']:.0f} s = {setup['rows'] / max(setup['import_seconds'], 1e-9):,.0f} rows/s")
    for code, info in sorted(setup["datasets"].items()):
        print(f"  {code:<30} {info['rows']:>12,} rows  {info['seconds']:6.1f} s")
    print(f"planted facts: {setup['planted']:,} (+{setup['identity_records']} records with legacy, mistyped or no ID)")
    print(flush=True)

    if args.only:
        for step in args.only:
            print(step, json.dumps(run_child(args, step), default=str), flush=True)
        return
    bare = run_child(args, "bare")
    batch = run_child(args, "batch")
    online = run_child(args, "online")
    naive = run_child(args, "naive")
    load = os.getloadavg()

    print(f"{'figure':<60} {'measured':>26} {'target':>10}")
    print("-" * 98)

    def line(label, value, target=""):
        print(f"{label:<60} {value:>26} {target:>10}")

    line("bare DuckDB join, members × all snapshots", f"{bare['seconds']:.1f} s ({bare['rows']:,} rows)")
    line("batch, every household: wall (findings, rule, results in DB)", f"{batch['seconds']:.1f} s", "≤ 30 s")
    line("   findings step (join → Parquet) / chunks (totals, rule, DB)",
         f"{batch['findings_seconds']:.1f} s / {batch['chunks_seconds']:.1f} s")
    line("   CPU time, all processes", f"{batch['cpu_seconds']:.1f} s")
    peak = batch["peak_rss_mib"] + batch["helpers_workers"] * batch["helpers_peak_rss_mib"]
    line("batch: peak memory (run + helper processes)", f"{peak / 1024:.2f} GiB", "≤ 4 GiB")
    line("batch: households / findings / flagged", f"{batch['households']:,} / {batch['findings']:,} / {batch['flagged']:,}")
    line("accuracy: planted exact-ID facts found (recall)",
         f"{batch['found']:,}/{batch['expected']:,} ({100 * batch['found'] / max(batch['expected'], 1):.0f} %)", "100 %")
    line("accuracy: flags on households with nothing planted", f"{batch['false_flags']:,}", "0")
    line("accuracy: legacy/mistyped/no-ID records flagged (exact engine)", f"{batch['identity_flags']:,}", "0")
    line(f"online report p50 / p95 / max (n={online['n']})",
         f"{online['p50']:.1f} / {online['p95']:.1f} / {online['max']:.1f} ms", "p95 < 100")
    line("online report CPU time p50 / p95", f"{online['cpu_p50']:.1f} / {online['cpu_p95']:.1f} ms")
    if naive["measured"] < naive["households"]:
        line(f"naive, {naive['households']:,} households (timed on {naive['measured']:,}, extrapolated)",
             f"{naive['naive_seconds']:.1f} s")
        line(f"   ({naive['queries']:,} queries in {naive['measured_seconds']:.1f} s)", "")
    else:
        line(f"naive, {naive['households']:,} households ({naive['queries']:,} queries)", f"{naive['naive_seconds']:.1f} s")
    line(f"engine, the same {naive['households']:,} households", f"{naive['engine_seconds']:.1f} s")
    line("naive ÷ engine", f"{naive['naive_seconds'] / naive['engine_seconds']:.0f}×", "≥ 50×")
    line("naive and engine agree on flags (households timed)", f"{naive['agree']:,}/{naive['measured']:,}")
    print(f"(load average at the end {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}; peak memory of the online step "
          f"{online['peak_rss_mib']:.0f} MiB, of the naive step {naive['peak_rss_mib']:.0f} MiB)")


# ==================================================================================================
# Children
# ==================================================================================================

def _peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _today():
    from django.utils import timezone

    return timezone.localdate()


def _villages():
    from safetynet.areas.models import Area

    return list(Area.objects.filter(code__startswith=COUNTY, level="village").order_by("code")
                .values_list("code", "urban_rural_class"))


def _check_sql(expr: str) -> str:
    from safetynet.verification.importer import _check_digit_sql

    return _check_digit_sql(expr)


def step_setup(args) -> dict:
    """Database, population, department files, import, database sample."""
    from django.core.management import call_command

    from safetynet.areas.actors import system_actor
    from safetynet.areas.services import import_divisions
    from safetynet.programs.demo import seed_demo_standards
    from safetynet.verification import storage

    call_command("migrate", verbosity=0, interactive=False)
    from safetynet.areas.models import Area

    if not Area.objects.filter(code=COUNTY).exists():
        path = ROOT / "safetynet" / "areas" / "data" / f"divisions-{COUNTY}.csv"
        with path.open("rb") as f:
            import_divisions(actor=system_actor(), source=f, filename=path.name)
    seed_demo_standards(actor=system_actor(), county_code=COUNTY)
    folder = Path(os.environ["SAFETYNET_DATA_DIR"]) / "population"
    folder.mkdir(parents=True, exist_ok=True)
    raw = Path(os.environ["SAFETYNET_DATA_DIR"]) / "raw"
    raw.mkdir(parents=True, exist_ok=True)

    started = time.monotonic()
    con = storage.connect()
    today = _today()
    villages = _villages()
    con.execute("CREATE TABLE villages AS SELECT * FROM (VALUES " + ", ".join(
        f"({i}, '{code}', {str((klass or '').startswith('1')).lower()})" for i, (code, klass) in enumerate(villages)) +
        ") v(n, area_code, is_urban)")
    n = args.persons
    prefixes = "[" + ", ".join(f"'{p}'" for p in BIRTH_COUNTIES) + "]"
    con.execute(f"""
        CREATE TABLE persons AS
        WITH p AS (
            SELECT i, i + 1 AS person_id, (i * 2) // 5 + 1 AS household_id, (i * 2) % 5 < 2 AS is_head,
                   ((i * 2) % 5) // 2 AS member_no, {prefixes}[1 + (i % 20)] AS prefix,
                   CAST(DATE '1940-01-01' + CAST(((i // 20) * 7919) % 30000 AS INTEGER) AS DATE) AS birth_date,
                   lpad(CAST((i // 600000) * 2 + (i % 2) AS VARCHAR), 3, '0') AS seq
            FROM range({n}) t(i))
        SELECT person_id, household_id, is_head, member_no, birth_date,
               prefix || strftime(birth_date, '%Y%m%d') || seq AS id17, '人' || CAST(person_id AS VARCHAR) AS name,
               date_diff('year', birth_date, DATE '{today}') AS age
        FROM p""")
    con.execute("ALTER TABLE persons ADD COLUMN id_number VARCHAR")
    con.execute(f"UPDATE persons SET id_number = id17 || {_check_sql('id17')}")
    con.execute("""
        CREATE TABLE people AS SELECT *,
            age BETWEEN 18 AND 59 AND person_id % 10 < 7 AS earner,
            CAST(150 + person_id % 100 AS DECIMAL(14, 2)) AS net_wage,
            age >= 60 AND person_id % 4 = 0 AS enterprise_pension,
            age >= 60 AND person_id % 4 <> 0 AS basic_pension,
            age BETWEEN 18 AND 59 AND NOT (person_id % 10 < 7) AND person_id % 10 = 7 AS unemployed
        FROM persons""")
    nv = len(villages)
    con.execute(f"""
        CREATE TABLE households AS
        SELECT h.household_id, v.area_code, v.is_urban, count(*) AS size,
               CAST(sum(CASE WHEN p.earner THEN p.net_wage ELSE 0 END) AS DECIMAL(14, 2)) AS declared_wages,
               CAST(sum(CASE WHEN p.enterprise_pension THEN 300 ELSE 0 END) AS DECIMAL(14, 2)) AS declared_pension,
               CAST(sum(CASE WHEN p.unemployed THEN 200 ELSE 0 END) AS DECIMAL(14, 2)) AS declared_unemployment
        FROM (SELECT DISTINCT household_id FROM persons) h
        JOIN people p USING (household_id)
        JOIN villages v ON v.n = h.household_id % {nv}
        GROUP BY 1, 2, 3""")
    kinds = "[" + ", ".join(f"'{k}'" for k in KINDS) + "]"
    # Planted facts: one household in PLANT_EVERY, the kind by turn; deaths only on a member who
    # holds no financial asset, so the household stays within the limits once he is gone.
    con.execute(f"""
        CREATE TABLE planted AS
        WITH chosen AS (
            SELECT household_id, {kinds}[1 + ((household_id // {PLANT_EVERY}) % 7)] AS kind
            FROM households WHERE household_id % {PLANT_EVERY} = 0)
        SELECT c.household_id, c.kind, p.person_id, p.id_number, p.name, p.birth_date
        FROM chosen c JOIN people p ON p.household_id = c.household_id
        WHERE (c.kind <> 'death' AND p.is_head)
           OR (c.kind = 'death' AND p.member_no = 1 AND p.person_id % 3 <> 0 AND p.person_id % 10 <> 5 AND p.person_id % 31 <> 0)""")
    con.execute(f"""
        CREATE TABLE identity_planted AS
        SELECT p.household_id, p.person_id, p.id_number, p.name, p.birth_date,
               ['legacy', 'bad_check', 'no_id'][1 + ((p.household_id // {PLANT_EVERY}) % 3)] AS identity
        FROM people p WHERE p.is_head AND p.household_id % {PLANT_EVERY} = 100 AND year(p.birth_date) < 2000""")
    months = [f"DATE '{m}'" for m in _months(today, 24)]
    months_sql = "[" + ", ".join(months) + "]"
    who = "id_number, name, birth_date, CAST(NULL AS VARCHAR) AS resident_address"
    datasets = {
        "public_security_registrations": f"SELECT {who}, CASE WHEN right(id17, 1)::INT % 2 = 1 THEN 'male' ELSE 'female' END AS sex, birth_date AS registered_on FROM people",
        "public_security_deaths": f"SELECT {who}, DATE '{today}' - 30 AS death_date FROM planted WHERE kind = 'death'",
        "hrss_wages": f"""SELECT {who}, '正定县' || CAST(person_id % 500 AS VARCHAR) || '号企业' AS employer, m AS month,
                                 CAST(net_wage * 1.25 AS DECIMAL(14, 2)) AS gross_wage, net_wage
                          FROM people, unnest({months_sql}) AS u(m) WHERE earner
                          UNION ALL
                          SELECT {who}, '正定县零工市场' AS employer, m AS month, CAST(125 AS DECIMAL(14, 2)), CAST(100 AS DECIMAL(14, 2))
                          FROM planted, unnest({months_sql}) AS u(m) WHERE kind = 'undeclared_wages'""",
        "tax_income": f"""SELECT {who}, '正定县' || CAST(person_id % 500 AS VARCHAR) || '号企业' AS withholder, m AS month,
                                 CAST(net_wage * 0.1 AS DECIMAL(14, 2)) AS taxable_income, CAST(0 AS DECIMAL(14, 2)) AS tax_paid
                          FROM people, unnest({months_sql}) AS u(m) WHERE earner AND person_id % 2 = 0""",
        "pensions": f"""SELECT {who}, 'enterprise' AS kind, CAST(300 AS DECIMAL(14, 2)) AS monthly_amount, DATE '2010-01-01' AS since FROM people WHERE enterprise_pension
                        UNION ALL SELECT {who}, 'resident_basic', CAST(180 AS DECIMAL(14, 2)), DATE '2012-01-01' FROM people WHERE basic_pension""",
        "unemployment": f"SELECT {who}, CAST(200 AS DECIMAL(14, 2)) AS monthly_amount, DATE '{today}' - 60 AS since, DATE '{today}' + 300 AS until FROM people WHERE unemployed",
        "real_estate": f"""SELECT {who}, 'H' || CAST(household_id AS VARCHAR) || '号' AS address, 'residential' AS use, 80.0 AS area_m2, DATE '2005-05-05' AS registered_on FROM people WHERE is_head
                           UNION ALL SELECT {who}, 'H' || CAST(household_id AS VARCHAR) || '号 二套', 'residential', 90.0, DATE '2019-05-05' FROM planted WHERE kind = 'second_home'
                           UNION ALL SELECT {who}, 'H' || CAST(household_id AS VARCHAR) || '号 商铺', 'non_residential', 30.0, DATE '2019-05-05' FROM planted WHERE kind = 'non_residential'""",
        "businesses": f"SELECT {who}, '公司' || CAST(household_id AS VARCHAR) AS company, 'legal_rep' AS role, CAST(100000 AS DECIMAL(14, 2)) AS registered_capital, DATE '2020-01-01' AS registered_on FROM planted WHERE kind = 'business'",
        "vehicles": f"""SELECT {who}, 'E' || CAST(person_id AS VARCHAR) AS plate, 'e_bike' AS vehicle_type, DATE '2021-01-01' AS registered_on FROM people WHERE person_id % 6 = 2
                        UNION ALL SELECT {who}, 'C' || CAST(person_id AS VARCHAR), 'car', DATE '2022-01-01' FROM planted WHERE kind = 'vehicle'
                        UNION ALL SELECT CASE identity WHEN 'legacy' THEN left(id_number, 6) || substr(id_number, 9, 9)
                                                      WHEN 'bad_check' THEN left(id_number, 17) || CASE WHEN right(id_number, 1) = '0' THEN '1' ELSE '0' END END,
                                         name, birth_date, 'H' || CAST(household_id AS VARCHAR) || '号', 'L' || CAST(person_id AS VARCHAR), 'car', DATE '2022-01-01'
                                  FROM identity_planted""",
        "provident_fund": f"SELECT {who}, CAST(net_wage * 0.15 AS DECIMAL(14, 2)) AS monthly_deposit, CAST(person_id % 20000 AS DECIMAL(14, 2)) AS balance, DATE '{today}' AS as_of FROM people WHERE earner AND person_id % 5 = 0",
        "deposits": f"""SELECT {who}, '农业银行' AS bank, CAST((person_id * 7919) % 5000 AS DECIMAL(14, 2)) AS balance, DATE '{today}' AS as_of FROM people WHERE person_id % 3 = 0
                        UNION ALL SELECT {who}, '邮储银行', CAST((person_id * 104729) % 5000 AS DECIMAL(14, 2)), DATE '{today}' FROM people WHERE person_id % 6 = 0
                        UNION ALL SELECT {who}, '工商银行正定支行', CAST(5000000 AS DECIMAL(14, 2)), DATE '{today}' FROM planted WHERE kind = 'deposits_over_limit'""",
        "securities": f"SELECT {who}, '财达证券' AS broker, CAST(3000 AS DECIMAL(14, 2)) AS market_value, DATE '{today}' AS as_of FROM people WHERE person_id % 31 = 0",
        "insurance": f"SELECT {who}, '中国人寿' AS insurer, 'P' || CAST(person_id AS VARCHAR) AS policy_no, CAST(2000 AS DECIMAL(14, 2)) AS cash_value, DATE '{today}' AS as_of FROM people WHERE person_id % 10 = 5",
        "medical_costs": f"SELECT {who}, CAST(100 + person_id % 3000 AS DECIMAL(14, 2)) AS self_paid, m AS period_end FROM people, unnest([{', '.join(months[0:12:3])}]) AS u(m) WHERE person_id % 10 = 3",
    }
    for code, sql in datasets.items():
        con.execute(f"CREATE OR REPLACE TABLE ds_{code} AS {sql}")
    real_rows = sum(con.execute(f"SELECT count(*) FROM ds_{code}").fetchone()[0] for code in datasets)
    share = max(0.10, (TARGET_ROWS - real_rows) / real_rows)
    # Strangers: people registered elsewhere (ID numbers of another province) with the same kinds of records.
    offset = 0
    for code in datasets:
        count = con.execute(f"SELECT count(*) FROM ds_{code}").fetchone()[0]
        extra = int(count * share)
        if extra <= 0:
            continue
        stranger = (f"'410102' || strftime(DATE '1950-01-01' + CAST(({offset} + k) % 20000 AS INTEGER), '%Y%m%d') "
                    f"|| lpad(CAST((({offset} + k) // 20000) % 1000 AS VARCHAR), 3, '0')")
        replace = f"{stranger} || {_check_sql(stranger)} AS id_number"
        extra_cols = {"vehicles": f", 'N' || CAST({offset} + k AS VARCHAR) AS plate", "insurance": f", 'N' || CAST({offset} + k AS VARCHAR) AS policy_no",
                      "real_estate": f", 'N' || CAST({offset} + k AS VARCHAR) AS address"}.get(code, "")
        con.execute(f"""INSERT INTO ds_{code} SELECT * EXCLUDE (k) REPLACE ({replace}{extra_cols})
                        FROM (SELECT *, row_number() OVER () AS k FROM (SELECT * FROM ds_{code} LIMIT {extra}))""")
        offset += extra
    generated = time.monotonic() - started
    # The population files the batch reads, and the ground truth.
    con.execute(f"COPY (SELECT household_id, person_id, id_number, name, birth_date, '' AS disability_type, "
                f"CAST(NULL AS SMALLINT) AS disability_grade, false AS serious_illness, false AS is_deceased, is_head, earner, "
                f"net_wage, enterprise_pension, unemployed FROM people ORDER BY household_id, person_id) TO '{folder / 'members.parquet'}' (FORMAT parquet)")
    con.execute(f"COPY (SELECT * FROM households ORDER BY household_id) TO '{folder / 'households.parquet'}' (FORMAT parquet)")
    con.execute(f"COPY (SELECT household_id, person_id, kind FROM planted) TO '{folder / 'planted.parquet'}' (FORMAT parquet)")
    con.execute(f"COPY (SELECT household_id, person_id, identity FROM identity_planted) TO '{folder / 'identity_planted.parquet'}' (FORMAT parquet)")
    for code in datasets:
        if con.execute(f"SELECT count(*) FROM ds_{code}").fetchone()[0]:
            con.execute(f"COPY (SELECT * FROM ds_{code} ORDER BY random()) TO '{raw / (code + '.parquet')}' (FORMAT parquet)")
    planted = con.execute("SELECT count(*) FROM planted").fetchone()[0]
    identity_records = con.execute("SELECT count(*) FROM identity_planted").fetchone()[0]
    households = con.execute("SELECT count(*) FROM households").fetchone()[0]
    con.close()

    # Import through the service (validation of every row, sorted Parquet, indexed DuckDB file).
    from safetynet.verification.services import import_snapshot

    info = {}
    import_started = time.monotonic()
    total = 0
    for code in datasets:
        if not (raw / f"{code}.parquet").exists():
            continue
        t0 = time.monotonic()
        result = import_snapshot(actor=system_actor(), dataset_code=code, source=raw / f"{code}.parquet",
                                 filename=f"{code}.parquet", taken_on=today)
        info[code] = {"rows": result.snapshot.row_count, "seconds": time.monotonic() - t0}
        total += result.snapshot.row_count
        print(f"  imported {code}: {result.snapshot.row_count:,} rows in {info[code]['seconds']:.1f} s", file=sys.stderr, flush=True)
    import_seconds = time.monotonic() - import_started
    _write_db_sample(args, folder)
    return {"persons": n, "households": households, "rows": total, "datasets": info, "generate_seconds": generated,
            "import_seconds": import_seconds, "planted": planted, "identity_records": identity_records}


def _months(today, n):
    import datetime as dt

    month = today.replace(day=1)
    out = []
    for _ in range(n):
        month = (month - dt.timedelta(days=1)).replace(day=1)
        out.append(month.isoformat())
    return out


def _write_db_sample(args, folder: Path) -> None:
    """--db-households households (and their members, declarations, and a case with the signed
    authorization) written to the database for the online figure."""
    import duckdb
    from django.db import transaction
    from django.utils import timezone

    from safetynet.cases.models import Case
    from safetynet.registry.models import Asset, Household, IncomeItem, Person

    con = duckdb.connect()
    households = con.execute(f"SELECT household_id, area_code FROM read_parquet('{folder / 'households.parquet'}') "
                             f"USING SAMPLE {args.db_households} ROWS (reservoir, 7) ORDER BY household_id").fetchall()
    ids = [h for h, _a in households]
    members = con.execute(f"SELECT * FROM read_parquet('{folder / 'members.parquet'}') WHERE household_id IN "
                          f"(SELECT unnest(?))", [ids]).fetchall()
    columns = [d[0] for d in con.description]
    con.close()
    area = dict(households)
    now, today = timezone.now(), _today()
    rows = [dict(zip(columns, m)) for m in members]
    with transaction.atomic():
        Household.objects.bulk_create([Household(id=h, area_id=a, address=f"H{h}号", registration_type="rural") for h, a in households])
        Person.objects.bulk_create([Person(id=r["person_id"], household_id=r["household_id"], area_id=area[r["household_id"]],
                                           name=r["name"], id_number=r["id_number"], birth_date=r["birth_date"],
                                           sex="male" if int(r["id_number"][16]) % 2 else "female",
                                           relation_to_head="head" if r["is_head"] else "other") for r in rows])
        heads = {r["household_id"]: r["person_id"] for r in rows if r["is_head"]}
        for household_id, head in heads.items():
            Household.objects.filter(pk=household_id).update(head_id=head)
        items = []
        for r in rows:
            if r["earner"]:
                items.append(IncomeItem(household_id=r["household_id"], person_id=r["person_id"], category="wages", monthly_amount=r["net_wage"]))
            if r["enterprise_pension"]:
                items.append(IncomeItem(household_id=r["household_id"], person_id=r["person_id"], category="pension", monthly_amount=300))
            if r["unemployed"]:
                items.append(IncomeItem(household_id=r["household_id"], person_id=r["person_id"], category="unemployment", monthly_amount=200))
        IncomeItem.objects.bulk_create(items)
        Asset.objects.bulk_create([Asset(household_id=h, person_id=p, category="home", value=100000) for h, p in heads.items()])
        Case.objects.bulk_create([Case(program_id="dibao", path="dibao", household_id=h, applicant_id=p, area_id=area[h],
                                       channel="walk_in", status="accepted", applied_on=today, accepted_on=today,
                                       authorization_signed_at=now, promise_signed_at=now) for h, p in heads.items()])


def _snapshot_refs():
    from safetynet.verification.selectors import current_snapshot_refs

    return current_snapshot_refs()


def step_bare(args) -> dict:
    """A bare DuckDB join: the members against every snapshot by ID number, counted."""
    from safetynet.verification import storage

    folder = Path(os.environ["SAFETYNET_DATA_DIR"]) / "population"
    con = storage.connect()
    union = " UNION ALL ".join(f"SELECT id_number FROM read_parquet('{r.path}')" for r in _snapshot_refs())
    started = time.monotonic()
    rows = con.execute(f"SELECT count(*) FROM read_parquet('{folder / 'members.parquet'}') m JOIN ({union}) s USING (id_number)").fetchone()[0]
    seconds = time.monotonic() - started
    con.close()
    return {"seconds": seconds, "rows": rows, "peak_rss_mib": _peak_rss_mib()}


def _prepare_run(kind_households: str | None, chunk: int, where: str = ""):
    """A run whose step 1 (members and households with their chunk) is written from the
    population files, as export.py would from the registry."""
    from safetynet.verification import storage
    from safetynet.verification.models import VerificationRun

    folder = Path(os.environ["SAFETYNET_DATA_DIR"]) / "population"
    refs = _snapshot_refs()
    con = storage.connect()
    households = con.execute(f"SELECT count(*) FROM read_parquet('{folder / 'households.parquet'}') {where}").fetchone()[0]
    run = VerificationRun.objects.create(kind="county", area_code=COUNTY, as_of=_today(), status="running",
                                         findings_storage="parquet", snapshots={r.dataset: r.id for r in refs},
                                         households_total=households, chunks_total=math.ceil(households / chunk),
                                         requested_by="bench", attempts=1)
    run_path = storage.run_dir(run.pk)
    started = time.monotonic()
    con.execute(f"""CREATE TABLE h AS SELECT household_id, area_code, is_urban,
                        CAST((row_number() OVER (ORDER BY household_id) - 1) // {chunk} AS INTEGER) AS chunk,
                        declared_wages, declared_pension, declared_unemployment,
                        CAST(0 AS DECIMAL(14, 2)) AS declared_other_income, CAST(0 AS DECIMAL(16, 2)) AS declared_deposit,
                        CAST(0 AS DECIMAL(16, 2)) AS declared_securities, CAST(0 AS DECIMAL(16, 2)) AS declared_insurance,
                        CAST(0 AS DECIMAL(16, 2)) AS declared_other_financial, 1 AS declared_home, 0 AS declared_non_residential,
                        0 AS declared_vehicle, 0 AS declared_mobility_vehicle, 0 AS declared_business
                    FROM read_parquet('{folder / 'households.parquet'}') {where}""")
    from safetynet.verification.expressions import HOUSEHOLD_SCHEMA, MEMBER_SCHEMA

    con.execute(f"COPY (SELECT * FROM h ORDER BY household_id) TO '{run_path / 'households.parquet'}' (FORMAT parquet)")
    con.execute(f"""COPY (SELECT m.household_id, m.person_id, h.chunk, m.id_number, m.name, m.birth_date, m.disability_type,
                                 m.disability_grade, m.serious_illness, m.is_deceased
                          FROM read_parquet('{folder / 'members.parquet'}') m JOIN h USING (household_id)
                          ORDER BY m.household_id, m.person_id) TO '{run_path / 'members.parquet'}' (FORMAT parquet)""")
    con.close()
    _ = (HOUSEHOLD_SCHEMA, MEMBER_SCHEMA)
    return run, refs, time.monotonic() - started


def step_batch(args) -> dict:
    import duckdb

    from safetynet.verification import engine, identity
    from safetynet.verification.models import HouseholdResult

    run, refs, export_seconds = _prepare_run(None, args.chunk)
    started = time.monotonic()
    timings = {}

    original = engine.write_findings

    def timed_findings(*a, **kw):
        t0 = time.monotonic()
        out = original(*a, **kw)
        timings["findings"] = time.monotonic() - t0
        return out

    engine.write_findings = timed_findings
    cpu_started = time.process_time()
    run = engine.process_run(run, snapshots=refs, resolver=engine.ParameterResolver(run.as_of),
                             more_findings=identity.write_linked_findings)
    seconds = time.monotonic() - started
    cpu = time.process_time() - cpu_started   # this process (with DuckDB's threads), not the helper processes
    # Accuracy: every planted exact-ID fact found, nothing flagged elsewhere.
    folder = Path(os.environ["SAFETYNET_DATA_DIR"]) / "population"
    con = duckdb.connect()
    planted = con.execute(f"SELECT household_id, kind FROM read_parquet('{folder / 'planted.parquet'}')").fetchall()
    identity = {h for (h,) in con.execute(f"SELECT household_id FROM read_parquet('{folder / 'identity_planted.parquet'}')").fetchall()}
    con.close()
    expected = {h: FLAG[kind] for h, kind in planted}
    flagged = dict(HouseholdResult.objects.filter(run=run, flagged=True).values_list("household_id", "flags"))
    found = sum(1 for h, flag in expected.items() if flag in flagged.get(h, []))
    false_flags = sum(len([f for f in flags if f != expected.get(h)]) for h, flags in flagged.items())
    identity_flags = sum(1 for h in identity if flagged.get(h))
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"seconds": seconds, "cpu_seconds": cpu + children.ru_utime + children.ru_stime,
            "helpers_peak_rss_mib": children.ru_maxrss / 1024, "helpers_workers": min(os.cpu_count() or 1, 4),
            "findings_seconds": timings.get("findings", 0.0),
            "chunks_seconds": seconds - timings.get("findings", 0.0), "export_seconds": export_seconds,
            "households": run.households_done, "findings": run.findings_count, "flagged": run.flagged_households,
            "expected": len(expected), "found": found, "false_flags": false_flags, "identity_flags": identity_flags,
            "peak_rss_mib": _peak_rss_mib()}


def _percentile(values, share):
    values = sorted(values)
    return values[min(len(values) - 1, max(0, int(round(share * len(values) + 0.5)) - 1))]


def step_online(args) -> dict:
    from safetynet.registry.models import Household
    from safetynet.verification.services import verification_service_actor, verify_household

    actor = verification_service_actor()
    ids = list(Household.objects.order_by("id").values_list("id", flat=True))
    rnd = random.Random(7)
    sample = [rnd.choice(ids) for _ in range(args.online + 20)]
    cold_started = time.perf_counter()
    verify_household(actor=actor, household_id=sample[0])
    cold = (time.perf_counter() - cold_started) * 1000
    times, cpu = [], []
    for i, household_id in enumerate(sample[1:]):
        t0, c0 = time.perf_counter(), time.process_time()
        verify_household(actor=actor, household_id=household_id)
        if i >= 19:
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
    return {"n": len(times), "p50": _percentile(times, 0.5), "p95": _percentile(times, 0.95), "max": max(times),
            "cpu_p50": _percentile(cpu, 0.5), "cpu_p95": _percentile(cpu, 0.95),
            "cold_ms": cold, "peak_rss_mib": _peak_rss_mib()}


def step_naive(args) -> dict:
    """The naive way on --naive households, then the engine on the same households."""
    import datetime as dt
    from decimal import ROUND_HALF_UP, Decimal

    import duckdb

    from safetynet.verification import engine, identity
    from safetynet.verification.assessment import HouseholdTotals, MemberTotals, assess_household
    from safetynet.verification.expressions import Window
    from safetynet.verification.models import HouseholdResult
    from safetynet.verification.schemas import EXEMPT_VEHICLE_TYPES

    folder = Path(os.environ["SAFETYNET_DATA_DIR"]) / "population"
    con = duckdb.connect()
    households = con.execute(f"SELECT household_id FROM read_parquet('{folder / 'households.parquet'}') "
                             f"USING SAMPLE {args.naive} ROWS (reservoir, 11) ORDER BY household_id").fetchall()
    chosen = [h for (h,) in households]
    con.close()
    where = f"WHERE household_id IN ({', '.join(str(h) for h in chosen)})"

    # --- naive: one query per member and dataset, on the indexed snapshot files --------------
    refs = _snapshot_refs()
    today = _today()
    resolver = engine.ParameterResolver(today)
    lookup = duckdb.connect()
    for r in refs:
        lookup.execute(f"ATTACH '{r.index_path}' AS s{r.id} (READ_ONLY)")
    tables = {r.dataset: f"s{r.id}.records" for r in refs if r.dataset in engine_datasets()}
    windows = {r.dataset: Window.before(r.taken_on) for r in refs}
    members = duckdb.connect().execute(f"SELECT * FROM read_parquet('{folder / 'members.parquet'}') {where} ORDER BY household_id, person_id").fetchall()
    info = dict(duckdb.connect().execute(f"SELECT household_id, struct_pack(area_code, is_urban, declared_wages, declared_pension, declared_unemployment) "
                                         f"FROM read_parquet('{folder / 'households.parquet'}') {where}").fetchall())
    by_household: dict = {}
    for m in members:
        by_household.setdefault(m[0], []).append(m)
    queries = 0
    started = time.monotonic()
    naive_flags = {}
    cent = Decimal("0.01")
    measured = chosen
    if args.naive_measured and args.naive_measured < len(chosen):
        measured = sorted(random.Random(5).sample(chosen, args.naive_measured))
    for household_id in measured:
        found = {"deposit": Decimal(0), "securities": Decimal(0), "insurance": Decimal(0), "home": 0, "non_residential": 0,
                 "vehicle": 0, "mobility_vehicle": 0, "business": 0}
        companies = set()
        member_totals = []
        found_income = {"wages": Decimal(0), "pension": Decimal(0), "unemployment": Decimal(0)}
        deceased = 0
        for m in by_household.get(household_id, []):
            person_id, id_number, birth = m[1], m[2], m[4]
            wages = pension = unemployment = Decimal(0)
            dead = False
            for code, table in tables.items():
                rows = lookup.execute(f"SELECT * FROM {table} WHERE id_number = ?", [id_number]).fetchall()
                queries += 1
                if not rows:
                    continue
                if code == "hrss_wages":
                    w = windows[code]
                    per_employer: dict = {}
                    for row in rows:
                        if w.first <= row[5] <= w.last:
                            per_employer[row[4]] = per_employer.get(row[4], Decimal(0)) + row[7]
                    for total in per_employer.values():
                        wages += (total / 12).quantize(cent, ROUND_HALF_UP)
                elif code == "pensions":
                    pension += sum(row[5] for row in rows if row[4] != "resident_basic")
                elif code == "unemployment":
                    unemployment += sum(row[4] for row in rows if row[6] is None or row[6] >= today)
                elif code == "public_security_deaths":
                    dead = True
                elif code == "deposits":
                    found["deposit"] += sum(row[5] for row in rows)
                elif code == "securities":
                    found["securities"] += sum(row[5] for row in rows)
                elif code == "insurance":
                    found["insurance"] += sum(row[6] for row in rows)
                elif code == "real_estate":
                    for row in rows:
                        found["home" if row[5] == "residential" else "non_residential"] += 1
                elif code == "vehicles":
                    for row in rows:
                        found["mobility_vehicle" if row[5] in EXEMPT_VEHICLE_TYPES else "vehicle"] += 1
                elif code == "businesses":
                    companies.update(row[4] for row in rows)
            if dead:
                deceased += 1
                continue
            found_income["wages"] += wages
            found_income["pension"] += pension
            found_income["unemployment"] += unemployment
            member_totals.append(MemberTotals(person_id=person_id, birth_date=birth, income=wages + pension + unemployment))
        h = info[household_id]
        wages = max(h["declared_wages"], found_income["wages"])
        counted = wages + max(h["declared_pension"], found_income["pension"]) + max(h["declared_unemployment"], found_income["unemployment"])
        totals = HouseholdTotals(household_id=household_id, area_code=h["area_code"], is_urban=h["is_urban"],
                                 members=tuple(member_totals), counted_income=counted,
                                 financial=found["deposit"] + found["securities"] + found["insurance"],
                                 homes=max(1, found["home"]), non_residential=found["non_residential"], vehicles=found["vehicle"],
                                 exempt_vehicles=found["mobility_vehicle"], businesses=len(companies), deceased=deceased,
                                 found_wages=found_income["wages"], declared_wages=h["declared_wages"])
        params, error = resolver(totals.area_code, totals.is_urban)
        naive_flags[household_id] = assess_household(totals, params, today, params_error=error).flags
    naive_seconds = time.monotonic() - started
    lookup.close()

    # --- the engine on the same households ---------------------------------------------------------
    run, refs, _export = _prepare_run(None, args.chunk, where)
    started = time.monotonic()
    run = engine.process_run(run, snapshots=refs, resolver=engine.ParameterResolver(run.as_of),
                             more_findings=identity.write_linked_findings)
    engine_seconds = time.monotonic() - started
    engine_flags = dict(HouseholdResult.objects.filter(run=run).values_list("household_id", "flags"))
    agree = sum(1 for h in measured if engine_flags.get(h, []) == naive_flags.get(h, []))
    _ = dt
    scale = len(chosen) / len(measured)
    return {"households": len(chosen), "measured": len(measured), "queries": queries, "measured_seconds": naive_seconds,
            "naive_seconds": naive_seconds * scale, "engine_seconds": engine_seconds, "agree": agree,
            "peak_rss_mib": _peak_rss_mib()}


def engine_datasets():
    from safetynet.verification.expressions import ENGINE_DATASETS

    return ENGINE_DATASETS


CHILD_STEPS = {"setup": step_setup, "bare": step_bare, "batch": step_batch, "online": step_online, "naive": step_naive}


if __name__ == "__main__":
    main()
