"""What the benchmarks share: where things are, the scratch PostgreSQL server, and the
environment of the child process that measures (each database is measured in a fresh process)."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAFETYNET = str(ROOT / ".venv" / "bin" / "safetynet")
PYTHON = str(ROOT / ".venv" / "bin" / "python")
POSTGRES_SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")


def postgres_admin(sql: str) -> None:
    """CREATE/DROP DATABASE from the maintenance database (autocommit, as they require)."""
    import psycopg

    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def postgres_reachable() -> bool:
    try:
        postgres_admin("SELECT 1")
        return True
    except Exception:
        return False


def child_env(url: str) -> dict:
    return {**os.environ, "DATABASE_URL": url, "SAFETYNET_DATA_DIR": str(ROOT / "var" / "bench"),
            "DJANGO_SETTINGS_MODULE": "safetynet.settings", "DEBUG": "false", "SECRET_KEY": "bench-only-not-secret"}


def host_yardstick() -> str:
    """How fast this host is right now, in two fixed measures printed beside a benchmark's
    figures, so runs on different (or differently loaded) machines can be compared: a pure-Python
    loop (3 million squares summed, best of 3) and, where the server answers, a PostgreSQL round
    trip of `SELECT 1` from psycopg (median of 500). Neither predicts a figure: they say whether
    two runs were on comparable hosts."""
    import statistics
    import time

    loop = min(_timed(lambda: sum(i * i for i in range(3_000_000))) for _ in range(3))
    text = f"host: Python loop {loop * 1000:.0f} ms"
    try:
        import psycopg

        with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as conn:
            trips = []
            for _ in range(500):
                started = time.perf_counter()
                conn.execute("SELECT 1").fetchone()
                trips.append(time.perf_counter() - started)
        text += f", PostgreSQL round trip {statistics.median(trips) * 1e6:.0f} µs"
    except Exception:
        pass
    return text


def _timed(work) -> float:
    import time

    started = time.perf_counter()
    work()
    return time.perf_counter() - started
