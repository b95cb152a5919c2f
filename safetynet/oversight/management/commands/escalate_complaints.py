"""`safetynet escalate_complaints [--area CODE] [--on YYYY-MM-DD]`: the daily task that moves each
open complaint past its next deadline one level up (the town's to the county, the county's to its
parent), as the system. Idempotent: a breached deadline moves a complaint once."""
from __future__ import annotations

import dataclasses

from django.core.management.base import BaseCommand, CommandError

from safetynet.areas.actors import system_actor
from safetynet.core.dates import parse_date
from safetynet.core.errors import ValidationError
from safetynet.oversight.complaints import escalate_breached_complaints


class Command(BaseCommand):
    help = "Escalate the complaints past a deadline one level up (run daily)."

    def add_arguments(self, parser):
        parser.add_argument("--area", default="", help="only complaints handled under this area (a county or town code)")
        parser.add_argument("--on", default="", help="the business date (YYYY-MM-DD); today by default")

    def handle(self, *args, area, on, **options):
        if area and not (area.isdigit() and len(area) in (6, 9)):
            raise CommandError("--area: a county (6 digits) or town (9 digits) code")
        try:
            day = parse_date(on, field="on") if on else None
        except ValidationError as exc:
            raise CommandError(exc.message) from None
        actor = dataclasses.replace(system_actor(), area_code=area)
        r = escalate_breached_complaints(actor=actor, on=day)
        self.stdout.write(self.style.SUCCESS(
            f"{r.checked} complaints past a deadline: {r.climbed} climbed one level, {r.at_top} had no office above."))
