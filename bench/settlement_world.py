"""What the two one-stop settlement benchmarks share (bench_settlement_load.py,
bench_settlement_retry_storm.py): a fresh PostgreSQL database with the demo county's areas, people
in households enrolled in dibao or special hardship or on the monitoring register, a designated
hospital and its key; gunicorn started and stopped on it; and the checks of the database after a
run (PersonYear totals equal the sums of the person's settlements, no one over a cap).

The process that calls `prepare` becomes a Django process on the bench database (the environment
of `common.child_env`: DEBUG off, a bench secret), and gunicorn's workers get the same environment.
"""
from __future__ import annotations

import datetime as dt
import http.client
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from common import POSTGRES_SERVER, ROOT, child_env, postgres_admin

COUNTY = "130123"
DATABASE = "bench_medical"
SETTLE_PATH = "/api/v1/medical/institution/settlements"
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")

# Household kinds, by household number modulo 20: what the household is enrolled in or on the
# register as, hence the medical assistance categories of its members (medical/catalogue.py).
KINDS = (["dibao"] * 10 + ["special_hardship"] * 4 + ["margin"] * 3 + ["at_risk"] * 2 + ["rigid_expenses"])
CATEGORY_OF = {"dibao": "dibao", "special_hardship": "special_hardship", "margin": "low_income_margin",
               "at_risk": "at_risk", "rigid_expenses": "impoverished_by_illness"}


@dataclass
class World:
    url: str
    key: str
    institution_id: int
    ids: list[str]                                   # every seeded person's ID number
    person_of: dict[str, int]                        # ID number -> person id
    categories: dict[int, tuple[str, ...]] = field(default_factory=dict)   # person id -> category codes
    area_of: dict[int, str] = field(default_factory=dict)
    households: int = 0
    seconds: dict = field(default_factory=dict)


def database_url(name: str = DATABASE) -> str:
    return os.environ.get("DATABASE_URL") or f"{POSTGRES_SERVER}/{name}"


def _database_name(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?", 1)[0]


def today() -> dt.date:
    """The business day the server uses (Asia/Shanghai), whatever this machine's zone."""
    from django.utils import timezone

    return timezone.localdate()


def stay_dates(days: int = 20) -> str:
    """Admission/discharge pairs of the last `days` days, as the wrk script reads them
    ("admitted/discharged,..."): discharged 1..days days ago, stays of 0..9 days."""
    rnd = random.Random(7)
    pairs = []
    for back in range(1, days + 1):
        out = today() - dt.timedelta(days=back)
        pairs.append(f"{out - dt.timedelta(days=rnd.randint(0, 9))}/{out}")
    return ",".join(pairs)


def prepare(url: str, people: int, seed: int = 2026, *, template: bool = False) -> World:
    """A fresh database at `url` (dropped first if it exists), migrated and seeded; this process
    set up as Django on it. `template`: the migrated and seeded database is kept as
    `<name>_template_<people>` and copied on later runs (delete it after a schema change)."""
    name = _database_name(url)
    template_name = f"{name}_template_{people}"
    os.environ.update(child_env(url))
    started = time.monotonic()
    postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    import psycopg

    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as conn:
        have_template = template and conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                                  [template_name]).fetchone() is not None
    postgres_admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template_name}"' if have_template else ""))
    import django

    django.setup()
    from django.core.management import call_command

    if not have_template:
        call_command("migrate", verbosity=0, interactive=False)
    migrated = time.monotonic()
    if not have_template:
        _seed(random.Random(seed), people)
    world = _world(url)
    world.seconds = {"migrate": round(migrated - started, 1), "seed": round(time.monotonic() - migrated, 1),
                     "from_template": have_template}
    from django.db import connections

    connections.close_all()
    if template and not have_template:
        # A copy of the database before any settlement and key (the key's secret is not stored).
        with psycopg.connect(url) as conn:
            conn.execute("DELETE FROM medical_institutionkey")
        postgres_admin(f'CREATE DATABASE "{template_name}" TEMPLATE "{name}"')
        world = replace(_world(url), seconds=world.seconds)
        connections.close_all()
    return world


def drop(url: str) -> None:
    from django.db import connections

    connections.close_all()
    postgres_admin(f'DROP DATABASE IF EXISTS "{_database_name(url)}" WITH (FORCE)')


def _seed(rnd: random.Random, people: int) -> None:
    """Set-based (bulk_create): households of 1-3 people in the county's villages; per household a
    case, its decision and a live enrollment (dibao, special hardship) or a current entry of the
    monitoring register (margin, at risk, heavy rigid expenses); one dibao household in eight also
    on the register as at risk (two categories: the most favorable applies). A designated hospital
    of the county and its key."""
    from decimal import Decimal

    from django.db import connection, transaction
    from django.utils import timezone

    from safetynet.areas.actors import system_actor
    from safetynet.areas.models import Area
    from safetynet.areas.services import import_divisions
    from safetynet.cases.models import Case, Decision
    from safetynet.core.idnumbers import make_id_number
    from safetynet.discovery.warning_models import MonitoredHousehold
    from safetynet.enrollments.models import Enrollment
    from safetynet.medical.models import Institution
    from safetynet.programs.demo import seed_demo_standards
    from safetynet.registry.models import Household, Person

    actor = system_actor()
    divisions = ROOT / "safetynet" / "areas" / "data" / "divisions-130123.csv"
    with divisions.open("rb") as f:
        import_divisions(actor=actor, source=f, filename=divisions.name)
    seed_demo_standards(actor=actor, county_code=COUNTY)
    villages = list(Area.objects.filter(code__startswith=COUNTY, level="village").order_by("code")
                    .values_list("code", flat=True))
    day = today()
    month = day.replace(day=1)
    now = timezone.now()
    base = dt.date(1940, 1, 1)

    sizes, total = [], 0
    while total < people:
        size = min((1, 2, 3, 2)[len(sizes) % 4], people - total)
        sizes.append(size)
        total += size
    with transaction.atomic():
        households = Household.objects.bulk_create(
            [Household(area_id=villages[h % len(villages)], address=f"医保路{h}号", registration_type="rural")
             for h in range(len(sizes))], batch_size=5000)
        persons, i = [], 0
        for h, (household, size) in enumerate(zip(households, sizes)):
            for k in range(size):
                i += 1
                sex = "male" if (i // 7) % 2 else "female"
                birth = base + dt.timedelta(days=i // 10000 + (i % 3) * 3650)   # (prefix, sequence, birth) one-to-one with i
                persons.append(Person(household=household, area_id=household.area_id, name=f"病人{i}",
                                      id_number=make_id_number(str(130100 + i % 100), birth, (i // 100) % 100, sex),
                                      sex=sex, birth_date=birth, relation_to_head="head" if k == 0 else "child"))
        Person.objects.bulk_create(persons, batch_size=5000)
        connection.cursor().execute(
            "UPDATE registry_household SET head_id = (SELECT MIN(p.id) FROM registry_person p "
            "WHERE p.household_id = registry_household.id) WHERE head_id IS NULL")
        heads = dict(Person.objects.filter(relation_to_head="head").values_list("household_id", "pk"))
        kind_of = {hh.pk: KINDS[h % len(KINDS)] for h, hh in enumerate(households)}
        enrolled = [hh for hh in households if kind_of[hh.pk] in ("dibao", "special_hardship")]
        cases = Case.objects.bulk_create(
            [Case(program_id=kind_of[hh.pk], path=kind_of[hh.pk], household_id=hh.pk, applicant_id=heads[hh.pk],
                  area_id=hh.area_id, channel="walk_in", status="confirmed", is_open=False, applied_on=day,
                  decided_on=day, created_by="bench") for hh in enrolled], batch_size=5000)
        decisions = Decision.objects.bulk_create(
            [Decision(case=c, outcome="approved", monthly_amount=Decimal("600.00"), start_month=month,
                      decided_by="bench", decided_at=now, decided_on=day, letter_number=f"BENCH-{c.pk}")
             for c in cases], batch_size=5000)
        Enrollment.objects.bulk_create(
            [Enrollment(program_id=c.program_id, household_id=c.household_id, area_id=c.area_id, case=c, decision=d,
                        status="active", monthly_amount=d.monthly_amount, start_month=month,
                        next_recheck_date=day + dt.timedelta(days=200)) for c, d in zip(cases, decisions)],
            batch_size=5000)
        register = []
        for h, hh in enumerate(households):
            kind = kind_of[hh.pk]
            if kind in ("margin", "at_risk", "rigid_expenses"):
                register.append((hh, kind))
            elif kind == "dibao" and h % 8 == 0:
                register.append((hh, "at_risk"))
        MonitoredHousehold.objects.bulk_create(
            [MonitoredHousehold(household=hh, area_id=hh.area_id, category=kind, since=day - dt.timedelta(days=100),
                                source="worker", reason="bench") for hh, kind in register], batch_size=5000)
        Institution.objects.create(
            code="H13012300001", name="正定县人民医院", kind="hospital", area_id=COUNTY,
            contract_from=day - dt.timedelta(days=365), contract_until=day + dt.timedelta(days=365),
            bank_name="中国农业银行", bank_account="6228480010000000001", account_name="正定县人民医院")
    connection.cursor().execute("ANALYZE")


def _world(url: str) -> World:
    """The seeded world as the benchmarks use it: a new key for the hospital, every person's ID
    number, area and categories (read from the seeded enrollments and register entries: the
    benchmark's own knowledge, not the settlement's)."""
    from collections import defaultdict

    from safetynet.areas.actors import system_actor
    from safetynet.discovery.warning_models import MonitoredHousehold
    from safetynet.enrollments.models import Enrollment
    from safetynet.medical import keys
    from safetynet.medical.models import Institution
    from safetynet.registry.models import Household, Person

    institution = Institution.objects.get(code="H13012300001")
    _key_row, key = keys.issue_key(actor=system_actor(), institution_id=institution.pk)
    codes = defaultdict(set)
    for household_id, program in Enrollment.objects.values_list("household_id", "program_id"):
        codes[household_id].add(CATEGORY_OF[program])
    for household_id, category in MonitoredHousehold.objects.values_list("household_id", "category"):
        codes[household_id].add(CATEGORY_OF[category])
    world = World(url=url, key=key, institution_id=institution.pk, ids=[], person_of={},
                  households=Household.objects.count())
    for pk, household_id, area_id, number in (Person.objects.order_by("pk")
                                              .values_list("pk", "household_id", "area_id", "id_number")):
        world.ids.append(number)
        world.person_of[number] = pk
        world.categories[pk] = tuple(sorted(codes[household_id]))
        world.area_of[pk] = area_id
    return world


# ---------------------------------------------------------------------------------------------
# gunicorn
# ---------------------------------------------------------------------------------------------
def start_gunicorn(url: str, *, workers: int, port: int, worker_class: str = "sync", threads: int = 1,
                   log: Path) -> subprocess.Popen:
    """gunicorn on 127.0.0.1:port with the production settings (DEBUG off) on the bench database;
    answers once a request gets an HTTP answer."""
    command = [GUNICORN, "safetynet.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}", "-k", worker_class,
               "--timeout", "30", "--log-level", "warning"]
    if worker_class == "gthread":
        command += ["--threads", str(threads)]
    log.parent.mkdir(parents=True, exist_ok=True)
    # CONN_MAX_AGE 600 (the default is 60): each worker keeps one connection for the whole run, so
    # its PostgreSQL backend, whose CPU is read from /proc, lives as long as the run.
    env = {**child_env(url), "PYTHONPATH": str(ROOT), "CONN_MAX_AGE": "600"}
    process = subprocess.Popen(command, env=env, cwd=ROOT,
                               stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.stderr.write(log.read_text())
            raise SystemExit("gunicorn stopped")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("POST", SETTLE_PATH, body="{}", headers={"Content-Type": "application/json"})
            conn.getresponse().read()
            conn.close()
            return process
        except OSError:
            time.sleep(0.3)
    stop_gunicorn(process)
    raise SystemExit("gunicorn did not answer in 60 s")


def stop_gunicorn(process: subprocess.Popen) -> None:
    """SIGTERM to gunicorn's master (it stops its workers), by the id this script started."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def warm_up(port: int, key: str, ids: list[str], workers: int, prefix: str = "WARM") -> int:
    """A few settlements on each worker's connection before measuring (each worker loads the URL
    configuration and the reference caches on its first request); the number answered 200."""
    import json

    ok = 0
    pairs = stay_dates().split(",")
    for n in range(workers * 4):
        admitted, discharged = pairs[n % len(pairs)].split("/")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("POST", SETTLE_PATH, body=json.dumps(
            {"visit_number": f"{prefix}-{n}", "id_number": ids[n * 7919 % len(ids)], "admitted_on": admitted,
             "discharged_on": discharged, "total_cost": "1000.00", "basic_insurance_paid": "500.00",
             "critical_illness_paid": "0.00", "eligible_self_paid": "400.00", "ineligible_self_paid": "100.00"}),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        ok += response.status == 200
        conn.close()
    return ok


# ---------------------------------------------------------------------------------------------
# CPU, read from /proc (the server is on this machine): what load on a shared machine does not inflate
# ---------------------------------------------------------------------------------------------
def cpu_seconds(pids) -> float:
    """User + system CPU seconds used so far by the processes (gone ones count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def gunicorn_pids(master: subprocess.Popen) -> list[int]:
    """gunicorn's master and its workers."""
    pids = [master.pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master.pid:
                pids.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return pids


def postgres_backends(url: str) -> list[int]:
    """The PostgreSQL server processes serving connections to the bench database."""
    name = f" {_database_name(url)} ".encode()
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes()
        except OSError:
            continue
        if text.startswith(b"postgres: ") and name in text:
            pids.append(int(cmdline.parent.name))
    return pids


# ---------------------------------------------------------------------------------------------
# After a run
# ---------------------------------------------------------------------------------------------
def check_database(world: World) -> dict:
    """Settlements written; person-years whose totals differ from the sums of their live
    settlements (or settlements with no person-year); person-years whose assistance is over the
    largest annual cap of the person's categories (read from the terms in force, not from the
    settlements' answers)."""
    from django.db import connection

    from safetynet.medical.terms import terms_for

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*), COUNT(*) FILTER (WHERE status = 'settled'), COALESCE(SUM(assistance), 0) "
                       "FROM medical_settlement")
        settlements, live, assistance = cursor.fetchone()
        cursor.execute("SELECT split_part(visit_number, '-', 1), COUNT(*) FROM medical_settlement "
                       "WHERE status = 'settled' GROUP BY 1")
        by_prefix = {}
        for head, count in cursor.fetchall():
            prefix = head.rstrip("0123456789") or head
            by_prefix[prefix] = by_prefix.get(prefix, 0) + count
        cursor.execute("""
            SELECT COUNT(*) FROM medical_personyear py
            FULL JOIN (SELECT person_id, year, SUM(eligible_self_paid) AS e, SUM(assistance) AS a, COUNT(*) AS n
                       FROM medical_settlement WHERE status = 'settled' GROUP BY person_id, year) s
              ON s.person_id = py.person_id AND s.year = py.year
            WHERE py.id IS NULL OR py.eligible_total <> COALESCE(s.e, 0) OR py.assistance_total <> COALESCE(s.a, 0)
               OR py.settlements <> COALESCE(s.n, 0)""")
        totals_differ = cursor.fetchone()[0]
        cursor.execute("SELECT person_id, year, assistance_total FROM medical_personyear")
        years = cursor.fetchall()
    over_cap = 0
    caps: dict[tuple, object] = {}
    for person_id, year, paid in years:
        key = (world.area_of[person_id], year, world.categories[person_id])
        if key not in caps:
            caps[key] = max(t.annual_cap for t in terms_for(key[0], year, key[2]).values())
        over_cap += paid > caps[key]
    return {"settlements": settlements, "live": live, "by_prefix": by_prefix, "assistance": assistance,
            "person_years": len(years),
            "totals_differ": totals_differ, "over_cap": over_cap}
