"""Work survives a dead worker: background workers (`safetynet db_worker`, the database backend
of django-tasks) record a heartbeat, and a job whose worker stopped beating is taken back.

django_tasks_db claims a task by setting its row RUNNING and appending the worker's id to
`worker_ids`; a worker killed mid-task (SIGKILL, the machine restarted) leaves the row RUNNING for
ever. Here every worker writes a `WorkerHeartbeat` row every WORKER_HEARTBEAT_SECONDS from a
thread of its process, and, when it starts and every WORKER_CHECK_SECONDS after, reaps the tasks
whose worker is gone (`worker_gone`):
- a task whose kind is declared idempotent (`recoverable(retry=True)`, once, where the task is
  defined) is set READY again, for any worker to take, up to JOB_MAX_ATTEMPTS attempts (the number
  of workers that claimed it, `worker_ids`); its record (a job file, a verification run) says
  "interrupted, retried: attempt 2 of 3";
- after the last attempt, or for a kind not declared idempotent, the task is failed and its record
  says why and what to do.

A worker is gone when its heartbeat is older than WORKER_STALE_SECONDS, or at once when it ran on
this machine and its process is no longer there. A worker of this machine whose process is alive
is never taken for gone: on SQLite a long write (a payroll of a large county, a national division
list) holds the database's only write lock, so its heartbeat waits, though the worker is well.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)


def heartbeat_seconds() -> float:
    return float(getattr(settings, "WORKER_HEARTBEAT_SECONDS", 5))


def stale_after() -> dt.timedelta:
    return dt.timedelta(seconds=float(getattr(settings, "WORKER_STALE_SECONDS", 60)))


def check_seconds() -> float:
    return float(getattr(settings, "WORKER_CHECK_SECONDS", 30))


def max_attempts() -> int:
    return max(1, int(getattr(settings, "JOB_MAX_ATTEMPTS", 3)))


# ---------------------------------------------------------------------------------------------
# What each kind of task does after an interruption: declared once, where the task is defined.
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Interruption:
    """A task whose worker died: which attempt it was on, and whether it was queued again."""

    task_path: str
    attempt: int
    max_attempts: int
    retried: bool

    def message(self) -> str:
        """What the job's record says (the language active when it is written: the job's)."""
        if self.retried:
            return _("interrupted, retried: attempt %(attempt)d of %(of)d") % {"attempt": self.attempt + 1,
                                                                              "of": self.max_attempts}
        if self.max_attempts > 1:
            return _("The worker stopped while this job ran (the server restarted or the process was killed), on each "
                     "of its %(n)d attempts: it is not tried again. Start it again once the workers run steadily: it "
                     "completes what was done, without doing anything twice.") % {"n": self.attempt}
        return _("The worker stopped while this job ran (the server restarted or the process was killed). This kind "
                 "of job is not started again by itself: check what it did, then start it again.")


@dataclass(frozen=True)
class Recovery:
    retry: bool                                                  # idempotent: may run again
    record: Callable[[list, Interruption], None] | None = None   # tells the job's own record


RECOVERIES: dict[str, Recovery] = {}


def recoverable(*, retry: bool, record: Callable[[list, Interruption], None] | None = None):
    """Declare, on a django-tasks task, whether it may run again after its worker died (`retry`:
    running it twice does no harm, the second run completing the first) and how its own record
    hears of the interruption (`record(args, interruption)`). Undeclared tasks are failed."""
    def declare(task):
        RECOVERIES[task.module_path] = Recovery(retry=retry, record=record)
        return task

    return declare


def attempts_for(task) -> int:
    recovery = RECOVERIES.get(getattr(task, "module_path", ""))
    return max_attempts() if recovery is not None and recovery.retry else 1


def _recovery_of(row) -> Recovery:
    try:
        row.task      # imports the task's module, which declares its recovery
    except Exception:  # noqa: BLE001 - a task that no longer imports is failed below
        pass
    return RECOVERIES.get(row.task_path, Recovery(retry=False))


# ---------------------------------------------------------------------------------------------
# Heartbeats
# ---------------------------------------------------------------------------------------------
def beat(worker_id: str, *, started_at: dt.datetime) -> None:
    from .models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"host": socket.gethostname(), "pid": os.getpid(), "started_at": started_at, "seen_at": timezone.now()})


def forget(worker_id: str) -> None:
    """A worker leaving cleanly takes its heartbeat with it."""
    from .models import WorkerHeartbeat

    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def process_alive(pid: int) -> bool:
    """Whether a worker process of this machine still runs (a zombie or another program that took
    its number does not count, where /proc tells)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    proc = Path(f"/proc/{pid}/cmdline")
    if Path("/proc/self").exists():
        try:
            return b"db_worker" in proc.read_bytes()
        except OSError:
            return False
    return True


def worker_gone(beat, *, claimed_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether the worker behind a claimed task stopped: see the module's docstring."""
    stale = now - stale_after()
    if beat is None:      # never beat (a worker of an older release) or cleaned away: judge by the claim
        return claimed_at is not None and claimed_at < stale
    if beat.host == socket.gethostname():
        return not process_alive(beat.pid)
    return beat.seen_at < stale


def worker_process_gone(host: str, pid: int | None) -> bool:
    """Whether the worker process that ran a job (its host and process id, as the job's record
    keeps them) has stopped: for a page to say so while no worker is there to take the job back."""
    from .models import WorkerHeartbeat

    if not host or not pid:
        return False
    if host == socket.gethostname():
        return not process_alive(pid)
    beat = WorkerHeartbeat.objects.filter(host=host, pid=pid).order_by("-seen_at").first()
    return beat is None or beat.seen_at < timezone.now() - stale_after()


def reap_interrupted(*, now: dt.datetime | None = None) -> list[Interruption]:
    """Take back every running task whose worker is gone: queued again or failed (module
    docstring). Safe to run in several workers at once: a task is taken back by one of them."""
    from django_tasks_db.models import DBTaskResult

    from .models import WorkerHeartbeat

    now = now or timezone.now()
    rows = list(DBTaskResult.objects.running())
    if not rows:
        return []
    beats = {b.worker_id: b for b in WorkerHeartbeat.objects.filter(
        worker_id__in={r.worker_ids[-1] for r in rows if r.worker_ids})}
    taken = []
    for row in rows:
        worker = row.worker_ids[-1] if row.worker_ids else ""
        if worker_gone(beats.get(worker), claimed_at=row.started_at, now=now):
            interruption = _take_back(row, now)
            if interruption is not None:
                taken.append(interruption)
    return taken


def _take_back(row, now: dt.datetime) -> Interruption | None:
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    recovery = _recovery_of(row)
    attempt = max(1, len(row.worker_ids))
    limit = max_attempts() if recovery.retry else 1
    interruption = Interruption(task_path=row.task_path, attempt=attempt, max_attempts=limit,
                                retried=recovery.retry and attempt < limit)
    if interruption.retried:
        changes = {"status": TaskResultStatus.READY}
    else:
        changes = {"status": TaskResultStatus.FAILED, "finished_at": now, "return_value": None,
                   "exception_class_path": f"{__name__}.WorkerLost", "traceback": interruption.message()}
    # The record is told inside the transaction that takes the task back: no worker can claim
    # the task again (the row is locked until the commit) before its record says "queued".
    with transaction.atomic():
        taken = DBTaskResult.objects.filter(pk=row.pk, status=TaskResultStatus.RUNNING,
                                            started_at=row.started_at).update(**changes)
        if not taken:
            return None         # finished meanwhile, or another worker took it back
        if recovery.record is not None:
            try:
                recovery.record(list(row.args_kwargs.get("args", [])), interruption)
            except Exception:  # noqa: BLE001 - the task is taken back even if its record cannot say so
                log.exception("could not record the interruption of task %s", row.pk)
    log.warning("task %s (%s) lost its worker on attempt %d of %d: %s", row.pk, row.task_path, attempt, limit,
                "queued again" if interruption.retried else "failed")
    return interruption


class WorkerLost(Exception):
    """Named on a task failed because its worker died (the task row's exception class)."""


class Heartbeat(threading.Thread):
    """The thread of a worker process that beats and, now and then, reaps."""

    def __init__(self, worker_id: str, *, started_at: dt.datetime):
        super().__init__(name=f"heartbeat-{worker_id[:8]}", daemon=True)
        self.worker_id, self.started_at = worker_id, started_at
        self.stopping = threading.Event()

    def run(self) -> None:
        last_check = timezone.now()
        while not self.stopping.wait(heartbeat_seconds()):
            try:
                close_old_connections()
                beat(self.worker_id, started_at=self.started_at)
                if (timezone.now() - last_check).total_seconds() >= check_seconds():
                    last_check = timezone.now()
                    reap_interrupted()
            except Exception:  # noqa: BLE001 - a missed beat is tried again at the next
                log.exception("heartbeat of worker %s failed", self.worker_id)
                connection.close()
        connection.close()

    def stop(self) -> None:
        self.stopping.set()
