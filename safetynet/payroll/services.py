"""Every write of the payments app: enrollment changes, payroll generation, approval, the bank
files and the bank's returns (issue 5 parts 1–2).

Maker-checker (DESIGN.md §1): a county officer generates and exports (`payments.generate`), a
county leader who is a different person approves (`payments.approve`). An approved run is frozen.
The money adds up at every step: a run's total equals the sum of its payments, and the bank files'
total equals the run's payable total; each service checks it before it commits.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Callable

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safetynet.areas.models import Area
from safetynet.core.audit import record_event
from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.core.money import format_yuan, parse_money
from safetynet.core.privatefiles import private_root, unguessable
from safetynet.core.scoping import Actor, get_in_scope
from safetynet.core.tabular import office_csv, open_office_csv, read_table
from safetynet.enrollments import decisions, schedule
from safetynet.enrollments.change_selectors import county_in_scope as _county
from safetynet.enrollments.models import EnrollmentChange, EnrollmentStatus
from safetynet.enrollments.months import parse_month
from safetynet.enrollments.schedule import Segment

from . import generation, summaries
from .banks import bank_for_account
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
    if run.generated_by_id is not None and run.generated_by_id == actor.user_id:
        raise PermissionDenied(_("You generated this run: another person must approve it (maker-checker)."),
                               code="maker_checker")
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
# The bank's own layout: its system reads these column names, whatever the office's language.
# The file is still a CSV people open in Excel before sending it, so it carries the BOM.
BANK_FILE_COLUMNS = ["account", "name", "amount", "reference"]
# The summary is for people: its headers in the language of the post that exported.
SUMMARY_COLUMNS = [gettext_lazy("Run"), gettext_lazy("Bank code"), gettext_lazy("Bank"), gettext_lazy("File"),
                   gettext_lazy("Payments"), gettext_lazy("Total (yuan)"), gettext_lazy("SHA-256")]


@transaction.atomic(durable=True)
def export_bank_files(*, actor: Actor, run_id: int) -> dict:
    """Write one CSV per bank (account, name, amount, reference) and a summary (files, counts,
    totals, SHA-256 of each file) for an approved run; its pending payments become `exported`.
    Payments without a bank account are not in any file; the summary lists them apart. Exporting
    again returns the same summary (the files are written once)."""
    actor.require("payments.generate")
    run = get_in_scope(PayrollRun.objects.select_for_update().select_related("area"), actor, pk=run_id)
    if run.status in (RunStatus.EXPORTED, RunStatus.RECONCILED):
        return run.export_summary
    if run.status != RunStatus.APPROVED:
        raise Conflict(_("Only an approved run can be exported: the county leader approves it first."))
    totals = _check_totals(run)
    folder = unguessable(run.code)
    directory = private_root() / "payroll" / folder
    directory.mkdir(parents=True)
    try:
        summary = _write_bank_files(run, directory, totals)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)   # nothing half-written stays behind
        raise
    run.export_summary = {**summary, "directory": folder}
    run.status, run.exported_at = RunStatus.EXPORTED, timezone.now()
    run.save(update_fields=["status", "exported_at", "export_summary"])
    record_event(actor=actor, action="payments.export_bank_files", obj=run, before={"status": RunStatus.APPROVED},
                 after={"files": [b["file"] for b in summary["banks"]], "total": Decimal(summary["files_total"]),
                        "count": summary["files_count"], "summary_sha256": summary["summary_sha256"]})
    return run.export_summary


def _write_bank_files(run: PayrollRun, directory: Path, totals: dict) -> dict:
    """The bank files and the summary written into `directory`; their pending payments marked
    exported. Refuses (Conflict) when the files do not add up to the run."""
    writers: dict[str, tuple] = {}
    banks: dict[str, dict] = {}
    rows = (Payment.objects.filter(run=run, status=PaymentStatus.PENDING).order_by("id")
            .values_list("bank_account", "payee_name", "amount", "reference"))
    for account, name, amount, reference in rows.iterator(chunk_size=5000):
        code, bank_name = bank_for_account(account)
        if code not in writers:
            writers[code] = open_office_csv(directory / f"{run.code}-{code}.csv", BANK_FILE_COLUMNS)
            banks[code] = {"bank": code, "bank_name": bank_name, "file": f"{run.code}-{code}.csv", "count": 0,
                           "total": Decimal("0.00")}
        writers[code][1].writerow([account, name, f"{amount:.2f}", reference])
        banks[code]["count"] += 1
        banks[code]["total"] += amount
    for handle, _writer in writers.values():
        handle.close()
    files_total = sum((b["total"] for b in banks.values()), Decimal("0.00"))
    files_count = sum(b["count"] for b in banks.values())
    if files_total != run.payable_amount or files_count != run.payable_count \
            or run.payable_amount + run.no_account_amount != run.total_amount:
        raise Conflict(_("The bank files (%(files)s) do not add up to the run's payable total (%(run)s): nothing was "
                         "exported.") % {"files": format_yuan(files_total), "run": format_yuan(run.payable_amount)})
    for bank in banks.values():
        bank["sha256"] = hashlib.sha256((directory / bank["file"]).read_bytes()).hexdigest()
        bank["total"] = f"{bank['total']:.2f}"
    summary_rows = sorted(banks.values(), key=lambda b: b["bank"])
    rows = [[run.code, bank["bank"], bank["bank_name"], bank["file"], bank["count"], bank["total"], bank["sha256"]]
            for bank in summary_rows]
    rows += [[run.code, "", _("Total in the bank files"), "", files_count, f"{files_total:.2f}", ""],
             [run.code, "", _("Without a bank account"), "", run.no_account_count, f"{run.no_account_amount:.2f}", ""],
             [run.code, "", _("Whole run"), "", run.payment_count, f"{run.total_amount:.2f}", ""]]
    summary_bytes = office_csv(SUMMARY_COLUMNS, rows)
    (directory / f"{run.code}-summary.csv").write_bytes(summary_bytes)
    exported = Payment.objects.filter(run=run, status=PaymentStatus.PENDING).update(status=PaymentStatus.EXPORTED)
    if exported != files_count:
        raise Conflict(_("The run changed while its files were written: export again."))
    return {
        "banks": summary_rows, "files_count": files_count, "files_total": f"{files_total:.2f}",
        "no_account_count": run.no_account_count, "no_account_total": f"{run.no_account_amount:.2f}",
        "run_total": f"{run.total_amount:.2f}", "payment_count": totals["payment_count"],
        "summary_file": f"{run.code}-summary.csv", "summary_sha256": hashlib.sha256(summary_bytes).hexdigest(),
    }


def exported_file(*, actor: Actor, run_id: int, name: str) -> Path:
    """A bank file or the summary of an exported run, for a post that may read runs and sits at
    the county or above (a town post sees its town's payments, not the county's bank files): the
    one check behind the run page's and the API's download. NotFound for anything else."""
    run = get_run(actor, run_id)
    summary = run.export_summary or {}
    names = {b["file"] for b in summary.get("banks", [])} | {summary.get("summary_file")}
    path = export_directory(run) / str(name)
    if not (actor.is_national or len(actor.area_code) <= 6) or not name or name not in names or not path.is_file():
        raise NotFound(_("Not found."))
    return path


# ---------------------------------------------------------------------------------------------
# Bank returns
# ---------------------------------------------------------------------------------------------
RETURN_ALIASES = {"流水号": "reference", "参考号": "reference", "金额": "amount", "结果": "result", "原因": "reason",
                  "status": "result", "账号": "account"}
RESULTS = {"paid": PaymentStatus.PAID, "ok": PaymentStatus.PAID, "success": PaymentStatus.PAID, "成功": PaymentStatus.PAID,
           "failed": PaymentStatus.FAILED, "fail": PaymentStatus.FAILED, "失败": PaymentStatus.FAILED}
MAX_ROW_ERRORS = 50


@dataclass
class ReturnsResult:
    paid: int = 0
    failed: int = 0
    failed_amount: Decimal = Decimal("0.00")
    reconciled: bool = False
    errors: list = field(default_factory=list)


@transaction.atomic(durable=True)
def import_bank_returns(*, actor: Actor, run_id: int, file, filename: str) -> ReturnsResult:
    """Apply the bank's return file (reference, amount, result paid/failed, reason) to an exported
    run. Every row is checked first: a file for another run, an unknown reference, an amount that
    does not match, a payment not sent to the bank, or a reference listed twice refuses the WHOLE
    file with each bad row named; nothing is half-applied. Failed payments are carried into the
    next run generated. The run is reconciled when no payment is left awaiting the bank."""
    actor.require("payments.generate")
    run = get_in_scope(PayrollRun.objects.select_for_update().select_related("area"), actor, pk=run_id)
    if run.status != RunStatus.EXPORTED:
        raise Conflict(_("Returns are imported for an exported run; this run is %(status)s.")
                       % {"status": RunStatus(run.status).label})
    table = read_table(file, filename=filename, required=["reference", "amount", "result"], aliases=RETURN_ALIASES)
    if not table.rows:
        raise ValidationError(_("The file has no rows."), field="file")
    references = [values["reference"] for _n, values in table.rows]
    found: dict[str, tuple] = {}
    for start in range(0, len(references), 500):
        chunk = references[start:start + 500]
        for ref, run_pk, run_code, amount, status in (Payment.objects.filter(reference__in=chunk)
                                                        .values_list("reference", "run_id", "run__code", "amount", "status")):
            found[ref] = (run_pk, run_code, amount, status)
    errors: list[str] = []
    seen: set[str] = set()
    other_runs: set[str] = set()
    updates: dict[tuple, list[str]] = {}
    for number, values in table.rows:
        ref = values["reference"]
        if not ref:
            errors.append(_("Row %(row)s: the reference is empty.") % {"row": number})
            continue
        if ref in seen:
            errors.append(_("Row %(row)s: reference %(ref)s is listed twice.") % {"row": number, "ref": ref})
            continue
        seen.add(ref)
        payment = found.get(ref)
        if payment is None:
            errors.append(_("Row %(row)s: unknown reference %(ref)s.") % {"row": number, "ref": ref})
            continue
        run_pk, run_code, amount, status = payment
        if run_pk != run.pk:
            other_runs.add(run_code)
            errors.append(_("Row %(row)s: reference %(ref)s belongs to run %(other)s, not to run %(run)s.")
                          % {"row": number, "ref": ref, "other": run_code, "run": run.code})
            continue
        try:
            returned = parse_money(values["amount"], field="amount")
        except ValidationError as error:
            errors.append(_("Row %(row)s: %(reason)s") % {"row": number, "reason": error.message})
            continue
        if returned != amount:
            errors.append(_("Row %(row)s: amount %(returned)s does not match the payment's %(amount)s (reference %(ref)s).")
                          % {"row": number, "returned": f"{returned:.2f}", "amount": f"{amount:.2f}", "ref": ref})
            continue
        result = RESULTS.get(values["result"].strip().lower())
        if result is None:
            errors.append(_("Row %(row)s: the result must be paid or failed, not %(value)s.")
                          % {"row": number, "value": values["result"] or "—"})
            continue
        if status != PaymentStatus.EXPORTED:
            errors.append(_("Row %(row)s: payment %(ref)s was not awaiting the bank (it is %(status)s).")
                          % {"row": number, "ref": ref, "status": PaymentStatus(status).label})
            continue
        reason = (values.get("reason") or "")[:200] if result == PaymentStatus.FAILED else ""
        updates.setdefault((result, reason), []).append(ref)
    if errors:
        if other_runs and len(other_runs) == 1 and all(r in found and found[r][0] != run.pk for r in seen):
            message = _("This file is for run %(other)s, not for run %(run)s: nothing was applied.") \
                % {"other": next(iter(other_runs)), "run": run.code}
        else:
            message = _("%(count)s rows are wrong, nothing was applied. %(first)s") % {"count": len(errors), "first": errors[0]}
        raise ValidationError(message, field="file", code="bad_returns", details={"rows": errors[:MAX_ROW_ERRORS]})
    result = ReturnsResult()
    for (status, reason), refs in updates.items():
        for start in range(0, len(refs), 500):
            count = Payment.objects.filter(run=run, reference__in=refs[start:start + 500],
                                           status=PaymentStatus.EXPORTED).update(status=status, return_reason=reason)
            if status == PaymentStatus.PAID:
                result.paid += count
            else:
                result.failed += count
    result.failed_amount = (Payment.objects.filter(run=run, status=PaymentStatus.FAILED)
                            .aggregate(total=Sum("amount"))["total"] or Decimal("0.00"))
    if not Payment.objects.filter(run=run, status=PaymentStatus.EXPORTED).exists():
        run.status, run.reconciled_at = RunStatus.RECONCILED, timezone.now()
        run.save(update_fields=["status", "reconciled_at"])
        result.reconciled = True
    record_event(actor=actor, action="payments.import_bank_returns", obj=run,
                 after={"file": filename, "paid": result.paid, "failed": result.failed,
                        "failed_amount": result.failed_amount, "reconciled": result.reconciled})
    return result
