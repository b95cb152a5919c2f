"""The department-data triggers as a background job (django-tasks, database backend): a thin call
into `triggers.run_triggers`, which is idempotent (a signal found again adds nothing), so a job
retried or run twice, or beside the command, does no harm. Queued daily per county by the
scheduler of the deployment (docs/deployment.md) or by `safetynet triggers --queue`."""
from __future__ import annotations

from django_tasks import task

from safetynet.areas.actors import system_actor
from safetynet.core.workers import recoverable

from .triggers import run_triggers


@recoverable(retry=True)        # idempotent (above): run again if its worker died
@task()
def run_triggers_job(county_code: str) -> dict:
    """Run the triggers for a county as the system."""
    return run_triggers(actor=system_actor(), county_code=county_code).as_dict()
