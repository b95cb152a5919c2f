#!/bin/bash
# Old and new code alternately, on the same machine (docs/benchmarks.md, "One way (issue 16)"):
#   OLD=/path/to/old/checkout bench/side_by_side.sh N [bench_cases.py arguments]
# The old checkout (a git worktree of the commit before a change, with .venv linked to this one's)
# runs this checkout's bench file with its own code and its own PostgreSQL databases
# (BENCH_DB_SUFFIX=_old: its tables may have other names); then this checkout runs it. N times.
set -euo pipefail
OLD=${OLD:?set OLD to the old checkout}
HERE=$(cd "$(dirname "$0")/.." && pwd)
n=$1; shift
cp "$HERE/bench/bench_cases.py" "$OLD/bench/bench_cases_cmp.py"
for _i in $(seq "$n"); do
  (cd "$OLD" && BENCH_DB_SUFFIX=_old SAFETYNET_DATA_DIR=/tmp/sn-bench-old PYTHONPATH="$OLD" \
     .venv/bin/python bench/bench_cases_cmp.py "$@" 2>&1 | grep -E "^(sqlite|postgresql)" | sed 's/^/OLD /')
  (cd "$HERE" && .venv/bin/python bench/bench_cases.py "$@" 2>&1 | grep -E "^(sqlite|postgresql)" | sed 's/^/NEW /')
done
