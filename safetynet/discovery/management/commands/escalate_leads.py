"""`safetynet escalate_leads [--area CODE] [--on YYYY-MM-DD]`: the daily task that moves each open,
overdue lead one level up (the town leader, then the county: discovery.clocks), a county at a
time, as the system. Idempotent: a second run the same day changes nothing."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from safetynet.core.dates import parse_date
from safetynet.core.errors import ValidationError


class Command(BaseCommand):
    help = "Escalate the overdue leads one level up: town leader, then county (run daily)."

    def add_arguments(self, parser):
        parser.add_argument("--area", default="", help="only this area (a county or town code); every county by default")
        parser.add_argument("--on", default="", help="the business date (YYYY-MM-DD); today by default")

    def handle(self, *args, area, on, **options):
        from safetynet.discovery.escalation import escalate_every_county

        if area and not (area.isdigit() and len(area) in (6, 9)):
            raise CommandError("--area: a county (6 digits) or town (9 digits) code")
        try:
            day = parse_date(on, field="on") if on else None
        except ValidationError as exc:
            raise CommandError(exc.message) from None
        results = escalate_every_county(area=area, on=day)
        for county, r in results.items():
            self.stdout.write(f"  {county}: {r.checked} overdue checked, {r.to_town_leader} to the town leader, "
                              f"{r.to_county} to the county")
        leader = sum(r.to_town_leader for r in results.values())
        county = sum(r.to_county for r in results.values())
        self.stdout.write(self.style.SUCCESS(f"{leader} leads escalated to the town leader, {county} to the county."))
