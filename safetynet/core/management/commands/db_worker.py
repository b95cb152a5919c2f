"""`safetynet db_worker`: django_tasks_db's worker, with a heartbeat (core/workers.py).

Before it takes its first task the worker records that it lives and takes back the tasks of
workers that died (queued again when their kind is idempotent, failed otherwise); a thread of the
process then beats every WORKER_HEARTBEAT_SECONDS and does the same check every
WORKER_CHECK_SECONDS. Options are django_tasks_db's (`--batch`, `--max-tasks`, `--worker-id`, ...).
"""
from __future__ import annotations

import os

from django.db.utils import OperationalError
from django.utils import timezone
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker as upstream

from safetynet.core import workers


class HeartbeatWorker(upstream.Worker):
    def run(self) -> None:
        started_at = timezone.now()
        try:
            workers.beat(self.worker_id, started_at=started_at)
            taken = workers.reap_interrupted()
        except OperationalError:       # SQLite's write lock held by a long write elsewhere: the thread tries again
            upstream.logger.warning("Could not record the heartbeat yet (the database is busy); the heartbeat thread retries.")
            taken = []
        for interruption in taken:
            upstream.logger.warning("Took back %s (attempt %d of %d): %s", interruption.task_path, interruption.attempt,
                                    interruption.max_attempts, "queued again" if interruption.retried else "failed")
        heartbeat = workers.Heartbeat(self.worker_id, started_at=started_at)
        heartbeat.start()
        try:
            super().run()
        finally:
            heartbeat.stop()
            heartbeat.join(timeout=10)
            workers.forget(self.worker_id)


class Command(upstream.Command):
    help = "Run a database background worker that records a heartbeat and takes back the jobs of dead workers"

    def handle(self, *, verbosity, queue_name, interval, batch, backend_name, startup_delay, reload, max_tasks,
               worker_id, exclude_queues, **options) -> None:
        self.configure_logging(verbosity)
        if reload and batch:
            upstream.logger.warning("Warning: --reload and --batch cannot be specified together. Disabling autoreload.")
            reload = False
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise upstream.CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = HeartbeatWorker(queue_names=queue_names, interval=interval, batch=batch, backend_name=backend_name,
                                 startup_delay=startup_delay, max_tasks=max_tasks, worker_id=worker_id,
                                 excluded_queue_names=excluded)
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
