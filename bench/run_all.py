"""Run every benchmark in bench/ (each bench_*.py, in name order) and print what they print.

    .venv/bin/python bench/run_all.py [--postgres] [--only demo search]

Benchmarks print figures; none asserts. `--postgres` is passed to the scripts that take it
(bench_demo.py); bench_search.py compares SQLite and PostgreSQL on its own when the server is up.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYTHON = str(HERE.parent / ".venv" / "bin" / "python")
TAKES_POSTGRES_FLAG = {"bench_demo.py"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="also run PostgreSQL where a script makes it optional")
    parser.add_argument("--only", nargs="+", default=[], help="run only bench_<name>.py for these names")
    args = parser.parse_args()
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.only:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in args.only]
    failed = []
    for script in scripts:
        command = [PYTHON, str(script)] + (["--postgres"] if args.postgres and script.name in TAKES_POSTGRES_FLAG else [])
        print(f"\n=== {script.name} ===", flush=True)
        started = time.monotonic()
        status = subprocess.run(command, cwd=HERE.parent).returncode
        print(f"=== {script.name}: {'done' if status == 0 else f'FAILED (exit {status})'} in {time.monotonic() - started:.0f} s", flush=True)
        if status:
            failed.append(script.name)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
