"""A village board PDF with 300 rows (issue 18 part 1: at most 2 s).

The board as `oversight.public_board.village_board_pdf` prints it: the template
`oversight/roster/village_print.html` in Chinese (Noto CJK fonts), its QR code to the page
(segno, inline SVG), a roster of `--rows` masked lines plus 20 notices and 30 monthly changes,
printed by WeasyPrint (`cases.letters.html_to_pdf`). No database: the rows the selectors would
read are made here, so the figure is the template and the printing. The first print (WeasyPrint
and the fonts loaded) and the median of `--repeat` more are given, with the pages and bytes.

    .venv/bin/python bench/bench_board_pdf.py [--rows 300] [--repeat 5]

Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetynet.settings")
os.environ.setdefault("SAFETYNET_DATA_DIR", str(ROOT / "var" / "bench"))

import django  # noqa: E402

django.setup()

from django.template.loader import render_to_string  # noqa: E402
from django.utils import translation  # noqa: E402

from safetynet.cases.letters import html_to_pdf  # noqa: E402
from safetynet.core.masking import mask_name  # noqa: E402
from safetynet.core.money import format_yuan  # noqa: E402
from safetynet.oversight.public_board import qr_svg  # noqa: E402

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "明强伟芳秀英华丽军平国建文玉兰桂荣志红"


def context(rows: int) -> dict:
    today = dt.date(2026, 12, 4)
    month = today.replace(day=1)
    posting = SimpleNamespace(month=month, starts_on=today, ends_on=today + dt.timedelta(days=6))

    def line(i: int, change: str = "") -> dict:
        amount = Decimal(300 + (i * 37) % 1500)
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[i % len(GIVEN)] + GIVEN[(i * 7) % len(GIVEN)]
        return {"id": i, "position": i, "change": change, "change_label": {"added": "新增", "removed": "退出"}.get(change, ""),
                "program_code": "dibao" if i % 9 else "special_hardship", "program": "最低生活保障" if i % 9 else "特困人员救助供养",
                "masked_name": mask_name(name), "members_count": 1 + i % 5, "monthly_amount": amount, "amount": format_yuan(amount)}

    # ordered as posted: by program, then enrollment (roster_services._enrollment_rows)
    roster = sorted((line(i) for i in range(1, rows + 1)), key=lambda r: (r["program_code"], r["id"]))
    for position, row in enumerate(roster, start=1):
        row["position"] = position
    changes = [line(i, "added" if i % 3 else "removed") for i in range(1, 31)]
    notices = [{**line(i), "starts_on": today, "ends_on": today + dt.timedelta(days=6), "objection": "", "republished": False}
               for i in range(1, 21)]
    url = "https://safetynet.example.gov.cn/notices/130123100001/"
    return {"village": SimpleNamespace(name="恒东社区居民委员会", code="130123100001"), "town": SimpleNamespace(name="正定镇"),
            "rows": notices, "today": today, "printed_at": "2026-12-04 09:00", "board_url": url, "qr": qr_svg(url),
            "roster": {"posting": posting, "rows": roster, "total": format_yuan(sum(r["monthly_amount"] for r in roster)),
                       "running": True},
            "changes": {"posting": posting, "rows": changes, "running": True}, "for_pdf": True}


def print_board(ctx: dict) -> tuple[float, float, bytes]:
    """Wall and CPU seconds of one print (CPU: what the print costs on a shared, loaded host)."""
    started, cpu = time.perf_counter(), time.process_time()
    with translation.override("zh-hans"):
        html = render_to_string("oversight/roster/village_print.html", ctx)
    pdf = html_to_pdf(html)
    return time.perf_counter() - started, time.process_time() - cpu, pdf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    ctx = context(args.rows)
    load = os.getloadavg()
    first, first_cpu, pdf = print_board(ctx)
    runs = [print_board(ctx) for _ in range(args.repeat)]
    times, cpus = [r[0] for r in runs], [r[1] for r in runs]
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf)) or "?"
    print(f"village board PDF, {args.rows} roster rows + 30 changes + 20 notices ({platform.python_version()}, "
          f"load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})")
    print(f"  first print (WeasyPrint and fonts loaded): {first:.2f} s wall, {first_cpu:.2f} s CPU")
    print(f"  median of {args.repeat} more: {statistics.median(times):.2f} s wall (min {min(times):.2f}, max {max(times):.2f}), "
          f"{statistics.median(cpus):.2f} s CPU")
    print(f"  {pages} A4 pages, {len(pdf) / 1024:.0f} KiB; target ≤ 2 s")


if __name__ == "__main__":
    main()
