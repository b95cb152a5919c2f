"""The policy simulation as a background job (simulation.py computes; jobs.py keeps its record):
starting it, after the request is checked (403, 404, 422 at once), and the task, a thin call into
`simulate_policy` acting as the post that started it. Idempotent: a simulation writes nothing but
its own result and its audit event, so a job whose worker died is run again (core/workers.py).
"""
from __future__ import annotations

from safetynet.core.scoping import Actor
from safetynet.programs import catalogue

from . import jobs
from .simulation import check_request, simulate_policy


@jobs.BOOK.task(retry=True)
def simulate_policy_job(job_id: str) -> dict:
    with jobs.running(job_id) as job:
        p = job.params
        job.result = simulate_policy(actor=job.actor(), county_code=job.job.county, program=p["program"], key=p["key"],
                                     value=p["value"], month=p["month"], progress=job.count)
    return job.result


def start_simulation(*, actor: Actor, county_code: str, program: str, key: str, value, month) -> jobs.Job:
    county, spec, typed, month = check_request(actor=actor, county_code=county_code, program=program, key=key,
                                               value=value, month=month)
    return jobs.start(actor=actor, kind=jobs.SIMULATE, county=county.code,
                      params={"program": program, "key": key, "value": catalogue.value_to_text(spec, typed),
                              "month": month.strftime("%Y-%m")},
                      task=simulate_policy_job)
