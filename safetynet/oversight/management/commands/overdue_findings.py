"""`safetynet overdue_findings [--county CODE] [--on YYYY-MM-DD]`: the daily task that marks every
inspection finding past its rectification day overdue, as the system (the offices' and
inspectors' lists show it at once). Idempotent: a finding already overdue is left alone."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from safetynet.areas.actors import system_actor
from safetynet.core.dates import parse_date
from safetynet.core.errors import ValidationError
from safetynet.oversight.complaints import today
from safetynet.oversight.inspections import mark_overdue_findings


class Command(BaseCommand):
    help = "Mark the inspection findings past their rectification day overdue (run daily)."

    def add_arguments(self, parser):
        parser.add_argument("--county", default="", help="only findings on offices of this county (6 digits)")
        parser.add_argument("--on", default="", help="the business date (YYYY-MM-DD); today by default")

    def handle(self, *args, county, on, **options):
        if county and not (county.isdigit() and len(county) == 6):
            raise CommandError("--county: a county code (6 digits)")
        try:
            day = parse_date(on, field="on") if on else today()
        except ValidationError as exc:
            raise CommandError(exc.message) from None
        marked = mark_overdue_findings(actor=system_actor(), on=day, county_code=county)
        self.stdout.write(self.style.SUCCESS(f"{marked} inspection findings past their day marked overdue."))
