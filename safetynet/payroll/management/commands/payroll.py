"""`safetynet payroll generate|approve|export|import-returns`: thin adapters over
payments.services, the same functions the pages call.

    safetynet payroll generate --county 130123 --month 2025-10 [--as USERNAME]
    safetynet payroll approve RUN --as USERNAME
    safetynet payroll export RUN [--as USERNAME]
    safetynet payroll import-returns RUN FILE [--as USERNAME]

RUN is the run's number or its code (county + YYYYMM, e.g. 130123202510). Without --as the
command acts as the system; approving always names the county leader who approves (maker-checker).

Each action runs here, in the foreground, printing its progress (scripts wait for it and read its
exit status). With --background it is queued as a job instead (payroll/tasks.py; a worker,
`safetynet db_worker`, runs it; the page /payments/jobs/<id>/ follows it) and the command returns
at once; --background --wait follows the job's recorded progress here until it ends.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from safetynet.areas.actors import system_actor
from safetynet.core.errors import SafetyNetError
from safetynet.core.money import format_yuan
from safetynet.enrollments.management.actors import actor_for_username
from safetynet.payroll import jobs, services
from safetynet.payroll.models import PayrollRun


def find_run(value: str) -> PayrollRun:
    run = (PayrollRun.objects.filter(code=value).first()
           or (PayrollRun.objects.filter(pk=int(value)).first() if value.isdigit() else None))
    if run is None:
        raise CommandError(f"No payroll run {value!r} (give its number or its code, e.g. 130123202510).")
    return run


class Command(BaseCommand):
    help = "Monthly payroll: generate, approve, export bank files, import bank returns."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        gen = sub.add_parser("generate", help="generate (or complete) a county's run for a month")
        gen.add_argument("--county", required=True)
        gen.add_argument("--month", required=True, help="YYYY-MM")
        gen.add_argument("--as", dest="username", default="")
        approve = sub.add_parser("approve", help="approve a generated run (a county leader, not its generator)")
        approve.add_argument("run")
        approve.add_argument("--as", dest="username", required=True)
        export = sub.add_parser("export", help="write the bank files of an approved run")
        export.add_argument("run")
        export.add_argument("--as", dest="username", default="")
        returns = sub.add_parser("import-returns", help="apply the bank's return file to an exported run")
        returns.add_argument("run")
        returns.add_argument("file")
        returns.add_argument("--as", dest="username", default="")
        for command in (gen, approve, export, returns):
            command.add_argument("--background", action="store_true",
                                 help="queue it as a job for a worker (safetynet db_worker) instead of running it here")
            command.add_argument("--wait", action=argparse.BooleanOptionalAction, default=False,
                                 help="with --background: follow the job until it ends")
            command.add_argument("--interval", type=float, default=0.5, help=argparse.SUPPRESS)

    def handle(self, *args, **options):
        try:
            if options["background"]:
                self.queue(options)
            else:
                getattr(self, "do_" + options["action"].replace("-", "_"))(options)
        except SafetyNetError as exc:
            rows = exc.details.get("rows") if exc.details else None
            raise CommandError("\n".join([exc.message, *(f"  {row}" for row in rows or [])]))

    # --- as a background job ------------------------------------------------------------------
    def queue(self, options):
        action = options["action"]
        if action == "generate":
            actor = self._actor(options, "payments.generate", options["county"])
            job = jobs.start_generation(actor=actor, county_code=options["county"], month=options["month"])
        elif action == "approve":
            run = find_run(options["run"])
            job = jobs.start_approval(actor=actor_for_username(options["username"], "payments.approve", run.area_id),
                                      run_id=run.pk)
        elif action == "export":
            run = find_run(options["run"])
            job = jobs.start_export(actor=self._actor(options, "payments.generate", run.area_id), run_id=run.pk)
        else:
            run = find_run(options["run"])
            path = Path(options["file"])
            if not path.exists():
                raise CommandError(f"No such file: {path}")
            with path.open("rb") as f:
                job = jobs.start_returns(actor=self._actor(options, "payments.generate", run.area_id), run_id=run.pk,
                                         upload=f, filename=path.name)
        self.stdout.write(f"Queued as job {job.id} ({job.kind_label}); page /payments/jobs/{job.id}/")
        if options["wait"]:
            self.follow(job.id, options["interval"])

    def follow(self, job_id: str, interval: float):
        """The job's recorded progress, one line rewritten in place, until it ends."""
        started = time.monotonic()
        while True:
            job = jobs.load(job_id)
            retry = f" ({job.retry_label})" if job.retry_label else ""
            line = (f"job {job.id[:8]} {job.status_label}{retry}: {job.step or '-'} {job.done}/{job.total or '?'} "
                    f"({time.monotonic() - started:.1f} s)")
            self.stdout.write("\r" + line.ljust(80), ending="")
            self.stdout.flush()
            if job.finished:
                break
            time.sleep(interval)
        self.stdout.write("")
        if job.status == jobs.FAILED:
            raise CommandError("\n".join([job.error, *(f"  {row}" for row in job.error_rows)]))
        result = job.result
        self.stdout.write(self.style.SUCCESS(
            f"Run {result.get('code')} (#{result.get('run')}) {result.get('status')}: {result.get('payments')} payments, "
            f"total ¥{result.get('total')}."))

    def _actor(self, options, permission, area_code):
        return actor_for_username(options["username"], permission, area_code) if options["username"] else system_actor()

    def do_generate(self, options):
        actor = self._actor(options, "payments.generate", options["county"])
        started = time.perf_counter()

        def progress(step, number, total):
            self.stdout.write(f"  [{number}/{total}] {step} done ({time.perf_counter() - started:.1f} s)")

        self.stdout.write(f"Generating the payroll of {options['month']} for {options['county']}…")
        run = services.generate_payroll_run(actor=actor, county_code=options["county"], month=options["month"],
                                            progress=progress)
        added = run.added
        if not any(added.values()):
            self.stdout.write(f"Run {run.code} was already complete: nothing added.")
        self.stdout.write(self.style.SUCCESS(
            f"Run {run.code} (#{run.pk}) {run.status}: {run.payment_count} payments, total {format_yuan(run.total_amount)} "
            f"(to banks {format_yuan(run.payable_amount)}, without account {run.no_account_count} / "
            f"{format_yuan(run.no_account_amount)}); added {added['regular']} this month, {added['arrears']} arrears, "
            f"{added['carried']} carried, in {time.perf_counter() - started:.1f} s."))

    def do_approve(self, options):
        run = find_run(options["run"])
        actor = actor_for_username(options["username"], "payments.approve", run.area_id)
        run = services.approve_payroll_run(actor=actor, run_id=run.pk)
        self.stdout.write(self.style.SUCCESS(f"Run {run.code} approved by {run.approved_by_username}: "
                                             f"{run.payment_count} payments, {format_yuan(run.total_amount)}."))

    def do_export(self, options):
        run = find_run(options["run"])
        actor = self._actor(options, "payments.generate", run.area_id)
        summary = services.export_bank_files(actor=actor, run_id=run.pk)
        run.refresh_from_db(fields=["export_summary"])
        directory = services.export_directory(run)
        for bank in summary["banks"]:
            self.stdout.write(f"  {directory / bank['file']}: {bank['count']} payments, ¥{bank['total']}, sha256 {bank['sha256']}")
        self.stdout.write(self.style.SUCCESS(
            f"Run {run.code} exported: {summary['files_count']} payments, ¥{summary['files_total']} to banks; "
            f"{summary['no_account_count']} without account (¥{summary['no_account_total']}); "
            f"summary {directory / summary['summary_file']}."))

    def do_import_returns(self, options):
        run = find_run(options["run"])
        actor = self._actor(options, "payments.generate", run.area_id)
        path = Path(options["file"])
        if not path.exists():
            raise CommandError(f"No such file: {path}")
        with path.open("rb") as f:
            result = services.import_bank_returns(actor=actor, run_id=run.pk, file=f, filename=path.name)
        self.stdout.write(self.style.SUCCESS(
            f"Run {run.code}: {result.paid} paid, {result.failed} failed ({format_yuan(result.failed_amount)}, carried into "
            f"the next run){'; reconciled' if result.reconciled else ''}."))
