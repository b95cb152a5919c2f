"""The verification engine's queries, written once with Ibis (DESIGN.md §4 Batch data).

The same expressions run on DuckDB (one machine: the default, the online report and the
benchmarks) and on PySpark (a province that outgrows one machine; tests/test_verification_spark.py
runs them in local mode and compares). Nothing here executes anything: callers bind the tables
(`members`, `households`, one table per dataset) on their backend and run the result.

- `findings_expr`: every record of every member in every snapshot, by exact 18-digit ID
  number, as rows (household, member, source, item, value, date). Monthly wage and tax rows are
  summed per employer over the income window and averaged per month; the rest is one finding
  per record.
- `member_totals_expr`: per member, income found by category and whether a death is reported.
- `household_totals_expr`: per household, assets found by category beside what it declared.

assessment.py turns the totals into the assessment; engine.py orchestrates.

Money stays exact: amounts are DECIMAL(14, 2); a monthly average is computed in whole cents
with integer arithmetic (half up), identical on both backends.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt_types

from .schemas import DATASETS, EXCLUDED_PENSION_KINDS, EXEMPT_VEHICLE_TYPES

INCOME_MONTHS = 12   # income is averaged over the 12 whole months before the snapshot (common local practice)
MONEY = dt_types.Decimal(14, 2)
VALUE = dt_types.Decimal(16, 2)

FINDING_SCHEMA = ibis.schema({
    "household_id": "int64", "person_id": "int64", "chunk": "int32", "id_number": "string", "source": "string",
    "department": "string", "item": "string", "counted": "boolean", "monthly_amount": MONEY, "value": VALUE,
    "subject": "string", "detail": "string", "record_date": "date", "record_key": "string",
})
MEMBER_SCHEMA = ibis.schema({
    "household_id": "int64", "person_id": "int64", "chunk": "int32", "id_number": "string", "name": "string",
    "birth_date": "date", "disability_type": "string", "disability_grade": "int16", "serious_illness": "boolean",
    "is_deceased": "boolean",
})
HOUSEHOLD_SCHEMA = ibis.schema({
    "household_id": "int64", "area_code": "string", "is_urban": "boolean", "chunk": "int32",
    "declared_wages": MONEY, "declared_pension": MONEY, "declared_unemployment": MONEY, "declared_other_income": MONEY,
    "declared_deposit": VALUE, "declared_securities": VALUE, "declared_insurance": VALUE, "declared_other_financial": VALUE,
    "declared_home": "int32", "declared_non_residential": "int32", "declared_vehicle": "int32",
    "declared_mobility_vehicle": "int32", "declared_business": "int32",
})


@dataclass(frozen=True)
class Window:
    """The months whose wages (and taxable income) count: the INCOME_MONTHS whole months before
    the month the snapshot was taken."""

    first: dt.date
    last: dt.date

    @classmethod
    def before(cls, taken_on: dt.date) -> "Window":
        month = taken_on.replace(day=1)
        last = (month - dt.timedelta(days=1)).replace(day=1)
        first = last
        for _ in range(INCOME_MONTHS - 1):
            first = (first - dt.timedelta(days=1)).replace(day=1)
        return cls(first, last)


def _null(type_):
    return ibis.literal(None, type=type_)


def _text(value) -> ibis.Value:
    return value.cast("string")


RECORD_COLUMNS = [n for n in FINDING_SCHEMA.names if n not in ("household_id", "person_id", "chunk")]


def _finding(t, *, source: str, item, counted, monthly_amount=None, value=None, subject=None, detail=None,
             record_date=None, record_key) -> ibis.Table:
    """One dataset's records in the findings' shape, still keyed by ID number only (the members'
    household and person are attached once, after the union: one join instead of one per dataset)."""
    department = DATASETS[source].department
    return t.select(
        id_number=t.id_number, source=ibis.literal(source), department=ibis.literal(str(department)),
        item=item if isinstance(item, ibis.Value) else ibis.literal(item),
        counted=counted if isinstance(counted, ibis.Value) else ibis.literal(counted),
        monthly_amount=(monthly_amount.cast(MONEY) if monthly_amount is not None else _null(MONEY)),
        value=(value.cast(VALUE) if value is not None else _null(VALUE)),
        subject=(subject.cast("string") if subject is not None else _null("string")),
        detail=(detail.cast("string") if detail is not None else _null("string")),
        record_date=(record_date.cast("date") if record_date is not None else _null("date")),
        record_key=record_key.cast("string") if isinstance(record_key, ibis.Value) else ibis.literal(record_key),
    )


def _cents_to_money(cents):
    return (cents.cast("float64") / 100).cast(MONEY)


def _monthly_average(total):
    """sum / INCOME_MONTHS in whole cents, half up (exact on every backend)."""
    cents = (total * 100).cast("int64")
    return _cents_to_money((cents * 2 + INCOME_MONTHS) // (2 * INCOME_MONTHS))


def _monthly_rows(t, keys, *, source, item, counted, amount, window: Window, secondary=None):
    w = t.filter((t.month >= window.first) & (t.month <= window.last))
    g = w.group_by(["id_number", keys]).aggregate(
        total=w[amount].sum(), months=w.count(), last=w.month.max(),   # one row per month: the key says so
        **({"second": w[secondary].sum()} if secondary else {}))
    detail = "months:" + _text(g.months)
    if secondary:
        detail = detail + ";" + secondary + ":" + _text(_monthly_average(g.second))
    return _finding(g, source=source, item=item, counted=counted, monthly_amount=_monthly_average(g.total),
                    subject=g[keys], detail=detail, record_date=g.last, record_key=g[keys])


def _dataset_findings(code: str, t, *, as_of: dt.date, window: Window | None) -> ibis.Table:
    if code == "hrss_wages":
        return _monthly_rows(t, "employer", source=code, item="wages", counted=True, amount="net_wage", window=window,
                             secondary="gross_wage")
    if code == "tax_income":
        return _monthly_rows(t, "withholder", source=code, item="taxable_income", counted=False, amount="taxable_income",
                             window=window)
    if code == "pensions":
        excluded = t.kind.isin(list(EXCLUDED_PENSION_KINDS))
        return _finding(t, source=code, item=excluded.ifelse("excluded_basic_pension", "pension"), counted=~excluded,
                        monthly_amount=t.monthly_amount, subject=t.kind, detail=t.kind, record_date=t.since, record_key=t.kind)
    if code == "unemployment":
        live = t.filter(t.until.isnull() | (t.until >= as_of))
        return _finding(live, source=code, item="unemployment", counted=True, monthly_amount=live.monthly_amount,
                        record_date=live.since, record_key=live.since.cast("string").fill_null(""))
    if code == "real_estate":
        residential = t.use == "residential"
        return _finding(t, source=code, item=residential.ifelse("home", "non_residential"), counted=True, subject=t.address,
                        detail=t.use + ";" + _text(t.area_m2).fill_null(""), record_date=t.registered_on, record_key=t.address)
    if code == "businesses":
        return _finding(t, source=code, item="business", counted=True, value=t.registered_capital, subject=t.company,
                        detail=t.role, record_date=t.registered_on, record_key=t.company + "|" + t.role)
    if code == "vehicles":
        exempt = t.vehicle_type.isin(list(EXEMPT_VEHICLE_TYPES))
        return _finding(t, source=code, item=exempt.ifelse("mobility_vehicle", "vehicle"), counted=True, subject=t.plate,
                        detail=t.vehicle_type, record_date=t.registered_on, record_key=t.plate)
    if code == "provident_fund":
        return _finding(t, source=code, item="provident_fund", counted=False, monthly_amount=t.monthly_deposit,
                        value=t.balance, record_date=t.as_of, record_key="provident_fund")
    if code == "deposits":
        return _finding(t, source=code, item="deposit", counted=True, value=t.balance, subject=t.bank,
                        record_date=t.as_of, record_key=t.bank)
    if code == "securities":
        return _finding(t, source=code, item="securities", counted=True, value=t.market_value, subject=t.broker,
                        record_date=t.as_of, record_key=t.broker)
    if code == "insurance":
        return _finding(t, source=code, item="insurance", counted=True, value=t.cash_value, subject=t.insurer,
                        detail=t.policy_no, record_date=t.as_of, record_key=t.insurer + "|" + t.policy_no)
    if code == "medical_costs":
        recent = t.filter(t.period_end > window.first)
        return _finding(recent, source=code, item="medical_self_paid", counted=False, value=recent.self_paid,
                        record_date=recent.period_end, record_key=recent.period_end.cast("string"))
    if code == "public_security_deaths":
        return _finding(t, source=code, item="death", counted=False, record_date=t.death_date, record_key="death")
    raise KeyError(code)


# Datasets the engine reads (registrations serve identity resolution only).
ENGINE_DATASETS = tuple(code for code, d in DATASETS.items() if d.finding)


def findings_expr(tables: dict, members: ibis.Table, *, as_of: dt.date, windows: dict[str, Window],
                  only_ids: list[str] | None = None) -> ibis.Table | None:
    """All findings of `members` in the snapshot `tables` ({dataset code: table}); None when no
    snapshot is given. Each snapshot is first narrowed to the members' ID numbers: by a semi-join
    on the members (batch), or by `only_ids`, a literal list the index answers without a scan
    (the online report); the records are then shaped per dataset, united, and joined once with
    the members for their household and person."""
    keys = members.select("id_number", "household_id", "person_id", "chunk")
    parts = []
    for code in ENGINE_DATASETS:
        t = tables.get(code)
        if t is None:
            continue
        if only_ids is not None:
            t = t.filter(t.id_number.isin(only_ids))
        else:
            t = t.filter(t.id_number.isin(keys.id_number))
        window = windows.get(code) or Window.before(as_of)
        parts.append(_dataset_findings(code, t, as_of=as_of, window=window))
    if not parts:
        return None
    records = ibis.union(*parts, distinct=False) if len(parts) > 1 else parts[0]
    joined = records.join(keys, "id_number")
    return joined.select(household_id=joined.household_id.cast("int64"), person_id=joined.person_id.cast("int64"),
                         chunk=joined.chunk.cast("int32"), **{name: joined[name] for name in RECORD_COLUMNS})


def empty_findings() -> ibis.Table:
    import pyarrow as pa

    return ibis.memtable(pa.Table.from_pylist([], schema=FINDING_SCHEMA.to_pyarrow()))


def _member_found(findings: ibis.Table, members: ibis.Table) -> ibis.Table:
    """Each member with the income found for him, by kind, and whether a death is reported."""
    f = findings
    agg = f.group_by("person_id").aggregate(
        found_wages=f.monthly_amount.sum(where=f.item == "wages"),
        found_pension=f.monthly_amount.sum(where=f.item == "pension"),
        found_unemployment=f.monthly_amount.sum(where=f.item == "unemployment"),
        found_excluded_pension=f.monthly_amount.sum(where=f.item == "excluded_basic_pension"),
        deaths=f.count(where=f.item == "death"),
    )
    joined = members.left_join(agg, members.person_id == agg.person_id)
    registry_dead = members.is_deceased.fill_null(False)
    reported_dead = agg.deaths.fill_null(0) > 0
    return joined.select(
        household_id=members.household_id, person_id=members.person_id, name=members.name.fill_null(""),
        birth_date=members.birth_date, disability_type=members.disability_type.fill_null(""),
        disability_grade=members.disability_grade, serious_illness=members.serious_illness.fill_null(False),
        living=~(registry_dead | reported_dead), newly_dead=reported_dead & ~registry_dead,
        found_wages=agg.found_wages.fill_null(0).cast(MONEY), found_pension=agg.found_pension.fill_null(0).cast(MONEY),
        found_unemployment=agg.found_unemployment.fill_null(0).cast(MONEY),
        found_excluded_pension=agg.found_excluded_pension.fill_null(0).cast(MONEY),
    )


def member_totals_expr(findings: ibis.Table, members: ibis.Table) -> ibis.Table:
    """The living members, with the counted income found for each (wages net, pensions,
    unemployment benefit), ordered by household and person."""
    m = _member_found(findings, members)
    living = m.filter(m.living)
    return living.select(
        "household_id", "person_id", "name", "birth_date", "disability_type", "disability_grade", "serious_illness",
        income=(living.found_wages + living.found_pension + living.found_unemployment).cast(MONEY),
    ).order_by(["household_id", "person_id"])


def household_totals_expr(findings: ibis.Table, members: ibis.Table, households: ibis.Table) -> ibis.Table:
    """Per household, the verified figures (assessment.py docstring; POLICY.md §1): for each
    category a department covers, the larger of declared and found; income found only for
    living members; the central basic pension for residents found but not counted."""
    f = findings
    assets = f.group_by("household_id").aggregate(
        found_deposit=f.value.sum(where=f.item == "deposit"),
        found_securities=f.value.sum(where=f.item == "securities"),
        found_insurance=f.value.sum(where=f.item == "insurance"),
        found_home=f.count(where=f.item == "home"),
        found_non_residential=f.count(where=f.item == "non_residential"),
        found_vehicle=f.count(where=f.item == "vehicle"),
        found_mobility_vehicle=f.count(where=f.item == "mobility_vehicle"),
        found_business=f.subject.nunique(where=f.item == "business"),
        findings=f.count(),
    )
    m = _member_found(findings, members)
    people = m.group_by("household_id").aggregate(
        living=m.count(where=m.living),
        deceased=m.count(where=m.newly_dead),
        found_wages=m.found_wages.sum(where=m.living),
        found_pension=m.found_pension.sum(where=m.living),
        found_unemployment=m.found_unemployment.sum(where=m.living),
        found_excluded_pension=m.found_excluded_pension.sum(where=m.living),
    )
    h = households
    joined = h.left_join(assets, h.household_id == assets.household_id).left_join(people, h.household_id == people.household_id)

    def money(value, type_=MONEY):
        return value.fill_null(0).cast(type_)

    def count(value):
        return value.fill_null(0).cast("int64")

    found_wages = money(people.found_wages)
    wages = ibis.greatest(h.declared_wages.fill_null(0), found_wages).cast(MONEY)
    pension = ibis.greatest(h.declared_pension.fill_null(0), money(people.found_pension)).cast(MONEY)
    unemployment = ibis.greatest(h.declared_unemployment.fill_null(0), money(people.found_unemployment)).cast(MONEY)
    other_income = money(h.declared_other_income)
    deposit = ibis.greatest(h.declared_deposit.fill_null(0), money(assets.found_deposit, VALUE)).cast(VALUE)
    securities = ibis.greatest(h.declared_securities.fill_null(0), money(assets.found_securities, VALUE)).cast(VALUE)
    insurance = ibis.greatest(h.declared_insurance.fill_null(0), money(assets.found_insurance, VALUE)).cast(VALUE)
    other_financial = money(h.declared_other_financial, VALUE)
    return joined.select(
        household_id=h.household_id, area_code=h.area_code, is_urban=h.is_urban.fill_null(False), chunk=h.chunk,
        living=count(people.living), deceased=count(people.deceased),
        wages=wages, pension=pension, unemployment=unemployment, other_income=other_income,
        excluded_basic_pension=money(people.found_excluded_pension),
        counted_income=(wages + pension + unemployment + other_income).cast(MONEY),
        deposit=deposit, securities=securities, insurance=insurance, other_financial=other_financial,
        financial=(deposit + securities + insurance + other_financial).cast(VALUE),
        home=ibis.greatest(count(h.declared_home), count(assets.found_home)),
        non_residential=ibis.greatest(count(h.declared_non_residential), count(assets.found_non_residential)),
        vehicle=ibis.greatest(count(h.declared_vehicle), count(assets.found_vehicle)),
        mobility_vehicle=ibis.greatest(count(h.declared_mobility_vehicle), count(assets.found_mobility_vehicle)),
        business=ibis.greatest(count(h.declared_business), count(assets.found_business)),
        found_wages=found_wages, declared_wages=money(h.declared_wages), findings=count(assets.findings),
    ).order_by("household_id")


def household_report_expr(findings: ibis.Table, members: ibis.Table, households: ibis.Table) -> ibis.Table:
    """household_totals_expr with each household's living members (member_totals_expr) as a list:
    one statement instead of two for the online report, where a statement's fixed cost is most
    of the time."""
    m = _member_found(findings, members)
    living = m.filter(m.living)
    income = (living.found_wages + living.found_pension + living.found_unemployment).cast(MONEY)
    lists = living.group_by("household_id").aggregate(
        members=ibis.struct({"person_id": living.person_id, "name": living.name, "birth_date": living.birth_date,
                             "disability_type": living.disability_type, "disability_grade": living.disability_grade,
                             "serious_illness": living.serious_illness, "income": income}).collect(order_by=living.person_id))
    t = household_totals_expr(findings, members, households)
    joined = t.left_join(lists, t.household_id == lists.household_id)
    return joined.select(*[t[name] for name in t.columns], members=lists.members).order_by(t.household_id)


def _json_object(pairs) -> ibis.Value:
    """A JSON object as text, built with string functions every backend has: amounts quoted
    with their 2 places ("900.00"), counts bare."""
    parts = []
    for key, value, quoted in pairs:
        text = value.cast("string")
        parts.append(ibis.literal(f'"{key}":' + ('"' if quoted else "")) + text + ibis.literal('"' if quoted else ""))
    out = parts[0]
    for part in parts[1:]:
        out = out + ibis.literal(",") + part
    return ibis.literal("{") + out + ibis.literal("}")


INCOME_JSON = (("wages", True), ("pension", True), ("unemployment", True), ("other", True), ("excluded_basic_pension", True))
ASSET_JSON = (("deposit", True), ("securities", True), ("insurance", True), ("other_financial", True), ("home", False),
              ("non_residential", False), ("vehicle", False), ("mobility_vehicle", False), ("business", False))


def household_rows_expr(findings: ibis.Table, members: ibis.Table, households: ibis.Table) -> ibis.Table:
    """household_totals_expr as a batch stores it: the verified income and assets as JSON text,
    amounts the rule does not read as text, and whether found wages exceed declared ones."""
    t = household_totals_expr(findings, members, households)
    return t.select(
        "household_id", "area_code", "is_urban", "chunk", "living", "deceased", "counted_income", "financial",
        "home", "non_residential", "vehicle", "mobility_vehicle", "business",
        undeclared_wages=t.found_wages > t.declared_wages,
        found_wages_text=t.found_wages.cast("string"), declared_wages_text=t.declared_wages.cast("string"),
        income_json=_json_object([(k, t[k if k != "other" else "other_income"], q) for k, q in INCOME_JSON]),
        assets_json=_json_object([(k, t[k], q) for k, q in ASSET_JSON]),
    ).order_by("household_id")
