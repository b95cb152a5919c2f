"""One-stop settlement under a retry storm (issue 20): every bill sent three times at once, as a
cashier system that times out and retries does. Each bill must be settled exactly once, the three
answers must be the same, and the annual caps must hold exactly.

Setup as bench_settlement_load.py (a fresh PostgreSQL database `bench_medical`, the demo county,
`--people` persons enrolled or on the register, a designated hospital and its key; gunicorn with
the production settings, gthread workers as docs/deployment.md has them, so that the clients'
connections are kept alive). Then `--bills` distinct bills (default 1,000): `--bills-per-person` (4)
for each of bills/4 persons drawn at random, a third of them heavy (eligible 8,000-16,000 yuan a
bill, so that four bills go past the person's annual cap: 30,000 for dibao and special hardship,
10,000 for the register's categories) and the rest light (200-3,000). Every bill is sent three
times; the copies are dealt in windows of 16 bills (48 requests) shuffled together, so the three
copies of a bill, and often two bills of one person, are in flight at the same moment, through a
pool of `--concurrency` threads (default 48), each with its own keep-alive connection
(http.client).

Printed: requests, answers by status, elapsed time; settlements created (must equal the bills);
bills whose three answers differ (must be 0; compared as JSON values, and also byte for byte);
then the caps, recomputed here with `medical.rules.most_favorable` over each person's bills in
the order the database settled them (the settlement's id, taken under the person's year lock),
from the terms in force for the person's own categories (from the seeded enrollments and
register, not from the answers): settlements whose assistance differs from the recomputation,
persons whose total differs, persons at their cap, person-years whose totals differ from their
settlements.

    .venv/bin/python bench/bench_settlement_retry_storm.py [--people 20000] [--bills 1000]
        [--bills-per-person 4] [--concurrency 48] [--workers 2×cores] [--worker-class gthread]
        [--gunicorn-threads 2] [--port 8732] [--keep] [--template]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import threading
import time
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

# This checkout's code, not the one the virtual environment's editable install points at.
sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]

from common import ROOT, host_yardstick  # noqa: E402
from settlement_world import (SETTLE_PATH, check_database, database_url, drop, prepare, start_gunicorn,  # noqa: E402
                              stay_dates, stop_gunicorn)

WORK = ROOT / "var" / "bench" / "settlement-retry-storm"
COPIES = 3
WINDOW = 16


def make_bills(world, args, rnd: random.Random) -> list[dict]:
    persons = rnd.sample(world.ids, args.bills // args.bills_per_person)
    heavy = set(rnd.sample(persons, len(persons) // 3))
    pairs = [pair.split("/") for pair in stay_dates().split(",")]
    bills = []
    for person in persons:
        for _k in range(args.bills_per_person):
            if len(bills) == args.bills:
                break
            eligible = rnd.randint(800_000, 1_600_000) if person in heavy else rnd.randint(20_000, 300_000)
            ineligible = rnd.randint(0, 200_000)
            basic = rnd.randint(50_000, 3_000_000)
            critical = rnd.choice((0, 0, 0, rnd.randint(0, 500_000)))
            admitted, discharged = rnd.choice(pairs)
            cents = {"total_cost": eligible + ineligible + basic + critical, "basic_insurance_paid": basic,
                     "critical_illness_paid": critical, "eligible_self_paid": eligible, "ineligible_self_paid": ineligible}
            bills.append({"visit_number": f"S-{len(bills) + 1:05d}", "id_number": person, "admitted_on": admitted,
                          "discharged_on": discharged, **{k: f"{v // 100}.{v % 100:02d}" for k, v in cents.items()}})
    return bills


def storm(port: int, key: str, bills: list[dict], concurrency: int, rnd: random.Random) -> tuple[list, float]:
    """Send every bill COPIES times through `concurrency` threads; [(bill index, status, raw body,
    seconds)] and the elapsed time."""
    order = list(range(len(bills)))
    rnd.shuffle(order)
    requests = []
    for start in range(0, len(order), WINDOW):
        window = [i for i in order[start:start + WINDOW] for _copy in range(COPIES)]
        rnd.shuffle(window)
        requests.extend(window)
    bodies = [json.dumps(bill).encode() for bill in bills]
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json", "Accept-Language": "en"}
    results, lock, cursor = [], threading.Lock(), iter(requests)

    def work():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        while True:
            with lock:
                index = next(cursor, None)
            if index is None:
                break
            started = time.perf_counter()
            try:
                conn.request("POST", SETTLE_PATH, body=bodies[index], headers=headers)
                response = conn.getresponse()
                raw = response.read()
                mine.append((index, response.status, raw, time.perf_counter() - started))
            except (OSError, http.client.HTTPException) as error:
                conn.close()
                mine.append((index, f"error: {type(error).__name__}", b"", time.perf_counter() - started))
        conn.close()
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=work) for _n in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - started


def recompute_caps(world, bills: list[dict]) -> dict:
    """Each person's settlements recomputed in the order the database took them."""
    from safetynet.medical.models import PersonYear, Settlement
    from safetynet.medical.rules import most_favorable
    from safetynet.medical.terms import terms_for

    by_visit = {bill["visit_number"]: bill for bill in bills}
    rows = (Settlement.objects.filter(visit_number__startswith="S-", status="settled").order_by("pk")
            .values_list("pk", "visit_number", "person_id", "year", "assistance"))
    running = defaultdict(lambda: [Decimal("0.00"), Decimal("0.00")])   # (person, year) -> [eligible, paid]
    differ, caps = 0, {}
    stored = defaultdict(Decimal)
    for _pk, visit, person_id, year, assistance in rows:
        bill = by_visit[visit]
        if world.person_of[bill["id_number"]] != person_id:
            differ += 1
            continue
        terms = list(terms_for(world.area_of[person_id], year, world.categories[person_id]).values())
        caps[(person_id, year)] = max(t.annual_cap for t in terms)
        before = running[(person_id, year)]
        best, _every = most_favorable(Decimal(bill["eligible_self_paid"]), terms, eligible_before=before[0],
                                      paid_before=before[1])
        differ += best.assistance != assistance
        before[0] += Decimal(bill["eligible_self_paid"])
        before[1] += best.assistance
        stored[(person_id, year)] += assistance
    years = {(p, y): a for p, y, a in PersonYear.objects.filter(person_id__in={k[0] for k in running})
             .values_list("person_id", "year", "assistance_total")}
    return {"settlements_differ": differ,
            "persons_differ": sum(stored[k] != v[1] for k, v in running.items()),
            "person_years_differ": sum(years.get(k) != v[1] for k, v in running.items()),
            "at_cap": sum(v[1] == caps[k] for k, v in running.items()),
            "over_cap": sum(v[1] > caps[k] or stored[k] > caps[k] for k, v in running.items()),
            "persons": len(running)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--bills", type=int, default=1_000)
    parser.add_argument("--bills-per-person", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=48, help="client threads, each with its own connection")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1), help="gunicorn -w")
    parser.add_argument("--worker-class", default="gthread", choices=("sync", "gthread"),
                        help="gthread (docs/deployment.md) keeps connections alive; sync closes each after its answer")
    parser.add_argument("--gunicorn-threads", type=int, default=2, help="--threads of gthread workers")
    parser.add_argument("--port", type=int, default=8732)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--template", action="store_true",
                        help="keep the migrated, seeded database as a template and copy it on later runs")
    args = parser.parse_args()
    url = database_url()
    print(f"One-stop settlement, retry storm: {args.bills:,} bills × {COPIES} copies at once, {args.concurrency} client "
          f"threads, gunicorn -w {args.workers} -k {args.worker_class}"
          + (f" --threads {args.gunicorn_threads}" if args.worker_class == "gthread" else "")
          + f", {args.people:,} people, database {url.rsplit('/', 1)[1]}")
    print(f"  {host_yardstick()}; load average {os.getloadavg()[0]:.1f} at start")
    world = prepare(url, args.people, template=args.template)
    print(f"  setup (not timed{', copied from the template' if world.seconds['from_template'] else ''}): "
          f"migrate {world.seconds['migrate']} s, seed {world.seconds['seed']} s")
    rnd = random.Random(args.seed)
    bills = make_bills(world, args, rnd)
    gunicorn = start_gunicorn(url, workers=args.workers, port=args.port, worker_class=args.worker_class,
                              threads=args.gunicorn_threads, log=WORK / "gunicorn.log")
    try:
        results, elapsed = storm(args.port, world.key, bills, args.concurrency, rnd)
    finally:
        stop_gunicorn(gunicorn)
    statuses = Counter(status for _i, status, _raw, _s in results)
    latencies = sorted(seconds for _i, _status, _raw, seconds in results)
    print(f"  requests: {len(results):,} in {elapsed:.1f} s ({len(results) / elapsed:,.0f}/s); answers by status: "
          + ", ".join(f"{status}: {count:,}" for status, count in sorted(statuses.items(), key=str))
          + f"; latency ms p50 {latencies[len(latencies) // 2] * 1000:.0f}, p99 "
          f"{latencies[int(len(latencies) * 0.99)] * 1000:.0f}, max {latencies[-1] * 1000:.0f}; over 1 s: "
          f"{sum(s > 1 for s in latencies)}")
    copies = defaultdict(list)
    for index, status, raw, _seconds in results:
        copies[index].append((status, raw))
    value_mismatch = bytes_mismatch = 0
    example = None
    for index, answers in copies.items():
        values = [(status, json.loads(raw) if raw else None) for status, raw in answers]
        if len(answers) != COPIES or any(v != values[0] for v in values):
            value_mismatch += 1
            example = example or (bills[index]["visit_number"], [(s, r[:200]) for s, r in answers])
        bytes_mismatch += len({raw for _status, raw in answers}) > 1
    print(f"  bills whose {COPIES} answers differ: {value_mismatch} as JSON values (target 0), {bytes_mismatch} byte "
          f"for byte" + (f"; first: {example}" if example else ""))
    from safetynet.medical.models import Settlement

    created = Settlement.objects.filter(visit_number__startswith="S-").count()
    print(f"  distinct settlements created: {created:,} for {len(bills):,} bills "
          f"({'exactly one each' if created == len(bills) else 'NOT one each'})")
    caps = recompute_caps(world, bills)
    checked = check_database(world)
    print(f"  caps recomputed with medical.rules in settlement order over {caps['persons']} persons' bills: "
          f"{caps['settlements_differ']} settlements and {caps['persons_differ']} persons' totals differ; "
          f"{caps['at_cap']} persons at their annual cap, {caps['over_cap']} over it; person-years differing from "
          f"the recomputation {caps['person_years_differ']}, from their settlements' sums {checked['totals_differ']}; "
          f"database check over a cap {checked['over_cap']}")
    if args.keep:
        print(f"  kept: {world.url}")
    else:
        drop(world.url)


if __name__ == "__main__":
    started = time.monotonic()
    main()
    print(f"  whole run: {time.monotonic() - started:.0f} s")
