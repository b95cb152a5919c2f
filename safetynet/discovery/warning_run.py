"""The monthly warning run of a county (issue 17 part 4; POLICY.md §6).

The county's registry persons (and households) go to DuckDB as Arrow tables once; each current
department snapshot is bound as a view (`verification.engine.bind_parquet`); one Ibis query per
rule in force finds its households:

- death: a member's death in the look-back months (public security);
- disability: a certificate of a chosen grade issued in the look-back months (disabled persons' federation);
- unemployment: an unemployment registration starting in the look-back months (HRSS);
- medical: the household's self-paid medical costs over the threshold in the last `months` months,
  from the medical insurance department's data and from each feed `settings.MEDICAL_COSTS_FEEDS`
  names (the settlements of medical assistance, `medical/feeds.py`): totalled per household for
  each source separately, and the larger total taken (they describe the same bills: never added);
- disaster: the household's address, or an area containing it, on a disaster list of the look-back months;
- income: the newest verification result's per-capita income under `margin_multiple` × standard
  (households not on dibao or special hardship).

Each finding has a fingerprint (the person; person+certificate; person+since; household+window;
household+event; household+verification result) unique across runs, so a run raises only what no
run raised before: running twice raises nothing new. One warning per household, cause and fact;
each new warning opens a lead for the household's own area (its grid) through
`services.open_leads`, or joins the household's open lead.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import asdict, dataclass, field
from decimal import Decimal

import ibis
import pyarrow as pa
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from safetynet.core.errors import ValidationError
from safetynet.core.scoping import Actor
from safetynet.core.unitofwork import unit_of_work
from safetynet.enrollments.models import LIVE_STATUSES, Enrollment
from safetynet.programs.catalogue import DIBAO, SPECIAL_HARDSHIP
from safetynet.registry.models import Household, Person
from safetynet.verification import engine, storage
from safetynet.verification.selectors import current_snapshot_refs

from . import register, services
from .models import Source
from .warning_models import MonitoredHousehold, RunStatus, Warning, WarningCause, WarningRule, WarningRun
from .warning_rules import LEAD_CAUSE, POPULATION_MONITORED, RULES, _county, rules_for_county

DATASETS = {WarningCause.DEATH: "public_security_deaths", WarningCause.DISABILITY: "disability_certificates",
            WarningCause.UNEMPLOYMENT: "unemployment", WarningCause.MEDICAL: "medical_costs",
            WarningCause.DISASTER: "disaster_addresses"}
LEAD_BATCH = 500
FETCH = 50_000
# What a feed of self-paid medical costs answers (`settings.MEDICAL_COSTS_FEEDS`): the columns of the
# department's `medical_costs` rows the medical rule reads.
MEDICAL_FEED_SCHEMA = pa.schema([("id_number", pa.string()), ("period_end", pa.date32()),
                                 ("self_paid", pa.decimal128(18, 2))])


@dataclass
class RunResult:
    run_id: int
    county: str
    month: str
    found: dict = field(default_factory=dict)      # {cause: households found this month}
    raised: int = 0
    already: int = 0                               # found, but raised by an earlier run
    leads_opened: int = 0
    leads_joined: int = 0
    refused: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def month_start(value) -> dt.date:
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value + "-01" if len(value) == 7 else value)
        except ValueError:
            raise ValidationError(_("Give the month as YYYY-MM."), field="month") from None
    if not isinstance(value, dt.date):
        raise ValidationError(_("Give the month as YYYY-MM."), field="month")
    return value.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(month: dt.date) -> dt.date:
    return add_months(month, 1) - dt.timedelta(days=1)


# ---------------------------------------------------------------------------------------------
# The county's people, as Arrow tables
# ---------------------------------------------------------------------------------------------
def _fetch(queryset, names: list[str], types: list) -> pa.Table:
    """A queryset's values as an Arrow table, read by the cursor in large batches."""
    sql, params = queryset.query.sql_with_params()
    columns = [[] for _n in names]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while True:
            rows = cursor.fetchmany(FETCH)
            if not rows:
                break
            for i, values in enumerate(zip(*rows)):
                columns[i].extend(values)
    return pa.table({n: pa.array(c, t) for n, c, t in zip(names, columns, types)})


fetch_arrow = _fetch   # the bulk reader other runs share (oversight's anomaly report)


def county_persons(county_code: str) -> pa.Table:
    return _fetch(Person.objects.filter(area__code__startswith=county_code, is_deceased=False)
                  .values_list("id", "household_id", "id_number"),
                  ["person_id", "household_id", "id_number"], [pa.int64(), pa.int64(), pa.string()])


def county_households(county_code: str) -> pa.Table:
    return _fetch(Household.objects.filter(area__code__startswith=county_code).values_list("id", "area_id", "address"),
                  ["household_id", "area_code", "address"], [pa.int64(), pa.string(), pa.string()])


def medical_feeds(county_code: str, start: dt.date, end: dt.date) -> dict[str, pa.Table]:
    """{dotted path: its rows} of each feed `settings.MEDICAL_COSTS_FEEDS` names, for the county's
    self-paid costs of periods ending from `start` to `end`.

    Why a setting: the settlements of medical assistance are in an app above discovery (the import
    order, docs/architecture.md), so the project names the functions, as it names
    `ASSIGNED_WORK_SCOPE`; each is `(county_code, start, end) -> pyarrow.Table` with the columns of
    `MEDICAL_FEED_SCHEMA` (cast to it here: a feed answering other columns fails the run loudly)."""
    out = {}
    for path in getattr(settings, "MEDICAL_COSTS_FEEDS", ()):
        table = import_string(path)(county_code, start, end)
        out[path] = table.select(MEDICAL_FEED_SCHEMA.names).cast(MEDICAL_FEED_SCHEMA)
    return out


def _feed_label(source: str) -> str:
    """A feed's name for people: its function's `feed_label`, else its dotted path."""
    try:
        return str(getattr(import_string(source), "feed_label", source))
    except ImportError:
        return source


# ---------------------------------------------------------------------------------------------
# One query per cause
# ---------------------------------------------------------------------------------------------
def _window(month: dt.date, months: int) -> tuple[dt.date, dt.date]:
    """The `months` months ending with the run's month, first and last day."""
    return add_months(month, 1 - months), month_end(month)


def _person_rows(t, persons, *, date_col: str, extra: dict, start: dt.date, end: dt.date, filter_=None):
    t = t.filter(t[date_col].notnull() & (t[date_col] >= start) & (t[date_col] <= end))
    if filter_ is not None:
        t = filter_(t)
    j = t.join(persons, "id_number")
    return j.select(household_id=j.household_id, person_id=j.person_id, on=j[date_col].cast("date"),
                    **{k: j[v].cast("string") for k, v in extra.items()})


def find_causes(con, tables: dict, persons, households, rule: WarningRule, month: dt.date,
                feeds: dict | None = None) -> list[dict]:
    """The rule's findings for the month: dicts with household_id, person_id, fingerprint, detail.
    `feeds`: {source: Ibis table} of the medical feeds, for the medical rule (`medical_feeds`)."""
    p = rule.parameters
    cause = rule.cause
    out = []
    if cause in (WarningCause.DEATH, WarningCause.DISABILITY, WarningCause.UNEMPLOYMENT):
        t = tables.get(DATASETS[cause])
        if t is None:
            return []
        start, end = _window(month, p["lookback_months"])
        if cause == WarningCause.DEATH:
            expr = _person_rows(t, persons, date_col="death_date", extra={}, start=start, end=end)
        elif cause == WarningCause.UNEMPLOYMENT:
            expr = _person_rows(t, persons, date_col="since", extra={"amount": "monthly_amount"}, start=start, end=end)
        else:
            grades = [str(g) for g in p["grades"]]
            expr = _person_rows(t, persons, date_col="issued_on", start=start, end=end,
                                extra={"certificate": "certificate_no", "grade": "grade", "category": "category"},
                                filter_=lambda t: t.filter(t.grade.isin(grades)))
        for row in con.to_pyarrow(expr).to_pylist():
            on = row.pop("on")
            key = {WarningCause.DEATH: f"death:{row['person_id']}",
                   WarningCause.UNEMPLOYMENT: f"unemployment:{row['person_id']}:{on}",
                   WarningCause.DISABILITY: f"disability:{row['person_id']}:{row.get('certificate')}"}[cause]
            detail = {"person": row["person_id"], "date": str(on), **{k: v for k, v in row.items()
                                                                      if k not in ("household_id", "person_id")}}
            out.append({"household_id": row["household_id"], "person_id": row["person_id"], "fingerprint": key,
                        "detail": detail})
    elif cause == WarningCause.MEDICAL:
        # The department's data and each feed are totalled per household separately; a household
        # is taken at its largest total (the department and our settlements describe the same bills:
        # adding them would count a bill twice). On equal totals the department's data names it.
        sources = {}
        if tables.get(DATASETS[cause]) is not None:
            sources[DATASETS[cause]] = tables[DATASETS[cause]]
        sources.update(feeds or {})
        start, end = _window(month, p["months"])
        threshold = Decimal(p["threshold"])
        best: dict[int, dict] = {}
        for source, t in sources.items():
            t = t.filter((t.period_end >= start) & (t.period_end <= end))
            j = t.join(persons, "id_number")
            g = j.group_by("household_id").aggregate(total=j.self_paid.sum(), persons=j.person_id.nunique(),
                                                      records=j.count())
            g = g.filter(g.total > ibis.literal(threshold, type="decimal(18,2)"))
            for row in con.to_pyarrow(g).to_pylist():
                held = best.get(row["household_id"])
                if held is None or row["total"] > held["total"]:
                    best[row["household_id"]] = {**row, "source": source}
        for household_id, row in sorted(best.items()):
            detail = {"total": f"{row['total']:.2f}", "threshold": p["threshold"], "persons": row["persons"],
                      "records": row["records"], "from": str(start), "to": str(end), "source": row["source"]}
            if row["source"] != DATASETS[cause]:
                detail["source_label"] = _feed_label(row["source"])
            out.append({"household_id": household_id, "person_id": None,
                        "fingerprint": f"medical:{household_id}:{start:%Y-%m}:{end:%Y-%m}", "detail": detail})
    elif cause == WarningCause.DISASTER:
        t = tables.get(DATASETS[cause])
        if t is None:
            return []
        start, end = _window(month, p["lookback_months"])
        d = t.filter((t.occurred_on >= start) & (t.occurred_on <= end))
        h = households
        by_area = d.filter(d.area_code.notnull()).join(
            h, h.area_code.substr(0, d.area_code.length()) == d.area_code)
        by_area = by_area.select(household_id=by_area.household_id, event=by_area.event, on=by_area.occurred_on,
                                 matched=ibis.literal("area"))
        by_address = d.filter(d.address.notnull()).join(h, h.address == d.address)
        by_address = by_address.select(household_id=by_address.household_id, event=by_address.event,
                                       on=by_address.occurred_on, matched=ibis.literal("address"))
        expr = ibis.union(by_area, by_address, distinct=True)
        for row in con.to_pyarrow(expr).to_pylist():
            out.append({"household_id": row["household_id"], "person_id": None,
                        "fingerprint": f"disaster:{row['household_id']}:{row['event']}"[:200],
                        "detail": {"event": row["event"], "date": str(row["on"]), "matched": row["matched"]}})
    # INCOME: income_causes (verification results are in the database, not a snapshot).
    return out


def income_causes(county_code: str, rule: WarningRule, month: dt.date) -> list[dict]:
    """Households whose newest verification result is under the rule's margin, not enrolled in
    dibao or special hardship."""
    found = register.margin_households(county_code, month, multiple=Decimal(rule.parameters["margin_multiple"]))
    enrolled = set(Enrollment.objects.filter(household_id__in=list(found), status__in=LIVE_STATUSES,
                                             program_id__in=(DIBAO, SPECIAL_HARDSHIP)).values_list("household_id", flat=True))
    return [{"household_id": h, "person_id": None, "fingerprint": f"income:{h}:{d['result']}", "detail": d}
            for h, d in found.items() if h not in enrolled]


def _recently_warned(cause: str, households: list[int], since: dt.date) -> set[int]:
    """Households warned for the cause since the day (a medical or income warning is not repeated
    while its window lasts, whatever new month or result comes)."""
    out = set()
    for start in range(0, len(households), 5000):
        out |= set(Warning.objects.filter(cause=cause, household_id__in=households[start:start + 5000],
                                          raised_on__gte=since).values_list("household_id", flat=True))
    return out


def _new_fingerprints(fingerprints: list[str]) -> set[str]:
    seen = set()
    for start in range(0, len(fingerprints), 5000):
        seen |= set(Warning.objects.filter(fingerprint__in=fingerprints[start:start + 5000])
                    .values_list("fingerprint", flat=True))
    return set(fingerprints) - seen


def _description(cause: str, detail: dict) -> str:
    if cause == WarningCause.MEDICAL:
        if detail.get("source_label"):
            return _("Self-paid medical costs ¥%(total)s from %(start)s to %(end)s (%(source)s).") % {
                "total": detail["total"], "start": detail["from"], "end": detail["to"], "source": detail["source_label"]}
        return _("Self-paid medical costs ¥%(total)s from %(start)s to %(end)s.") % {
            "total": detail["total"], "start": detail["from"], "end": detail["to"]}
    if cause == WarningCause.INCOME:
        return _("Per-capita income ¥%(income)s a month, under the margin ¥%(line)s.") % {
            "income": detail["per_capita_income"], "line": detail["line"]}
    if cause == WarningCause.DISASTER:
        return _("On the disaster list: %(event)s (%(date)s).") % {"event": detail["event"], "date": detail["date"]}
    return _("Department data: %(cause)s (%(date)s).") % {"cause": WarningCause(cause).label, "date": detail.get("date", "")}


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------
def run_warnings(actor: Actor, county_code: str, month, *, progress=None) -> RunResult:
    """Run the county's rules in force for the month; raise each new warning and open (or join)
    its household's lead. Idempotent (fingerprints): a second run raises nothing new."""
    actor.require(RULES)
    county = _county(actor, county_code)
    month = month_start(month)
    started = time.monotonic()
    progress = progress or (lambda done, total: None)
    rules = rules_for_county(county.code)
    refs = [r for r in current_snapshot_refs() if r.dataset in DATASETS.values()]
    run = WarningRun.objects.create(county=county, month=month, started_at=timezone.now(), started_by_id=actor.user_id,
                                    snapshots={r.dataset: r.id for r in refs})
    result = RunResult(run.pk, county.code, month.strftime("%Y-%m"))
    try:
        steps = len(rules) + 1
        found: list[tuple[WarningRule, dict]] = []
        monitored = None
        persons_arrow = county_persons(county.code)
        households_arrow = county_households(county.code)
        con = storage.connect()
        try:
            tables = engine.bind_parquet(con, refs)
            con.register("warn_persons", persons_arrow)
            con.register("warn_households", households_arrow)
            backend = engine.duckdb_backend(con)
            persons, households = backend.table("warn_persons"), backend.table("warn_households")
            feeds = {}
            if WarningCause.MEDICAL in rules:
                start, end = _window(month, rules[WarningCause.MEDICAL].parameters["months"])
                for number, (source, table) in enumerate(medical_feeds(county.code, start, end).items()):
                    con.register(f"warn_medical_feed_{number}", table)
                    feeds[source] = backend.table(f"warn_medical_feed_{number}")
            for number, (cause, rule) in enumerate(sorted(rules.items()), start=1):
                rows = (income_causes(county.code, rule, month) if cause == WarningCause.INCOME
                        else find_causes(backend, tables, persons, households, rule, month, feeds=feeds))
                if rule.parameters.get("population") == POPULATION_MONITORED:
                    if monitored is None:
                        monitored = set(MonitoredHousehold.objects.filter(area__code__startswith=county.code,
                                                                          until__isnull=True)
                                        .values_list("household_id", flat=True))
                    rows = [r for r in rows if r["household_id"] in monitored]
                if cause in (WarningCause.MEDICAL, WarningCause.INCOME):
                    months = rule.parameters.get("months", 12)
                    recent = _recently_warned(cause, [r["household_id"] for r in rows], add_months(month, 1 - months))
                    rows = [r for r in rows if r["household_id"] not in recent]
                # DuckDB answers in no set order; leads open (and are numbered) in the facts' order.
                rows.sort(key=lambda r: r["fingerprint"])
                result.found[cause] = len({r["household_id"] for r in rows})
                found.extend((rule, r) for r in rows)
                progress(number, steps)
        finally:
            con.close()
        _raise(actor, run, found, result, month)
        progress(steps, steps)
    except Exception as error:
        WarningRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, finished_at=timezone.now(),
                                                    error=str(error)[:500])
        raise
    result.seconds = round(time.monotonic() - started, 2)
    WarningRun.objects.filter(pk=run.pk).update(status=RunStatus.DONE, finished_at=timezone.now(), counts=result.as_dict(),
                                                seconds=result.seconds)
    return result


def _raise(actor: Actor, run: WarningRun, found: list[tuple[WarningRule, dict]], result: RunResult, month: dt.date) -> None:
    """The new warnings (unseen fingerprints, one per household and cause), with their leads."""
    new = _new_fingerprints([r["fingerprint"] for _rule, r in found])
    result.already = len({r["fingerprint"] for _rule, r in found} - new)
    # One warning per household and cause and fact: two members' deaths in one month are two
    # warnings (each fingerprint is raised once), on the household's one lead (open_leads joins).
    pending, taken = [], set()
    for rule, row in found:
        if row["fingerprint"] not in new or row["fingerprint"] in taken:
            continue
        taken.add(row["fingerprint"])
        pending.append((rule, row))
    areas = {}
    ids = sorted({row["household_id"] for _rule, row in pending})
    for start in range(0, len(ids), 5000):
        areas.update(Household.objects.filter(pk__in=ids[start:start + 5000]).values_list("pk", "area_id"))
    day = services.today()
    for start in range(0, len(pending), LEAD_BATCH):
        batch = pending[start:start + LEAD_BATCH]
        with unit_of_work(size_hint=len(batch) * 4) as uow:
            items = [services.LeadInput(source=Source.WARNING, cause=LEAD_CAUSE[rule.cause], level=rule.level,
                                        household_id=row["household_id"], person_id=row["person_id"],
                                        description=_description(rule.cause, row["detail"]))
                     for rule, row in batch]
            opened = services.open_leads(uow, actor, items)
            for (rule, row), outcome in zip(batch, opened):
                if outcome.error is not None or outcome.lead is None:
                    result.refused += 1
                    continue
                if outcome.joined:
                    result.leads_joined += 1
                else:
                    result.leads_opened += 1
                uow.insert_unkeyed(Warning(
                    fingerprint=row["fingerprint"][:200], rule_id=rule.pk, run_id=run.pk, cause=rule.cause, level=rule.level,
                    household_id=row["household_id"], person_id=row["person_id"],
                    area_id=areas.get(row["household_id"], outcome.lead.area_id), raised_on=day,
                    detail={"month": month.strftime("%Y-%m"), **row["detail"]}, lead_id=outcome.lead.pk))
                result.raised += 1
            uow.record_event(actor=actor, action="discovery.raise_warnings", object_type="discovery.warningrun",
                             object_id=run.pk, after={"raised": result.raised, "batch": start // LEAD_BATCH})
