"""`safetynet identity_resolve --county CODE`: match the current snapshots' records with a legacy,
mistyped or missing ID number to the county's persons (Splink) and store the matches as
proposals for a county officer (/verification/identity/). Nothing is linked until an officer
confirms. A thin adapter over identity_services.propose_identities, run as the verification
service; --queue hands it to a worker instead (tasks.propose_identities_job)."""
from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from safetynet.core.errors import SafetyNetError


class Command(BaseCommand):
    help = "Propose the persons behind department records whose ID is old, mistyped or missing (identity resolution)."

    def add_arguments(self, parser):
        parser.add_argument("--county", default=settings.DEMO_COUNTY_CODE, help="county code (default the demo county)")
        parser.add_argument("--queue", action="store_true", help="queue it as a background job and return")

    def handle(self, *args, county, queue, **options):
        from safetynet.verification.identity_services import propose_identities
        from safetynet.verification.services import verification_service_actor
        from safetynet.verification.tasks import propose_identities_job

        if queue:
            result = propose_identities_job.enqueue(county)
            self.stdout.write(f"Queued as job {result.id}.")
            return
        try:
            made = propose_identities(actor=verification_service_actor(), county_code=county)
        except SafetyNetError as error:
            raise CommandError(error.message)
        seconds = made.seconds or {}
        self.stdout.write(self.style.SUCCESS(
            f"County {county}: {made.records:,} records without an exact ID; {made.candidates:,} matches at or above the "
            f"threshold; {made.created:,} new proposals, {made.skipped:,} already proposed or linked; "
            f"{seconds.get('total', 0):.1f} s (train {seconds.get('train', 0):.1f} s, predict {seconds.get('predict', 0):.1f} s)."))
        self.stdout.write("Review them at /verification/identity/.")
