"""`safetynet triggers --county CODE`: the department-data triggers of a county (payments.triggers):
the re-checks that came due open, deaths become proposals in the town's queue, new vehicles,
companies and properties open re-checks, finished gradual exits are settled. Idempotent: a second
run finds nothing new.

    safetynet triggers --county 130123 [--as USERNAME]   run now, print what was done
    safetynet triggers --county 130123 --queue           queue the background job instead

Without --as the command acts as the system.
"""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from safetynet.areas.actors import system_actor
from safetynet.core.errors import SafetyNetError
from safetynet.enrollments.management.actors import actor_for_username
from safetynet.enrollments.trigger_tasks import run_triggers_job
from safetynet.enrollments.triggers import run_triggers


class Command(BaseCommand):
    help = "Department-data triggers of a county: deaths, new vehicles, companies and properties; re-checks due."

    def add_arguments(self, parser):
        parser.add_argument("--county", required=True, help="6-digit county code")
        parser.add_argument("--as", dest="username", default="", help="act as this user (a county post)")
        parser.add_argument("--queue", action="store_true", help="queue the background job instead of running now")

    def handle(self, *args, county, username, queue, **options):
        if queue:
            result = run_triggers_job.enqueue(county)
            self.stdout.write(f"Queued the triggers of {county} (job {result.id}); `safetynet db_worker` runs it.")
            return
        actor = actor_for_username(username, "payments.triggers", county) if username else system_actor()
        try:
            result = run_triggers(actor=actor, county_code=county)
        except SafetyNetError as exc:
            raise CommandError(exc.message)
        for error in result.errors:
            self.stderr.write(f"  {error}")
        self.stdout.write(self.style.SUCCESS(
            f"Triggers of {result.county}: {result.found} department records about live enrollments, "
            f"{result.new_signals} new; {result.proposals} changes proposed for confirmation, "
            f"{result.rechecks_opened} re-checks opened ({result.rechecks_joined} added to open ones), "
            f"{result.no_effect} without effect; {result.due_rechecks_opened} scheduled re-checks opened; "
            f"{result.settled} finished gradual exits settled."))
