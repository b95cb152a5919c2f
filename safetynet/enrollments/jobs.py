"""The book of the payments jobs — payroll generation, approval, bank export, bank returns (payroll
app), policy simulation, the re-assessment after a standard change (this app) — as the pages, the
API and `safetynet payroll` follow them. Each is started where its task is defined
(payroll/jobs.py, simulation_tasks.py, restandard_tasks.py), and payroll/jobs.py offers them all
to the pages, the API and the command.

The record of each job (progress, outcome, the uploaded returns) is core's (core/jobs.py: a JSON
file per job under SAFETYNET_DATA_DIR/jobs/payments/, the folder the jobs had before the app was
split in two, so a job started before the upgrade is still found); this module names the kinds,
and the starters check, before anything is queued, what starting one needs. Every kind is
idempotent (its task module says why), so a job whose worker died is run again by another worker
(core/workers.py).

A job acts as the post that started it (its permissions and area are checked again by the
service when the job runs), or as the system for the command run without --as.
"""
from __future__ import annotations

from django.utils.translation import gettext_lazy

from safetynet.areas.jobs import actor_of
from safetynet.core import jobs as core_jobs
from safetynet.core.jobs import (  # noqa: F401
    DONE,
    FAILED,
    FINISHED,
    QUEUED,
    RUNNING,
    STATUS_LABELS,
    Job,
    Running,
)
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
