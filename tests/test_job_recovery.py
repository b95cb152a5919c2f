"""Work survives a dead worker (issue 14 item 14): workers beat (core/workers.py), and a job whose
worker stopped is taken back by another worker, run again when its kind is idempotent, visibly in
its progress, and failed with what to do after the last attempt.

The first tests reap rows made by hand (a heartbeat of a chosen age, host and process); the last
starts real `safetynet db_worker` processes, kills one with SIGKILL in the middle of a payroll
generation and lets a second finish it."""
import datetime as dt
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks import task

from safetynet.core import workers
from safetynet.core.models import WorkerHeartbeat
from safetynet.payroll import jobs
from safetynet.payroll.models import Payment, PayrollRun
from tests.conftest import COUNTY

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def job_dirs(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


def _claimed(job, worker_id: str):
    """The generation job as a worker that claimed it leaves it: the task row RUNNING with its id."""
    from django_tasks_db.models import DBTaskResult

    row = DBTaskResult.objects.get(pk=job.task_id)
    row.claim(worker_id)
    jobs.update(job.id, status=jobs.RUNNING)
    return row


def _heartbeat(worker_id: str, *, host: str, pid: int, age: dt.timedelta):
    now = timezone.now()
    return WorkerHeartbeat.objects.create(worker_id=worker_id, host=host, pid=pid, started_at=now - age, seen_at=now - age)


def _dead_pid() -> int:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    return gone.pid


@pytest.fixture
def sleeping_worker():
    """A live process of this machine that looks like a worker (its command line names db_worker)."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "db_worker"])
    yield process
    process.kill()
    process.wait()


@pytest.mark.django_db(transaction=True)     # the worker runs in this process and closes old connections
def test_a_job_whose_worker_stopped_beating_is_queued_again_and_a_worker_finishes_it(payroll, job_dirs):
    import io

    from django_tasks_db.models import DBTaskResult

    job = jobs.start_generation(actor=payroll.posts.officer, county_code=COUNTY, month="2025-10")
    assert job.max_attempts == 3
    row = _claimed(job, "worker-on-another-host")
    _heartbeat("worker-on-another-host", host="another-host", pid=4242, age=dt.timedelta(seconds=61))

    taken = workers.reap_interrupted()
    assert [(t.attempt, t.max_attempts, t.retried) for t in taken] == [(1, 3, True)]
    row.refresh_from_db()
    assert row.status == "READY"
    seen = jobs.load(job.id)
    assert seen.status == jobs.QUEUED and seen.attempt == 2 and seen.retry_label == "interrupted, retried: attempt 2 of 3"
    assert workers.reap_interrupted() == []          # taken back once

    call_command("db_worker", "--batch", "--no-startup-delay", "--worker-id", "second", stdout=io.StringIO(), stderr=io.StringIO())
    row.refresh_from_db()
    done = jobs.load(job.id)
    assert row.status == "SUCCESSFUL" and row.worker_ids == ["worker-on-another-host", "second"]
    assert done.status == jobs.DONE and done.attempt == 2 and done.result["payments"] == 1
    assert Payment.objects.count() == 1 and PayrollRun.objects.get().total_amount == Decimal("2070.00")
    assert not WorkerHeartbeat.objects.filter(worker_id="second").exists()    # a worker leaving takes its beat along
    assert DBTaskResult.objects.running().count() == 0


def test_the_retry_shows_on_the_job_page_and_in_the_command_line(payroll, job_dirs, client):
    import io

    from django.contrib.auth import get_user_model
    from django.urls import reverse
    from django.utils import translation

    from safetynet.payroll.management.commands.payroll import Command
    from safetynet.payroll.tasks import generate_payroll_job

    officer = payroll.posts.officer
    job = jobs.start_generation(actor=officer, county_code=COUNTY, month="2025-10")
    _claimed(job, "gone")
    _heartbeat("gone", host="another-host", pid=1, age=dt.timedelta(minutes=2))
    workers.reap_interrupted()
    client.force_login(get_user_model().objects.get(pk=officer.user_id))
    bar = client.get(reverse("payments:job_progress", args=[job.id])).content.decode()
    assert 'data-testid="job-retry"' in bar and "曾中断，已重试：第 2 次，共 3 次" in bar      # pages speak Chinese by default

    generate_payroll_job.call(job.id)
    out = io.StringIO()
    with translation.override("en"):
        Command(stdout=out).follow(job.id, 0.01)
    assert "done (interrupted, retried: attempt 2 of 3): carried 4/4" in out.getvalue()


def test_the_page_says_when_the_worker_of_a_running_job_stopped(payroll, job_dirs, client, sleeping_worker):
    """While no worker runs to take the job back, its page does not just wait: it says why."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    officer = payroll.posts.officer
    job = jobs.start_generation(actor=officer, county_code=COUNTY, month="2025-10")
    client.force_login(get_user_model().objects.get(pk=officer.user_id))
    bar = reverse("payments:job_progress", args=[job.id])
    jobs.update(job.id, status=jobs.RUNNING, worker_host=socket.gethostname(), worker_pid=sleeping_worker.pid)
    assert 'data-testid="job-worker-lost"' not in client.get(bar).content.decode()
    jobs.update(job.id, worker_pid=_dead_pid())
    assert "执行该任务的后台进程已停止" in client.get(bar).content.decode()
    jobs.update(job.id, worker_host="another-host", worker_pid=7)
    _heartbeat("elsewhere", host="another-host", pid=7, age=dt.timedelta(seconds=5))
    assert 'data-testid="job-worker-lost"' not in client.get(bar).content.decode()
    WorkerHeartbeat.objects.filter(worker_id="elsewhere").update(seen_at=timezone.now() - dt.timedelta(minutes=5))
    assert 'data-testid="job-worker-lost"' in client.get(bar).content.decode()


def test_a_worker_that_beats_or_whose_process_lives_is_left_alone(payroll, job_dirs, sleeping_worker):
    officer = payroll.posts.officer
    beating = jobs.start_generation(actor=officer, county_code=COUNTY, month="2025-10")
    _claimed(beating, "beating")
    _heartbeat("beating", host="another-host", pid=1, age=dt.timedelta(seconds=10))
    waiting = jobs.start_generation(actor=officer, county_code=COUNTY, month="2025-11")
    _claimed(waiting, "waiting-on-sqlite")    # a worker of this machine whose beat waits on the write lock
    _heartbeat("waiting-on-sqlite", host=socket.gethostname(), pid=sleeping_worker.pid, age=dt.timedelta(minutes=5))

    assert workers.reap_interrupted() == []
    assert jobs.load(beating.id).status == jobs.RUNNING and jobs.load(waiting.id).status == jobs.RUNNING


def test_a_worker_of_this_machine_whose_process_is_gone_is_taken_for_gone_at_once(payroll, job_dirs):
    job = jobs.start_generation(actor=payroll.posts.officer, county_code=COUNTY, month="2025-10")
    _claimed(job, "killed")
    _heartbeat("killed", host=socket.gethostname(), pid=_dead_pid(), age=dt.timedelta(seconds=1))
    assert [t.retried for t in workers.reap_interrupted()] == [True]
    assert jobs.load(job.id).attempt == 2


def test_after_the_last_attempt_the_job_is_failed_with_what_to_do(payroll, job_dirs):
    from django_tasks_db.models import DBTaskResult

    job = jobs.start_generation(actor=payroll.posts.officer, county_code=COUNTY, month="2025-10")
    row = DBTaskResult.objects.get(pk=job.task_id)
    row.worker_ids = ["first", "second"]            # two workers died under it already
    row.save(update_fields=["worker_ids"])
    jobs.update(job.id, attempt=3)
    _claimed(job, "third")
    _heartbeat("third", host="another-host", pid=1, age=dt.timedelta(minutes=2))

    [taken] = workers.reap_interrupted()
    assert (taken.attempt, taken.retried) == (3, False)
    row.refresh_from_db()
    assert row.status == "FAILED" and row.exception_class_path == "safetynet.core.workers.WorkerLost"
    failed = jobs.load(job.id)
    assert failed.status == jobs.FAILED and failed.error_code == "interrupted" and failed.finished
    assert "on each of its 3 attempts" in failed.error and "without doing anything twice" in failed.error
    assert not PayrollRun.objects.exists()


@task()
def undeclared_job(job_id: str) -> None:
    """A task nobody declared idempotent: not run twice."""


def test_a_task_not_declared_idempotent_is_failed_not_retried(db):
    from django_tasks_db.models import DBTaskResult

    result = undeclared_job.enqueue("x")
    row = DBTaskResult.objects.get(pk=result.id)
    row.claim("gone")
    DBTaskResult.objects.filter(pk=row.pk).update(started_at=timezone.now() - dt.timedelta(minutes=5))
    # no heartbeat row at all: a worker that never beat, judged by the age of its claim
    [taken] = workers.reap_interrupted()
    assert (taken.attempt, taken.max_attempts, taken.retried) == (1, 1, False)
    row.refresh_from_db()
    assert row.status == "FAILED" and "not started again by itself" in row.traceback


def test_a_verification_run_says_it_was_retried(db):
    from safetynet.verification.management.commands.verify import progress_line
    from safetynet.verification.models import RunStatus, VerificationRun
    from safetynet.verification.services import record_run_interruption

    run = VerificationRun.objects.create(kind="county", area_code=COUNTY, as_of=dt.date(2026, 1, 1), status=RunStatus.RUNNING,
                                         requested_by="verification-service", attempts=1)
    record_run_interruption(run_id=run.pk, interruption=workers.Interruption("t", attempt=1, max_attempts=3, retried=True))
    run.refresh_from_db()
    assert run.status == RunStatus.PENDING and run.retry_label == "interrupted, retried: attempt 2 of 3"
    assert "pending (interrupted, retried: attempt 2 of 3): chunks" in progress_line(run, 1.0)     # `safetynet verify`
    VerificationRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    record_run_interruption(run_id=run.pk, interruption=workers.Interruption("t", attempt=3, max_attempts=3, retried=False))
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "on each of its 3 attempts" in run.error


@pytest.mark.django_db(transaction=True)
def test_a_running_worker_checks_now_and_then(payroll, job_dirs, settings):
    """The heartbeat thread of a live worker takes back a dead colleague's job, not only a worker
    that starts."""
    settings.WORKER_HEARTBEAT_SECONDS, settings.WORKER_CHECK_SECONDS = 0.05, 0.05
    job = jobs.start_generation(actor=payroll.posts.officer, county_code=COUNTY, month="2025-10")
    _claimed(job, "dead")
    _heartbeat("dead", host="another-host", pid=1, age=dt.timedelta(minutes=2))
    thread = workers.Heartbeat("alive", started_at=timezone.now())
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while jobs.load(job.id).status != jobs.QUEUED and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        thread.stop()
        thread.join(5)
    assert jobs.load(job.id).status == jobs.QUEUED
    assert WorkerHeartbeat.objects.filter(worker_id="alive").exists()


# ---------------------------------------------------------------------------------------------
# Real workers, one killed with SIGKILL in the middle of a payroll generation
# ---------------------------------------------------------------------------------------------
# Worker 1 runs this: the real `safetynet db_worker`, whose job's progress callback (a real hook:
# jobs.Running.step, reported inside the generation's transaction) stops for good at the named
# step and says so in a file, so the test knows where the kill lands.
BLOCKING_WORKER = """
import os, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetynet.settings")
django.setup()
from pathlib import Path
from safetynet.core import jobs
original = jobs.Running.step
def step(self, name, number, total):
    original(self, name, number, total)
    if name == os.environ["BLOCK_AT_STEP"]:
        Path(os.environ["BLOCKED_MARKER"]).write_text(name)
        while True:
            time.sleep(1)
jobs.Running.step = step
from safetynet.cli import main
main(["db_worker", "--no-startup-delay", "--interval", "0.1", "--worker-id", "first", "--no-reload"])
"""


def _worker_env(database_url: str, data_dir: Path) -> dict:
    env = dict(os.environ, DATABASE_URL=database_url, SAFETYNET_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT),
               DJANGO_SETTINGS_MODULE="safetynet.settings", WORKER_HEARTBEAT_SECONDS="0.5", WORKER_CHECK_SECONDS="1",
               TASKS_BACKEND="django_tasks_db.DatabaseBackend")
    env.pop("DJANGO_DEBUG", None)
    return env


def _database_for_workers(tmp_path: Path) -> str:
    """A database the worker processes can open holding what the test made: pytest's in-memory
    SQLite copied to a file, or the PostgreSQL test database itself."""
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        path = tmp_path / "workers.sqlite3"
        target = sqlite3.connect(path)
        connection.ensure_connection()
        connection.connection.backup(target)
        target.close()
        return f"sqlite:///{path}"
    return (f"postgres://{settings_dict['USER']}:{settings_dict.get('PASSWORD') or ''}@{settings_dict['HOST'] or '127.0.0.1'}:"
            f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}")


def _figures_of_workers_database(database_url: str) -> tuple[int, Decimal]:
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url[len("sqlite:///"):]) as db:
            count = db.execute("SELECT COUNT(*) FROM payroll_payment").fetchone()[0]
            (total,) = db.execute("SELECT SUM(amount) FROM payroll_payment").fetchone()
        return count, Decimal(str(total)).quantize(Decimal("0.01"))
    payments = Payment.objects.all()
    return payments.count(), sum((p.amount for p in payments), Decimal("0.00"))


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_generation_is_replaced_and_the_run_comes_out_as_an_uninterrupted_one(payroll, job_dirs):
    from safetynet.payroll import services

    p = payroll
    for i in range(30):
        p.enroll(f"{500 + 7 * i}.00")
        p.enroll(f"{300 + i}.00", start=dt.date(2025, 8, 1))
    job = jobs.start_generation(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
    database_url = _database_for_workers(job_dirs)
    data_dir = Path(job_dirs / "data")
    marker = job_dirs / "blocked"
    env = _worker_env(database_url, data_dir)
    logs = job_dirs / "first.log"
    started = time.monotonic()
    with open(logs, "w") as log:
        first = subprocess.Popen([sys.executable, "-c", BLOCKING_WORKER], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                 env=dict(env, BLOCK_AT_STEP="arrears", BLOCKED_MARKER=str(marker)))
    try:
        while not marker.exists():
            assert first.poll() is None, logs.read_text()
            assert time.monotonic() - started < 40, "the first worker never reached the step"
            time.sleep(0.1)
        midway = jobs.load(job.id)
        assert midway.status == jobs.RUNNING and midway.step == "arrears" and midway.done == 2 and midway.total == 4
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()

    second = subprocess.run([sys.executable, "-m", "safetynet.cli", "db_worker", "--batch", "--no-startup-delay",
                             "--interval", "0.1", "--worker-id", "second", "--no-reload"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Took back" in second.stdout + second.stderr      # the second worker said what it did

    finished = jobs.load(job.id)
    assert finished.status == jobs.DONE, finished
    assert finished.attempt == 2 and finished.retry_label == "interrupted, retried: attempt 2 of 3"
    count, total = _figures_of_workers_database(database_url)

    if connection.vendor == "sqlite":
        # The uninterrupted run, on the test's own copy of the same data.
        reference = services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
        expected_count, expected_total = reference.payment_count, reference.total_amount
    else:
        # What the SQLite branch's uninterrupted run gives: each enrollment's month once.
        expected_count = 1 + 30 + 30
        expected_total = Decimal("2070.00") + sum(Decimal(500 + 7 * i) + Decimal(300 + i) for i in range(30))
    assert (count, total) == (expected_count, expected_total)
    assert (finished.result["payments"], Decimal(finished.result["total"])) == (expected_count, expected_total)
    assert time.monotonic() - started < 60
