"""Changes and exits over HTTP: /api/v1/changes (issue 5 part 3).

Reads through payments.change_selectors (scoped: another area's re-check, proposal or enrollment
answers 404); each POST calls the service the pages call (rechecks, decisions, triggers), so no
rule is written twice. Errors: 403 for the role, 404 outside the area, 409 for the order of things
(`verification_missing`, `survey_missing`, `month_already_paid`, `notice_running`, ...), 422 for
the input, with the field.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import StringConstraints

from safetynet.cases import clocks
from safetynet.cases.api import Money
from safetynet.core.apischemas import NO_NUL, InputSchema, PageQuery, responses
from safetynet.core.pagination import api_page

from . import change_selectors as selectors
from . import decisions, overpayments, rechecks, triggers
from .change_models import PendingEnding

router = Router(tags=["changes"])

MAX_ID = 2_147_483_647
Id = Annotated[int, Path(..., ge=1, le=MAX_ID)]
Reason = Annotated[str, StringConstraints(max_length=500, pattern=NO_NUL)]
Text = Annotated[str, StringConstraints(max_length=2000, pattern=NO_NUL)]
Name = Annotated[str, StringConstraints(max_length=50, pattern=NO_NUL)]
Username = Annotated[str, StringConstraints(max_length=150, pattern=NO_NUL)]
Month = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
County = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------
class RecheckOut(Schema):
    id: int
    enrollment: int
    household: int
    area: str
    reason: str
    reason_detail: str
    opened_on: dt.date
    due_on: dt.date
    overdue: bool
    status: str
    verified_at: dt.datetime | None
    verification_run: int | None
    household_result: int | None
    survey_on: dt.date | None
    survey_needed: bool
    outcome: str
    change: int | None
    closed_on: dt.date | None


class RecheckPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[RecheckOut]


class ChangeProposalOut(Schema):
    id: int
    enrollment: int
    area: str
    kind: str
    person: int | None
    effective_month: dt.date
    current_amount: Decimal
    proposed_amount: Decimal
    proposed_status: str
    reason: str
    status: str
    reject_reason: str
    change: int | None


class ChangeProposalPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ChangeProposalOut]


class EnrollmentChangeOut(Schema):
    id: int
    kind: str
    effective_month: dt.date | None
    until_month: dt.date | None
    from_status: str
    to_status: str
    from_amount: Decimal | None
    to_amount: Decimal | None
    person: int | None
    reason: str
    at: dt.datetime
    by: str


class PendingEndingOut(Schema):
    id: int
    enrollment: int
    notice: int
    notice_ends_on: dt.date
    status: str
    reason: str


class EnrollmentDecisionOut(Schema):
    change: EnrollmentChangeOut | None = None
    pending_ending: PendingEndingOut | None = None


class ChangeReportOut(Schema):
    id: int
    enrollment: int
    kind: str
    reported_on: dt.date
    recheck: int | None


class EnrollmentMonthOut(Schema):
    month: dt.date
    status: str
    amount: Decimal
    deduction: Decimal
    due: Decimal


class OverpaymentSettlementOut(Schema):
    id: int
    kind: str
    amount: Decimal
    on: dt.date
    method: str
    note: str
    leader: str
    recorded_by: str


class OverpaymentOut(Schema):
    id: int
    enrollment: int
    area: str
    month: dt.date
    paid: Decimal
    due: Decimal
    amount: Decimal
    outstanding: Decimal
    status: str
    settled_on: dt.date | None
    settlements: list[OverpaymentSettlementOut]


class OverpaymentPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[OverpaymentOut]


class EnrollmentMonthsOut(Schema):
    enrollment: int
    status: str
    monthly_amount: Decimal
    next_recheck_date: dt.date
    months: list[EnrollmentMonthOut]
    changes: list[EnrollmentChangeOut]
    overpayments: list[OverpaymentOut]
    overpaid_open: Decimal


class TriggerOut(Schema):
    county: str
    found: int
    new_signals: int
    proposals: int
    rechecks_opened: int
    rechecks_joined: int
    no_effect: int
    due_rechecks_opened: int
    settled: int
    errors: list[str]


def _recheck(r, today: dt.date) -> dict:
    return {"id": r.pk, "enrollment": r.enrollment_id, "household": r.enrollment.household_id, "area": r.area_id,
            "reason": r.reason, "reason_detail": r.reason_detail, "opened_on": r.opened_on, "due_on": r.due_on,
            "overdue": r.status == "open" and r.due_on < today, "status": r.status, "verified_at": r.verified_at,
            "verification_run": r.verification_run_id, "household_result": r.household_result_id, "survey_on": r.survey_on,
            "survey_needed": rechecks.survey_needed(r) if r.status == "open" else False, "outcome": r.outcome,
            "change": r.change_id, "closed_on": r.closed_on}


def _proposal(p) -> dict:
    return {"id": p.pk, "enrollment": p.enrollment_id, "area": p.area_id, "kind": p.kind, "person": p.person_id,
            "effective_month": p.effective_month, "current_amount": p.current_amount, "proposed_amount": p.proposed_amount,
            "proposed_status": p.proposed_status, "reason": p.reason, "status": p.status, "reject_reason": p.reject_reason,
            "change": p.change_id}


def _change(c) -> dict:
    return {"id": c.pk, "kind": c.kind, "effective_month": c.effective_month, "until_month": c.until_month,
            "from_status": c.from_status, "to_status": c.to_status, "from_amount": c.from_amount, "to_amount": c.to_amount,
            "person": c.person_id, "reason": c.reason, "at": c.at, "by": c.by_username}


def _overpayment(o) -> dict:
    return {"id": o.pk, "enrollment": o.enrollment_id, "area": o.area_id, "month": o.month, "paid": o.paid, "due": o.due,
            "amount": o.amount, "outstanding": o.outstanding, "status": o.status, "settled_on": o.settled_on,
            "settlements": [{"id": x.pk, "kind": x.kind, "amount": x.amount, "on": x.on, "method": x.method, "note": x.note,
                             "leader": x.leader_name, "recorded_by": x.recorded_by} for x in o.settlements.all()]}


def _decided(result) -> dict:
    if isinstance(result, PendingEnding):
        return {"pending_ending": {"id": result.pk, "enrollment": result.enrollment_id, "notice": result.notice_id,
                                   "notice_ends_on": result.notice_ends_on, "status": result.status, "reason": result.reason}}
    return {"change": _change(result)}


# --------------------------------------------------------------------------------------------
# Re-checks
# --------------------------------------------------------------------------------------------
class RecheckFilter(PageQuery):
    status: Literal["open", "closed"] | None = Field("open", description="open (default) or closed; empty: all")
    overdue: bool | None = Field(None, description="true: open re-checks past their due date")


@router.get("/rechecks", response=responses(RecheckPage), summary="The re-check queue in scope, by due date")
def list_rechecks(request, filters: Query[RecheckFilter]):
    today = clocks.today()
    qs = selectors.rechecks_in_scope(request.auth, status=filters.status)
    if filters.overdue is True:
        qs = qs.filter(status="open", due_on__lt=today)
    elif filters.overdue is False:
        qs = qs.exclude(status="open", due_on__lt=today)
    return api_page(qs, offset=filters.offset, limit=filters.limit, item=lambda r: _recheck(r, today))


@router.get("/rechecks/{recheck_id}", response=responses(RecheckOut), summary="One re-check")
def get_recheck(request, recheck_id: Id):
    return _recheck(selectors.get_recheck(request.auth, recheck_id), clocks.today())


@router.post("/rechecks/{recheck_id}/verify", response=responses(RecheckOut),
             summary="Verify the household with department data now (the verification engine)")
def verify_recheck(request, recheck_id: Id):
    return _recheck(rechecks.verify_recheck(actor=request.auth, recheck_id=recheck_id), clocks.today())


class RecheckSurveyIn(InputSchema):
    conducted_on: dt.date
    investigators: list[Name] = Field(..., max_length=10)
    findings: Text
    signed_by_household: bool = False
    daily_activities: dict[Literal["eating", "dressing", "bed_transfer", "toileting", "walking_indoors", "bathing"], bool] | None = None


@router.post("/rechecks/{recheck_id}/survey", response=responses(RecheckOut), summary="Record the re-check's household survey")
def record_survey(request, recheck_id: Id, payload: RecheckSurveyIn):
    recheck = rechecks.record_recheck_survey(actor=request.auth, recheck_id=recheck_id, conducted_on=payload.conducted_on,
                                             investigators=payload.investigators, findings=payload.findings,
                                             signed_by_household=payload.signed_by_household,
                                             daily_activities=payload.daily_activities)
    return _recheck(recheck, clocks.today())


class RecheckCloseIn(InputSchema):
    outcome: Literal["kept", "amount", "suspension", "gradual_exit", "ending"]
    reason: Reason
    effective_month: Month | None = Field(None, description="YYYY-MM; empty: the next month not yet paid")


@router.post("/rechecks/{recheck_id}/close", response=responses(RecheckOut), summary="Decide and close the re-check")
def close_recheck(request, recheck_id: Id, payload: RecheckCloseIn):
    recheck = rechecks.close_recheck(actor=request.auth, recheck_id=recheck_id, outcome=payload.outcome,
                                     reason=payload.reason, effective_month=payload.effective_month)
    return _recheck(recheck, clocks.today())


# --------------------------------------------------------------------------------------------
# Enrollments
# --------------------------------------------------------------------------------------------
class ChangeReportIn(InputSchema):
    kind: Literal["income", "members", "address"]
    description: Text
    reported_on: dt.date | None = None


@router.post("/enrollments/{enrollment_id}/reports", response=responses(ChangeReportOut, ok_status=201),
             summary="Record a household's change report (it opens or joins a re-check)")
def report_change(request, enrollment_id: Id, payload: ChangeReportIn):
    report = rechecks.record_change_report(actor=request.auth, enrollment_id=enrollment_id, kind=payload.kind,
                                           description=payload.description, reported_on=payload.reported_on)
    return Status(201, {"id": report.pk, "enrollment": report.enrollment_id, "kind": report.kind,
                 "reported_on": report.reported_on, "recheck": report.recheck_id})


class EnrollmentDecisionIn(InputSchema):
    kind: Literal["amount", "suspension", "resumption", "gradual_exit", "ending"]
    reason: Reason
    effective_month: Month | None = Field(None, description="YYYY-MM; empty: the next month not yet paid")


@router.post("/enrollments/{enrollment_id}/decisions", response=responses(EnrollmentDecisionOut, ok_status=201),
             summary="Decide on an enrollment (a special-hardship ending is put on notice first)")
def decide(request, enrollment_id: Id, payload: EnrollmentDecisionIn):
    result = decisions.decide_on_enrollment(actor=request.auth, enrollment_id=enrollment_id, kind=payload.kind,
                                            reason=payload.reason, effective_month=payload.effective_month)
    return Status(201, _decided(result))


class WorkRefusalIn(InputSchema):
    person: int = Field(..., ge=1, le=MAX_ID)
    refusals: int = Field(..., ge=0, le=100)
    from_month: Month
    to_month: Month
    reason: Reason


@router.post("/enrollments/{enrollment_id}/work-refusals", response=responses(EnrollmentChangeOut, ok_status=201),
             summary="Deduct a member's share for refused suitable work (MLG-2021 art. 34)")
def work_refusal(request, enrollment_id: Id, payload: WorkRefusalIn):
    change = decisions.record_work_refusal(actor=request.auth, enrollment_id=enrollment_id, person_id=payload.person,
                                           refusals=payload.refusals, from_month=payload.from_month,
                                           to_month=payload.to_month, reason=payload.reason)
    return Status(201, _change(change))


class MonthsQuery(Schema):
    months: int = Field(12, ge=1, le=60, description="how many months, from three months ago (or the start)")


@router.get("/enrollments/{enrollment_id}/months", response=responses(EnrollmentMonthsOut),
            summary="What the enrollment is due month by month, its decisions and overpayments")
def enrollment_months(request, enrollment_id: Id, query: Query[MonthsQuery]):
    file = selectors.enrollment_file(request.auth, enrollment_id, today=clocks.today(), months=query.months)
    e = file.enrollment
    return {"enrollment": e.pk, "status": e.status, "monthly_amount": e.monthly_amount,
            "next_recheck_date": e.next_recheck_date,
            "months": [vars(m) for m in file.months], "changes": [_change(c) for c in file.changes],
            "overpayments": [_overpayment(o) for o in file.overpayments], "overpaid_open": file.overpaid_open}


# --------------------------------------------------------------------------------------------
# Overpayments
# --------------------------------------------------------------------------------------------
class OverpaymentFilter(PageQuery):
    status: Literal["open", "recovered", "waived"] | None = Field("open", description="default: still outstanding")


@router.get("/overpayments", response=responses(OverpaymentPage), summary="Overpayments in scope (default: outstanding)")
def list_overpayments(request, filters: Query[OverpaymentFilter]):
    qs = selectors.overpayments_in_scope(request.auth, status=filters.status).prefetch_related("settlements")
    return api_page(qs, offset=filters.offset, limit=filters.limit, item=_overpayment)


class OverpaymentRecoveryIn(InputSchema):
    amount: Money
    recovered_on: dt.date | None = Field(None, description="default: today")
    method: Literal["bank_transfer", "cash", "other"]
    note: Reason = ""


@router.post("/overpayments/{overpayment_id}/recover", response=responses(OverpaymentOut),
             summary="Record money paid back (recovered once nothing is outstanding)")
def recover_overpayment(request, overpayment_id: Id, payload: OverpaymentRecoveryIn):
    settlement = overpayments.record_recovery(actor=request.auth, overpayment_id=overpayment_id, amount=payload.amount,
                                              recovered_on=payload.recovered_on, method=payload.method, note=payload.note)
    return _overpayment(settlement.overpayment)


class OverpaymentWaiverIn(InputSchema):
    reason: Reason
    leader: Username = Field(..., description="username of the county leader who decided the waiver")
    decided_on: dt.date | None = Field(None, description="default: today")


@router.post("/overpayments/{overpayment_id}/waive", response=responses(OverpaymentOut),
             summary="Record the waiver of what is outstanding (a county leader's decision)")
def waive_overpayment(request, overpayment_id: Id, payload: OverpaymentWaiverIn):
    settlement = overpayments.waive_overpayment(actor=request.auth, overpayment_id=overpayment_id, reason=payload.reason,
                                                leader=payload.leader, decided_on=payload.decided_on)
    return _overpayment(settlement.overpayment)


# --------------------------------------------------------------------------------------------
# Proposals, endings, triggers
# --------------------------------------------------------------------------------------------
class ChangeProposalFilter(PageQuery):
    status: Literal["pending", "confirmed", "rejected"] | None = Field("pending", description="default: waiting")


@router.get("/proposals", response=responses(ChangeProposalPage), summary="Automatic changes in scope (default: waiting)")
def list_proposals(request, filters: Query[ChangeProposalFilter]):
    qs = selectors.proposals_in_scope(request.auth, status=filters.status)
    return api_page(qs, offset=filters.offset, limit=filters.limit, item=_proposal)


@router.post("/proposals/{proposal_id}/confirm", response=responses(ChangeProposalOut), summary="Confirm an automatic change")
def confirm_proposal(request, proposal_id: Id):
    return _proposal(triggers.confirm_proposal(actor=request.auth, proposal_id=proposal_id))


class ChangeReasonIn(InputSchema):
    reason: Reason


@router.post("/proposals/{proposal_id}/reject", response=responses(ChangeProposalOut), summary="Reject an automatic change, with why")
def reject_proposal(request, proposal_id: Id, payload: ChangeReasonIn):
    return _proposal(triggers.reject_proposal(actor=request.auth, proposal_id=proposal_id, reason=payload.reason))


@router.post("/endings/{pending_id}/apply", response=responses(EnrollmentChangeOut), summary="End special hardship after its notice")
def apply_ending(request, pending_id: Id):
    return _change(decisions.apply_ending_after_notice(actor=request.auth, pending_id=pending_id))


@router.post("/endings/{pending_id}/withdraw", response=responses(PendingEndingOut), summary="Withdraw an ending on notice")
def withdraw_ending(request, pending_id: Id, payload: ChangeReasonIn):
    pending = decisions.withdraw_ending(actor=request.auth, pending_id=pending_id, reason=payload.reason)
    return _decided(pending)["pending_ending"]


class TriggersIn(InputSchema):
    county: County


@router.post("/triggers", response=responses(TriggerOut), summary="Run the department-data triggers of a county now")
def run_triggers(request, payload: TriggersIn):
    return triggers.run_triggers(actor=request.auth, county_code=payload.county).as_dict()
