"""One household's verification while the worker waits (issue 4: under 100 ms at province scale).

Each process keeps one DuckDB connection warm: every current snapshot's indexed DuckDB file
(storage.py) is attached read-only and seen as a view `ds_<dataset>`. The Ibis expressions of
expressions.py are compiled to SQL once per set of snapshots and day, with a placeholder where
the members' ID numbers go, so a request runs a few compiled statements: the findings (each
snapshot narrowed to the members' ID numbers with a literal IN list, which the ART index
answers without a scan), then the household's totals with its members over those few rows.

The connection is shared by the process's threads under a lock (a request holds it for a few
milliseconds: two statements, the findings then the totals with the members). A new snapshot
changes the set, and the next request reconnects.
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
    FINDING_SCHEMA, HOUSEHOLD_SCHEMA, MEMBER_SCHEMA, findings_expr, household_report_expr,
)
from .identity import linked_findings_online   # a county officer's confirmed links add findings (identity.py)

PLACEHOLDER = "__ID_NUMBERS__"
_ID_PATTERN = re.compile(r"^[0-9]{17}[0-9X]$|^[0-9]{15}$")


@dataclass
class OnlineResult:
    findings: pa.Table
    household_rows: pa.Table     # expressions.household_report_expr: totals with the members as a list


class OnlineCatalog:
    def __init__(self):
        self._lock = threading.Lock()
        self._con = None
        self._key = None
        self._sql: dict = {}

    def _empty(self, schema) -> pa.Table:
        return pa.Table.from_pylist([], schema=schema.to_pyarrow())

    def _open(self, snapshots: list[SnapshotRef], as_of: dt.date) -> None:
        self._close()
        # One thread: these statements read a few rows; a second thread only adds scheduling
        # (measured: p95 70 ms with one, 100+ ms with two or with the statement split in two).
        con = storage.connect(threads=1, memory="1GB")
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
        expr = findings_expr(tables, members, as_of=as_of, windows=windows_for(snapshots), only_ids=[PLACEHOLDER])
        findings = backend.table("online_findings")
        self._sql = {
            "findings": ibis.to_sql(expr, dialect="duckdb") if expr is not None else None,
            "households": ibis.to_sql(household_report_expr(findings, members, backend.table("online_households")),
                                      dialect="duckdb"),
        }
        self._con = con

    def run(self, snapshots: list[SnapshotRef], as_of: dt.date, members: pa.Table, households: pa.Table) -> OnlineResult:
        ids = sorted({i for i in members.column("id_number").to_pylist() if i and _ID_PATTERN.match(i)})
        key = (tuple((s.id, s.dataset, str(s.index_path or s.path)) for s in sorted(snapshots, key=lambda s: s.id)), as_of)
        with self._lock:
            if key != self._key or self._con is None:
                self._open(snapshots, as_of)
                self._key = key
            con = self._con
            con.register("online_members", members)
            con.register("online_households", households)
            sql = self._sql["findings"]
            if sql is None or not ids:
                findings = self._empty(FINDING_SCHEMA)
            else:
                literal = ", ".join(f"'{i}'" for i in ids)
                findings = con.sql(sql.replace(f"'{PLACEHOLDER}'", literal)).to_arrow_table().cast(FINDING_SCHEMA.to_pyarrow())
            linked = linked_findings_online(con, snapshots, members, as_of=as_of)
            if linked is not None and linked.num_rows:
                findings = pa.concat_tables([findings, linked])
            con.register("online_findings", findings)
            household_rows = con.sql(self._sql["households"]).to_arrow_table()
        return OnlineResult(findings=findings, household_rows=household_rows)

    def _close(self) -> None:
        if self._con is not None:
            self._con.close()
        self._con = None

    def close(self) -> None:
        with self._lock:
            self._close()
            self._key = None


CATALOG = OnlineCatalog()
