"""The same Ibis expressions on PySpark (local mode) and on DuckDB give the same findings, totals
and flags (issue 4, DESIGN.md §4). Marked `spark`: not in the default run.

    .venv/bin/pip install -e .[spark] && .venv/bin/pytest -m spark

Skipped when pyspark (or Java) is missing."""
from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytestmark = pytest.mark.spark
pyspark = pytest.importorskip("pyspark")
if shutil.which("java") is None:  # pragma: no cover
    pytest.skip("Java is needed for PySpark", allow_module_level=True)

from safetynet.core.idnumbers import make_id_number  # noqa: E402
from safetynet.verification import engine  # noqa: E402
from safetynet.verification.demo_data import _arrow, legacy_id  # noqa: E402
from safetynet.verification.expressions import HOUSEHOLD_SCHEMA, MEMBER_SCHEMA  # noqa: E402
from safetynet.verification.schemas import DATASETS  # noqa: E402
from tests.programs_helpers import dibao_params  # noqa: E402

AS_OF = dt.date(2026, 11, 15)
TAKEN = dt.date(2026, 11, 1)
MONTHS = [dt.date(2025, 11, 1) + dt.timedelta(days=31 * i) for i in range(12)]
MONTHS = [m.replace(day=1) for m in MONTHS]


def person(n: int, year: int = 1975) -> dict:
    birth = dt.date(year, 1 + n % 12, 1 + n % 27)
    return {"person_id": n, "id_number": make_id_number("130123", birth, n % 90, "male" if n % 2 else "female"),
            "name": f"人{n}", "birth_date": birth}


def world():
    """Six households, facts planted on five, noise rows of strangers, a legacy-ID record."""
    households = {1: [1, 2, 3], 2: [4, 5], 3: [6], 4: [7, 8], 5: [9, 10, 11], 6: [12, 13]}
    people = {n: person(n, 1960 + n) for ids in households.values() for n in ids}
    members = {name: [] for name in MEMBER_SCHEMA.names}
    for household_id, ids in households.items():
        for n in ids:
            p = people[n]
            for key, value in (("household_id", household_id), ("person_id", n), ("chunk", 0), ("id_number", p["id_number"]),
                               ("name", p["name"]), ("birth_date", p["birth_date"]), ("disability_type", ""),
                               ("disability_grade", None), ("serious_illness", False), ("is_deceased", False)):
                members[key].append(value)
    house = {name: [] for name in HOUSEHOLD_SCHEMA.names}
    for household_id in households:
        values = {"household_id": household_id, "area_code": "130123100001", "is_urban": False, "chunk": 0}
        for name in HOUSEHOLD_SCHEMA.names[4:]:
            values[name] = Decimal("0") if HOUSEHOLD_SCHEMA[name].is_decimal() else 0
        values["declared_wages"] = Decimal("800") if household_id == 1 else Decimal("0")
        values["declared_home"] = 1
        for name in HOUSEHOLD_SCHEMA.names:
            house[name].append(values[name])
    stranger = person(99, 1950) | {"id_number": make_id_number("410102", dt.date(1950, 2, 2), 3, "male")}
    who = lambda n: {k: people[n][k] for k in ("id_number", "name", "birth_date")} | {"resident_address": None}  # noqa: E731
    rows = {code: [] for code in DATASETS}
    for m in MONTHS:
        rows["hrss_wages"].append(who(1) | {"employer": "甲公司", "month": m, "gross_wage": Decimal("1000"), "net_wage": Decimal("800")})
        rows["hrss_wages"].append(who(4) | {"employer": "乙公司", "month": m, "gross_wage": Decimal("1500.55"), "net_wage": Decimal("1234.57")})
        rows["tax_income"].append(who(4) | {"withholder": "乙公司", "month": m, "taxable_income": Decimal("100"), "tax_paid": Decimal("3")})
    rows["hrss_wages"].append(who(1) | {"employer": "甲公司", "month": dt.date(2024, 1, 1), "gross_wage": Decimal("9"), "net_wage": Decimal("9")})
    rows["pensions"] += [who(6) | {"kind": "resident_basic", "monthly_amount": Decimal("180"), "since": dt.date(2015, 1, 1)},
                         who(6) | {"kind": "enterprise", "monthly_amount": Decimal("300"), "since": dt.date(2015, 1, 1)}]
    rows["unemployment"] += [who(7) | {"monthly_amount": Decimal("1500"), "since": dt.date(2026, 6, 1), "until": dt.date(2027, 6, 1)},
                             who(8) | {"monthly_amount": Decimal("1500"), "since": dt.date(2024, 1, 1), "until": dt.date(2025, 1, 1)}]
    rows["vehicles"] += [who(2) | {"plate": "冀A00001", "vehicle_type": "car", "registered_on": dt.date(2020, 1, 1)},
                         who(3) | {"plate": "冀A00002", "vehicle_type": "e_bike", "registered_on": dt.date(2021, 1, 1)},
                         {**who(9), "id_number": legacy_id(people[9]["id_number"]), "plate": "冀A00003", "vehicle_type": "car"}]
    rows["real_estate"] += [who(9) | {"address": "一号", "use": "residential", "area_m2": 80.0},
                            who(10) | {"address": "二号", "use": "residential", "area_m2": 95.5},
                            who(12) | {"address": "三号", "use": "non_residential", "area_m2": 30.0}]
    rows["businesses"] += [who(13) | {"company": "丙公司", "role": "legal_rep", "registered_capital": Decimal("100000")},
                           who(13) | {"company": "丙公司", "role": "shareholder", "registered_capital": Decimal("100000")}]
    rows["deposits"] += [who(5) | {"bank": "中国银行", "balance": Decimal("60000"), "as_of": TAKEN},
                         who(11) | {"bank": "中国银行", "balance": Decimal("100.10"), "as_of": TAKEN}]
    rows["securities"].append(who(11) | {"broker": "中信", "market_value": Decimal("200.20"), "as_of": TAKEN})
    rows["insurance"].append(who(11) | {"insurer": "人寿", "policy_no": "P1", "cash_value": Decimal("300.30"), "as_of": TAKEN})
    rows["provident_fund"].append(who(4) | {"monthly_deposit": Decimal("150"), "balance": Decimal("9000"), "as_of": TAKEN})
    rows["medical_costs"] += [who(10) | {"self_paid": Decimal("5000"), "period_end": dt.date(2026, 3, 31)},
                              who(10) | {"self_paid": Decimal("1"), "period_end": dt.date(2024, 3, 31)}]
    rows["public_security_deaths"].append(who(8) | {"death_date": dt.date(2026, 8, 1)})
    for code in rows:
        if code != "public_security_registrations":
            template = dict(rows[code][0]) if rows[code] else None
            if template:
                rows[code].append(template | {"id_number": stranger["id_number"], "plate": "冀Z99999"} if code == "vehicles"
                                  else template | {"id_number": stranger["id_number"]})
    return pa.table(members, schema=MEMBER_SCHEMA.to_pyarrow()), pa.table(house, schema=HOUSEHOLD_SCHEMA.to_pyarrow()), rows


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("spark")
    members, households, rows = world()
    pq.write_table(members, folder / "members.parquet")
    pq.write_table(households, folder / "households.parquet")
    snapshots = []
    for number, (code, data) in enumerate(sorted(rows.items()), start=1):
        if not data:
            continue
        table = _arrow(DATASETS[code], data)
        table = table.append_column("id_kind", pa.array(["exact"] * table.num_rows))
        path = folder / f"{code}.parquet"
        pq.write_table(table, path)
        snapshots.append(engine.SnapshotRef(number, code, TAKEN, path))
    return folder, snapshots


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("safetynet-verification-test")
               .config("spark.ui.enabled", "false").config("spark.sql.session.timeZone", "Asia/Shanghai")
               .config("spark.sql.shuffle.partitions", "4").getOrCreate())
    yield session
    session.stop()


def on_duckdb(folder, snapshots):
    import duckdb
    import ibis

    con = duckdb.connect()
    backend = ibis.duckdb.from_connection(con)
    tables = {s.dataset: backend.read_parquet(str(s.path), table_name=f"ds_{s.dataset}") for s in snapshots}
    members = backend.read_parquet(str(folder / "members.parquet"), table_name="members")
    households = backend.read_parquet(str(folder / "households.parquet"), table_name="households")
    return engine.run_expressions(backend, tables, members, households, as_of=AS_OF, windows=engine.windows_for(snapshots))


def on_spark(spark, folder, snapshots):
    import ibis

    backend = ibis.pyspark.connect(spark)
    tables = {s.dataset: backend.read_parquet(str(s.path), table_name=f"ds_{s.dataset}") for s in snapshots}
    members = backend.read_parquet(str(folder / "members.parquet"), table_name="members")
    households = backend.read_parquet(str(folder / "households.parquet"), table_name="households")
    return engine.run_expressions(backend, tables, members, households, as_of=AS_OF, windows=engine.windows_for(snapshots))


def _rows(table: pa.Table, sort: list[str]) -> list[dict]:
    rows = table.to_pylist()
    for row in rows:
        for key, value in row.items():
            if isinstance(value, Decimal):
                row[key] = value.quantize(Decimal("0.01"))
            elif isinstance(value, float):
                row[key] = round(value, 6)
    return sorted(rows, key=lambda r: tuple(str(r[k]) for k in sort))


def _flags(member_rows, household_rows):
    resolver = engine.ParameterResolver(AS_OF, resolve=lambda area, urban: dibao_params())
    return {a.household_id: (a.flags, a.counted_income, a.financial_assets, a.homes, a.eligible, a.amount)
            for a in engine.assess_totals(engine.iter_totals(member_rows, household_rows), resolver, AS_OF)}


def test_duckdb_and_spark_agree(spark, files):
    folder, snapshots = files
    duck = on_duckdb(folder, snapshots)
    sparked = on_spark(spark, folder, snapshots)
    key = ["household_id", "person_id", "source", "item", "record_key"]
    duck_findings = _rows(duck[0], key)
    spark_findings = _rows(sparked[0].select(duck[0].column_names), key)
    assert len(duck_findings) == 20
    assert spark_findings == duck_findings
    assert _rows(sparked[1].select(duck[1].column_names), ["person_id"]) == _rows(duck[1], ["person_id"])
    assert _rows(sparked[2].select(duck[2].column_names), ["household_id"]) == _rows(duck[2], ["household_id"])
    flags = _flags(duck[1], duck[2])
    assert _flags(sparked[1], sparked[2]) == flags
    assert {h: f[0] for h, f in flags.items()} == {
        1: ["vehicle"], 2: ["financial_assets_over_limit", "undeclared_wages"],
        3: [], 4: ["income_over_standard", "member_deceased"], 5: ["more_than_one_home"],
        6: ["non_residential_property", "business"],
    }
    wages = next(r for r in duck_findings if r["source"] == "hrss_wages" and r["person_id"] == 4)
    assert wages["monthly_amount"] == Decimal("1234.57") and wages["detail"] == "months:12;gross_wage:1500.55"
    assert flags[3][1] == Decimal("300.00")       # the resident basic pension is not counted
