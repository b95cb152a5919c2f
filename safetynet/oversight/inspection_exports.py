"""What an inspector sees, as an .xlsx workbook (issue 18 part 5): cases, enrollments, and the
payroll lines of a month, of the post's area (or a town in it).

Each export needs `oversight.export` and the read permission of what it holds (`cases.view`,
`payments.view`), and reads through the post's scope. ID numbers are masked unless the post may
see them whole (`registry.view_id_number`: inspectors may not), bank accounts always are. The
workbook is made for the request and served by the view through `core.privatefiles.answer_file`.
"""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _
from openpyxl import Workbook

from safetynet.cases.models import Case
from safetynet.core.errors import ValidationError
from safetynet.core.masking import mask_id_number
from safetynet.core.scoping import Actor, in_scope
from safetynet.enrollments.models import Enrollment
from safetynet.payroll.models import Payment

EXPORT = "oversight.export"
WHOLE_ID = "registry.view_id_number"
KINDS = ("cases", "enrollments", "payments")


@dataclass
class Export:
    filename: str
    content: bytes
    rows: int


def _id(actor: Actor, number: str) -> str:
    return number if actor.can(WHOLE_ID) else mask_id_number(number)


def _account(number: str) -> str:
    return ("*" * max(0, len(number) - 4) + number[-4:]) if number else ""


def _area(actor: Actor, area_code: str) -> str:
    area_code = (area_code or "").strip()
    if area_code:
        actor.require_area(area_code)
    return area_code or actor.area_code


def _cases(actor: Actor, area: str, month):
    actor.require("cases.view")
    qs = in_scope(Case.objects.all(), actor).filter(area__code__startswith=area).order_by("id")
    header = [_("Case"), _("Program"), _("Area"), _("Applicant"), _("ID number"), _("Status"), _("Applied on"),
              _("Decided on"), _("Proposed amount"), _("Close-relative filing")]
    rows = ([c[0], c[1], c[2], c[3], _id(actor, c[4]), c[5], c[6], c[7], c[8], _("yes") if c[9] else ""]
            for c in qs.values_list("id", "program_id", "area__name", "applicant__name", "applicant__id_number", "status",
                                    "applied_on", "decided_on", "proposed_amount", "is_close_relative").iterator())
    return header, rows


def _enrollments(actor: Actor, area: str, month):
    actor.require("payments.view")
    qs = in_scope(Enrollment.objects.all(), actor).filter(area__code__startswith=area).order_by("id")
    header = [_("Enrollment"), _("Program"), _("Area"), _("Head of household"), _("ID number"), _("Status"),
              _("Monthly amount"), _("From month"), _("Ended on"), _("Case")]
    rows = ([e[0], e[1], e[2], e[3], _id(actor, e[4] or ""), e[5], e[6], e[7], e[8], e[9]]
            for e in qs.values_list("id", "program_id", "area__name", "household__head__name",
                                    "household__head__id_number", "status", "monthly_amount", "start_month", "ended_on",
                                    "case_id").iterator())
    return header, rows


def _payments(actor: Actor, area: str, month):
    actor.require("payments.view")
    if month is None:
        raise ValidationError(_("Choose the month of the payroll."), field="month")
    qs = in_scope(Payment.objects.all(), actor).filter(area__code__startswith=area, month=month).order_by("id")
    header = [_("Reference"), _("Program"), _("Area"), _("Payee"), _("Bank account"), _("Amount"), _("Kind"),
              _("Status"), _("Enrollment")]
    rows = ([p[0], p[1], p[2], p[3], _account(p[4]), p[5], p[6], p[7], p[8]]
            for p in qs.values_list("reference", "program_id", "area__name", "payee_name", "bank_account", "amount", "kind",
                                    "status", "enrollment_id").iterator())
    return header, rows


_READERS = {"cases": _cases, "enrollments": _enrollments, "payments": _payments}


def export_workbook(*, actor: Actor, kind: str, area_code: str = "", month: dt.date | None = None) -> Export:
    """The workbook of `kind` (cases, enrollments, payments of `month`) under `area_code` (the
    post's area when empty)."""
    actor.require(EXPORT)
    if kind not in _READERS:
        raise ValidationError(_("Choose cases, enrollments or payroll lines."), field="kind")
    area = _area(actor, area_code)
    header, rows = _READERS[kind](actor, area, month)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(kind)
    sheet.append(header)
    count = 0
    for row in rows:
        sheet.append(row)
        count += 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    suffix = f"-{month:%Y%m}" if kind == "payments" and month else ""
    return Export(filename=f"{kind}-{area or 'all'}{suffix}.xlsx", content=buffer.getvalue(), rows=count)
