"""The county workload overview (issue 19 part 2) over a county of 1,000,000 people and 50,000
open items: target under 1 s. Prints the median of several timings of the selector the page uses
(`workload.overview.town_loads`), and of a town's workers' loads (`worker_loads`).

Setup (not timed, a few minutes): a fresh SQLite database in var/bench/workload-<people>-<items>/
(migrated, the 正定县 division list imported: 10 towns, 187 villages). Rows written set-based:
households (2.6 people each) and persons by `executemany`; town staff (8 a town, one town with a
single worker so that it is understaffed) and two committee members a village by bulk_create;
then one `INSERT … SELECT` each, copied from one template row: a closed case, its decision and
a live enrollment for 5 % of households; and the open items, split 40 % cases to survey
(accepted, their survey due from 20 days ago to 20 days ahead), 30 % re-checks (open, on as many
enrollments) and 30 % leads (new or acknowledged, one a household), each of a household of its
own; 80 % of them held by a current assignment to a staff member of their town.

    .venv/bin/python bench/bench_workload.py [--people 1000000] [--items 50000] [--runs 7] [--fresh]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
COUNTY = "130123"
STAFF_PER_TOWN = 8


def workdir(people: int, items: int) -> Path:
    return ROOT / "var" / "bench" / f"workload-{people}-{items}"


def child_env(args) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return {**env, "SAFETYNET_DATA_DIR": str(workdir(args.people, args.items)), "DJANGO_SETTINGS_MODULE": "safetynet.settings",
            "DEBUG": "false", "SECRET_KEY": "bench-only-not-secret", "PYTHONPATH": str(ROOT)}


def run_child(step: str, args) -> dict:
    out = subprocess.run([PYTHON, __file__, "--child", step, "--people", str(args.people), "--items", str(args.items),
                          "--runs", str(args.runs)], env=child_env(args), capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        sys.stderr.write(out.stdout + out.stderr)
        raise SystemExit(f"step {step} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--child", default="")
    args = parser.parse_args()
    if args.child:
        import django

        django.setup()
        print(json.dumps({"setup": step_setup, "time": step_time}[args.child](args), default=str))
        return
    folder = workdir(args.people, args.items)
    if args.fresh and folder.exists():
        shutil.rmtree(folder)
    if not (folder / "SETUP_DONE").exists():
        folder.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        subprocess.run([PYTHON, str(ROOT / "manage.py"), "migrate", "-v0"], env=child_env(args), check=True, cwd=ROOT)
        setup = run_child("setup", args)
        setup["seconds_total"] = round(time.monotonic() - started, 1)
        (folder / "SETUP_DONE").write_text(json.dumps(setup, default=str))
    setup = json.loads((folder / "SETUP_DONE").read_text())
    timed = run_child("time", args)
    print(f"Workload overview, {setup['persons']:,} people in {setup['households']:,} households, "
          f"{setup['open_items']:,} open items ({setup['cases']:,} cases to survey, {setup['rechecks']:,} re-checks, "
          f"{setup['leads']:,} leads; {setup['assigned']:,} assigned), {setup['enrollments']:,} live enrollments, "
          f"{setup['staff']:,} town staff, {timed['towns']} towns")
    print(f"  setup (not timed): {setup['seconds_total']} s")
    print(f"  county overview (town_loads): median {timed['overview_median']} s over {args.runs} runs "
          f"(target < 1 s); runs {timed['overview_runs']}; figures: {timed['open']:,} open, {timed['overdue']:,} overdue, "
          f"{timed['unassigned']:,} unassigned, {timed['flagged']} towns flagged")
    print(f"  a town's workers' loads (worker_loads, {timed['town']}): median {timed['workers_median']} s "
          f"({timed['town_items']:,} items held by {timed['town_workers']} workers)")


def _copy_sql(model, overrides: dict, source: str) -> str:
    """INSERT INTO model's table (every column but the key) SELECT the template row's own columns,
    or the override's SQL expression, FROM `source` (which names the template `t`)."""
    columns = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    exprs = [overrides.get(c, f"t.{c}") for c in columns]
    return f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(exprs)} FROM {source}"


def step_setup(args) -> dict:
    import datetime as dt
    from decimal import Decimal

    from django.db import connection, transaction
    from django.utils import timezone

    from safetynet.areas.actors import system_actor
    from safetynet.areas.models import Area
    from safetynet.areas.services import import_divisions
    from safetynet.cases.models import Case, Decision
    from safetynet.core.idnumbers import make_id_number
    from safetynet.discovery.models import Lead
    from safetynet.enrollments.change_models import Recheck
    from safetynet.enrollments.models import Enrollment
    from safetynet.programs.demo import seed_demo_standards
    from safetynet.workforce.models import StaffIdentity
    from safetynet.workload.models import WorkAssignment

    actor = system_actor()
    divisions = ROOT / "safetynet" / "areas" / "data" / "divisions-130123.csv"
    with divisions.open("rb") as f:
        import_divisions(actor=actor, source=f, filename=divisions.name)
    seed_demo_standards(actor=actor, county_code=COUNTY)
    villages = list(Area.objects.filter(code__startswith=COUNTY, level="village").order_by("code").values_list("code", flat=True))
    towns = list(Area.objects.filter(code__startswith=COUNTY, level="town").order_by("code").values_list("code", flat=True))
    today = dt.date.today()
    month = today.replace(day=1)
    now = timezone.now().isoformat(sep=" ")
    cursor = connection.cursor()

    # People: 2.6 a household (households of 2 and 3, one of 3 in five of 2... as a cycle).
    base = dt.date(1940, 1, 1)
    households, persons = [], []
    i, h = 0, 0
    sizes = (3, 2, 3, 2, 3)
    while i < args.people:
        h += 1
        village = villages[h % len(villages)]
        households.append((h, village, f"{h}号院", "rural", "", "", "", now, now))
        for k in range(min(sizes[h % len(sizes)], args.people - i)):
            i += 1
            # (prefix, sequence, birth day) is one-to-one with i: every number distinct.
            sex = "male" if (i // 7) % 2 else "female"
            birth = base + dt.timedelta(days=i // 10000)
            number = make_id_number(str(130100 + i % 100), birth, (i // 100) % 100, sex)
            persons.append((i, h, village, f"居民{i}", number, sex, birth.isoformat(), "head" if k == 0 else "child", "",
                            None, 0, "full", "", 0, now, now))
    with transaction.atomic():
        cursor.executemany("INSERT INTO registry_household (id, area_id, address, registration_type, phone, bank_account, "
                           "external_ref, created_at, updated_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)", households)
        cursor.executemany("INSERT INTO registry_person (id, household_id, area_id, name, id_number, sex, birth_date, "
                           "relation_to_head, disability_type, disability_grade, serious_illness, work_ability, phone, "
                           "is_deceased, created_at, updated_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                           persons)
        cursor.execute("UPDATE registry_household SET head_id = (SELECT MIN(p.id) FROM registry_person p "
                       "WHERE p.household_id = registry_household.id)")
    n_households, n_persons = len(households), len(persons)
    del households, persons

    # Staff: 8 town staff a town (the last town one only: understaffed), two committee members a village.
    staff = []
    serial = 0
    for t, town in enumerate(towns):
        for k in range(1 if t == len(towns) - 1 else STAFF_PER_TOWN):
            serial += 1
            staff.append(StaffIdentity(name=f"干部{serial}", id_number=make_id_number("130183", base + dt.timedelta(days=serial * 11),
                                                                                   serial % 100, "male"),
                                       area_id=town, kind="town_staff"))
    for v, village in enumerate(villages):
        for k in range(2):
            serial += 1
            staff.append(StaffIdentity(name=f"委员{serial}", id_number=make_id_number("130183", base + dt.timedelta(days=serial * 11),
                                                                                   serial % 100, "female"),
                                       area_id=village, kind="village_committee"))
    StaffIdentity.objects.bulk_create(staff, batch_size=500)

    # Work: a household of its own for each item; enrolled households first.
    n_cases = args.items * 4 // 10
    n_rechecks = args.items * 3 // 10
    n_leads = args.items - n_cases - n_rechecks
    n_enrolled = max(n_households // 20, n_rechecks)
    case_from, lead_from = n_enrolled + 1, n_enrolled + n_cases + 1
    if lead_from + n_leads > n_households:
        raise SystemExit("not enough households for the items: more people, or fewer items")
    template = Case.objects.create(program_id="dibao", path="dibao", household_id=1, applicant_id=1, area_id=villages[1],
                                   channel="walk_in", status="confirmed", is_open=False, applied_on=today,
                                   decided_on=today, created_by="template")
    decision = Decision.objects.create(case=template, outcome="approved", monthly_amount=Decimal("600.00"),
                                       start_month=month, decided_by="bench", decided_at=timezone.now(), decided_on=today,
                                       letter_number="TEMPLATE")
    iso = today.isoformat()
    spread = "date('" + iso + "', ((h.id % 41) - 20) || ' days')"
    with transaction.atomic():
        # Enrolled households: a confirmed case, its decision, a live enrollment.
        cursor.execute(_copy_sql(Case, {"household_id": "h.id", "applicant_id": "h.head_id", "area_id": "h.area_id"},
                                 f"cases_case t, registry_household h WHERE t.id = {template.pk} AND h.id <= {n_enrolled}"))
        cursor.execute(_copy_sql(Decision, {"case_id": "c.id", "letter_number": "'L' || c.id"},
                                 f"cases_decision t, cases_case c WHERE t.id = {decision.pk} AND c.id <> {template.pk}"))
        cursor.execute(_copy_sql(Enrollment, {
            "program_id": "'dibao'", "household_id": "c.household_id", "person_id": "NULL", "area_id": "c.area_id",
            "case_id": "c.id", "decision_id": "d.id", "status": "'active'", "monthly_amount": "d.monthly_amount",
            "breakdown": "'[]'", "start_month": f"'{month.isoformat()}'", "next_recheck_date": f"'{iso}'",
            "bank_account": "''", "ended_on": "NULL", "end_reason": "''", "created_at": f"'{now}'", "updated_at": f"'{now}'"},
            f"cases_case c JOIN cases_decision d ON d.case_id = c.id, (SELECT 1) t WHERE c.id <> {template.pk}"))
        # Cases to survey: accepted, the survey due from 20 days ago to 20 days ahead.
        cursor.execute(_copy_sql(Case, {
            "household_id": "h.id", "applicant_id": "h.head_id", "area_id": "h.area_id", "status": "'accepted'",
            "is_open": "1", "decided_on": "NULL", "accepted_on": f"'{iso}'", "next_action": "'record_survey'",
            "next_due": spread, "case_due": spread},
            f"cases_case t, registry_household h WHERE t.id = {template.pk} AND h.id >= {case_from} AND h.id < {lead_from}"))
        recheck = Recheck.objects.create(enrollment=Enrollment.objects.order_by("id").first(), area_id=villages[1],
                                         reason="scheduled", opened_on=today, due_on=today, status="closed")
        cursor.execute(_copy_sql(Recheck, {
            "enrollment_id": "e.id", "area_id": "e.area_id", "status": "'open'",
            "due_on": "date('" + iso + "', ((e.id % 41) - 20) || ' days')"},
            f"enrollments_recheck t, enrollments_enrollment e WHERE t.id = {recheck.pk} AND e.id <= "
            f"(SELECT MIN(id) FROM enrollments_enrollment) + {n_rechecks - 1}"))
        Recheck.objects.filter(pk=recheck.pk).delete()
        lead = Lead.objects.create(area_id=villages[1], name="模板", source="grid_report", cause="illness", causes=["illness"],
                                   opened_at=timezone.now(), opened_on=today, acknowledge_due_on=today, visit_due_on=today,
                                   status="closed")
        cursor.execute(_copy_sql(Lead, {
            "area_id": "h.area_id", "household_id": "h.id", "name": "''",
            "status": "CASE WHEN h.id % 2 = 0 THEN 'new' ELSE 'acknowledged' END",
            "acknowledged_at": f"CASE WHEN h.id % 2 = 0 THEN NULL ELSE '{now}' END",
            "acknowledge_due_on": "date('" + iso + "', ((h.id % 21) - 12) || ' days')",
            "visit_due_on": "date('" + iso + "', ((h.id % 21) - 10) || ' days')"},
            f"discovery_lead t, registry_household h WHERE t.id = {lead.pk} AND h.id >= {lead_from} "
            f"AND h.id < {lead_from + n_leads}"))
        Lead.objects.filter(pk=lead.pk).delete()
        # 80 % held: by the town's staff member number (item id % the town's staff), through a
        # table of the staff ranked in their town.
        cursor.execute("CREATE TEMP TABLE bench_rank AS SELECT id, area_id AS town, "
                       "ROW_NUMBER() OVER (PARTITION BY area_id ORDER BY id) - 1 AS rk, "
                       "COUNT(*) OVER (PARTITION BY area_id) AS n FROM workforce_staffidentity WHERE kind = 'town_staff'")
        for kind, table, due in (("case", "cases_case", "x.next_due"), ("recheck", "enrollments_recheck", "x.due_on"),
                                 ("lead", "discovery_lead", "x.visit_due_on")):
            household = "(SELECT e.household_id FROM enrollments_enrollment e WHERE e.id = x.enrollment_id)" \
                if kind == "recheck" else "x.household_id"
            opened = {"case": "x.is_open = 1 AND x.next_action = 'record_survey'", "recheck": "x.status = 'open'",
                      "lead": "x.status IN ('new', 'acknowledged')"}[kind]
            cursor.execute(
                f"INSERT INTO workload_workassignment (kind, case_id, recheck_id, lead_id, household_id, area_id, worker_id, "
                f"due_on, reason, note, assigned_by_id, assigned_at, is_current, ended_at) "
                f"SELECT '{kind}', {'x.id' if kind == 'case' else 'NULL'}, {'x.id' if kind == 'recheck' else 'NULL'}, "
                f"{'x.id' if kind == 'lead' else 'NULL'}, {household}, x.area_id, r.id, "
                f"{due}, 'proposed', '', NULL, '{now}', 1, NULL FROM {table} x "
                f"JOIN bench_rank r ON r.town = substr(x.area_id, 1, 9) AND r.rk = x.id % r.n "
                f"WHERE {opened} AND x.id % 5 <> 0")
        cursor.execute("DROP TABLE bench_rank")
    return {"households": n_households, "persons": n_persons, "staff": len([s for s in staff if s.kind == "town_staff"]),
            "enrollments": Enrollment.objects.count(), "cases": n_cases, "rechecks": Recheck.objects.count(),
            "leads": Lead.objects.count(), "open_items": n_cases + Recheck.objects.count() + Lead.objects.count(),
            "assigned": WorkAssignment.objects.count()}


def step_time(args) -> dict:
    import dataclasses
    import datetime as dt

    from django.db import connection

    from safetynet.areas.actors import system_actor
    from safetynet.workload.overview import town_loads, worker_loads

    actor = dataclasses.replace(system_actor(), area_code=COUNTY)
    today = dt.date.today()
    connection.ensure_connection()
    runs, towns = [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        towns = town_loads(actor, COUNTY, on=today)
        runs.append(round(time.perf_counter() - started, 3))
    busiest = max(towns, key=lambda t: t.open)
    worker_runs, workers = [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        workers = worker_loads(actor, busiest.code, on=today)
        worker_runs.append(round(time.perf_counter() - started, 3))
    return {"overview_median": round(statistics.median(runs), 3), "overview_runs": runs, "towns": len(towns),
            "open": sum(t.open for t in towns), "overdue": sum(t.overdue for t in towns),
            "unassigned": sum(t.unassigned for t in towns), "flagged": sum(t.flagged for t in towns),
            "workers_median": round(statistics.median(worker_runs), 3), "town": busiest.code,
            "town_items": sum(w.items for w in workers), "town_workers": len(workers)}


if __name__ == "__main__":
    main()
