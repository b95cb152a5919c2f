"""The national division list (the statistics bureau's 2023 package, 665,276 rows in five CSV
files) imported as it ships, and the deepest page of its villages listed (issue 14: the import
in at most 60 s and 1 GiB; a deep page under 100 ms). SQLite and PostgreSQL side by side.

For each database and format, a fresh database (SQLite file in a temporary directory;
PostgreSQL: scratch database `bench_safetynet_divisions`, created and dropped), `safetynet
migrate` (not timed), then timed in its own process, wall and CPU seconds and peak RSS from
`os.wait4`:
- `safetynet areas_import <folder>` on the package folder as shipped (CSV), then the same again
  (a re-import: every row unchanged);
- the same with the five files converted to .xlsx (once, into a temporary folder, by this script).
After the CSV import, the listing `GET /api/v1/areas?level=village` through Django's test client
as a superuser: the first page (with its count), a page at offset 10,000 (the deepest offset
allowed), and the page after the 600,000th village (`after=`, keyset), `--requests` times each;
p50, p95, max. `offset=600000` itself answers 422 (use `after`): its time is printed too.

    .venv/bin/python bench/bench_divisions.py [--folder ../shared/data/divisions] [--no-postgres] [--no-xlsx]
        [--requests 50]

Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import POSTGRES_SERVER, ROOT, child_env, host_yardstick, postgres_admin, postgres_reachable  # noqa: E402

PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
DATABASE = "bench_safetynet_divisions"
PACKAGE = str(ROOT.parent / "shared" / "data" / "divisions")   # the design set beside the checkout


def env_for(url: str, data_dir: str) -> dict:
    """The child's environment: this checkout's code first (the bench may run from a worktree)."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**child_env(url), "SAFETYNET_DATA_DIR": data_dir, "PYTHONPATH": path}


def timed(command: list[str], env: dict) -> dict:
    """Run `command`, return wall and CPU seconds, peak RSS (MiB) and its output's last line."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        out.seek(0)
        text = out.read().decode("utf-8", "replace").strip()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{text[-3000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss / 1024,
            "said": text.splitlines()[0] if text else ""}


def to_xlsx(folder: Path, target: Path) -> None:
    """The package's five CSV files as .xlsx workbooks (openpyxl's write-only mode), codes as text."""
    import csv

    from openpyxl import Workbook

    for source in sorted(folder.glob("*.csv")):
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        with source.open(encoding="utf-8", newline="") as f:
            for row in csv.reader(f):
                sheet.append(row)
        workbook.save(target / f"{source.stem}.xlsx")


def fresh_database(kind: str, tmp: str) -> str:
    if kind == "sqlite":
        path = Path(tmp) / "divisions.sqlite3"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    postgres_admin(f"DROP DATABASE IF EXISTS {DATABASE}")
    postgres_admin(f"CREATE DATABASE {DATABASE}")
    return f"{POSTGRES_SERVER}/{DATABASE}"


def measure_listing(requests: int) -> dict:
    """In the child: the village listing at three depths, as a superuser through the test client."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from safetynet.areas.models import Area

    user = get_user_model().objects.create_superuser("bench-divisions", password="bench-pass-2026")
    client = Client()
    client.force_login(user)
    cursor = Area.objects.filter(level="village").order_by("code").values_list("code", flat=True)[599_999]
    figures = {}
    for label, params, status in (("first page (with count)", {"level": "village"}, 200),
                                  ("offset=10000", {"level": "village", "offset": 10_000}, 200),
                                  ("after the 600,000th (keyset)", {"level": "village", "after": cursor}, 200),
                                  ("offset=600000 (refused: 422)", {"level": "village", "offset": 600_000}, 422)):
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get("/api/v1/areas", params)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == status, (label, response.status_code, response.content[:300])
        times.sort()
        figures[label] = {"p50": statistics.median(times), "p95": times[int(0.95 * (len(times) - 1))], "max": times[-1]}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folder", default=PACKAGE)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-xlsx", action="store_true")
    parser.add_argument("--listing", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.listing:
        print(json.dumps(measure_listing(args.requests)))
        return
    databases = ([] if args.no_sqlite else ["sqlite"]) + ([] if args.no_postgres or not postgres_reachable() else ["postgresql"])
    load = os.getloadavg()
    print(f"# divisions: the national list — {time.strftime('%Y-%m-%d %H:%M')} — {platform.node()}, {os.cpu_count()} CPUs, "
          f"load {load[0]:.1f}/{load[1]:.1f} — {args.folder}")
    print(host_yardstick())
    with tempfile.TemporaryDirectory(prefix="bench-divisions-") as tmp:
        folders = {"csv": Path(args.folder)}
        if not args.no_xlsx:
            folders["xlsx"] = Path(tmp) / "xlsx"
            folders["xlsx"].mkdir()
            started = time.perf_counter()
            to_xlsx(Path(args.folder), folders["xlsx"])
            print(f"(converted the five files to .xlsx in {time.perf_counter() - started:.1f} s, not timed below)")
        print("| database | files | run | wall s | CPU s | peak RSS MiB | said |")
        print("|---|---|---|---:|---:|---:|---|")
        listings = {}
        for kind in databases:
            for fmt, folder in folders.items():
                url = fresh_database(kind, tmp)
                env = env_for(url, tmp)
                subprocess.run([PYTHON, "-m", "safetynet.cli", "migrate", "--no-input", "-v", "0"], env=env, cwd=ROOT, check=True)
                runs = ["first import", "re-import"] if fmt == "csv" else ["first import"]
                for run in runs:
                    figures = timed([PYTHON, "-m", "safetynet.cli", "areas_import", str(folder)], env)
                    print(f"| {kind} | {fmt} | {run} | {figures['wall']:.1f} | {figures['cpu']:.1f} | {figures['rss']:.0f} | "
                          f"{figures['said']} |", flush=True)
                if fmt == "csv":
                    out = subprocess.run([PYTHON, __file__, "--listing", "--requests", str(args.requests)], env=env, cwd=ROOT,
                                         capture_output=True, text=True)
                    if out.returncode != 0:
                        raise SystemExit(f"the listing failed:\n{out.stderr[-3000:]}")
                    listings[kind] = json.loads(out.stdout.strip().splitlines()[-1])
            if kind == "postgresql":
                postgres_admin(f"DROP DATABASE IF EXISTS {DATABASE}")
        print()
        print(f"GET /api/v1/areas?level=village, {args.requests} requests each, ms:")
        print("| database | page | p50 | p95 | max |")
        print("|---|---|---:|---:|---:|")
        for kind, figures in listings.items():
            for label, f in figures.items():
                print(f"| {kind} | {label} | {f['p50']:.1f} | {f['p95']:.1f} | {f['max']:.1f} |")


if __name__ == "__main__":
    main()
