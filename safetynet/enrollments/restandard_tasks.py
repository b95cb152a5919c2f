"""Background jobs of the re-assessment after a standard change (restandard.py): the preview and
the re-assessment itself, each a thin call into its service acting as the post that started it,
with its progress (enrollments done of the county's) and its result recorded by `jobs.running`.

Idempotent and resumable because the service is: every chunk of households is its own
transaction, and running again changes nothing already done, so a run cut off (a worker
restarted, a refused chunk) is completed by starting it again.
"""
from __future__ import annotations

from safetynet.core.scoping import Actor

from . import jobs
from .jobs import BOOK
from .months import month_text
from .restandard import (
    check_request,
    preview_reassessment,
    reassess_after_standard_change,
)


@BOOK.task(retry=True)
def preview_reassessment_job(job_id: str) -> dict:
    with jobs.running(job_id) as job:
        job.result = preview_reassessment(actor=job.actor(), county_code=job.job.county, month=job.params["month"],
                                          progress=job.count)
    return job.result


@BOOK.task(retry=True)
def reassess_after_standard_change_job(job_id: str) -> dict:
    with jobs.running(job_id) as job:
        job.result = reassess_after_standard_change(actor=job.actor(), county_code=job.job.county,
                                                    month=job.params["month"], progress=job.count)
    return job.result


# ---------------------------------------------------------------------------------------------
# Jobs: the request is checked before anything is queued (403, 404, 422 at once)
# ---------------------------------------------------------------------------------------------
def start_preview(*, actor: Actor, county_code: str, month):
    change = check_request(actor=actor, county_code=county_code, month=month)
    return jobs.start(actor=actor, kind=jobs.RESTANDARD_PREVIEW, county=change.county.code,
                      params={"month": month_text(change.month)}, task=preview_reassessment_job)


def start_reassessment(*, actor: Actor, county_code: str, month):
    change = check_request(actor=actor, county_code=county_code, month=month)
    return jobs.start(actor=actor, kind=jobs.RESTANDARD, county=change.county.code,
                      params={"month": month_text(change.month)}, task=reassess_after_standard_change_job)
