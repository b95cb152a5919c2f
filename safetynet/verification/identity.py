"""Identity resolution: department records with a legacy, mistyped or missing ID number matched to
registry persons with Splink (issue 4, part 3), and the confirmed links fed back to the engine.

The engine joins department records to members by exact 18-digit ID number only (expressions.py).
The importer marks every row's identity (`id_kind`): `exact`, `legacy` (15 digits), `bad_check`
(18 characters whose check character is wrong, GB 11643-1999, POLICY.md §8) or `missing` (no ID;
the importer then demands a name and a birth date). This module takes the records that are not
exact and finds the person behind each:

1. **Records and persons.** One row per (dataset, record key) — the ID as carried, or
   `name:<name>|<birth date>` for a record without one (identity_models.py) — with name, birth
   date (from the record, else read from the ID number) and address; persons of the county from
   the registry with their household's address.
2. **Features.** Name and its surname (first character); birth date as text; `id17`, the first
   17 digits of the ID in 18-digit form (a legacy number gets "19" before its 2-digit year; the
   check character, what a mistyped number gets wrong, is left out) and `id_rest`, its area code
   and sequence number without the birth date, so that the ID and the birth date are compared
   independently. Addresses without spaces.
3. **The model** (Splink 5, DuckDB, link only): comparisons on id_rest (exact, one edit), name
   (exact, one edit, same surname), birth date (exact, one digit of the month or day) and address (exact,
   Jaro-Winkler ≥ 0.9); candidate pairs blocked on id17, birth date, name, or surname and
   address. u from random sampling; m by EM (`record_sample_proportion=1.0`: our tables are
   small) on a sample of *exact* records, whose matches are plentiful and look like the
   others', first on pairs blocked on id17, then on name and birth date (train_model says
   why); then smoothed (`smooth`). The prior is one match per record among the county's persons.
4. **Proposals.** Pairs at or above PROPOSE_THRESHOLD become proposals (identity_services.py),
   never links: a county officer confirms or rejects each.

A confirmed `IdentityLink` then counts in later runs: `linked_findings` returns the linked
records' findings, shaped by the engine's own expressions, for the engine to add to its own
(engine.write_findings for batches, online.OnlineCatalog.run for one household).

Measured on the demo's planted records by bench/bench_identity.py (docs/benchmarks.md).
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from typing import Iterable

import pyarrow as pa

from safetynet.registry.models import Person

from . import storage
from .engine import duckdb_backend, windows_for
from .expressions import ENGINE_DATASETS, FINDING_SCHEMA, findings_expr
from .identity_models import IdentityLink
from .schemas import DATASETS
from .selectors import current_snapshot_refs

log = logging.getLogger(__name__)

# A pair at or above this probability is proposed to a county officer. The demo's true matches
# score above 0.999 and its near misses (same name and address, another birth year) below 0.5
# (bench/bench_identity.py), so the threshold has room on both sides.
PROPOSE_THRESHOLD = 0.95
# Exact-ID records used to train the model (a sample: more adds time, not accuracy).
TRAINING_SAMPLE = 20_000
U_MAX_PAIRS = 2_000_000
M_FLOOR = 1e-4     # smooth(): at least one true match in 10,000 disagrees on any one field
U_FLOOR = 1e-7
SEED = 4

NOT_EXACT = ("legacy", "bad_check", "missing")

RECORD_KEY_SQL = ("coalesce({r}id_number, 'name:' || coalesce({r}name, '') || '|' || "
                  "coalesce(CAST({r}birth_date AS VARCHAR), ''))")
# The first 17 digits in 18-digit form (POLICY.md §8: "19" before a legacy number's 2-digit year).
ID17_SQL = ("CASE WHEN {c} IS NULL THEN NULL WHEN length({c}) = 15 THEN substr({c}, 1, 6) || '19' || substr({c}, 7, 9) "
            "ELSE substr({c}, 1, 17) END")
# The birth date inside an ID number (legacy: 19YYMMDD at positions 7-12; 18-digit: 7-14).
ID_BIRTH_SQL = ("CASE WHEN {c} IS NULL THEN NULL WHEN length({c}) = 15 THEN try_strptime('19' || substr({c}, 7, 6), '%Y%m%d')::DATE "
                "ELSE try_strptime(substr({c}, 7, 8), '%Y%m%d')::DATE END")


def record_key_sql(alias: str = "") -> str:
    return RECORD_KEY_SQL.format(r=f"{alias}." if alias else "")


def record_key(id_number: str | None, name: str | None, birth_date: dt.date | str | None) -> str:
    """The record key in Python (same as RECORD_KEY_SQL)."""
    if id_number:
        return id_number
    birth = birth_date.isoformat() if isinstance(birth_date, dt.date) else (birth_date or "")
    return f"name:{name or ''}|{birth}"


# --------------------------------------------------------------------------------------------
# 1-2. Records and persons, as feature tables
# --------------------------------------------------------------------------------------------

def _person_snapshots(refs) -> list:
    return [r for r in refs if DATASETS.get(r.dataset) is not None and DATASETS[r.dataset].person and r.path.exists()]


def load_records(con, refs) -> int:
    """Table `identity_records` (dataset, snapshot_id, record_key, id_number, name, birth_date,
    address, id_kind, rows) from every current person snapshot: one row per record key."""
    parts = [f"SELECT '{r.dataset}' AS dataset, {int(r.id)} AS snapshot_id, id_number, name, birth_date, "
             f"resident_address, id_kind FROM read_parquet('{r.path}')" for r in _person_snapshots(refs)]
    if not parts:
        con.execute("CREATE OR REPLACE TABLE identity_records (dataset VARCHAR, snapshot_id BIGINT, record_key VARCHAR, "
                    "id_number VARCHAR, name VARCHAR, birth_date DATE, address VARCHAR, id_kind VARCHAR, rows BIGINT)")
        return 0
    con.execute(f"""CREATE OR REPLACE TABLE identity_records AS
        SELECT dataset, any_value(snapshot_id) AS snapshot_id, {record_key_sql()} AS record_key,
               any_value(id_number) AS id_number, any_value(name) AS name,
               coalesce(any_value(birth_date), {ID_BIRTH_SQL.format(c='any_value(id_number)')}) AS birth_date,
               max(nullif(trim(resident_address), '')) AS address, any_value(id_kind) AS id_kind, count(*) AS rows
        FROM ({' UNION ALL '.join(parts)}) GROUP BY dataset, record_key""")
    return con.execute("SELECT count(*) FROM identity_records").fetchall()[0][0]


def persons_table(county_code: str) -> pa.Table:
    """The county's persons with their household's address (one query, the registry's index on area)."""
    rows = list(Person.objects.filter(area__code__startswith=county_code)
                .values_list("id", "id_number", "name", "birth_date", "household__address", "area_id"))
    columns = list(zip(*rows)) if rows else [[], [], [], [], [], []]
    return pa.table({"person_id": pa.array(columns[0], pa.int64()), "id_number": pa.array(columns[1], pa.string()),
                     "name": pa.array(columns[2], pa.string()), "birth_date": pa.array(columns[3], pa.date32()),
                     "address": pa.array(columns[4], pa.string()), "area_code": pa.array(columns[5], pa.string())})


def _features(select_id: str, id_column: str, source: str) -> str:
    id17 = ID17_SQL.format(c=id_column)
    return (f"SELECT {select_id} AS unique_id, {id17} AS id17, substr({id17}, 1, 6) || substr({id17}, 15, 3) AS id_rest, "
            f"nullif(replace(name, ' ', ''), '') AS name, substr(replace(name, ' ', ''), 1, 1) AS surname, "
            f"strftime(birth_date, '%Y-%m-%d') AS birth_date, nullif(replace(address, ' ', ''), '') AS address FROM {source}")


# --------------------------------------------------------------------------------------------
# 3. The model
# --------------------------------------------------------------------------------------------

# A mistyped month or day is the same person; another birth year is not, whatever the name and
# address say (a father and a son of the same name under one roof).
SAME_YEAR_ONE_DIGIT = ("levenshtein(birth_date_l, birth_date_r) <= 1 AND "
                       "substr(birth_date_l, 1, 4) = substr(birth_date_r, 1, 4)")


def _comparisons():
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    return [
        cl.CustomComparison(output_column_name="id_rest", comparison_description="ID number: area code and sequence",
                            comparison_levels=[cll.NullLevel("id_rest"), cll.ExactMatchLevel("id_rest"),
                                               cll.LevenshteinLevel("id_rest", 1), cll.ElseLevel()]),
        cl.CustomComparison(output_column_name="name", comparison_description="name",
                            comparison_levels=[cll.NullLevel("name"), cll.ExactMatchLevel("name"), cll.LevenshteinLevel("name", 1),
                                               cll.ExactMatchLevel("surname"), cll.ElseLevel()]),
        cl.CustomComparison(output_column_name="birth_date", comparison_description="birth date",
                            comparison_levels=[cll.NullLevel("birth_date"), cll.ExactMatchLevel("birth_date"),
                                               cll.CustomLevel(SAME_YEAR_ONE_DIGIT, "same year, one digit differs"),
                                               cll.ElseLevel()]),
        cl.CustomComparison(output_column_name="address", comparison_description="address",
                            comparison_levels=[cll.NullLevel("address"), cll.ExactMatchLevel("address"),
                                               cll.JaroWinklerLevel("address", 0.9), cll.ElseLevel()]),
    ]


# Level labels by comparison and gamma value (Splink numbers the levels from the top, null = -1).
LEVELS = {
    "id_rest": {-1: "missing", 2: "same", 1: "one digit differs", 0: "different"},
    "name": {-1: "missing", 3: "same", 2: "one character differs", 1: "same surname", 0: "different"},
    "birth_date": {-1: "missing", 2: "same", 1: "same year, one digit differs", 0: "different"},
    "address": {-1: "missing", 2: "same", 1: "similar", 0: "different"},
}


def _settings(prior: float):
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="link_only", comparisons=_comparisons(), probability_two_random_records_match=prior,
        blocking_rules_to_generate_predictions=[block_on("id17"), block_on("birth_date"), block_on("name"),
                                                block_on("surname", "address")],
        retain_matching_columns=True, retain_intermediate_calculation_columns=False)


def train_model(training: pa.Table, persons: pa.Table) -> dict:
    """The Splink model (as its JSON dict) trained on exact-ID records against the persons."""
    from splink import DuckDBAPI, Linker, block_on

    prior = 1.0 / max(2, persons.num_rows)
    db = DuckDBAPI()
    linker = Linker([db.register(training, table_name="training_records"), db.register(persons, table_name="persons")],
                    _settings(prior), log_level=logging.ERROR)
    linker.training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=SEED)
    # EM on pairs sharing the 17 digits (nearly all true matches: name, birth date and address
    # learn how matches look), then on pairs sharing name and birth date (the ID's area and
    # sequence learn it). Blocking on birth date or name alone lets chance agreements of the
    # sequence number pass for matches and teaches the model that matches often differ in birth date.
    for rule in (block_on("id17"), block_on("name", "birth_date")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule, record_sample_proportion=1.0)
    return smooth(linker.misc.save_model_to_json())


def smooth(model: dict, *, m_floor: float = M_FLOOR, u_floor: float = U_FLOOR) -> dict:
    """No level is impossible: clean data teaches EM that true matches never disagree on a
    birth date (m = 0, which Splink reads as "unknown", weight 0). A floor puts a typo at one
    record in M_FLOOR⁻¹, so a disagreement weighs heavily against a match instead of not at all."""
    for comparison in model["comparisons"]:
        levels = [level for level in comparison["comparison_levels"] if not level.get("is_null_level")]
        for key, floor in (("m_probability", m_floor), ("u_probability", u_floor)):
            values = [max(float(level.get(key) or 0.0), floor) for level in levels]
            total = sum(values)
            for level, value in zip(levels, values):
                level[key] = value / total
    return model


def predict_pairs(model: dict, records: pa.Table, persons: pa.Table, threshold: float) -> list[dict]:
    """Scored pairs (record, person) at or above `threshold`, best first."""
    from splink import DuckDBAPI, Linker

    if not records.num_rows or not persons.num_rows:
        return []
    db = DuckDBAPI()
    linker = Linker([db.register(records, table_name="records"), db.register(persons, table_name="persons")], model,
                    log_level=logging.ERROR)
    out = []
    for row in linker.inference.predict(threshold_match_probability=threshold).as_record_list():
        # Splink orders the two inputs by name: the record may sit on either side.
        left_is_record = not str(row["unique_id_l"]).startswith("p:")
        r, p = ("l", "r") if left_is_record else ("r", "l")
        out.append({
            "record": row[f"unique_id_{r}"], "person_id": int(str(row[f"unique_id_{p}"])[2:]),
            "probability": float(row["match_probability"]), "weight": float(row["match_weight"]),
            "compared": {name: {"record": row.get(f"{name}_{r}"), "person": row.get(f"{name}_{p}"),
                                "level": LEVELS[name].get(int(row[f"gamma_{name}"]), str(row[f"gamma_{name}"]))}
                         for name in LEVELS},
        })
    out.sort(key=lambda m: (-m["probability"], m["record"], m["person_id"]))
    return out


# --------------------------------------------------------------------------------------------
# The whole matching, without writing anything
# --------------------------------------------------------------------------------------------

@dataclass
class Candidate:
    dataset: str
    snapshot_id: int
    record_key: str
    id_kind: str
    id_number: str
    name: str
    birth_date: dt.date | None
    address: str
    rows: int
    person_id: int
    area_code: str
    probability: float
    weight: float
    compared: dict


@dataclass
class Matching:
    county_code: str
    records: int = 0             # records not exact, across the current snapshots
    training_records: int = 0
    persons: int = 0
    candidates: list[Candidate] = field(default_factory=list)
    seconds: dict = field(default_factory=dict)


def find_matches(*, county_code: str, refs=None, threshold: float = PROPOSE_THRESHOLD,
                 training_sample: int = TRAINING_SAMPLE) -> Matching:
    """Match the current snapshots' records that are not exact to the county's persons; return
    the candidates at or above `threshold` (nothing is written)."""
    started = time.monotonic()
    refs = current_snapshot_refs() if refs is None else refs
    matching = Matching(county_code=county_code)
    persons = persons_table(county_code)
    matching.persons = persons.num_rows
    con = storage.connect(threads=2, memory="1GB")
    try:
        load_records(con, refs)
        con.register("persons_arrow", persons)
        kinds = ", ".join(f"'{k}'" for k in NOT_EXACT)
        records = con.sql(_features("dataset || '#' || record_key", "id_number",
                                    f"identity_records WHERE id_kind IN ({kinds})")).to_arrow_table()
        matching.records = records.num_rows
        if not records.num_rows or not persons.num_rows:
            return matching
        training = con.sql(_features("'t:' || dataset || '#' || record_key", "id_number",
                                     f"(SELECT * FROM identity_records WHERE id_kind = 'exact' "
                                     f"USING SAMPLE {int(training_sample)} ROWS (reservoir, {SEED}))")).to_arrow_table()
        matching.training_records = training.num_rows
        person_features = con.sql(_features("'p:' || person_id", "id_number", "persons_arrow")).to_arrow_table()
        details = {(r[0] + "#" + r[1]): r for r in con.execute(
            f"SELECT dataset, record_key, snapshot_id, id_kind, id_number, name, birth_date, address, rows "
            f"FROM identity_records WHERE id_kind IN ({kinds})").fetchall()}
    finally:
        con.close()
    matching.seconds["prepare"] = round(time.monotonic() - started, 2)
    step = time.monotonic()
    model = train_model(training if training.num_rows else records, person_features)
    matching.seconds["train"] = round(time.monotonic() - step, 2)
    step = time.monotonic()
    areas = dict(zip(persons.column("person_id").to_pylist(), persons.column("area_code").to_pylist()))
    for pair in predict_pairs(model, records, person_features, threshold):
        dataset, key, snapshot_id, kind, id_number, name, birth, address, rows = details[pair["record"]]
        matching.candidates.append(Candidate(
            dataset=dataset, snapshot_id=snapshot_id, record_key=key, id_kind=kind, id_number=id_number or "",
            name=name or "", birth_date=birth, address=address or "", rows=int(rows), person_id=pair["person_id"],
            area_code=areas.get(pair["person_id"], ""), probability=pair["probability"], weight=pair["weight"],
            compared=pair["compared"]))
    matching.seconds["predict"] = round(time.monotonic() - step, 2)
    matching.seconds["total"] = round(time.monotonic() - started, 2)
    return matching


# --------------------------------------------------------------------------------------------
# Confirmed links, for the engine
# --------------------------------------------------------------------------------------------

LINKS_SCHEMA = pa.schema([("dataset", pa.string()), ("record_key", pa.string()), ("person_id_number", pa.string())])


def confirmed_links_table(person_id_numbers: Iterable[str] | None = None) -> pa.Table:
    """Every confirmed link as (dataset, record_key, person_id_number); with `person_id_numbers`,
    only the links to those persons (the online report asks for one household's)."""
    qs = IdentityLink.objects.all()
    if person_id_numbers is not None:
        ids = sorted(set(person_id_numbers))
        if not ids:
            return LINKS_SCHEMA.empty_table()
        qs = qs.filter(person_id_number__in=ids)
    rows = list(qs.values_list("dataset", "record_key", "person_id_number"))
    if not rows:
        return LINKS_SCHEMA.empty_table()
    columns = list(zip(*rows))
    return pa.table([pa.array(c, pa.string()) for c in columns], schema=LINKS_SCHEMA)


def linked_findings(con, snapshots, members, *, as_of: dt.date, person_id_numbers: Iterable[str] | None = None):
    """The findings of the records confirmed links give `members` (an Ibis table over `con`, in
    MEMBER_SCHEMA), as an Ibis expression in FINDING_SCHEMA; None when there are no such links.

    The linked records go through the engine's own expressions (expressions.findings_expr), so
    they are shaped, windowed and counted exactly as the exact-ID ones: each linked record is
    read with `<dataset>#<record key>` in place of its ID number, joined to the member it is
    linked to, and given back the member's ID number. Its record key is suffixed with the
    record's own key, so it can sit beside an exact-ID record of the same thing."""
    import ibis

    links = confirmed_links_table(person_id_numbers)
    if links.num_rows == 0:
        return None
    linked_datasets = set(links.column("dataset").to_pylist())
    wanted = [s for s in snapshots if s.dataset in linked_datasets and s.dataset in ENGINE_DATASETS]
    if not wanted:
        return None
    con.register("identity_links", links)
    backend = duckdb_backend(con)
    tables = {}
    for s in wanted:
        name = f"identity_linked_{s.dataset}"
        key = record_key_sql("r")
        con.execute(f"""CREATE OR REPLACE TEMP VIEW {name} AS
            SELECT r.* REPLACE ('{s.dataset}#' || r.id_number AS id_number) FROM read_parquet('{s.path}') r
            WHERE r.id_number IN (SELECT record_key FROM identity_links WHERE dataset = '{s.dataset}')
            UNION ALL
            SELECT r.* REPLACE ('{s.dataset}#' || {key} AS id_number) FROM read_parquet('{s.path}') r
            WHERE r.id_number IS NULL AND {key} IN (SELECT record_key FROM identity_links WHERE dataset = '{s.dataset}')""")
        tables[s.dataset] = backend.table(name)
    links_t = backend.table("identity_links")
    aliases = members.join(links_t, members.id_number == links_t.person_id_number).select(
        id_number=links_t.dataset + "#" + links_t.record_key, household_id=members.household_id,
        person_id=members.person_id, chunk=members.chunk, person_id_number=members.id_number,
        raw_key=links_t.record_key)
    expr = findings_expr(tables, aliases, as_of=as_of, windows=windows_for(wanted))
    if expr is None:
        return None
    joined = expr.join(aliases, [expr.id_number == aliases.id_number, expr.person_id == aliases.person_id])
    columns = {}
    for name in FINDING_SCHEMA.names:
        if name == "id_number":
            columns[name] = aliases.person_id_number
        elif name == "record_key":
            columns[name] = expr.record_key + ibis.literal(" ⇐ ") + aliases.raw_key
        else:
            columns[name] = expr[name]
    return joined.select(**columns)


def write_linked_findings(con, findings_dir, snapshots, members, *, as_of: dt.date) -> int:
    """Batch runs (engine.write_findings): the linked findings written beside the engine's, in the
    same chunk partitions (`chunk=N/linked_*.parquet`), so everything that reads a chunk reads
    them too. Returns how many."""
    import ibis

    expr = linked_findings(con, snapshots, members, as_of=as_of)
    if expr is None:
        return 0
    sql = ibis.to_sql(expr, dialect="duckdb")
    con.execute(f"CREATE OR REPLACE TEMP TABLE identity_linked_findings AS {sql}")
    count = con.execute("SELECT count(*) FROM identity_linked_findings").fetchall()[0][0]
    if count:
        con.execute(f"COPY identity_linked_findings TO '{findings_dir}' (FORMAT parquet, PARTITION_BY (chunk), "
                    f"OVERWRITE_OR_IGNORE true, FILENAME_PATTERN 'linked_{{i}}', COMPRESSION zstd)")
    return int(count)


def linked_findings_online(con, snapshots, members: pa.Table, *, as_of: dt.date) -> pa.Table | None:
    """One household (online.OnlineCatalog.run): the linked findings of its members as Arrow in
    FINDING_SCHEMA, or None when none of them has a confirmed link (one indexed query)."""
    import ibis

    ids = [i for i in members.column("id_number").to_pylist() if i]
    con.register("identity_members", members)
    expr = linked_findings(con, snapshots, duckdb_backend(con).table("identity_members"), as_of=as_of,
                           person_id_numbers=ids)
    if expr is None:
        return None
    return con.sql(ibis.to_sql(expr, dialect="duckdb")).to_arrow_table().cast(FINDING_SCHEMA.to_pyarrow())
