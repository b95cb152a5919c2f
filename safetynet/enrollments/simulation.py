"""Policy simulation: "what if the dibao standard (or an increment, or an asset limit) changed
from month M?" over a county's real enrollments and its registry, changing nothing (issue 5
part 4; POLICY.md §1).

Every household of the county is assessed by `programs.rules.assess_dibao`, the rule the cases
use, once with the parameters in force in month M (`programs.selectors.parameters_for`) and once
with the one value changed; nothing about the amount is computed here. What is here is getting
the facts to the rule fast enough for a province (a million households within a minute): the
registry is read set-based, a chunk of households at a time, in four statements per chunk —
the households, their living members, the sum of their counted income (the income kinds
MLG-2021 art. 13 leaves out are the ones `cases.snapshots` leaves out), and their assets (sorted
by `cases.snapshots.asset_facts`, the same function a case's snapshot goes through). The counted
income goes to the first member, as the gap method only sums it (the same the verification
batch does, verification/assessment.py).

What the figures mean, for one household (B: the rule's amount with the values in force, S: with
the new value, P: what its live dibao enrollments are due for month M, by the payroll's own
expression — the amount in force for that month, less deductions):
- enrolled and paid, S = 0 while B > 0: it **leaves** (its P is saved);
- enrolled and paid, S > 0: its amount becomes P + (S − B) (S when P = B): **raised** or
  **lowered** by what the change does to it, so an enrollment decided on other facts (a
  verification report, an older registry) keeps its own amount plus the policy's effect;
  when B = 0 (in gradual exit, or out of step with the registry) it becomes S;
- enrolled and paid, B = S = 0: kept as it is and counted apart (**not supported by the
  registry's facts**: the next re-check decides, not the policy);
- not enrolled, B = 0 and S > 0: it **enters** at S;
- not enrolled, B > 0 (eligible today, never applied): counted apart, not in the cost.
So simulating the value already in force changes nothing at all. Enrollments due nothing for
month M (suspended, starting later) are left out.

The new value replaces the value in force for every household of the county (a county sets
its standard for all its villages), validated as the standards page validates it.
"""
from __future__ import annotations

import bisect
import datetime as dt
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable

import django
from django.db import connection, transaction
from django.utils.translation import gettext as _

from safetynet.areas.models import Area, Level
from safetynet.cases.snapshots import asset_facts
from safetynet.core.audit import record_event
from safetynet.core.errors import ValidationError
from safetynet.core.scoping import Actor
from safetynet.programs import catalogue, rules
from safetynet.programs.facts import (
    AssetFacts,
    DibaoParameters,
    HouseholdFacts,
    MemberFacts,
)
from safetynet.programs.models import Parameter
from safetynet.programs.selectors import parameters_for
from safetynet.registry.models import EXCLUDED_INCOME, Asset, Household, IncomeItem, Person

from . import dues
from .change_selectors import county_in_scope
from .models import LIVE_STATUSES, Enrollment
from .months import parse_month

SIMULATE = "payments.simulate"
PROGRAMS = (catalogue.DIBAO,)
# The dibao values that change who is eligible or how much is paid (POLICY.md §1); the
# procedure's time limits, the rounding and the gradual exit do not.
KEYS = ("urban_standard", "rural_standard", "increment_ratio_elderly", "increment_ratio_minor",
        "increment_ratio_severe_disability", "increment_ratio_serious_illness", "elderly_age", "minor_age",
        "financial_asset_multiple", "max_homes", "max_non_residential_properties", "max_vehicles", "max_businesses",
        "margin_multiple")
CHUNK_HOUSEHOLDS = 50_000
ZERO = Decimal("0.00")
CENT = Decimal("0.01")

Progress = Callable[[int, int], None]


def simulated_specs() -> list[catalogue.ParameterSpec]:
    """The parameters a simulation may change, in catalogue order (the form's choices)."""
    return [s for s in catalogue.specs_for(catalogue.DIBAO) if s.key in KEYS]


@dataclass
class Tally:
    count: int = 0
    amount: Decimal = ZERO

    def add(self, amount: Decimal) -> None:
        self.count += 1
        self.amount += amount

    def as_dict(self) -> dict:
        return {"count": self.count, "amount": f"{self.amount:.2f}"}


@dataclass
class TownFigures:
    before: Decimal = ZERO
    after: Decimal = ZERO
    entering: int = 0
    leaving: int = 0
    changed: int = 0


@dataclass
class Figures:
    households: int = 0
    assessments: int = 0
    paid: Tally = field(default_factory=Tally)            # enrolled households paid in month M, at P
    after: Tally = field(default_factory=Tally)           # households paid after the change
    entering: Tally = field(default_factory=Tally)        # at S
    leaving: Tally = field(default_factory=Tally)         # at P (what is saved)
    raised: Tally = field(default_factory=Tally)          # amount: the sum of the increases
    lowered: Tally = field(default_factory=Tally)         # amount: the sum of the decreases (negative)
    unchanged: int = 0
    unsupported: Tally = field(default_factory=Tally)     # paid, B = S = 0: kept at P
    eligible_not_enrolled: Tally = field(default_factory=Tally)   # at S
    not_paid: int = 0                                     # suspended, or starting after month M
    towns: dict = field(default_factory=dict)

    def merge(self, other: "Figures") -> None:
        """Add a chunk's figures (assessed here or by a helper process)."""
        self.households += other.households
        self.assessments += other.assessments
        self.unchanged += other.unchanged
        self.not_paid += other.not_paid
        for name in ("paid", "after", "entering", "leaving", "raised", "lowered", "unsupported", "eligible_not_enrolled"):
            mine, theirs = getattr(self, name), getattr(other, name)
            mine.count += theirs.count
            mine.amount += theirs.amount
        for code, theirs in other.towns.items():
            mine = self.town(code)
            for name in ("before", "after", "entering", "leaving", "changed"):
                setattr(mine, name, getattr(mine, name) + getattr(theirs, name))

    def town(self, code: str) -> TownFigures:
        slot = self.towns.get(code)
        if slot is None:
            slot = self.towns[code] = TownFigures()
        return slot


# ---------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------
def _parameter_areas(county_code: str) -> list[str]:
    """Areas inside the county with dibao values of their own, deepest first: a household takes
    its parameters from the deepest of them above it (selectors.parameters_for does the rest)."""
    codes = (Parameter.objects.filter(program_id=catalogue.DIBAO, area__code__startswith=county_code, replaced_at__isnull=True)
             .exclude(area_id=county_code).values_list("area_id", flat=True).distinct())
    return sorted(set(codes), key=len, reverse=True)


class ParameterTable:
    """(values before, values after) for the county and for each area inside it with dibao values
    of its own, resolved once each (a few queries); then a household's pair is found without the
    database, by the deepest of those areas above it.

    After: the values in force in `month`, with `key` set to `value` when a key is given (the
    simulation). Before: the values in force in `month`, or in the month `before` when given (a
    change already made, compared with the month before it: restandard.py)."""

    def __init__(self, county_code: str, month: dt.date, key: str | None = None, value=None, *,
                 before: dt.date | None = None):
        self.county_code = county_code
        self.own_areas = _parameter_areas(county_code)
        self.pairs: dict[str, tuple[DibaoParameters, DibaoParameters]] = {}
        self.values: dict[str, tuple[dict, dict]] = {}
        self.current_values: set = set()
        for code in (*self.own_areas, county_code):
            after = parameters_for(catalogue.DIBAO, code, month)
            current = after if before is None else parameters_for(catalogue.DIBAO, code, before)
            if key is not None:
                self.current_values.add(current.get(key))
                after = {**after, key: value}
            self.values[code] = (current, after)
            self.pairs[code] = (DibaoParameters.from_values(current), DibaoParameters.from_values(after))

    def area_for(self, household_area: str) -> str:
        """The deepest area with values of its own above the household (or the county)."""
        for code in self.own_areas:
            if household_area.startswith(code):
                return code
        return self.county_code

    def pair_for(self, household_area: str) -> tuple[DibaoParameters, DibaoParameters]:
        return self.pairs[self.area_for(household_area)]


# ---------------------------------------------------------------------------------------------
# Reading the registry, a chunk of households at a time
# ---------------------------------------------------------------------------------------------
def _money(value) -> Decimal:
    """A database amount as Decimal to the cent (SQLite hands back floats for numeric columns)."""
    if value is None:
        return ZERO
    if isinstance(value, Decimal):
        return value.quantize(CENT)
    return Decimal(repr(value)).quantize(CENT)


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _tables() -> dict:
    return {"household": Household._meta.db_table, "person": Person._meta.db_table,
            "income": IncomeItem._meta.db_table, "asset": Asset._meta.db_table}


def household_chunks(county_code: str, chunk: int = CHUNK_HOUSEHOLDS):
    """Yields lists of (household id, area code), in id order, `chunk` at a time (keyset paging:
    each statement starts where the last one stopped)."""
    t = _tables()
    last = 0
    while True:
        rows = _fetch(f"SELECT id, area_id FROM {t['household']} WHERE area_id LIKE %s AND id > %s ORDER BY id LIMIT %s",
                      [f"{county_code}%", last, chunk])
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _member_facts(cache: dict):
    """MemberFacts for a person row (birth date as text, disability type and grade, serious
    illness, work ability) and his counted income, shared between people whose facts are the same
    (they are immutable): most members count no income of their own, and a county has only a few
    tens of thousands of birth dates."""
    def member(row: tuple, income: Decimal) -> MemberFacts:
        key = (row, income)
        facts = cache.get(key)
        if facts is None:
            if len(cache) > 500_000:
                cache.clear()
            birth, disability_type, grade, ill, work = row
            facts = cache[key] = MemberFacts(
                birth_date=birth if isinstance(birth, dt.date) else dt.date.fromisoformat(birth), monthly_income=income,
                disability_type=disability_type or "", disability_grade=grade, serious_illness=bool(ill),
                work_ability=work or "full")
        return facts
    return member


def chunk_rows(households: list[tuple]) -> tuple[list, dict, dict]:
    """The registry's rows for a chunk of households (in id order), from three statements over its
    id range: living members in household order (each row ends with the person's id), counted
    income by household, assets by household. Rows of other counties' households in that range
    come along and are passed over. A dead member's income rows are left out, as a snapshot's are."""
    t = _tables()
    first, last = households[0][0], households[-1][0]
    people = _fetch(f"SELECT household_id, CAST(birth_date AS TEXT), disability_type, disability_grade, serious_illness, "
                    f"work_ability, id FROM {t['person']} WHERE household_id BETWEEN %s AND %s AND is_deceased = %s "
                    f"ORDER BY household_id, id", [first, last, False])
    excluded = ", ".join(["%s"] * len(EXCLUDED_INCOME))
    # A dead member's own income left with him (cases.snapshots.facts_from_snapshot).
    income = dict(_fetch(f"SELECT i.household_id, SUM(i.monthly_amount) FROM {t['income']} i "
                         f"LEFT JOIN {t['person']} p ON p.id = i.person_id WHERE i.household_id BETWEEN %s AND %s "
                         f"AND i.category NOT IN ({excluded}) AND (p.id IS NULL OR p.is_deceased = %s) "
                         f"GROUP BY i.household_id", [first, last, *EXCLUDED_INCOME, False]))
    assets: dict[int, list] = {}
    for household_id, *row in _fetch(f"SELECT household_id, category, value, quantity, is_exempt FROM {t['asset']} "
                                      f"WHERE household_id BETWEEN %s AND %s", [first, last]):
        assets.setdefault(household_id, []).append(tuple(row))
    return people, income, assets


def facts_from_rows(households: list[tuple], rows: tuple, urban: dict, on_date: dt.date, cache: dict):
    """(household id, area code, HouseholdFacts) for each household of the chunk, from `chunk_rows`.
    No database: the helper processes of a large simulation run it."""
    people, income, assets = rows
    no_assets = AssetFacts()
    member = _member_facts(cache)
    n_people = len(people)
    pos = 0
    for household_id, area_code in households:
        while pos < n_people and people[pos][0] < household_id:
            pos += 1
        start = pos
        while pos < n_people and people[pos][0] == household_id:
            pos += 1
        counted = _money(income.get(household_id))
        members = tuple(member(people[j][1:-1], counted if j == start else ZERO) for j in range(start, pos))
        items = assets.get(household_id)
        yield household_id, area_code, HouseholdFacts(
            members=members, is_urban=urban.get(area_code[:12], False), on_date=on_date,
            assets=asset_facts([{"category": c, "value": v, "quantity": q, "is_exempt": e} for c, v, q, e in items])
            if items else no_assets)


def member_ids(rows: tuple) -> dict[int, list[int]]:
    """{household id: its living members' person ids}, in the order of their MemberFacts."""
    ids: dict[int, list[int]] = {}
    for row in rows[0]:
        ids.setdefault(row[0], []).append(row[-1])
    return ids


def chunk_facts(households: list[tuple], urban: dict, on_date: dt.date, cache: dict | None = None):
    """facts_from_rows over chunk_rows: the facts of a chunk of households, read here."""
    return facts_from_rows(households, chunk_rows(households), urban, on_date, {} if cache is None else cache)


def _paid_enrollments(county_code: str, month: dt.date) -> tuple[dict[int, Decimal], set[int]]:
    """({household: what its live dibao enrollments are due for the month}, households enrolled
    but due nothing that month: suspended, starting later). What is due is the payroll's own
    expression (dues.due_amount_sql: the amount in force for the month, less deductions)."""
    paid: dict[int, Decimal] = {}
    enrolled: set[int] = set()
    live = ", ".join(["%s"] * len(LIVE_STATUSES))
    sql = (f"SELECT e.household_id, e.start_month <= m.month, {dues.due_amount_sql('e', 'm.month')} "
           f"FROM {Enrollment._meta.db_table} e, (SELECT %s AS month) m "
           f"WHERE e.program_id = %s AND e.area_id LIKE %s AND e.status IN ({live})")
    for household_id, started, due in _fetch(sql, [month, catalogue.DIBAO, f"{county_code}%", *LIVE_STATUSES]):
        enrolled.add(household_id)
        due = _money(due)
        if started and due > 0:
            paid[household_id] = paid.get(household_id, ZERO) + due
    return paid, enrolled - set(paid)


# ---------------------------------------------------------------------------------------------
# The simulation
# ---------------------------------------------------------------------------------------------
def _county(actor: Actor, county_code: str) -> Area:
    """The county, as the payroll finds it (change_selectors.county_in_scope: out of scope is not found), with
    this page's words when the code is not a county's."""
    try:
        return county_in_scope(actor, county_code)
    except ValidationError:
        raise ValidationError(_("Give a county code (6 digits): a policy is simulated for a whole county."), field="county")


def check_request(*, actor: Actor, county_code: str, program: str, key: str, value, month) -> tuple:
    """Validated (county, spec, typed value, month), so a page or the API can refuse a bad form
    before a background job is queued. Permission first (403), then the area (404), then input (422)."""
    actor.require(SIMULATE)
    county = _county(actor, county_code)
    if program not in PROGRAMS:
        raise ValidationError(_("Only the dibao program can be simulated."), field="program")
    spec = catalogue.get_spec(program, key)
    if spec is None or key not in KEYS:
        raise ValidationError(_("This parameter cannot be simulated."), field="key")
    typed = catalogue.parse_value(spec, value)
    return county, spec, typed, parse_month(month)


PARALLEL_MIN_HOUSEHOLDS = 200_000
_worker_members: dict = {}


def assess_chunk(households: list[tuple], rows: tuple, table: ParameterTable, urban: dict, paid: dict, not_paid: set,
                 on_date: dt.date, cache: dict) -> Figures:
    """The figures of one chunk: each household's facts through the dibao rule with the values
    with the change and, only for an enrolled household or one the change makes eligible, with the
    values in force. Pure."""
    figures = Figures()
    assess = rules.assess_dibao
    pairs: dict[str, tuple] = {}
    for household_id, area_code, facts in facts_from_rows(households, rows, urban, on_date, cache):
        if household_id in not_paid:
            continue
        pair = pairs.get(area_code)
        if pair is None:
            pair = pairs[area_code] = table.pair_for(area_code)
        figures.households += 1
        new = assess(facts, pair[1]).monthly_amount
        figures.assessments += 1
        current = paid.get(household_id)
        if current is None and not new:
            continue
        before = assess(facts, pair[0]).monthly_amount
        figures.assessments += 1
        classify(figures, figures.town(area_code[:9]), current, before, new)
    return figures


def _households_between(county_code: str, first: int, last: int) -> list[tuple]:
    return _fetch(f"SELECT id, area_id FROM {_tables()['household']} WHERE id BETWEEN %s AND %s AND area_id LIKE %s "
                  f"ORDER BY id", [first, last, f"{county_code}%"])


def assess_range(county_code: str, first: int, last: int, table: ParameterTable, urban: dict, paid: dict, not_paid: set,
                 on_date: dt.date) -> tuple[Figures, int]:
    """A helper process's share: the county's households with ids first..last, read and assessed
    here (the helper has its own database connection). (figures, households read)."""
    households = _households_between(county_code, first, last)
    if not households:
        return Figures(), 0
    return assess_chunk(households, chunk_rows(households), table, urban, paid, not_paid, on_date, _helper_members), \
        len(households)


PARALLEL_MIN_HOUSEHOLDS = 200_000
_helper_members: dict = {}   # a helper process's shared members, from one of its chunks to the next


def _helpers(total: int):
    """Helper processes for a large county (the rule is pure Python: one process uses one core).
    Spawned, each sets Django up and opens its own connection; the main process only pages
    through the households' ids and adds the figures up."""
    cores = os.cpu_count() or 1
    if total < PARALLEL_MIN_HOUSEHOLDS or cores < 2:
        return None
    return ProcessPoolExecutor(max_workers=min(cores, 4), mp_context=multiprocessing.get_context("spawn"),
                               initializer=django.setup)


def _between(sorted_ids: list[int], first: int, last: int) -> slice:
    return slice(bisect.bisect_left(sorted_ids, first), bisect.bisect_right(sorted_ids, last))


def simulate_policy(*, actor: Actor, county_code: str, program: str, key: str, value, month,
                    progress: Progress | None = None, chunk: int = CHUNK_HOUSEHOLDS) -> dict:
    """Households entering, leaving and changing amount, and the monthly cost before and after,
    if `key` of `program` were `value` from `month` in the county (module docstring). Writes
    nothing but the audit event: reading every household's income and assets is recorded.

    A chunk of households at a time; on a large county helper processes read and assess the
    chunks side by side."""
    county, spec, typed, month = check_request(actor=actor, county_code=county_code, program=program, key=key,
                                               value=value, month=month)
    started = time.perf_counter()
    table = ParameterTable(county.code, month, key, typed)
    urban = {code: klass.startswith("1") for code, klass in Area.objects.filter(
        code__startswith=county.code, level=Level.VILLAGE).values_list("code", "urban_rural_class")}
    paid, not_paid = _paid_enrollments(county.code, month)
    total = Household.objects.filter(area__code__startswith=county.code).count()
    figures = Figures(not_paid=len(not_paid))
    done = 0

    def collect(part: Figures, size: int) -> None:
        nonlocal done
        figures.merge(part)
        done += size
        if progress:
            progress(done, total)

    pool = _helpers(total)
    if pool is None:
        members: dict = {}
        for households in household_chunks(county.code, chunk):
            collect(assess_chunk(households, chunk_rows(households), table, urban, paid, not_paid, month, members),
                    len(households))
    else:
        paid_ids = sorted(paid)
        not_paid_ids = sorted(not_paid)
        pending: list = []
        try:
            for households in household_chunks(county.code, chunk):
                first, last = households[0][0], households[-1][0]
                paid_part = {h: paid[h] for h in paid_ids[_between(paid_ids, first, last)]}
                pending.append(pool.submit(assess_range, county.code, first, last, table, urban, paid_part,
                                           set(not_paid_ids[_between(not_paid_ids, first, last)]), month))
                while len(pending) > 2 * pool._max_workers:
                    collect(*pending.pop(0).result())
            for future in pending:
                collect(*future.result())
        finally:
            pool.shutdown(cancel_futures=True)
    result = _result(county, spec, typed, month, table, figures, time.perf_counter() - started)
    with transaction.atomic():
        record_event(actor=actor, action="payments.simulate_policy", object_type="areas.area", object_id=county.code,
                     after={"program": program, "key": key, "value": result["new_value"], "month": result["month"],
                            "households": figures.households, "entering": figures.entering.count,
                            "leaving": figures.leaving.count, "cost_before": result["cost_before"],
                            "cost_after": result["cost_after"]})
    return result


def amount_after(current: Decimal, before: Decimal, new: Decimal) -> Decimal | None:
    """What an enrolled household paid `current` is paid after the change, from the rule's amounts
    before and after it (module docstring: P, B, S); None when it leaves (S = 0 while B > 0).
    Shared with the re-assessment after a real change (restandard.py)."""
    if not new:
        return None if before else current
    if before:
        after = current + (new - before)
        return after if after > 0 else new
    return new


def classify(figures: Figures, town: TownFigures, current: Decimal | None, before: Decimal, new: Decimal) -> None:
    """One household into the figures (module docstring: B = before, S = new, P = current)."""
    if current is None:
        if before:
            figures.eligible_not_enrolled.add(new)
        else:
            figures.entering.add(new)
            figures.after.add(new)
            town.entering += 1
            town.after += new
        return
    figures.paid.add(current)
    town.before += current
    after = amount_after(current, before, new)
    if after is None:
        figures.leaving.add(current)
        town.leaving += 1
        return
    if not new:
        figures.unsupported.add(current)
    figures.after.add(after)
    town.after += after
    if after > current:
        figures.raised.add(after - current)
        town.changed += 1
    elif after < current:
        figures.lowered.add(after - current)
        town.changed += 1
    else:
        figures.unchanged += 1


def figures_result(figures: Figures) -> dict:
    """The figures as the simulation's result gives them (JSON-ready), with the towns' names."""
    names = dict(Area.objects.filter(code__in=list(figures.towns)).values_list("code", "name"))
    before, after = figures.paid.amount, figures.after.amount
    return {
        "households": figures.households, "assessments": figures.assessments,
        "paid_before": figures.paid.count, "paid_after": figures.after.count,
        "cost_before": f"{before:.2f}", "cost_after": f"{after:.2f}", "cost_change": f"{after - before:.2f}",
        "entering": figures.entering.as_dict(), "leaving": figures.leaving.as_dict(),
        "raised": figures.raised.as_dict(), "lowered": figures.lowered.as_dict(), "unchanged": figures.unchanged,
        "unsupported": figures.unsupported.as_dict(), "eligible_not_enrolled": figures.eligible_not_enrolled.as_dict(),
        "not_paid": figures.not_paid,
        "by_town": [{"town": code, "town_name": names.get(code, code), "before": f"{t.before:.2f}",
                     "after": f"{t.after:.2f}", "entering": t.entering, "leaving": t.leaving, "changed": t.changed}
                    for code, t in sorted(figures.towns.items())],
    }


def _result(county: Area, spec, typed, month: dt.date, table: ParameterTable, figures: Figures, seconds: float) -> dict:
    current = table.current_values
    shown = sorted((catalogue.display_value(spec, v) for v in current), key=str)
    return {
        "county": county.code, "county_name": county.name, "program": spec.program, "key": spec.key,
        "label": str(spec.label), "month": month.strftime("%Y-%m"),
        "current_value": " / ".join(shown), "current_varies": len(current) > 1,
        "new_value": catalogue.value_to_text(spec, typed), "new_value_display": catalogue.display_value(spec, typed),
        **figures_result(figures), "seconds": round(seconds, 2),
    }
