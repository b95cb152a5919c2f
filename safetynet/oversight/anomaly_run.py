"""The anomaly report of a county (issue 18 part 6), on demand and monthly.

Each check is one set-based query over the database tables and the current department snapshots;
where the data is large (the county's persons and live enrollments, the death records) it runs
on DuckDB through Ibis, the tables read once as Arrow (`discovery.warning_run.fetch_arrow`, the
snapshots bound by `verification.engine.bind_parquet`); where it is small (the staff and their
kin, the newest verification results, the workers' averages) it is a few database reads.

- deceased_paid: a payroll line for a month after its person's death (the public-security death
  records; a death in the registry without a record there is dated by the day it was entered),
  for an individual enrollment of that person or a household all of whose members are dead;
- incompatible: a person covered at once by live dibao and special hardship (as a member of an
  enrolled household or individually);
- two_counties: a person covered by live enrollments of two counties (by ID number);
- over_limits: a live dibao or special-hardship household whose newest verification result is
  over the income, financial-asset or property limits it was assessed against;
- unfiled_relative: a live enrollment of a household with staff or a staff member's close
  relative in it (`cases.closerelatives.find_close_relatives_of`) whose case is not filed as such;
- confirmed_by_relative: an approval decided by a user whose staff identity is a member or a
  close relative of a member of the household;
- high_amounts: a worker whose approved amounts in a program over the last 12 months average
  above `outlier_ratio` × the county's (at least `outlier_min_cases` cases);
- short_surveys: a household survey shorter than `short_survey_minutes`.

A finding's fingerprint (kind, object, fact) is unique across runs, so a second run finds nothing
new and the statuses given stay; each new finding opens a control complaint
(`complaints.file_complaints`, `source_key` "anomaly:<id>") in the same unit of work.
"""
from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import ibis
import pyarrow as pa
import pyarrow.compute  # noqa: F401 (pa.compute)
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.areas.models import Area
from safetynet.cases.closerelatives import find_close_relatives_of
from safetynet.cases.models import Decision, DecisionOutcome, Survey, SurveyKind
from safetynet.core.errors import NotFound
from safetynet.core.scoping import Actor
from safetynet.core.unitofwork import unit_of_work
from safetynet.discovery.warning_run import add_months, fetch_arrow, month_end, month_start
from safetynet.enrollments.models import LIVE_STATUSES, Enrollment
from safetynet.payroll.models import Payment, PaymentStatus, PayrollRun
from safetynet.programs.catalogue import DIBAO, OVERSIGHT, SPECIAL_HARDSHIP
from safetynet.programs.selectors import parameters_for
from safetynet.registry.models import Kinship, Person
from safetynet.verification import engine, storage
from safetynet.verification.models import HouseholdResult
from safetynet.verification.selectors import current_snapshot_refs
from safetynet.workforce.models import StaffIdentity

from .complaints import ComplaintInput, file_complaints
from .models import CategoryCode, ComplaintChannel
from .anomaly_models import AnomalyFinding, AnomalyKind, AnomalyRun, AnomalyRunStatus

ANOMALIES = "oversight.anomalies"
DEATHS = "public_security_deaths"
CHUNK = 5000
BATCH = 500
NOT_PAID = (PaymentStatus.FAILED, PaymentStatus.CARRIED_OVER)
STEPS = (AnomalyKind.DECEASED_PAID, AnomalyKind.INCOMPATIBLE_PROGRAMS, AnomalyKind.OVER_LIMITS, AnomalyKind.UNFILED_RELATIVE,
         AnomalyKind.HIGH_AMOUNTS, AnomalyKind.SHORT_SURVEYS)


@dataclass
class Found:
    """One fact a check found (not yet a finding: its fingerprint may be known already)."""
    kind: str
    fingerprint: str
    area_id: str
    facts: dict
    household_id: int | None = None
    person_id: int | None = None
    case_id: int | None = None
    enrollment_id: int | None = None
    staff_user_id: int | None = None
    amount: Decimal | None = None


@dataclass
class Scope:
    """What the checks share: the county, the month and the DuckDB tables read once."""
    county: str
    month: dt.date
    params: dict
    backend: object = None
    tables: dict = field(default_factory=dict)
    persons: object = None
    enrollments: object = None


def _chunks(values, size: int = CHUNK):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def county_in_scope(actor: Actor, county_code: str) -> Area:
    area = Area.objects.filter(code=county_code or "", level="county").first()
    if area is None or not actor.covers(area.code):
        raise NotFound(_("No such county in your scope."), field="county")
    return area


def _rows(expr, backend) -> list[dict]:
    return backend.to_pyarrow(expr).to_pylist()


# ---------------------------------------------------------------------------------------------
# The county's tables, read once
# ---------------------------------------------------------------------------------------------
def read_columns(queryset, names: list[str], types: list) -> pa.Table:
    """A queryset's values as an Arrow table, read in one `fetchall` and turned into columns at
    once: for the county's millions of persons about half the time of `fetch_arrow`'s batches,
    at the cost of holding the rows once in memory."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    columns = list(zip(*rows)) if rows else [() for _n in names]
    del rows
    return pa.table({n: pa.array(c, t) for n, c, t in zip(names, columns, types)})


def read_persons(county: str, more_households: list[int]) -> pa.Table:
    """Every person (living or not) of the county's households and of the households outside it
    that an enrollment of the county names; the day a death was entered in the registry is read
    for the dead only (`registry_deaths`)."""
    names = ["person_id", "household_id", "id_number", "is_deceased"]
    types = [pa.int64(), pa.int64(), pa.string(), pa.bool_()]
    cols = ("id", "household_id", "id_number", "is_deceased")
    tables = [read_columns(Person.objects.filter(area__code__startswith=county).order_by().values_list(*cols), names, types)]
    for chunk in _chunks(more_households):
        tables.append(fetch_arrow(Person.objects.filter(household_id__in=chunk).exclude(area__code__startswith=county)
                                  .order_by().values_list(*cols), names, types))
    return pa.concat_tables(tables)


def registry_deaths(person_ids: list[int]) -> pa.Table:
    """(person, the day the registry learned of the death) for the dead among `person_ids`."""
    rows = []
    for chunk in _chunks(person_ids):
        rows += list(Person.objects.filter(pk__in=chunk).values_list("id", "updated_at"))
    return pa.table({"person_id": pa.array([r[0] for r in rows], pa.int64()),
                     "entered_on": pa.array([timezone.localtime(r[1]).date() for r in rows], pa.date32())})


def read_live_enrollments(county: str) -> pa.Table:
    """Live enrollments of the county, and live enrollments elsewhere of the county's households
    (a household that moved without its enrollment ending)."""
    names = ["enrollment_id", "household_id", "person_id", "program", "area_code", "case_id"]
    types = [pa.int64(), pa.int64(), pa.int64(), pa.string(), pa.string(), pa.int64()]
    cols = ("id", "household_id", "person_id", "program_id", "area_id", "case_id")
    live = Enrollment.objects.filter(status__in=LIVE_STATUSES).order_by()
    own = read_columns(live.filter(area__code__startswith=county).values_list(*cols), names, types)
    elsewhere = fetch_arrow(live.filter(household__area__code__startswith=county).exclude(area__code__startswith=county)
                            .values_list(*cols), names, types)
    individual = fetch_arrow(live.filter(person__area__code__startswith=county).exclude(area__code__startswith=county)
                             .exclude(household__area__code__startswith=county).values_list(*cols), names, types)
    return pa.concat_tables([own, elsewhere, individual])


# ---------------------------------------------------------------------------------------------
# a. payments to a deceased person
# ---------------------------------------------------------------------------------------------
def find_deceased_paid(scope: Scope) -> list[Found]:
    p, backend = scope.persons, scope.backend
    entered = scope.tables["registry_deaths"]
    registry = p.filter(p.is_deceased).join(entered, "person_id")
    registry = registry.select(person_id=registry.person_id, household_id=registry.household_id,
                               death_on=registry.entered_on, source=ibis.literal("registry"))
    deaths = [registry]
    t = scope.tables.get(DEATHS)
    if t is not None:
        t = t.filter(t.death_date.notnull())
        j = t.join(p, "id_number")
        deaths.append(j.select(person_id=j.person_id, household_id=j.household_id, death_on=j.death_date.cast("date"),
                               source=ibis.literal("public_security")))
    dead = ibis.union(*deaths) if len(deaths) > 1 else deaths[0]
    # A public-security record dates the death; the registry's entry only when there is none.
    dead = dead.mutate(rank=ibis.cases((dead.source == "public_security", 0), else_=1))
    dead = dead.group_by(["person_id", "household_id"]).aggregate(
        death_on=dead.death_on.argmin(dead.rank), source=dead.source.argmin(dead.rank))
    by_household = p.left_join(dead, p.person_id == dead.person_id)
    households = by_household.group_by(by_household.household_id).aggregate(
        members=by_household.count(), dead=by_household.death_on.count(), last=by_household.death_on.max())
    households = households.filter(households.members == households.dead)
    dead_rows = {r["person_id"]: r for r in _rows(dead, backend)}
    if not dead_rows:
        return []
    gone = {r["household_id"]: r["last"] for r in _rows(households, backend)}
    last_dead = {}
    for row in dead_rows.values():
        if row["household_id"] in gone and row["death_on"] == gone[row["household_id"]]:
            last_dead[row["household_id"]] = row["person_id"]
    # Every enrollment of a dead person, or of a household all dead (ended ones too: a line may
    # have been generated before the end was recorded).
    enrollments = {}
    cols = ("id", "household_id", "person_id", "area_id", "case_id")
    for chunk in _chunks(dead_rows):
        for row in Enrollment.objects.filter(person_id__in=chunk).values_list(*cols):
            enrollments[row[0]] = (row, row[2])
    for chunk in _chunks(gone):
        for row in Enrollment.objects.filter(household_id__in=chunk, person_id__isnull=True).values_list(*cols):
            enrollments[row[0]] = (row, last_dead.get(row[1]))
    out = []
    runs = {}
    for chunk in _chunks(enrollments):
        payments = (Payment.objects.filter(enrollment_id__in=chunk, month__lte=scope.month).exclude(status__in=NOT_PAID)
                    .values_list("id", "enrollment_id", "month", "amount", "run_id", "status"))
        for pk, enrollment_id, month, amount, run_id, status in payments:
            (eid, household_id, person_id, area_id, case_id), dead_person = enrollments[enrollment_id]
            if dead_person is None:
                continue
            death = dead_rows[dead_person]
            if month < add_months(death["death_on"].replace(day=1), 1):
                continue
            if run_id not in runs:
                runs[run_id] = PayrollRun.objects.filter(pk=run_id).values_list("code", flat=True).first() or ""
            out.append(Found(AnomalyKind.DECEASED_PAID, f"deceased_paid:{pk}", area_id, household_id=household_id,
                             person_id=dead_person, case_id=case_id, enrollment_id=eid, amount=amount,
                             facts={"payment": pk, "month": month.strftime("%Y-%m"), "death_on": str(death["death_on"]),
                                    "source": death["source"], "run": runs[run_id], "status": status,
                                    "amount": f"{amount:.2f}"}))
    return out


# ---------------------------------------------------------------------------------------------
# b. incompatible programs, two counties
# ---------------------------------------------------------------------------------------------
def _coverage(scope: Scope):
    """(person, enrollment) for each living person a live enrollment covers: every living member
    of an enrolled household, or the one person of an individual enrollment."""
    p, e = scope.persons, scope.enrollments
    living = p.filter(~p.is_deceased)
    household = e.filter(e.person_id.isnull()).join(living, "household_id")
    household = household.select(person_id=household.person_id_right, id_number=household.id_number,
                                 enrollment_id=household.enrollment_id, program=household.program,
                                 area_code=household.area_code, household_id=household.household_id)
    single = e.filter(e.person_id.notnull()).join(living, e.person_id == living.person_id)
    single = single.select(person_id=single.person_id, id_number=single.id_number, enrollment_id=single.enrollment_id,
                           program=single.program, area_code=single.area_code, household_id=single.household_id)
    return ibis.union(household, single)


def find_incompatible(scope: Scope) -> list[Found]:
    cov = _coverage(scope).cache()   # both checks read it: computed once
    both = cov.filter(cov.program.isin([DIBAO, SPECIAL_HARDSHIP]))
    g = both.group_by(["person_id", "id_number"]).aggregate(
        programs=both.program.nunique(), enrollments=both.enrollment_id.collect(), areas=both.area_code.collect(),
        households=both.household_id.collect())
    g = g.filter(g.programs > 1)
    out = []
    for row in _rows(g, scope.backend):
        ids = sorted(row["enrollments"])
        areas = [a for a in row["areas"] if a.startswith(scope.county)] or row["areas"]
        out.append(Found(AnomalyKind.INCOMPATIBLE_PROGRAMS, f"incompatible:{row['person_id']}:{'-'.join(map(str, ids))}",
                         min(areas), person_id=row["person_id"], household_id=row["households"][0],
                         enrollment_id=ids[0], facts={"enrollments": ids}))
    g = cov.group_by(["person_id", "id_number"]).aggregate(
        counties=cov.area_code.substr(0, 6).nunique(), enrollments=cov.enrollment_id.collect(),
        areas=cov.area_code.collect(), households=cov.household_id.collect())
    g = g.filter(g.counties > 1)
    for row in _rows(g, scope.backend):
        pairs = sorted(zip(row["enrollments"], row["areas"]))
        own = [(e, a) for e, a in pairs if a.startswith(scope.county)]
        if not own:
            continue
        ids = [e for e, _a in pairs]
        out.append(Found(AnomalyKind.TWO_COUNTIES, f"two_counties:{row['person_id']}:{'-'.join(map(str, ids))}",
                         own[0][1], person_id=row["person_id"], household_id=row["households"][0], enrollment_id=own[0][0],
                         facts={"enrollments": ids, "counties": sorted({a[:6] for _e, a in pairs})}))
    return out


# ---------------------------------------------------------------------------------------------
# c. newest department data over the limits
# ---------------------------------------------------------------------------------------------
def _decimal(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def over_limits_of(row: dict, rule: dict) -> list[str]:
    """Which limits the verified figures exceed ([] none): income per head over the standard,
    financial assets over the limit, homes, non-residential properties, vehicles or businesses
    over their numbers."""
    reasons = []
    standard = _decimal(rule.get("standard"))
    if standard is not None and row["per_capita_income"] > standard:
        reasons.append("income")
    limit = _decimal(rule.get("financial_limit"))
    if limit is not None and row["financial_assets"] > limit:
        reasons.append("financial_assets")
    for key, limit_key in (("homes", "max_homes"), ("non_residential", "max_non_residential_properties"),
                           ("vehicles", "max_vehicles"), ("businesses", "max_businesses")):
        if rule.get(limit_key) is not None and row[key] > int(rule[limit_key]):
            reasons.append(key)
    return reasons


def find_over_limits(scope: Scope) -> list[Found]:
    enrolled = scope.enrollments.filter(scope.enrollments.program.isin([DIBAO, SPECIAL_HARDSHIP])
                                        & scope.enrollments.area_code.startswith(scope.county))
    enrolled = enrolled.group_by("household_id").aggregate(enrollment_id=enrolled.enrollment_id.min(),
                                                           area_code=enrolled.area_code.min(), case_id=enrolled.case_id.min())
    by_household = {r["household_id"]: r for r in _rows(enrolled, scope.backend)}
    results = HouseholdResult.objects.filter(area_code__startswith=scope.county, run__status="done")
    newest = results.values("household_id").annotate(last=Max("run_id")).values("last")
    rows = (results.filter(run_id__in=newest).order_by("household_id", "run_id")
            .values_list("pk", "household_id", "run_id", "per_capita_income", "financial_assets", "homes",
                         "non_residential", "vehicles", "businesses", "rule"))
    newest_rows = {}
    for pk, household_id, run_id, *figures, rule in rows.iterator(chunk_size=CHUNK):
        if household_id in by_household:
            newest_rows[household_id] = (pk, run_id, figures, rule)   # ordered by run: the newest has the last word
    out = []
    for household_id, (pk, run_id, figures, rule) in newest_rows.items():
        rule = json.loads(rule) if isinstance(rule, str) else (rule or {})
        row = dict(zip(("per_capita_income", "financial_assets", "homes", "non_residential", "vehicles", "businesses"),
                       figures))
        reasons = over_limits_of(row, rule)
        if not reasons:
            continue
        e = by_household[household_id]
        out.append(Found(AnomalyKind.OVER_LIMITS, f"over_limits:{household_id}:{pk}", e["area_code"],
                         household_id=household_id, enrollment_id=e["enrollment_id"], case_id=e["case_id"],
                         facts={"result": pk, "run": run_id, "over": reasons,
                                "per_capita_income": f"{row['per_capita_income']:.2f}", "standard": rule.get("standard"),
                                "financial_assets": f"{row['financial_assets']:.2f}",
                                "financial_limit": rule.get("financial_limit"),
                                **{k: row[k] for k in ("homes", "non_residential", "vehicles", "businesses")}}))
    return out


# ---------------------------------------------------------------------------------------------
# d, e. close relatives of staff: enrollments not filed, cases confirmed by a relative
# ---------------------------------------------------------------------------------------------
def _related_households(county: str) -> dict[int, list]:
    """{household: its close-relative matches} for the county's households with staff or a
    staff member's close relative among their living members."""
    numbers = sorted(set(StaffIdentity.objects.filter(is_active=True).values_list("id_number", flat=True)))
    candidates = set()
    for chunk in _chunks(numbers):
        candidates |= set(Person.objects.filter(id_number__in=chunk, area__code__startswith=county, is_deceased=False)
                          .values_list("household_id", flat=True))
        candidates |= set(Kinship.objects.filter(relative__id_number__in=chunk, person__area__code__startswith=county,
                                                 person__is_deceased=False).values_list("person__household_id", flat=True))
    members = defaultdict(list)
    for chunk in _chunks(sorted(candidates)):
        for pk, household_id, name, number in (Person.objects.filter(household_id__in=chunk, is_deceased=False)
                                               .order_by("id").values_list("id", "household_id", "name", "id_number")):
            members[household_id].append({"person_id": pk, "name": name, "id_number": number})
    ids = sorted(members)
    matches = find_close_relatives_of([members[h] for h in ids])
    return {h: m for h, m in zip(ids, matches) if m}


def find_relatives(scope: Scope, related: dict[int, list]) -> list[Found]:
    out = []
    if not related:
        return out
    for chunk in _chunks(sorted(related)):
        rows = (Enrollment.objects.filter(household_id__in=chunk, status__in=LIVE_STATUSES,
                                          area__code__startswith=scope.county, case__is_close_relative=False)
                .values_list("id", "household_id", "case_id", "area_id", "monthly_amount"))
        for pk, household_id, case_id, area_id, amount in rows:
            matches = related[household_id]
            out.append(Found(AnomalyKind.UNFILED_RELATIVE, f"unfiled_relative:{pk}", area_id, household_id=household_id,
                             person_id=matches[0].member_person_id, case_id=case_id, enrollment_id=pk, amount=amount,
                             staff_user_id=matches[0].staff_user_id,
                             facts={"matches": [_match_facts(m) for m in matches]}))
    users = dict(get_user_model().objects.filter(pk__in={m.staff_user_id for ms in related.values() for m in ms
                                                         if m.staff_user_id}).values_list("username", "pk"))
    if not users:
        return out
    for chunk in _chunks(sorted(related)):
        rows = (Decision.objects.filter(case__household_id__in=chunk, case__area__code__startswith=scope.county,
                                        outcome=DecisionOutcome.APPROVED, decided_by__in=list(users))
                .values_list("id", "case_id", "case__household_id", "case__area_id", "decided_by", "decided_on",
                             "monthly_amount"))
        for pk, case_id, household_id, area_id, username, decided_on, amount in rows:
            matches = [m for m in related[household_id] if m.staff_user_id == users[username]]
            if not matches:
                continue
            out.append(Found(AnomalyKind.CONFIRMED_BY_RELATIVE, f"confirmed_by_relative:{pk}", area_id,
                             household_id=household_id, person_id=matches[0].member_person_id, case_id=case_id,
                             staff_user_id=users[username], amount=amount,
                             facts={"decision": pk, "decided_on": str(decided_on), "decided_by": username,
                                    "matches": [_match_facts(m) for m in matches]}))
    return out


def _match_facts(match) -> dict:
    return {"member": match.member_name, "relation": match.relation, "staff": match.staff_name,
            "staff_kind": match.staff_kind, "staff_area": match.staff_area}


# ---------------------------------------------------------------------------------------------
# f. workers: high approved amounts, short surveys
# ---------------------------------------------------------------------------------------------
def find_workers(scope: Scope) -> list[Found]:
    """Workers (the user who took the case) whose approved amounts in a program over the 12
    months ending with the run's month average above `outlier_ratio` × the county's; and each
    household survey shorter than `short_survey_minutes`."""
    ratio = Decimal(str(scope.params["outlier_ratio"]))
    minimum = int(scope.params["outlier_min_cases"])
    start, end = add_months(scope.month, -11), month_end(scope.month)
    approved = Decision.objects.filter(outcome=DecisionOutcome.APPROVED, decided_on__gte=start, decided_on__lte=end,
                                       case__area__code__startswith=scope.county).exclude(case__created_by="")
    workers = list(approved.values("case__created_by", "case__program_id")
                   .annotate(n=Count("id"), total=Sum("monthly_amount")).order_by())
    sums, counts = Counter(), Counter()
    for row in workers:
        sums[row["case__program_id"]] += Decimal(str(row["total"]))
        counts[row["case__program_id"]] += row["n"]
    county_avg = {program: sums[program] / counts[program] for program in counts}
    high = []
    for row in workers:
        if row["n"] < minimum:
            continue
        row["avg"] = Decimal(str(row["total"])) / row["n"]
        program, base = row["case__program_id"], county_avg.get(row["case__program_id"])
        if not base or Decimal(str(row["avg"])) <= Decimal(str(base)) * ratio:
            continue
        high.append((row["case__created_by"], program, row["n"], Decimal(str(row["avg"])), Decimal(str(base))))
    usernames = {h[0] for h in high}
    surveys = list(Survey.objects.filter(kind=SurveyKind.HOUSEHOLD, duration_minutes__isnull=False,
                                         duration_minutes__lt=int(scope.params["short_survey_minutes"]),
                                         case__area__code__startswith=scope.county, conducted_on__lte=end)
                   .values_list("id", "case_id", "case__household_id", "case__area_id", "recorded_by", "duration_minutes",
                                "conducted_on"))
    usernames |= {s[4] for s in surveys}
    users = dict(get_user_model().objects.filter(username__in=usernames).values_list("username", "pk")) if usernames else {}
    out = []
    for username, program, n, avg, base in high:
        towns = Counter(a[:9] for a in approved.filter(case__created_by=username, case__program_id=program)
                        .values_list("case__area_id", flat=True))
        town = towns.most_common(1)[0][0]
        out.append(Found(AnomalyKind.HIGH_AMOUNTS, f"high_amounts:{username}:{program}:{scope.month:%Y-%m}", town,
                         staff_user_id=users.get(username), amount=avg.quantize(Decimal("0.01")),
                         facts={"worker": username, "program": program, "cases": n, "average": f"{avg:.2f}",
                                "county_average": f"{base:.2f}", "ratio": str(ratio), "from": str(start), "to": str(end)}))
    limit = int(scope.params["short_survey_minutes"])
    for pk, case_id, household_id, area_id, username, minutes, conducted_on in surveys:
        out.append(Found(AnomalyKind.SHORT_SURVEYS, f"short_survey:{pk}", area_id, household_id=household_id,
                         case_id=case_id, staff_user_id=users.get(username),
                         facts={"survey": pk, "worker": username, "minutes": minutes, "limit": limit,
                                "conducted_on": str(conducted_on)}))
    return out


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------
def _set_progress(run: AnomalyRun, step: str, done: int, total: int) -> None:
    AnomalyRun.objects.filter(pk=run.pk).update(progress={"step": step, "done": done, "total": total})


def run_anomalies(actor: Actor, county_code: str, month, progress=None, *, run: AnomalyRun | None = None,
                  monthly: bool = False) -> AnomalyRun:
    """Run every check over the county for the month; record each new finding and open its
    control complaint. Idempotent: a second run finds nothing new. `run`: the queued run a
    background job carries (else one is made); `progress(done, total)` hears each step."""
    actor.require(ANOMALIES)
    county = county_in_scope(actor, county_code)
    month = month_start(month)
    started = time.monotonic()
    if run is None:
        run = AnomalyRun.objects.create(area=county, month=month, monthly=monthly, started_by_id=actor.user_id,
                                        post_id=actor.post_id)
    AnomalyRun.objects.filter(pk=run.pk).update(status=AnomalyRunStatus.RUNNING, started_at=timezone.now(), error="")
    total = len(STEPS) + 2

    def step(done: int, name: str) -> None:
        _set_progress(run, name, done, total)
        if progress:
            progress(done, total)

    try:
        params = parameters_for(OVERSIGHT, county.code, month)
        found: list[Found] = []
        step(0, "read")
        enrollments = read_live_enrollments(county.code)
        outside = sorted({h for h, a in zip(enrollments.column("household_id").to_pylist(),
                                            enrollments.column("area_code").to_pylist()) if not a.startswith(county.code)})
        persons = read_persons(county.code, outside)
        con = storage.connect()
        try:
            refs = [r for r in current_snapshot_refs() if r.dataset == DEATHS]
            tables = engine.bind_parquet(con, refs)
            con.register("anomaly_persons", persons)
            con.register("anomaly_enrollments", enrollments)
            dead = pa.compute.filter(persons.column("person_id"), persons.column("is_deceased")).to_pylist()
            con.register("anomaly_registry_deaths", registry_deaths(dead))
            backend = engine.duckdb_backend(con)
            tables["registry_deaths"] = backend.table("anomaly_registry_deaths")
            scope = Scope(county.code, month, params, backend, tables, backend.table("anomaly_persons"),
                          backend.table("anomaly_enrollments"))
            step(1, AnomalyKind.DECEASED_PAID)
            found += find_deceased_paid(scope)
            step(2, AnomalyKind.INCOMPATIBLE_PROGRAMS)
            found += find_incompatible(scope)
            step(3, AnomalyKind.OVER_LIMITS)
            found += find_over_limits(scope)
        finally:
            con.close()
        step(4, AnomalyKind.UNFILED_RELATIVE)
        found += find_relatives(scope, _related_households(county.code))
        step(5, AnomalyKind.HIGH_AMOUNTS)
        found += find_workers(scope)
        step(6, "record")
        counts = record_findings(actor, run, found)
        step(total, "done")
    except Exception as error:
        AnomalyRun.objects.filter(pk=run.pk).update(status=AnomalyRunStatus.FAILED, finished_at=timezone.now(),
                                                    error=str(error)[:500])
        raise
    seconds = round(time.monotonic() - started, 2)
    AnomalyRun.objects.filter(pk=run.pk).update(
        status=AnomalyRunStatus.DONE, finished_at=timezone.now(), seconds=seconds, counts=counts,
        found=dict(Counter(f.kind for f in found)))
    run.refresh_from_db()
    return run


def _known(fingerprints: list[str]) -> set[str]:
    seen = set()
    for chunk in _chunks(fingerprints):
        seen |= set(AnomalyFinding.objects.filter(fingerprint__in=chunk).values_list("fingerprint", flat=True))
    return seen


def complaint_text(found: Found) -> str:
    """What the control complaint says (the finding's page says the rest)."""
    f = found.facts
    if found.kind == AnomalyKind.DECEASED_PAID:
        return _("Payroll line for %(month)s paid after the death on %(date)s (¥%(amount)s).") % {
            "month": f["month"], "date": f["death_on"], "amount": f["amount"]}
    if found.kind == AnomalyKind.INCOMPATIBLE_PROGRAMS:
        return _("A person is enrolled in dibao and special hardship at once (enrollments %(ids)s).") % {
            "ids": ", ".join(map(str, f["enrollments"]))}
    if found.kind == AnomalyKind.TWO_COUNTIES:
        return _("A person is enrolled in two counties (%(counties)s).") % {"counties": ", ".join(f["counties"])}
    if found.kind == AnomalyKind.OVER_LIMITS:
        return _("The newest department data is over the limits: income per head ¥%(income)s, standard ¥%(standard)s; "
                 "financial assets ¥%(assets)s.") % {"income": f["per_capita_income"], "standard": f["standard"] or "-",
                                                     "assets": f["financial_assets"]}
    if found.kind == AnomalyKind.UNFILED_RELATIVE:
        return _("Enrolled household related to staff (%(staff)s), not filed as a close relative.") % {
            "staff": ", ".join(m["staff"] for m in f["matches"])}
    if found.kind == AnomalyKind.CONFIRMED_BY_RELATIVE:
        return _("The case was confirmed on %(date)s by %(user)s, a relative of the household.") % {
            "date": f["decided_on"], "user": f["decided_by"]}
    if found.kind == AnomalyKind.HIGH_AMOUNTS:
        return _("Worker %(worker)s: average approved amount ¥%(avg)s over %(n)s cases, the county's ¥%(base)s.") % {
            "worker": f["worker"], "avg": f["average"], "n": f["cases"], "base": f["county_average"]}
    return _("Household survey of %(minutes)s minutes (under %(limit)s) by %(worker)s.") % {
        "minutes": f["minutes"], "limit": f["limit"], "worker": f["worker"]}


def record_findings(actor: Actor, run: AnomalyRun, found: list[Found]) -> dict:
    """Insert the findings no run found before, each with its control complaint, a batch to a
    unit of work. Returns {kind: new findings}."""
    found = sorted({f.fingerprint: f for f in found}.values(), key=lambda f: f.fingerprint)
    known = _known([f.fingerprint for f in found])
    new = [f for f in found if f.fingerprint not in known]
    counts = Counter()
    at = timezone.now()
    for batch in _chunks(new, BATCH):
        with unit_of_work(size_hint=len(batch) * 3) as uow:
            rows = []
            for f in batch:
                rows.append(uow.insert(AnomalyFinding(
                    run_id=run.pk, kind=f.kind, fingerprint=f.fingerprint[:120], area_id=f.area_id,
                    household_id=f.household_id, person_id=f.person_id, case_id=f.case_id, enrollment_id=f.enrollment_id,
                    staff_user_id=f.staff_user_id, facts=f.facts, amount=f.amount, found_at=at)))
                counts[f.kind] += 1
            items = [ComplaintInput(channel=ComplaintChannel.CONTROL, category=CategoryCode.CONTROL_FINDING,
                                    source_key=f"anomaly:{row.pk}", case_id=f.case_id, enrollment_id=f.enrollment_id,
                                    area_code=f.area_id if not (f.case_id or f.enrollment_id) else "",
                                    subject=str(AnomalyKind(f.kind).label)[:60], content=complaint_text(f))
                     for f, row in zip(batch, rows)]
            for row, filed in zip(rows, file_complaints(uow, actor, items)):
                if filed.complaint is not None:
                    uow.update_where(AnomalyFinding, {"complaint": filed.complaint.pk}, id=row.pk)
            uow.record_event(actor=actor, action="oversight.record_anomalies", object_type="oversight.anomalyrun",
                             object_id=run.pk, after={"found": len(batch)})
    return dict(counts)

