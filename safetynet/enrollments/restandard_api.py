"""The re-assessment after a standard change over HTTP: /api/v1/payments/restandard
(restandard.py). Both calls are long: they answer 202 with a job at once, after checking the
permission (403: a county officer's), the area (404: another county) and the input (422: not a
county, a bad month, no standard changing from that month); GET /api/v1/payments/jobs/{id}
follows the job and, when it ends, gives its result: the counts (changed, raised, lowered,
to_review, proposals, ...), the monthly cost before and after and by town, or the refusal in
`error`/`error_code` (an increase into a month of an approved run: `month_already_paid`).

- POST previews: what the re-assessment would do, changing nothing.
- POST applications: re-assess. Running it again changes nothing already done, so a run that
  stopped is completed by posting it again.
"""
from __future__ import annotations

from ninja import Router

from safetynet.core.apischemas import InputSchema, responses

from . import restandard_tasks
from .job_api import CountyCode, JobOut, MonthText, accepted

router = Router(tags=["payments"])


class ReassessmentIn(InputSchema):
    county: CountyCode
    month: MonthText


@router.post("/previews", response=responses(JobOut, ok_status=202),
             summary="What re-assessing the county's enrollments after its standard change from a month would do: a job")
def preview(request, payload: ReassessmentIn):
    return accepted(restandard_tasks.start_preview(actor=request.auth, county_code=payload.county, month=payload.month))


@router.post("/applications", response=responses(JobOut, ok_status=202),
             summary="Re-assess the county's live dibao enrollments after its standard change from a month: a job")
def apply(request, payload: ReassessmentIn):
    return accepted(restandard_tasks.start_reassessment(actor=request.auth, county_code=payload.county, month=payload.month))
