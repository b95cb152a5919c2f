"""Registry search at county scale: p50/p95 of search_households for ID and name queries.

Builds (once) a separate database with the demo county's network and N people (default
1,000,000, about 2.5 per household), then times the first page of results as the list page
fetches it (page_size + 1 rows) for a county officer and a town worker, and prints the query
plans. Run:  .venv/bin/python bench/registry_search.py [--people 1000000] [--db /tmp/sn-bench]
For PostgreSQL set DATABASE_URL (a database of its own: the script fills it).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段漕钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强玉兰红梅海燕春梅小红晓东新民"
STREETS = ["常山路", "燕赵大街", "中山路", "府前街", "兴华路", "阳和街", "育才街", "民主街", "胜利路", "长安路"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--db", default="/tmp/sn-bench")
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("SAFETYNET_DATA_DIR", args.db)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetynet.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from safetynet.registry.models import Person

    if Person.objects.count() < args.people:
        build(args.people)
    measure(args.runs)


def build(people: int) -> None:
    from django.db import connection, transaction

    from safetynet.areas.actors import system_actor
    from safetynet.areas.models import Area
    from safetynet.areas.services import import_divisions
    from safetynet.core.idnumbers import check_character
    from safetynet.registry.models import Household, Person

    if not Area.objects.exists():
        path = Path(__file__).resolve().parent.parent / "safetynet" / "areas" / "data" / "divisions-130123.csv"
        with path.open("rb") as f:
            import_divisions(actor=system_actor(), source=f, filename=path.name)
    villages = list(Area.objects.filter(level="village").values_list("code", flat=True))
    rng = random.Random(2026)
    Person.objects.all().delete()
    Household.objects.all().delete()
    started = time.monotonic()
    now = dt.datetime.now(dt.timezone.utc)
    household_id, person_id = 0, 0
    used = set()
    hh_rows, p_rows, heads = [], [], []

    def flush():
        with connection.cursor() as c:
            c.executemany(
                "INSERT INTO registry_household (id, area_id, address, registration_type, phone, bank_account, external_ref, created_at, updated_at, head_id)"
                " VALUES (%s,%s,%s,%s,'','','',%s,%s,NULL)", hh_rows)
            c.executemany(
                "INSERT INTO registry_person (id, household_id, area_id, name, id_number, sex, birth_date, relation_to_head, disability_type,"
                " disability_grade, serious_illness, work_ability, phone, is_deceased, created_at, updated_at)"
                " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,'',NULL,%s,'full','',%s,%s,%s)", p_rows)
            c.executemany("UPDATE registry_household SET head_id=%s WHERE id=%s", heads)
        hh_rows.clear(), p_rows.clear(), heads.clear()

    with transaction.atomic():
        while person_id < people:
            household_id += 1
            village = rng.choice(villages)
            hh_rows.append((household_id, village, f"{rng.choice(STREETS)}{rng.randint(1, 400)}号", rng.choice(["urban", "rural"]), now, now))
            surname = rng.choice(SURNAMES)
            for k in range(min(rng.choice([1, 2, 2, 3, 3, 4, 5]), people - person_id)):
                person_id += 1
                while True:
                    birth = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randint(0, 33000))
                    seq = rng.randint(0, 999)
                    body = f"130123{birth:%Y%m%d}{seq:03d}"
                    if body not in used:
                        used.add(body)
                        break
                name = (surname if k != 1 else rng.choice(SURNAMES)) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))
                p_rows.append((person_id, household_id, village, name, body + check_character(body), "male" if seq % 2 else "female",
                               birth, "head" if k == 0 else "child", False, False, now, now))
                if k == 0:
                    heads.append((person_id, household_id))
            if len(p_rows) >= 20000:
                flush()
        flush()
    with connection.cursor() as c:
        c.execute("ANALYZE" if connection.vendor != "sqlite" else "PRAGMA optimize")
    print(f"built {household_id:,} households, {person_id:,} people in {time.monotonic() - started:.0f} s", flush=True)


def measure(runs: int) -> None:
    from django.db import connection

    from safetynet.areas.actors import system_actor
    from safetynet.core.scoping import Actor
    from safetynet.areas.roles import ROLE_PERMISSIONS
    from safetynet.registry import selectors
    from safetynet.registry.models import Person

    county = Actor(user_id=None, username="bench", role="county_officer", area_code="130123", permissions=ROLE_PERMISSIONS["county_officer"])
    town = Actor(user_id=None, username="bench", role="town_worker", area_code="130123100", permissions=ROLE_PERMISSIONS["town_worker"])
    rng = random.Random(7)
    sample = list(Person.objects.order_by("?").values_list("name", "id_number", "area_id")[:runs]) if connection.vendor != "sqlite" else \
        [Person.objects.filter(pk=rng.randint(1, Person.objects.order_by("-pk").values_list("pk", flat=True).first())).values_list("name", "id_number", "area_id").first() for _ in range(runs)]
    cases = {
        "ID exact (county)": (county, [s[1] for s in sample]),
        "ID prefix 10 (county)": (county, [s[1][:10] for s in sample]),
        "name exact (county)": (county, [s[0] for s in sample]),
        "name exact (town)": (town, [s[0] for s in sample]),
        "surname only (county)": (county, [s[0][0] for s in sample]),
        "address (county)": (county, [rng.choice(STREETS) + str(rng.randint(1, 400)) + "号" for _ in sample]),
    }
    for label, (actor, queries) in cases.items():
        times = []
        for q in queries:
            started = time.perf_counter()
            selectors.household_page(actor, q=q, page=1, page_size=25)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        print(f"{label:26s} p50 {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms   ({len(times)} queries, {connection.vendor})")
    qs = selectors.search_households(county, sample[0][0])[:26]
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as c:
        c.execute(("EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ") + sql, params)
        print("plan (name search):\n  " + "\n  ".join(str(r[-1] if connection.vendor == "sqlite" else r[0]) for r in c.fetchall()))


if __name__ == "__main__":
    main()
