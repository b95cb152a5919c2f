"""`safetynet verification_demo --seed S`: department snapshots for the demo county, with planted
facts and their ground truth (a thin adapter over demo_data.build_verification_demo)."""
from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from safetynet.areas.actors import system_actor
from safetynet.core.errors import SafetyNetError
from safetynet.verification.demo_data import build_verification_demo, check_accuracy


class Command(BaseCommand):
    help = "Write and import a snapshot per department dataset for the demo county, with planted facts and ground truth."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="same seed, same files (default 2026)")
        parser.add_argument("--county", default=settings.DEMO_COUNTY_CODE, help="county code (default the demo county)")
        parser.add_argument("--per-kind", type=int, default=5, help="planted facts of each kind (default 5)")
        parser.add_argument("--controls", type=int, default=50, help="clean households listed as controls (default 50)")
        parser.add_argument("--check", action="store_true",
                            help="then verify the ground-truth households and print recall and false flags")

    def handle(self, *args, seed, county, per_kind, controls, check, **options):
        from safetynet.verification.models import HouseholdResult
        from safetynet.verification.services import run_verification, verification_service_actor

        try:
            result = build_verification_demo(actor=system_actor(), seed=seed, county_code=county, per_kind=per_kind,
                                             controls=controls,
                                             progress=lambda code, n: self.stdout.write(f"  {code}: {n:,} rows"))
        except SafetyNetError as error:
            raise CommandError(error.message)
        if not result.households:
            raise CommandError(f"No households in county {county}: run `safetynet demo` first.")
        created = sum(1 for _id, new in result.snapshots.values() if new)
        self.stdout.write(self.style.SUCCESS(
            f"County {county} (seed {seed}): {result.households:,} households, {result.total_rows:,} rows in "
            f"{len(result.rows)} snapshots ({created} new, {len(result.snapshots) - created} already stored); "
            f"{sum(1 for p in result.planted if p.identity != 'control')} planted facts, "
            f"{sum(1 for p in result.planted if p.identity == 'control')} controls; ground truth in "
            f"{result.folder}/ground_truth.csv; {result.seconds:.1f} s."))
        if check:
            households = sorted({p.household_id for p in result.planted})
            run = run_verification(actor=verification_service_actor(), kind="county", area_code=county,
                                   household_ids=households)
            flags = {r.household_id: r.flags for r in HouseholdResult.objects.filter(run=run)}
            accuracy = check_accuracy(result.planted, flags)
            self.stdout.write(f"Run #{run.pk}: {run.households_done} households, {run.findings_count} findings, "
                              f"{run.flagged_households} flagged, {run.seconds:.2f} s.")
            self.stdout.write(f"Exact-ID facts found: {accuracy.found}/{accuracy.expected} (recall {accuracy.recall:.0%}); "
                              f"false flags: {len(accuracy.false_flags)}.")
            for household_id, flag in accuracy.missed:
                self.stdout.write(self.style.ERROR(f"  missed: household {household_id} {flag}"))
            for household_id, flag in accuracy.false_flags:
                self.stdout.write(self.style.ERROR(f"  false flag: household {household_id} {flag}"))
