"""Running a verification: members in, snapshots joined, households assessed, results stored.

A batch run (the cases waiting, the enrollments due, a county) goes in three steps, each of which
can be repeated without harm, so an interrupted run resumes (or restarts) without duplicates:

1. The members and households are exported once to the run's folder as Parquet (export.py). A
   resumed run reads those files again, not the registry: it finishes the run it started.
2. One DuckDB query (expressions.findings_expr, compiled from Ibis) joins them with every
   current snapshot and writes the findings, partitioned by chunk of households. A marker file
   says the step is complete; without it, the step runs again and overwrites.
3. Chunk by chunk: member and household totals (Ibis again), the assessment (assessment.py, the
   rules of programs.rules), and one transaction that replaces whatever the chunk left before,
   inserts the chunk's `HouseholdResult` rows (and `Finding` rows for runs that keep findings
   in the database), records the `VerificationChunk` and advances the run's progress. A chunk is
   in the database entirely or not at all; unique constraints on (run, household) and on each
   finding back that up.

The online report (online.py) uses the same expressions and assessment for one household,
kept in memory.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterable, Iterator

import ibis
import pyarrow as pa
import pyarrow.parquet as pq
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from safetynet.areas.models import CODE_LENGTHS
from safetynet.core.errors import SafetyNetError
from safetynet.core.statements import insert_many
from safetynet.programs.catalogue import DIBAO
from safetynet.programs.models import Parameter
from safetynet.programs.selectors import dibao_parameters

from . import chunks, storage
from .assessment import HouseholdAssessment, HouseholdTotals, MemberTotals, assess_household
from .expressions import (
    FINDING_SCHEMA, Window, empty_findings, findings_expr, household_rows_expr, household_totals_expr, member_totals_expr,
)
from .models import Finding, FindingsStorage, HouseholdResult, RunStatus, VerificationChunk, VerificationRun

log = logging.getLogger(__name__)

FINDINGS_DONE = "_FINDINGS_DONE"


@dataclass(frozen=True)
class SnapshotRef:
    id: int
    dataset: str
    taken_on: dt.date
    path: Path
    index_path: Path | None = None


def windows_for(snapshots: Iterable[SnapshotRef]) -> dict[str, Window]:
    return {s.dataset: Window.before(s.taken_on) for s in snapshots}


# --------------------------------------------------------------------------------------------
# Parameters (programs.selectors) per area, resolved once per village and run
# --------------------------------------------------------------------------------------------

class ParameterResolver:
    """Dibao parameters in force in the run's month for each household's area and urban/rural
    class, through programs.selectors.dibao_parameters.

    Resolution picks, per key, the deepest area on the path with a row (programs.selectors), so
    two villages under the same areas-with-rows resolve alike: the resolver asks once per such
    set of areas (a county with its standards set at county level: once, not once per village),
    and remembers a missing standard as its error message. Groups and grids take their village's
    parameters."""

    def __init__(self, as_of: dt.date, resolve: Callable | None = None):
        self.as_of = as_of
        self._resolve = resolve
        self._cache: dict = {}
        self._by_area: dict = {}
        self._with_rows: set | None = None

    def __call__(self, area_code: str, is_urban: bool):
        hit = self._by_area.get((area_code, is_urban))
        if hit is None:
            village = area_code[:12]
            key = (self._rows_on_path(village), is_urban)
            hit = self._cache.get(key)
            if hit is None:
                hit = self._cache[key] = self._load(village, is_urban)
            self._by_area[(area_code, is_urban)] = hit
        return hit

    def _rows_on_path(self, village: str) -> tuple:
        if self._resolve is not None:
            return (village,)
        if self._with_rows is None:
            self._with_rows = set(Parameter.objects.filter(program_id=DIBAO, area__isnull=False)
                                  .values_list("area_id", flat=True).distinct())

        return tuple(village[:n] for n in sorted(set(CODE_LENGTHS.values())) if n <= len(village) and village[:n] in self._with_rows)

    def _load(self, area_code: str, is_urban: bool):
        try:
            if self._resolve is not None:
                return self._resolve(area_code, is_urban), ""
            return dibao_parameters(area_code, self.as_of.replace(day=1), is_urban=is_urban), ""
        except SafetyNetError as error:
            return None, error.message


# --------------------------------------------------------------------------------------------
# Totals (from Arrow) → assessments
# --------------------------------------------------------------------------------------------

INCOME_COLUMNS = (("wages", "wages"), ("pension", "pension"), ("unemployment", "unemployment"), ("other", "other_income"),
                  ("excluded_basic_pension", "excluded_basic_pension"))
ASSET_COLUMNS = (("deposit", "deposit"), ("securities", "securities"), ("insurance", "insurance"),
                 ("other_financial", "other_financial"), ("home", "home"), ("non_residential", "non_residential"),
                 ("vehicle", "vehicle"), ("mobility_vehicle", "mobility_vehicle"), ("business", "business"))


def iter_totals(member_rows: pa.Table, household_rows: pa.Table) -> Iterator[HouseholdTotals]:
    """HouseholdTotals from the two totals tables (both sorted by household id)."""
    m = {name: member_rows.column(name).to_pylist() for name in member_rows.column_names}
    h = {name: household_rows.column(name).to_pylist() for name in household_rows.column_names}
    mh = m["household_id"]
    n_members = len(mh)
    pos = 0
    income_columns = [(key, h[column]) for key, column in INCOME_COLUMNS]
    asset_columns = [(key, h[column]) for key, column in ASSET_COLUMNS]
    for i, household_id in enumerate(h["household_id"]):
        members = []
        while pos < n_members and mh[pos] < household_id:
            pos += 1
        while pos < n_members and mh[pos] == household_id:
            members.append(MemberTotals(
                person_id=m["person_id"][pos], birth_date=m["birth_date"][pos], disability_type=m["disability_type"][pos],
                disability_grade=m["disability_grade"][pos], serious_illness=m["serious_illness"][pos],
                income=m["income"][pos], name=m["name"][pos]))
            pos += 1
        yield HouseholdTotals(
            household_id=household_id, area_code=h["area_code"][i], is_urban=h["is_urban"][i], members=tuple(members),
            counted_income=h["counted_income"][i], income={key: column[i] for key, column in income_columns},
            financial=h["financial"][i], assets={key: column[i] for key, column in asset_columns},
            homes=h["home"][i], non_residential=h["non_residential"][i], vehicles=h["vehicle"][i],
            exempt_vehicles=h["mobility_vehicle"][i], businesses=h["business"][i], deceased=h["deceased"][i],
            found_wages=h["found_wages"][i], declared_wages=h["declared_wages"][i], chunk=h["chunk"][i] or 0)


def iter_report_totals(household_rows: pa.Table) -> Iterator[HouseholdTotals]:
    """HouseholdTotals from expressions.household_report_expr (members as a list per household)."""
    h = {name: household_rows.column(name).to_pylist() for name in household_rows.column_names}
    for i, household_id in enumerate(h["household_id"]):
        members = tuple(MemberTotals(person_id=m["person_id"], birth_date=m["birth_date"], disability_type=m["disability_type"],
                                     disability_grade=m["disability_grade"], serious_illness=m["serious_illness"],
                                     income=m["income"], name=m["name"]) for m in (h["members"][i] or ()))
        yield HouseholdTotals(
            household_id=household_id, area_code=h["area_code"][i], is_urban=h["is_urban"][i], members=members,
            counted_income=h["counted_income"][i], income={key: h[column][i] for key, column in INCOME_COLUMNS},
            financial=h["financial"][i], assets={key: h[column][i] for key, column in ASSET_COLUMNS},
            homes=h["home"][i], non_residential=h["non_residential"][i], vehicles=h["vehicle"][i],
            exempt_vehicles=h["mobility_vehicle"][i], businesses=h["business"][i], deceased=h["deceased"][i],
            found_wages=h["found_wages"][i], declared_wages=h["declared_wages"][i], chunk=h["chunk"][i] or 0)


def assess_totals(totals: Iterable[HouseholdTotals], resolver: ParameterResolver, on_date: dt.date) -> list[HouseholdAssessment]:
    out = []
    for t in totals:
        params, error = resolver(t.area_code, t.is_urban)
        out.append(assess_household(t, params, on_date, params_error=error))
    return out


def totals_tables(backend, findings: ibis.Table, members: ibis.Table, households: ibis.Table) -> tuple[pa.Table, pa.Table]:
    """Execute the two totals expressions on `backend` (an Ibis connection)."""
    return (backend.to_pyarrow(member_totals_expr(findings, members)),
            backend.to_pyarrow(household_totals_expr(findings, members, households)))


def run_expressions(backend, tables: dict, members: ibis.Table, households: ibis.Table, *, as_of: dt.date,
                    windows: dict[str, Window]) -> tuple[pa.Table, pa.Table, pa.Table]:
    """(findings, member totals, household totals) of `members` on any Ibis backend: the batch in
    one go, on small data (tests/test_verification_spark.py runs it on DuckDB and on PySpark)."""
    expr = findings_expr(tables, members, as_of=as_of, windows=windows)
    if expr is None:
        expr = empty_findings()
    findings = backend.to_pyarrow(expr)
    member_rows, household_rows = totals_tables(backend, expr, members, households)
    return findings, member_rows, household_rows


def assess_findings(findings: pa.Table, members: pa.Table, households: pa.Table, *, as_of: dt.date,
                    resolver: ParameterResolver | None = None) -> list[HouseholdAssessment]:
    """Findings (in FINDING_SCHEMA) of the given members and households → their assessments.

    The plug for what adds findings after the engine (identity resolution's confirmed links):
    concatenate them to a run's findings and assess again, on an in-memory DuckDB."""
    import duckdb

    con = duckdb.connect()
    try:
        backend = duckdb_backend(con)
        con.register("f_findings", findings.select(FINDING_SCHEMA.names).cast(FINDING_SCHEMA.to_pyarrow()))
        con.register("f_members", members)
        con.register("f_households", households)
        member_rows, household_rows = totals_tables(backend, backend.table("f_findings"), backend.table("f_members"),
                                                    backend.table("f_households"))
    finally:
        con.close()
    resolver = resolver or ParameterResolver(as_of)
    return assess_totals(iter_totals(member_rows, household_rows), resolver, as_of)


# --------------------------------------------------------------------------------------------
# Writing results in bulk
# --------------------------------------------------------------------------------------------

RESULT_FIELDS = ["run", "household", "area_code", "chunk", "members", "deceased", "counted_income", "per_capita_income",
                 "income", "found_wages", "declared_wages", "financial_assets", "assets", "homes", "non_residential",
                 "vehicles", "businesses", "flags", "flagged", "eligible", "amount", "rule"]
FINDING_FIELDS = ["run", "household_id", "person_id", "id_number", "source", "department", "snapshot_id", "snapshot_taken_on",
                  "item", "counted", "monthly_amount", "value", "subject", "detail", "record_date", "record_key"]


class _Json(json.JSONEncoder):
    def default(self, o):
        if isinstance(o, Decimal):
            return f"{o:.2f}"
        if isinstance(o, (dt.date, dt.datetime)):
            return o.isoformat()
        return super().default(o)


def _dumps(value) -> str:
    return json.dumps(value, cls=_Json, ensure_ascii=False, separators=(",", ":"))


def _json_amounts(values: dict) -> str:
    """{"wages":"900.00","home":1}: decimals as strings with 2 places, counts as numbers (json.dumps is
    several times slower, and this runs once per household of a province)."""
    parts = []
    for key, value in values.items():
        if isinstance(value, Decimal):
            parts.append(f'"{key}":"{value:.2f}"')
        else:
            parts.append(f'"{key}":{int(value or 0)}')
    return "{" + ",".join(parts) + "}"


def result_rows(run_id: int, assessments: list[HouseholdAssessment]) -> list[tuple]:
    rules: dict = {}
    flag_texts: dict = {}
    rows = []
    for a in assessments:
        rule = rules.get(id(a.rule))
        if rule is None:
            rule = rules[id(a.rule)] = _dumps(a.rule)
        flags = tuple(a.flags)
        flag_text = flag_texts.get(flags)
        if flag_text is None:
            flag_text = flag_texts[flags] = _dumps(list(flags))
        rows.append((run_id, a.household_id, a.area_code, a.chunk, a.members, a.deceased, a.counted_income,
                     a.per_capita_income, _json_amounts(a.income), a.found_wages, a.declared_wages, a.financial_assets,
                     _json_amounts(a.assets), a.homes, a.non_residential, a.vehicles, a.businesses, flag_text, bool(flags),
                     a.eligible, a.amount, rule))
    return rows


def finding_rows(run_id: int, findings: pa.Table, snapshots: dict[str, SnapshotRef]) -> list[tuple]:
    cols = {name: findings.column(name).to_pylist() for name in FINDING_SCHEMA.names if name in findings.column_names}
    rows = []
    for i in range(findings.num_rows):
        source = cols["source"][i]
        ref = snapshots.get(source)
        rows.append((run_id, cols["household_id"][i], cols["person_id"][i], cols["id_number"][i], source,
                     cols["department"][i], ref.id if ref else 0, ref.taken_on if ref else None, cols["item"][i],
                     bool(cols["counted"][i]), cols["monthly_amount"][i], cols["value"][i], cols["subject"][i] or "",
                     (cols["detail"][i] or "")[:300], cols["record_date"][i], (cols["record_key"][i] or "")[:240]))
    return rows


class BulkWriter:
    """Multi-row inserts with the models' column names (core.statements.insert_many: executemany
    on SQLite, COPY on PostgreSQL)."""

    def insert(self, model, fields: list[str], rows: list[tuple]) -> None:
        if connection.vendor == "sqlite":
            rows = [tuple(_sqlite_value(v) for v in row) for row in rows]
        insert_many(model._meta.db_table, [model._meta.get_field(f).column for f in fields], rows)


def _sqlite_value(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def insert_rows(run: VerificationRun, assessments: list[HouseholdAssessment], findings: pa.Table | None,
                snapshots: dict[str, SnapshotRef]) -> None:
    """Results (and, for runs that keep them in the database, findings) in bulk, no questions asked."""
    writer = BulkWriter()
    writer.insert(HouseholdResult, RESULT_FIELDS, result_rows(run.pk, assessments))
    if run.findings_storage == FindingsStorage.DATABASE and isinstance(findings, pa.Table) and findings.num_rows:
        writer.insert(Finding, FINDING_FIELDS, finding_rows(run.pk, findings, snapshots))


def finding_dicts(findings: pa.Table, snapshots: dict[str, SnapshotRef]) -> list[dict]:
    """Findings as selectors.findings_for_household returns them, straight from Arrow."""
    rows = findings.select([n for n in FINDING_SCHEMA.names if n != "chunk"]).to_pylist()
    for row in rows:
        ref = snapshots.get(row["source"])
        row["snapshot_id"] = ref.id if ref else 0
        row["snapshot_taken_on"] = ref.taken_on if ref else None
        row["subject"] = row["subject"] or ""
        row["detail"] = row["detail"] or ""
    rows.sort(key=lambda r: (r["person_id"], r["source"], r["record_key"] or ""))
    return rows


def store_chunk(run: VerificationRun, number: int, *, rows: list[tuple], households: list[int], flagged: int,
                findings: pa.Table | None, findings_count: int, snapshots: dict[str, SnapshotRef]) -> None:
    """One transaction: what an earlier attempt left for the chunk goes, the chunk's rows come in,
    the chunk is marked done and the run's progress advances."""
    first, last = (min(households), max(households)) if households else (0, 0)
    with transaction.atomic():
        if VerificationChunk.objects.filter(run=run, number=number).exists():
            return
        HouseholdResult.objects.filter(run=run, chunk=number).delete()
        writer = BulkWriter()
        if run.findings_storage == FindingsStorage.DATABASE:
            ordered = sorted(set(households))
            for start in range(0, len(ordered), 500):
                Finding.objects.filter(run=run, household_id__in=ordered[start:start + 500]).delete()
            if findings is not None and findings.num_rows:
                writer.insert(Finding, FINDING_FIELDS, finding_rows(run.pk, findings, snapshots))
        writer.insert(HouseholdResult, RESULT_FIELDS, rows)
        VerificationChunk.objects.create(run=run, number=number, first_household_id=first, last_household_id=last,
                                         households=len(households), findings=findings_count, done_at=timezone.now())
        VerificationRun.objects.filter(pk=run.pk).update(
            households_done=F("households_done") + len(households), chunks_done=F("chunks_done") + 1,
            findings_count=F("findings_count") + findings_count, flagged_households=F("flagged_households") + flagged)


PARALLEL_MIN_HOUSEHOLDS = 50_000   # runs this large share the assessment among helper processes
PARALLEL_MIN_CHUNK = 2_000         # ... for chunks at least this large


def _params_for(household_rows: pa.Table, resolver: ParameterResolver) -> dict:
    areas = set(zip(household_rows.column("area_code").to_pylist(), household_rows.column("is_urban").to_pylist()))
    return {(area, bool(urban)): resolver(area, bool(urban)) for area, urban in areas}


class _Assessed:
    """A chunk's assessment, finished or still running in the helper processes."""

    def __init__(self, done=None, futures=()):
        self._done = done
        self._futures = list(futures)

    def result(self) -> tuple[list[tuple], list[int], int]:
        if self._done is None:
            rows, ids, flagged = [], [], 0
            for future in self._futures:
                part_rows, part_ids, part_flagged = future.result()
                rows += part_rows
                ids += part_ids
                flagged += part_flagged
            self._done = (rows, ids, flagged)
        return self._done


def start_assessment(run_id: int, member_rows: pa.Table, household_rows: pa.Table, resolver: ParameterResolver,
                     on_date: dt.date, pool=None) -> _Assessed:
    """Assess a chunk (chunks.assess_columns): at once, or with a process `pool` split among its
    workers at household boundaries and left running (the parameters are resolved here first:
    workers have no database). `.result()` gives (result rows, household ids, flagged count)."""
    params = _params_for(household_rows, resolver)
    workers = getattr(pool, "_max_workers", 1) if pool is not None else 1
    n = household_rows.num_rows
    if workers < 2 or n < PARALLEL_MIN_CHUNK:
        return _Assessed(done=chunks.assess_columns(run_id, member_rows, household_rows, params, on_date))
    import numpy as np

    household_ids = household_rows.column("household_id").to_numpy()
    member_households = member_rows.column("household_id").to_numpy()
    cuts = [round(n * k / workers) for k in range(workers + 1)]
    futures = []
    for first, last in zip(cuts, cuts[1:]):
        m_first = int(np.searchsorted(member_households, household_ids[first], "left"))
        m_last = int(np.searchsorted(member_households, household_ids[last - 1], "right"))
        futures.append(pool.submit(chunks.assess_columns, run_id, member_rows.slice(m_first, m_last - m_first),
                                   household_rows.slice(first, last - first), params, on_date))
    return _Assessed(futures=futures)


def assess_chunk(run_id: int, member_rows: pa.Table, household_rows: pa.Table, resolver: ParameterResolver,
                 on_date: dt.date, pool=None) -> tuple[list[tuple], list[int], int]:
    """start_assessment, waited for."""
    return start_assessment(run_id, member_rows, household_rows, resolver, on_date, pool=pool).result()


def _assessment_pool(households: int):
    """Helper processes for a large run (spawned: DuckDB and threads do not survive a fork)."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    cores = os.cpu_count() or 1
    if households < PARALLEL_MIN_HOUSEHOLDS or cores < 2:
        return None
    pool = ProcessPoolExecutor(max_workers=min(cores, 4), mp_context=multiprocessing.get_context("spawn"))

    for _ in range(min(cores, 4)):
        pool.submit(chunks.dumps, [])   # start the workers (and their imports) while DuckDB joins
    return pool


# --------------------------------------------------------------------------------------------
# The batch
# --------------------------------------------------------------------------------------------

class Interrupted(Exception):
    """Raised by a test hook to stop a run between chunks (as a killed worker would)."""


def duckdb_backend(con):
    return ibis.duckdb.from_connection(con)


def bind_parquet(con, snapshots: Iterable[SnapshotRef]) -> dict:
    """A view per dataset over its snapshot's Parquet file, as Ibis tables."""
    backend = duckdb_backend(con)
    tables = {}
    for s in snapshots:
        name = f"ds_{s.dataset}"
        con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{s.path}')")
        tables[s.dataset] = backend.table(name)
    return tables


# Writes more findings beside the engine's, in the same chunk partitions: (con, findings_dir,
# snapshots, members, as_of=) → count. The identity resolution's linked findings
# (`identity.write_linked_findings`, which the caller passes: identity builds on this module).
MoreFindings = Callable[..., int]


def write_findings(con, run_path: Path, snapshots: list[SnapshotRef], as_of: dt.date,
                   more_findings: MoreFindings | None = None) -> Path:
    """Step 2: every finding of the run's members, partitioned by chunk (re-written when the
    marker is missing), with `more_findings`' beside them."""
    out = run_path / "findings"
    marker = run_path / FINDINGS_DONE
    if marker.exists():
        return out
    storage.remove(out)
    backend = duckdb_backend(con)
    con.execute(f"CREATE OR REPLACE VIEW run_members AS SELECT * FROM read_parquet('{run_path / 'members.parquet'}')")
    tables = bind_parquet(con, snapshots)
    expr = findings_expr(tables, backend.table("run_members"), as_of=as_of, windows=windows_for(snapshots))
    if expr is None:                      # no department has sent anything yet
        expr = _empty_findings_on(con)
    sql = ibis.to_sql(expr, dialect="duckdb")
    out.mkdir(parents=True, exist_ok=True)
    con.execute(f"COPY ({sql}) TO '{out}' (FORMAT parquet, PARTITION_BY (chunk), OVERWRITE_OR_IGNORE true, "
                f"COMPRESSION zstd)")
    if more_findings is not None:
        more_findings(con, out, snapshots, backend.table("run_members"), as_of=as_of)
    marker.write_text(timezone.now().isoformat())
    return out


def _empty_findings_on(con):
    """The empty findings table registered on this DuckDB connection: the SQL written from an
    expression runs on the raw connection, where an Ibis in-memory table does not exist."""
    import pyarrow as pa

    con.register("run_no_findings", pa.Table.from_pylist([], schema=FINDING_SCHEMA.to_pyarrow()))
    return duckdb_backend(con).table("run_no_findings")


def _chunk_findings(con, findings_dir: Path, number: int):
    backend = duckdb_backend(con)
    folder = findings_dir / f"chunk={number}"
    name = f"run_findings_{number}"
    if folder.exists() and any(folder.glob("*.parquet")):
        con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT *, CAST({number} AS INTEGER) AS chunk "
                    f"FROM read_parquet('{folder}/*.parquet')")
        return backend.table(name)
    return empty_findings()


@dataclass
class _ChunkTotals:
    member_rows: pa.Table
    household_rows: pa.Table
    findings: pa.Table | None
    findings_count: int


def _chunk_totals(con, findings_dir: Path, number: int, keep_findings: bool) -> _ChunkTotals:
    """A chunk's member and household totals (and its findings, for runs that keep them in the
    database), on a cursor of its own: it runs in a helper thread while the previous chunk is
    assessed (DuckDB works without the GIL)."""
    cursor = con.cursor()
    try:
        backend = duckdb_backend(cursor)
        findings = _chunk_findings(cursor, findings_dir, number)
        members = backend.table("run_members")
        households = backend.table("run_households")
        chunk_members = members.filter(members.chunk == number)
        member_rows = backend.to_pyarrow(member_totals_expr(findings, chunk_members))
        household_rows = backend.to_pyarrow(household_rows_expr(findings, chunk_members, households.filter(households.chunk == number)))
        if keep_findings:
            kept = backend.to_pyarrow(findings)
            return _ChunkTotals(member_rows, household_rows, kept, kept.num_rows)
        count = backend.to_pyarrow(findings.count().name("n").as_table()).column(0)[0].as_py()
        return _ChunkTotals(member_rows, household_rows, None, count)
    finally:
        cursor.close()


def process_run(run: VerificationRun, *, snapshots: list[SnapshotRef], resolver: ParameterResolver,
                threads: int | None = None, stop_after_chunks: int | None = None,
                progress: Callable[[VerificationRun], None] | None = None,
                more_findings: MoreFindings | None = None) -> VerificationRun:
    """Steps 2 and 3 for a run whose members were exported (step 1); resumes after the last
    chunk done. `more_findings` is passed to `write_findings`. Three things overlap: DuckDB totals the next chunk (a helper thread), the helper
    processes assess this one (large runs), and this process stores the one before. Chunks are
    still stored one after the other, each in its own transaction. `stop_after_chunks`
    interrupts on purpose (tests)."""
    from concurrent.futures import ThreadPoolExecutor

    run_path = storage.run_dir(run.pk)
    refs = {s.dataset: s for s in snapshots}
    started = time.monotonic()
    keep = run.findings_storage == FindingsStorage.DATABASE
    helpers = _assessment_pool(run.households_total - run.households_done)
    con = storage.connect(threads=threads)

    def store(number: int, totals: _ChunkTotals, assessed: _Assessed) -> None:
        rows, ids, flagged = assessed.result()
        store_chunk(run, number, rows=rows, households=ids, flagged=flagged, findings=totals.findings,
                    findings_count=totals.findings_count, snapshots=refs)
        if progress:
            run.refresh_from_db()
            progress(run)

    try:
        findings_dir = write_findings(con, run_path, snapshots, run.as_of, more_findings)
        con.execute(f"CREATE OR REPLACE VIEW run_members AS SELECT * FROM read_parquet('{run_path / 'members.parquet'}')")
        con.execute(f"CREATE OR REPLACE VIEW run_households AS SELECT * FROM read_parquet('{run_path / 'households.parquet'}')")
        done = set(VerificationChunk.objects.filter(run=run).values_list("number", flat=True))
        pending = [n for n in range(run.chunks_total) if n not in done]
        if stop_after_chunks is not None:
            interrupted, pending = len(pending) > stop_after_chunks, pending[:stop_after_chunks]
        else:
            interrupted = False
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="verification-totals") as prefetch:
            future = prefetch.submit(_chunk_totals, con, findings_dir, pending[0], keep) if pending else None
            previous = None
            for index, number in enumerate(pending):
                totals = future.result()
                if index + 1 < len(pending):
                    future = prefetch.submit(_chunk_totals, con, findings_dir, pending[index + 1], keep)
                assessed = start_assessment(run.pk, totals.member_rows, totals.household_rows, resolver, run.as_of,
                                            pool=helpers)
                if previous is not None:
                    store(*previous)
                previous = (number, totals, assessed)
            if previous is not None:
                store(*previous)
        if interrupted:
            raise Interrupted(f"stopped after {stop_after_chunks} chunks")
    finally:
        con.close()
        if helpers is not None:
            helpers.shutdown(wait=True)
    run.refresh_from_db()
    elapsed = time.monotonic() - started
    VerificationRun.objects.filter(pk=run.pk).update(
        status=RunStatus.DONE, finished_at=timezone.now(), seconds=(run.seconds or 0) + elapsed)
    run.refresh_from_db()
    return run


def read_findings(run: VerificationRun, household_id: int) -> list[dict]:
    """A household's findings from a run that keeps them in Parquet (its chunk's files)."""
    import duckdb

    run_path = storage.run_dir(run.pk)
    chunk = HouseholdResult.objects.filter(run=run, household_id=household_id).values_list("chunk", flat=True).first()
    if chunk is None:
        return []
    folder = run_path / "findings" / f"chunk={chunk}"
    if not folder.exists():
        return []
    con = duckdb.connect()
    try:
        table = con.sql(f"SELECT * FROM read_parquet('{folder}/*.parquet') WHERE household_id = $household "
                        f"ORDER BY person_id, source, record_key", params={"household": household_id}).to_arrow_table()
    finally:
        con.close()
    return table.to_pylist()


def write_members(run_path: Path, members: pa.Table, households: pa.Table) -> None:
    """Step 1's files, written atomically (a resumed run finds both or neither)."""
    for name, table in (("members", members), ("households", households)):
        tmp = run_path / f".{name}.parquet.tmp"
        pq.write_table(table, tmp, compression="zstd")
        storage.replace(tmp, run_path / f"{name}.parquet")
