"""Manual medical reimbursement (issue 20 part 4; POLICY.md §4; MA-2021): a bill from elsewhere (a
hospital that is not designated, another province) or from before the person qualified, applied
for as a case and settled with the same calculation as the cashier's.

Why it is built this way:
- A real case: filed through `cases.services.apply_for_assistance` (program "medical"; the
  patient is the covered person, the bill written by its `attach` in the same unit of work), on
  the queues with its working-day clock (`reimbursement_decision_days`), its timeline and its
  permission- and area-checked steps, the workflow's rows (path "medical").
- One calculation: the bill is read by `settlements.read_bill` (the cashier's errors, field by
  field), quoted by `settlements.quote_bill` and settled by `settlements.settle_manual` (the same
  formula, the same person-year lock, the annual cap shared with one-stop settlements).
- Qualification is judged when the county decides: a person whose enrollment is still pending may
  file; the quote says why it would get nothing today, and the county approves once the person
  qualifies, or refuses with that reason.
- The two steps that need the formula are here, as `cases.services.case_step`s writing through
  the step's unit of work, and registered in cases' step table (medical/apps.py): the town's
  opinion on the bill (`review_reimbursement`) and the county's approval
  (`approve_reimbursement`), which settles the bill and records the Decision with the
  settlement's assessment and amount in one transaction. The refusal is cases' own step.
"""
from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from safetynet.cases import clocks
from safetynet.cases import services as case_services
from safetynet.cases.models import Case, Decision, DecisionOutcome
from safetynet.cases.services import Reads, case_step, record_decision
from safetynet.cases.standards import jsonable
from safetynet.cases.workflow import MEDICAL, check_transition, transition
from safetynet.core.errors import NotFound, ValidationError
from safetynet.core.money import format_yuan
from safetynet.core.scoping import Actor, get_in_scope
from safetynet.core.text import clean_text
from safetynet.core.unitofwork import UnitOfWork
from safetynet.programs.facts import BreakdownLine, Outcome, Phrase
from safetynet.registry.models import Household, Person

from .models import NotSettledBecause, ReimbursementBill
from .reimbursement_selectors import Quote, bill_of_case, category_names, quote_reimbursement
from .settlements import AMOUNTS, read_bill, settle_manual

FILE = "cases.apply"            # who files: whoever files applications
SOURCE = "POLICY.md §4 · MA-2021"
MAX_OPINION = 20000

# The breakdown a town worker reads aloud (translated when shown: programs.facts.Phrase).
ELIGIBLE = gettext_noop("Eligible self-paid cost of the bill")
ELIGIBLE_RULE = gettext_noop("what the patient paid after basic medical insurance and critical-illness insurance, "
                             "within the insurance catalogue")
DEDUCTIBLE_LEFT = gettext_noop("Deductible still to be met this year")
DEDUCTIBLE_LEFT_RULE = gettext_noop("the yearly deductible of %(category)s, less what earlier eligible costs this year "
                                    "already met")
DEDUCTIBLE_APPLIED = gettext_noop("Deductible taken from this bill")
DEDUCTIBLE_APPLIED_RULE = gettext_noop("the smaller of the bill's eligible cost and the deductible still to be met")
COUNTED = gettext_noop("Counted")
COUNTED_RULE = gettext_noop("eligible self-paid cost − deductible taken")
COMPUTED = gettext_noop("At the rate of %(category)s")
COMPUTED_RULE = gettext_noop("counted × %(rate)s %%, rounded half up to the cent")
CAP_LEFT = gettext_noop("Annual cap left before this bill")
CAP_LEFT_RULE = gettext_noop("the annual cap of %(cap)s, less the assistance already paid to the person this year "
                             "(at a cashier or by reimbursement)")
ASSISTANCE = gettext_noop("Assistance")
ASSISTANCE_RULE = gettext_noop("the amount at the rate, at most what is left of the annual cap")
ASSISTANCE_CAPPED_RULE = gettext_noop("limited by the annual cap: the rate gives %(computed)s")
NOT_IN_A_CATEGORY = gettext_noop("The patient is in no medical assistance category today (dibao, special hardship, "
                                 "low-income margin and the others the county keeps). The county decides on the day it "
                                 "settles: approve once the person qualifies, or refuse with this reason.")


class _CategoryName(Phrase):
    """A category's name in the reader's language (the catalogue keeps both)."""

    __slots__ = ("zh", "en")

    def __init__(self, zh: str, en: str):
        super().__init__(zh)
        self.zh, self.en = zh, en

    def render(self, language: str | None) -> str:
        return self.en if (language or "").startswith("en") else self.zh


def _percent(rate) -> str:
    value = (Decimal(str(rate)) * 100).normalize()
    return f"{value:f}"


def outcome_of(assessment: dict, category: tuple[str, str], *, source: str = "") -> Outcome:
    """The outcome a case keeps (its town review, its Decision) from an assessment as
    `rules.Assessment.as_dict()` gives it (a quote's, or the settlement's stored breakdown): the
    amount is the assistance, each step of the formula a line with its rule and source."""
    name = _CategoryName(*category)
    terms = source or assessment.get("source") or SOURCE
    money = {key: Decimal(assessment[key]) for key in (
        "eligible", "deductible_left", "deductible_applied", "counted", "computed", "cap_left", "assistance")}
    capped = bool(assessment.get("capped"))
    lines = (
        BreakdownLine(Phrase(ELIGIBLE), money["eligible"], Phrase(ELIGIBLE_RULE), SOURCE),
        BreakdownLine(Phrase(DEDUCTIBLE_LEFT), money["deductible_left"], Phrase(DEDUCTIBLE_LEFT_RULE, {"category": name}),
                      terms),
        BreakdownLine(Phrase(DEDUCTIBLE_APPLIED), money["deductible_applied"], Phrase(DEDUCTIBLE_APPLIED_RULE), SOURCE),
        BreakdownLine(Phrase(COUNTED), money["counted"], Phrase(COUNTED_RULE), SOURCE),
        BreakdownLine(Phrase(COMPUTED, {"category": name}), money["computed"],
                      Phrase(COMPUTED_RULE, {"rate": _percent(assessment["rate"])}), terms),
        BreakdownLine(Phrase(CAP_LEFT), money["cap_left"],
                      Phrase(CAP_LEFT_RULE, {"cap": format_yuan(Decimal(assessment["annual_cap"]))}), terms),
        BreakdownLine(Phrase(ASSISTANCE), money["assistance"],
                      Phrase(ASSISTANCE_CAPPED_RULE, {"computed": format_yuan(money["computed"])}) if capped
                      else Phrase(ASSISTANCE_RULE), SOURCE),
    )
    return Outcome(True, money["assistance"], (), lines, {**assessment, "category_name": category[0],
                                                          "category_name_en": category[1]})


def quote_outcome(row: ReimbursementBill, quote: Quote) -> Outcome:
    """The quote as an outcome (the town review keeps it): the assistance, or nothing and why."""
    if quote.ok:
        return outcome_of(quote.best.as_dict(), category_names(row.area_id, quote.best.category_code))
    reason = Phrase(NOT_IN_A_CATEGORY) if quote.code == "not_eligible" else quote.refusal
    return Outcome(False, Decimal("0.00"), (reason,),
                   (BreakdownLine(Phrase(ELIGIBLE), row.eligible_self_paid, Phrase(ELIGIBLE_RULE), SOURCE),),
                   {"code": quote.code})


# --------------------------------------------------------------------------------------------
# Filing
# --------------------------------------------------------------------------------------------

def _words(value, field: str, max_length: int) -> str:
    """A note or an opinion as typed (lines kept), at most `max_length` characters."""
    text = "" if value is None else str(value).strip()
    if len(text) > max_length:
        raise ValidationError(_("At most %(n)d characters.") % {"n": max_length}, field=field)
    return text


def _number(value, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError(_("Choose from the list."), field=field) from None


def _patient(household: Household, person_id) -> Person:
    person = Person.objects.filter(pk=_number(person_id, "person"), household_id=household.pk, is_deceased=False).first()
    if person is None:
        raise ValidationError(_("The patient must be a living member of the household."), field="person",
                              code="not_in_household")
    return person


def apply_for_reimbursement(*, actor: Actor, household_id, person_id, treated_at, not_settled_because, admitted_on,
                            discharged_on, total_cost, basic_insurance_paid, critical_illness_paid, eligible_self_paid,
                            ineligible_self_paid, applicant_id=None, channel: str = "walk_in", entrusted_by: str = "",
                            reason: str = "") -> Case:
    """File a manual reimbursement: the case (program "medical", the patient covered, filed by
    `applicant_id` or the patient) and its bill, in one transaction. The bill is read as the
    cashier reads it (the same errors, naming the field); the amount requested is what the
    formula gives today, or the eligible self-paid cost when the person is in no category yet.
    Returns the case (status "applied": the town accepts it next)."""
    actor.require(FILE)
    household = get_in_scope(Household.objects, actor, pk=_number(household_id, "household"))
    person = _patient(household, person_id)
    treated_at = clean_text(treated_at, field="treated_at", max_length=200)
    if not treated_at:
        raise ValidationError(_("Say where the patient was treated (the hospital's name)."), field="treated_at")
    if not_settled_because not in NotSettledBecause.values:
        raise ValidationError(_("Say why the bill was not settled at the cashier."), field="not_settled_because")
    data = {"visit_number": "CASE-NEW", "admitted_on": admitted_on, "discharged_on": discharged_on,
            "total_cost": total_cost, "basic_insurance_paid": basic_insurance_paid,
            "critical_illness_paid": critical_illness_paid, "eligible_self_paid": eligible_self_paid,
            "ineligible_self_paid": ineligible_self_paid}
    bill = read_bill({**data, "id_number": person.id_number})
    if bill.eligible_self_paid <= 0:
        raise ValidationError(_("Nothing of this bill is eligible for medical assistance: its eligible self-paid cost is "
                                "zero."), field="eligible_self_paid", code="nothing_eligible")
    probe = ReimbursementBill(person_id=person.pk, area_id=household.area_id, admitted_on=bill.admitted_on,
                              discharged_on=bill.discharged_on, **{name: getattr(bill, name) for name in AMOUNTS})
    quote = quote_reimbursement(probe)
    requested = quote.best.assistance if quote.ok and quote.best.assistance > 0 else bill.eligible_self_paid

    def attach(uow: UnitOfWork, case: Case) -> None:
        row = uow.insert(ReimbursementBill(
            case_id=case.pk, person_id=person.pk, household_id=household.pk, area_id=case.area_id, treated_at=treated_at,
            not_settled_because=not_settled_because, admitted_on=bill.admitted_on, discharged_on=bill.discharged_on,
            filed_by=actor.username, **{name: getattr(bill, name) for name in AMOUNTS}))
        uow.record_event(actor=actor, action="medical.file_reimbursement", obj=row, after={
            "case": case.pk, "not_settled_because": not_settled_because, "discharged_on": bill.discharged_on.isoformat(),
            "eligible_self_paid": f"{bill.eligible_self_paid:.2f}", "requested": f"{requested:.2f}",
            "quoted": quote.ok})

    return case_services.apply_for_assistance(
        actor=actor, program_code=MEDICAL, household_id=household.pk,
        applicant_id=person.pk if applicant_id in (None, "") else applicant_id, channel=channel,
        entrusted_by=entrusted_by, requested_amount=requested, covered_person_id=person.pk, reason=reason, attach=attach)


# --------------------------------------------------------------------------------------------
# The two steps medical adds to the case workflow (registered in cases/steps.py by medical/apps.py)
# --------------------------------------------------------------------------------------------

def _bill(case: Case) -> ReimbursementBill:
    row = bill_of_case(case.pk)
    if row is None:     # a medical case is filed only with its bill (cases.services._apply)
        raise NotFound(_("This case has no medical bill."))
    return row


@case_step()
def review_reimbursement(uow: UnitOfWork, actor: Actor, case: Case, reads: Reads, *, opinion: str = "") -> Case:
    """The town's opinion on the bill and its receipts (the case's attachments): the quote of today
    is kept with it (the amount and its breakdown, or why nothing), the county decides next."""
    check_transition(case, "review_reimbursement", actor)
    opinion = _words(opinion, "opinion", MAX_OPINION)
    row = _bill(case)
    outcome = quote_outcome(row, quote_reimbursement(row))
    transition(uow, case, "review_reimbursement", actor, note=opinion, changes={
        "outcome": jsonable(outcome.as_dict()), "proposed_eligible": outcome.eligible,
        "proposed_amount": outcome.monthly_amount, "town_opinion": opinion, "town_reviewed_on": clocks.today(),
        "decider_level": "county"}, data={"eligible": outcome.eligible, "amount": f"{outcome.monthly_amount:.2f}"})
    return case


@case_step()
def approve_reimbursement(uow: UnitOfWork, actor: Actor, case: Case, reads: Reads, *, note: str = "") -> Decision:
    """The county approves: the bill is settled now (`settlements.settle_manual`: the person's
    categories today, the terms in force, the year's deductible and the annual cap shared with
    the one-stop settlements, under the person's year lock), and the Decision records the
    settlement's assessment and amount; the case is confirmed. One settlement per case (the step
    is taken from "town reviewed" only, and a database constraint). A person in no category is
    refused here with the reason: refuse the reimbursement instead."""
    check_transition(case, "approve_reimbursement", actor)
    note = _words(note, "note", 2000)
    row = _bill(case)
    today = clocks.today()
    try:
        answer = settle_manual(case_id=case.pk, person_id=row.person_id, data=row.bill_data(), on=today)
    except ValidationError as exc:
        if exc.code == "not_eligible":
            raise ValidationError(str(Phrase(NOT_IN_A_CATEGORY)), code="not_eligible") from None
        raise
    amount = Decimal(answer["assistance"])
    outcome = outcome_of({**answer["breakdown"], "settlement_id": answer["settlement_id"]},
                         (answer["category_name"], answer["category_name_en"]))
    assessment = jsonable(outcome.as_dict())
    transition(uow, case, "approve_reimbursement", actor, note=note,
               changes={"decided_on": today, "proposed_amount": amount, "approving_level": "county"},
               data={"amount": f"{amount:.2f}", "settlement": answer["settlement_id"]})
    decision = record_decision(uow, case, actor, outcome=DecisionOutcome.APPROVED, amount=amount, today=today,
                               assessment=assessment,
                               parameters={"category": answer["category"], "year": answer["year"],
                                           "rate": answer["breakdown"]["rate"],
                                           "annual_cap": answer["annual_cap"], "source": answer["breakdown"]["source"],
                                           "qualified_by": answer["qualified_by"]})
    uow.record_event(actor=actor, action="medical.settle_manual", object_type="medical.settlement",
                     object_id=answer["settlement_id"],
                     after={"case": case.pk, "category": answer["category"], "assistance": answer["assistance"],
                            "remaining_cap": answer["remaining_cap"], "capped": answer["capped"]})
    return decision
