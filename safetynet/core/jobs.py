"""Background jobs that a page, the API or a command starts and then follows: a payroll run, a
policy simulation, a division list or a roster uploaded through the web.

django-tasks runs each job (an app's tasks.py: a thin call into its service). What a job has done
so far is kept beside it in one small JSON file per job under SAFETYNET_DATA_DIR/jobs/<book>/, not
in a table: a payroll generation holds its run's row locked, and on SQLite the database's only
write lock, for its whole transaction, so a step it reports from inside could not be read (or, on
SQLite, even written) elsewhere until the end. A file is written and read at once by any process
on the machine; a deployment already shares this directory between its processes (bank files,
department snapshots). An uploaded file the job reads is kept there too (private: no URL serves
that folder), and removed when the job has read it. The job's own result row (django-tasks) still
says whether the worker finished; the file says how far it got and what came out.

Each app keeps its jobs in a `JobBook` (its folder, how its jobs' starter is made an Actor again)
and names its kinds (label, the permission that may follow one, its steps) with `describe_kinds`.
A job acts as the post that started it (its permissions and area are checked again by the service
when the job runs), or as the system for a command run without --as.

A worker killed while it ran a job is noticed by the other workers (core/workers.py): a job whose
kind is declared idempotent (`JobBook.task(retry=True)`) is queued again and its record says so
("interrupted, retried: attempt 2 of 3"); after the last attempt, or for a kind that may not run
twice, it is failed with what to do.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone, translation
from django.utils.translation import gettext as _, gettext_lazy

from .errors import NotFound, SafetyNetError
from .scoping import Actor
from . import workers

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATUS_LABELS = {QUEUED: gettext_lazy("waiting for a worker"), RUNNING: gettext_lazy("running"),
                 DONE: gettext_lazy("done"), FAILED: gettext_lazy("failed")}
FINISHED = (DONE, FAILED)

# What each kind of job is called, who may follow one, and the steps it reports: filled by the
# apps that define jobs (describe_kinds), read here for the pages and commands.
KIND_LABELS: dict[str, object] = {}
KIND_PERMISSIONS: dict[str, str] = {}
STEP_LABELS: dict[str, object] = {}


def describe_kinds(*, labels: dict, permissions: dict, steps: dict | None = None) -> None:
    KIND_LABELS.update(labels)
    KIND_PERMISSIONS.update(permissions)
    STEP_LABELS.update(steps or {})


@dataclass
class Job:
    id: str
    kind: str
    area: str                   # the area the job works on: a county's payroll, the importer's area
    params: dict
    book: str = ""
    post_id: int | None = None
    user_id: int | None = None
    requested_by: str = ""
    status: str = QUEUED
    step: str = ""
    done: int = 0
    total: int = 0
    created_at: str = ""
    started_at: str = ""
    finished_at: str = ""
    task_id: str = ""
    result: dict = field(default_factory=dict)
    error: str = ""
    error_code: str = ""
    error_rows: list = field(default_factory=list)
    language: str = ""          # the starter's: the job's messages speak it
    updated_at: str = ""
    worker_host: str = ""       # where the worker that runs it lives, and its process
    worker_pid: int | None = None
    attempt: int = 1            # > 1 once a worker died under it and it was queued again
    max_attempts: int = 1
    uploads: int = 0            # files kept beside the job (upload_paths)

    @property
    def county(self) -> str:
        return self.area

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def percent(self) -> int:
        if self.status == DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS.get(self.status, self.status))

    @property
    def step_label(self) -> str:
        return str(STEP_LABELS.get(self.step, self.step))

    @property
    def retry_label(self) -> str:
        """What the page and the command say of a job run again after its worker died."""
        if self.attempt <= 1:
            return ""
        return _("interrupted, retried: attempt %(attempt)d of %(of)d") % {"attempt": self.attempt, "of": self.max_attempts}

    @property
    def worker_lost(self) -> bool:
        """Running, but its worker stopped: a worker that starts, or a running worker's next
        check, takes it back (core/workers.py); the page says so meanwhile."""
        return self.status == RUNNING and workers.worker_process_gone(self.worker_host, self.worker_pid)

    @property
    def upload_path(self) -> Path:
        return jobs_root() / self.book / f"{self.id}.upload"

    @property
    def upload_paths(self) -> list[Path]:
        """Every file kept beside the job, in the order they were given (the first is `upload_path`)."""
        return [self.upload_path] + [self.upload_path.with_name(f"{self.id}.upload.{n}") for n in range(1, self.uploads)]

    def remove_uploads(self) -> None:
        for path in self.upload_paths:
            path.unlink(missing_ok=True)

    def as_dict(self) -> dict:
        return asdict(self)


_FIELDS = {f.name for f in fields(Job)}


def jobs_root() -> Path:
    return Path(settings.DATA_DIR) / "jobs"


def _now() -> str:
    return timezone.now().isoformat()


class Running:
    """Handed to the task: its actor, its parameters, and how it reports its progress."""

    def __init__(self, book: JobBook, job: Job):
        self.book, self.job = book, job

    @property
    def params(self) -> dict:
        return self.job.params

    def actor(self) -> Actor:
        return self.book.actor_of(self.job)

    def step(self, name: str, number: int, total: int) -> None:
        """A named step done of the steps (services.generate_payroll_run's progress callback)."""
        self.job = self.book.update(self.job.id, step=name, done=number, total=total)

    def count(self, done: int, total: int) -> None:
        """Units done of the total (households, enrollments, rows of an upload)."""
        self.job = self.book.update(self.job.id, done=done, total=total)


class JobBook:
    """One app's jobs: their folder under SAFETYNET_DATA_DIR/jobs/ and how the post that started
    one is made an Actor again when it runs (`actor_of`, the app's: core knows no posts)."""

    def __init__(self, name: str, *, actor_of: Callable[[Job], Actor]):
        self.name = name
        self.actor_of = actor_of

    # --- the record ---------------------------------------------------------------------------
    def directory(self) -> Path:
        return jobs_root() / self.name

    def _path(self, job_id: str) -> Path:
        return self.directory() / f"{job_id}.json"

    @contextlib.contextmanager
    def _locked(self):
        """One writer at a time (the starter, the worker and a reaping worker may overlap); a
        write takes a millisecond, so one lock serves every job of the book."""
        self.directory().mkdir(parents=True, exist_ok=True)
        with open(self.directory() / "jobs.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write(self, job: Job) -> None:
        job.updated_at = _now()
        path = self._path(job.id)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(job.as_dict(), cls=DjangoJSONEncoder, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, path)

    def _read(self, job_id: str) -> Job | None:
        try:
            data = json.loads(self._path(str(job_id)).read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        if "county" in data:            # written before jobs moved to core
            data.setdefault("area", data.pop("county"))
        data.setdefault("book", self.name)
        return Job(**{k: v for k, v in data.items() if k in _FIELDS})

    def load(self, job_id: str) -> Job | None:
        try:
            uuid.UUID(hex=str(job_id))
        except ValueError:
            return None
        return self._read(job_id)

    def update(self, job_id: str, **changes) -> Job:
        with self._locked():
            job = self._read(job_id)
            for key, value in changes.items():
                setattr(job, key, value)
            self._write(job)
        return job

    # --- starting, running, following ---------------------------------------------------------
    def start(self, *, actor: Actor, kind: str, area: str, params: dict, task, upload=None, uploads=()) -> Job:
        """Record a job and hand it to the queue (not from inside a transaction: the job runs
        elsewhere and must see what the caller committed). `upload` (a file the job reads: bank
        returns, a roster), or several `uploads` (the files of a division list), are kept beside
        the job for the worker (`Job.upload_paths`)."""
        files = [upload] if upload is not None else list(uploads)
        job = Job(id=uuid.uuid4().hex, kind=kind, area=area, params=params, book=self.name, post_id=actor.post_id,
                  user_id=actor.user_id, requested_by=actor.username, created_at=_now(),
                  language=translation.get_language() or "", max_attempts=workers.attempts_for(task),
                  uploads=len(files))
        self.directory().mkdir(parents=True, exist_ok=True)
        for file, path in zip(files, job.upload_paths):
            if hasattr(file, "seek"):
                file.seek(0)
            with path.open("wb") as out:
                for piece in file.chunks() if hasattr(file, "chunks") else iter(lambda: file.read(1 << 20), b""):
                    out.write(piece)
        self._write(job)
        result = task.enqueue(job.id)   # the immediate backend (tests) runs it here and now
        return self.update(job.id, task_id=str(result.id))

    @contextlib.contextmanager
    def running(self, job_id: str):
        """The job's run, for its task: `running` while the service works, `done` with the result
        the task sets on the handle (`handle.result`), `failed` with the service's message (a
        domain error is an answer, not a crash: the task ends normally); anything else is
        recorded and raised again, so the worker records the crash too. The upload is removed
        once the job has ended (a worker killed under it leaves it for the retry)."""
        job = self.load(job_id)
        if job is None:
            raise NotFound(f"no {self.name} job {job_id}")
        job = self.update(job_id, status=RUNNING, started_at=_now(), error="", error_code="", error_rows=[],
                          worker_host=socket.gethostname(), worker_pid=os.getpid())
        handle = Running(self, job)
        try:
            with translation.override(job.language or settings.LANGUAGE_CODE):
                yield handle
        except SafetyNetError as error:
            self.update(job_id, status=FAILED, finished_at=_now(), error=error.message, error_code=error.code,
                        error_rows=[str(r) for r in list((error.details or {}).get("rows", []))[:50]])
            handle.result = {"error": error.as_dict()}
        except Exception:
            self.update(job_id, status=FAILED, finished_at=_now(), error_code="crash",
                        error=_("The job stopped on an unexpected error; it was logged."))
            raise
        else:
            self.update(job_id, status=DONE, finished_at=_now(), result=getattr(handle, "result", {}) or {})
        finally:
            handle.job.remove_uploads()

    def get_job(self, actor: Actor, job_id, kind: str | None = None, kinds=None) -> Job:
        """A job of the actor's area that the actor may follow; anything else is not found.
        `kind` or `kinds` restrict it to what the asking page shows."""
        job = self.load(job_id)
        if (job is None or (kind and job.kind != kind) or (kinds is not None and job.kind not in kinds)
                or not actor.covers(job.area)):
            raise NotFound(_("Not found."))
        actor.require(KIND_PERMISSIONS.get(job.kind, f"{self.name}.view"))
        return job

    # --- a worker died under it ---------------------------------------------------------------
    def task(self, *, retry: bool, **task_options):
        """`django_tasks.task` for a job of this book, declaring once whether it may run again
        after its worker died (`retry`: the service is idempotent) and how its record hears of it."""
        from django_tasks import task as make_task

        def declare(function):
            return workers.recoverable(retry=retry, record=self.record_interruption)(make_task(**task_options)(function))

        return declare

    def record_interruption(self, args: list, interruption: workers.Interruption) -> None:
        """Say on the job's record that its worker died: queued again for the next attempt, or
        failed with what to do. A record already finished is left as it is."""
        job_id = str(args[0]) if args else ""
        if self.load(job_id) is None:
            return
        with self._locked():
            job = self._read(job_id)
            if job is None or job.finished:
                return
            with translation.override(job.language or settings.LANGUAGE_CODE):
                if interruption.retried:
                    job.status, job.attempt, job.max_attempts = QUEUED, interruption.attempt + 1, interruption.max_attempts
                else:
                    job.status, job.finished_at, job.error_code = FAILED, _now(), "interrupted"
                    job.attempt, job.max_attempts = interruption.attempt, max(job.max_attempts, interruption.attempt)
                    job.error = interruption.message()
            self._write(job)
        if job.finished:
            job.remove_uploads()       # no attempt is left to read it
