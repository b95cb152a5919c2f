"""`safetynet assign_work --town CODE | --county CODE`: assign every open item nobody holds (cases
to survey, re-checks, leads) as the capacity rule proposes, town by town, as the system, with a
progress line per town. Idempotent: what is held is left alone, so a second run assigns nothing."""
from __future__ import annotations

import dataclasses

from django.core.management.base import BaseCommand, CommandError

from safetynet.areas.actors import system_actor
from safetynet.areas.models import Area, Level
from safetynet.core.errors import SafetyNetError
from safetynet.workload.assignments import assign_new_work


class Command(BaseCommand):
    help = "Assign the open work nobody holds, as the capacity rule proposes (a town, or every town of a county)."

    def add_arguments(self, parser):
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument("--town", default="", help="a town's 9-digit code")
        where.add_argument("--county", default="", help="a county's 6-digit code: each of its towns")

    def handle(self, *args, town, county, **options):
        if town and not (town.isdigit() and len(town) == 9):
            raise CommandError("--town: a town's 9-digit code")
        if county and not (county.isdigit() and len(county) == 6):
            raise CommandError("--county: a county's 6-digit code")
        towns = [town] if town else list(Area.objects.filter(code__startswith=county, level=Level.TOWN)
                                         .order_by("code").values_list("code", flat=True))
        if not towns or not Area.objects.filter(code=towns[0], level=Level.TOWN).exists():
            raise CommandError(f"No such town or county: {town or county}")
        actor = dataclasses.replace(system_actor(), area_code=town or county)
        total = refused = 0
        for code in towns:
            try:
                result = assign_new_work(actor=actor, town_code=code, progress=lambda done, of, code=code: self.stdout.write(
                    f"{code}: {done}/{of} items placed", ending="\r"))
            except SafetyNetError as exc:
                raise CommandError(exc.message) from None
            total += result.assigned
            refused += sum(result.refused.values())
            why = ", ".join(f"{k} {v}" for k, v in sorted(result.refused.items()))
            self.stdout.write(f"{code}: {result.open} open items nobody held, {result.assigned} assigned"
                              + (f", not assigned: {why}" if why else ""))
        self.stdout.write(self.style.SUCCESS(f"{len(towns)} towns: {total} items assigned, {refused} could not be."))
