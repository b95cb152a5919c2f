"""`safetynet demo`: build the demo county (a thin adapter over generator.generate_demo_county)."""
from __future__ import annotations


from django.core.management.base import BaseCommand, CommandError

from safetynet.areas.actors import system_actor
from safetynet.core.errors import SafetyNetError
from safetynet.demo.generator import DEFAULT_PASSWORD, DemoResult, generate_demo_county


class Command(BaseCommand):
    help = "Fill the registry with a reproducible synthetic county (households, people, staff logins)."

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=20000, help="how many people (default 20000)")
        parser.add_argument("--seed", type=int, default=2026, help="same seed, same data (default 2026)")
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help=f"password of the demo logins (default {DEFAULT_PASSWORD})")
        parser.add_argument("--county", default="130123", help="county code with a committed division extract (default 130123)")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when the registry already has households")
        parser.add_argument("--chunk", type=int, default=20000, help="households written per batch (default 20000)")
        parser.add_argument("--no-activity", action="store_true",
                            help="households and logins only: no staff register, cases, department data or payroll")

    def handle(self, *args, people, seed, password, county, if_empty, chunk, no_activity, **options):
        out = self.stdout
        interactive = out.isatty()

        def progress(result: DemoResult, done: bool):
            if done:
                return
            line = (f"{result.households:,} households, {result.people:,} people, {result.kinships:,} kinship links, "
                    f"{result.income_items:,} income items, {result.assets:,} assets — {result.seconds:.1f} s")
            if interactive:
                out.write("\r" + line, ending="")
                out.flush()
            else:
                out.write(line)

        try:
            result = generate_demo_county(actor=system_actor(), people=people, seed=seed, county_code=county,
                                          password=password, if_empty=if_empty, chunk_households=chunk, progress=progress)
        except SafetyNetError as error:
            raise CommandError(error.message)
        if interactive:
            out.write("")
        if result.skipped:
            out.write("The registry already has households: nothing generated (--if-empty).")
            return
        share = 100.0 * result.under_standard / result.households if result.households else 0.0
        out.write(self.style.SUCCESS(
            f"Demo county {county} (seed {seed}): {result.households:,} households, {result.people:,} people, "
            f"{result.groups:,} groups, {result.grids:,} grids, {result.kinships:,} kinship links, "
            f"{result.income_items:,} income items, {result.assets:,} assets, {result.staff} staff logins; "
            f"{result.under_standard:,} households ({share:.1f} %) under the demo dibao standard; {result.seconds:.1f} s."
        ))
        if no_activity:
            return
        from safetynet.demo.activity import build_demo_activity

        try:
            activity = build_demo_activity(seed=seed, county_code=county, progress=lambda line: out.write("  " + line))
        except SafetyNetError as error:
            raise CommandError(error.message)
        for message in activity.refusals:
            out.write(f"  refused: {message}")
        statuses = ", ".join(f"{status} {n}" for status, n in activity.by_status.items())
        out.write(self.style.SUCCESS(
            f"Activity: {activity.staff_identities} staff registered, {activity.cases} cases ({statuses}), "
            f"{activity.enrollments} enrollments, {activity.reconciled_runs} payroll runs reconciled and "
            f"{activity.payroll_runs - activity.reconciled_runs} drafted, verification run #{activity.verification_run}, "
            f"{activity.rechecks} re-checks open, {activity.proposals} proposals waiting (digest {activity.digest}); "
            f"{activity.seconds:.1f} s."))
