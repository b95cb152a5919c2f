"""The anomaly report as a background job (django-tasks): a thin call into
`anomaly_run.run_anomalies` carrying the run `anomaly_services.start_anomaly_run` queued, as the
post that started it (checked again when it runs). Idempotent (fingerprints), so a job whose
worker died is run again (core/workers.py); its progress is on the run's row, which the run page
polls."""
from __future__ import annotations

from django_tasks import task

from safetynet.areas.actors import actor_for_post, system_actor
from safetynet.core.workers import recoverable

from .anomaly_models import AnomalyRun


@recoverable(retry=True)
@task()
def run_anomalies_job(run_id: int) -> dict:
    from .anomaly_run import run_anomalies   # the run reads DuckDB and Ibis: loaded when a job runs

    run = AnomalyRun.objects.select_related("post__area", "post__user").get(pk=run_id)
    actor = actor_for_post(run.post) if run.post_id else system_actor()
    done = run_anomalies(actor, run.area_id, run.month, run=run)
    return {"run": done.pk, "status": done.status, "counts": done.counts}
