"""The pages of manual medical reimbursement (issue 20 part 4): the list of bills filed in the
post's area (`/medical/reimbursements/`), filing one (`/medical/reimbursements/new/`: find the
household, then the patient and the bill), and the card the case page shows for a medical case
(the bill; before the decision the quote, after it the settlement).

Thin adapters: reads through `reimbursement_selectors`, the filing through
`reimbursement.apply_for_reimbursement` (the same function the API calls); every step after
filing is a case step on the case page.
"""
from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from safetynet.cases import pages as case_pages
from safetynet.cases.models import Case, Status
from safetynet.core.decorators import post_view
from safetynet.core.errors import Conflict, NotFound, PermissionDenied, SafetyNetError
from safetynet.core.masking import mask_id_number
from safetynet.core.money import format_yuan
from safetynet.core.pagination import numbered_page
from safetynet.core.scoping import Actor
from safetynet.registry import selectors as registry_selectors

from . import reimbursement
from .models import SettlementStatus
from .reimbursement_forms import ReimbursementForm
from .reimbursement_selectors import (
    VIEW, bill_of_case, category_names, quote_reimbursement, reimbursements_in_scope, settlement_of,
)

PAGE_SIZE = 50
PICK_PAGE_SIZE = 10


def _yuan(value) -> str:
    return format_yuan(value) if value is not None else ""


def _named(zh: str, en: str) -> str:
    """A category's name in the page's language (the catalogue keeps both)."""
    return en if (get_language() or "").startswith("en") else zh


@require_GET
@post_view(VIEW)
def reimbursement_list(request, actor):
    """Every bill filed in the area, newest first, with its case's state: open ones by default."""
    state = request.GET.get("state") or "open"
    qs = reimbursements_in_scope(actor)
    if state == "open":
        qs = qs.filter(case__is_open=True)
    elif state == "closed":
        qs = qs.filter(case__is_open=False)
    page = numbered_page(qs.order_by("-id"), request.GET.get("page"), PAGE_SIZE)
    rows = [{"bill": b, "status": case_pages.status_label(b.case.status), "status_css": case_pages.status_css(b.case.status),
             "requested": _yuan(b.case.requested_amount), "eligible": _yuan(b.eligible_self_paid),
             "decided": _yuan(b.case.proposed_amount) if b.case.status == Status.CONFIRMED else "",
             "url": case_pages.case_url(b.case_id)} for b in page]
    return render(request, "medical/reimbursements.html", {
        "rows": rows, "page": page, "state": state, "query_string": urlencode({"state": state}),
        "can_file": actor.can(reimbursement.FILE)})


def _pick(request, actor):
    """Find the household by a name or an ID number (as the case pages do); htmx swaps the list."""
    q = (request.GET.get("q") or "").strip()[:50]
    page = registry_selectors.household_page(actor, q=q, page=1, page_size=PICK_PAGE_SIZE) if q else None
    context = {"q": q, "page": page}
    if request.htmx and request.htmx.target == "pick-results":
        return render(request, "medical/_reimbursement_pick_results.html", context)
    return render(request, "medical/reimbursement_pick.html", context)


def _put_error(form, exc: SafetyNetError) -> None:
    name = {"person_id": "person", "covered_person": "person", "applicant_id": "applicant", "id_number": "person",
            "requested_amount": "eligible_self_paid"}.get(exc.field or "", exc.field)
    form.add_error(name if name in form.fields else None, exc.message)


@require_http_methods(["GET", "POST"])
@post_view(reimbursement.FILE)
def reimbursement_new(request, actor):
    """File a reimbursement for a registered household (`?household=<id>`, found first): the
    patient among its living members, the bill as the receipts show it. The case opens at
    "applied"; the receipts are attached on the case page."""
    household_id = request.GET.get("household") or request.POST.get("household")
    if not household_id:
        return _pick(request, actor)
    try:
        household = registry_selectors.get_household(actor, int(household_id))
    except (TypeError, ValueError):
        raise Http404(_("Not found in your area."))
    members = [m for m in registry_selectors.household_members(household) if not m.is_deceased]
    choices = [(m.pk, f"{m.name} · {m.get_relation_to_head_display()}") for m in members]
    initial = {"person": request.GET.get("person") or household.head_id}
    form = ReimbursementForm(request.POST or None, members=choices, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                case = reimbursement.apply_for_reimbursement(actor=actor, household_id=household.pk,
                                                             **form.service_kwargs())
            except (NotFound, PermissionDenied):
                raise
            except SafetyNetError as exc:
                _put_error(form, exc)
                status = 409 if isinstance(exc, Conflict) else 422
            else:
                messages.success(request, _("Reimbursement #%(id)s filed. Attach the receipts below; next: accept it.")
                                 % {"id": case.pk})
                row = bill_of_case(case.pk)
                quote = quote_reimbursement(row)
                if not quote.ok:
                    messages.warning(request, _("Today the formula gives nothing for this bill: %(why)s")
                                     % {"why": quote.refusal})
                return redirect(case_pages.case_url(case.pk) + "#documents")
        else:
            status = 422
    return render(request, "medical/reimbursement_new.html", {
        "household": household, "form": form.mark_invalid(),
        "members": [{"person": m, "masked_id": mask_id_number(m.id_number)} for m in members],
    }, status=status)


# --------------------------------------------------------------------------------------------
# The card on the case page (registered in cases.pages by medical/apps.py)
# --------------------------------------------------------------------------------------------

def _quote_view(row, quote) -> dict:
    if not quote.ok:
        return {"ok": False, "refusal": quote.refusal}
    best = quote.best
    zh, en = category_names(row.area_id, best.category_code)
    return {"ok": True, "category": _named(zh, en), "deductible_left": _yuan(best.deductible_left),
            "deductible_applied": _yuan(best.deductible_applied), "rate": f"{(best.rate * 100).normalize():f}",
            "annual_cap": _yuan(best.cap), "cap_left": _yuan(best.cap_left), "computed": _yuan(best.computed),
            "assistance": _yuan(best.assistance), "remaining_cap": _yuan(best.remaining_cap), "capped": best.capped}


def case_card(actor: Actor, case: Case) -> dict | None:
    """The bill, and the quote of today while the case is open, or the settlement once decided."""
    row = bill_of_case(case.pk)
    if row is None:
        return None
    settlement = settlement_of(case.pk)
    card = {
        "bill": row, "patient": row.person.name, "reason": row.get_not_settled_because_display(),
        "amounts": [(row._meta.get_field(name).verbose_name, _yuan(getattr(row, name))) for name in (
            "total_cost", "basic_insurance_paid", "critical_illness_paid", "eligible_self_paid", "ineligible_self_paid")],
        "receipts": case.attachments.count(),
        "quote": _quote_view(row, quote_reimbursement(row)) if case.is_open else None,
        "settlement": None,
    }
    if settlement is not None:
        zh, en = category_names(row.area_id, settlement.category_code)
        card["settlement"] = {
            "row": settlement, "category": _named(zh, en), "assistance": _yuan(settlement.assistance),
            "patient_pays": _yuan(settlement.patient_pays), "remaining_cap": _yuan(settlement.remaining_cap),
            "reversed": settlement.status == SettlementStatus.REVERSED}
    return card
