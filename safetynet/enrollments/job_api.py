"""What the API says of a payments job (jobs.py), and the county and month a request that starts
one names: shared by the payroll's endpoints (payroll/api.py) and the re-assessment's
(restandard_api.py), so every long call answers 202 with the same job."""
from __future__ import annotations

from typing import Annotated, Literal

from ninja import Field, Schema, Status

from . import jobs

CountyCode = Annotated[str, Field(..., pattern=r"^[0-9]{6}$", description="a county's 6-digit code")]
MonthText = Annotated[str, Field(..., pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$", description="YYYY-MM")]


class JobOut(Schema):
    id: str
    kind: str
    status: Literal["queued", "running", "done", "failed"]
    county: str
    params: dict
    step: str
    done: int
    total: int
    percent: int
    requested_by: str
    created_at: str
    started_at: str
    finished_at: str
    result: dict
    error: str
    error_code: str
    error_rows: list[str]
    url: str = Field(..., description="where to follow the job")


def job_out(job: jobs.Job) -> dict:
    return {**{k: v for k, v in job.as_dict().items() if k not in ("post_id", "user_id", "task_id")},
            "county": job.area, "percent": job.percent, "error_rows": [str(r) for r in job.error_rows],
            "url": f"/api/v1/payments/jobs/{job.id}"}


def accepted(job: jobs.Job):
    return Status(202, job_out(job))
