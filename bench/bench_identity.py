"""Identity resolution accuracy and time on the demo's planted records (issue 4, part 3).

The demo county (`safetynet demo --people N`) gets its department snapshots with planted facts
(`safetynet verification_demo --per-kind K`): among them, K cars registered under a member's
legacy 15-digit ID, K under his ID with a wrong check digit, K with no ID at all (name, birth
date, address), and K decoys — same name and address as a member, another birth date — that
must not match. The ground truth is written beside the snapshots. Then, in a child process of
its own (peak memory from its getrusage), the matcher (safetynet.verification.identity.find_matches,
Splink 5 on DuckDB: training and prediction) runs as `identity_resolve` would, and every
candidate at or above the proposal threshold is scored against the ground truth:

    precision = proposals naming the planted record's own person / all proposals
    recall    = planted legacy, bad-check and no-ID records proposed with their person / all of them

Targets (issue 4): precision ≥ 0.99, recall ≥ 0.95. The county lives in var/bench/identity-<N>/
(SQLite and DATA_DIR) and is reused; --fresh rebuilds it.

    .venv/bin/python bench/bench_identity.py [--people 40000] [--per-kind 60] [--seed 2026] [--fresh]

Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
SAFETYNET = str(ROOT / ".venv" / "bin" / "safetynet")
COUNTY = "130123"


def workdir(people: int) -> Path:
    return ROOT / "var" / "bench" / f"identity-{people}"


def child_env(folder: Path) -> dict:
    env = dict(os.environ)
    env.update({"SAFETYNET_DATA_DIR": str(folder), "DATABASE_URL": f"sqlite:///{folder / 'identity.sqlite3'}",
                "DJANGO_SETTINGS_MODULE": "safetynet.settings"})
    return env


def build(folder: Path, people: int, per_kind: int, seed: int) -> None:
    env = child_env(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for args in (["migrate", "-v0"], ["demo", "--people", str(people), "--seed", str(seed), "--no-activity"],
                 ["verification_demo", "--seed", str(seed), "--per-kind", str(per_kind), "--controls", "0"]):
        started = time.monotonic()
        subprocess.run([SAFETYNET, *args], env=env, check=True, stdout=subprocess.DEVNULL)
        print(f"  built: safetynet {' '.join(args)} ({time.monotonic() - started:.1f} s)")


def measure(seed: int) -> dict:
    """In the child: run the matcher, score it against the ground truth."""
    import django

    django.setup()
    from safetynet.verification.demo_data import demo_folder, read_ground_truth
    from safetynet.verification.identity import PROPOSE_THRESHOLD, find_matches, record_key

    truth = read_ground_truth(demo_folder(seed))
    planted = {}
    for p in truth:
        if p.identity in ("legacy", "bad_check", "no_id", "decoy"):
            planted[(p.dataset, record_key(p.record_id_number or None, p.record_name, p.record_birth_date))] = p
    started = time.monotonic()
    matching = find_matches(county_code=COUNTY)
    wall = time.monotonic() - started
    by_kind: dict = {}
    true_positive = false_positive = 0
    for c in matching.candidates:
        p = planted.get((c.dataset, c.record_key))
        if p is not None and p.identity != "decoy" and p.person_id == c.person_id:
            true_positive += 1
            by_kind[p.identity] = by_kind.get(p.identity, 0) + 1
        else:
            false_positive += 1
    expected = {k: sum(1 for p in planted.values() if p.identity == k) for k in ("legacy", "bad_check", "no_id", "decoy")}
    positives = expected["legacy"] + expected["bad_check"] + expected["no_id"]
    decoys_proposed = sum(1 for c in matching.candidates
                          if (planted.get((c.dataset, c.record_key)) or None) and planted[(c.dataset, c.record_key)].identity == "decoy")
    return {
        "persons": matching.persons, "records": matching.records, "training_records": matching.training_records,
        "threshold": PROPOSE_THRESHOLD, "proposals": len(matching.candidates), "expected": expected, "found": by_kind,
        "true_positive": true_positive, "false_positive": false_positive, "decoys_proposed": decoys_proposed,
        "precision": true_positive / len(matching.candidates) if matching.candidates else 1.0,
        "recall": true_positive / positives if positives else 1.0,
        "seconds": matching.seconds, "wall": round(wall, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=40_000)
    parser.add_argument("--per-kind", type=int, default=60)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.seed)))
        return
    folder = workdir(args.people)
    print(f"Identity resolution bench: {args.people:,} people, {args.per_kind} planted records per kind, seed {args.seed}; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    if args.fresh and folder.exists():
        shutil.rmtree(folder)
    if not (folder / "identity.sqlite3").exists():
        build(folder, args.people, args.per_kind, args.seed)
    else:
        print(f"  reusing {folder} (--fresh rebuilds)")
    out = subprocess.run([PYTHON, __file__, "--child", "--seed", str(args.seed)], env=child_env(folder), check=True,
                         capture_output=True, text=True, cwd=ROOT)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    e, f = r["expected"], r["found"]
    print(f"Persons {r['persons']:,}; records without an exact ID {r['records']:,}; training records (exact IDs) "
          f"{r['training_records']:,}; threshold {r['threshold']}")
    print(f"Planted: legacy {e['legacy']}, bad check digit {e['bad_check']}, no ID {e['no_id']}, decoys {e['decoy']}")
    print(f"Proposed with the right person: legacy {f.get('legacy', 0)}/{e['legacy']}, bad check digit "
          f"{f.get('bad_check', 0)}/{e['bad_check']}, no ID {f.get('no_id', 0)}/{e['no_id']}; decoys proposed "
          f"{r['decoys_proposed']}/{e['decoy']}; wrong proposals {r['false_positive']}")
    print(f"Precision {r['precision']:.4f} (target ≥ 0.99)   recall {r['recall']:.4f} (target ≥ 0.95)")
    s = r["seconds"]
    print(f"Time {r['wall']:.2f} s (prepare {s.get('prepare', 0)} s, train {s.get('train', 0)} s, predict "
          f"{s.get('predict', 0)} s); peak RSS {r['peak_rss_mib']:,} MiB")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
