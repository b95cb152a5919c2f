"""The monthly warning run (issue 17 part 4) over 1,000,000 registry persons and 12 months of
department snapshots: target at most 60 s on this machine. Prints seconds and peak memory.

Setup (not timed, minutes): a fresh SQLite database in var/bench/warnings-<persons>/ (migrated,
the 正定县 division list imported), households of 2–4 persons in its real villages written with
`bulk_create` (the registry's services would audit each: hours at this size), and the department
files generated with pyarrow and imported through `verification.services.import_snapshot` (each
row validated): deaths (0.8 % of persons in the year), disability certificates (1 %), unemployment
registrations (2 %), self-paid medical costs (a row a month for a year for 10 % of persons, 0.5 %
of them heavy), and a disaster list (60 addresses and one village). No verification results (the
income rule reads the database's newest results, not a snapshot). The run then raises every warning
of the national default rules and opens a lead for each household through `services.open_leads`.
It is timed in a child process of its own (peak memory from its getrusage), twice: the first run
raises and opens leads, the second finds the same facts and raises nothing.

    .venv/bin/python bench/bench_warnings.py [--persons 1000000] [--fresh]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
COUNTY = "130123"


def workdir(persons: int) -> Path:
    return ROOT / "var" / "bench" / f"warnings-{persons}"


def child_env(persons: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return {**env, "SAFETYNET_DATA_DIR": str(workdir(persons)), "DJANGO_SETTINGS_MODULE": "safetynet.settings",
            "DEBUG": "false", "SECRET_KEY": "bench-only-not-secret", "PYTHONPATH": str(ROOT)}


def run_child(step: str, persons: int) -> dict:
    out = subprocess.run([PYTHON, __file__, "--child", step, "--persons", str(persons)], env=child_env(persons),
                         capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        sys.stderr.write(out.stdout + out.stderr)
        raise SystemExit(f"step {step} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--child", default="")
    args = parser.parse_args()
    if args.child:
        import django

        django.setup()
        result = {"setup": step_setup, "run": step_run, "reset": step_reset, "topup": step_topup}[args.child](args)
        result["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        print(json.dumps(result, default=str))
        return
    folder = workdir(args.persons)
    if args.fresh and folder.exists():
        shutil.rmtree(folder)
    if not (folder / "SETUP_DONE").exists():
        folder.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        subprocess.run([PYTHON, str(ROOT / "manage.py"), "migrate", "-v0"], env=child_env(args.persons), check=True,
                       cwd=ROOT)
        setup = run_child("setup", args.persons)
        setup["seconds_total"] = round(time.monotonic() - started, 1)
        (folder / "SETUP_DONE").write_text(json.dumps(setup, default=str))
    setup = json.loads((folder / "SETUP_DONE").read_text())
    if setup["persons"] < args.persons:
        # A setup made before the ID numbers were kept unique: the missing persons are added
        # (without department records, as most people have none).
        setup["persons"] = run_child("topup", args.persons)["persons"]
        (folder / "SETUP_DONE").write_text(json.dumps(setup, default=str))
    run_child("reset", args.persons)
    first = run_child("run", args.persons)
    second = run_child("run", args.persons)
    print(f"Monthly warning run, {setup['persons']:,} persons in {setup['households']:,} households, "
          f"{setup['snapshot_rows']:,} department rows ({', '.join(f'{k} {v:,}' for k, v in setup['rows'].items())})")
    print(f"  setup (not timed): {setup['seconds_total']} s")
    for label, r in (("first run", first), ("second run", second)):
        print(f"  {label}: {r['seconds']} s (target ≤ 60 s), peak memory {r['peak_rss_mib']} MiB; found {r['found']}; "
              f"raised {r['raised']}, leads opened {r['leads_opened']}, joined {r['leads_joined']}, "
              f"raised before {r['already']}")


def step_setup(args) -> dict:
    import datetime as dt
    import random
    from decimal import Decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    from safetynet.areas.actors import system_actor
    from safetynet.areas.models import Area
    from safetynet.areas.services import import_divisions
    from safetynet.core.idnumbers import make_id_number
    from safetynet.registry.models import Household, Person
    from safetynet.verification.services import import_snapshot

    actor = system_actor()
    divisions = ROOT / "safetynet" / "areas" / "data" / "divisions-130123.csv"
    if not Area.objects.filter(code=COUNTY).exists():
        with divisions.open("rb") as f:
            import_divisions(actor=actor, source=f, filename=divisions.name)
    villages = list(Area.objects.filter(code__startswith=COUNTY, level="village").values_list("code", flat=True))
    rnd = random.Random(17)
    today = dt.date.today()
    persons: list[tuple] = []          # (id_number, household index)
    households = []
    taken: set[str] = set()
    seq = 0
    while len(persons) < args.persons:
        index = len(households)
        households.append((villages[index % len(villages)], f"{index}号院"))
        for _ in range(rnd.randint(2, 4)):
            seq += 1
            birth = dt.date(1940, 1, 1) + dt.timedelta(days=rnd.randrange(0, 80 * 365))
            number = make_id_number("130123", birth, seq % 997, "male" if seq % 2 else "female")
            while number in taken:
                birth += dt.timedelta(days=1)
                number = make_id_number("130123", birth, seq % 997, "male" if seq % 2 else "female")
            taken.add(number)
            persons.append((number, index, birth))
    persons = persons[:args.persons]
    ids = []
    for start in range(0, len(households), 5000):
        made = Household.objects.bulk_create([Household(area_id=a, address=addr, registration_type="rural")
                                              for a, addr in households[start:start + 5000]])
        ids.extend(h.pk for h in made)
    seen = set()
    batch = []
    for n, (number, index, birth) in enumerate(persons):
        if number in seen:
            continue
        seen.add(number)
        batch.append(Person(household_id=ids[index], area_id=households[index][0], name=f"居民{n}", id_number=number,
                            sex="male" if int(number[16]) % 2 else "female", birth_date=birth,
                            relation_to_head="head" if n == 0 or persons[n - 1][1] != index else "child"))
        if len(batch) == 10000:
            Person.objects.bulk_create(batch)
            batch = []
    Person.objects.bulk_create(batch)
    numbers = list(dict.fromkeys(p[0] for p in persons))

    def day_back(days):
        return today - dt.timedelta(days=rnd.randint(1, days))

    rows = {}
    deaths = rnd.sample(numbers, len(numbers) * 8 // 1000)
    rows["public_security_deaths"] = {"id_number": deaths, "death_date": [day_back(365) for _ in deaths]}
    cert = rnd.sample(numbers, len(numbers) // 100)
    rows["disability_certificates"] = {
        "id_number": cert, "certificate_no": [f"D{i:08d}" for i in range(len(cert))],
        "category": [rnd.choice(["physical", "visual", "hearing", "intellectual"]) for _ in cert],
        "grade": [str(rnd.randint(1, 4)) for _ in cert], "issued_on": [day_back(730) for _ in cert]}
    unemployed = rnd.sample(numbers, len(numbers) * 2 // 100)
    rows["unemployment"] = {"id_number": unemployed, "monthly_amount": [Decimal("1500.00") for _ in unemployed],
                            "since": [day_back(730) for _ in unemployed]}
    patients = rnd.sample(numbers, len(numbers) // 10)
    heavy = set(rnd.sample(patients, len(patients) // 200))
    med = {"id_number": [], "self_paid": [], "period_end": []}
    first = today.replace(day=1)
    for number in patients:
        for m in range(12):
            index = first.year * 12 + first.month - 2 - m
            month = dt.date(index // 12, index % 12 + 1, 1)
            amount = rnd.expovariate(1 / (4000 if number in heavy else 300))
            med["id_number"].append(number)
            med["self_paid"].append(Decimal(f"{amount:.2f}"))
            med["period_end"].append(min(month + dt.timedelta(days=27), today - dt.timedelta(days=1)))
    rows["medical_costs"] = med
    hit = rnd.sample(range(len(households)), 60)
    rows["disaster_addresses"] = {
        "event": [f"洪涝{i % 3}" for i in range(60)] + ["冰雹"], "occurred_on": [day_back(60) for _ in range(61)],
        "address": [households[i][1] for i in hit] + [None], "area_code": [None] * 60 + [villages[0]]}
    types = {"death_date": pa.date32(), "issued_on": pa.date32(), "since": pa.date32(), "period_end": pa.date32(),
             "occurred_on": pa.date32(), "monthly_amount": pa.decimal128(14, 2), "self_paid": pa.decimal128(14, 2)}
    counts = {}
    for code, columns in rows.items():
        table = pa.table({k: pa.array(v, types.get(k, pa.string())) for k, v in columns.items()})
        path = workdir(args.persons) / f"{code}.parquet"
        pq.write_table(table, path)
        try:
            import_snapshot(actor=actor, dataset_code=code, source=path, filename=path.name)
        except Exception as error:
            raise SystemExit(f"{code}: {getattr(error, 'details', None) or error}"[:2000])
        counts[code] = table.num_rows
    return {"persons": len(numbers), "households": len(households), "rows": counts,
            "snapshot_rows": sum(counts.values())}


def step_topup(args) -> dict:
    import datetime as dt
    import random

    from safetynet.core.idnumbers import make_id_number
    from safetynet.registry.models import Household, Person

    rnd = random.Random(23)
    have = Person.objects.count()
    taken = set(Person.objects.values_list("id_number", flat=True))
    homes = list(Household.objects.values_list("pk", "area_id"))
    batch, n = [], 0
    while have + n < args.persons:
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=rnd.randrange(0, 80 * 365))
        number = make_id_number("130123", birth, rnd.randrange(1, 997), "female")
        if number in taken:
            continue
        taken.add(number)
        household, area = rnd.choice(homes)
        batch.append(Person(household_id=household, area_id=area, name=f"补{n}", id_number=number, sex="female",
                            birth_date=birth, relation_to_head="child"))
        n += 1
        if len(batch) == 10000:
            Person.objects.bulk_create(batch)
            batch = []
    Person.objects.bulk_create(batch)
    return {"persons": Person.objects.count()}


def step_reset(args) -> dict:
    """Forget the warnings and leads of earlier bench runs (bench scaffolding, not a service)."""
    from safetynet.discovery.models import Lead, LeadEvent
    from safetynet.discovery.warning_models import MonitoredHousehold, Warning, WarningRun

    for model in (Warning, WarningRun, LeadEvent, MonitoredHousehold):
        model.objects.all()._raw_delete("default")
    Lead.objects.all()._raw_delete("default")
    return {}


def step_run(args) -> dict:
    from safetynet.areas.actors import system_actor
    from safetynet.discovery.warning_run import run_warnings
    import datetime as dt

    started = time.monotonic()
    result = run_warnings(system_actor(), COUNTY, dt.date.today().replace(day=1))
    out = result.as_dict()
    out["seconds"] = round(time.monotonic() - started, 2)
    return out


if __name__ == "__main__":
    main()
