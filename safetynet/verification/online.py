"""One household's verification while the worker waits (issue 4: under 100 ms at province scale).

Each process keeps one DuckDB connection warm: every current snapshot's indexed DuckDB file
(storage.py) is attached read-only and seen as a view `ds_<dataset>`. The Ibis expressions of
expressions.py are compiled to SQL once per set of snapshots and day, with a placeholder where
the members' ID numbers go, so a request runs three prepared statements: the findings (each
snapshot narrowed to the members' ID numbers with a literal IN list, which the ART index
answers without a scan), then the member and household totals over those few rows.

The connection is shared by the process's threads under a lock (a request holds it for a few
milliseconds; its two cursors run the two halves of the findings, then the two totals, side by
side). A new snapshot changes the set, and the next request reconnects.
"""
from __future__ import annotations

import datetime as dt
import re
import threading
from dataclasses import dataclass

import ibis
import pyarrow as pa

from . import storage
from .engine import SnapshotRef, windows_for
from .expressions import (
    FINDING_SCHEMA, HOUSEHOLD_SCHEMA, MEMBER_SCHEMA, findings_expr, household_totals_expr, member_totals_expr,
)

PLACEHOLDER = "__ID_NUMBERS__"
_ID_PATTERN = re.compile(r"^[0-9]{17}[0-9X]$|^[0-9]{15}$")


@dataclass
class OnlineResult:
    findings: pa.Table
    member_rows: pa.Table
    household_rows: pa.Table


# The findings query in two halves run side by side: the monthly datasets (summed per employer)
# cost about as much as all the others together.
_FIRST_HALF = ("hrss_wages", "tax_income", "pensions", "unemployment")


class OnlineCatalog:
    def __init__(self):
        self._lock = threading.Lock()
        self._con = None
        self._cursors: list = []
        self._pool = None
        self._key = None
        self._sql: dict = {}

    def _empty(self, schema) -> pa.Table:
        return pa.Table.from_pylist([], schema=schema.to_pyarrow())

    def _open(self, snapshots: list[SnapshotRef], as_of: dt.date) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._close()
        con = storage.connect(threads=2, memory="1GB")
        backend = ibis.duckdb.from_connection(con)
        tables = {}
        for s in snapshots:
            name = f"ds_{s.dataset}"
            if s.index_path is not None and s.index_path.exists():
                con.execute(f"ATTACH '{s.index_path}' AS s{s.id} (READ_ONLY)")
                con.execute(f"CREATE VIEW {name} AS SELECT * FROM s{s.id}.records")
            else:
                con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{s.path}')")
            tables[s.dataset] = backend.table(name)
        con.register("online_members", self._empty(MEMBER_SCHEMA))
        con.register("online_households", self._empty(HOUSEHOLD_SCHEMA))
        con.register("online_findings", self._empty(FINDING_SCHEMA))
        members = backend.table("online_members")
        windows = windows_for(snapshots)
        halves = []
        for chosen in ({k: v for k, v in tables.items() if k in _FIRST_HALF},
                       {k: v for k, v in tables.items() if k not in _FIRST_HALF}):
            expr = findings_expr(chosen, members, as_of=as_of, windows=windows, only_ids=[PLACEHOLDER]) if chosen else None
            if expr is not None:
                halves.append(ibis.to_sql(expr, dialect="duckdb"))
        findings = backend.table("online_findings")
        self._sql = {
            "findings": halves,
            "members": ibis.to_sql(member_totals_expr(findings, members), dialect="duckdb"),
            "households": ibis.to_sql(household_totals_expr(findings, members, backend.table("online_households")),
                                      dialect="duckdb"),
        }
        self._con = con
        self._cursors = [con.cursor(), con.cursor()]
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="verification-online")

    def _query(self, index: int, sql: str, tables: dict) -> pa.Table:
        """One statement on cursor `index` (each thread its own), with the request's tables."""
        cursor = self._cursors[index]
        for name, table in tables.items():
            cursor.register(name, table)
        return cursor.sql(sql).to_arrow_table()

    def run(self, snapshots: list[SnapshotRef], as_of: dt.date, members: pa.Table, households: pa.Table) -> OnlineResult:
        ids = sorted({i for i in members.column("id_number").to_pylist() if i and _ID_PATTERN.match(i)})
        key = (tuple((s.id, s.dataset, str(s.index_path or s.path)) for s in sorted(snapshots, key=lambda s: s.id)), as_of)
        with self._lock:
            if key != self._key or self._con is None:
                self._open(snapshots, as_of)
                self._key = key
            con = self._con
            halves = self._sql["findings"]
            if not halves or not ids:
                findings = self._empty(FINDING_SCHEMA)
            else:
                literal = ", ".join(f"'{i}'" for i in ids)
                parts = list(self._pool.map(lambda job: self._query(job[0], job[1].replace(f"'{PLACEHOLDER}'", literal),
                                                                    {"online_members": members}),
                                            enumerate(halves)))
                findings = pa.concat_tables([p.cast(FINDING_SCHEMA.to_pyarrow()) for p in parts])
            from .identity import linked_findings_online   # records a county officer linked to members (identity.py)
            linked = linked_findings_online(con, snapshots, members, as_of=as_of)
            if linked is not None and linked.num_rows:
                findings = pa.concat_tables([findings, linked])
            tables = {"online_members": members, "online_households": households, "online_findings": findings}
            member_rows, household_rows = self._pool.map(lambda job: self._query(job[0], self._sql[job[1]], tables),
                                                         enumerate(("members", "households")))
        return OnlineResult(findings=findings, member_rows=member_rows, household_rows=household_rows)

    def _close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        for cursor in self._cursors:
            cursor.close()
        if self._con is not None:
            self._con.close()
        self._pool, self._cursors, self._con = None, [], None

    def close(self) -> None:
        with self._lock:
            self._close()
            self._key = None


CATALOG = OnlineCatalog()
