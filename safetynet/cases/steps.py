"""Every step of a case, registered once (issue 16): the one table the case page, the API, the
batches and the labels read.

A `Step` names the service that takes it and how a body becomes that service's keyword arguments
(`inputs`: one function for the page's form, the API's body and each case of a batch, all written
in the API's field names); the page's form, its initial values and template; the API's path,
summary and body schema (cases/schemas.py); whether and how it may be taken for many cases at once
(cases/batch.py: the inputs each case may carry, the reads for all of them, the queue's button,
the API's batch body); and its label. Who may take it is not restated: `Step.permission` reads the
workflow's transition table. The services keep every rule; nothing here decides anything.

Imports go one way: this module names services, forms and schemas; cases/views.py, cases/api.py and
cases/batch.py read it; cases/workflow.py reads the labels only when it writes a message.

A step whose service needs an app above cases (a manual medical reimbursement is settled by
medical's formula, which cases may not import) is registered by that app from its
`AppConfig.ready()` (`register`): its row is in the workflow's table like any other, and the case
page and the API read it from `STEPS` like any other. Django runs every `ready()` before the
first request loads the URLs, which is when the page and the API read the table (`sealed`); a step
registered after that, or twice, or for an action the table does not have, is refused at start-up.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Mapping

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from safetynet.core.errors import SafetyNetError
from safetynet.core.money import format_yuan

from . import clocks, services, workflow
from .forms import (
    AcceptForm, AmountForm, DeliberationForm, MaterialsForm, NoteForm, NoticeForm, ObjectionAnswerForm, ObjectionForm,
    OpinionForm, QuickAidForm, ReasonForm, ReasonsForm, SurveyForm, VerificationForm,
)
from .models import Case
from .pages import default_town_opinion
from .schemas import (
    AcceptIn, AmountIn, CountyVisitIn, DeliberationIn, MaterialsIn, NoteIn, NoticeIn, ObjectionAnswerIn, ObjectionIn,
    OpinionIn, QuickAidIn, ReasonIn, ReasonsIn, SurveyIn, SurveyRecordIn, VerificationIn, VersionIn,
)


@dataclass(frozen=True)
class Endpoint:
    """POST /api/v1/cases/{case_id}/<path> with `body`, answered 200 with the case; `name` is the
    operation's (its operationId: safetynet_cases_api_<name>)."""

    path: str
    name: str
    summary: str
    body: type


@dataclass(frozen=True)
class BatchEndpoint:
    """POST /api/v1/cases/batch/<path>: each case the body `item` (the step's own, or a narrower
    one) with its `id`; the body is named Batch<schema>In, each case Batch<schema>CaseIn."""

    path: str
    name: str
    schema: str
    summary: str
    description: str
    item: type


@dataclass(frozen=True)
class ManyCases:
    """A step that may be taken for many cases at once (cases/batch.py)."""

    inputs: tuple[str, ...] = ()            # the service's keyword arguments each case may carry
    button: str = ""                        # the queue's button for the ticked cases ("" : not on the queue)
    endpoint: BatchEndpoint | None = None   # its own batch body over the API (besides POST /cases/batch)


@dataclass(frozen=True)
class Step:
    action: str                             # the workflow's action (workflow.TRANSITIONS)
    service: Callable                       # service(actor=, case_id=, version=, **inputs(body))
    inputs: Callable[[Mapping], dict]       # a body (API field names) -> the service's other keyword arguments
    form: type | None = None                # the case page's form; None: not offered on the page
    initial: Callable[[Case], dict] | None = None   # the form's initial values besides the version
    template: str = "cases/forms/_generic.html"
    offered_in: str = ""                    # offered only inside that step's form, posting what was typed there
    done: Callable | None = None            # done(actor, case, result, body) -> the page's message ("": "Done: …")
    endpoint: Endpoint | None = None        # over the API
    many: ManyCases | None = None           # for many cases at once

    @property
    def permission(self) -> str:
        """Who may take it: the workflow's transition table says."""
        return workflow.ACTION_PERMISSION[self.action]

    @property
    def label(self) -> str:
        """What pages, timelines and messages call it: the workflow's name for the action."""
        return workflow.action_label(self.action)


# ---- bodies into the services' keyword arguments -------------------------------------------

def _fields(*names: str) -> Callable[[Mapping], dict]:
    """The body's fields of these names, as they are."""
    return lambda body: {name: body.get(name) for name in names}


def _accept_inputs(body: Mapping) -> dict:
    return {"missing_materials": body.get("missing_materials") or (), "promise_signed": body["promise_signed"],
            "authorization_signed": body["authorization_signed"], "note": body["note"]}


def _investigators(items) -> list[dict]:
    """A registered staff member by identity or login, or a person named with the ID number."""
    people = []
    for item in items:
        if item.get("staff_identity_id"):
            people.append({"staff_identity_id": item["staff_identity_id"]})
        elif item.get("user_id"):
            people.append({"user_id": item["user_id"]})
        else:
            people.append({"name": item.get("name", ""), "id_number": item.get("id_number", "")})
    return people


def _visit_inputs(body: Mapping) -> dict:
    return {"conducted_on": body["conducted_on"], "investigators": _investigators(body["investigators"]),
            "findings": body["findings"], "signed_by_household": body["signed_by_household"],
            "duration_minutes": body.get("duration_minutes")}


def _survey_inputs(body: Mapping) -> dict:
    # The daily activities and supporters only where the body has them (a page's survey of a
    # dibao case asks no activities; a batch of surveys takes no supporters).
    inputs = _visit_inputs(body)
    for name in ("daily_activities", "supporters"):
        if name in body:
            inputs[name] = body[name]
    return inputs


def _verification_inputs(body: Mapping) -> dict:
    findings: dict = {}
    if body.get("income") is not None:
        findings["income"] = [{**i, "monthly_amount": f"{Decimal(i['monthly_amount']):.2f}"} for i in body["income"]]
    if body.get("assets") is not None:
        findings["assets"] = [{**a, "value": f"{Decimal(a['value']):.2f}"} for a in body["assets"]]
    if body.get("note"):
        findings["note"] = body["note"]
    return {"summary": body["summary"], "findings": findings, "total_monthly_income": body.get("total_monthly_income"),
            "total_financial_assets": body.get("total_financial_assets")}


def _quick_aid_inputs(approve: bool) -> Callable[[Mapping], dict]:
    # The API's one quick-aid body says which (`approve`); the page has a form for each.
    return lambda body: {"approve": body.get("approve", approve), "amount": body.get("amount"),
                         "reasons": body.get("reasons") or ""}


# ---- initial values of the page's forms ------------------------------------------------------

def _today(name: str) -> Callable[[Case], dict]:
    return lambda case: {name: clocks.today()}


# ---- the page's message after a step (the label's "Done" otherwise) --------------------------

def _accepted(actor, case: Case, result, body) -> str:
    case.refresh_from_db(fields=["is_close_relative", "status"])
    if case.is_close_relative:
        return _("Accepted. A close relative of staff or a village cadre is in this household: the case is filed "
                 "separately and the county must make its own home visit (POLICY.md §1 step 2).")
    return ""


def _verified(actor, case: Case, result, body) -> str:
    return _("Verification report recorded (entered by hand). Verified monthly income: %(amount)s.") % {
        "amount": format_yuan(body["total_monthly_income"])}


def _opinion_given(actor, case: Case, result: Case, body) -> str:
    """Then, when asked and the rule finds the household eligible, the notice, by its own service
    (its own checks: a refusal leaves the opinion recorded and says why)."""
    if not result.proposed_eligible:
        return _("Town opinion recorded: not eligible. The case can only be refused, with the reasons.")
    message = _("Town opinion recorded: eligible, %(amount)s a month.") % {"amount": format_yuan(result.proposed_amount)}
    if body.get("publish_notice"):
        try:
            result = services.publish_notice(actor=actor, case_id=result.pk, version=result.version)
        except SafetyNetError as exc:
            return message + " " + _("The notice was not published: %(why)s") % {"why": exc.message}
        message += " " + _("The public notice runs until %(date)s.") % {"date": result.notice_ends_on.isoformat()}
    return message


def _objection_recorded(actor, case: Case, result, body) -> str:
    return _("Objection recorded; the notice stays on the public board, marked as under objection. "
             "Next: a re-survey or a deliberation meeting, then the answer to the objection.")


def _confirmed(actor, case: Case, decision, body) -> str:
    return _("Confirmed: %(amount)s a month from %(month)s. The decision letter is ready to print.") % {
        "amount": format_yuan(decision.monthly_amount), "month": decision.start_month.strftime("%Y-%m")}


def _refused(actor, case: Case, decision, body) -> str:
    return _("Refused. Hand the letter over by %(date)s.") % {
        "date": decision.letter_due.isoformat() if decision.letter_due else "-"}


def _switched(actor, case: Case, result: Case, body) -> str:
    return _("Switched to the ordinary procedure, %(amount)s requested. Next: accept the application.") % {
        "amount": format_yuan(result.requested_amount)}


_SURVEY = "cases/forms/_survey.html"

_TABLE = [
    Step("accept", services.accept_application, _accept_inputs, AcceptForm,
         lambda case: {"promise_signed": True, "authorization_signed": True}, done=_accepted,
         endpoint=Endpoint("accept", "accept", "Accept the application (close-relative check; missing materials asked once)",
                           AcceptIn),
         many=ManyCases(("missing_materials", "promise_signed", "authorization_signed", "note"),
                        endpoint=BatchEndpoint("accept", "accept_batch", "Accept", "Accept many applications at once",
                                               "Each case the body of `POST /cases/{id}/accept` with its `id`; answered as "
                                               "`POST /cases/batch`.", AcceptIn))),
    Step("request_materials", services.request_materials, _fields("items"), MaterialsForm,
         endpoint=Endpoint("materials", "request_materials", "Ask for the missing materials (once)", MaterialsIn)),
    Step("resume", services.resume_case, _fields("note"), NoteForm,
         endpoint=Endpoint("resume", "resume", "The materials came in: back to accepted", NoteIn)),
    Step("record_survey", services.record_survey, _survey_inputs, SurveyForm,
         _today("conducted_on"), _SURVEY,
         endpoint=Endpoint("survey", "survey", "Record the household survey (two investigators, not relatives; signed)",
                           SurveyIn),
         many=ManyCases(("conducted_on", "investigators", "findings", "signed_by_household", "daily_activities",
                         "duration_minutes"),
                        endpoint=BatchEndpoint("survey", "survey_batch", "Survey", "Record many household surveys at once",
                                               "Each case the body of `POST /cases/{id}/survey` with its `id`, without "
                                               "supporters (a\nspecial-hardship survey with supporters is recorded on "
                                               "its own).", SurveyRecordIn))),
    Step("record_county_visit", services.record_county_visit, _visit_inputs,
         SurveyForm, _today("conducted_on"), _SURVEY,
         endpoint=Endpoint("county-visit", "county_visit", "Record the county's own home visit", CountyVisitIn)),
    Step("verify", services.record_manual_verification, _verification_inputs,
         VerificationForm, template="cases/forms/_verification.html", done=_verified,
         endpoint=Endpoint("verification", "verification", "Enter the verification report by hand (marked manual)",
                           VerificationIn),
         many=ManyCases(("summary", "findings", "total_monthly_income", "total_financial_assets"),
                        endpoint=BatchEndpoint("verification", "verification_batch", "Verification",
                                               "Enter many verification reports at once",
                                               "Each case the body of `POST /cases/{id}/verification` with its `id` "
                                               "(marked manual).", VerificationIn))),
    Step("hold_deliberation", services.hold_deliberation,
         _fields("held_on", "participants", "village_representatives", "votes_for", "votes_against", "votes_abstaining",
                 "opinion"), DeliberationForm, _today("held_on"),
         endpoint=Endpoint("deliberation", "deliberation", "Record a deliberation meeting", DeliberationIn)),
    Step("give_town_opinion", services.give_town_opinion, _fields("opinion"), OpinionForm,
         lambda case: {"opinion": default_town_opinion(case)}, done=_opinion_given,
         endpoint=Endpoint("town-opinion", "town_opinion", "Give the town opinion (the rule runs here)", OpinionIn),
         many=ManyCases(("opinion",),
                        endpoint=BatchEndpoint("opinion", "opinion_batch", "Opinion",
                                               "Give the town opinion on many cases at once",
                                               "Each case the body of `POST /cases/{id}/town-opinion` with its `id`: the "
                                               "rule runs for each.", OpinionIn))),
    Step("publish_notice", services.publish_notice, _fields("starts_on"), NoticeForm,
         _today("starts_on"),
         endpoint=Endpoint("notice", "notice", "Publish the 7-day public notice", NoticeIn),
         many=ManyCases(("starts_on",), button=_l("Publish the notices of the selected cases"))),
    Step("record_objection", services.record_objection,
         _fields("content", "objector_name", "objector_contact", "received_on"), ObjectionForm, _today("received_on"),
         done=_objection_recorded,
         endpoint=Endpoint("objections", "objection", "Record an objection to the notice", ObjectionIn)),
    Step("answer_objection", services.answer_objection, _fields("finding", "answer"),
         ObjectionAnswerForm,
         endpoint=Endpoint("objections/answer", "answer_objection",
                           "Answer the objection after the re-survey or deliberation", ObjectionAnswerIn)),
    Step("close_notice", services.close_notice, _fields(), NoteForm,
         endpoint=Endpoint("notice/close", "close_notice", "Close the notice after its full days", VersionIn),
         many=ManyCases(button=_l("Close the notices of the selected cases"))),
    Step("confirm", services.confirm_case, _fields("note"), NoteForm, done=_confirmed,
         endpoint=Endpoint("confirm", "confirm", "Confirm (decision and enrollment)", NoteIn),
         many=ManyCases(("note",), button=_l("Confirm the selected cases"))),
    Step("refuse", services.refuse_case, _fields("reasons"), ReasonsForm, done=_refused,
         endpoint=Endpoint("refuse", "refuse", "Refuse, with the reasons", ReasonsIn)),
    Step("return_for_supplement", services.return_for_supplement, _fields("reason"),
         ReasonForm,
         endpoint=Endpoint("return", "return_for_supplement", "Return the case to the town for supplement", ReasonIn)),
    Step("withdraw", services.withdraw_case, _fields("reason"), ReasonForm,
         endpoint=Endpoint("withdraw", "withdraw", "Record the applicant's withdrawal", ReasonIn)),
    Step("reopen", services.reopen_case, _fields("reason"), ReasonForm,
         endpoint=Endpoint("reopen", "reopen", "Reopen a decided case after a complaint", ReasonIn)),
    Step("extend", services.extend_case, _fields("reason"), ReasonForm,
         endpoint=Endpoint("extend", "extend", "Extend the whole-case limit (30 → 45 working days), with a reason",
                           ReasonIn)),
    Step("pay_first", services.pay_emergency_aid_first, _fields("amount", "note"),
         AmountForm, lambda case: {"amount": case.requested_amount},
         endpoint=Endpoint("temporary/pay-first", "pay_first", "Emergency aid: the town pays first", AmountIn)),
    # Offered inside the pay_first form when the amount is over the town's limit (what was typed is kept).
    Step("switch_to_ordinary", services.switch_to_ordinary_procedure,
         _fields("amount", "note"), AmountForm, offered_in="pay_first", done=_switched,
         endpoint=Endpoint("temporary/switch-to-ordinary", "switch_to_ordinary",
                           "Emergency aid over the town's limit: go on by the ordinary procedure, the amount as requested",
                           AmountIn)),
    Step("complete_paperwork", services.complete_emergency_paperwork,
         _fields("note"), NoteForm,
         endpoint=Endpoint("temporary/complete-paperwork", "complete_paperwork",
                           "Emergency aid: the paperwork is complete", NoteIn)),
    # Over the API one body approves or refuses (`approve`); the page has a form for each.
    Step("approve_quick_aid", services.decide_quick_aid, _quick_aid_inputs(True), QuickAidForm,
         lambda case: {"amount": case.requested_amount},
         endpoint=Endpoint("temporary/quick-aid", "quick_aid",
                           "Small-amount quick aid: approve or refuse (within 3 working days)", QuickAidIn)),
    Step("refuse_quick_aid", services.decide_quick_aid, _quick_aid_inputs(False), ReasonsForm),
    Step("approve_temporary_aid", services.approve_temporary_aid, _fields("amount", "note"),
         AmountForm, lambda case: {"amount": case.proposed_amount or case.requested_amount},
         endpoint=Endpoint("temporary/approve", "approve_temporary",
                           "Ordinary temporary aid: approve at the level the amount calls for", AmountIn)),
    # Over the API a temporary-aid refusal is POST /refuse: the service takes the case's own row.
    Step("refuse_temporary_aid", services.refuse_case, _fields("reasons"), ReasonsForm,
         done=_refused),
    # A medical reimbursement refused (over the API: POST /refuse); its approval is medical's (registered).
    Step("refuse_reimbursement", services.refuse_case, _fields("reasons"), ReasonsForm, done=_refused),
]
STEPS: dict[str, Step] = {step.action: step for step in _TABLE}
assert len(STEPS) == len(_TABLE) and set(STEPS) <= workflow.ACTIONS
# The steps the queue offers for the ticked cases (they ask nothing but the decision to take them).
ON_THE_QUEUE = tuple(a for a, step in STEPS.items() if step.many and step.many.button)

_sealed = False


def register(step: Step) -> None:
    """Add a step whose service lives in an app above cases, from that app's `AppConfig.ready()`
    (see the module docstring). Its action must be a row of the workflow's table; it is taken one
    case at a time (no `many`: the queue's and the batches' lists are made before any app is
    ready); its service a `services.case_step`, writing through the step's unit of work."""
    if _sealed:
        raise ImproperlyConfigured(f"step {step.action!r} registered after the case pages and API read the steps")
    if step.action not in workflow.ACTIONS:
        raise ImproperlyConfigured(f"step {step.action!r} has no row in cases/workflow.py's table")
    if step.action in STEPS:
        raise ImproperlyConfigured(f"step {step.action!r} is registered already")
    if step.many is not None or not isinstance(step.service, services.CaseStep):
        raise ImproperlyConfigured(f"step {step.action!r}: a registered step is one case step (services.case_step), "
                                   "without `many`")
    STEPS[step.action] = step


def sealed() -> dict[str, Step]:
    """The table, complete: what the case page and the API read when they are loaded (after every
    app's `ready()`); no step can be registered after."""
    global _sealed
    _sealed = True
    return STEPS
