"""The case steps of a manual medical reimbursement that medical takes (issue 20 part 4), as rows of
cases' one step table (cases/steps.py): the town's opinion on the bill and the county's approval,
which settles it. Registered from `MedicalConfig.ready()` (`register_steps`), so the case page, its
forms and the API (`POST /api/v1/cases/{id}/review_reimbursement`, `.../approve_reimbursement`)
offer them like any other step; who may take them is the workflow's row (cases/workflow.py). The
refusal is cases' own step (`refuse_reimbursement`; over the API `POST /api/v1/cases/{id}/refuse`).
"""
from __future__ import annotations

from django.utils.translation import gettext as _

from safetynet.cases import steps
from safetynet.cases.forms import NoteForm, OpinionForm
from safetynet.cases.models import Case
from safetynet.cases.schemas import NoteIn, OpinionIn
from safetynet.core.money import format_yuan

from . import reimbursement
from .reimbursement_selectors import bill_of_case, category_names, quote_reimbursement


def default_opinion(case: Case) -> dict:
    """The opinion the form offers, from today's quote: a worker who agrees signs with one submit."""
    row = bill_of_case(case.pk)
    if row is None:
        return {}
    quote = quote_reimbursement(row)
    if quote.ok:
        name = category_names(row.area_id, quote.best.category_code)
        text = _("Bill and receipts checked: eligible self-paid cost %(eligible)s; as %(category)s the assistance comes to "
                 "%(amount)s.") % {"eligible": format_yuan(row.eligible_self_paid), "category": name[0],
                                   "amount": format_yuan(quote.best.assistance)}
    else:
        text = _("Bill and receipts checked: eligible self-paid cost %(eligible)s. Today the formula gives nothing: "
                 "%(why)s") % {"eligible": format_yuan(row.eligible_self_paid), "why": quote.refusal}
    return {"opinion": text}


def _reviewed(actor, case: Case, result: Case, body) -> str:
    return _("Town opinion recorded. Next: the county settles the bill or refuses it, by %(date)s.") % {
        "date": result.next_due.isoformat() if result.next_due else "-"}


def _settled(actor, case: Case, decision, body) -> str:
    return _("Approved and settled: %(amount)s for this bill. The decision letter is ready to print.") % {
        "amount": format_yuan(decision.monthly_amount)}


STEPS = (
    steps.Step("review_reimbursement", reimbursement.review_reimbursement, lambda body: {"opinion": body.get("opinion")},
               OpinionForm, default_opinion, done=_reviewed,
               endpoint=steps.Endpoint("review_reimbursement", "review_reimbursement",
                                       "Medical reimbursement: the town's opinion on the bill and its receipts", OpinionIn)),
    steps.Step("approve_reimbursement", reimbursement.approve_reimbursement, lambda body: {"note": body.get("note")},
               NoteForm, template="medical/forms/_approve_reimbursement.html", done=_settled,
               endpoint=steps.Endpoint("approve_reimbursement", "approve_reimbursement",
                                       "Medical reimbursement: approve, settling the bill with the cashier's formula and "
                                       "annual cap", NoteIn)),
)


def register_steps() -> None:
    for step in STEPS:
        steps.register(step)
