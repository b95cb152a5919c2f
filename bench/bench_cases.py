"""The full dibao path, application to enrollment, driven through the case services for 10,000
households of one county, SQLite and PostgreSQL side by side (issue 3: at most 60 s each).

The county is the demo county (`safetynet demo --people N --seed 2026`), generated once per
database into a template and copied for every run (SQLite: var/bench/cases-<N>.template.sqlite3
copied to cases-<N>.sqlite3; PostgreSQL: database bench_safetynet_cases_template_<N>, cloned to
bench_safetynet_cases), so each run starts from the same county with no case in it. `--fresh`
regenerates the templates.

Untimed setup in the measuring process: one town worker per town and two county officers, one verifying and one confirming (posts
on new logins); the bench standards for the county (urban ¥3,000, rural ¥2,500 a month — bench
figures, far above the demo's ¥900/¥720, so that most demo households qualify and 10,000 of them
reach an enrollment); then the first households in id order that the dibao rule finds eligible
on their declared facts (same snapshot and rule the services use), skipping staff households.

Timed: for each household, the eight services of the path, each its own transaction with its
audit event — apply_for_assistance, accept_application (close-relative check), record_survey
(two named investigators, relative check), record_manual_verification, give_town_opinion (the
rule), publish_notice, close_notice (8 days later on the business clock), confirm_case (Decision
and Enrollment). The business date is moved by replacing `safetynet.cases.clocks.today`, as the
tests do. Printed: total seconds, milliseconds per path, and SQL statements per path (counted
on one more household after the timed run). "Floor" is the same number of statements in the same
eight durable transactions a path, each a primary-key SELECT or a one-row INSERT into a scratch
table through Django's cursor, with no logic: what the database and driver cost alone here.

    .venv/bin/python bench/bench_cases.py [--households 10000] [--people 100000] [--no-postgres] [--no-sqlite]
                                          [--postgres-async-commit] [--fresh]

`--postgres-async-commit` adds a second PostgreSQL run with `synchronous_commit = off` for the
session: every service is its own durable transaction (eight commits a path), and on a disk
where a flushed commit takes milliseconds that alone decides the PostgreSQL figure.

Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import (  # noqa: E402,F401  (bench_queue.py reads them from here too)
    POSTGRES_SERVER, PYTHON, ROOT, SAFETYNET, child_env, host_yardstick, postgres_admin, postgres_reachable,
)

# BENCH_DB_SUFFIX keeps two checkouts' databases apart when their schemas differ (old and new code
# measured side by side, docs/benchmarks.md).
POSTGRES_DB = "bench_safetynet_cases" + os.environ.get("BENCH_DB_SUFFIX", "")
POSTGRES_TEMPLATE = "bench_safetynet_cases_template_{people}" + os.environ.get("BENCH_DB_SUFFIX", "")
SEED = 2026
COUNTY = "130123"
BENCH_STANDARDS = {"urban_standard": "3000.00", "rural_standard": "2500.00"}


# ---- the parent: build templates once, run each database in a child ------------------------------

def postgres_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def sqlite_paths(people: int) -> tuple[Path, Path]:
    directory = ROOT / "var" / "bench"
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"cases-{people}.template.sqlite3", directory / f"cases-{people}.sqlite3"


def build(url: str, people: int, label: str) -> None:
    subprocess.run([SAFETYNET, "migrate", "--no-input", "-v", "0"], env=child_env(url), cwd=ROOT, check=True)
    print(f"  {label}: generating the county ({people:,} people) ...", flush=True)
    started = time.monotonic()
    subprocess.run([SAFETYNET, "demo", "--people", str(people), "--seed", str(SEED), "--no-activity"], env=child_env(url), cwd=ROOT,
                   check=True, stdout=subprocess.DEVNULL)
    print(f"  {label}: generated in {time.monotonic() - started:.0f} s", flush=True)


def prepare(database: str, people: int, fresh: bool) -> str:
    """A database holding the demo county and no cases; returns its URL."""
    if database == "postgresql":
        template = POSTGRES_TEMPLATE.format(people=people)
        if fresh or not postgres_exists(template):
            postgres_admin(f"DROP DATABASE IF EXISTS {template} WITH (FORCE)")
            postgres_admin(f"CREATE DATABASE {template}")
            build(f"{POSTGRES_SERVER}/{template}", people, database)
        else:
            # Bring a kept template up to the current migrations (new apps since it was built).
            subprocess.run([SAFETYNET, "migrate", "--no-input", "-v", "0"],
                           env=child_env(f"{POSTGRES_SERVER}/{template}"), cwd=ROOT, check=True)
        postgres_admin(f"DROP DATABASE IF EXISTS {POSTGRES_DB} WITH (FORCE)")
        postgres_admin(f"CREATE DATABASE {POSTGRES_DB} TEMPLATE {template}")
        return f"{POSTGRES_SERVER}/{POSTGRES_DB}"
    template, working = sqlite_paths(people)
    if fresh or not template.exists():
        template.unlink(missing_ok=True)
        build(f"sqlite:///{template}", people, database)
    else:
        subprocess.run([SAFETYNET, "migrate", "--no-input", "-v", "0"], env=child_env(f"sqlite:///{template}"), cwd=ROOT,
                       check=True)
    with sqlite3.connect(template) as conn:       # fold the WAL into the file before copying it
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{working}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, working)
    return f"sqlite:///{working}"


def run_child(url: str, households: int, async_commit: bool = False, desks: int = 1, batch: int = 100) -> dict:
    command = ([PYTHON, __file__, "--worker", "--households", str(households), "--desks", str(desks), "--batch", str(batch)]
               + (["--async-commit"] if async_commit else []))
    out = subprocess.run(command, env=child_env(url), cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"the measuring process failed:\n{out.stderr[-5000:]}")
    if os.environ.get("BENCH_FLOOR_SERVER"):
        sys.stderr.write("".join(line + "\n" for line in out.stderr.splitlines() if line.startswith("floor:")))
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--people", type=int, default=100_000, help="people in the demo county (enough eligible households)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--desks", type=int, default=1,
                        help="PostgreSQL also run with this many town desks at once (one process and connection each)")
    parser.add_argument("--batch", type=int, default=100,
                        help="cases a town takes each step for at once (cases/batch.py); 1: one case at a time, "
                             "each step its own transaction")
    parser.add_argument("--postgres-async-commit", action="store_true",
                        help="also run PostgreSQL with synchronous_commit = off")
    parser.add_argument("--async-commit", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--fresh", action="store_true", help="regenerate the county templates")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args.households, args.async_commit, args.desks, args.batch)))
        return
    databases = [] if args.no_sqlite else ["sqlite"]
    if not args.no_postgres:
        if postgres_reachable():
            databases.append("postgresql")
        else:
            print(f"(PostgreSQL at {POSTGRES_SERVER} is not reachable: SQLite only)")
    load = os.getloadavg()
    print(f"# cases: full dibao path — {time.strftime('%Y-%m-%d %H:%M')} — {platform.node()}, {os.cpu_count()} CPUs, "
          f"load {load[0]:.1f}/{load[1]:.1f} — {args.households:,} households of a {args.people:,}-person demo county, "
          + (f"steps taken for {args.batch} cases at once" if args.batch > 1 else "one case at a time"))
    print(f"  {host_yardstick()}", flush=True)
    runs = [(db, db, False, 1) for db in databases]
    if "postgresql" in databases and args.desks > 1:
        runs.append((f"postgresql ({args.desks} desks)", "postgresql", False, args.desks))
    if "postgresql" in databases and args.postgres_async_commit:
        runs.append(("postgresql (async commit)", "postgresql", True, 1))
    results = {}
    for label, database, async_commit, desks in runs:
        url = prepare(database, args.people, args.fresh)
        results[label] = run_child(url, args.households, async_commit, desks, args.batch)
        r = results[label]
        print(f"  {label}: {r['paths']:,} paths in {r['seconds']:.1f} s (CPU {r['cpu_seconds']:.1f} s); "
              f"ms a path in the first tenth {r['first_tenth_ms']:.2f}, in the last {r['last_tenth_ms']:.2f}", flush=True)
    header = (f"{'database':<26} {'paths':>7} {'seconds':>9} {'ms/path':>8} {'CPU ms/path':>12} {'server CPU':>11} {'SQL/path':>9} "
              f"{'floor ms/path':>14} {'10,000 paths':>13}  target ≤ 60 s")
    print(header)
    print("-" * len(header))
    for label, _database, _async, _desks in runs:
        r = results[label]
        projected = r["ms_per_path"] * 10_000 / 1000
        verdict = "met" if projected <= 60 else "missed"
        if r["paths"] < 10_000:
            verdict += " (projected)"
        print(f"{label:<26} {r['paths']:>7,} {r['seconds']:>9.1f} {r['ms_per_path']:>8.2f} "
              f"{r['cpu_seconds'] * 1000 / max(1, r['paths']):>12.2f} {r['server_cpu_ms_per_path']:>11.2f} {r['queries_per_path']:>9} "
              f"{r['floor_ms_per_path']:>14.2f} {projected:>11.0f} s  {verdict}")
    for label, _database, _async, _desks in runs:
        steps = results[label].get("step_ms") or {}
        if steps:
            unit = "a case" if args.batch <= 1 else f"a call of up to {args.batch} cases"
            print(f"{label}: ms {unit}, p50 / p95 — " + "; ".join(
                f"{name} {v['p50']:.2f} / {v['p95']:.2f}" for name, v in steps.items()))


# ---- the child: one database, timed paths ---------------------------------------------------------

class BenchClock:
    def __init__(self, day):
        self.day = day

    def __call__(self):
        return self.day


def measure(households: int, async_commit: bool = False, desks: int = 1, batch_size: int = 100) -> dict:
    sys.path.insert(0, str(ROOT))
    import datetime as dt

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from safetynet.areas.actors import actor_for_post, system_actor
    from safetynet.areas.models import Area, Level, Post
    from safetynet.cases import batch, clocks, services
    from safetynet.cases.snapshots import facts_from_snapshot, take_household_snapshot
    from safetynet.core import workdays
    from safetynet.core.idnumbers import make_id_number
    from safetynet.demo.models import DemoNote
    from safetynet.programs import rules
    from safetynet.programs import selectors as program_selectors
    from safetynet.programs.services import set_parameter
    from safetynet.registry.models import Household

    setup_started = time.perf_counter()
    if async_commit:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")
    system = system_actor()
    for key, value in BENCH_STANDARDS.items():
        set_parameter(actor=system, program_code="dibao", key=key, area_code=COUNTY, value=value,
                      effective_from=dt.date(2021, 7, 1), reason="bench figures (bench/bench_cases.py)")
    User = get_user_model()
    workers = {}
    for town in Area.objects.filter(code__startswith=COUNTY, level=Level.TOWN).order_by("code"):
        user = User.objects.create(username=f"bench_worker_{town.code}")
        workers[town.code] = actor_for_post(Post.objects.create(user=user, role="town_worker", area=town))
    officer_user = User.objects.create(username="bench_county_officer")
    officer = actor_for_post(Post.objects.create(user=officer_user, role="county_officer", area_id=COUNTY))
    # Another officer signs the verification reports (the four-eyes rule: who verified does not confirm).
    verifier = actor_for_post(Post.objects.create(user=User.objects.create(username="bench_county_verifier"),
                                                  role="county_officer", area_id=COUNTY))
    team = [{"name": "调查员甲", "id_number": make_id_number("110101", dt.date(1980, 1, 1), 98, "male")},
            {"name": "调查员乙", "id_number": make_id_number("110101", dt.date(1981, 2, 2), 99, "female")}]

    first_day = dt.date(2026, 3, 2)              # a Monday; the notice closes 8 days later
    clock = BenchClock(first_day)
    clocks.today = clock
    workdays.clear_cache()

    # Untimed: the first eligible households (the rule on their declared facts), no staff homes.
    note = DemoNote.objects.filter(key="staff").first()
    staff_households = {v.get("relative_household_id") for v in (note.value.values() if note else [])}
    staff_people = {v.get("person_id") for v in (note.value.values() if note else [])}
    params = {True: program_selectors.dibao_parameters(COUNTY, first_day, is_urban=True),
              False: program_selectors.dibao_parameters(COUNTY, first_day, is_urban=False)}
    urban_villages = set(Area.objects.filter(code__startswith=COUNTY, level=Level.VILLAGE, urban_rural_class__startswith="1")
                         .values_list("code", flat=True))
    chosen = []
    for household in Household.objects.filter(area__code__startswith=COUNTY, head__isnull=False).order_by("id").iterator(chunk_size=2000):
        if household.pk in staff_households or household.head_id in staff_people:
            continue
        is_urban = household.area_id[:12] in urban_villages
        snapshot = take_household_snapshot(household, is_urban=is_urban)
        if rules.assess_dibao(facts_from_snapshot(snapshot, first_day), params[is_urban]).eligible:
            chosen.append(household)
        if len(chosen) >= households + batch_size:
            break
    extra = chosen[households:]                    # one more batch, for counting statements
    chosen = chosen[:households]
    setup_seconds = time.perf_counter() - setup_started

    steps_to = os.environ.get("BENCH_STEPS")   # print client and server CPU per step (one desk)
    step_cpu: dict[str, list[float]] = {}

    step_wall: dict[str, list[float]] = {}     # each call's wall milliseconds, by step (p50/p95 printed)

    def step(name, service, **kwargs):
        began = time.perf_counter()
        if not steps_to:
            result = service(**kwargs)
            step_wall.setdefault(name, []).append((time.perf_counter() - began) * 1000)
            return result
        client, server = time.process_time(), server_cpu()
        result = service(**kwargs)
        totals = step_cpu.setdefault(name, [0.0, 0.0])
        totals[0] += time.process_time() - client
        totals[1] += server_cpu() - server
        step_wall.setdefault(name, []).append((time.perf_counter() - began) * 1000)
        return result

    def path(household):
        """One case at a time (--batch 1): each step its own service call and transaction."""
        worker = workers[household.area_id[:9]]
        clock.day = first_day
        case = step("apply", services.apply_for_assistance, actor=worker, program_code="dibao", household_id=household.pk,
                    applicant_id=household.head_id, channel="walk_in")
        step("accept", services.accept_application, actor=worker, case_id=case.pk)
        step("survey", services.record_survey, actor=worker, case_id=case.pk, conducted_on=first_day, investigators=team,
             findings="入户调查：家庭困难属实", signed_by_household=True)
        step("verify", services.record_manual_verification, actor=verifier, case_id=case.pk, summary="核对无异常")
        step("opinion", services.give_town_opinion, actor=worker, case_id=case.pk, opinion="符合条件")
        step("notice", services.publish_notice, actor=worker, case_id=case.pk)
        clock.day = first_day + dt.timedelta(days=8)
        step("close notice", services.close_notice, actor=worker, case_id=case.pk)
        return step("confirm", services.confirm_case, actor=officer, case_id=case.pk)

    def taken(results):
        refused = [r for r in results if not r.ok]
        if refused:
            raise SystemExit(f"the bench path refused a case: {refused[0]}")
        return [r.case_id for r in results]

    def town_batch(households):
        """One town's households (at most --batch), each step taken for all of them at once."""
        worker = workers[households[0].area_id[:9]]
        clock.day = first_day
        ids = taken(step("apply", batch.apply_for_households, actor=worker, applications=[
            {"program_code": "dibao", "household_id": h.pk, "applicant_id": h.head_id, "channel": "walk_in"}
            for h in households]))
        cases = [{"case": case_id} for case_id in ids]
        taken(step("accept", batch.take_steps, actor=worker, action="accept", items=cases))
        taken(step("survey", batch.take_steps, actor=worker, action="record_survey", items=[
            {"case": case_id, "conducted_on": first_day, "investigators": team, "findings": "入户调查：家庭困难属实",
             "signed_by_household": True} for case_id in ids]))
        taken(step("verify", batch.take_steps, actor=verifier, action="verify", items=[
            {"case": case_id, "summary": "核对无异常"} for case_id in ids]))
        taken(step("opinion", batch.take_steps, actor=worker, action="give_town_opinion", items=[
            {"case": case_id, "opinion": "符合条件"} for case_id in ids]))
        taken(step("notice", batch.take_steps, actor=worker, action="publish_notice", items=cases))
        clock.day = first_day + dt.timedelta(days=8)
        taken(step("close notice", batch.take_steps, actor=worker, action="close_notice", items=cases))
        taken(step("confirm", batch.take_steps, actor=officer, action="confirm", items=cases))

    def drive(households, marks=None):
        """The paths of `households`: one at a time, or town by town in batches of --batch."""
        if batch_size <= 1:
            for household in households:
                path(household)
                if marks is not None:
                    marks.append(time.perf_counter())
            return
        by_town: dict[str, list] = {}
        for household in households:
            by_town.setdefault(household.area_id[:9], []).append(household)
        for town_households in by_town.values():
            for start in range(0, len(town_households), batch_size):
                part = town_households[start:start + batch_size]
                town_batch(part)
                if marks is not None:
                    marks.extend([time.perf_counter()] * len(part))

    profile_to = os.environ.get("BENCH_PROFILE")   # a file for cProfile stats of the timed part
    profiler = None
    if profile_to:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    if desks > 1:
        seconds, cpu_seconds, server_seconds, marks, started = run_desks(chosen, drive, desks)
    else:
        server_started = server_cpu()
        started, cpu_started = time.perf_counter(), time.process_time()
        marks = []
        drive(chosen, marks)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
        server_seconds = server_cpu() - server_started
    tenth = max(1, len(marks) // 10)
    first_tenth = (marks[tenth - 1] - started) * 1000 / tenth
    last_tenth = (marks[-1] - marks[-tenth - 1]) * 1000 / tenth if len(marks) > tenth else first_tenth
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile_to)
    if steps_to:
        Path(steps_to).write_text("".join(f"{name:<14} client {c * 1000 / len(chosen):6.2f} ms  server {v * 1000 / len(chosen):6.2f} ms\n"
                                          for name, (c, v) in step_cpu.items()))
    step_ms = {name: {"p50": round(statistics.quantiles(values, n=100)[49], 3) if len(values) > 1 else round(values[0], 3),
                      "p95": round(statistics.quantiles(values, n=100)[94], 3) if len(values) > 1 else round(values[0], 3)}
               for name, values in step_wall.items()}
    extra = extra[:1] if batch_size <= 1 else extra
    with CaptureQueriesContext(connection) as captured:
        drive(extra)
    try:
        from safetynet.enrollments.models import Enrollment
    except (ImportError, RuntimeError):     # code from before issue 16 split payments (measured side by side)
        from safetynet.payments.models import Enrollment

    enrollments = Enrollment.objects.count()
    statements = round(len(captured.captured_queries) / max(1, len(extra)), 1)
    if os.environ.get("BENCH_QUERIES"):             # a file for the last path's statements
        Path(os.environ["BENCH_QUERIES"]).write_text(json.dumps(captured.captured_queries, ensure_ascii=False, indent=1))
    floor = measure_floor(len(chosen), statements, max(1, batch_size))
    return {"paths": len(chosen), "seconds": round(seconds, 2), "ms_per_path": round(seconds * 1000 / max(1, len(chosen)), 2),
            "queries_per_path": statements, "cpu_seconds": round(cpu_seconds, 2),
            "server_cpu_ms_per_path": round(server_seconds * 1000 / max(1, len(chosen)), 2), "setup_seconds": round(setup_seconds, 1),
            "enrollments": enrollments, "first_tenth_ms": round(first_tenth, 2), "last_tenth_ms": round(last_tenth, 2),
            "floor_ms_per_path": round(floor * 1000 / max(1, len(chosen)), 2), "step_ms": step_ms}


def server_cpu() -> float:
    """CPU seconds used so far by this connection's PostgreSQL backend, when the server runs on
    this machine (0.0 otherwise, and on SQLite, whose work is in this process)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    pid = connection.connection.info.backend_pid if connection.connection else None
    if pid is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_desks(chosen: list, drive, desks: int) -> tuple[float, float, float, list[float], float]:
    """The paths shared among `desks` processes, each its own database connection, by town (a
    town's households stay at one desk; towns dealt out to balance the desks), started together. Returns wall seconds from the common
    start to the last path, the desks' CPU seconds and their server backends', every path's end
    time, and the start."""
    import multiprocessing

    from django.db import connection, connections

    by_town: dict[str, list] = {}
    for household in chosen:
        by_town.setdefault(household.area_id[:9], []).append(household)
    shares: list[list] = [[] for _desk in range(desks)]
    for town in sorted(by_town, key=lambda t: (-len(by_town[t]), t)):     # biggest towns first,
        min(shares, key=len).extend(by_town[town])                        # each to the lightest desk
    connections.close_all()
    context = multiprocessing.get_context("fork")
    results, go = context.Queue(), context.Event()

    def desk(share):
        connection.ensure_connection()
        server_started = server_cpu()
        results.put("ready")
        go.wait()
        cpu_started, ends = time.process_time(), []
        drive(share, ends)
        server_seconds = server_cpu() - server_started
        connections.close_all()
        results.put((time.process_time() - cpu_started, server_seconds, ends))

    processes = [context.Process(target=desk, args=(share,)) for share in shares]
    for process in processes:
        process.start()
    for _process in processes:
        assert results.get() == "ready"
    started = time.perf_counter()
    go.set()
    done = [results.get() for _process in processes]
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise SystemExit(f"a desk failed (exit code {process.exitcode})")
    marks = sorted(end for _cpu, _server, ends in done for end in ends)
    return marks[-1] - started, sum(cpu for cpu, _server, _ends in done), sum(server for _cpu, server, _ends in done), marks, started


def measure_floor(paths: int, statements: float, batch_size: int = 1) -> float:
    """The floor under the path on this machine and database: the path's statements, each a
    primary-key SELECT or a one-row INSERT into a scratch table through Django's cursor, no logic
    at all, in as many durable transactions as the path takes (eight for each `batch_size` paths)."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_floor (id integer PRIMARY KEY, n integer, note varchar(100))")
        cursor.execute("INSERT INTO bench_floor (id, n, note) VALUES (1, 0, 'x')")
    transactions = 8 * -(-paths // batch_size)
    per_transaction = max(0, round(paths * statements / transactions) - 2)      # less BEGIN and COMMIT
    server_started = server_cpu()
    started = time.perf_counter()
    next_id = 2
    for _transaction in range(transactions):
        with transaction.atomic(), connection.cursor() as cursor:
            for k in range(per_transaction):
                if k % 2:
                    cursor.execute("SELECT id, n, note FROM bench_floor WHERE id = %s", [1])
                    cursor.fetchone()
                else:
                    cursor.execute("INSERT INTO bench_floor (id, n, note) VALUES (%s, %s, %s)", [next_id, k, "step"])
                    next_id += 1
    seconds = time.perf_counter() - started
    if os.environ.get("BENCH_FLOOR_SERVER"):
        print(f"floor: server CPU {(server_cpu() - server_started) * 1000 / max(1, paths):.2f} ms a path", file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_floor")
    return seconds


if __name__ == "__main__":
    main()
