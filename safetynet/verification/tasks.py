"""Background jobs of verification (DESIGN.md §4: django-tasks, database backend): thin calls
into services, resumable and idempotent — `services.process_run` resumes after the last chunk
done and returns a finished run as it is, so a job retried or run twice does no harm.

The run's progress (chunks and households done) is recorded on the run as each chunk commits;
the run page and `safetynet verify` read it from there. Both kinds are declared `retry=True`: a
job whose worker died is run again by another worker (core/workers.py), and the run says so.
"""
from __future__ import annotations

from django_tasks import task

from safetynet.core.workers import recoverable


def _record_interruption(args, interruption):
    from .services import record_run_interruption

    record_run_interruption(run_id=args[0], interruption=interruption)


@recoverable(retry=True, record=_record_interruption)
@task()
def process_verification_run(run_id: int) -> dict:
    """Carry a started run through (services.start_run made it), as the verification service."""
    from .services import process_run, verification_service_actor

    run = process_run(actor=verification_service_actor(), run_id=run_id)
    return {"run": run.pk, "status": run.status, "households": run.households_done, "flagged": run.flagged_households}


@recoverable(retry=True)
@task()
def propose_identities_job(county_code: str) -> dict:
    """Identity resolution for a county (identity_services.propose_identities), as the service."""
    from .identity_services import propose_identities
    from .services import verification_service_actor

    made = propose_identities(actor=verification_service_actor(), county_code=county_code)
    return {"county": made.county_code, "records": made.records, "created": made.created, "skipped": made.skipped}
