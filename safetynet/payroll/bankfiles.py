"""Paying people through the banks: the rules every run that pays shares (the monthly payroll,
services.py; the work subsidies, funding/subsidy_runs.py), written once.

- Maker-checker (DESIGN.md §1): whoever generated a run does not approve it. `require_other_checker`
  is the service's refusal and `maker_is_not_checker` the database's check constraint, so neither
  kind of run can be approved by its maker even by a write that skips the service.
- The bank files: one CSV per bank (account, name, amount, reference; the bank's own column names,
  with the BOM offices' Excel needs) and a summary for people (files, counts, totals, SHA-256 of
  each file) in a private folder with an unguessable name (`export_to_banks`); nothing is marked
  exported unless the files add up to the run.
- The bank's returns: every row of the file checked first against the run's own references
  (`check_returns`): a file for another run, an unknown reference, an amount that does not match,
  a row not awaiting the bank or listed twice refuses the WHOLE file, each bad row named.
"""
from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import models
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.core.money import format_yuan, parse_money
from safetynet.core.privatefiles import private_root, unguessable
from safetynet.core.scoping import Actor
from safetynet.core.tabular import office_csv, open_office_csv, read_table

from .banks import bank_for_account

# The statuses a paid row goes through at the bank (the payroll's Payment and the subsidies'
# statement use the same words).
EXPORTED, PAID, FAILED = "exported", "paid", "failed"


# ---------------------------------------------------------------------------------------------
# Maker-checker
# ---------------------------------------------------------------------------------------------
def require_other_checker(*, generated_by_id: int | None, actor: Actor) -> None:
    """The checker's refusal: the person who generated the run may not approve it."""
    if generated_by_id is not None and generated_by_id == actor.user_id:
        raise PermissionDenied(_("You generated this run: another person must approve it (maker-checker)."),
                               code="maker_checker")


def maker_is_not_checker(name: str) -> models.CheckConstraint:
    """The same rule as a check constraint on a run's `generated_by` and `approved_by`."""
    return models.CheckConstraint(
        condition=models.Q(approved_by__isnull=True) | models.Q(generated_by__isnull=True)
        | ~models.Q(approved_by=models.F("generated_by")),
        name=name)


# ---------------------------------------------------------------------------------------------
# Bank files
# ---------------------------------------------------------------------------------------------
# The bank's own layout: its system reads these column names, whatever the office's language.
# The file is still a CSV people open in Excel before sending it, so it carries the BOM.
BANK_FILE_COLUMNS = ["account", "name", "amount", "reference"]
# The summary is for people: its headers in the language of the post that exported.
SUMMARY_COLUMNS = [gettext_lazy("Run"), gettext_lazy("Bank code"), gettext_lazy("Bank"), gettext_lazy("File"),
                   gettext_lazy("Payments"), gettext_lazy("Total (yuan)"), gettext_lazy("SHA-256")]


def export_to_banks(*, folder: str, code: str, rows: Iterable[tuple], payable: tuple[int, Decimal],
                    no_account: tuple[int, Decimal], whole: tuple[int, Decimal], mark_exported: Callable[[], int]) -> dict:
    """Write the bank files of run `code` under `<private root>/<folder>/<code>-<random>/` from
    `rows` (account, name, amount, reference: the rows to send, in order), and its summary; then
    `mark_exported()` marks those rows exported and answers how many it marked. `payable`,
    `no_account` and `whole` are the run's stored (count, total): refused (Conflict), with nothing
    left behind, when the files do not add up to them. Returns the export summary (`directory`:
    the folder's name, kept on the run)."""
    name = unguessable(code)
    directory = private_root() / folder / name
    directory.mkdir(parents=True)
    try:
        summary = _write(code, directory, rows, payable, no_account, whole)
        if mark_exported() != summary["files_count"]:
            raise Conflict(_("The run changed while its files were written: export again."))
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)   # nothing half-written stays behind
        raise
    return {**summary, "directory": name}


def _write(code: str, directory: Path, rows: Iterable[tuple], payable, no_account, whole) -> dict:
    writers: dict[str, tuple] = {}
    banks: dict[str, dict] = {}
    for account, name, amount, reference in rows:
        bank, bank_name = bank_for_account(account)
        if bank not in writers:
            writers[bank] = open_office_csv(directory / f"{code}-{bank}.csv", BANK_FILE_COLUMNS)
            banks[bank] = {"bank": bank, "bank_name": bank_name, "file": f"{code}-{bank}.csv", "count": 0,
                           "total": Decimal("0.00")}
        writers[bank][1].writerow([account, name, f"{amount:.2f}", reference])
        banks[bank]["count"] += 1
        banks[bank]["total"] += amount
    for handle, _writer in writers.values():
        handle.close()
    files_total = sum((b["total"] for b in banks.values()), Decimal("0.00"))
    files_count = sum(b["count"] for b in banks.values())
    if files_total != payable[1] or files_count != payable[0] or payable[1] + no_account[1] != whole[1]:
        raise Conflict(_("The bank files (%(files)s) do not add up to the run's payable total (%(run)s): nothing was "
                         "exported.") % {"files": format_yuan(files_total), "run": format_yuan(payable[1])})
    for bank in banks.values():
        bank["sha256"] = hashlib.sha256((directory / bank["file"]).read_bytes()).hexdigest()
        bank["total"] = f"{bank['total']:.2f}"
    summary_rows = sorted(banks.values(), key=lambda b: b["bank"])
    table = [[code, bank["bank"], bank["bank_name"], bank["file"], bank["count"], bank["total"], bank["sha256"]]
             for bank in summary_rows]
    table += [[code, "", _("Total in the bank files"), "", files_count, f"{files_total:.2f}", ""],
              [code, "", _("Without a bank account"), "", no_account[0], f"{no_account[1]:.2f}", ""],
              [code, "", _("Whole run"), "", whole[0], f"{whole[1]:.2f}", ""]]
    summary_bytes = office_csv(SUMMARY_COLUMNS, table)
    (directory / f"{code}-summary.csv").write_bytes(summary_bytes)
    return {
        "banks": summary_rows, "files_count": files_count, "files_total": f"{files_total:.2f}",
        "no_account_count": no_account[0], "no_account_total": f"{no_account[1]:.2f}",
        "run_total": f"{whole[1]:.2f}", "payment_count": whole[0],
        "summary_file": f"{code}-summary.csv", "summary_sha256": hashlib.sha256(summary_bytes).hexdigest(),
    }


def exported_path(*, actor: Actor, folder: str, code: str, summary: dict | None, name: str) -> Path:
    """A bank file or the summary of an exported run, for a post at the county or above (a town
    post sees its town's rows, not the county's bank files): NotFound for anything else."""
    summary = summary or {}
    names = {b["file"] for b in summary.get("banks", [])} | {summary.get("summary_file")}
    path = private_root() / folder / (summary.get("directory") or code) / str(name)
    if not (actor.is_national or len(actor.area_code) <= 6) or not name or name not in names or not path.is_file():
        raise NotFound(_("Not found."))
    return path


# ---------------------------------------------------------------------------------------------
# Bank returns
# ---------------------------------------------------------------------------------------------
RETURN_ALIASES = {"流水号": "reference", "参考号": "reference", "金额": "amount", "结果": "result", "原因": "reason",
                  "status": "result", "账号": "account"}
RESULTS = {"paid": PAID, "ok": PAID, "success": PAID, "成功": PAID, "failed": FAILED, "fail": FAILED, "失败": FAILED}
MAX_ROW_ERRORS = 50


def check_returns(*, file, filename: str, run_pk: int, run_code: str,
                  lookup: Callable[[list[str]], dict[str, tuple]], status_label: Callable[[str], str]
                  ) -> dict[tuple[str, str], list[str]]:
    """The bank's return file (reference, amount, result paid/failed, reason) checked row by row
    against the rows `lookup(references)` finds ({reference: (run pk, run code, amount, status)},
    for any run of the same kind). Returns the references to update by (new status, reason), or
    refuses the whole file (ValidationError "bad_returns", every bad row in `details["rows"]`)."""
    table = read_table(file, filename=filename, required=["reference", "amount", "result"], aliases=RETURN_ALIASES)
    if not table.rows:
        raise ValidationError(_("The file has no rows."), field="file")
    references = [values["reference"] for _n, values in table.rows]
    found: dict[str, tuple] = {}
    for start in range(0, len(references), 500):
        found.update(lookup(references[start:start + 500]))
    errors: list[str] = []
    seen: set[str] = set()
    other_runs: set[str] = set()
    updates: dict[tuple[str, str], list[str]] = {}
    for number, values in table.rows:
        ref = values["reference"]
        if not ref:
            errors.append(_("Row %(row)s: the reference is empty.") % {"row": number})
            continue
        if ref in seen:
            errors.append(_("Row %(row)s: reference %(ref)s is listed twice.") % {"row": number, "ref": ref})
            continue
        seen.add(ref)
        row = found.get(ref)
        if row is None:
            errors.append(_("Row %(row)s: unknown reference %(ref)s.") % {"row": number, "ref": ref})
            continue
        owner_pk, owner_code, amount, status = row
        if owner_pk != run_pk:
            other_runs.add(owner_code)
            errors.append(_("Row %(row)s: reference %(ref)s belongs to run %(other)s, not to run %(run)s.")
                          % {"row": number, "ref": ref, "other": owner_code, "run": run_code})
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
        if status != EXPORTED:
            errors.append(_("Row %(row)s: payment %(ref)s was not awaiting the bank (it is %(status)s).")
                          % {"row": number, "ref": ref, "status": status_label(status)})
            continue
        reason = (values.get("reason") or "")[:200] if result == FAILED else ""
        updates.setdefault((result, reason), []).append(ref)
    if errors:
        if other_runs and len(other_runs) == 1 and all(r in found and found[r][0] != run_pk for r in seen):
            message = _("This file is for run %(other)s, not for run %(run)s: nothing was applied.") \
                % {"other": next(iter(other_runs)), "run": run_code}
        else:
            message = _("%(count)s rows are wrong, nothing was applied. %(first)s") % {"count": len(errors), "first": errors[0]}
        raise ValidationError(message, field="file", code="bad_returns", details={"rows": errors[:MAX_ROW_ERRORS]})
    return updates


@dataclass
class ReturnsResult:
    paid: int = 0
    failed: int = 0
    failed_amount: Decimal = Decimal("0.00")
    reconciled: bool = False
    errors: list = field(default_factory=list)


def apply_returns(*, run, rows, updates: dict, exported: str, paid: str, failed: str, reconciled: str) -> ReturnsResult:
    """Write the bank's answers (`check_returns`' updates) to the run's `rows` (a queryset of its
    payments or statements) still exported, in chunks; the run is reconciled once none is left
    exported. The one code for payroll runs and subsidy runs; the caller records the audit event."""
    result = ReturnsResult()
    for (status, reason), refs in updates.items():
        for start in range(0, len(refs), 500):
            count = rows.filter(reference__in=refs[start:start + 500], status=exported).update(
                status=status, return_reason=reason)
            if status == paid:
                result.paid += count
            else:
                result.failed += count
    result.failed_amount = rows.filter(status=failed).aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    if not rows.filter(status=exported).exists():
        run.status, run.reconciled_at = reconciled, timezone.now()
        run.save(update_fields=["status", "reconciled_at"])
        result.reconciled = True
    return result
