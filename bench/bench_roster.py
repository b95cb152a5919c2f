"""A 50,000-row household roster imported through `safetynet registry_import` (issue 14: wall time
and peak memory; 21.9 s and 490 MB before it). SQLite and PostgreSQL side by side.

For each database: a fresh database (SQLite file in a temporary directory; PostgreSQL: scratch
database `bench_safetynet_roster`, created and dropped), `safetynet migrate` and the committed
正定县 division list (not timed); a roster of `--rows` people (1 to 5 a household, valid ID
numbers, the columns and Chinese headers offices send) written once as .xlsx and .csv by this
script; then timed in its own process, wall and CPU seconds and peak RSS from `os.wait4`:
`safetynet registry_import roster.xlsx --area 130123`, the same again (nothing is added), and
the .csv on a fresh database.

    .venv/bin/python bench/bench_roster.py [--rows 50000] [--no-postgres] [--no-sqlite]

Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_divisions import PYTHON, env_for, timed  # noqa: E402
from common import POSTGRES_SERVER, ROOT, host_yardstick, postgres_admin, postgres_reachable  # noqa: E402

DATABASE = "bench_safetynet_roster"
DIVISIONS = ROOT / "safetynet" / "areas" / "data" / "divisions-130123.csv"
HEADER = ["户编号", "区划代码", "地址", "户籍性质", "姓名", "身份证号", "与户主关系", "残疾类别", "残疾等级", "重病", "劳动能力", "电话"]


def check_character(body: str) -> str:
    """GB 11643-1999's check character (POLICY.md §8), here so the roster is made without Django."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]


def roster_rows(rows: int, villages: list[str], seed: int = 1):
    rng = random.Random(seed)
    used, n, ref = set(), 0, 0
    while n < rows:
        ref += 1
        village = rng.choice(villages)
        registration = rng.choice(["农村", "城镇"])
        for k in range(min(rng.randint(1, 5), rows - n)):
            while True:
                birth = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randint(0, 33000))
                body = f"130123{birth:%Y%m%d}{rng.randint(0, 999):03d}"
                if body not in used:
                    used.add(body)
                    break
            yield [f"R{ref:06d}", village, f"幸福路{ref}号", registration, "王" + "明强伟芳"[k % 4],
                   body + check_character(body), "户主" if k == 0 else rng.choice(["配偶", "子女", "父母"]),
                   "", "", rng.choice(["是", "否"]), rng.choice(["有", "部分", "无"]), ""]
            n += 1


def write_rosters(folder: Path, rows: int) -> dict[str, Path]:
    from openpyxl import Workbook

    with DIVISIONS.open(encoding="utf-8") as f:
        villages = [r["code"] for r in csv.DictReader(f) if len(r["code"]) == 12]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    with (folder / "roster.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for row in roster_rows(rows, villages):
            sheet.append(row)
            writer.writerow(row)
    workbook.save(folder / "roster.xlsx")
    return {"xlsx": folder / "roster.xlsx", "csv": folder / "roster.csv"}


def fresh_database(kind: str, tmp: str) -> dict:
    if kind == "sqlite":
        path = Path(tmp) / "roster.sqlite3"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        postgres_admin(f"DROP DATABASE IF EXISTS {DATABASE}")
        postgres_admin(f"CREATE DATABASE {DATABASE}")
        url = f"{POSTGRES_SERVER}/{DATABASE}"
    env = env_for(url, tmp)
    subprocess.run([PYTHON, "-m", "safetynet.cli", "migrate", "--no-input", "-v", "0"], env=env, cwd=ROOT, check=True)
    subprocess.run([PYTHON, "-m", "safetynet.cli", "areas_import", str(DIVISIONS)], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    databases = ([] if args.no_sqlite else ["sqlite"]) + ([] if args.no_postgres or not postgres_reachable() else ["postgresql"])
    load = os.getloadavg()
    print(f"# roster: {args.rows:,} rows — {time.strftime('%Y-%m-%d %H:%M')} — {platform.node()}, {os.cpu_count()} CPUs, "
          f"load {load[0]:.1f}/{load[1]:.1f}")
    print(host_yardstick())
    with tempfile.TemporaryDirectory(prefix="bench-roster-") as tmp:
        files = write_rosters(Path(tmp), args.rows)
        print(f"(roster.xlsx {files['xlsx'].stat().st_size / 2**20:.1f} MiB, roster.csv {files['csv'].stat().st_size / 2**20:.1f} MiB)")
        print("| database | file | run | wall s | CPU s | peak RSS MiB | said |")
        print("|---|---|---|---:|---:|---:|---|")
        for kind in databases:
            for fmt in ("xlsx", "csv"):
                env = fresh_database(kind, tmp)
                command = [PYTHON, "-m", "safetynet.cli", "registry_import", str(files[fmt]), "--area", "130123"]
                for run in (["first import", "again"] if fmt == "xlsx" else ["first import"]):
                    figures = timed(command, env)
                    print(f"| {kind} | {fmt} | {run} | {figures['wall']:.1f} | {figures['cpu']:.1f} | {figures['rss']:.0f} | "
                          f"{figures['said']} |", flush=True)
            if kind == "postgresql":
                postgres_admin(f"DROP DATABASE IF EXISTS {DATABASE}")


if __name__ == "__main__":
    main()
