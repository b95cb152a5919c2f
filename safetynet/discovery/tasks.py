"""Background jobs of active discovery (django-tasks): the monthly warning run. The task is a thin
call into `warning_run.run_warnings`, which is idempotent (a fingerprint found again raises
nothing), so a job whose worker died is run again (core/workers.py). Its progress (rules done of
the rules in force) is kept in the job's record (core/jobs.py), which the run page polls."""
from __future__ import annotations

from django.utils.translation import gettext_lazy

from safetynet.areas.jobs import actor_of
from safetynet.core import jobs as core_jobs
from safetynet.core.scoping import Actor

RUN_WARNINGS = "run_warnings"
core_jobs.describe_kinds(labels={RUN_WARNINGS: gettext_lazy("Monthly warning run")},
                         permissions={RUN_WARNINGS: "discovery.rules"})
BOOK = core_jobs.JobBook("discovery", actor_of=actor_of)


@BOOK.task(retry=True)
def run_warnings_job(job_id: str) -> dict:
    from .warning_run import run_warnings

    with BOOK.running(job_id) as job:
        job.result = run_warnings(job.actor(), job.job.area, job.params["month"], progress=job.count).as_dict()
    return job.result


def start_warning_run(*, actor: Actor, county_code: str, month) -> core_jobs.Job:
    """Check what the run needs (403, 404, a bad month) before anything is queued, then queue it."""
    from .warning_rules import RULES, _county
    from .warning_run import month_start

    actor.require(RULES)
    county = _county(actor, county_code)
    month = month_start(month)
    return BOOK.start(actor=actor, kind=RUN_WARNINGS, area=county.code, params={"month": month.strftime("%Y-%m")},
                      task=run_warnings_job)


def get_job(actor: Actor, job_id) -> core_jobs.Job:
    return BOOK.get_job(actor, job_id, kind=RUN_WARNINGS)
