"""Starting the payroll's jobs (generation, approval, bank export, bank returns), and every payments
job as the pages, the API and `safetynet payroll` start and follow them: the book, its kinds and
the simulation's and re-assessment's starters are the enrollments app's (enrollments/jobs.py,
simulation_tasks.py, restandard_tasks.py), named here again so a caller has one module to read.
"""
from __future__ import annotations

import os

from safetynet.core.scoping import Actor
from safetynet.enrollments import jobs
from safetynet.enrollments.jobs import (  # noqa: F401 (what the pages, the API and the command read)
    APPROVE,
    BOOK,
    DONE,
    EXPORT,
    FAILED,
    FINISHED,
    GENERATE,
    IMPORT_RETURNS,
    KIND_LABELS,
    QUEUED,
    RESTANDARD,
    RESTANDARD_PREVIEW,
    RUNNING,
    SIMULATE,
    STATUS_LABELS,
    Job,
    Running,
    get_job,
    load,
    running,
    start,
    update,
)
from safetynet.enrollments.restandard_tasks import start_preview, start_reassessment  # noqa: F401
from safetynet.enrollments.simulation_tasks import start_simulation  # noqa: F401

from . import selectors, services, tasks


# ---------------------------------------------------------------------------------------------
# Starting a job: the permission, the area and the input are checked here, before anything is
# queued, so the caller hears at once what it may not do (403), what is not there (404) and what
# is badly written (422); the rest (a frozen run, maker-checker, a bad bank file) the service
# answers when the job runs.
# ---------------------------------------------------------------------------------------------
def _run_for(actor: Actor, permission: str, run_id):
    actor.require(permission)
    return selectors.get_run(actor, run_id)


def start_generation(*, actor: Actor, county_code: str, month) -> jobs.Job:
    actor.require("payments.generate")
    county = services._county(actor, county_code)
    month = services.parse_month(month)
    return jobs.start(actor=actor, kind=jobs.GENERATE, county=county.code, params={"county": county.code,
                                                                          "month": month.strftime("%Y-%m")},
                 task=tasks.generate_payroll_job)


def start_approval(*, actor: Actor, run_id) -> jobs.Job:
    run = _run_for(actor, "payments.approve", run_id)
    return jobs.start(actor=actor, kind=jobs.APPROVE, county=run.area_id, params={"run": run.pk, "code": run.code},
                 task=tasks.approve_payroll_job)


def start_export(*, actor: Actor, run_id) -> jobs.Job:
    run = _run_for(actor, "payments.generate", run_id)
    return jobs.start(actor=actor, kind=jobs.EXPORT, county=run.area_id, params={"run": run.pk, "code": run.code},
                 task=tasks.export_bank_files_job)


def start_returns(*, actor: Actor, run_id, upload, filename: str) -> jobs.Job:
    run = _run_for(actor, "payments.generate", run_id)
    return jobs.start(actor=actor, kind=jobs.IMPORT_RETURNS, county=run.area_id,
                 params={"run": run.pk, "code": run.code, "filename": os.path.basename(filename or "returns.csv")[:200]},
                 task=tasks.import_bank_returns_job, upload=upload)
