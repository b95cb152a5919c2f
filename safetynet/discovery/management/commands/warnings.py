"""`safetynet warnings --county CODE [--month YYYY-MM]`: the monthly warning run of a county, with
its progress printed; `--refresh-register` refreshes the monitoring register first; `--queue`
queues the background job instead. Idempotent: a second run raises nothing new.

Without --as the command acts as the system.
"""
from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from safetynet.areas.actors import system_actor
from safetynet.core.errors import SafetyNetError
from safetynet.enrollments.management.actors import actor_for_username


class Command(BaseCommand):
    help = "Monthly warnings from department data for a county (and the monitoring register's refresh)."

    def add_arguments(self, parser):
        parser.add_argument("--county", required=True, help="6-digit county code")
        parser.add_argument("--month", default=dt.date.today().strftime("%Y-%m"), help="YYYY-MM (default: this month)")
        parser.add_argument("--as", dest="username", default="", help="act as this user (a county post)")
        parser.add_argument("--refresh-register", action="store_true", help="refresh the monitoring register first")
        parser.add_argument("--queue", action="store_true", help="queue the background job instead of running now")

    def handle(self, *args, county, month, username, refresh_register, queue, **options):
        from safetynet.discovery.register import refresh_monitoring_register
        from safetynet.discovery.tasks import start_warning_run
        from safetynet.discovery.warning_run import run_warnings

        actor = actor_for_username(username, "discovery.rules", county) if username else system_actor()
        try:
            if refresh_register:
                r = refresh_monitoring_register(actor, county)
                self.stdout.write(f"Register of {county}: {r.added} added, {r.ended} ended, {r.current} current.")
            if queue:
                job = start_warning_run(actor=actor, county_code=county, month=month)
                self.stdout.write(f"Queued the warning run of {county} for {month} (job {job.id}); "
                                  "`safetynet db_worker` runs it.")
                return

            def progress(done, total):
                self.stdout.write(f"  rules {done}/{total}")

            result = run_warnings(actor, county, month, progress=progress)
        except SafetyNetError as exc:
            raise CommandError(exc.message)
        found = ", ".join(f"{k} {v}" for k, v in sorted(result.found.items()))
        self.stdout.write(self.style.SUCCESS(
            f"Warnings of {result.county} for {result.month}: found {found}; {result.raised} raised "
            f"({result.already} raised before), {result.leads_opened} leads opened, {result.leads_joined} joined to "
            f"open leads, {result.refused} refused; {result.seconds} s."))
