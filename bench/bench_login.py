"""CPU time of one login (the Argon2 password check and everything around it), to size the app
processes (docs/deployment.md). Runs the real login page through Django's test client on a scratch
SQLite database, in this process: the CPU time is `time.process_time()` around each POST, so other
load on the machine does not count. Prints the password check alone beside the whole login.

    .venv/bin/python bench/bench_login.py [--logins 40]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--logins", type=int, default=40)
    args = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="bench-login-")
    os.environ.update(SAFETYNET_DATA_DIR=scratch, DATABASE_URL=f"sqlite:///{scratch}/db.sqlite3",
                      DJANGO_SETTINGS_MODULE="safetynet.settings", AXES_FAILURE_LIMIT="1000")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import check_password, get_hasher
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    password = "correct-horse-battery-9"
    user = get_user_model().objects.create_user("bench", password=password)
    hasher = get_hasher()
    print(f"hasher {hasher.algorithm}: time_cost {hasher.time_cost}, memory_cost {hasher.memory_cost} KiB, "
          f"parallelism {hasher.parallelism}; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    checks = []
    for _ in range(args.logins):
        started = time.process_time()
        assert check_password(password, user.password)
        checks.append(time.process_time() - started)
    client, cpu, wall = Client(), [], []
    for _ in range(args.logins):
        client.logout()
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        response = client.post("/login/", {"username": "bench", "password": password})
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started_wall)
        assert response.status_code == 302, response.status_code
    for label, values in (("password check", checks), ("login POST, CPU", cpu), ("login POST, wall", wall)):
        values = sorted(values)
        print(f"{label:18s} median {statistics.median(values) * 1000:6.1f} ms   "
              f"p95 {values[int(len(values) * 0.95) - 1] * 1000:6.1f} ms   min {values[0] * 1000:6.1f} ms  "
              f"({len(values)} logins, {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[1]})")


if __name__ == "__main__":
    main()
