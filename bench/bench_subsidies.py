"""The monthly work-subsidy statement of a county (issue 19 part 3): generated from 20,000 household
surveys and 2,000 deliberation meetings of one month, target at most 10 s on this machine.
Prints seconds and peak memory.

Setup (not timed): a fresh SQLite database in var/bench/subsidies-<surveys>-<meetings>/ (migrated,
the 正定县 division list imported, the demo standards). The rows are written set-based: a
household and its head per survey (`executemany`, valid ID numbers made in Python), then one
`INSERT … SELECT` each for a case per household (copied from one template case), a survey per case
in the month, its two investigators (drawn from 300 staff identities with bank accounts: the same
people survey many households, as towns' workers do), a deliberation meeting for the first
`--meetings` cases and seven participants named on each meeting's roll (villagers of the county,
three of them without a card). 新城铺镇 pays a higher lost-time subsidy (a parameter row), so the
rates differ by area.

Timed, in a child process of its own: `generate_subsidies` for the month (the lines from the
surveys and meetings, the statement per person, the run's totals), twice: the first writes
everything, the second finds nothing new.

    .venv/bin/python bench/bench_subsidies.py [--surveys 20000] [--meetings 2000] [--fresh]
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
MONTH = "2025-10"
PARTICIPANTS = 7
STAFF = 300


def workdir(args) -> Path:
    return ROOT / "var" / "bench" / f"subsidies-{args.surveys}-{args.meetings}"


def child_env(args) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return {**env, "SAFETYNET_DATA_DIR": str(workdir(args)), "DJANGO_SETTINGS_MODULE": "safetynet.settings",
            "DEBUG": "false", "SECRET_KEY": "bench-only-not-secret", "PYTHONPATH": str(ROOT)}


def run_child(step: str, args) -> dict:
    out = subprocess.run([PYTHON, __file__, "--child", step, "--surveys", str(args.surveys), "--meetings",
                          str(args.meetings)], env=child_env(args), capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        sys.stderr.write(out.stdout + out.stderr)
        raise SystemExit(f"step {step} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--surveys", type=int, default=20_000)
    parser.add_argument("--meetings", type=int, default=2_000)
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
    folder = workdir(args)
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
    run_child("reset", args)
    first = run_child("run", args)
    second = run_child("run", args)
    print(f"Monthly subsidy statement of {COUNTY} for {MONTH}: {setup['surveys']:,} surveys "
          f"({setup['investigators']:,} investigators), {setup['meetings']:,} deliberation meetings "
          f"({setup['participants']:,} participants on their rolls)")
    print(f"  setup (not timed): {setup['seconds_total']} s")
    for label, r in (("first generation", first), ("generated again", second)):
        print(f"  {label}: {r['seconds']} s (target ≤ 10 s), peak memory {r['peak_rss_mib']} MiB; "
              f"{r['lines']:,} subsidies, {r['statements']:,} statements, total ¥{r['total']}; added {r['added']}")


def _copy_sql(model, overrides: dict, source: str) -> str:
    columns = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    exprs = [overrides.get(c, f"t.{c}") for c in columns]
    return f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(exprs)} FROM {source}"


def step_setup(args) -> dict:
    import datetime as dt

    from django.db import connection, transaction
    from django.utils import timezone

    from safetynet.areas.actors import system_actor
    from safetynet.areas.models import Area
    from safetynet.areas.services import import_divisions
    from safetynet.cases.models import Case, Deliberation, Survey, SurveyInvestigator
    from safetynet.cases.deliberation_models import DeliberationParticipant
    from safetynet.core.idnumbers import make_id_number
    from safetynet.programs.demo import seed_demo_standards
    from safetynet.programs.services import set_parameter
    from safetynet.workforce.models import StaffIdentity

    actor = system_actor()
    divisions = ROOT / "safetynet" / "areas" / "data" / "divisions-130123.csv"
    with divisions.open("rb") as f:
        import_divisions(actor=actor, source=f, filename=divisions.name)
    seed_demo_standards(actor=actor, county_code=COUNTY)
    set_parameter(actor=actor, program_code="workforce", key="survey_lost_time_subsidy", area_code="130123102",
                  value="80.00", effective_from=dt.date(2025, 1, 1), reason="bench: a town's own rate")
    villages = list(Area.objects.filter(code__startswith=COUNTY, level="village").values_list("code", flat=True))
    n, m = args.surveys, args.meetings
    now = timezone.now().isoformat(sep=" ")
    day = dt.date(2025, 10, 1)
    cursor = connection.cursor()

    def number(i: int, base=dt.date(1950, 1, 1)) -> str:
        return make_id_number(str(130100 + i % 100), base + dt.timedelta(days=(i // 20000) * 97 % 20000), (i // 100) % 100,
                              "male" if (i // 10000) % 2 else "female")

    with transaction.atomic():
        cursor.executemany("INSERT INTO registry_household (id, area_id, address, registration_type, phone, bank_account, "
                           "external_ref, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
                           [(h, villages[h % len(villages)], f"{h}号院", "rural", "", "", "", now, now) for h in range(1, n + 1)])
        cursor.executemany("INSERT INTO registry_person (id, household_id, area_id, name, id_number, sex, birth_date, "
                           "relation_to_head, disability_type, disability_grade, serious_illness, work_ability, phone, "
                           "is_deceased, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                           [(h, h, villages[h % len(villages)], f"居民{h}", number(h), "male", "1960-01-01", "head", "", None,
                             0, "full", "", 0, now, now) for h in range(1, n + 1)])
        cursor.execute("UPDATE registry_household SET head_id = id")
    StaffIdentity.objects.bulk_create([
        StaffIdentity(name=f"调查员{k}", id_number=number(900_000 + k, dt.date(1975, 1, 1)), area_id=villages[k % len(villages)][:9],
                      kind="town_staff", bank_account=f"622848{k:010d}") for k in range(STAFF)])
    staff = list(StaffIdentity.objects.order_by("id").values_list("id", "name", "id_number"))
    template = Case.objects.create(program_id="dibao", path="dibao", household_id=1, applicant_id=1, area_id=villages[1],
                                   channel="walk_in", status="surveyed", is_open=True, applied_on=day, created_by="template")
    with transaction.atomic():
        cursor.execute(_copy_sql(Case, {"household_id": "h.id", "applicant_id": "h.head_id", "area_id": "h.area_id"},
                                 f"cases_case t, registry_household h WHERE t.id = {template.pk} AND h.id <> 1"))
        cursor.execute(_copy_sql(Survey, {
            "case_id": "c.id", "kind": "'household'", "conducted_on": f"date('{day}', '+' || (c.id % 28) || ' days')",
            "findings": "'入户'", "signed_by_household": "1", "signed_at": f"'{now}'", "daily_activities": "NULL",
            "care_level": "''", "supporters": "'[]'", "recorded_by": "'worker'", "recorded_at": f"'{now}'",
            "duration_minutes": "45"}, "cases_case c, (SELECT 1) t"))
        investigators = []
        for survey_id, case_id in Survey.objects.order_by("id").values_list("id", "case_id"):
            first, second = case_id % STAFF, (case_id * 7 + 1) % STAFF
            for k in (first, second if second != first else (first + 1) % STAFF):
                sid, name, id_number = staff[k]
                investigators.append((survey_id, sid, name, id_number))
        cursor.executemany("INSERT INTO cases_surveyinvestigator (survey_id, user_id, staff_identity_id, name, id_number) "
                           "VALUES (?, NULL, ?, ?, ?)", investigators)
        cursor.execute(_copy_sql(Deliberation, {
            "case_id": "c.id", "held_on": f"date('{day}', '+' || (c.id % 28) || ' days')", "reason": "'optional'",
            "participants": str(PARTICIPANTS), "village_representatives": "5", "votes_for": str(PARTICIPANTS),
            "votes_against": "0", "votes_abstaining": "0", "opinion": "'同意'", "share_checked": "0",
            "recorded_by": "'cadre'", "recorded_at": f"'{now}'"}, f"cases_case c, (SELECT 1) t WHERE c.id <= {m + 1}"))
        participants = []
        for meeting_id in Deliberation.objects.order_by("id").values_list("id", flat=True):
            for k in range(PARTICIPANTS):
                person = 500_000 + meeting_id * PARTICIPANTS + k
                account = "" if k >= PARTICIPANTS - 3 and meeting_id % 2 else f"623166{person:010d}"
                participants.append((meeting_id, f"村民{person}", number(person), account, int(k < 5), "cadre", now))
        cursor.executemany("INSERT INTO cases_deliberationparticipant (deliberation_id, name, id_number, bank_account, "
                           "is_village_representative, recorded_by, recorded_at) VALUES (?,?,?,?,?,?,?)", participants)
    return {"surveys": Survey.objects.count(), "investigators": SurveyInvestigator.objects.count(),
            "meetings": Deliberation.objects.count(), "participants": DeliberationParticipant.objects.count()}


def step_reset(args) -> dict:
    """Forget the subsidies of earlier bench runs (bench scaffolding, not a service)."""
    from safetynet.funding.models import SubsidyLine, SubsidyRun, SubsidyStatement

    for model in (SubsidyLine, SubsidyStatement, SubsidyRun):
        model.objects.all()._raw_delete("default")
    return {}


def step_run(args) -> dict:
    from safetynet.areas.actors import system_actor
    from safetynet.funding.subsidies import generate_subsidies

    started = time.monotonic()
    run = generate_subsidies(actor=system_actor(), county_code=COUNTY, month=MONTH)
    return {"seconds": round(time.monotonic() - started, 2), "lines": run.line_count, "statements": run.statement_count,
            "total": f"{run.total_amount:,.2f}", "added": run.added}


if __name__ == "__main__":
    main()
