"""Decisions on an enrollment (issue 5 part 3; POLICY.md §1 Dynamic management, §2): an amount
change re-assessed by the program's rule, a suspension and its lifting, a gradual exit, an ending
(special hardship only after its 7-day public notice), and a deduction for a member who refused
suitable work. Each has its reason, takes effect from a month, is written to `EnrollmentChange`
with the rule's outcome and the facts it rested on, re-writes the amount history the payroll joins
(schedule.py) and is audited.

Who: `payments.decide` (the county, the town leader, the county leader — those who confirm
cases), within their area; another area's enrollment answers 404.

The `_decide_*` functions do the work inside a caller's transaction (a re-check's closing, a
confirmed proposal); the public services wrap them in their own.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.cases import clocks
from safetynet.cases.snapshots import member_name
from safetynet.core.audit import record_event
from safetynet.core.dates import parse_month as core_parse_month
from safetynet.core.errors import Conflict, NotFound, ValidationError
from safetynet.core.money import parse_money
from safetynet.core.scoping import Actor, get_in_scope
from safetynet.core.unitofwork import AT_ONCE
from safetynet.programs.selectors import dibao_parameters, parameters_for
from safetynet.publicity import services as publicity
from safetynet.publicity.models import NoticeStatus
from safetynet.registry.models import Person

from . import reassessment, schedule
from .change_models import ChangeKind, EndingStatus, PendingEnding, WorkRefusalDeduction
from .models import PAID_STATUSES, Enrollment, EnrollmentChange, EnrollmentStatus
from .months import month_text, next_month, shift_month
from .schedule import Segment

DECIDE = "payments.decide"
ACTIVE, SUSPENDED, GRADUAL_EXIT, ENDED = (EnrollmentStatus.ACTIVE, EnrollmentStatus.SUSPENDED,
                                          EnrollmentStatus.GRADUAL_EXIT, EnrollmentStatus.ENDED)


# ---------------------------------------------------------------------------------------------
# Input
# ---------------------------------------------------------------------------------------------
def load_enrollment(actor: Actor, enrollment_id, *, for_update: bool = True) -> Enrollment:
    try:
        enrollment_id = int(enrollment_id)
    except (TypeError, ValueError):
        raise NotFound(_("Not found."))
    qs = Enrollment.objects.select_related("household", "case")
    return get_in_scope(qs.select_for_update(of=("self",)) if for_update else qs, actor, pk=enrollment_id)


def clean_reason(value, field: str = "reason") -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError(_("Give the reason for the decision, in words the household can be told."), field=field)
    if len(text) > 500:
        raise ValidationError(_("At most 500 characters."), field=field)
    return text


def parse_month(value, field: str = "effective_month") -> dt.date:
    return core_parse_month(value, field=field, required=True, code="invalid")


def effective_month(enrollment: Enrollment, value, today: dt.date) -> dt.date:
    """The month a decision takes effect from: as given (not before the enrollment's start), or
    the next month not yet paid (schedule.default_effective_month)."""
    if value in (None, ""):
        return schedule.default_effective_month(enrollment, today)
    month = parse_month(value)
    if month < enrollment.start_month:
        raise ValidationError(_("The enrollment starts in %(start)s: a decision cannot take effect before it.")
                              % {"start": month_text(enrollment.start_month)}, field="effective_month")
    return month


def _require_live(enrollment: Enrollment) -> None:
    if enrollment.status == ENDED:
        raise Conflict(_("This enrollment has ended (%(why)s): nothing more can be decided on it.")
                       % {"why": enrollment.end_reason or "—"}, code="enrollment_ended")


def _require_status(enrollment: Enrollment, month: dt.date, allowed, message: str) -> tuple[str, Decimal]:
    status, amount = schedule.in_force(enrollment, month)
    if status not in allowed:
        raise Conflict(message % {"month": month_text(month), "status": EnrollmentStatus(status).label},
                       field="effective_month", code="wrong_status")
    return status, amount


# ---------------------------------------------------------------------------------------------
# The one place a decision is written
# ---------------------------------------------------------------------------------------------
@dataclass
class Written:
    change: EnrollmentChange
    released: int = 0
    overpaid_months: int = 0


def write_decision(*, actor: Actor, enrollment: Enrollment, kind: str, reason: str, month: dt.date,
                   segments: list[Segment] | None = None, price=None, person_id: int | None = None,
                   until_month: dt.date | None = None, assessment: dict | None = None, facts: dict | None = None,
                   recheck=None, decision_id: int | None = None, also=None) -> Written:
    """Record the change, re-write the months from `month` (`segments`, or `price` to keep the
    statuses and re-price them; `also(change)` for what else the decision writes), bring the
    enrollment's own status and amount in line, settle the money already generated, and audit.
    Inside the caller's transaction."""
    today = clocks.today()
    before_status, before_amount = schedule.in_force(enrollment, month)
    change = EnrollmentChange.objects.create(
        enrollment=enrollment, from_amount=before_amount, to_amount=before_amount, from_status=before_status,
        to_status=before_status, reason=reason[:500], decision_id=decision_id, effective_month=month, kind=kind,
        person_id=person_id, until_month=until_month, assessment=assessment or {}, facts=facts or {}, recheck=recheck,
        by_id=actor.user_id, by_username=actor.username)
    if segments is not None:
        schedule.rewrite_from(enrollment, month, segments, change)
    elif price is not None:
        schedule.reprice_from(enrollment, month, price, change)
    else:
        schedule.ensure_opening_term(enrollment)
    after_status, after_amount = schedule.in_force(enrollment, month)
    change.to_status, change.to_amount = after_status, after_amount
    if also is not None:
        also(change)
    change.save(update_fields=["to_status", "to_amount"])
    schedule.settle_enrollment(enrollment, month, today, reason)
    money = schedule.reconcile_payments(enrollment, month, change)
    record_event(actor=actor, action=f"payments.decide_{kind}", obj=enrollment,
                 before={"status": before_status, "amount": before_amount, "month": month},
                 after={"status": after_status, "amount": after_amount, "month": month, "until": until_month,
                        "reason": reason, "person": person_id, "change": change.pk, **money})
    return Written(change, money["released"], money["overpaid_months"])


# ---------------------------------------------------------------------------------------------
# Each kind of decision
# ---------------------------------------------------------------------------------------------
def decide_amount(*, actor: Actor, enrollment: Enrollment, reason: str, month: dt.date, facts: dict,
                  recheck=None, care_level: str | None = None) -> Written:
    """Re-assess on `facts` with the parameters in force in `month`; the rule's amount holds from then."""
    _require_live(enrollment)
    _require_status(enrollment, month, PAID_STATUSES + (SUSPENDED,),
                    _("In %(month)s the enrollment is %(status)s: its amount cannot change then."))
    outcome = reassessment.assess(enrollment, facts, month, care_level=care_level)
    if not outcome.eligible:
        raise Conflict(_("Re-assessed on these facts the household is no longer eligible (%(why)s): decide a gradual exit "
                         "or an ending instead.") % {"why": "; ".join(str(r) for r in outcome.reasons)},
                       code="not_eligible", details={"reasons": [str(r) for r in outcome.reasons]})
    _status, amount = schedule.in_force(enrollment, month)
    if outcome.monthly_amount == amount:
        raise ValidationError(_("Re-assessed on these facts the amount stays ¥%(amount)s: close the re-check as unchanged.")
                              % {"amount": f"{amount:.2f}"}, field="kind", code="unchanged")
    return write_decision(actor=actor, enrollment=enrollment, kind=ChangeKind.AMOUNT, reason=reason, month=month,
                          segments=[Segment(month, None, ACTIVE, outcome.monthly_amount)],
                          assessment=reassessment.outcome_json(outcome), facts=facts, recheck=recheck)


def decide_suspension(*, actor: Actor, enrollment: Enrollment, reason: str, month: dt.date, recheck=None) -> Written:
    _require_live(enrollment)
    _status, amount = _require_status(enrollment, month, PAID_STATUSES,
                                      _("In %(month)s the enrollment is %(status)s: only a paid enrollment is suspended."))
    return write_decision(actor=actor, enrollment=enrollment, kind=ChangeKind.SUSPENSION, reason=reason, month=month,
                          segments=[Segment(month, None, SUSPENDED, amount)], recheck=recheck)


def decide_resumption(*, actor: Actor, enrollment: Enrollment, reason: str, month: dt.date) -> Written:
    """Lift a suspension from `month` at the amount that was suspended (an amount change is its
    own decision). Months of the suspension before `month` stay unpaid."""
    _require_live(enrollment)
    _status, amount = _require_status(enrollment, month, (SUSPENDED,),
                                      _("In %(month)s the enrollment is %(status)s, not suspended."))
    return write_decision(actor=actor, enrollment=enrollment, kind=ChangeKind.RESUMPTION, reason=reason, month=month,
                          segments=[Segment(month, None, ACTIVE, amount)])


def decide_gradual_exit(*, actor: Actor, enrollment: Enrollment, reason: str, month: dt.date, facts: dict,
                        recheck=None) -> Written:
    """MLG-2021 art. 33 (POLICY.md §1): income lifted above the standard by work → the current
    amount keeps being paid for the gradual-exit months, then the enrollment ends by itself."""
    _require_live(enrollment)
    _status, amount = _require_status(enrollment, month, (ACTIVE,),
                                      _("In %(month)s the enrollment is %(status)s: a gradual exit starts from an active enrollment."))
    outcome, months = reassessment.assess_gradual_exit(enrollment, facts, month, current_amount=amount)
    if not outcome.details.get("gradual_exit"):
        why = "; ".join(str(r) for r in outcome.reasons)
        if outcome.eligible:
            raise Conflict(_("Re-assessed on these facts the household is still eligible (¥%(amount)s): change the amount instead.")
                           % {"amount": f"{outcome.monthly_amount:.2f}"}, code="still_eligible")
        raise Conflict(_("No gradual exit on these facts (%(why)s): end the enrollment instead.") % {"why": why},
                       code="no_gradual_exit", details={"reasons": [str(r) for r in outcome.reasons]})
    until = shift_month(month, months)
    return write_decision(actor=actor, enrollment=enrollment, kind=ChangeKind.GRADUAL_EXIT, reason=reason, month=month,
                          segments=[Segment(month, until, GRADUAL_EXIT, amount), Segment(until, None, ENDED, amount)],
                          until_month=until, assessment=reassessment.outcome_json(outcome), facts=facts, recheck=recheck)


def decide_ending(*, actor: Actor, enrollment: Enrollment, reason: str, month: dt.date, recheck=None,
                  kind: str = ChangeKind.ENDING, person_id: int | None = None, assessment: dict | None = None,
                  facts: dict | None = None) -> Written:
    _require_live(enrollment)
    _status, amount = schedule.in_force(enrollment, month)
    return write_decision(actor=actor, enrollment=enrollment, kind=kind, reason=reason, month=month,
                          segments=[Segment(month, None, ENDED, amount)], recheck=recheck, person_id=person_id,
                          assessment=assessment, facts=facts)


def post_ending_notice(*, actor: Actor, enrollment: Enrollment, reason: str, month: dt.date | None,
                       recheck=None) -> PendingEnding:
    """Special hardship ends only after a 7-day public notice (SH-2021 art. 26; POLICY.md §2):
    the notice goes on the village board (publicity, masked as every notice is: the name as
    surname plus one character, amount ¥0 meaning "support to end") and the ending waits."""
    _require_live(enrollment)
    if PendingEnding.objects.filter(enrollment=enrollment, status=EndingStatus.NOTICE).exists():
        raise Conflict(_("An ending of this enrollment is already on public notice."), code="ending_on_notice")
    today = clocks.today()
    days = int(parameters_for("special_hardship", enrollment.area_id, today.replace(day=1)).get("notice_days") or 7)
    ends_on = clocks.notice_last_day(today, days)
    person_id = enrollment.person_id or enrollment.household.head_id
    name = member_name(enrollment.case.snapshot, person_id) or ""
    if not name and person_id:
        name = Person.objects.filter(pk=person_id).values_list("name", flat=True).first() or ""
    notice = publicity.post_notice(AT_ONCE, case=enrollment.case, applicant_name=name, members_count=1, monthly_amount=Decimal("0.00"),
                                   starts_on=today, ends_on=ends_on, posted_by=actor.username)
    pending = PendingEnding.objects.create(
        enrollment=enrollment, area_id=enrollment.area_id, notice=notice, reason=reason[:500], effective_month=month,
        notice_ends_on=ends_on, recheck=recheck, decided_by=actor.username, decided_by_user_id=actor.user_id)
    record_event(actor=actor, action="payments.post_ending_notice", obj=enrollment,
                 after={"notice": notice.pk, "ends_on": ends_on, "reason": reason, "effective_month": month})
    return pending


def needs_notice(enrollment: Enrollment) -> bool:
    return enrollment.program_id == reassessment.SPECIAL_HARDSHIP


def work_refusal_share(enrollment: Enrollment, person_id: int, month: dt.date, facts: dict) -> tuple[Decimal, dict]:
    """The member's own share: the amount on the facts in force, less the amount with him
    counted as refusing (rules.assess_dibao leaves such a member's gap and increment out)."""
    full = reassessment.assess(enrollment, facts, month)
    refused = reassessment.assess(enrollment, facts, month, refused=(person_id,))
    share = (full.monthly_amount - (refused.monthly_amount if refused.eligible else Decimal("0.00")))
    return share, {"with_member": reassessment.outcome_json(full), "without_member_share": reassessment.outcome_json(refused)}


def decide_work_refusal(*, actor: Actor, enrollment: Enrollment, person_id, refusals, from_month: dt.date,
                        to_month: dt.date, reason: str) -> Written:
    """A member who refused suitable work the limit number of times (MLG-2021 art. 34: three)
    loses his own share for the months named (`from_month` to `to_month`, both included)."""
    _require_live(enrollment)
    if enrollment.program_id != reassessment.DIBAO:
        raise ValidationError(_("Deductions for refused work apply to dibao."), field="person")
    try:
        person = Person.objects.get(pk=int(person_id), household_id=enrollment.household_id, is_deceased=False)
    except (Person.DoesNotExist, TypeError, ValueError):
        raise ValidationError(_("Choose a living member of the household."), field="person")
    try:
        refusals = int(refusals)
    except (TypeError, ValueError):
        raise ValidationError(_("Give how many times the member refused suitable work."), field="refusals")
    limit = dibao_parameters(enrollment.area_id, from_month).refused_work_limit
    if refusals < limit:
        raise ValidationError(_("A member loses his share after refusing suitable work %(limit)d times (MLG-2021 art. 34); "
                                "%(n)d recorded.") % {"limit": limit, "n": refusals}, field="refusals")
    if to_month < from_month:
        raise ValidationError(_("The last month cannot be before the first."), field="to_month")
    until = next_month(to_month)
    if WorkRefusalDeduction.objects.filter(enrollment=enrollment, person=person, from_month__lt=until,
                                           until_month__gt=from_month).exists():
        raise Conflict(_("%(name)s already has a deduction for some of these months.") % {"name": person.name},
                       field="from_month", code="deduction_overlaps")
    facts = reassessment.facts_in_force(enrollment)
    share, assessment = work_refusal_share(enrollment, person.pk, from_month, facts)
    if share <= 0:
        raise ValidationError(_("%(name)s has no share in the amount to deduct.") % {"name": person.name}, field="person")
    def deduct(change: EnrollmentChange) -> None:
        WorkRefusalDeduction.objects.create(enrollment=enrollment, person=person, from_month=from_month, until_month=until,
                                            amount=share, refusals=refusals, change=change)
        change.to_amount = max(change.from_amount - share, Decimal("0.00"))

    return write_decision(actor=actor, enrollment=enrollment, kind=ChangeKind.WORK_REFUSAL, reason=reason,
                          month=from_month, person_id=person.pk, until_month=until, assessment=assessment, facts=facts,
                          also=deduct)


# ---------------------------------------------------------------------------------------------
# Services (own transactions)
# ---------------------------------------------------------------------------------------------
DECISION_KINDS = ("amount", "suspension", "resumption", "gradual_exit", "ending")


@transaction.atomic(durable=True)
def decide_on_enrollment(*, actor: Actor, enrollment_id: int, kind: str, reason: str, effective_month=None,
                         care_level: str | None = None):
    """A decision outside a re-check (a re-check's closing decides through rechecks.close_recheck).
    Amount changes and gradual exits re-assess on the registry as it is now, corrected by the
    household's latest verification result. Returns the EnrollmentChange, or the PendingEnding of
    a special-hardship ending put on notice."""
    actor.require(DECIDE)
    enrollment = load_enrollment(actor, enrollment_id)
    if kind not in DECISION_KINDS:
        raise ValidationError(_("Choose what to decide."), field="kind")
    reason = clean_reason(reason)
    month = effective_month_for(enrollment, effective_month)
    if kind in ("amount", "gradual_exit"):
        facts = reassessment.current_facts(enrollment, result=reassessment.latest_result(enrollment))
        if kind == "amount":
            return decide_amount(actor=actor, enrollment=enrollment, reason=reason, month=month, facts=facts,
                                 care_level=care_level).change
        return decide_gradual_exit(actor=actor, enrollment=enrollment, reason=reason, month=month, facts=facts).change
    if kind == "suspension":
        return decide_suspension(actor=actor, enrollment=enrollment, reason=reason, month=month).change
    if kind == "resumption":
        return decide_resumption(actor=actor, enrollment=enrollment, reason=reason, month=month).change
    if needs_notice(enrollment):
        return post_ending_notice(actor=actor, enrollment=enrollment, reason=reason,
                                  month=None if effective_month in (None, "") else month)
    return decide_ending(actor=actor, enrollment=enrollment, reason=reason, month=month).change


def effective_month_for(enrollment: Enrollment, value) -> dt.date:
    return effective_month(enrollment, value, clocks.today())


@transaction.atomic(durable=True)
def record_work_refusal(*, actor: Actor, enrollment_id: int, person_id, refusals, from_month, to_month,
                        reason: str) -> EnrollmentChange:
    actor.require(DECIDE)
    enrollment = load_enrollment(actor, enrollment_id)
    reason = clean_reason(reason)
    start = parse_month(from_month, "from_month")
    if start < enrollment.start_month:
        raise ValidationError(_("The enrollment starts in %(start)s: a decision cannot take effect before it.")
                              % {"start": month_text(enrollment.start_month)}, field="from_month")
    end = parse_month(to_month, "to_month")
    return decide_work_refusal(actor=actor, enrollment=enrollment, person_id=person_id, refusals=refusals,
                               from_month=start, to_month=end, reason=reason).change


def _load_pending(actor: Actor, pending_id) -> PendingEnding:
    try:
        pending_id = int(pending_id)
    except (TypeError, ValueError):
        raise NotFound(_("Not found."))
    return get_in_scope(PendingEnding.objects.select_for_update(of=("self",)).select_related("enrollment", "notice"), actor, pk=pending_id)


@transaction.atomic(durable=True)
def apply_ending_after_notice(*, actor: Actor, pending_id: int) -> EnrollmentChange:
    """The notice ran its days: the special-hardship support ends, from the month after the
    notice closed (or the later month the decision named)."""
    actor.require(DECIDE)
    pending = _load_pending(actor, pending_id)
    if pending.status != EndingStatus.NOTICE:
        raise Conflict(_("This ending is no longer on notice (%(status)s).") % {"status": EndingStatus(pending.status).label},
                       code="not_on_notice")
    today = clocks.today()
    if today <= pending.notice_ends_on:
        raise Conflict(_("The public notice runs until %(day)s: the support can be ended from %(next)s on.")
                       % {"day": pending.notice_ends_on.isoformat(),
                          "next": (pending.notice_ends_on + dt.timedelta(days=1)).isoformat()}, code="notice_running")
    enrollment = Enrollment.objects.select_for_update(of=("self",)).select_related("household", "case").get(pk=pending.enrollment_id)
    month = max(next_month(today), pending.effective_month or enrollment.start_month, enrollment.start_month)
    written = decide_ending(actor=actor, enrollment=enrollment, reason=pending.reason, month=month, recheck=pending.recheck)
    publicity.end_notice(AT_ONCE, case=enrollment.case)
    pending.status, pending.change, pending.effective_month = EndingStatus.APPLIED, written.change, month
    pending.closed_at = written.change.at
    pending.save(update_fields=["status", "change", "effective_month", "closed_at"])
    return written.change


@transaction.atomic(durable=True)
def withdraw_ending(*, actor: Actor, pending_id: int, reason: str) -> PendingEnding:
    """An objection upheld, or facts corrected: the notice comes down and the support goes on."""
    actor.require(DECIDE)
    pending = _load_pending(actor, pending_id)
    reason = clean_reason(reason)
    if pending.status != EndingStatus.NOTICE:
        raise Conflict(_("This ending is no longer on notice (%(status)s).") % {"status": EndingStatus(pending.status).label},
                       code="not_on_notice")
    publicity.end_notice(AT_ONCE, case=pending.enrollment.case, status=NoticeStatus.WITHDRAWN)
    pending.status, pending.closed_at = EndingStatus.WITHDRAWN, timezone.now()
    pending.save(update_fields=["status", "closed_at"])
    record_event(actor=actor, action="payments.withdraw_ending", obj=pending.enrollment,
                 after={"pending": pending.pk, "reason": reason})
    return pending


def amount_value(value, field: str = "amount") -> Decimal:
    """An amount as typed (core.money.parse_money: refused, never rounded)."""
    return parse_money(value, field=field)
