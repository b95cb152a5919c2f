"""Where verification data lives on disk, and DuckDB connections to read it.

    DATA_DIR/verification/<dataset>/<content hash>.parquet   a snapshot, as validated (sorted by ID number)
    DATA_DIR/verification/<dataset>/<content hash>.duckdb    the same rows with an index on the ID number
    DATA_DIR/verification/runs/<run id>/                     a run's members, households and findings
    DATA_DIR/verification/tmp/                               uploads being checked, DuckDB spill files

The Parquet file is the snapshot of record (DESIGN.md §4: batch data is columnar); batch runs
scan it. The `.duckdb` file beside it holds an ART index on `id_number` so the online report can
pick one household's rows out of twenty million in a millisecond (bench/bench_verification.py);
both are written once and never changed, so any number of processes may read them.
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import duckdb
from django.conf import settings

ROOT_NAME = "verification"


def root() -> Path:
    path = Path(settings.DATA_DIR) / ROOT_NAME
    path.mkdir(parents=True, exist_ok=True)
    return path


def absolute(relative: str) -> Path:
    return Path(settings.DATA_DIR) / relative


def relative(path: Path) -> str:
    return str(Path(path).resolve().relative_to(Path(settings.DATA_DIR).resolve()))


def snapshot_paths(dataset: str, content_hash: str) -> tuple[Path, Path]:
    folder = root() / dataset
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{content_hash}.parquet", folder / f"{content_hash}.duckdb"


def run_dir(run_id: int) -> Path:
    path = root() / "runs" / str(run_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


def tmp_dir() -> Path:
    path = root() / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_tmp_path(suffix: str = "") -> Path:
    return tmp_dir() / f"{uuid.uuid4().hex}{suffix}"


def remove(path: Path | None) -> None:
    if path is None:
        return
    path = Path(path)
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def replace(source: Path, target: Path) -> None:
    """Atomic on one file system: a reader sees the old file or the new one, never half."""
    os.replace(source, target)


def memory_limit() -> str:
    return os.environ.get("SAFETYNET_DUCKDB_MEMORY", "3GB")


def connect(database: str = ":memory:", *, threads: int | None = None, memory: str | None = None,
            read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the project's limits: the memory cap (spilling to tmp/ beyond
    it), the machine's cores, and no insertion-order guarantee where none is needed."""
    con = duckdb.connect(database, read_only=read_only)
    con.execute(f"SET memory_limit = '{memory or memory_limit()}'")
    con.execute(f"SET temp_directory = '{tmp_dir()}'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute("SET parquet_metadata_cache = true")
    return con
