"""Reads of manual medical reimbursements (issue 20 part 4), through the post's scope: the bills
filed, one bill with its case, and what the bill would get today (`quote_reimbursement`: the
cashier's own formula, `settlements.quote_bill`, written nowhere).

A bill is the case's: it is in scope where its case is (the household's area, copied onto the
bill so the list is one indexed prefix match); outside it, NotFound (404).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from safetynet.core.errors import NotFound, ValidationError
from safetynet.core.scoping import Actor, get_in_scope, in_scope

from .models import ReimbursementBill, Settlement, SettlementStatus
from .rules import Assessment
from .settlements import Bill, quote_bill
from .terms import categories_for

VIEW = "medical.view"


def reimbursements_in_scope(actor: Actor) -> QuerySet[ReimbursementBill]:
    actor.require(VIEW)
    return in_scope(ReimbursementBill.objects.select_related("case", "person", "area"), actor)


def get_reimbursement(actor: Actor, case_id) -> ReimbursementBill:
    """The bill of case `case_id`, in the post's area (NotFound otherwise)."""
    actor.require(VIEW)
    try:
        number = int(case_id)
    except (TypeError, ValueError):
        raise NotFound(_("Not found.")) from None
    return get_in_scope(ReimbursementBill.objects.select_related("case", "person", "area"), actor, case_id=number)


def bill_of_case(case_id: int) -> ReimbursementBill | None:
    """The bill filed with a case (for the case page's card and the case steps, which have checked
    the case's scope already)."""
    return ReimbursementBill.objects.select_related("person").filter(case_id=case_id).first()


def settlement_of(case_id: int) -> Settlement | None:
    """The settlement a case's approval wrote (the live one, else the latest reversed)."""
    rows = list(Settlement.objects.filter(case_id=case_id).order_by("-id"))
    return next((s for s in rows if s.status == SettlementStatus.SETTLED), rows[0] if rows else None)


@dataclass(frozen=True)
class Quote:
    """What the bill would get today: the assessment applied (the most favorable category) and
    every category's, or why it gets nothing (`refusal`, with the error's `code`)."""

    bill: Bill | None
    best: Assessment | None
    every: tuple[Assessment, ...] = ()
    refusal: str = ""
    code: str = ""

    @property
    def ok(self) -> bool:
        return self.best is not None


def quote_reimbursement(row: ReimbursementBill, *, on: dt.date | None = None) -> Quote:
    """The same calculation the county's approval makes (`settlements.quote_bill`: the person's
    categories on `on`, the terms in force, what the year already holds), written nowhere. A
    person in no category (enrollment pending, say) gets the refusal's words, not an error: the
    application stands and is judged on the day it is decided."""
    try:
        bill, best, every = quote_bill(row.person_id, row.bill_data(), on=on)
    except ValidationError as exc:
        return Quote(None, None, (), exc.message, exc.code or "")
    return Quote(bill, best, tuple(every))


def category_names(area_code: str, code: str) -> tuple[str, str]:
    """(Chinese, English) name of a category as the person's county keeps it."""
    category = categories_for(area_code).get(code)
    return (category.name_zh, category.name_en) if category else (code, code)
