"""Every write of the payments app: enrollment changes, payroll generation, approval, the bank
files and the bank's returns (issue 5 parts 1–2).

Maker-checker (DESIGN.md §1): a county officer generates and exports (`payments.generate`), a
county leader who is a different person approves (`payments.approve`). An approved run is frozen.
The money adds up at every step: a run's total equals the sum of its payments, and the bank files'
total equals the run's payable total; each service checks it before it commits.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.areas.models import Area
from safetynet.core.audit import record_event
from safetynet.core.errors import Conflict, ValidationError
from safetynet.core.money import format_yuan
from safetynet.core.privatefiles import private_root
from safetynet.core.scoping import Actor, get_in_scope
from safetynet.enrollments import decisions, schedule
from safetynet.enrollments.change_selectors import county_in_scope as _county
from safetynet.enrollments.models import EnrollmentChange, EnrollmentStatus
from safetynet.enrollments.months import parse_month
from safetynet.enrollments.schedule import Segment

from . import bankfiles, generation, summaries
from .models import Payment, PaymentStatus, PayrollRun, RunStatus
from .selectors import get_run

ProgressCallback = Callable[[str, int, int], None]


def export_directory(run: PayrollRun) -> Path:
    """The private folder of the run's bank files: `payroll/<code>-<random>` under the private root,
    its name recorded in the export summary (`directory`), so nobody can derive it from the code."""
    return private_root() / "payroll" / ((run.export_summary or {}).get("directory") or run.code)


# ---------------------------------------------------------------------------------------------
# Enrollment history (part 1, as far as the payroll needs it)
# ---------------------------------------------------------------------------------------------
ALLOWED_ENROLLMENT_CHANGES = {
    EnrollmentStatus.ACTIVE: {EnrollmentStatus.ACTIVE, EnrollmentStatus.SUSPENDED, EnrollmentStatus.GRADUAL_EXIT,
                              EnrollmentStatus.ENDED},
    EnrollmentStatus.SUSPENDED: {EnrollmentStatus.ACTIVE, EnrollmentStatus.SUSPENDED, EnrollmentStatus.ENDED},
    EnrollmentStatus.GRADUAL_EXIT: {EnrollmentStatus.ACTIVE, EnrollmentStatus.GRADUAL_EXIT, EnrollmentStatus.ENDED},
    EnrollmentStatus.ENDED: set(),
}


@transaction.atomic(durable=True)
def change_enrollment(*, actor: Actor, enrollment_id: int, reason: str, amount=None, status: str | None = None,
                      decision_id: int | None = None, effective_month=None) -> EnrollmentChange:
    """Change an enrollment's monthly amount and/or status, typed in, as a decision with its
    reason, from `effective_month` (default: the month after the last one generated). The
    decisions of issue 5 part 3 (re-assessed amounts, suspension, gradual exit, ending) are in
    payments.decisions; this one writes through the same `write_decision`, so the payroll pays
    each month what was in force for it."""
    actor.require(decisions.DECIDE)
    enrollment = decisions.load_enrollment(actor, enrollment_id)
    reason = decisions.clean_reason(reason)
    month = (decisions.parse_month(effective_month) if effective_month not in (None, "")
             else schedule.default_effective_month(enrollment))
    month = max(month, enrollment.start_month)
    current_status, current_amount = schedule.in_force(enrollment, month)
    status = status or current_status
    if status not in ALLOWED_ENROLLMENT_CHANGES.get(current_status, set()):
        raise Conflict(_("An enrollment that is %(from)s cannot become %(to)s.")
                       % {"from": EnrollmentStatus(current_status).label, "to": EnrollmentStatus(status).label}
                       if status in EnrollmentStatus.values else _("Unknown status."), field="status")
    new_amount = current_amount if amount is None else decisions.amount_value(amount)
    if new_amount == current_amount and status == current_status:
        raise ValidationError(_("Nothing changes: give a new amount or a new status."), field="amount")
    written = decisions.write_decision(actor=actor, enrollment=enrollment, kind="other", reason=reason, month=month,
                                       segments=[Segment(month, None, status, new_amount)], decision_id=decision_id)
    return written.change


# ---------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------
def _frozen_message(run: PayrollRun) -> str:
    return (_("The payroll of %(month)s for %(county)s was approved by %(who)s on %(at)s: it is frozen and cannot be "
              "generated or edited again.")
            % {"month": run.month.strftime("%Y-%m"), "county": run.area.name, "who": run.approved_by_username or "?",
               "at": timezone.localtime(run.approved_at).strftime("%Y-%m-%d") if run.approved_at else "?"})


def _open_run(actor: Actor, county: Area, month: dt.date) -> PayrollRun:
    """The county's run for the month, created in its own transaction in status `generating`, so
    an interrupted generation leaves a run that the next generation completes."""
    try:
        with transaction.atomic():
            run, created = PayrollRun.objects.get_or_create(
                area=county, month=month,
                defaults={"code": f"{county.code}{generation.month_code(month)}", "generated_by_id": actor.user_id,
                          "generated_by_username": actor.username})
    except IntegrityError:  # a concurrent generation created it first
        run = PayrollRun.objects.get(area=county, month=month)
    if run.is_frozen:
        raise Conflict(_frozen_message(run), field="month", code="run_frozen")
    return run


def generate_payroll_run(*, actor: Actor, county_code: str, month, progress: ProgressCallback | None = None) -> PayrollRun:
    """Generate (or complete) the county's payroll for `month`, set-based (see generation.py).

    Idempotent and resumable: generating a month again adds only what is missing (nothing, if the
    run is complete) and recomputes the totals; a run interrupted midway is completed without
    duplicates. A month whose run is approved is refused. `run.added` says what this call added."""
    actor.require("payments.generate")
    county = _county(actor, county_code)
    month = parse_month(month)
    run = _open_run(actor, county, month)
    try:
        with transaction.atomic(durable=True):
            run = PayrollRun.objects.select_for_update().select_related("area").get(pk=run.pk)
            if run.is_frozen:  # approved while we waited for the lock
                raise Conflict(_frozen_message(run), field="month", code="run_frozen")
            generation.prepare_transaction()
            added = {}
            for number, (name, step) in enumerate(generation.STEPS, start=1):
                added[name] = step(run)
                if progress:
                    progress(name, number, len(generation.STEPS))
            before = {"status": run.status, "total": run.total_amount, "count": run.payment_count}
            added_rows = any(added[name] for name in ("regular", "arrears", "carried"))
            unchanged = (not added_rows and not added["carry_mark"] and run.status == RunStatus.GENERATED
                         and Payment.objects.filter(run=run).count() == run.payment_count)
            if not unchanged:  # a complete run generated again keeps its figures (nothing was added)
                generation.refresh_statistics(sum(added[name] for name in ("regular", "arrears", "carried")))
                rows = summaries.grouped(run)
                for key, value in summaries.run_totals(run, rows).items():
                    setattr(run, key, value)
                run.summary = {"by_town_program": summaries.totals_by_town_and_program(run, rows),
                               "change": summaries.change_from_previous(run, rows)}
            run.summary["added"] = added
            if added_rows or run.status == RunStatus.GENERATING:
                run.generated_by_id, run.generated_by_username = actor.user_id, actor.username
            run.status = RunStatus.GENERATED
            run.generated_at = timezone.now()
            run.save()
            record_event(actor=actor, action="payments.generate_payroll_run", obj=run, before=before,
                         after={"month": month, "added": added, "total": run.total_amount, "count": run.payment_count})
    finally:
        generation.finish_transaction()
    run.added = added
    return run


# ---------------------------------------------------------------------------------------------
# Approval
# ---------------------------------------------------------------------------------------------
def _check_totals(run: PayrollRun) -> dict:
    """The stored totals equal the sum of the payments, or nothing proceeds."""
    totals = summaries.run_totals(run)
    if totals["total_amount"] != run.total_amount or totals["payment_count"] != run.payment_count:
        raise Conflict(_("The run's total (%(stored)s) no longer equals the sum of its payments (%(actual)s): "
                         "generate it again before approving.")
                       % {"stored": format_yuan(run.total_amount), "actual": format_yuan(totals["total_amount"])})
    return totals


@transaction.atomic(durable=True)
def approve_payroll_run(*, actor: Actor, run_id: int) -> PayrollRun:
    """The checker's signature: a county leader who did not generate the run approves it, and it
    is frozen from then on."""
    actor.require("payments.approve")
    run = get_in_scope(PayrollRun.objects.select_for_update().select_related("area"), actor, pk=run_id)
    if run.is_frozen:
        raise Conflict(_frozen_message(run), code="run_frozen")
    if run.status != RunStatus.GENERATED:
        raise Conflict(_("The run is still being generated: finish the generation before approving."))
    bankfiles.require_other_checker(generated_by_id=run.generated_by_id, actor=actor)
    _check_totals(run)
    run.status, run.approved_by_id, run.approved_by_username = RunStatus.APPROVED, actor.user_id, actor.username
    run.approved_at = timezone.now()
    run.save(update_fields=["status", "approved_by", "approved_by_username", "approved_at"])
    record_event(actor=actor, action="payments.approve_payroll_run", obj=run, before={"status": RunStatus.GENERATED},
                 after={"status": run.status, "total": run.total_amount, "count": run.payment_count})
    return run


# ---------------------------------------------------------------------------------------------
# Bank files
# ---------------------------------------------------------------------------------------------
@transaction.atomic(durable=True)
def export_bank_files(*, actor: Actor, run_id: int) -> dict:
    """Write one CSV per bank (account, name, amount, reference) and a summary (files, counts,
    totals, SHA-256 of each file) for an approved run; its pending payments become `exported`.
    Payments without a bank account are not in any file; the summary lists them apart. Exporting
    again returns the same summary (the files are written once). The files: `bankfiles.py`."""
    actor.require("payments.generate")
    run = get_in_scope(PayrollRun.objects.select_for_update().select_related("area"), actor, pk=run_id)
    if run.status in (RunStatus.EXPORTED, RunStatus.RECONCILED):
        return run.export_summary
    if run.status != RunStatus.APPROVED:
        raise Conflict(_("Only an approved run can be exported: the county leader approves it first."))
    _check_totals(run)
    pending = Payment.objects.filter(run=run, status=PaymentStatus.PENDING)
    summary = bankfiles.export_to_banks(
        folder="payroll", code=run.code,
        rows=pending.order_by("id").values_list("bank_account", "payee_name", "amount", "reference").iterator(chunk_size=5000),
        payable=(run.payable_count, run.payable_amount), no_account=(run.no_account_count, run.no_account_amount),
        whole=(run.payment_count, run.total_amount),
        mark_exported=lambda: pending.update(status=PaymentStatus.EXPORTED))
    run.export_summary = summary
    run.status, run.exported_at = RunStatus.EXPORTED, timezone.now()
    run.save(update_fields=["status", "exported_at", "export_summary"])
    record_event(actor=actor, action="payments.export_bank_files", obj=run, before={"status": RunStatus.APPROVED},
                 after={"files": [b["file"] for b in summary["banks"]], "total": Decimal(summary["files_total"]),
                        "count": summary["files_count"], "summary_sha256": summary["summary_sha256"]})
    return run.export_summary


def exported_file(*, actor: Actor, run_id: int, name: str) -> Path:
    """A bank file or the summary of an exported run, for a post that may read runs and sits at
    the county or above (a town post sees its town's payments, not the county's bank files): the
    one check behind the run page's and the API's download. NotFound for anything else."""
    run = get_run(actor, run_id)
    return bankfiles.exported_path(actor=actor, folder="payroll", code=run.code, summary=run.export_summary, name=name)


# ---------------------------------------------------------------------------------------------
# Bank returns
# ---------------------------------------------------------------------------------------------
def _payments_by_reference(references: list[str]) -> dict[str, tuple]:
    return {ref: (run_pk, run_code, amount, status) for ref, run_pk, run_code, amount, status in
            Payment.objects.filter(reference__in=references).values_list("reference", "run_id", "run__code", "amount", "status")}


@transaction.atomic(durable=True)
def import_bank_returns(*, actor: Actor, run_id: int, file, filename: str) -> bankfiles.ReturnsResult:
    """Apply the bank's return file (reference, amount, result paid/failed, reason) to an exported
    run. Every row is checked first (`bankfiles.check_returns`): a file for another run, an unknown
    reference, an amount that does not match, a payment not sent to the bank, or a reference
    listed twice refuses the WHOLE file with each bad row named; nothing is half-applied. Failed
    payments are carried into the next run generated. The run is reconciled when no payment is
    left awaiting the bank."""
    actor.require("payments.generate")
    run = get_in_scope(PayrollRun.objects.select_for_update().select_related("area"), actor, pk=run_id)
    if run.status != RunStatus.EXPORTED:
        raise Conflict(_("Returns are imported for an exported run; this run is %(status)s.")
                       % {"status": RunStatus(run.status).label})
    updates = bankfiles.check_returns(file=file, filename=filename, run_pk=run.pk, run_code=run.code,
                                      lookup=_payments_by_reference,
                                      status_label=lambda status: PaymentStatus(status).label)
    result = bankfiles.apply_returns(run=run, rows=Payment.objects.filter(run=run), updates=updates, exported=PaymentStatus.EXPORTED,
                                     paid=PaymentStatus.PAID, failed=PaymentStatus.FAILED, reconciled=RunStatus.RECONCILED)
    record_event(actor=actor, action="payments.import_bank_returns", obj=run,
                 after={"file": filename, "paid": result.paid, "failed": result.failed,
                        "failed_amount": result.failed_amount, "reconciled": result.reconciled})
    return result
