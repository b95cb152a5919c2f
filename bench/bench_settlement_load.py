"""One-stop settlement under load (issue 20): designated-hospital bills sent to
`POST /api/v1/medical/institution/settlements` on gunicorn with the production settings, on
PostgreSQL. Target: at least 200 settlements a second sustained for 60 s, p99 under 50 ms, no
error.

Setup (not timed): a fresh database `bench_medical` on the PostgreSQL server (BENCH_POSTGRES, or
the whole DATABASE_URL), migrated; the demo county's division list; `--people` persons in
households of 1-3, each household enrolled in dibao (50 %) or special hardship (20 %) or on the
monitoring register as low-income margin, at risk or heavy rigid expenses (30 %), one dibao
household in eight also at risk; a designated hospital and its key (`medical.keys.issue_key`);
all set-based (bulk_create). Then `gunicorn safetynet.wsgi -w <workers> -k gthread --threads 2`
(DEBUG off; `--worker-class sync` for gunicorn's default worker), a warm-up
of a few settlements per worker, and

    wrk -t<threads> -c<connections> -d<duration>s --latency -s bench/wrk_settlement.lua

each request a new bill (unique visit number) of a random person, random amounts. Printed:
requests, settlements a second, latency percentiles, answers that were not 200; then the database
checked: settlements written = 200 answers, every person-year's totals = the sums of its
settlements, none over its cap. Also the SQL statements of one settlement (measured once, in this
process, through Django's test client on the same database). The database is dropped at the end
(`--keep` keeps it).

    .venv/bin/python bench/bench_settlement_load.py [--people 20000] [--duration 60] [--connections 6]
        [--workers 2×cores] [--worker-class gthread] [--gunicorn-threads 2] [--threads 2] [--port 8731] [--keep] [--template]

Needs `wrk` (`make bench-tools`).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

# This checkout's code, not the one the virtual environment's editable install points at.
sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]

from common import ROOT, host_yardstick  # noqa: E402
from settlement_world import (SETTLE_PATH, check_database, cpu_seconds, database_url, drop,  # noqa: E402
                              gunicorn_pids, postgres_backends, prepare, start_gunicorn, stay_dates, stop_gunicorn,
                              warm_up)

LUA = ROOT / "bench" / "wrk_settlement.lua"
WORK = ROOT / "var" / "bench" / "settlement-load"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--duration", type=int, default=60, help="seconds of load (wrk -d)")
    parser.add_argument("--connections", type=int, default=6, help="wrk -c: requests in flight at once")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1), help="gunicorn -w")
    parser.add_argument("--worker-class", default="gthread", choices=("sync", "gthread"),
                        help="gthread (docs/deployment.md) keeps connections alive; sync closes each after its answer")
    parser.add_argument("--gunicorn-threads", type=int, default=2, help="--threads of gthread workers")
    parser.add_argument("--port", type=int, default=8731)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--template", action="store_true",
                        help="keep the migrated, seeded database as a template and copy it on later runs")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: make bench-tools")
    url = database_url()
    print(f"One-stop settlement under load: {args.people:,} people, gunicorn -w {args.workers} -k {args.worker_class}"
          + (f" --threads {args.gunicorn_threads}" if args.worker_class == "gthread" else "")
          + f", wrk -t{args.threads} -c{args.connections} -d{args.duration}s, database {url.rsplit('/', 1)[1]}")
    print(f"  {host_yardstick()}; load average {os.getloadavg()[0]:.1f} at start")
    world = prepare(url, args.people, template=args.template)
    print(f"  setup (not timed{', copied from the template' if world.seconds['from_template'] else ''}): "
          f"migrate {world.seconds['migrate']} s, seed {world.seconds['seed']} s "
          f"({len(world.ids):,} persons in {world.households:,} households)")
    WORK.mkdir(parents=True, exist_ok=True)
    ids_file = WORK / "ids.txt"
    ids_file.write_text("\n".join(world.ids) + "\n")
    statements = count_statements(world)
    print(f"  SQL statements of one settlement through the whole request: {statements['new']} for a process's first "
          f"bill (its caches cold), {statements['warm']} for the next bill of the same person; {statements['retry']} "
          f"for a retry")
    gunicorn = start_gunicorn(url, workers=args.workers, port=args.port, worker_class=args.worker_class,
                              threads=args.gunicorn_threads, log=WORK / "gunicorn.log")
    try:
        warm = warm_up(args.port, world.key, world.ids, args.workers)
        env = {**os.environ, "BENCH_IDS": str(ids_file), "BENCH_KEY": world.key, "BENCH_DATES": stay_dates(),
               "BENCH_VISIT_PREFIX": "L", "BENCH_PATH": SETTLE_PATH}
        load_at_start = os.getloadavg()[0]
        app, server = gunicorn_pids(gunicorn), postgres_backends(url)
        app_cpu, server_cpu = cpu_seconds(app), cpu_seconds(server)
        wrk_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run(["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--latency",
                              "-s", str(LUA), f"http://127.0.0.1:{args.port}"], env=env, capture_output=True,
                             text=True, timeout=args.duration + 120)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        wrk_cpu = after.ru_utime + after.ru_stime - wrk_cpu.ru_utime - wrk_cpu.ru_stime
        # A gthread worker's thread opens its connection on its first request: backends that came
        # during the run count whole.
        app_cpu = cpu_seconds(app) - app_cpu
        server_cpu = cpu_seconds(set(server) | set(postgres_backends(url))) - server_cpu
        load_at_end = os.getloadavg()[0]
    finally:
        stop_gunicorn(gunicorn)
    lines = [line for line in out.stdout.splitlines() if line.startswith("BENCH_RESULT ")]
    if out.returncode != 0 or not lines:
        sys.stderr.write(out.stdout + out.stderr)
        raise SystemExit("wrk failed")
    r = json.loads(lines[-1].removeprefix("BENCH_RESULT "))
    seconds = r["duration_us"] / 1e6
    rate = r["ok"] / seconds
    non_200 = r["requests"] - r["ok"]
    socket_errors = sum(r["socket_errors"].values())
    print(f"  warm-up: {warm} settlements (4 a worker, not measured)")
    print(f"  load average {load_at_start:.1f} at the start of the load, {load_at_end:.1f} at its end")
    print(f"  requests sent: {r['requests']:,} in {seconds:.1f} s; answered 200: {r['ok']:,}")
    print(f"  settlements/s sustained: {rate:,.1f} (target ≥ 200: {'met' if rate >= 200 else 'NOT met'})")
    print(f"  latency ms: p50 {r['p50_us'] / 1000:.1f}, p90 {r['p90_us'] / 1000:.1f}, p99 {r['p99_us'] / 1000:.1f} "
          f"(target < 50: {'met' if r['p99_us'] < 50_000 else 'NOT met'}), p99.9 {r['p999_us'] / 1000:.1f}, "
          f"max {r['max_us'] / 1000:.1f}, mean {r['mean_us'] / 1000:.1f}")
    print(f"  not 200: {non_200} (4xx {r['client_errors']}, 5xx {r['server_errors']}, other {r['other']}; wrk's "
          f"non-2xx {r['non_2xx_wrk']}); socket errors {socket_errors} {r['socket_errors']}"
          + (f"; first: {r['first_error']}" if r["first_error"] else ""))
    done = max(r["ok"], 1)
    print(f"  CPU a settlement: gunicorn {app_cpu / done * 1000:.1f} ms, PostgreSQL backends {server_cpu / done * 1000:.1f} ms, "
          f"wrk {wrk_cpu / done * 1000:.2f} ms (in all {(app_cpu + server_cpu + wrk_cpu) / done * 1000:.1f} ms: "
          f"{os.cpu_count()} idle cores would carry about "
          f"{(os.cpu_count() or 1) / max((app_cpu + server_cpu + wrk_cpu) / done, 1e-9):,.0f}/s)")
    checked = check_database(world)
    # wrk stops at the deadline without reading the answers of the requests then in flight (at
    # most one a connection): the server may have settled them.
    in_flight = r["sent"] - r["requests"]
    settled = checked["by_prefix"].get("L", 0)
    exact = r["ok"] <= settled <= r["ok"] + in_flight
    print(f"  database: {settled:,} settlements of the run for {r['ok']:,} answered 200 and {in_flight} sent but not "
          f"read when wrk stopped ({'consistent' if exact else 'INCONSISTENT'}); warm-up {checked['by_prefix'].get('WARM', 0)} "
          f"for {warm} answered; {checked['live']:,} live in all, assistance ¥{checked['assistance']:,}; "
          f"{checked['person_years']:,} person-years, {checked['totals_differ']} whose totals differ from their "
          f"settlements, {checked['over_cap']} over a cap")
    if args.keep:
        print(f"  kept: {world.url}")
    else:
        drop(world.url)


def count_statements(world) -> dict:
    """SQL statements of one new bill and of its retry, through Django's test client (the whole
    request: middleware, the key, the settlement), in this process on the bench database."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from settlement_world import stay_dates

    admitted, discharged = stay_dates().split(",")[0].split("/")
    body = json.dumps({"visit_number": "COUNT-1", "id_number": world.ids[len(world.ids) // 2], "admitted_on": admitted,
                       "discharged_on": discharged, "total_cost": "3000.00", "basic_insurance_paid": "1500.00",
                       "critical_illness_paid": "0.00", "eligible_self_paid": "1200.00", "ineligible_self_paid": "300.00"})
    client = Client(HTTP_AUTHORIZATION=f"Bearer {world.key}", HTTP_HOST="127.0.0.1")
    second = json.dumps({**json.loads(body), "visit_number": "COUNT-2"})
    counts = {}
    for label, sent in (("new", body), ("retry", body), ("warm", second)):
        with CaptureQueriesContext(connection) as queries:
            response = client.post(SETTLE_PATH, sent, content_type="application/json")
        if response.status_code != 200:
            raise SystemExit(f"the counted settlement answered {response.status_code}: {response.content[:300]!r}")
        counts[label] = len(queries)
    # The counted settlements are not the run's: reversed out of the checks' way.
    from safetynet.medical.models import Institution
    from safetynet.medical.settlements import reverse_settlement

    for visit in ("COUNT-1", "COUNT-2"):
        reverse_settlement(Institution.objects.get(pk=world.institution_id), visit, reason="bench: counted only")
    connection.close()
    return counts


if __name__ == "__main__":
    started = time.monotonic()
    main()
    print(f"  whole run: {time.monotonic() - started:.0f} s")
