"""Household search in a county of a million people, SQLite and PostgreSQL side by side
(issue 2: an ID or name search answers within 50 ms at p95).

The county is the demo county (`safetynet demo --people N --seed 2026`), generated once per
database and reused: SQLite in var/bench/search-<N>.sqlite3, PostgreSQL in the database
bench_safetynet_search (pass --fresh to rebuild both). Each database is measured in a child
process of its own (the settings read DATABASE_URL once), through
safetynet.registry.selectors.search_households, fetching the first page as the list does
(26 rows: a page of 25 and one to know there is a next), as the demo's town worker (正定镇) and
county officer (the county):

- ID exact: a member's whole ID number;
- ID prefix: its first 14 characters (area code and birth date, what a worker types from a date of birth);
- name: a member's full name.

Queries are members drawn at random (fixed seed) from the actor's own area, so every query
finds something; 20 queries warm the caches first and are not counted. A case stops early when
its queries have taken --budget seconds (default 60), so one slow path cannot hold the run for
an hour; the table then shows how many ran.

    .venv/bin/python bench/bench_search.py [--people 1000000] [--queries 500] [--budget 60] [--no-postgres] [--fresh]

Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAFETYNET = str(ROOT / ".venv" / "bin" / "safetynet")
PYTHON = str(ROOT / ".venv" / "bin" / "python")
POSTGRES_SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
POSTGRES_DB = "bench_safetynet_search"
SEED = 2026
ACTORS = (("town_worker", "130123100"), ("county_officer", "130123"))
CASES = ("ID exact", "ID prefix", "name")
WARM_UP = 20


# ---- the parent: build once, measure in children, print side by side ----------------------------

def postgres_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def postgres_reachable() -> bool:
    try:
        postgres_admin("SELECT 1")
        return True
    except Exception:
        return False


def database_url(database: str, people: int) -> str:
    if database == "postgresql":
        return f"{POSTGRES_SERVER}/{POSTGRES_DB}"
    directory = ROOT / "var" / "bench"
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{directory / f'search-{people}.sqlite3'}"


def child_env(url: str) -> dict:
    data_dir = ROOT / "var" / "bench"
    return {**os.environ, "DATABASE_URL": url, "SAFETYNET_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "safetynet.settings"}


def people_in(url: str) -> int:
    """People already in the database (0 when it has no tables yet)."""
    code = ("from safetynet.registry.models import Person\n"
            "try:\n    print(Person.objects.count())\nexcept Exception:\n    print(0)\n")
    out = subprocess.run([SAFETYNET, "shell", "--no-imports", "-c", code], env=child_env(url), cwd=ROOT,
                         capture_output=True, text=True)
    try:
        return int(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return 0


def ensure_county(database: str, people: int, fresh: bool) -> str:
    url = database_url(database, people)
    if database == "postgresql":
        if fresh:
            postgres_admin(f"DROP DATABASE IF EXISTS {POSTGRES_DB} WITH (FORCE)")
        try:
            postgres_admin(f"CREATE DATABASE {POSTGRES_DB}")
        except Exception:
            pass  # already there: reuse it
    elif fresh:
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    subprocess.run([SAFETYNET, "migrate", "--no-input", "-v", "0"], env=child_env(url), cwd=ROOT, check=True)
    have = people_in(url)
    if have >= people:
        print(f"  {database}: reusing the county already there ({have:,} people)", flush=True)
        return url
    if have:
        # Half a county (an interrupted or smaller run): start again from nothing.
        if database == "postgresql":
            postgres_admin(f"DROP DATABASE IF EXISTS {POSTGRES_DB} WITH (FORCE)")
            postgres_admin(f"CREATE DATABASE {POSTGRES_DB}")
        else:
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        subprocess.run([SAFETYNET, "migrate", "--no-input", "-v", "0"], env=child_env(url), cwd=ROOT, check=True)
    print(f"  {database}: generating the county ({people:,} people) ...", flush=True)
    started = time.monotonic()
    subprocess.run([SAFETYNET, "demo", "--people", str(people), "--seed", str(SEED), "--no-activity"], env=child_env(url), cwd=ROOT,
                   check=True, stdout=subprocess.DEVNULL)
    print(f"  {database}: generated in {time.monotonic() - started:.0f} s", flush=True)
    return url


def measure_in_child(url: str, queries: int, budget: float) -> dict:
    out = subprocess.run([PYTHON, __file__, "--worker", "--queries", str(queries), "--budget", str(budget)], env=child_env(url), cwd=ROOT,
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"the measuring process failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=500, help="queries per case and actor (default 500)")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds of queries per case at most (default 60)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--fresh", action="store_true", help="rebuild the counties instead of reusing them")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args.queries, args.budget)))
        return
    databases = ["sqlite"]
    if not args.no_postgres:
        if postgres_reachable():
            databases.append("postgresql")
        else:
            print(f"(PostgreSQL at {POSTGRES_SERVER} is not reachable: SQLite only)")
    load = os.getloadavg()
    print(f"# household search — {time.strftime('%Y-%m-%d %H:%M')} — {platform.node()}, {os.cpu_count()} CPUs, "
          f"load {load[0]:.1f}/{load[1]:.1f} — {args.people:,} people, {args.queries} queries per line")
    results = {}
    for database in databases:
        url = ensure_county(database, args.people, args.fresh)
        results[database] = measure_in_child(url, args.queries, args.budget)
    header = f"{'search':<10} {'as':<15} " + " ".join(f"{db + ' p50/p95/max ms (n)':>34}" for db in databases) + "  hits/query"
    print(header)
    print("-" * len(header))
    for username, _area in ACTORS:
        for case in CASES:
            cells, hits = [], ""
            for database in databases:
                r = results[database][username][case]
                cells.append(f"{r['p50']:8.1f} {r['p95']:8.1f} {r['max']:9.1f} ({r['n']:>3})")
                hits = f"{r['mean_hits']:.1f}"
            print(f"{case:<10} {username:<15} " + " ".join(f"{c:>34}" for c in cells) + f"  {hits:>10}")


# ---- the child: one database, timed queries ------------------------------------------------------

def percentile(sorted_values: list[float], share: float) -> float:
    index = min(len(sorted_values) - 1, max(0, int(round(share * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


def measure(queries: int, budget: float) -> dict:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from safetynet.areas.actors import actor_for_post
    from safetynet.areas.models import Post
    from safetynet.registry.models import Person
    from safetynet.registry.selectors import search_households

    rnd = random.Random(7)
    results = {}
    for username, area in ACTORS:
        post = Post.objects.select_related("user", "area").get(user__username=username, area_id=area)
        actor = actor_for_post(post)
        ids = list(Person.objects.filter(area__code__startswith=area).values_list("id", flat=True))
        chosen = rnd.sample(ids, min(len(ids), queries + WARM_UP))
        people = {pk: (name, number) for pk, name, number in
                  Person.objects.filter(pk__in=chosen).values_list("id", "name", "id_number")}
        members = [people[pk] for pk in chosen]
        texts = {
            "ID exact": [number for _name, number in members],
            "ID prefix": [number[:14] for _name, number in members],
            "name": [name for name, _number in members],
        }
        results[username] = {}
        for case in CASES:
            warm_started = time.perf_counter()
            for q in texts[case][:WARM_UP]:
                list(search_households(actor, q)[:26])
                if time.perf_counter() - warm_started > budget / 4:
                    break
            times, hits = [], 0
            for q in texts[case][WARM_UP:]:
                started = time.perf_counter()
                page = list(search_households(actor, q)[:26])
                times.append((time.perf_counter() - started) * 1000)
                hits += len(page)
                if sum(times) > budget * 1000:
                    break
            times.sort()
            results[username][case] = {"p50": percentile(times, 0.50), "p95": percentile(times, 0.95), "max": times[-1],
                                       "mean_hits": hits / len(times), "n": len(times)}
    return results


if __name__ == "__main__":
    main()
