"""Change reports and the re-check queue (issue 5 part 3; POLICY.md §1 Dynamic management).

A re-check opens when the enrollment's next re-check date comes due (yearly, or every 6 months
for households with unstable income and members able to work: REFORM-2020), when the household
reports a change (MLG-2021 art. 30), or when department data shows something new (triggers.py).
One re-check is open per enrollment at a time (a database constraint); a report or a signal on an
enrollment that already has one joins it. A re-check opened by a report or a signal is due within
the working days of the programs catalogue's `recheck_days` in force for the enrollment's area and
month (`recheck_days`: 10 by default, SH-2021 art. 22, used for dibao too), and moves the enrollment's next re-check date to today, so the
county's batch verification of the enrollments due (`verification.services.run_verification(
kind="due")`) takes it in too.

Worked in order: verification (online through `verification.services.verify_household`, or the
household's result from a batch run since the re-check opened), a household survey when needed
(`survey_needed`), then a decision (`close_recheck`): unchanged, amount change, suspension,
gradual exit or ending (decisions.py). Closing sets the next re-check date by the same rule as
a confirmation (cases.clocks.recheck_date).
"""
from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.cases import clocks
from safetynet.core.audit import record_event
from safetynet.core.dates import parse_date
from safetynet.core.errors import Conflict, NotFound, ValidationError
from safetynet.core.scoping import Actor, get_in_scope
from safetynet.core.workdays import add_working_days
from safetynet.programs import rules
from safetynet.programs.selectors import parameters_for
from safetynet.verification.models import HouseholdResult
from safetynet.verification.reports import unexplained_gaps
from safetynet.verification.services import verification_service_actor, verify_household
from safetynet.workforce.selectors import resolve_investigators

from . import decisions, reassessment
from .change_models import (
    ChangeReport,
    Recheck,
    RecheckOutcome,
    RecheckReason,
    RecheckStatus,
    ReportKind,
)
from .models import LIVE_STATUSES, Enrollment
from .months import month_of, next_month
from .reassessment import DIBAO, SPECIAL_HARDSHIP, latest_result

# Scheduled re-checks enter the queue this many working days before their date.
SCHEDULED_LEAD_DAYS = 10
REPORT_CHANGE = "payments.report_change"
RECHECK = "payments.recheck"


# ---------------------------------------------------------------------------------------------
# Opening
# ---------------------------------------------------------------------------------------------
def recheck_days(enrollment: Enrollment, today: dt.date) -> int:
    """The working days a re-check opened today has (programs catalogue `recheck_days`, resolved
    for the enrollment's area and this month: an area's own value beats the national default)."""
    program = SPECIAL_HARDSHIP if enrollment.program_id == SPECIAL_HARDSHIP else DIBAO
    return int(parameters_for(program, enrollment.area_id, month_of(today))["recheck_days"])


def open_or_join(enrollment: Enrollment, *, reason: str, detail: str, today: dt.date) -> tuple[Recheck, bool]:
    """The enrollment's open re-check, or a new one due in `recheck_days` working days. Inside the
    caller's transaction, with the enrollment locked."""
    current = Recheck.objects.filter(enrollment=enrollment, status=RecheckStatus.OPEN).first()
    if current is not None:
        if detail and detail not in current.reason_detail:
            current.reason_detail = "; ".join(x for x in (current.reason_detail, detail) if x)[:500]
            current.save(update_fields=["reason_detail"])
        return current, False
    recheck = Recheck.objects.create(enrollment=enrollment, area_id=enrollment.area_id, reason=reason,
                                     reason_detail=detail[:500], opened_on=today,
                                     due_on=add_working_days(today, recheck_days(enrollment, today)))
    if enrollment.next_recheck_date > today:
        Enrollment.objects.filter(pk=enrollment.pk).update(next_recheck_date=today)
        enrollment.next_recheck_date = today
    return recheck, True


def open_due_rechecks(area_code: str, today: dt.date) -> int:
    """Every live enrollment of the area whose next re-check date falls within the lead days and
    that has no open re-check gets one, due on its date: one INSERT ... SELECT."""
    t_recheck, t_enrollment = Recheck._meta.db_table, Enrollment._meta.db_table
    horizon = add_working_days(today, SCHEDULED_LEAD_DAYS)
    sql = (f"INSERT INTO {t_recheck} (enrollment_id, area_id, reason, reason_detail, opened_on, due_on, status, "
           f"survey_investigators, survey_findings, survey_signed, care_level, outcome, closed_by, note, created_at) "
           f"SELECT e.id, e.area_id, 'scheduled', '', %s, e.next_recheck_date, 'open', '[]', '', %s, '', '', '', '', %s "
           f"FROM {t_enrollment} e WHERE e.area_id LIKE %s AND e.status IN ('active', 'suspended', 'gradual_exit') "
           f"AND e.next_recheck_date <= %s "
           f"AND NOT EXISTS (SELECT 1 FROM {t_recheck} r WHERE r.enrollment_id = e.id AND r.status = 'open') "
           f"ON CONFLICT DO NOTHING")
    with connection.cursor() as cursor:
        cursor.execute(sql, [today, False, timezone.now(), f"{area_code}%", horizon])
        return max(cursor.rowcount, 0)


@transaction.atomic(durable=True)
def record_change_report(*, actor: Actor, enrollment_id: int, kind: str, description: str, reported_on=None) -> ChangeReport:
    """A household's report of a change in its income, members or address (MLG-2021 art. 30),
    recorded by the village or the town; it opens (or joins) a re-check in the town's queue."""
    actor.require(REPORT_CHANGE)
    enrollment = decisions.load_enrollment(actor, enrollment_id)
    if enrollment.status not in LIVE_STATUSES:
        raise Conflict(_("This enrollment has ended: a change is reported with a new application."), code="enrollment_ended")
    if kind not in ReportKind.values:
        raise ValidationError(_("Say what changed: income, household members or address."), field="kind")
    description = (description or "").strip()
    if not description:
        raise ValidationError(_("Write what the household reports."), field="description")
    if len(description) > 2000:
        raise ValidationError(_("At most 2000 characters."), field="description")
    today = clocks.today()
    day = _past_date(reported_on, "reported_on", today) if reported_on not in (None, "") else today
    recheck, _created = open_or_join(enrollment, reason=RecheckReason.CHANGE_REPORT,
                                     detail=f"{ReportKind(kind).label}: {description[:120]}", today=today)
    report = ChangeReport.objects.create(
        enrollment=enrollment, household_id=enrollment.household_id, area_id=enrollment.area_id, kind=kind,
        description=description, reported_on=day, recheck=recheck, recorded_by=actor.username, recorded_role=actor.role)
    record_event(actor=actor, action="payments.record_change_report", obj=report,
                 after={"enrollment": enrollment.pk, "kind": kind, "reported_on": day, "recheck": recheck.pk})
    return report


def _past_date(value, field: str, today: dt.date) -> dt.date:
    day = parse_date(value, field=field, required=True, message=_("Write the date as YYYY-MM-DD."), code="invalid")
    if day > today:
        raise ValidationError(_("The date cannot be in the future."), field=field)
    return day


# ---------------------------------------------------------------------------------------------
# Working a re-check
# ---------------------------------------------------------------------------------------------
def load_recheck(actor: Actor, recheck_id, *, for_update: bool = False) -> Recheck:
    try:
        recheck_id = int(recheck_id)
    except (TypeError, ValueError):
        raise NotFound(_("Not found."))
    qs = Recheck.objects.select_related("enrollment", "enrollment__household", "enrollment__case")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    return get_in_scope(qs, actor, pk=recheck_id)


def _require_open(recheck: Recheck) -> None:
    if recheck.status != RecheckStatus.OPEN:
        raise Conflict(_("This re-check is closed."), code="recheck_closed")


def recheck_result(recheck: Recheck):
    """The verification the re-check rests on: the one it ran, else a batch run's since it opened."""
    if recheck.household_result_id:
        return HouseholdResult.objects.select_related("run").filter(pk=recheck.household_result_id).first()
    return latest_result(recheck.enrollment, since=recheck.created_at)


def _attach_report(actor: Actor, recheck: Recheck, result, action: str) -> None:
    """File a household's verification report (its `HouseholdResult`, whose page and PDF are the
    report) on the re-check that asked for it (issue 4 part 4), audited."""
    recheck.verification_run_id, recheck.household_result_id = result.run_id, result.pk
    recheck.verified_at = timezone.now()
    recheck.save(update_fields=["verification_run_id", "household_result_id", "verified_at"])
    record_event(actor=actor, action=action, obj=recheck,
                 after={"run": result.run_id, "result": result.pk, "flags": result.flags})


def verify_recheck(*, actor: Actor, recheck_id: int) -> Recheck:
    """Run the household through the verification engine now (the county's verification service
    runs it for the town: `verification_service_actor`), and keep the report on the re-check."""
    actor.require(RECHECK)
    recheck = load_recheck(actor, recheck_id)
    _require_open(recheck)
    report = verify_household(actor=verification_service_actor(), household_id=recheck.enrollment.household_id)
    with transaction.atomic(durable=True):
        recheck = load_recheck(actor, recheck.pk, for_update=True)
        _require_open(recheck)
        _attach_report(actor, recheck, report.result, "payments.verify_recheck")
    return recheck


def attach_due_run(*, actor: Actor, run) -> dict[str, int]:
    """A finished batch of the enrollments due (`verification.services.run_verification(kind=
    "due")`) files each household's report on its enrollment's open re-check that has none yet
    (one the town ran online is kept). Called by the run itself, as the verification service or
    the county officer who ran it; idempotent. Returns {re-check id: result id} of those filed."""
    enrollments = {int(e): int(h) for e, h in ((run.notes or {}).get("enrollments") or {}).items()}
    if not enrollments:
        return {}
    attached: dict[str, int] = {}
    with transaction.atomic(durable=True):
        ids = list(enrollments)
        for start in range(0, len(ids), 5000):
            open_ones = list(Recheck.objects.select_for_update().filter(
                enrollment_id__in=ids[start:start + 5000], status=RecheckStatus.OPEN, household_result_id__isnull=True))
            results = {r.household_id: r for r in HouseholdResult.objects.filter(
                run=run, household_id__in={enrollments[r.enrollment_id] for r in open_ones})}
            for recheck in open_ones:
                result = results.get(enrollments[recheck.enrollment_id])
                if result is not None and actor.covers(recheck.area_id):
                    _attach_report(actor, recheck, result, "payments.attach_verification")
                    attached[str(recheck.pk)] = result.pk
    return attached


@transaction.atomic(durable=True)
def record_recheck_survey(*, actor: Actor, recheck_id: int, conducted_on, investigators, findings: str,
                          signed_by_household: bool = False, daily_activities: dict | None = None) -> Recheck:
    """The home visit of a re-check: at least two investigators (MLG-2021 art. 15–16), what they
    found; for special hardship the six daily activities, which give the care level (SH-2021 art.
    21–22, rules.care_level)."""
    actor.require(RECHECK)
    recheck = load_recheck(actor, recheck_id, for_update=True)
    _require_open(recheck)
    today = clocks.today()
    day = _past_date(conducted_on if conducted_on not in (None, "") else today, "conducted_on", today)
    if day < recheck.opened_on:
        raise ValidationError(_("The visit cannot be before the re-check opened (%(day)s).") % {"day": recheck.opened_on},
                              field="conducted_on")
    names = _investigator_names(investigators, actor)
    if len(set(names)) < 2:
        raise ValidationError(_("A household survey needs at least two investigators."), field="investigators")
    findings = (findings or "").strip()
    if not findings:
        raise ValidationError(_("Write what the visit found."), field="findings")
    level = ""
    if daily_activities:
        try:
            level = rules.care_level({k: bool(v) for k, v in daily_activities.items()})
        except ValueError:
            raise ValidationError(_("Answer all six daily activities."), field="daily_activities")
    recheck.survey_on, recheck.survey_investigators, recheck.survey_findings = day, names[:10], findings[:20000]
    recheck.survey_signed, recheck.care_level = bool(signed_by_household), level
    recheck.save(update_fields=["survey_on", "survey_investigators", "survey_findings", "survey_signed", "care_level"])
    record_event(actor=actor, action="payments.record_recheck_survey", obj=recheck,
                 after={"conducted_on": day, "investigators": len(names), "care_level": level})
    return recheck


def _investigator_names(investigators, actor: Actor) -> list[str]:
    """The names kept on the re-check: people picked from the staff register or typed with their
    ID number (the case survey's picker, `workforce.selectors.resolve_investigators`), or, from
    the API, plain names."""
    items = list(investigators or [])
    if any(isinstance(item, dict) for item in items):
        return [person["name"] for person in resolve_investigators(items, actor=actor)]
    return [str(n).strip() for n in items if str(n).strip()]


def survey_needed(recheck: Recheck, result=None) -> bool:
    """A survey is needed when the facts moved beyond what data shows: members or address
    reported changed, department data found something new, or the verification flagged the
    household (POLICY.md §1, §5)."""
    if recheck.reason == RecheckReason.DEPARTMENT_DATA:
        return True
    if recheck.reports.filter(kind__in=(ReportKind.MEMBERS, ReportKind.ADDRESS)).exists():
        return True
    result = recheck_result(recheck) if result is None else result
    return bool(result is not None and result.flagged)


def next_recheck_date(enrollment: Enrollment, snapshot: dict, today: dt.date) -> dt.date:
    """The rule a confirmation uses (POLICY.md §1 Dynamic management: cases.clocks.recheck_date),
    counted from next month."""
    return clocks.recheck_date(enrollment.program_id, snapshot, next_month(today), today)


CLOSING_OUTCOMES = ("kept", "amount", "suspension", "gradual_exit", "ending")


@transaction.atomic(durable=True)
def require_complete_or_signed(result) -> None:
    """A re-check is never decided on a report that read nothing from a department (issue 15:
    missing or out-of-date data is not an all-clear): each such dataset needs the county
    officer's reason, given when signing the report (verification/coverage.require_reasons)."""
    missing = unexplained_gaps(result)
    if missing:
        raise Conflict(_("The verification report lacks department data or read it out of date (%(datasets)s): a county "
                         "officer signs the report with a reason for each before the re-check is decided.")
                       % {"datasets": _(", ").join(c.label for c in missing)}, code="verification_incomplete")


def close_recheck(*, actor: Actor, recheck_id: int, outcome: str, reason: str, effective_month=None) -> Recheck:
    """End the re-check with a decision (payments.decide). Needs the verification, and the survey
    when `survey_needed`. "kept": the facts keep the amount (MLG-2021 art. 31)."""
    actor.require(decisions.DECIDE)
    recheck = load_recheck(actor, recheck_id, for_update=True)
    _require_open(recheck)
    if outcome not in CLOSING_OUTCOMES:
        raise ValidationError(_("Choose the outcome of the re-check."), field="outcome")
    reason = decisions.clean_reason(reason)
    enrollment = decisions.load_enrollment(actor, recheck.enrollment_id)
    result = recheck_result(recheck)
    if result is None:
        raise Conflict(_("Verify the household with department data first."), code="verification_missing")
    require_complete_or_signed(result)
    if survey_needed(recheck, result) and not recheck.survey_on:
        raise Conflict(_("This re-check needs a household survey before it is decided."), code="survey_missing")
    today = clocks.today()
    facts = reassessment.current_facts(enrollment, result=result)
    month = decisions.effective_month(enrollment, effective_month, today)
    change, closing = None, outcome
    if outcome == "amount":
        change = decisions.decide_amount(actor=actor, enrollment=enrollment, reason=reason, month=month, facts=facts,
                                         recheck=recheck, care_level=recheck.care_level or None).change
    elif outcome == "suspension":
        change = decisions.decide_suspension(actor=actor, enrollment=enrollment, reason=reason, month=month,
                                             recheck=recheck).change
    elif outcome == "gradual_exit":
        change = decisions.decide_gradual_exit(actor=actor, enrollment=enrollment, reason=reason, month=month, facts=facts,
                                               recheck=recheck).change
    elif outcome == "ending":
        if decisions.needs_notice(enrollment):
            decisions.post_ending_notice(actor=actor, enrollment=enrollment, reason=reason,
                                         month=None if effective_month in (None, "") else month, recheck=recheck)
            closing = RecheckOutcome.ENDING_NOTICE
        else:
            change = decisions.decide_ending(actor=actor, enrollment=enrollment, reason=reason, month=month,
                                             recheck=recheck).change
    recheck.status, recheck.outcome, recheck.change = RecheckStatus.CLOSED, closing, change
    recheck.closed_on, recheck.closed_by, recheck.note = today, actor.username, reason
    recheck.save(update_fields=["status", "outcome", "change", "closed_on", "closed_by", "note"])
    enrollment.refresh_from_db(fields=["status", "next_recheck_date"])
    if enrollment.status in LIVE_STATUSES:
        enrollment.next_recheck_date = next_recheck_date(enrollment, facts["snapshot"], today)
        Enrollment.objects.filter(pk=enrollment.pk).update(next_recheck_date=enrollment.next_recheck_date)
    record_event(actor=actor, action="payments.close_recheck", obj=recheck,
                 after={"outcome": closing, "change": change.pk if change else None, "reason": reason,
                        "next_recheck_date": enrollment.next_recheck_date})
    return recheck
