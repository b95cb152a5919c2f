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
