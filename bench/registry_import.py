"""Roster import at county scale: time a 20,000-row .xlsx roster, imported twice (the second run
must add nothing). Run:  .venv/bin/python bench/registry_import.py [--rows 20000] [--db /tmp/sn-bench-import]
"""
from __future__ import annotations

import argparse
from collections import Counter
import datetime as dt
import io
import os
import random
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--db", default="/tmp/sn-bench-import")
    args = parser.parse_args()
    os.environ.setdefault("SAFETYNET_DATA_DIR", args.db)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetynet.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from django.core.management import call_command
    from openpyxl import Workbook

    from safetynet.areas.actors import system_actor
    from safetynet.areas.models import Area
    from safetynet.areas.services import import_divisions
    from safetynet.core.idnumbers import check_character
    from safetynet.registry.models import Household, Person
    from safetynet.registry.roster import import_roster

    call_command("migrate", verbosity=0)
    if not Area.objects.exists():
        path = Path(__file__).resolve().parent.parent / "safetynet" / "areas" / "data" / "divisions-130123.csv"
        with path.open("rb") as f:
            import_divisions(actor=system_actor(), source=f, filename=path.name)
    Person.objects.all().delete()
    Household.objects.update(head=None)
    Household.objects.all().delete()
    villages = list(Area.objects.filter(level="village").values_list("code", flat=True))
    rng = random.Random(1)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["户编号", "区划代码", "地址", "户籍性质", "姓名", "身份证号", "与户主关系", "残疾类别", "残疾等级", "重病", "劳动能力", "电话"])
    used, n, ref = set(), 0, 0
    while n < args.rows:
        ref += 1
        village = rng.choice(villages)
        registration = rng.choice(["农村", "城镇"])
        for k in range(min(rng.randint(1, 5), args.rows - n)):
            while True:
                birth = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randint(0, 33000))
                body = f"130123{birth:%Y%m%d}{rng.randint(0, 999):03d}"
                if body not in used:
                    used.add(body)
                    break
            sheet.append([f"R{ref:06d}", village, f"幸福路{ref}号", registration, "王" + "明强伟芳"[k % 4],
                          body + check_character(body), "户主" if k == 0 else rng.choice(["配偶", "子女", "父母"]),
                          "", "", rng.choice(["是", "否"]), rng.choice(["有", "部分", "无"]), ""])
            n += 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    for attempt in ("first", "second"):
        started = time.monotonic()
        result = import_roster(actor=system_actor(), source=io.BytesIO(data), filename="roster.xlsx", area_code="130123")
        print(f"{attempt} import of {args.rows:,} rows: {time.monotonic() - started:.1f} s  {result.counts()}", flush=True)
        for message, count in Counter(e.message for e in result.errors).most_common(5):
            print(f"  {count} × {message}")


if __name__ == "__main__":
    main()
