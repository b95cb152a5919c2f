"""A town's queue page with 5,000 open cases: p95 of the page as the town worker sees it (issue 3:
under 200 ms), SQLite and PostgreSQL side by side.

The county is the bench demo county of bench/bench_cases.py (same templates, copied for each run).
Untimed setup, through the case services: the town with the most households gets open cases
until it holds `--cases` of them — a dibao application for every household (in id order), then
temporary-assistance applications for their heads — and every third case is accepted and every
third of those surveyed, so the queue mixes steps and deadlines. The business date is then moved
on three weeks so that part of the queue is overdue, part due today, part waiting.

Timed: GET /cases/ (the queue: counts, counts per step, one page of 25 sorted by urgency) and
GET / (the home page, which shows the queues), through Django's test client with the worker
logged in, `--requests` times each, walking the queue's pages. Printed: p50, p95, max.

    .venv/bin/python bench/bench_queue.py [--cases 5000] [--requests 200] [--no-postgres]

Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

import bench_cases  # noqa: E402  (the shared county templates)

PYTHON = bench_cases.PYTHON


def run_child(url: str, cases: int, requests: int) -> dict:
    command = [PYTHON, __file__, "--worker", "--cases", str(cases), "--requests", str(requests)]
    out = subprocess.run(command, env=bench_cases.child_env(url), cwd=bench_cases.ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"the measuring process failed:\n{out.stderr[-5000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=5_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args.cases, args.requests)))
        return
    databases = ["sqlite"] + ([] if args.no_postgres or not bench_cases.postgres_reachable() else ["postgresql"])
    load = os.getloadavg()
    print(f"# cases: a town queue page — {time.strftime('%Y-%m-%d %H:%M')} — {platform.node()}, {os.cpu_count()} CPUs, "
          f"load {load[0]:.1f}/{load[1]:.1f} — {args.cases:,} open cases in one town, {args.requests} requests a page")
    results = {}
    for database in databases:
        url = bench_cases.prepare(database, args.people, False)
        results[database] = run_child(url, args.cases, args.requests)
        print(f"  {database}: set up {results[database]['open_cases']:,} open cases in "
              f"{results[database]['setup_seconds']:.0f} s", flush=True)
    header = f"{'database':<12} {'page':<22} {'open cases':>10} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  target p95 < 200 ms"
    print(header)
    print("-" * len(header))
    for database, r in results.items():
        for page, figures in r["pages"].items():
            verdict = "met" if figures["p95"] < 200 else "missed"
            print(f"{database:<12} {page:<22} {r['open_cases']:>10,} {figures['p50']:>8.1f} {figures['p95']:>8.1f} "
                  f"{figures['max']:>8.1f}  {verdict}")


def measure(cases: int, requests: int) -> dict:
    import datetime as dt

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.test import Client

    from safetynet.areas.actors import SESSION_KEY, actor_for_post, system_actor
    from safetynet.areas.models import Post
    from safetynet.cases import clocks, services
    from safetynet.cases.models import Case
    from safetynet.core import workdays
    from safetynet.core.idnumbers import make_id_number
    from safetynet.programs.services import set_parameter
    from safetynet.registry.models import Household

    settings.ALLOWED_HOSTS = ["*"]
    started = time.perf_counter()
    system = system_actor()
    for key, value in bench_cases.BENCH_STANDARDS.items():
        set_parameter(actor=system, program_code="dibao", key=key, area_code=bench_cases.COUNTY, value=value,
                      effective_from=dt.date(2021, 7, 1), reason="bench figures (bench/bench_queue.py)")
    town = (Household.objects.filter(area__code__startswith=bench_cases.COUNTY, head__isnull=False)
            .values("area_id").annotate(n=Count("id")).order_by())
    by_town: dict[str, int] = {}
    for row in town:
        by_town[row["area_id"][:9]] = by_town.get(row["area_id"][:9], 0) + row["n"]
    town_code = max(by_town, key=by_town.get)
    User = get_user_model()
    user = User.objects.create(username="bench_queue_worker")
    worker = actor_for_post(Post.objects.create(user=user, role="town_worker", area_id=town_code))
    team = [{"name": "调查员甲", "id_number": make_id_number("110101", dt.date(1980, 1, 1), 98, "male")},
            {"name": "调查员乙", "id_number": make_id_number("110101", dt.date(1981, 2, 2), 99, "female")}]
    first_day = dt.date(2026, 3, 2)
    clocks.today = lambda: first_day
    workdays.clear_cache()
    households = list(Household.objects.filter(area__code__startswith=town_code, head__isnull=False)
                      .order_by("id").values_list("id", "head_id"))
    made = 0
    for program in ("dibao", "temporary"):
        for household_id, head_id in households:
            if made >= cases:
                break
            try:
                case = services.apply_for_assistance(
                    actor=worker, program_code=program, household_id=household_id, applicant_id=head_id,
                    channel="walk_in", kind="ordinary" if program == "temporary" else None,
                    requested_amount="800.00" if program == "temporary" else None)
            except Exception:          # a staff household, an enrolled one: skip it
                continue
            made += 1
            if made % 3 == 0:
                services.accept_application(actor=worker, case_id=case.pk)
                if made % 9 == 0:
                    services.record_survey(actor=worker, case_id=case.pk, conducted_on=first_day, investigators=team,
                                           findings="入户调查", signed_by_household=True)
    business_day = first_day + dt.timedelta(days=21)
    clocks.today = lambda: business_day
    open_cases = Case.objects.filter(area__code__startswith=town_code, is_open=True).count()
    setup_seconds = time.perf_counter() - started

    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = worker.post_id
    session.save()
    pages = max(1, open_cases // 25)
    figures = {}
    for label, make_url in (("queue /cases/", lambda i: f"/cases/?page={1 + (i * 7) % pages}"),
                            ("home /", lambda i: "/")):
        client.get(make_url(0))                   # warm: templates compiled, connection open
        timings = []
        for i in range(requests):
            t = time.perf_counter()
            response = client.get(make_url(i))
            timings.append((time.perf_counter() - t) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{make_url(i)} answered {response.status_code}")
        timings.sort()
        figures[label] = {"p50": round(timings[len(timings) // 2], 1),
                          "p95": round(timings[min(len(timings) - 1, int(len(timings) * 0.95))], 1),
                          "max": round(timings[-1], 1)}
    return {"open_cases": open_cases, "setup_seconds": round(setup_seconds, 1), "pages": figures, "town": town_code}


if __name__ == "__main__":
    main()
