"""Every write a case offers, as the office names it (DESIGN.md §3, §8; POLICY.md §1–3).

Contract for pages, the API and jobs built on top
-------------------------------------------------
- Every service takes keyword-only arguments, the acting post first (`actor: Actor`), and the
  case by id (`case_id`). `version` (optional, the `Case.version` the user saw on the page) makes
  a stale form fail with `StaleCase` instead of acting on a case someone else just moved.
- Each runs in one durable transaction and returns the updated `Case` (or the created object
  where it says so). Status changes go through `workflow.transition` only: it checks the area
  (NotFound, 404 — a case outside the actor's area does not exist for them), the role
  (PermissionDenied, 403), the order (TransitionNotAllowed, 409), the guards (StepMissing 409,
  ConflictOfInterest 403, ...) and optimistic locking (StaleCase, 409), then writes the timeline
  row (CaseEvent) and the audit event. Bad input raises ValidationError (422) naming the field.
  On any error nothing is written.
- Checks run in that order: scope, role, order and guards, then the input. So a page can call
  `workflow.allowed_actions(case, actor)` to show only the buttons that will work.
- Dates: the business date is `clocks.today()`; services never take "today" from the caller.

The services, in the order a case meets them:
  apply_for_assistance → accept_application (close-relative check; missing materials asked once)
  → [request_materials → resume_case] → record_survey (≥ 2 investigators, not relatives)
  → [record_county_visit, required for close-relative filings and special-hardship spot checks]
  → record_manual_verification (or record_engine_verification) → [hold_deliberation]
  → give_town_opinion (the rule runs here, on the snapshot and the verified facts)
  → publish_notice (7 days) → [record_objection → record_survey / hold_deliberation
  → answer_objection → give_town_opinion → publish_notice] → close_notice → confirm_case (Decision + Enrollment)
  or refuse_case (Decision with reasons; the letter is due within 3 working days).
  Any time: return_for_supplement, withdraw_case, extend_case (30 → 45 days, with a reason);
  after a decision: reopen_case (after a complaint, with a reason).
  Temporary assistance: pay_emergency_aid_first → record_survey → complete_emergency_paperwork;
  decide_quick_aid (within 3 working days); the ordinary path ends in approve_temporary_aid
  (or refuse_case), the approving level following the amount.
  Documents: attach_document. Letters: record_letter_issued (the PDF is made elsewhere).
"""
from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.core.audit import record_event
from safetynet.core.errors import Conflict, NotFound, ValidationError
from safetynet.core.text import clean_text
from safetynet.core.money import parse_money, to_money
from safetynet.core.scoping import Actor, get_in_scope
from safetynet.core.statements import Prepared, active_batch, ahead, insert_row, read_ahead, read_objects_ahead
from safetynet.core.writebatch import step_transaction
from safetynet.enrollments.models import LIVE_STATUSES, Enrollment, EnrollmentStatus
from safetynet.programs import rules
from safetynet.programs import selectors as program_selectors
from safetynet.publicity import services as publicity
from safetynet.publicity.models import NoticeStatus
from safetynet.registry.models import Household, Kinship
from safetynet.workforce.selectors import resolve_investigators

from . import clocks, standards, statements
from .closerelatives import find_close_relatives
from .errors import StaleCase, TransitionNotAllowed
from .models import (
    Attachment, Case, Channel, Decision, DecisionOutcome, Deliberation, DibaoKind, Status, Survey, SurveyInvestigator,
    SurveyKind, TemporaryKind, VerificationReport, VerificationSource,
)
from .snapshots import (
    facts_from_snapshot, living_members, member_name, members_count, read_snapshots_ahead, snapshot_hash,
    take_household_snapshot,
)
from .supporters import facts_for_case as supporter_facts_for_case
from .supporters import save_supporter
from .workflow import (
    DIBAO, ORDINARY, QUICK, SPECIAL_HARDSHIP, check_transition, path_of, read_reviewers_ahead, record_creation, transition,
)

PROGRAMS = ("dibao", "special_hardship", "temporary")
MAX_AMOUNT = Decimal("9999999999.99")
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
ATTACHMENT_TYPES = {"image/jpeg": (".jpg", ".jpeg"), "image/png": (".png",), "application/pdf": (".pdf",)}


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------

def _load(actor: Actor, case_id, version: int | None = None) -> Case:
    """The case, if it lies in the actor's area (NotFound otherwise); a `version` that is not the
    current one means the user acted on a stale page. The same as core.scoping.get_in_scope,
    through the prepared statement (statements.py)."""
    try:
        case_id = int(case_id)
    except (TypeError, ValueError):
        raise NotFound(_("Not found."))
    case = statements.load_case(case_id)
    if case is None or not actor.covers(case.area_id):
        raise NotFound(_("Not found."))
    if version is not None and int(version) != case.version:
        raise StaleCase(_("Someone else changed this case a moment ago; reload it and try again."))
    return case


# Prepared once per connection (core/statements.py): every application runs them.
_HOUSEHOLD = Prepared(lambda household_id: Household.objects.filter(pk=household_id))


def _open_case_either(program, first: Q, second: Q):
    """An open case of `program` matching either lookup, as a UNION of two lookups, each on its
    own index. Written `(a OR b) AND program`, SQLite walked every case of the program and
    PostgreSQL every case, so filing grew slower with each case in the county (bench_cases.py)."""
    open_cases = Case.objects.filter(program_id=program, is_open=True).order_by().values_list("id")
    return open_cases.filter(first).union(open_cases.filter(second), all=True)[:1]


_OPEN_CASE_OF_HOUSEHOLD = Prepared(lambda program, applicant, household: _open_case_either(
    program, Q(applicant_id=applicant), Q(household_id=household)))
_OPEN_CASE_OF_PERSON = Prepared(lambda program, applicant, covered: _open_case_either(
    program, Q(applicant_id=applicant), Q(covered_person_id=covered)))
# Existence checks: no ORDER BY (Enrollment's default is "-id"), which with LIMIT 1 invites a
# planner to walk the primary key backwards instead of using the household's or person's index.
_LIVE_ENROLLMENT_OF_HOUSEHOLD = Prepared(lambda program, household: Enrollment.objects.filter(
    program_id=program, household_id=household, status__in=LIVE_STATUSES).order_by().values_list("id")[:1])
_LIVE_ENROLLMENT_OF_PERSON = Prepared(lambda program, person: Enrollment.objects.filter(
    program_id=program, person_id=person, status__in=LIVE_STATUSES).order_by().values_list("id")[:1])
_RELATIVE_AMONG = Prepared(lambda person_ids, numbers: Kinship.objects.filter(
    person_id__in=person_ids, relative__id_number__in=numbers).order_by("id").values_list("relative__id_number")[:1])
_BANK_ACCOUNT = Prepared(lambda household_id: Household.objects.filter(pk=household_id).values_list("bank_account"))


def _load_household(actor: Actor, household_id) -> Household:
    """The household, if it lies in the actor's area (NotFound otherwise), as get_in_scope."""
    try:
        household_id = int(household_id)
    except (TypeError, ValueError):
        raise NotFound(_("Not found."))
    found = ahead("household", household_id)
    if found is None:
        found = _HOUSEHOLD.objects(household_id)
    if not found or not actor.covers(found[0].area_id):
        raise NotFound(_("Not found."))
    return found[0]


def _text(value, field: str, *, required: bool = True, max_length: int | None = None) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise ValidationError(_("This field is required."), field=field)
    if max_length and len(text) > max_length:
        raise ValidationError(_("At most %(n)d characters.") % {"n": max_length}, field=field)
    return text


def _amount(value, field: str, *, required: bool = True) -> Decimal | None:
    if value in (None, ""):
        if required:
            raise ValidationError(_("An amount is required."), field=field)
        return None
    amount = parse_money(value, field=field, allow_negative=True, maximum=MAX_AMOUNT)
    if amount <= 0:
        raise ValidationError(_("The amount must be more than zero."), field=field)
    return amount


def _date(value, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except (TypeError, ValueError):
        raise ValidationError(_("%(value)s is not a date (YYYY-MM-DD).") % {"value": value}, field=field)


def _past_date(value, field: str, case: Case) -> dt.date:
    """A date something happened: not in the future, not before the application."""
    day = _date(value if value not in (None, "") else clocks.today(), field)
    if day > clocks.today():
        raise ValidationError(_("The date cannot be in the future."), field=field)
    if day < case.applied_on:
        raise ValidationError(_("The date cannot be before the application (%(date)s).") % {"date": case.applied_on.isoformat()},
                              field=field)
    return day


def _count(value, field: str, *, minimum: int = 0) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(_("Enter a whole number."), field=field)
    if number < minimum:
        raise ValidationError(_("At least %(n)d.") % {"n": minimum}, field=field)
    return number


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _letter_number(case: Case, on: dt.date) -> str:
    """County code, year, case number and version: unique, and readable on the phone."""
    return f"{case.area_id[:6]}-{on.year}-{case.pk:06d}-{case.version}"


_LATEST_REPORT = Prepared(lambda case_id: VerificationReport.objects.filter(case_id=case_id).order_by("-id")[:1])


def _latest_report(case: Case) -> VerificationReport | None:
    found = ahead("reports", case.pk)
    if found is None:
        found = _LATEST_REPORT.objects(case.pk)
    return found[0] if found else None


# ---- reads for many cases at once (cases/batch.py reads them before taking the cases) --------
_HOUSEHOLDS = Prepared(lambda ids: Household.objects.filter(pk__in=ids))
_REPORTS_OF = Prepared(lambda ids: VerificationReport.objects.filter(case_id__in=ids).order_by("case_id", "-id"))
_BANK_ACCOUNTS = Prepared(lambda ids: Household.objects.filter(pk__in=ids).values_list("id", "bank_account"))


# The two lookups of _OPEN_CASE_OF_HOUSEHOLD and the one of _LIVE_ENROLLMENT_OF_HOUSEHOLD, each
# for many keys: the same rows, read for a batch's households at once.
_OPEN_BY_APPLICANT = Prepared(lambda program, ids: Case.objects.filter(
    program_id=program, is_open=True, applicant_id__in=ids).order_by().values_list("applicant_id", "id"))
_OPEN_BY_HOUSEHOLD = Prepared(lambda program, ids: Case.objects.filter(
    program_id=program, is_open=True, household_id__in=ids).order_by().values_list("household_id", "id"))
_LIVE_BY_HOUSEHOLD = Prepared(lambda program, ids: Enrollment.objects.filter(
    program_id=program, household_id__in=ids, status__in=LIVE_STATUSES).order_by().values_list("household_id", "id"))


def read_applications_ahead(applications: list[dict]) -> None:
    """In a write batch of applications (dicts of apply_for_assistance's arguments): the
    households, their snapshots' rows, and for dibao the open cases and live enrollments the
    service looks for."""
    household_ids, applicants = [], []
    for fields in applications:
        try:
            household_ids.append(int(fields.get("household_id")))
            applicants.append(int(fields.get("applicant_id")))
        except (TypeError, ValueError):
            pass            # the service refuses it, naming the field
    read_objects_ahead("household", _HOUSEHOLDS, household_ids)
    read_snapshots_ahead(household_ids)
    areas = [household.area_id for rows in (ahead("household", h) for h in household_ids) if rows for household in rows]
    program_selectors.remember_area_paths(areas + [code[:12] for code in areas])   # (the snapshot reads the village's)
    if any(fields.get("program_code") == DIBAO for fields in applications):
        read_ahead("open dibao by applicant", _OPEN_BY_APPLICANT, applicants, args=(DIBAO,))
        read_ahead("open dibao by household", _OPEN_BY_HOUSEHOLD, household_ids, args=(DIBAO,))
        read_ahead("live dibao by household", _LIVE_BY_HOUSEHOLD, household_ids, args=(DIBAO,))


def _open_case_of_household(program: str, applicant: int, household: int):
    by_applicant = ahead(f"open {program} by applicant", applicant)
    by_household = ahead(f"open {program} by household", household)
    if by_applicant is None or by_household is None:
        return _OPEN_CASE_OF_HOUSEHOLD.first(program, applicant, household)
    found = by_applicant + by_household
    return found[0] if found else None


def _live_enrollment_of_household(program: str, household: int):
    found = ahead(f"live {program} by household", household)
    if found is None:
        return _LIVE_ENROLLMENT_OF_HOUSEHOLD.first(program, household)
    return found[0] if found else None


def read_reports_ahead(cases) -> None:
    """In a write batch: the verification reports of these cases (the rule runs on the latest)."""
    read_objects_ahead("reports", _REPORTS_OF, [case.pk for case in cases], key_attr="case_id")


def read_confirmations_ahead(cases) -> None:
    """In a write batch of confirmations: the reports, who reviewed each case (the four-eyes
    rule) and the households' bank accounts."""
    read_reports_ahead(cases)
    read_reviewers_ahead(cases)
    read_ahead("bank account", _BANK_ACCOUNTS, [case.household_id for case in cases])


def _latest_survey(case: Case, kinds=(SurveyKind.HOUSEHOLD, SurveyKind.RESURVEY)) -> Survey | None:
    return Survey.objects.filter(case_id=case.pk, kind__in=kinds).order_by("-id").first()


def _decide(case: Case, actor: Actor, *, outcome: str, amount: Decimal, today: dt.date, assessment: dict | None,
            parameters: dict | None = None, report: VerificationReport | None = None, reasons: str = "",
            start_month: dt.date | None = None, letter_due: dt.date | None = None) -> Decision:
    return insert_row(Decision(
        case_id=case.pk, outcome=outcome, monthly_amount=amount, start_month=start_month,
        assessment=standards.jsonable(assessment or {}), parameters=standards.jsonable(parameters or {}),
        snapshot_hash=case.snapshot_hash, verification_report=report, approving_level=case.approving_level,
        decided_by=actor.username, decided_by_post_id=actor.post_id, decided_by_role=actor.role,
        decided_by_area=actor.area_code, decided_at=timezone.now(), decided_on=today, reasons=reasons,
        letter_number=_letter_number(case, today), letter_due=letter_due))


# --------------------------------------------------------------------------------------------
# The rule, on the facts of the case (DESIGN.md §4 Facts at decision time)
# --------------------------------------------------------------------------------------------

def assess_case(case: Case, on_date: dt.date):
    """(Outcome, parameters used, verification report) for the case on `on_date`: the snapshot
    taken at application, corrected by the latest verification report, through the program's
    rule function with the parameters in force in that month."""
    report = _latest_report(case)
    findings = report.findings if report else None
    facts = facts_from_snapshot(case.snapshot, on_date, findings=findings, covered_person_id=_covered_for_gap(case))
    area = case.area_id
    if case.program_id == DIBAO:
        params = standards.dibao_parameters(area, on_date, facts.is_urban)
        outcome = rules.assess_dibao(facts, params)
    elif case.program_id == SPECIAL_HARDSHIP:
        params = standards.special_hardship_parameters(area, on_date, facts.is_urban)
        survey = _latest_survey(case)
        person = next((m for m in facts.members if m.person_id == case.covered_person_id), None)
        if person is None:
            raise ValidationError(_("The person to support is no longer a living member of the household."), field="covered_person")
        supporters = supporter_facts_for_case(case.pk)
        level = (survey.care_level if survey and survey.care_level else rules.SELF_CARE)
        outcome = rules.assess_special_hardship(person, facts, supporters, params, level=level)
    else:
        params = standards.temporary_parameters(area, on_date, facts.is_urban)
        kind = {"emergency": rules.EMERGENCY, "quick": rules.QUICK}.get(case.kind, rules.EXPENSE)
        outcome = rules.assess_temporary(kind, case.requested_amount or Decimal("0"), params)
    return outcome, params, report


def _covered_for_gap(case: Case) -> int | None:
    """Individual coverage (MLG-2021 art. 8) counts only the covered person in the gap method."""
    return case.covered_person_id if case.program_id == DIBAO and case.kind == DibaoKind.INDIVIDUAL else None


# --------------------------------------------------------------------------------------------
# Application and acceptance (POLICY.md §1 steps 1–2)
# --------------------------------------------------------------------------------------------

def apply_for_assistance(*, actor: Actor, program_code: str, household_id: int, applicant_id: int, channel: str,
                         entrusted_by: str = "", requested_amount=None, kind: str | None = None,
                         covered_person_id: int | None = None, reason: str = "", accept: bool = False) -> Case:
    """File an application (MLG-2021 art. 4, 6) and take the household snapshot.

    The same person cannot have two open applications for the same program (a database
    constraint too), a household cannot have two open dibao applications, and a household or
    person already enrolled reports a change instead of applying again. `kind`: dibao
    "household" (default) or "individual" (with `covered_person_id`, MLG-2021 art. 8); temporary
    "emergency", "quick" or "ordinary" (with `requested_amount`). For special hardship the
    covered person is `covered_person_id`, or the applicant.

    `accept`: the application is taken at the town's window by a post that accepts (materials
    complete, the promise and the authorization signed there): it is accepted in the same
    transaction by the acceptance step itself (its checks, the close-relative detection, its
    timeline row and audit event), so the case starts at "accepted"."""
    try:
        return _apply(actor=actor, program_code=program_code, household_id=household_id, applicant_id=applicant_id,
                      channel=channel, entrusted_by=entrusted_by, requested_amount=requested_amount, kind=kind,
                      covered_person_id=covered_person_id, reason=reason, accept=accept)
    except IntegrityError as error:
        # Two desks filing for the same person at the same moment: the constraint decided.
        if not _is_constraint(error, "case_one_open_per_person_and_program", "cases_case.applicant_id"):
            raise
        raise Conflict(_("This person already has an open application for this program."), field="applicant")


def _is_constraint(error: IntegrityError, name: str, sqlite_columns: str) -> bool:
    """Whether the database refused a write because of this unique constraint (PostgreSQL names
    it; SQLite names its columns)."""
    text = str(error)
    return name in text or sqlite_columns in text


@step_transaction
def _apply(*, actor, program_code, household_id, applicant_id, channel, entrusted_by, requested_amount, kind,
           covered_person_id, reason, accept=False) -> Case:
    actor.require("cases.apply")
    if accept and active_batch() is not None:
        raise ValidationError(_("Applications filed together are accepted one by one."), field="accept")
    if program_code not in PROGRAMS:   # the programs seeded by programs/migrations/0002 (primary key = code)
        raise ValidationError(_("Choose dibao, special hardship or temporary assistance."), field="program")
    if channel not in Channel.values:
        raise ValidationError(_("Choose how the application came in."), field="channel")
    entrusted_by = _text(entrusted_by, "entrusted_by", required=channel == Channel.ENTRUSTED_BY_VILLAGE, max_length=100)
    household = _load_household(actor, household_id)
    snapshot = take_household_snapshot(household)
    members = {m["person_id"] for m in living_members(snapshot)}

    def member(value, field: str, message: str) -> int:
        try:
            person_id = int(value)
        except (TypeError, ValueError):
            raise ValidationError(message, field=field)
        if person_id not in members:
            raise ValidationError(message, field=field)
        return person_id

    applicant = member(applicant_id, "applicant", _("The applicant must be a living member of the household."))
    covered = None
    amount = None
    if program_code == "temporary":
        if kind not in TemporaryKind.values:
            raise ValidationError(_("Choose emergency, quick aid or ordinary temporary assistance."), field="kind")
        amount = _amount(requested_amount, "requested_amount")
    elif program_code == DIBAO:
        kind = kind or DibaoKind.HOUSEHOLD
        if kind not in DibaoKind.values:
            raise ValidationError(_("Choose household or individual coverage."), field="kind")
        if kind == DibaoKind.INDIVIDUAL:
            covered = member(covered_person_id, "covered_person", _("Choose the member to be covered alone."))
    else:
        kind = ""
        covered = member(covered_person_id if covered_person_id is not None else applicant, "covered_person",
                         _("The person to support must be a living member of the household."))
    reason = _text(reason, "reason", required=False, max_length=2000)

    if program_code == DIBAO:
        duplicate = _open_case_of_household(program_code, applicant, household.pk)
    else:
        duplicate = _OPEN_CASE_OF_PERSON.first(program_code, applicant, covered if covered is not None else applicant)
    batch = active_batch()
    if batch is not None and not duplicate:
        # In a write batch the database would see the first of two only at the flush.
        keys = ({("household", household.pk)} if program_code == DIBAO
                else {("person", applicant), ("person", covered if covered is not None else applicant)})
        duplicate = not all([batch.claim((program_code,) + key) for key in keys])
    if duplicate:
        raise Conflict(_("This person or household already has an open application for this program."), field="applicant")
    if program_code in (DIBAO, SPECIAL_HARDSHIP):
        # Dibao: any live enrollment in the household (whole or individual coverage); special
        # hardship: the person's own.
        live = (_live_enrollment_of_household(program_code, household.pk) if program_code == DIBAO
                else _LIVE_ENROLLMENT_OF_PERSON.first(program_code, covered))
        if live:
            raise Conflict(_("Already enrolled in this program: report the change instead of applying again."),
                           field="applicant")

    today = clocks.today()
    dibao_values = standards.values(DIBAO, household.area_id, today)
    program_values = dibao_values if program_code == DIBAO else standards.values(program_code, household.area_id, today)
    limits = clocks.limits_from_parameters(program_code, program_values, dibao_values)
    # Who decides is fixed when the case is filed, like its time limits (MLG-2021 art. 2).
    limits["confirmation_delegated"] = bool(dibao_values.get("confirmation_delegated"))
    if program_code == SPECIAL_HARDSHIP and program_values.get("spot_check_ratio") is not None:
        limits["spot_check_ratio"] = str(program_values["spot_check_ratio"])
    case = Case(
        program_id=program_code, kind=kind, path=path_of(program_code, kind), household=household, applicant_id=applicant,
        covered_person_id=covered, area_id=household.area_id, channel=channel, entrusted_by=entrusted_by,
        requested_amount=amount, reason=reason, status=Status.APPLIED, is_open=True, version=1,
        snapshot=snapshot, snapshot_hash=snapshot_hash(snapshot), limits=limits,
        deliberation_required=program_code == DIBAO and bool(dibao_values.get("mandatory_deliberation")),
        applied_on=today, created_by=actor.username,
    )
    step = clocks.next_step(case)
    case.next_action, case.next_due, case.case_due = step.next_action, step.next_due, step.case_due
    insert_row(case)
    record_creation(case, actor, data={"program": program_code, "kind": kind, "channel": channel,
                                       "household": household.pk, "snapshot_hash": case.snapshot_hash})
    if accept:
        check_transition(case, "accept", actor)
        _accept(case, actor)
    return case


def _sampled(case: Case, ratio) -> bool:
    """Deterministic sampling for the county's spot checks (SH-2021 art. 16: at least 30 %): the
    same case is always in or out, so the choice can be audited and cannot be re-rolled."""
    if not ratio:
        return False
    digest = hashlib.sha256(f"spot-check:{case.pk}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 10000 < Decimal(str(ratio)) * 10000


@step_transaction
def accept_application(*, actor: Actor, case_id: int, missing_materials=(), promise_signed: bool = True,
                       authorization_signed: bool = True, note: str = "", version: int | None = None) -> Case:
    """Accept the application (MLG-2021 art. 9–11).

    The applicant signs the truthfulness promise and the verification authorization (both
    recorded with the time and who recorded them). Close-relative detection runs here: a match
    files the case separately, requires the county's own home visit, and bars the related staff
    member and their town from deciding it. A special-hardship case is sampled for the county's
    spot check. `missing_materials`, when given, are asked for once, in the same step (the case
    then waits in "returned for supplement")."""
    case = _load(actor, case_id, version)
    check_transition(case, "accept", actor)
    return _accept(case, actor, missing_materials=missing_materials, promise_signed=promise_signed,
                   authorization_signed=authorization_signed, note=note)


def _accept(case: Case, actor: Actor, *, missing_materials=(), promise_signed: bool = True,
            authorization_signed: bool = True, note: str = "") -> Case:
    """The acceptance itself, on a case whose step was checked (accept_application, or an
    application accepted at the window)."""
    if not promise_signed:
        raise ValidationError(_("The applicant must sign the truthfulness promise (MLG-2021 art. 9)."), field="promise_signed")
    if not authorization_signed:
        raise ValidationError(_("The applicant must sign the authorization for verification (MLG-2021 art. 9)."),
                              field="authorization_signed")
    items = _materials(missing_materials, required=False)
    note = _text(note, "note", required=False, max_length=2000)
    matches = [m.as_dict() for m in find_close_relatives(case.household_id, members=[
        {"person_id": m["person_id"], "name": m["name"], "id_number": m["id_number"]} for m in case.snapshot.get("members", [])])]
    spot_check = case.program_id == SPECIAL_HARDSHIP and _sampled(case, (case.limits or {}).get("spot_check_ratio"))
    today, now = clocks.today(), timezone.now()
    transition(case, "accept", actor, note=note, changes={
        "accepted_on": today, "clock_started_on": today, "promise_signed_at": now, "authorization_signed_at": now,
        "consent_recorded_by": actor.username, "is_close_relative": bool(matches), "close_relative_matches": matches,
        "spot_check_required": spot_check, "county_visit_required": bool(matches) or spot_check,
    }, data={"close_relative": bool(matches), "spot_check": spot_check})
    if items:
        transition(case, "request_materials", actor, data={"items": items}, changes={
            "missing_materials": items, "materials_requested_at": now, "materials_resolved_at": None})
    return case


def _materials(items, *, required: bool) -> list[str]:
    if isinstance(items, str):
        items = [line for line in items.splitlines()]
    cleaned = []
    for item in items or ():
        text = str(item).strip()
        if text and text not in cleaned:
            if len(text) > 200:
                raise ValidationError(_("At most %(n)d characters.") % {"n": 200}, field="missing_materials")
            cleaned.append(text)
    if required and not cleaned:
        raise ValidationError(_("List the missing materials."), field="missing_materials")
    return cleaned


@transaction.atomic(durable=True)
def request_materials(*, actor: Actor, case_id: int, items, version: int | None = None) -> Case:
    """Ask for everything missing, once (MLG-2021 art. 10): a second list is refused until the
    first has been supplied."""
    case = _load(actor, case_id, version)
    check_transition(case, "request_materials", actor)
    items = _materials(items, required=True)
    transition(case, "request_materials", actor, data={"items": items}, changes={
        "missing_materials": items, "materials_requested_at": timezone.now(), "materials_resolved_at": None})
    return case


@transaction.atomic(durable=True)
def resume_case(*, actor: Actor, case_id: int, note: str = "", version: int | None = None) -> Case:
    """The materials (or the supplement the county asked for) came in: back to accepted."""
    case = _load(actor, case_id, version)
    check_transition(case, "resume", actor)
    note = _text(note, "note", required=False, max_length=2000)
    changes = {}
    if case.materials_requested_at and not case.materials_resolved_at:
        changes["materials_resolved_at"] = timezone.now()
    transition(case, "resume", actor, note=note, changes=changes)
    return case


@transaction.atomic(durable=True)
def return_for_supplement(*, actor: Actor, case_id: int, reason: str, version: int | None = None) -> Case:
    """Send the case back to the town to be completed (survey again from acceptance)."""
    case = _load(actor, case_id, version)
    check_transition(case, "return_for_supplement", actor)
    reason = _text(reason, "reason", max_length=2000)
    transition(case, "return_for_supplement", actor, note=reason, changes=_reset_review_fields())
    return case


def _reset_review_fields() -> dict:
    return {"surveyed_on": None, "verification_requested_on": None, "verified_on": None, "town_reviewed_on": None,
            "outcome": None, "proposed_eligible": None, "proposed_amount": None, "approving_level": "",
            "decider_level": "", "notice_starts_on": None, "notice_ends_on": None, "notice_closed_on": None}


# --------------------------------------------------------------------------------------------
# Survey (POLICY.md §1 step 3)
# --------------------------------------------------------------------------------------------

def _resolve_investigators(items, case: Case, actor: Actor) -> list[dict]:
    """Investigators as {"user_id"} (a login with a registered staff identity), {"staff_identity_id"}
    or {"name", "id_number"}: at least two different people (MLG-2021 art. 15), neither a member
    nor a registered close relative of a member of the household."""
    distinct = {r["id_number"]: r for r in resolve_investigators(items, actor=actor)}
    if len(distinct) < 2:
        raise ValidationError(_("A survey needs at least two different investigators."), field="investigators")
    numbers = set(distinct)
    members = {m["id_number"]: m for m in case.snapshot.get("members", [])}
    for number in numbers & set(members):
        raise ValidationError(_("%(name)s is a member of the household and cannot investigate it.")
                              % {"name": distinct[number]["name"]}, field="investigators")
    member_ids = sorted(m["person_id"] for m in members.values())
    related = _relative_among(member_ids, numbers) if member_ids else None
    if related:
        raise ValidationError(_("%(name)s is a close relative of the household and cannot investigate it.")
                              % {"name": distinct[related]["name"]}, field="investigators")
    return list(distinct.values())


def _relative_among(member_ids: list[int], numbers: set[str]) -> str | None:
    """The ID number, among `numbers`, of the first registered relative of these members (by
    kinship row), or None."""
    kin = [ahead("kinship numbers", person) for person in member_ids]
    if any(rows is None for rows in kin):
        found = _RELATIVE_AMONG.first(member_ids, sorted(numbers))
        return found[0] if found else None
    found = sorted((kinship_id, number) for rows in kin for kinship_id, number in rows if number in numbers)
    return found[0][1] if found else None


_KINSHIP_NUMBERS = Prepared(lambda person_ids: Kinship.objects.filter(person_id__in=person_ids).order_by()
                            .values_list("person_id", "id", "relative__id_number"))


def read_surveys_ahead(cases) -> None:
    """In a write batch of surveys: the registered relatives of every member, for the
    investigators' check."""
    read_ahead("kinship numbers", _KINSHIP_NUMBERS, [m["person_id"] for case in cases
                                                     for m in case.snapshot.get("members", [])])


def _create_survey(case: Case, actor: Actor, *, kind: str, conducted_on, investigators, findings, signed_by_household,
                   daily_activities=None, supporters=None) -> Survey:
    conducted_on = _past_date(conducted_on, "conducted_on", case)
    findings = _text(findings, "findings", max_length=20000)
    if not signed_by_household:
        raise ValidationError(_("Both sides sign the survey record (MLG-2021 art. 16)."), field="signed_by_household")
    people = _resolve_investigators(investigators, case, actor)
    care_level = ""
    if daily_activities is not None:
        try:
            care_level = rules.care_level({k: bool(v) for k, v in dict(daily_activities).items()})
        except (ValueError, TypeError):
            raise ValidationError(_("Answer all six daily activities (eating, dressing, getting in and out of bed, "
                                    "toileting, walking indoors, bathing)."), field="daily_activities")
    elif case.program_id == SPECIAL_HARDSHIP and kind == SurveyKind.HOUSEHOLD:
        raise ValidationError(_("Assess the six daily activities for the care level (SH-2021 art. 21)."), field="daily_activities")
    survey = insert_row(Survey(
        case_id=case.pk, kind=kind, conducted_on=conducted_on, findings=findings, signed_by_household=True,
        signed_at=timezone.now(), daily_activities=daily_activities, care_level=care_level, recorded_by=actor.username))
    if supporters:
        if case.program_id != SPECIAL_HARDSHIP:
            raise ValidationError(_("Supporters are recorded for special hardship applications only."), field="supporters")
        for item in supporters:   # kept on the case, where the rule reads them (cases/supporters.py)
            save_supporter(case, actor, item)
    for person in people:
        insert_row(SurveyInvestigator(survey=survey, **person))
    return survey


@step_transaction
def record_survey(*, actor: Actor, case_id: int, conducted_on, investigators, findings: str,
                  signed_by_household: bool, daily_activities: dict | None = None, supporters=None,
                  version: int | None = None) -> Survey:
    """Record the household survey (MLG-2021 art. 15–16): at least two investigators, neither a
    relative of the household; both sides sign. Also the re-survey after an objection, and the
    visit record after emergency aid. For special hardship the six daily activities give the care
    level and the supporters found decide "no able supporter" (SH-2021 art. 8, 21). Asks the
    county for the economic verification (its 3-day clock starts). Returns the Survey."""
    case = _load(actor, case_id, version)
    check_transition(case, "record_survey", actor)
    kind = {Status.CONTESTED: SurveyKind.RESURVEY, Status.PAID_FIRST: SurveyKind.EMERGENCY_RECORD}.get(case.status, SurveyKind.HOUSEHOLD)
    survey = _create_survey(case, actor, kind=kind, conducted_on=conducted_on, investigators=investigators,
                            findings=findings, signed_by_household=signed_by_household,
                            daily_activities=daily_activities, supporters=supporters)
    changes = {"surveyed_on": survey.conducted_on}
    if kind == SurveyKind.HOUSEHOLD:
        changes["verification_requested_on"] = clocks.today()
    if kind == SurveyKind.RESURVEY:
        publicity.resolve_objections(case=case, resolution="resurvey")
        changes = {}
    transition(case, "record_survey", actor, changes=changes, data={"survey": survey.pk, "kind": kind})
    return survey


@transaction.atomic(durable=True)
def record_county_visit(*, actor: Actor, case_id: int, conducted_on, investigators, findings: str,
                        signed_by_household: bool, version: int | None = None) -> Survey:
    """The county's own home visit: required for close-relative filings (MLG-2021 art. 20) and
    for special-hardship cases drawn for the spot check (SH-2021 art. 16). Returns the Survey."""
    case = _load(actor, case_id, version)
    check_transition(case, "record_county_visit", actor)
    survey = _create_survey(case, actor, kind=SurveyKind.COUNTY_VISIT, conducted_on=conducted_on,
                            investigators=investigators, findings=findings, signed_by_household=signed_by_household)
    transition(case, "record_county_visit", actor, changes={"county_visited_on": survey.conducted_on},
               data={"survey": survey.pk})
    return survey


# --------------------------------------------------------------------------------------------
# Verification (POLICY.md §1 step 4, §5)
# --------------------------------------------------------------------------------------------

_INCOME_KEYS = {"person_id", "category", "monthly_amount", "description"}
MAX_FINDING = Decimal("999999999999.99")   # a finding's amount: as large as the report's asset total may be


def _column_maximum(model, name: str) -> Decimal:
    """The largest amount a DecimalField holds (max_digits, decimal_places)."""
    column = model._meta.get_field(name)
    return Decimal(10) ** (column.max_digits - column.decimal_places) - Decimal(1).scaleb(-column.decimal_places)
_ASSET_KEYS = {"person_id", "category", "value", "quantity", "is_exempt", "description"}


def _findings(findings) -> dict:
    """Findings may carry `income` and `assets` lists in the snapshot's item shape; when given,
    they are the verified facts the rule sees (snapshots.facts_from_snapshot)."""
    from safetynet.registry.models import AssetCategory, IncomeCategory

    if findings in (None, ""):
        return {}
    if not isinstance(findings, dict):
        raise ValidationError(_("The findings are not in the expected form."), field="findings")
    cleaned = dict(findings)
    for key, keys, categories, amount_key in (("income", _INCOME_KEYS, IncomeCategory.values, "monthly_amount"),
                                              ("assets", _ASSET_KEYS, AssetCategory.values, "value")):
        if key not in findings:
            continue
        rows = []
        for item in findings[key] or ():
            if not isinstance(item, dict) or item.get("category") not in categories:
                raise ValidationError(_("Each %(key)s item needs a known category.") % {"key": key}, field="findings")
            row = {k: v for k, v in item.items() if k in keys}
            amount = item.get(amount_key)
            row[amount_key] = f"{parse_money('0' if amount in (None, '') else amount, field='findings', maximum=MAX_FINDING):.2f}"
            rows.append(row)
        cleaned[key] = rows
    return cleaned


def _record_verification(*, actor: Actor, case_id: int, source: str, summary: str, findings, total_monthly_income,
                         total_financial_assets, version) -> VerificationReport:
    case = _load(actor, case_id, version)
    check_transition(case, "verify", actor)
    summary = _text(summary, "summary", max_length=20000)
    findings = _findings(findings)
    income = to_money(total_monthly_income) if total_monthly_income not in (None, "") else None
    assets = to_money(total_financial_assets) if total_financial_assets not in (None, "") else None
    report = insert_row(VerificationReport(
        case_id=case.pk, source=source, is_manual=source == VerificationSource.MANUAL, entered_by=actor.username,
        summary=summary, findings=findings, total_monthly_income=income, total_financial_assets=assets))
    transition(case, "verify", actor, changes={"verified_on": clocks.today()},
               data={"report": report.pk, "source": source})
    return report


@step_transaction
def record_manual_verification(*, actor: Actor, case_id: int, summary: str, findings: dict | None = None,
                               total_monthly_income=None, total_financial_assets=None,
                               version: int | None = None) -> VerificationReport:
    """A county officer enters the departments' verification by hand (offline counties, or until
    the verification engine runs), marked as manual. Returns the report."""
    total_monthly_income, total_financial_assets = (
        None if value in (None, "") else parse_money(value, field=name, maximum=_column_maximum(VerificationReport, name))
        for name, value in (("total_monthly_income", total_monthly_income), ("total_financial_assets", total_financial_assets)))
    return _record_verification(actor=actor, case_id=case_id, source=VerificationSource.MANUAL, summary=summary,
                                findings=findings, total_monthly_income=total_monthly_income,
                                total_financial_assets=total_financial_assets, version=version)


@step_transaction
def record_engine_verification(*, actor: Actor, case_id: int, summary: str, findings: dict | None = None,
                               total_monthly_income=None, total_financial_assets=None) -> VerificationReport:
    """The verification engine (a later issue) files its report through here."""
    return _record_verification(actor=actor, case_id=case_id, source=VerificationSource.ENGINE, summary=summary,
                                findings=findings, total_monthly_income=total_monthly_income,
                                total_financial_assets=total_financial_assets, version=None)


# --------------------------------------------------------------------------------------------
# Deliberation, town opinion, notice (POLICY.md §1 step 5)
# --------------------------------------------------------------------------------------------

@transaction.atomic(durable=True)
def hold_deliberation(*, actor: Actor, case_id: int, held_on, participants: int, village_representatives: int,
                      opinion: str, votes_for: int = 0, votes_against: int = 0, votes_abstaining: int = 0,
                      version: int | None = None) -> Deliberation:
    """Record a deliberation meeting: where the county keeps it mandatory, village representatives
    must be at least 2/3 of the participants (MLG-2012 art. 21–22); after an objection it answers
    the objection. Returns the Deliberation."""
    case = _load(actor, case_id, version)
    check_transition(case, "hold_deliberation", actor)
    held_on = _past_date(held_on, "held_on", case)
    participants = _count(participants, "participants", minimum=1)
    representatives = _count(village_representatives, "village_representatives")
    if representatives > participants:
        raise ValidationError(_("Village representatives cannot outnumber the participants."), field="village_representatives")
    votes = [_count(votes_for, "votes_for"), _count(votes_against, "votes_against"), _count(votes_abstaining, "votes_abstaining")]
    if sum(votes) > participants:
        raise ValidationError(_("More votes than participants."), field="votes_for")
    opinion = _text(opinion, "opinion", max_length=20000)
    contested = case.status == Status.CONTESTED
    reason = "objection" if contested else ("mandatory" if case.deliberation_required else "optional")
    share_checked = case.deliberation_required
    if share_checked and representatives * 3 < participants * 2:
        raise ValidationError(_("Village representatives must be at least two thirds of the participants (%(n)d of %(m)d)."
                                ) % {"n": representatives, "m": participants}, field="village_representatives")
    meeting = Deliberation.objects.create(
        case_id=case.pk, held_on=held_on, reason=reason, participants=participants, village_representatives=representatives,
        votes_for=votes[0], votes_against=votes[1], votes_abstaining=votes[2], opinion=opinion,
        share_checked=share_checked, recorded_by=actor.username)
    if contested:
        publicity.resolve_objections(case=case, resolution="deliberation")
    transition(case, "hold_deliberation", actor, changes={"deliberated_on": held_on},
               data={"deliberation": meeting.pk, "reason": reason})
    return meeting


@step_transaction
def give_town_opinion(*, actor: Actor, case_id: int, opinion: str = "", version: int | None = None) -> Case:
    """The town's review (MLG-2021 art. 19): the program's rule runs on the snapshot as
    corrected by the verification report, and its outcome (eligible, amount, breakdown) is kept
    on the case. It also fixes who decides: the town where the county delegated confirmation,
    otherwise the county; for temporary aid, the level the amount calls for."""
    case = _load(actor, case_id, version)
    check_transition(case, "give_town_opinion", actor)
    opinion = _text(opinion, "opinion", required=False, max_length=20000)
    today = clocks.today()
    outcome, params, report = assess_case(case, today)
    changes = {"outcome": standards.jsonable(outcome.as_dict()), "proposed_eligible": outcome.eligible,
               "proposed_amount": outcome.monthly_amount, "town_opinion": opinion, "town_reviewed_on": today}
    if case.path == ORDINARY:
        level = outcome.details.get("approving_level", rules.COUNTY)
        changes["approving_level"] = "county_leader" if level == rules.CASE_BY_CASE else level
    else:
        delegated = bool((case.limits or {}).get("confirmation_delegated"))
        changes["decider_level"] = "town" if delegated else "county"
    transition(case, "give_town_opinion", actor, note=opinion, changes=changes,
               data={"eligible": outcome.eligible, "amount": f"{outcome.monthly_amount:.2f}",
                     "report": report.pk if report else None})
    return case


@step_transaction
def publish_notice(*, actor: Actor, case_id: int, starts_on=None, version: int | None = None) -> Case:
    """Post the 7-day notice in the village (POLICY.md §1 step 5): the applicant's name masked to
    the surname plus one character, the number of members and the proposed amount (§7)."""
    case = _load(actor, case_id, version)
    check_transition(case, "publish_notice", actor)
    today = clocks.today()
    starts_on = _date(starts_on, "starts_on") if starts_on not in (None, "") else today
    if starts_on < today:
        raise ValidationError(_("A notice cannot start in the past."), field="starts_on")
    if starts_on > today + dt.timedelta(days=7):
        raise ValidationError(_("A notice starts within a week."), field="starts_on")
    ends_on = clocks.notice_last_day(starts_on, int((case.limits or {}).get("notice_days", 7)))
    notice = publicity.post_notice(
        case=case, applicant_name=member_name(case.snapshot, case.applicant_id),
        members_count=members_count(case.snapshot, _covered_for_gap(case) or (case.covered_person_id if case.program_id == SPECIAL_HARDSHIP else None)),
        monthly_amount=case.proposed_amount or Decimal("0"), starts_on=starts_on, ends_on=ends_on, posted_by=actor.username,
        republished=case.objection_answered_on is not None)
    transition(case, "publish_notice", actor, changes={"notice_starts_on": starts_on, "notice_ends_on": ends_on,
                                                       "notice_closed_on": None},
               data={"notice": notice.pk, "ends_on": ends_on.isoformat()})
    return case


@transaction.atomic(durable=True)
def record_objection(*, actor: Actor, case_id: int, content: str, objector_name: str = "", objector_contact: str = "",
                     received_on=None, version: int | None = None) -> Case:
    """An objection to the notice (MLG-2021 art. 19): the notice stays on the board, marked as
    under objection, and the case waits for a re-survey or a deliberation meeting, the town's
    answer to the objection (`answer_objection`), then a new town opinion and notice. Further
    objections before the answer join it."""
    case = _load(actor, case_id, version)
    check_transition(case, "record_objection", actor)
    content = _text(content, "content", max_length=20000)
    objector_name = _text(clean_text(objector_name, field="objector_name"), "objector_name", required=False, max_length=50)
    objector_contact = _text(objector_contact, "objector_contact", required=False, max_length=50)
    received_on = _past_date(received_on, "received_on", case)
    notice = publicity.posted_notice(case)
    if notice is None:
        raise TransitionNotAllowed(_("No notice is posted for this case."))
    objection = publicity.file_objection(case=case, notice=notice, content=content, received_on=received_on,
                                         objector_name=objector_name, objector_contact=objector_contact,
                                         recorded_by=actor.username)
    transition(case, "record_objection", actor, changes={"objection_answered_on": None}, data={"objection": objection.pk})
    return case


@transaction.atomic(durable=True)
def answer_objection(*, actor: Actor, case_id: int, finding: str, answer: str, version: int | None = None) -> Case:
    """The town answers the objection after its re-survey or deliberation (MLG-2021 art. 19):
    upheld (the objection is founded) or not upheld, and what the objector is told. The board
    shows the outcome until the notice is posted again; the new town opinion comes next."""
    from safetynet.publicity.models import ObjectionFinding

    case = _load(actor, case_id, version)
    check_transition(case, "answer_objection", actor)
    if finding not in ObjectionFinding.values:
        raise ValidationError(_("Say whether the objection is upheld or not."), field="finding")
    answer = _text(answer, "answer", max_length=20000)
    count = publicity.answer_objections(case=case, finding=finding, answer=answer, answered_by=actor.username)
    transition(case, "answer_objection", actor, note=answer, changes={"objection_answered_on": clocks.today()},
               data={"finding": finding, "objections": count})
    return case


@step_transaction
def close_notice(*, actor: Actor, case_id: int, version: int | None = None) -> Case:
    """Close the notice after its full 7 days without an open objection; the decision clock
    (10 working days, special hardship 15) starts."""
    case = _load(actor, case_id, version)
    check_transition(case, "close_notice", actor)
    publicity.end_notice(case=case)
    transition(case, "close_notice", actor, changes={"notice_closed_on": clocks.today()})
    return case


# --------------------------------------------------------------------------------------------
# Decision (POLICY.md §1 steps 6–7)
# --------------------------------------------------------------------------------------------

def confirm_case(*, actor: Actor, case_id: int, note: str = "", version: int | None = None) -> Decision:
    """Confirm the case (MLG-2021 art. 20): the county, or the town where delegated; never the
    related staff member of a close-relative filing or anyone in their town. The rule runs
    again on the same facts with the parameters in force today, and the Decision keeps the
    outcome, the parameters, the snapshot hash and the verification report. An Enrollment starts
    the month after confirmation (art. 25) with its first re-check date. Returns the Decision."""
    try:
        return _confirm(actor=actor, case_id=case_id, note=note, version=version)
    except IntegrityError as error:
        if not _is_constraint(error, "enrollment_one_live_per", "enrollments_enrollment."):
            raise
        raise Conflict(_("The household is already enrolled in this program."), field="household")


@step_transaction
def _confirm(*, actor: Actor, case_id: int, note: str, version: int | None) -> Decision:
    case = _load(actor, case_id, version)
    check_transition(case, "confirm", actor)
    note = _text(note, "note", required=False, max_length=2000)
    today = clocks.today()
    outcome, params, report = assess_case(case, today)
    if not outcome.eligible:
        raise TransitionNotAllowed(_("With today's standards the household is not eligible (%(why)s): refuse instead.")
                                   % {"why": "; ".join(str(r) for r in outcome.reasons)})
    transition(case, "confirm", actor, note=note, changes={"decided_on": today},
               data={"amount": f"{outcome.monthly_amount:.2f}"})
    start = _next_month(today)
    decision = _decide(case, actor, outcome=DecisionOutcome.APPROVED, amount=outcome.monthly_amount, today=today,
                       assessment=outcome.as_dict(), parameters=params, report=report, start_month=start)
    _enroll(case, decision, outcome, start, today)
    return decision


def _enroll(case: Case, decision: Decision, outcome, start: dt.date, today: dt.date) -> Enrollment:
    """The enrollment a confirmation starts; the bank account is the household's as it is now."""
    person_id = case.covered_person_id if (case.program_id == SPECIAL_HARDSHIP or case.kind == DibaoKind.INDIVIDUAL) else None
    if case.reopened_count:
        # A reopened case that is confirmed again replaces its own enrollment.
        Enrollment.objects.filter(case_id=case.pk, status__in=LIVE_STATUSES).update(
            status=EnrollmentStatus.ENDED, ended_on=today, end_reason="replaced by a new decision")
    return insert_row(Enrollment(
        program_id=case.program_id, household_id=case.household_id, person_id=person_id, area_id=case.area_id,
        case=case, decision=decision, status=EnrollmentStatus.ACTIVE, monthly_amount=outcome.monthly_amount,
        breakdown=decision.assessment.get("breakdown", []), start_month=start,
        next_recheck_date=clocks.recheck_date(case.program_id, case.snapshot, start, today),
        bank_account=(_bank_account(case.household_id) or ("",))[0]))


def _bank_account(household_id: int) -> tuple | None:
    found = ahead("bank account", household_id)
    return (found[0] if found else None) if found is not None else _BANK_ACCOUNT.first(household_id)


@transaction.atomic(durable=True)
def refuse_case(*, actor: Actor, case_id: int, reasons: str, version: int | None = None) -> Decision:
    """Refuse, with the reasons in words the applicant is told (MLG-2021 art. 21): the letter is
    due within 3 working days. Works on every path at its deciding step (dibao and special
    hardship by the county or delegated town; temporary aid at its approving level; quick aid by
    the town). Returns the Decision."""
    case = _load(actor, case_id, version)
    action = {ORDINARY: "refuse_temporary_aid", QUICK: "refuse_quick_aid"}.get(case.path, "refuse")
    check_transition(case, action, actor)
    reasons = _text(reasons, "reasons", max_length=20000)
    today = clocks.today()
    if case.objection_answered_on:
        publicity.end_notice(case=case, status=NoticeStatus.WITHDRAWN)   # the answered notice leaves the board
    transition(case, action, actor, note=reasons, changes={"decided_on": today})
    return _decide(case, actor, outcome=DecisionOutcome.REFUSED, amount=Decimal("0"), today=today,
                   assessment=case.outcome, reasons=reasons, letter_due=clocks.refusal_letter_due(today, case.limits or {}))


@transaction.atomic(durable=True)
def record_letter_issued(*, actor: Actor, decision_id: int) -> Decision:
    """The decision letter was printed and handed over (the refusal letter's 3-day clock stops)."""
    if not any(actor.can(p) for p in ("cases.confirm", "cases.temporary_town", "cases.temporary_approve")):
        actor.require("cases.confirm")
    decision = get_in_scope(Decision.objects.select_related("case"), actor, "case__area", pk=decision_id)
    if decision.letter_issued_at is None:
        decision.letter_issued_at = timezone.now()
        decision.save(update_fields=["letter_issued_at"])
        record_event(actor=actor, action="cases.issue_letter", obj=decision,
                     after={"letter_number": decision.letter_number, "case": decision.case_id})
    return decision


@transaction.atomic(durable=True)
def withdraw_case(*, actor: Actor, case_id: int, reason: str, version: int | None = None) -> Case:
    """The applicant withdraws (reason recorded); a posted notice comes down."""
    case = _load(actor, case_id, version)
    check_transition(case, "withdraw", actor)
    reason = _text(reason, "reason", max_length=2000)
    publicity.end_notice(case=case, status=NoticeStatus.WITHDRAWN)
    transition(case, "withdraw", actor, note=reason)
    return case


@transaction.atomic(durable=True)
def reopen_case(*, actor: Actor, case_id: int, reason: str, version: int | None = None) -> Case:
    """Reopen a decided case after a complaint (reason required): the clock starts again and the
    case is surveyed anew; a confirmed case's enrollment runs until the new decision."""
    case = _load(actor, case_id, version)
    check_transition(case, "reopen", actor)
    reason = _text(reason, "reason", max_length=2000)
    changes = _reset_review_fields()
    changes.update({"clock_started_on": clocks.today(), "extended": False, "extension_reason": "", "decided_on": None,
                    "county_visited_on": None, "deliberated_on": None, "reopened_count": case.reopened_count + 1})
    transition(case, "reopen", actor, note=reason, changes=changes)
    return case


@transaction.atomic(durable=True)
def extend_case(*, actor: Actor, case_id: int, reason: str, version: int | None = None) -> Case:
    """Extend the whole-case limit from 30 to 45 working days, once, with a reason (MLG-2021 art. 22)."""
    case = _load(actor, case_id, version)
    check_transition(case, "extend", actor)
    reason = _text(reason, "reason", max_length=2000)
    transition(case, "extend", actor, note=reason, changes={"extended": True, "extension_reason": reason})
    return case


# --------------------------------------------------------------------------------------------
# Temporary assistance (POLICY.md §3)
# --------------------------------------------------------------------------------------------

OVER_TOWN_LIMIT = "over_town_limit"   # the error code that offers the switch to the ordinary procedure


def _temporary_outcome(case: Case, kind: str, amount: Decimal, today: dt.date):
    params = standards.temporary_parameters(case.area_id, today, bool(case.snapshot.get("household", {}).get("is_urban")))
    if params.standard is None:
        raise ValidationError(_("No dibao standard is set for this area: the limits of temporary aid depend on it."),
                              field="requested_amount")
    return rules.assess_temporary(kind, amount, params), params


@transaction.atomic(durable=True)
def pay_emergency_aid_first(*, actor: Actor, case_id: int, amount=None, note: str = "", version: int | None = None) -> Decision:
    """Emergency aid paid first by the town, skipping means check, deliberation and notice
    (TA-2018): within the town's approval limit; the paperwork is then due within 10 working days
    and the case shows it as a debt until done. Returns the Decision."""
    case = _load(actor, case_id, version)
    check_transition(case, "pay_first", actor)
    amount = _amount(amount, "amount", required=False) or case.requested_amount
    note = _text(note, "note", required=False, max_length=2000)
    today = clocks.today()
    outcome, params = _temporary_outcome(case, rules.EMERGENCY, amount, today)
    level = outcome.details.get("approving_level")
    if level != rules.TOWN:
        raise ValidationError(_("Above the town's limit (¥%(limit)s): the town cannot pay this first; use the ordinary procedure.")
                              % {"limit": f"{outcome.details['town_limit']:,.2f}"}, field="amount", code=OVER_TOWN_LIMIT)
    case.approving_level = "town"
    transition(case, "pay_first", actor, note=note, changes={
        "paid_first_on": today, "approving_level": "town", "outcome": standards.jsonable(outcome.as_dict()),
        "proposed_eligible": True, "proposed_amount": outcome.monthly_amount},
        data={"amount": f"{outcome.monthly_amount:.2f}"})
    return _decide(case, actor, outcome=DecisionOutcome.APPROVED, amount=outcome.monthly_amount, today=today,
                   assessment=outcome.as_dict(), parameters=params)


@transaction.atomic(durable=True)
def switch_to_ordinary_procedure(*, actor: Actor, case_id: int, amount=None, note: str = "",
                                 version: int | None = None) -> Case:
    """Emergency aid the town cannot pay first (over its limit) goes on as ordinary temporary
    assistance (TA-2018: survey, verification, town opinion, approval at the amount's level),
    keeping the application as filed and the amount typed as the amount requested; the next step
    is its acceptance. Same post and area as paying first."""
    case = _load(actor, case_id, version)
    check_transition(case, "switch_to_ordinary", actor)
    amount = _amount(amount, "amount", required=False) or case.requested_amount
    note = _text(note, "note", required=False, max_length=2000)
    transition(case, "switch_to_ordinary", actor, note=note, changes={
        "kind": TemporaryKind.ORDINARY.value, "path": ORDINARY, "requested_amount": amount},
        data={"from": TemporaryKind.EMERGENCY.value, "to": TemporaryKind.ORDINARY.value, "requested_amount": f"{amount:.2f}"})
    return case


@transaction.atomic(durable=True)
def complete_emergency_paperwork(*, actor: Actor, case_id: int, note: str = "", version: int | None = None) -> Case:
    """The record after emergency aid is complete (the home visit recorded): the debt is cleared."""
    case = _load(actor, case_id, version)
    check_transition(case, "complete_paperwork", actor)
    note = _text(note, "note", required=False, max_length=2000)
    transition(case, "complete_paperwork", actor, note=note, changes={"decided_on": clocks.today()})
    return case


@transaction.atomic(durable=True)
def decide_quick_aid(*, actor: Actor, case_id: int, approve: bool, amount=None, reasons: str = "",
                     version: int | None = None) -> Decision:
    """Small-amount quick aid (TA-2026): no means check or notice, decided by the town within 3
    working days, at most 1 × the monthly standard (the rule caps the amount). Returns the Decision."""
    case = _load(actor, case_id, version)
    action = "approve_quick_aid" if approve else "refuse_quick_aid"
    check_transition(case, action, actor)
    today = clocks.today()
    if not approve:
        reasons = _text(reasons, "reasons", max_length=20000)
        transition(case, action, actor, note=reasons, changes={"decided_on": today})
        return _decide(case, actor, outcome=DecisionOutcome.REFUSED, amount=Decimal("0"), today=today, assessment=None,
                       reasons=reasons, letter_due=clocks.refusal_letter_due(today, case.limits or {}))
    amount = _amount(amount, "amount", required=False) or case.requested_amount
    outcome, params = _temporary_outcome(case, rules.QUICK, amount, today)
    if not outcome.eligible:
        raise ValidationError("; ".join(str(r) for r in outcome.reasons), field="amount")
    transition(case, action, actor, changes={
        "decided_on": today, "approving_level": "town", "outcome": standards.jsonable(outcome.as_dict()),
        "proposed_eligible": True, "proposed_amount": outcome.monthly_amount},
        data={"amount": f"{outcome.monthly_amount:.2f}"})
    return _decide(case, actor, outcome=DecisionOutcome.APPROVED, amount=outcome.monthly_amount, today=today,
                   assessment=outcome.as_dict(), parameters=params)


@transaction.atomic(durable=True)
def approve_temporary_aid(*, actor: Actor, case_id: int, amount=None, note: str = "", version: int | None = None) -> Decision:
    """Approve ordinary temporary aid at the level its amount calls for (POLICY.md §3): the town up
    to 4 × the monthly standard, the county up to 10 ×, above that the county leader case by
    case. An approver who changes the amount is checked against the new amount's level."""
    case = _load(actor, case_id, version)
    check_transition(case, "approve_temporary_aid", actor)
    note = _text(note, "note", required=False, max_length=2000)
    today = clocks.today()
    amount = _amount(amount, "amount", required=False) or case.proposed_amount or case.requested_amount
    outcome, params = _temporary_outcome(case, rules.EXPENSE, amount, today)
    if not outcome.eligible:
        raise ValidationError("; ".join(str(r) for r in outcome.reasons), field="amount")
    level = outcome.details.get("approving_level", rules.COUNTY)
    case.approving_level = "county_leader" if level == rules.CASE_BY_CASE else level
    transition(case, "approve_temporary_aid", actor, note=note, changes={
        "decided_on": today, "approving_level": case.approving_level, "proposed_amount": outcome.monthly_amount},
        data={"amount": f"{outcome.monthly_amount:.2f}", "level": case.approving_level})
    return _decide(case, actor, outcome=DecisionOutcome.APPROVED, amount=outcome.monthly_amount, today=today,
                   assessment=outcome.as_dict(), parameters=params, report=_latest_report(case))


# --------------------------------------------------------------------------------------------
# Documents
# --------------------------------------------------------------------------------------------

@transaction.atomic(durable=True)
def attach_document(*, actor: Actor, case_id: int, uploaded_file, description: str = "",
                    survey_id: int | None = None) -> Attachment:
    """Attach a photo or a document (JPEG, PNG or PDF, up to 20 MB) to the case, stored privately
    under a random name (models.attachment_path)."""
    if not any(actor.can(p) for p in ("cases.apply", "cases.accept", "cases.survey")):
        actor.require("cases.survey")
    case = _load(actor, case_id)
    if not case.is_open:
        raise TransitionNotAllowed(_("The case is closed; reopen it to add documents."))
    description = _text(description, "description", required=False, max_length=200)
    name = str(getattr(uploaded_file, "name", "") or "file")
    content_type = _sniff(uploaded_file)
    if content_type is None or not name.lower().endswith(ATTACHMENT_TYPES[content_type]):
        raise ValidationError(_("Attach a JPEG or PNG photo or a PDF document."), field="file")
    size = getattr(uploaded_file, "size", None) or 0
    if size > MAX_ATTACHMENT_BYTES:
        raise ValidationError(_("A file can be at most 20 MB."), field="file")
    if survey_id is not None and not Survey.objects.filter(pk=survey_id, case_id=case.pk).exists():
        raise ValidationError(_("No such survey on this case."), field="survey")
    safe_name = f"{timezone.now():%Y%m%d%H%M%S}-{hashlib.sha256(name.encode()).hexdigest()[:8]}{ATTACHMENT_TYPES[content_type][0]}"
    attachment = Attachment(case_id=case.pk, survey_id=survey_id, original_name=name[-255:], content_type=content_type,
                            size=size, description=description, uploaded_by=actor.username)
    attachment.file.save(safe_name, uploaded_file, save=False)
    attachment.save()
    record_event(actor=actor, action="cases.attach_document", obj=attachment,
                 after={"case": case.pk, "content_type": content_type, "size": size})
    return attachment


def _sniff(uploaded_file) -> str | None:
    """The type from the file's first bytes, not from what the browser claims."""
    position = uploaded_file.tell() if hasattr(uploaded_file, "tell") else 0
    head = uploaded_file.read(8)
    uploaded_file.seek(position)
    if isinstance(head, str):
        head = head.encode()
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"%PDF"):
        return "application/pdf"
    return None

