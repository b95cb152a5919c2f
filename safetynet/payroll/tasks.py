"""Background jobs of payments (DESIGN.md §4: django-tasks, database backend): each a thin call
into the service the pages and the command call, acting as the post that started it, with its
progress and outcome recorded by `jobs.running` (jobs.py).

Resumable and idempotent because the services are: generating a month again completes it and
adds nothing twice; exporting an exported run returns its summary; approving twice, or applying
returns to a reconciled run, is refused with the service's message and changes nothing (an
approval retried after the first attempt committed reports the approval done). So every kind is
declared `retry=True`: a job whose worker died is run again by another worker, up to
JOB_MAX_ATTEMPTS attempts (core/workers.py), and says so in its progress.
"""
from __future__ import annotations

from safetynet.enrollments import jobs
from safetynet.enrollments.jobs import BOOK

from . import services
from .models import PayrollRun


def run_figures(run) -> dict:
    return {"run": run.pk, "code": run.code, "status": run.status, "payments": run.payment_count,
            "total": f"{run.total_amount:.2f}", "payable": f"{run.payable_amount:.2f}",
            "no_account": run.no_account_count, "no_account_total": f"{run.no_account_amount:.2f}"}


@BOOK.task(retry=True)
def generate_payroll_job(job_id: str) -> dict:
    with jobs.running(job_id) as job:
        run = services.generate_payroll_run(actor=job.actor(), county_code=job.params["county"],
                                            month=job.params["month"], progress=job.step)
        job.result = {**run_figures(run), "added": run.added}
    return job.result


def _one_step(job, name: str, action):
    """A service that is one step: 0 of 1 while it works, 1 of 1 when it is done."""
    job.step(name, 0, 1)
    value = action()
    job.step(name, 1, 1)
    return value


@BOOK.task(retry=True)
def approve_payroll_job(job_id: str) -> dict:
    def approve():
        actor = job.actor()
        run = PayrollRun.objects.filter(pk=job.params["run"]).first()
        if job.job.attempt > 1 and run is not None and run.approved_by_username == actor.username:
            return run          # the interrupted attempt's approval committed before its worker died
        return services.approve_payroll_run(actor=actor, run_id=job.params["run"])

    with jobs.running(job_id) as job:
        run = _one_step(job, "approve", approve)
        job.result = {**run_figures(run), "approved_by": run.approved_by_username}
    return job.result


@BOOK.task(retry=True)
def export_bank_files_job(job_id: str) -> dict:
    with jobs.running(job_id) as job:
        summary = _one_step(job, "export", lambda: services.export_bank_files(actor=job.actor(), run_id=job.params["run"]))
        job.result = {**run_figures(PayrollRun.objects.get(pk=job.params["run"])), "export": summary}
    return job.result


@BOOK.task(retry=True)
def import_bank_returns_job(job_id: str) -> dict:
    def apply():
        with job.job.upload_path.open("rb") as file:
            return services.import_bank_returns(actor=job.actor(), run_id=job.params["run"], file=file,
                                                filename=job.params["filename"])

    with jobs.running(job_id) as job:
        outcome = _one_step(job, "returns", apply)
        job.result = {**run_figures(PayrollRun.objects.get(pk=job.params["run"])), "paid": outcome.paid,
                      "failed": outcome.failed, "failed_amount": f"{outcome.failed_amount:.2f}",
                      "reconciled": outcome.reconciled}
    return job.result
