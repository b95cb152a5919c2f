"""`safetynet close_notices [--area CODE]`: the daily task that closes every public notice whose
days are over without an objection (cases.notices), as the system. Idempotent: a second run the
same day finds nothing."""
from __future__ import annotations

import dataclasses

from django.core.management.base import BaseCommand

from safetynet.areas.actors import system_actor


class Command(BaseCommand):
    help = "Close the public notices whose days are over without an objection (run daily)."

    def add_arguments(self, parser):
        parser.add_argument("--area", default="", help="only this area (a county or town code); all areas by default")

    def handle(self, *args, area, **options):
        from safetynet.cases.notices import close_ended_notices

        actor = system_actor()
        if area:
            actor = dataclasses.replace(actor, area_code=area)
        results = close_ended_notices(actor=actor)
        for r in results:
            if not r.ok:
                self.stderr.write(f"  case {r.case_id}: {(r.error or {}).get('message', '')}")
        done = sum(r.ok for r in results)
        self.stdout.write(self.style.SUCCESS(f"{done} notices closed, {len(results) - done} left open."))
