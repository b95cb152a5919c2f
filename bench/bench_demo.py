"""How long `safetynet demo` takes and how much memory it needs (issue 2 targets: 200,000 people
in 60 s, 1,000,000 in 5 minutes under 2 GiB, on SQLite).

Each size runs in a fresh SQLite file under a temporary directory: `safetynet migrate` first
(not timed), then `safetynet demo --people N` timed by wall clock, with the peak resident set
size of that process read from os.wait4 (the kernel's own figure, no extra package). With
--postgres the same runs go to a scratch PostgreSQL database, created and dropped here; the
peak RSS is then the Python process only, not the server's.

    .venv/bin/python bench/bench_demo.py [--people 200000 1000000] [--seed 2026] [--postgres]

Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAFETYNET = str(ROOT / ".venv" / "bin" / "safetynet")
POSTGRES_SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
POSTGRES_DB = "bench_safetynet"
TARGETS = {200_000: (60, None), 1_000_000: (300, 2048)}  # seconds, MiB


def postgres_admin(sql: str) -> None:
    """CREATE/DROP DATABASE from the maintenance database (autocommit, as they require)."""
    import psycopg

    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def run_measured(args: list[str], env: dict) -> tuple[float, float, float, int, str]:
    """(wall seconds, CPU seconds, peak RSS MiB, exit status, last output line) of one child
    process. CPU seconds (user + system) do not grow when the shared machine is busy."""
    started = time.monotonic()
    child = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT)
    output = child.stdout.read().decode("utf-8", "replace")
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    last = [line for line in output.replace("\r", "\n").splitlines() if line.strip()]
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, child.returncode, (last[-1] if last else "")


def run_once(people: int, seed: int, database: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="sn-bench-demo-") as tmp:
        env = {**os.environ, "SAFETYNET_DATA_DIR": tmp, "DJANGO_SETTINGS_MODULE": "safetynet.settings"}
        if database == "postgresql":
            postgres_admin(f"DROP DATABASE IF EXISTS {POSTGRES_DB}")
            postgres_admin(f"CREATE DATABASE {POSTGRES_DB}")
            env["DATABASE_URL"] = f"{POSTGRES_SERVER}/{POSTGRES_DB}"
        else:
            env["DATABASE_URL"] = f"sqlite:///{tmp}/demo.sqlite3"
        try:
            subprocess.run([SAFETYNET, "migrate", "--no-input", "-v", "0"], env=env, cwd=ROOT, check=True)
            wall, cpu, rss, status, last = run_measured(
                [SAFETYNET, "demo", "--people", str(people), "--seed", str(seed), "--password", "bench-pass-2026",
                 "--no-activity"], env)
            size = Path(tmp, "demo.sqlite3").stat().st_size / 2**20 if database == "sqlite" else None
        finally:
            if database == "postgresql":
                postgres_admin(f"DROP DATABASE IF EXISTS {POSTGRES_DB} WITH (FORCE)")
    return {"people": people, "database": database, "wall": wall, "cpu": cpu, "rss": rss, "status": status, "last": last, "size": size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, nargs="+", default=[200_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--postgres", action="store_true", help="also run on PostgreSQL (scratch database bench_safetynet)")
    args = parser.parse_args()
    databases = ["sqlite"] + (["postgresql"] if args.postgres else [])
    load = os.getloadavg()
    print(f"# safetynet demo — {time.strftime('%Y-%m-%d %H:%M')} — {platform.node()}, {os.cpu_count()} CPUs, "
          f"load {load[0]:.1f}/{load[1]:.1f}, Python {platform.python_version()}")
    print(f"{'people':>10}  {'database':<10}  {'wall s':>7}  {'CPU s':>7}  {'peak RSS MiB':>12}  {'db MiB':>7}  target")
    for people in args.people:
        for database in databases:
            r = run_once(people, args.seed, database)
            seconds, mib = TARGETS.get(people, (None, None))
            target = ""
            if seconds:
                target = f"≤ {seconds} s" + (f", < {mib} MiB" if mib else "")
                met = r["wall"] <= seconds and (mib is None or r["rss"] < mib)
                target += " — met" if met else " — MISSED"
            if database != "sqlite":
                target = "(no target)"
            if r["status"] != 0:
                target = f"FAILED (exit {r['status']}): {r['last']}"
            size = f"{r['size']:7.0f}" if r["size"] is not None else f"{'-':>7}"
            print(f"{people:>10,}  {database:<10}  {r['wall']:7.1f}  {r['cpu']:7.1f}  {r['rss']:12.0f}  {size}  {target}", flush=True)
            if r["status"] == 0:
                print(f"{'':>12}{r['last'][:160]}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
