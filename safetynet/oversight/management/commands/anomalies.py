"""`safetynet anomalies --county CODE [--month YYYY-MM]`: the monthly anomaly report of a county,
its progress printed a line a step; `--queue` queues the background job instead. Idempotent: a
second run finds nothing new. Without --as the command acts as the system."""
from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from safetynet.areas.actors import system_actor
from safetynet.core.errors import SafetyNetError
from safetynet.enrollments.management.actors import actor_for_username
from safetynet.oversight.anomaly_run import ANOMALIES, run_anomalies
from safetynet.oversight.anomaly_services import start_anomaly_run


class Command(BaseCommand):
    help = "The monthly anomaly report of a county (payments to the dead, double enrollments, data over the limits, " \
           "relatives of staff, workers' outliers)."

    def add_arguments(self, parser):
        parser.add_argument("--county", required=True, help="6-digit county code")
        parser.add_argument("--month", default=dt.date.today().strftime("%Y-%m"), help="YYYY-MM (default: this month)")
        parser.add_argument("--as", dest="username", default="", help="act as this user (a county post)")
        parser.add_argument("--queue", action="store_true", help="queue the background job instead of running now")

    def handle(self, *args, county, month, username, queue, **options):
        actor = actor_for_username(username, ANOMALIES, county) if username else system_actor()
        try:
            if queue:
                run = start_anomaly_run(actor=actor, county_code=county, month=month)
                self.stdout.write(f"Queued the anomaly report of {county} for {month} (run {run.pk}); "
                                  "`safetynet db_worker` runs it.")
                return

            def progress(done, total):
                self.stdout.write(f"  steps {done}/{total}")

            run = run_anomalies(actor, county, month, progress=progress, monthly=True)
        except SafetyNetError as exc:
            raise CommandError(exc.message)
        found = ", ".join(f"{k} {v}" for k, v in sorted(run.found.items())) or "nothing"
        new = sum(run.counts.values())
        self.stdout.write(self.style.SUCCESS(
            f"Anomalies of {county} for {run.month:%Y-%m} (run {run.pk}): found {found}; {new} new findings, "
            f"each with a control complaint; {run.seconds} s."))
