"""The anomaly report (issue 18 part 6) over 1,000,000 live enrollments and the department
snapshots: target at most 60 s on this machine. Prints seconds and peak memory.

Setup (not timed, minutes): a fresh SQLite database in var/bench/anomalies-<enrollments>/
(migrated, the 正定县 division list imported, a second county for the moved households). The
rows are written set-based: households and persons (2–3 a household, valid ID numbers made in
Python) by `executemany`; then one `INSERT … SELECT` each for a case per household (copied from
one template case; created by 60 workers, one of whom approves at twice the others' amounts),
its approval, its enrollment (90 % dibao, 10 % special hardship), a month's payroll line per
enrollment, a household survey for 10 % of cases (3 % of them short), and a verification result
for 20 % of households (2 % of them over the standard). Planted beside them: 0.1 % of heads also
enrolled individually in special hardship, 0.05 % enrolled in the other county too, 0.05 % of households all
dead and still paid, 200 staff members living in enrolled households. Deaths (0.8 % of persons, dated in the last year) are
imported as the public-security snapshot through `verification.services.import_snapshot` (each row
validated). The report is then run in a child process of its own (peak memory from getrusage),
twice: the first finds and files every finding with its complaint, the second finds the same facts
and files nothing.

    .venv/bin/python bench/bench_anomalies.py [--enrollments 1000000] [--fresh]
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
OTHER = "130124"


def workdir(n: int) -> Path:
    return ROOT / "var" / "bench" / f"anomalies-{n}"


def child_env(n: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return {**env, "SAFETYNET_DATA_DIR": str(workdir(n)), "DJANGO_SETTINGS_MODULE": "safetynet.settings",
            "DEBUG": "false", "SECRET_KEY": "bench-only-not-secret", "PYTHONPATH": str(ROOT)}


def run_child(step: str, n: int) -> dict:
    out = subprocess.run([PYTHON, __file__, "--child", step, "--enrollments", str(n)], env=child_env(n),
                         capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        sys.stderr.write(out.stdout + out.stderr)
        raise SystemExit(f"step {step} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enrollments", type=int, default=1_000_000)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--child", default="")
    args = parser.parse_args()
    if args.child:
        import django

        django.setup()
        result = {"setup": step_setup, "run": step_run, "reset": step_reset}[args.child](args)
        result["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        print(json.dumps(result, default=str))
        return
    folder = workdir(args.enrollments)
    if args.fresh and folder.exists():
        shutil.rmtree(folder)
    if not (folder / "SETUP_DONE").exists():
        folder.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        subprocess.run([PYTHON, str(ROOT / "manage.py"), "migrate", "-v0"], env=child_env(args.enrollments), check=True,
                       cwd=ROOT)
        setup = run_child("setup", args.enrollments)
        setup["seconds_total"] = round(time.monotonic() - started, 1)
        (folder / "SETUP_DONE").write_text(json.dumps(setup, default=str))
    setup = json.loads((folder / "SETUP_DONE").read_text())
    run_child("reset", args.enrollments)
    first = run_child("run", args.enrollments)
    second = run_child("run", args.enrollments)
    print(f"Anomaly report, {setup['enrollments']:,} live enrollments of {setup['households']:,} households "
          f"({setup['persons']:,} persons), {setup['payments']:,} payroll lines, {setup['results']:,} verification "
          f"results, {setup['surveys']:,} surveys, {setup['deaths']:,} public-security deaths")
    print(f"  setup (not timed): {setup['seconds_total']} s")
    for label, r in (("first run", first), ("second run", second)):
        print(f"  {label}: {r['seconds']} s (target ≤ 60 s), peak memory {r['peak_rss_mib']} MiB; found {r['found']}; "
              f"new {r['new']}")


def _copy_sql(model, overrides: dict, source: str) -> str:
    """INSERT INTO model's table (every column but the key) SELECT the template row's own columns,
    or the override's SQL expression, FROM `source` (which names the template `t`)."""
    columns = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    exprs = [overrides.get(c, f"t.{c}") for c in columns]
    return f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(exprs)} FROM {source}"


def step_setup(args) -> dict:
    import datetime as dt
    import random
    from decimal import Decimal

    import pyarrow as pa
    import pyarrow.parquet as pq
    from django.db import connection, transaction
    from django.utils import timezone

    from safetynet.areas.actors import system_actor
    from safetynet.areas.models import Area
    from safetynet.areas.services import import_divisions
    from safetynet.cases.models import Case, Decision, Survey
    from safetynet.core.idnumbers import make_id_number
    from safetynet.enrollments.models import Enrollment
    from safetynet.payroll.models import Payment, PayrollRun
    from safetynet.programs.demo import seed_demo_standards
    from safetynet.verification.models import HouseholdResult, VerificationRun
    from safetynet.verification.services import import_snapshot
    from safetynet.workforce.models import StaffIdentity

    actor = system_actor()
    divisions = ROOT / "safetynet" / "areas" / "data" / "divisions-130123.csv"
    with divisions.open("rb") as f:
        import_divisions(actor=actor, source=f, filename=divisions.name)
    seed_demo_standards(actor=actor, county_code=COUNTY)
    city = Area.objects.get(code=COUNTY).parent
    other = Area.objects.create(code=OTHER, name="栾城区", level="county", parent=city)
    other_town = Area.objects.create(code=OTHER + "100", name="栾城镇", level="town", parent=other)
    other_village = Area.objects.create(code=OTHER + "100001", name="一村", level="village", parent=other_town,
                                        urban_rural_class="220")
    villages = list(Area.objects.filter(code__startswith=COUNTY, level="village").values_list("code", flat=True))
    rnd = random.Random(29)
    today = dt.date.today()
    month = today.replace(day=1)
    n = args.enrollments
    base = dt.date(1935, 1, 1)
    cursor = connection.cursor()
    now = timezone.now().isoformat(sep=" ")

    # Households and persons (valid, unique ID numbers: prefix × sequence × sex × birth day).
    households, persons, numbers, gone = [], [], [], []
    i = 0
    for h in range(1, n + 1):
        households.append((h, villages[h % len(villages)], f"{h}号院", "rural", "", "", "", now, now))
        for k in range(rnd.choice((2, 2, 3, 3, 3))):
            i += 1
            birth = base + dt.timedelta(days=(i // 20000) * 97 % 29000)
            number = make_id_number(str(130100 + i % 100), birth, (i // 100) % 100, "male" if (i // 10000) % 2 else "female")
            persons.append((i, h, villages[h % len(villages)], f"居民{i}", number, "male" if (i // 10000) % 2 else "female",
                            birth.isoformat(), "head" if k == 0 else "child", "", None, 0, "full", "", 0, now, now))
            numbers.append(number)
            if h % 2000 == 11:
                gone.append(number)   # planted: a household all of whose members died, still paid
    with transaction.atomic():
        cursor.executemany("INSERT INTO registry_household (id, area_id, address, registration_type, phone, bank_account, "
                           "external_ref, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)", households)
        cursor.executemany("INSERT INTO registry_person (id, household_id, area_id, name, id_number, sex, birth_date, "
                           "relation_to_head, disability_type, disability_grade, serious_illness, work_ability, phone, "
                           "is_deceased, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", persons)
        cursor.execute("UPDATE registry_household SET head_id = (SELECT MIN(p.id) FROM registry_person p "
                       "WHERE p.household_id = registry_household.id)")
    del households, persons

    # One template case and approval, copied once per household.
    template = Case.objects.create(program_id="dibao", path="dibao", household_id=1, applicant_id=1, area_id=villages[1],
                                   channel="walk_in", status="confirmed", is_open=False, applied_on=today,
                                   decided_on=today, created_by="template")
    template_decision = Decision.objects.create(case=template, outcome="approved", monthly_amount=Decimal("600.00"),
                                                start_month=month, decided_by="county_officer", decided_at=timezone.now(),
                                                decided_on=today, letter_number="TEMPLATE")
    with transaction.atomic():
        cursor.execute(_copy_sql(Case, {
            "program_id": "CASE WHEN h.id % 10 = 0 THEN 'special_hardship' ELSE 'dibao' END",
            "path": "CASE WHEN h.id % 10 = 0 THEN 'special_hardship' ELSE 'dibao' END",
            "household_id": "h.id", "applicant_id": "h.head_id", "area_id": "h.area_id",
            "created_by": "'worker' || (h.id % 60)"},
            f"cases_case t, registry_household h WHERE t.id = {template.pk}"))
        cursor.execute(_copy_sql(Decision, {
            "case_id": "c.id", "letter_number": "'L' || c.id",
            "monthly_amount": "CASE WHEN c.created_by = 'worker7' THEN 1400 + (c.id % 400) ELSE 500 + (c.id % 400) END"},
            f"cases_decision t, cases_case c WHERE t.id = {template_decision.pk} AND c.id <> {template.pk}"))
        cursor.execute(_copy_sql(Enrollment, {
            "program_id": "c.program_id", "household_id": "c.household_id", "person_id": "NULL", "area_id": "c.area_id",
            "case_id": "c.id", "decision_id": "d.id", "status": "'active'", "monthly_amount": "d.monthly_amount",
            "breakdown": "'[]'", "start_month": f"'{month.isoformat()}'", "next_recheck_date": f"'{(today + dt.timedelta(days=200)).isoformat()}'",
            "bank_account": "''", "ended_on": "NULL", "end_reason": "''", "created_at": f"'{now}'", "updated_at": f"'{now}'"},
            f"cases_case c JOIN cases_decision d ON d.case_id = c.id, (SELECT 1) t WHERE c.id <> {template.pk}"))
        # Planted: heads also enrolled individually in special hardship (0.1 %), heads enrolled in
        # the other county too (0.05 %).
        cursor.execute(_copy_sql(Enrollment, {"program_id": "'special_hardship'", "person_id": "h.head_id"},
                                 "enrollments_enrollment t JOIN registry_household h ON h.id = t.household_id "
                                 "WHERE t.program_id = 'dibao' AND t.household_id % 1000 = 1"))
        cursor.execute(_copy_sql(Enrollment, {"person_id": "h.head_id", "area_id": f"'{other_village.code}'"},
                                 "enrollments_enrollment t JOIN registry_household h ON h.id = t.household_id "
                                 "WHERE t.person_id IS NULL AND t.household_id % 2000 = 7"))
        run = PayrollRun.objects.create(area_id=COUNTY, month=month, code=f"{COUNTY}{month:%Y%m}", status="generated")
        cursor.execute(_copy_sql(Payment, {
            "run_id": str(run.pk), "enrollment_id": "t.id", "program_id": "t.program_id", "month": f"'{month.isoformat()}'",
            "kind": "'regular'", "amount": "t.monthly_amount", "bank_account": "''", "payee_name": "''",
            "reference": "'P' || t.id", "status": "'pending'", "carried_from_id": "NULL", "return_reason": "''"},
            f"enrollments_enrollment t WHERE t.area_id LIKE '{COUNTY}%'"))
        cursor.execute(_copy_sql(Survey, {
            "case_id": "c.id", "kind": "'household'", "conducted_on": f"'{today.isoformat()}'", "findings": "'入户'",
            "signed_by_household": "1", "signed_at": f"'{now}'", "daily_activities": "NULL", "care_level": "''",
            "supporters": "'[]'", "recorded_by": "c.created_by", "recorded_at": f"'{now}'",
            "duration_minutes": "CASE WHEN c.id % 330 = 3 THEN 10 ELSE 30 + c.id % 60 END"},
            f"cases_case c, (SELECT 1) t WHERE c.id % 10 = 3 AND c.id <> {template.pk}"))
        vrun = VerificationRun.objects.create(kind="county", area_code=COUNTY, as_of=today, status="done",
                                              requested_by="bench")
        rule = json.dumps({"program": "dibao", "standard": "720.00", "financial_limit": "25920.00", "max_homes": 1,
                           "max_vehicles": 0, "max_businesses": 0, "max_non_residential_properties": 0})
        cursor.execute(_copy_sql(HouseholdResult, {
            "run_id": str(vrun.pk), "household_id": "h.id", "area_code": "h.area_id", "chunk": "0", "members": "2",
            "deceased": "0", "counted_income": "0", "income": "'{}'", "found_wages": "0", "declared_wages": "0",
            "per_capita_income": "CASE WHEN h.id % 250 = 5 THEN 1500 ELSE 200 + h.id % 300 END",
            "financial_assets": "1000", "assets": "'{}'", "homes": "1", "non_residential": "0", "vehicles": "0",
            "businesses": "0", "flags": "'[]'", "flagged": "0", "eligible": "1", "amount": "0",
            "rule": f"'{rule}'"}, "registry_household h, (SELECT 1) t WHERE h.id % 5 = 0"))
    staff = rnd.sample(range(1, len(numbers) + 1), 200)
    StaffIdentity.objects.bulk_create([StaffIdentity(name=f"干部{k}", id_number=numbers[k - 1], area_id=COUNTY,
                                                     kind="county_staff") for k in staff])
    deaths = list(dict.fromkeys(rnd.sample(numbers, len(numbers) * 8 // 1000) + gone))
    table = pa.table({"id_number": pa.array(deaths, pa.string()),
                      "death_date": pa.array([today - dt.timedelta(days=rnd.randint(1, 365)) for _ in deaths], pa.date32())})
    path = workdir(n) / "public_security_deaths.parquet"
    pq.write_table(table, path)
    import_snapshot(actor=actor, dataset_code="public_security_deaths", source=path, filename=path.name)
    counts = {m._meta.label: m.objects.count() for m in (Enrollment, Payment, HouseholdResult, Survey)}
    return {"enrollments": counts["enrollments.Enrollment"], "households": n, "persons": len(numbers),
            "payments": counts["payroll.Payment"], "results": counts["verification.HouseholdResult"],
            "surveys": counts["cases.Survey"], "deaths": len(deaths)}


def step_reset(args) -> dict:
    """Forget the findings and complaints of earlier bench runs (bench scaffolding, not a service)."""
    from safetynet.oversight.models import AnomalyFinding, AnomalyRun, Complaint, ComplaintEvent

    for model in (AnomalyFinding, AnomalyRun, ComplaintEvent, Complaint):
        model.objects.all()._raw_delete("default")
    return {}


def step_run(args) -> dict:
    import datetime as dt

    from safetynet.areas.actors import system_actor
    from safetynet.oversight.anomaly_run import run_anomalies

    started = time.monotonic()
    run = run_anomalies(system_actor(), COUNTY, dt.date.today().replace(day=1), monthly=True)
    return {"seconds": round(time.monotonic() - started, 2), "found": run.found, "new": sum(run.counts.values()),
            "run_seconds": run.seconds}


if __name__ == "__main__":
    main()
