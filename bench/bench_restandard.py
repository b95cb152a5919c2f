"""Re-assessment of a county's enrollments after a standard change (enrollments/restandard.py), over
the 1,000,000-household county of bench_simulation.py, SQLite and PostgreSQL side by side.

The county is bench_simulation.py's (built by it when missing, else reused), COPIED before
anything is written (SQLite var/bench/restandard-<N>.sqlite3, PostgreSQL database
bench_safetynet_restandard_<N> from the simulation's as a template; a fresh copy each run,
removed at the end), so the simulation's database stays as it was. In the copy the county's rural standard is set from ¥720 to ¥800
from 2026-01 (programs.services.set_parameter, as the standards page would), then, each in a
fresh process and timed:
- the preview (`restandard.preview_reassessment`: reads and assesses, writes nothing);
- the re-assessment (`restandard.reassess_after_standard_change`): every live dibao enrollment
  re-assessed from 2026-01, the changes, terms and enrollments written in bulk a chunk at a time;
- the same again (nothing left to change: what a resumed or repeated run costs).
Printed with the counts (changed, raised, lowered, to review, ...), the rows written and the
load when each started.

    .venv/bin/python bench/bench_restandard.py [--households 1000000] [--no-postgres]

Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time

from bench_simulation import build as build_county, database_url as simulation_url
from common import PYTHON, ROOT, SAFETYNET, POSTGRES_SERVER, child_env, postgres_admin, postgres_reachable

COUNTY, KEY, VALUE, MONTH = "130123", "rural_standard", "800.00", "2026-01"
POSTGRES_DB = "bench_safetynet_restandard"


def copy_url(database: str, households: int, *, drop: bool = False) -> str:
    """A fresh copy of the simulation's county for this bench to write to (or, with `drop`, the
    copy removed)."""
    source = simulation_url(database, households, False)
    if database == "postgresql":
        name = f"{POSTGRES_DB}_{households}"
        postgres_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if not drop:
            postgres_admin(f"CREATE DATABASE {name} TEMPLATE {source.rsplit('/', 1)[1]}")
        return f"{POSTGRES_SERVER}/{name}"
    path = ROOT / "var" / "bench" / f"restandard-{households}.sqlite3"
    path.unlink(missing_ok=True)
    if not drop:
        shutil.copyfile(source.removeprefix("sqlite:///"), path)
    return f"sqlite:///{path}"


def run_child(url: str, mode: str, households: int) -> dict:
    out = subprocess.run([PYTHON, __file__, "--worker", mode, "--households", str(households)], env=child_env(url),
                         cwd=ROOT, capture_output=True, text=True)
    sys.stderr.write(out.stderr[-3000:] if out.returncode else out.stderr)
    if out.returncode != 0:
        raise SystemExit(f"the {mode} process failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def worker(mode: str, households: int) -> dict:
    import django

    django.setup()
    import datetime as dt

    from django.db import connection

    from safetynet.areas.actors import system_actor
    from safetynet.enrollments import restandard
    from safetynet.enrollments.models import Enrollment, EnrollmentChange, EnrollmentTerm
    from safetynet.programs.models import Parameter
    from safetynet.programs.services import set_parameter

    system = system_actor()
    if mode == "build":
        return build_county(households)
    if mode == "standard":
        if not Parameter.objects.filter(program_id="dibao", key=KEY, area_id=COUNTY, effective_from=dt.date(2026, 1, 1),
                                        replaced_at__isnull=True).exists():
            set_parameter(actor=system, program_code="dibao", key=KEY, area_code=COUNTY, value=VALUE,
                          effective_from=dt.date(2026, 1, 1), reason="bench")
        return {}
    service = restandard.preview_reassessment if mode == "preview" else restandard.reassess_after_standard_change
    last = [time.perf_counter()]

    def progress(done, total):
        if time.perf_counter() - last[0] > 10:
            last[0] = time.perf_counter()
            print(f"  {connection.vendor} {mode}: {done:,} / {total:,} enrollments", file=sys.stderr, flush=True)

    load = os.getloadavg()[0]
    rows = (EnrollmentChange.objects.count(), EnrollmentTerm.objects.count())
    started, cpu = time.perf_counter(), time.process_time()
    result = service(actor=system, county_code=COUNTY, month=MONTH, progress=progress)
    wall = time.perf_counter() - started
    return {"database": connection.vendor, "mode": mode, "wall": wall, "cpu": time.process_time() - cpu, "load": load,
            "live": Enrollment.objects.filter(status__in=("active", "suspended", "gradual_exit")).count(),
            "changes_written": EnrollmentChange.objects.count() - rows[0], "terms_written": EnrollmentTerm.objects.count() - rows[1],
            **{k: result[k] for k in ("enrollments", "households", "changed", "raised", "lowered", "to_review", "proposals",
                                      "unchanged", "unsupported", "gradual_exit", "cost_before", "cost_after", "chunks")}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--worker", choices=["build", "standard", "preview", "apply", "again"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker("apply" if args.worker == "again" else args.worker, args.households)))
        return
    databases = ["sqlite"] + ([] if args.no_postgres or not postgres_reachable() else ["postgresql"])
    results = []
    for database in databases:
        source = simulation_url(database, args.households, False)
        subprocess.run([SAFETYNET, "migrate", "--no-input", "-v", "0"], env=child_env(source), cwd=ROOT, check=True)
        run_child(source, "build", args.households)
        url = copy_url(database, args.households)
        subprocess.run([SAFETYNET, "migrate", "--no-input", "-v", "0"], env=child_env(url), cwd=ROOT, check=True)
        run_child(url, "standard", args.households)
        for mode in ("preview", "apply", "again"):
            results.append(run_child(url, mode, args.households))
            print(f"{database} {mode}: {results[-1]['wall']:.1f} s", flush=True)
        copy_url(database, args.households, drop=True)
    load = os.getloadavg()
    print(f"\nRe-assessment after {KEY} → ¥{VALUE} from {MONTH}, county {COUNTY}, {args.households:,} households "
          f"({platform.machine()}, {os.cpu_count()} cores, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})")
    print(f"{'':28}" + "".join(f"{r['database'][:6] + ' ' + r['mode']:>18}" for r in results))
    for label, key, fmt in [("wall (s)", "wall", "{:.1f}"), ("CPU (s)", "cpu", "{:.1f}"), ("load when started", "load", "{:.2f}"),
                            ("live enrollments", "live", "{:,}"), ("enrollments read", "enrollments", "{:,}"),
                            ("changed", "changed", "{:,}"), ("  raised", "raised", "{:,}"), ("  lowered", "lowered", "{:,}"),
                            ("to review (proposals)", "to_review", "{:,}"), ("proposals added", "proposals", "{:,}"),
                            ("unchanged", "unchanged", "{:,}"), ("gradual exit kept", "gradual_exit", "{:,}"),
                            ("not supported by registry", "unsupported", "{:,}"), ("change rows written", "changes_written", "{:,}"),
                            ("term rows written (net)", "terms_written", "{:,}"), ("chunks", "chunks", "{:,}"),
                            ("cost before (¥/month)", "cost_before", "{}"), ("cost after (¥/month)", "cost_after", "{}")]:
        print(f"{label:28}" + "".join(f"{fmt.format(r[key]):>18}" for r in results))


if __name__ == "__main__":
    main()
