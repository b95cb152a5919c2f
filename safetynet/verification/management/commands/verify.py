"""`safetynet verify`: a verification run as a background job, followed on the command line.

    safetynet verify --household ID      one household (its signed authorization must be on file)
    safetynet verify --due [--area CODE] the enrollments due for re-check
    safetynet verify --cases [--area CODE] the cases waiting for their verification
    safetynet verify --county CODE       every household of a county with a signed authorization

The run is started here (services.start_run: the households are chosen and exported), then its
processing is queued (tasks.process_verification_run; a worker, `safetynet db_worker`, runs it)
and, with --wait (the default), followed: one line, rewritten in place, with chunks done of the
total, households and the time elapsed, read from the run's recorded progress — the same the run
page shows (/verification/runs/<id>/). Leaving (Ctrl-C, or --no-wait) leaves the job running.
--inline runs the job in this process instead of queueing it (tests, or a machine with no worker).

Runs as the verification service (services.verification_service_actor), like the jobs.
"""
from __future__ import annotations

import argparse
import time

from django.core.management.base import BaseCommand, CommandError

from safetynet.core.errors import SafetyNetError


def progress_line(run, elapsed: float) -> str:
    retry = f" ({run.retry_label})" if run.retry_label else ""
    return (f"run #{run.pk} {run.status}{retry}: chunks {run.chunks_done}/{run.chunks_total}, "
            f"households {run.households_done:,}/{run.households_total:,}, flagged {run.flagged_households:,}, "
            f"{elapsed:.1f} s")


class Command(BaseCommand):
    help = "Run a verification (one household, the re-checks due, the cases waiting, or a county) as a background job."

    def add_arguments(self, parser):
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--household", type=int, help="one household, by id")
        what.add_argument("--due", action="store_true", help="the enrollments due for re-check")
        what.add_argument("--cases", action="store_true", help="the cases waiting for their verification")
        what.add_argument("--county", help="every household of a county (6-digit code)")
        parser.add_argument("--area", default="", help="with --due or --cases: only this area")
        parser.add_argument("--chunk", type=int, default=None, help="households per chunk (default the service's)")
        parser.add_argument("--wait", action=argparse.BooleanOptionalAction, default=True,
                            help="follow the run until it ends (default); --no-wait returns at once")
        parser.add_argument("--inline", action="store_true", help="run the job in this process instead of queueing it")
        parser.add_argument("--interval", type=float, default=0.5, help="seconds between progress reads (default 0.5)")

    def handle(self, *args, household, due, cases, county, area, chunk, wait, inline, interval, **options):
        from safetynet.verification import services
        from safetynet.verification.models import RunKind, RunStatus
        from safetynet.verification.tasks import process_verification_run

        actor = services.verification_service_actor()
        kwargs = {"chunk_size": chunk} if chunk else {}
        try:
            if household is not None:
                run = self._start_household(actor, household, kwargs)
            elif county:
                run = services.start_run(actor=actor, kind=RunKind.COUNTY, area_code=county, **kwargs)
            else:
                run = services.start_run(actor=actor, kind=RunKind.DUE if due else RunKind.CASES, area_code=area, **kwargs)
        except SafetyNetError as error:
            raise CommandError(error.message)
        self.stdout.write(f"Run #{run.pk} ({run.get_kind_display()}): {run.households_total:,} households in "
                          f"{run.chunks_total} chunks; page /verification/runs/{run.pk}/")
        started = time.monotonic()
        if inline:
            # What the job does (tasks.process_verification_run), here, printing each chunk as it commits.
            try:
                services.process_run(actor=actor, run_id=run.pk,
                                     progress=lambda current: self._write_progress(current, time.monotonic() - started))
            except SafetyNetError as error:
                raise CommandError(error.message)
            run.refresh_from_db()
            self._write_progress(run, time.monotonic() - started)
            self.stdout.write("")
        else:
            result = process_verification_run.enqueue(run.pk)
            self.stdout.write(f"Queued as job {result.id}.")
            if not wait:
                return
            try:
                while True:
                    run.refresh_from_db()
                    self._write_progress(run, time.monotonic() - started)
                    if run.status in (RunStatus.DONE, RunStatus.FAILED):
                        break
                    time.sleep(interval)
            except KeyboardInterrupt:
                self.stdout.write("")
                self.stdout.write(f"Left the run going: follow it on /verification/runs/{run.pk}/.")
                return
            self.stdout.write("")
        run.refresh_from_db()
        if run.status == RunStatus.FAILED:
            raise CommandError(f"Run #{run.pk} failed: {run.error}")
        self.stdout.write(self.style.SUCCESS(
            f"Run #{run.pk} done: {run.households_done:,} households, {run.findings_count:,} findings, "
            f"{run.flagged_households:,} flagged, {run.seconds or 0:.2f} s."))
        if household is not None:
            result = run.results.first()
            if result is not None:
                self.stdout.write(f"Report: /verification/reports/{result.pk}/ (flags: {', '.join(result.flags) or 'none'})")

    def _write_progress(self, run, elapsed: float) -> None:
        line = progress_line(run, elapsed)
        out = self.stdout
        out.write("\r" + line.ljust(100), ending="")
        out.flush()

    def _start_household(self, actor, household_id: int, kwargs: dict):
        """One household as a batch of one, after the same authorization check the online
        report makes (services._authorized_case, MLG-2021 art. 9)."""
        from safetynet.core.scoping import get_in_scope
        from safetynet.registry.models import Household
        from safetynet.verification import services
        from safetynet.verification.models import RunKind

        household = get_in_scope(Household.objects.only("id", "area_id"), actor, pk=household_id)
        services._authorized_case(actor, household.pk, None)
        return services.start_run(actor=actor, kind=RunKind.HOUSEHOLD, area_code=household.area_id,
                                  household_ids=[household.pk], **kwargs)
