"""The payments app's background jobs — payroll generation, approval, bank export, bank returns,
policy simulation, the re-assessment after a standard change — as the pages, the API and
`safetynet payroll` start and follow them.

The record of each job (progress, outcome, the uploaded returns) is core's (core/jobs.py: a JSON
file per job under SAFETYNET_DATA_DIR/jobs/payments/); this module names the kinds and checks,
before anything is queued, what starting one needs. Every kind is idempotent (tasks.py), so a job
whose worker died is run again by another worker (core/workers.py).

A job acts as the post that started it (its permissions and area are checked again by the
service when the job runs), or as the system for the command run without --as.
"""
from __future__ import annotations

import os

from django.utils.translation import gettext_lazy

from safetynet.areas.jobs import actor_of
from safetynet.core import jobs as core_jobs
from safetynet.core.jobs import DONE, FAILED, FINISHED, QUEUED, RUNNING, STATUS_LABELS, Job, Running  # noqa: F401
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
core_jobs.describe_kinds(labels=KIND_LABELS, permissions=KIND_PERMISSIONS, steps=STEP_LABELS)

BOOK = core_jobs.JobBook("payments", actor_of=actor_of)
directory, load, update, running = BOOK.directory, BOOK.load, BOOK.update, BOOK.running


def start(*, actor: Actor, kind: str, county: str, params: dict, task, upload=None) -> Job:
    return BOOK.start(actor=actor, kind=kind, area=county, params=params, task=task, upload=upload)


def get_job(actor: Actor, job_id, kind: str | None = None) -> Job:
    """A job of the actor's county that the actor may follow; anything else is not found."""
    return BOOK.get_job(actor, job_id, kind=kind, kinds=KIND_LABELS)


# ---------------------------------------------------------------------------------------------
# Starting a job: the permission, the area and the input are checked here, before anything is
# queued, so the caller hears at once what it may not do (403), what is not there (404) and what
# is badly written (422); the rest (a frozen run, maker-checker, a bad bank file) the service
# answers when the job runs.
# ---------------------------------------------------------------------------------------------
def _run_for(actor: Actor, permission: str, run_id):
    from safetynet.payroll import selectors

    actor.require(permission)
    return selectors.get_run(actor, run_id)


def start_generation(*, actor: Actor, county_code: str, month) -> Job:
    from safetynet.payroll import services, tasks

    actor.require("payments.generate")
    county = services._county(actor, county_code)
    month = services.parse_month(month)
    return start(actor=actor, kind=GENERATE, county=county.code, params={"county": county.code,
                                                                          "month": month.strftime("%Y-%m")},
                 task=tasks.generate_payroll_job)


def start_approval(*, actor: Actor, run_id) -> Job:
    from safetynet.payroll import tasks

    run = _run_for(actor, "payments.approve", run_id)
    return start(actor=actor, kind=APPROVE, county=run.area_id, params={"run": run.pk, "code": run.code},
                 task=tasks.approve_payroll_job)


def start_export(*, actor: Actor, run_id) -> Job:
    from safetynet.payroll import tasks

    run = _run_for(actor, "payments.generate", run_id)
    return start(actor=actor, kind=EXPORT, county=run.area_id, params={"run": run.pk, "code": run.code},
                 task=tasks.export_bank_files_job)


def start_returns(*, actor: Actor, run_id, upload, filename: str) -> Job:
    from safetynet.payroll import tasks

    run = _run_for(actor, "payments.generate", run_id)
    return start(actor=actor, kind=IMPORT_RETURNS, county=run.area_id,
                 params={"run": run.pk, "code": run.code, "filename": os.path.basename(filename or "returns.csv")[:200]},
                 task=tasks.import_bank_returns_job, upload=upload)


def start_simulation(*, actor: Actor, county_code: str, program: str, key: str, value, month) -> Job:
    from safetynet.programs import catalogue

    from safetynet.payroll import tasks
    from .simulation import check_request

    county, spec, typed, month = check_request(actor=actor, county_code=county_code, program=program, key=key,
                                               value=value, month=month)
    return start(actor=actor, kind=SIMULATE, county=county.code,
                 params={"program": program, "key": key, "value": catalogue.value_to_text(spec, typed),
                         "month": month.strftime("%Y-%m")},
                 task=tasks.simulate_policy_job)
