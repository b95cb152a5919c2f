"""`safetynet medical_statements --county CODE --month YYYY-MM [--as USERNAME]`: state a county's
month of one-stop settlements into the institutions' statements (statements.generate_statements,
the function the page and the API call), printing a line per step as it goes, then what was
added and each institution's net. Run again, it adds only what is new. Without --as it acts as
the system (a county leader then approves: maker-checker)."""
from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from safetynet.areas.actors import system_actor
from safetynet.core.errors import SafetyNetError
from safetynet.core.money import format_yuan
from safetynet.enrollments.management.actors import actor_for_username
from safetynet.medical import statements
from safetynet.medical.statement_models import MedicalStatement


class Command(BaseCommand):
    help = "State a county's month of one-stop settlements into the designated institutions' monthly statements."

    def add_arguments(self, parser):
        parser.add_argument("--county", required=True, help="the county's 6-digit code")
        parser.add_argument("--month", required=True, help="YYYY-MM, a month that has ended")
        parser.add_argument("--as", dest="username", default="", help="act as this user's post (default: the system)")

    def handle(self, *args, **options):
        county, month = options["county"], options["month"]
        actor = (actor_for_username(options["username"], statements.STATEMENTS, county) if options["username"]
                 else system_actor())
        started = time.perf_counter()
        self.stdout.write(f"Stating {month} for {county}…")
        try:
            run = statements.generate_statements(actor=actor, county_code=county, month=month,
                                                 progress=statements.timed(self.stdout.write))
        except SafetyNetError as exc:
            rows = exc.details.get("rows") if exc.details else None
            raise CommandError("\n".join([exc.message, *(f"  {row}" for row in rows or [])]))
        added = run.added
        for s in MedicalStatement.objects.filter(run=run, month=run.month).select_related("institution").order_by(
                "institution__code"):
            self.stdout.write(f"  {s.institution.code} {s.institution.name}: {s.settlements_count} settlements, "
                              f"{s.reversals_count} reversals, net {format_yuan(s.net_total)} ({s.status})")
        if not any(added.values()):
            self.stdout.write(f"Run {run.code} was already complete: nothing added.")
        self.stdout.write(self.style.SUCCESS(
            f"Run {run.code} (#{run.pk}): {run.statement_count} statements, net {format_yuan(run.net_total)}; added "
            f"{added['statements']} statements, {added['settlements']} settlements, {added['reversals']} reversals, "
            f"{added['carried']} deficits carried; {added['waiting']} settlements wait for next month; "
            f"in {time.perf_counter() - started:.1f} s."))
