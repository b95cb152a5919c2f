"""The payments app's background jobs — payroll generation, approval, bank export, bank returns,
policy simulation — as the pages, the API and `safetynet payroll` start and follow them.

django-tasks runs each job (tasks.py: a thin call into the service). What a job has done so far
is kept beside it in one small JSON file per job under SAFETYNET_DATA_DIR/jobs/payments/, not in
a table: a payroll generation holds its run's row locked, and on SQLite the database's only write
lock, for its whole transaction, so a step it reports from inside could not be read (or, on
SQLite, even written) elsewhere until the end. A file is written and read at once by any process
on the machine; a deployment already shares this directory between its processes (bank files,
department snapshots). The job's own result row (django-tasks) still says whether the worker
finished; the file says how far it got and what came out.

A job acts as the post that started it (its permissions and area are checked again by the
service when the job runs), or as the system for the command run without --as.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import socket
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone, translation
from django.utils.translation import gettext as _, gettext_lazy

from safetynet.core.errors import NotFound, SafetyNetError
from safetynet.core.scoping import Actor

GENERATE, APPROVE, EXPORT, IMPORT_RETURNS, SIMULATE = "generate", "approve", "export", "import_returns", "simulate"
RESTANDARD_PREVIEW, RESTANDARD = "restandard_preview", "restandard"     # restandard.py
KIND_LABELS = {
    GENERATE: gettext_lazy("Generate the payroll"), APPROVE: gettext_lazy("Approve the payroll"),
    EXPORT: gettext_lazy("Write the bank files"), IMPORT_RETURNS: gettext_lazy("Import the bank's returns"),
    SIMULATE: gettext_lazy("Policy simulation"),
    RESTANDARD_PREVIEW: gettext_lazy("Preview of the re-assessment after a standard change"),
    RESTANDARD: gettext_lazy("Re-assessment after a standard change"),
}
# Who may follow a job of each kind (the service checks again what it does).
KIND_PERMISSIONS = {GENERATE: "payments.generate", APPROVE: "payments.approve", EXPORT: "payments.generate",
                    IMPORT_RETURNS: "payments.generate", SIMULATE: "payments.simulate",
                    RESTANDARD_PREVIEW: "payments.reassess_standard", RESTANDARD: "payments.reassess_standard"}
# The steps a job reports (services.generate_payroll_run's, then one per one-step service).
STEP_LABELS = {"regular": gettext_lazy("this month's payments"), "arrears": gettext_lazy("arrears"),
               "carry_mark": gettext_lazy("unpaid payments of earlier runs"), "carried": gettext_lazy("carried payments"),
               "approve": gettext_lazy("approval"), "export": gettext_lazy("bank files"),
               "returns": gettext_lazy("bank returns")}
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATUS_LABELS = {QUEUED: gettext_lazy("waiting for a worker"), RUNNING: gettext_lazy("running"),
                 DONE: gettext_lazy("done"), FAILED: gettext_lazy("failed")}
FINISHED = (DONE, FAILED)


@dataclass
class Job:
    id: str
    kind: str
    county: str
    params: dict
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
    def upload_path(self) -> Path:
        return directory() / f"{self.id}.upload"

    def as_dict(self) -> dict:
        return asdict(self)


def directory() -> Path:
    return Path(settings.DATA_DIR) / "jobs" / "payments"


def _path(job_id: str) -> Path:
    return directory() / f"{job_id}.json"


@contextlib.contextmanager
def _locked(job_id: str):
    """One writer at a time (the starter and the worker may overlap); a write takes a
    millisecond, so one lock serves every job."""
    directory().mkdir(parents=True, exist_ok=True)
    with open(directory() / "jobs.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write(job: Job) -> None:
    job.updated_at = _now()
    path = _path(job.id)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(job.as_dict(), cls=DjangoJSONEncoder, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, path)


def load(job_id: str) -> Job | None:
    try:
        uuid.UUID(hex=str(job_id))
    except ValueError:
        return None
    job = _read(job_id)
    if job is not None and job.status == RUNNING and _worker_gone(job):
        return _mark_interrupted(job)
    return job


def _read(job_id: str) -> Job | None:
    try:
        data = json.loads(_path(str(job_id)).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return Job(**data)


# A worker on another machine is taken for gone when its job has not moved for this long (no
# step of a payroll, no chunk of a simulation takes near it).
STALE_AFTER = dt.timedelta(minutes=30)


def _worker_gone(job: Job) -> bool:
    """Whether the worker that took the job stopped without finishing it (the server restarted,
    the process was killed): its process is gone from this machine, or, elsewhere, it has not
    reported for STALE_AFTER."""
    if job.worker_host == socket.gethostname() and job.worker_pid:
        try:
            os.kill(job.worker_pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    if job.updated_at:
        return timezone.now() - dt.datetime.fromisoformat(job.updated_at) > STALE_AFTER
    return False


def _mark_interrupted(job: Job) -> Job:
    """Record the interruption, so the page stops waiting and says what to do. Every payments
    job is idempotent: starting it again completes what was done, never twice."""
    with _locked(job.id):
        job.status, job.finished_at, job.error_code = FAILED, _now(), "interrupted"
        job.error = _("The worker stopped while this job ran (the server restarted or the process was killed). "
                      "Start it again: it completes what was done, without doing anything twice.")
        _write(job)
    return job


def update(job_id: str, **changes) -> Job:
    with _locked(job_id):
        job = _read(job_id)
        for key, value in changes.items():
            setattr(job, key, value)
        _write(job)
    return job


def _now() -> str:
    return timezone.now().isoformat()


def start(*, actor: Actor, kind: str, county: str, params: dict, task, upload=None) -> Job:
    """Record a job and hand it to the queue (not from inside a transaction: the job runs
    elsewhere and must see what the caller committed). `upload` (the bank's return file) is kept
    beside the job for the worker to read."""
    job = Job(id=uuid.uuid4().hex, kind=kind, county=county, params=params, post_id=actor.post_id, user_id=actor.user_id,
              requested_by=actor.username, created_at=_now(), language=translation.get_language() or "")
    directory().mkdir(parents=True, exist_ok=True)
    if upload is not None:
        with job.upload_path.open("wb") as out:
            for piece in upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(1 << 20), b""):
                out.write(piece)
    _write(job)
    result = task.enqueue(job.id)   # the immediate backend (tests) runs it here and now
    return update(job.id, task_id=str(result.id))


def actor_of(job: Job) -> Actor:
    """The post that started the job, as it is now (a post closed since cannot act)."""
    from django.contrib.auth import get_user_model

    from safetynet.areas.actors import actor_for_post, superuser_actor, system_actor
    from safetynet.areas.models import Post

    if job.post_id:
        post = Post.objects.filter(pk=job.post_id, is_active=True, user__is_active=True).select_related("area", "user").first()
        if post is None:
            raise NotFound(_("The post that started this job is no longer active."))
        return actor_for_post(post)
    if job.user_id:
        user = get_user_model().objects.filter(pk=job.user_id, is_active=True, is_superuser=True).first()
        if user is None:
            raise NotFound(_("The user who started this job can no longer act."))
        return superuser_actor(user)
    return system_actor()


class Running:
    """Handed to the task: its actor, its parameters, and how it reports its steps."""

    def __init__(self, job: Job):
        self.job = job

    @property
    def params(self) -> dict:
        return self.job.params

    def actor(self) -> Actor:
        return actor_of(self.job)

    def step(self, name: str, number: int, total: int) -> None:
        """The progress callback of services.generate_payroll_run (a step done of the steps)."""
        self.job = update(self.job.id, step=name, done=number, total=total)

    def count(self, done: int, total: int) -> None:
        """The progress callback of the simulation (households done of the county's) and of the
        re-assessment after a standard change (enrollments)."""
        self.job = update(self.job.id, done=done, total=total)


@contextlib.contextmanager
def running(job_id: str):
    """The job's run, for its task: `running` while the service works, `done` with the result
    the task returns through `Running.result`, `failed` with the service's message (a domain
    error is an answer, not a crash: the task ends normally); anything else is recorded and
    raised again, so the worker records the crash too."""
    job = load(job_id)
    if job is None:
        raise NotFound(f"no payments job {job_id}")
    job = update(job_id, status=RUNNING, started_at=_now(), error="", error_code="", error_rows=[],
                 worker_host=socket.gethostname(), worker_pid=os.getpid())
    handle = Running(job)
    try:
        with translation.override(job.language or settings.LANGUAGE_CODE):
            yield handle
    except SafetyNetError as error:
        update(job_id, status=FAILED, finished_at=_now(), error=error.message, error_code=error.code,
               error_rows=list((error.details or {}).get("rows", []))[:50])
        handle.result = {"error": error.as_dict()}
    except Exception:
        update(job_id, status=FAILED, finished_at=_now(), error=_("The job stopped on an unexpected error; it was logged."),
               error_code="crash")
        raise
    else:
        update(job_id, status=DONE, finished_at=_now(), result=getattr(handle, "result", {}) or {})
    finally:
        if handle.job.kind == IMPORT_RETURNS:
            handle.job.upload_path.unlink(missing_ok=True)


def get_job(actor: Actor, job_id, kind: str | None = None) -> Job:
    """A job of the actor's county that the actor may follow; anything else is not found."""
    job = load(job_id)
    if job is None or (kind and job.kind != kind) or not actor.covers(job.county):
        raise NotFound(_("Not found."))
    actor.require(KIND_PERMISSIONS.get(job.kind, "payments.view"))
    return job


# ---------------------------------------------------------------------------------------------
# Starting a job: the permission, the area and the input are checked here, before anything is
# queued, so the caller hears at once what it may not do (403), what is not there (404) and what
# is badly written (422); the rest (a frozen run, maker-checker, a bad bank file) the service
# answers when the job runs.
# ---------------------------------------------------------------------------------------------
def _run_for(actor: Actor, permission: str, run_id):
    from . import selectors

    actor.require(permission)
    return selectors.get_run(actor, run_id)


def start_generation(*, actor: Actor, county_code: str, month) -> Job:
    from . import services, tasks

    actor.require("payments.generate")
    county = services._county(actor, county_code)
    month = services.parse_month(month)
    return start(actor=actor, kind=GENERATE, county=county.code, params={"county": county.code,
                                                                          "month": month.strftime("%Y-%m")},
                 task=tasks.generate_payroll_job)


def start_approval(*, actor: Actor, run_id) -> Job:
    from . import tasks

    run = _run_for(actor, "payments.approve", run_id)
    return start(actor=actor, kind=APPROVE, county=run.area_id, params={"run": run.pk, "code": run.code},
                 task=tasks.approve_payroll_job)


def start_export(*, actor: Actor, run_id) -> Job:
    from . import tasks

    run = _run_for(actor, "payments.generate", run_id)
    return start(actor=actor, kind=EXPORT, county=run.area_id, params={"run": run.pk, "code": run.code},
                 task=tasks.export_bank_files_job)


def start_returns(*, actor: Actor, run_id, upload, filename: str) -> Job:
    from . import tasks

    run = _run_for(actor, "payments.generate", run_id)
    return start(actor=actor, kind=IMPORT_RETURNS, county=run.area_id,
                 params={"run": run.pk, "code": run.code, "filename": os.path.basename(filename or "returns.csv")[:200]},
                 task=tasks.import_bank_returns_job, upload=upload)


def start_simulation(*, actor: Actor, county_code: str, program: str, key: str, value, month) -> Job:
    from safetynet.programs import catalogue

    from . import tasks
    from .simulation import check_request

    county, spec, typed, month = check_request(actor=actor, county_code=county_code, program=program, key=key,
                                               value=value, month=month)
    return start(actor=actor, kind=SIMULATE, county=county.code,
                 params={"program": program, "key": key, "value": catalogue.value_to_text(spec, typed),
                         "month": month.strftime("%Y-%m")},
                 task=tasks.simulate_policy_job)
