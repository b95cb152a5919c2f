"""A month's subsidy run paid through the payroll's machinery (issue 19 part 3): approved by a
county leader who did not generate it (`payroll/bankfiles.require_other_checker`, and the
database's check), charged to the towns' subsidy budgets on approval (`budgets.charge_budget`),
exported as bank files (private, office CSV) by the county officer, reconciled from the bank's
returns (`bankfiles.check_returns`). Nothing is paid twice: a line is unique per work and kind, is
on one statement, a statement is once per person and run, and only a statement awaiting the bank
can be marked paid.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.core.audit import record_event
from safetynet.core.errors import Conflict, ValidationError
from safetynet.core.scoping import Actor, get_in_scope
from safetynet.payroll import bankfiles

from . import budgets
from .models import BudgetCharge, BudgetKind, OverrunApproval, StatementStatus, SubsidyLine, SubsidyRun, SubsidyRunStatus, SubsidyStatement
from .scope import APPROVE_OVERRUN, APPROVE_RUN, SUBSIDIES
from .selectors import get_run
from .subsidies import check_totals, frozen_message, statement_status_label

SOURCE = "subsidy_run"
FOLDER = "subsidies"


def _locked(actor: Actor, run_id: int) -> SubsidyRun:
    return get_in_scope(SubsidyRun.objects.select_for_update().select_related("area"), actor, pk=run_id)


def charges_of(run: SubsidyRun) -> list[tuple[str, Decimal]]:
    """(town, amount) the run spends from each town's subsidy budget: its lines not charged yet
    (a line carried from an earlier run was charged with it)."""
    rows = (SubsidyLine.objects.filter(run=run, budget_charged=False).order_by().annotate(town=Substr("area_id", 1, 9))
            .values("town").annotate(total=Sum("amount")).order_by("town"))
    return [(row["town"], row["total"]) for row in rows if row["total"]]


def budget_checks(run: SubsidyRun, on: dt.date) -> list[dict]:
    """How each town's charge would stand (for the approver's page, nothing written)."""
    checks = []
    for town, amount in charges_of(run):
        try:
            check = budgets.check_charge(area_code=town, year=run.month.year, kind=BudgetKind.SUBSIDIES, amount=amount, on=on)
            checks.append({"town": town, "amount": amount, "check": check, "refusal": check.refusal() if check.overrun else "",
                           "warning": check.warning()})
        except ValidationError as error:
            checks.append({"town": town, "amount": amount, "check": None, "refusal": error.message, "warning": ""})
    return checks


@transaction.atomic(durable=True)
def approve_subsidy_run(*, actor: Actor, run_id: int, on: dt.date, overrun_reason: str = "") -> SubsidyRun:
    """The checker's signature (`payments.approve`, not the run's generator): the run is charged
    to each town's subsidy budget of its year and frozen. A town with no budget line, or whose
    line the charge would pass, refuses the approval, every such town named; with
    `overrun_reason`, a post holding `funding.approve_overrun` approves the overruns first (who and
    why are kept on each charge). `run.budget_warnings` lists the lines near their end."""
    actor.require(APPROVE_RUN)
    run = _locked(actor, run_id)
    if run.is_frozen:
        raise Conflict(frozen_message(run), code="run_frozen")
    bankfiles.require_other_checker(generated_by_id=run.generated_by_id, actor=actor)
    if run.status != SubsidyRunStatus.GENERATED or not run.statement_count:
        raise Conflict(_("The run has no subsidies to approve: generate it first."), code="nothing_to_approve")
    check_totals(run)
    checks = budget_checks(run, on)
    refused = [c for c in checks if c["check"] is None]
    over = [c for c in checks if c["check"] is not None and c["check"].overrun > 0]
    if over and overrun_reason:
        actor.require(APPROVE_OVERRUN)
        for c in over:
            budgets.record_overrun(actor=actor, area_code=c["town"], year=run.month.year, kind=BudgetKind.SUBSIDIES,
                                   source_kind=SOURCE, source_key=f"{run.code}:{c['town']}", amount=c["amount"],
                                   reason=overrun_reason)
    elif over:
        refused += [c for c in over if not OverrunApproval.objects.filter(
            source_kind=SOURCE, source_key=f"{run.code}:{c['town']}", amount__gte=c["amount"]).exists()]
    if refused:
        message = refused[0]["refusal"] if len(refused) == 1 else (
            _("%(count)s towns cannot be charged, the run was not approved. %(first)s")
            % {"count": len(refused), "first": refused[0]["refusal"]})
        error = budgets.BudgetOverrun if any(c["check"] is not None for c in refused) else ValidationError
        raise error(message, field="budget", details={"rows": [c["refusal"] for c in refused]})
    warnings = []
    for town, amount in charges_of(run):
        result = budgets.charge_budget(actor=actor, area_code=town, kind=BudgetKind.SUBSIDIES, amount=amount,
                                       source_kind=SOURCE, source_key=f"{run.code}:{town}", on=on, year=run.month.year,
                                       description=run.code)
        if result.warning:
            warnings.append(result.warning)
    SubsidyLine.objects.filter(run=run, budget_charged=False).update(budget_charged=True)
    run.status, run.approved_by_id, run.approved_by_username = SubsidyRunStatus.APPROVED, actor.user_id, actor.username
    run.approved_at = timezone.now()
    run.save(update_fields=["status", "approved_by", "approved_by_username", "approved_at"])
    record_event(actor=actor, action="funding.approve_subsidy_run", obj=run, before={"status": SubsidyRunStatus.GENERATED},
                 after={"status": run.status, "total": run.total_amount, "people": run.statement_count,
                        "charged": {town: amount for town, amount in [(c["town"], c["amount"]) for c in checks]},
                        "overrun_reason": overrun_reason, "warnings": warnings})
    run.budget_warnings = warnings
    return run


@transaction.atomic(durable=True)
def export_subsidy_run(*, actor: Actor, run_id: int) -> dict:
    """One CSV per bank and the summary for an approved run (payroll/bankfiles.py); its pending
    statements become `exported`; those without an account are listed apart (a run with nobody to
    pay through a bank is reconciled at once). Exporting again returns the same summary."""
    actor.require(SUBSIDIES)
    run = _locked(actor, run_id)
    if run.status in (SubsidyRunStatus.EXPORTED, SubsidyRunStatus.RECONCILED):
        return run.export_summary
    if run.status != SubsidyRunStatus.APPROVED:
        raise Conflict(_("Only an approved run can be exported: the county leader approves it first."),
                       code="not_approved")
    check_totals(run)
    pending = SubsidyStatement.objects.filter(run=run, status=StatementStatus.PENDING)
    summary = bankfiles.export_to_banks(
        folder=FOLDER, code=run.code,
        rows=pending.order_by("id").values_list("bank_account", "name", "amount", "reference").iterator(chunk_size=5000),
        payable=(run.payable_count, run.payable_amount), no_account=(run.no_account_count, run.no_account_amount),
        whole=(run.statement_count, run.total_amount),
        mark_exported=lambda: pending.update(status=StatementStatus.EXPORTED))
    run.export_summary = summary
    run.status, run.exported_at = SubsidyRunStatus.EXPORTED, timezone.now()
    if not summary["files_count"]:   # nobody to pay through a bank (all without an account): nothing awaits it
        run.status, run.reconciled_at = SubsidyRunStatus.RECONCILED, run.exported_at
    run.save(update_fields=["status", "exported_at", "reconciled_at", "export_summary"])
    record_event(actor=actor, action="funding.export_subsidy_run", obj=run, before={"status": SubsidyRunStatus.APPROVED},
                 after={"files": [b["file"] for b in summary["banks"]], "total": Decimal(summary["files_total"]),
                        "count": summary["files_count"], "summary_sha256": summary["summary_sha256"]})
    return run.export_summary


def exported_file(*, actor: Actor, run_id: int, name: str) -> Path:
    """A bank file or the summary of an exported run: for a post at the county (NotFound otherwise)."""
    run = get_run(actor, run_id)
    return bankfiles.exported_path(actor=actor, folder=FOLDER, code=run.code, summary=run.export_summary, name=name)


def _statements_by_reference(references: list[str]) -> dict[str, tuple]:
    return {ref: (run_pk, code, amount, status) for ref, run_pk, code, amount, status in
            SubsidyStatement.objects.filter(reference__in=references).values_list("reference", "run_id", "run__code",
                                                                                   "amount", "status")}


@transaction.atomic(durable=True)
def import_subsidy_returns(*, actor: Actor, run_id: int, file, filename: str) -> bankfiles.ReturnsResult:
    """The bank's return file applied to an exported run: all rows or none (each bad row named);
    failed statements are carried into the next run generated; reconciled when none awaits the bank."""
    actor.require(SUBSIDIES)
    run = _locked(actor, run_id)
    if run.status != SubsidyRunStatus.EXPORTED:
        raise Conflict(_("Returns are imported for an exported run; this run is %(status)s.")
                       % {"status": SubsidyRunStatus(run.status).label}, code="not_exported")
    updates = bankfiles.check_returns(file=file, filename=filename, run_pk=run.pk, run_code=run.code,
                                      lookup=_statements_by_reference, status_label=statement_status_label)
    result = bankfiles.apply_returns(run=run, rows=SubsidyStatement.objects.filter(run=run), updates=updates, exported=StatementStatus.EXPORTED,
                                     paid=StatementStatus.PAID, failed=StatementStatus.FAILED, reconciled=SubsidyRunStatus.RECONCILED)
    record_event(actor=actor, action="funding.import_subsidy_returns", obj=run,
                 after={"file": filename, "paid": result.paid, "failed": result.failed,
                        "failed_amount": result.failed_amount, "reconciled": result.reconciled})
    return result


def run_budget_warnings(actor: Actor, run: SubsidyRun, on: dt.date) -> list[str]:
    """The warnings, as they stand on `on` and in the reader's language, of the budget lines the
    run was charged to (each line near or past its end)."""
    lines = set(BudgetCharge.objects.filter(source_kind=SOURCE, source_key__startswith=f"{run.code}:")
                .values_list("line_id", flat=True))
    if not lines:
        return []
    return [s.warning for s in budgets.spending(actor, year=run.month.year, on=on, kind=BudgetKind.SUBSIDIES)
            if s.line.pk in lines and s.state != "ok"]
