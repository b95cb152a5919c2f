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
import functools
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.core.audit import record_event
from safetynet.core.dates import parse_date
from safetynet.core.errors import Conflict, NotFound, SafetyNetError, ValidationError
from safetynet.core.money import parse_money, to_money
from safetynet.core.scoping import Actor, get_in_scope
from safetynet.core.statements import Prepared, objects_by_key, rows_by_key
from safetynet.core.text import clean_text
from safetynet.core.unitofwork import ImmediateWrite, UnitOfWork, unit_of_work
from safetynet.enrollments.models import LIVE_STATUSES, Enrollment, EnrollmentStatus
from safetynet.programs import rules
from safetynet.programs import selectors as program_selectors
from safetynet.publicity import services as publicity
from safetynet.publicity.models import NoticeStatus, ObjectionFinding
from safetynet.registry.models import AssetCategory, Household, IncomeCategory, Kinship
from safetynet.workforce.selectors import resolve_investigators

from . import clocks, standards, statements
from .closerelatives import find_close_relatives_of
from .errors import StaleCase, TransitionNotAllowed
from .models import (
    Attachment, Case, Channel, Decision, DecisionOutcome, Deliberation, DibaoKind, Status, Survey, SurveyInvestigator,
    SurveyKind, TemporaryKind, VerificationReport, VerificationSource,
)
from .snapshots import (
    facts_from_snapshot, living_members, member_name, members_count, snapshot_hash, take_household_snapshots,
)
from .supporters import require_recorded, supporter_rows_of
from .supporters import save_supporter
from .workflow import (
    DIBAO, MEDICAL, ORDINARY, QUICK, SPECIAL_HARDSHIP, check_transition, path_of, record_creation, reviewers_of,
    transition,
)

# The programs applied for through a case. A medical reimbursement is filed with its bill by
# medical/reimbursement.py (through `apply_for_assistance`, the bill written by its `attach`).
PROGRAMS = ("dibao", "special_hardship", "temporary", MEDICAL)
MAX_AMOUNT = Decimal("9999999999.99")
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
ATTACHMENT_TYPES = {"image/jpeg": (".jpg", ".jpeg"), "image/png": (".png",), "application/pdf": (".pdf",)}


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------

def _load(actor: Actor, case_id, version: int | None = None) -> Case:
    """The case for a write that is not a step (a document attached): the same number, scope and
    stale-page checks as a step's (`_case_number`, `_in_scope`), without a unit of work."""
    return _in_scope(actor, statements.load_case(_case_number(case_id)), version)


def _case_number(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound(_("Not found."))


# --------------------------------------------------------------------------------------------
# How a step is taken: once, for a list of cases (one case is a list of one)
# --------------------------------------------------------------------------------------------

@dataclass
class Reads:
    """What a step read for all its cases at once, by id, before deciding any of them. Each step's
    `read` fills what its cases need; what it did not read stays None, and a step that uses it
    fails at once rather than reading case by case."""
    reports: dict[int, VerificationReport | None] | None = None       # the latest report, by case
    surveys: dict[int, Survey | None] | None = None                   # the latest household survey (special hardship)
    supporters: dict[int, list] | None = None                         # the recorded supporters' facts (special hardship)
    reviewers: dict[int, dict[str, str]] | None = None                # workflow.reviewers_of, by case
    bank_accounts: dict[int, str] | None = None                       # by household
    kin_numbers: dict[int, list] | None = None                        # kinship_numbers_of, by person
    close_relatives: dict[int, list] | None = None                    # closerelatives matches, by case
    replaced_enrollments: dict[int, list[int]] | None = None          # live enrollments of reopened cases


@dataclass(frozen=True)
class StepResult:
    case_id: int | None           # None for an application that was not filed
    value: object = None          # what the step returns (the case, a survey, a decision...)
    error: SafetyNetError | None = None
    status: str = ""              # the case's status after the step, when it was taken

    @property
    def ok(self) -> bool:
        return self.error is None


class CaseStep:
    """A case step: `take(uow, actor, case, reads, **inputs)` decides one case on what `read`
    loaded for all the cases (a `Reads`) and writes through the unit of work. Called with the
    service's keywords (`actor`, `case_id`, `version`, the step's inputs) it takes the step for
    that one case, as a list of one, in a unit of work of its own, and raises its refusal."""

    def __init__(self, take, read=None, integrity_conflict=None):
        self.take = take
        self.read = read
        self.integrity_conflict = integrity_conflict
        functools.update_wrapper(self, take)

    def __call__(self, *, actor: Actor, case_id, version: int | None = None, **inputs):
        case_id = _case_number(case_id)
        try:
            with unit_of_work(size_hint=1) as uow:
                [result] = take_step(uow, actor, self, [(case_id, version, inputs)])
                if result.error is not None:
                    raise result.error
        except IntegrityError as error:
            # Another desk wrote the same thing between this step's checks and its commit.
            conflict = self.integrity_conflict(error) if self.integrity_conflict else None
            if conflict is None:
                raise
            raise conflict
        return result.value


def case_step(read=None, integrity_conflict=None):
    """Declare a case step (see CaseStep); `read(cases) -> Reads` loads what it needs for all."""
    return lambda take: CaseStep(take, read, integrity_conflict)


def take_step(uow: UnitOfWork, actor: Actor, step: CaseStep, items) -> list[StepResult]:
    """Take `step` on each of `items`, (case id, the version the user saw or None, the step's
    inputs), in that order, writing through `uow`: the cases are loaded and locked in one read,
    the step's own reads made for all of them, then each case decided. A refused case (outside
    the actor's area, moved since the page was drawn, at another step, a guard, bad input) has
    its writes dropped and holds back no other; its result says why."""
    cases = statements.load_cases([case_id for case_id, _version, _inputs in items])
    reads = step.read([case for case in cases.values() if actor.covers(case.area_id)]) if step.read else Reads()
    results = []
    for case_id, version, inputs in items:
        mark = uow.mark()
        try:
            case = _in_scope(actor, cases.get(case_id), version)
            value = step.take(uow, actor, case, reads, **inputs)
        except SafetyNetError as error:
            _drop(uow, mark, error)
            results.append(StepResult(case_id, error=error))
            continue
        results.append(StepResult(case_id, value=value, status=case.status))
        uow.send_ready()
    return results


def _drop(uow: UnitOfWork, mark, error: SafetyNetError) -> None:
    """Drop what a refused case queued. A step that wrote around the unit of work (a supporter
    recorded with a survey) cannot be undone alone: the whole unit is given up, with this reason."""
    try:
        uow.discard(mark)
    except ImmediateWrite:
        raise error


def _in_scope(actor: Actor, case: Case | None, version) -> Case:
    """The case, if it lies in the actor's area (NotFound otherwise: a case outside it does not
    exist for them); a `version` that is not the current one means the user acted on a stale page."""
    if case is None or not actor.covers(case.area_id):
        raise NotFound(_("Not found."))
    if version is not None and int(version) != case.version:
        raise StaleCase(_("Someone else changed this case a moment ago; reload it and try again."))
    return case


# ---- the checks every step shares, each one function over a list of ids ----------------------

_HOUSEHOLDS = Prepared(lambda ids: Household.objects.filter(pk__in=ids))
_REPORTS_OF = Prepared(lambda ids: VerificationReport.objects.filter(case_id__in=ids).order_by("case_id", "-id"))
_BANK_ACCOUNTS = Prepared(lambda ids: Household.objects.filter(pk__in=ids).values_list("id", "bank_account"))
_KINSHIP_NUMBERS = Prepared(lambda person_ids: Kinship.objects.filter(person_id__in=person_ids).order_by()
                            .values_list("person_id", "id", "relative__id_number"))
# Open cases of a program by each of the three people a case names, and live enrollments by
# household or person: each an indexed lookup (an OR of two walked every case of the program).
_OPEN_CASES_BY = {field: Prepared(lambda program, ids, field=field: Case.objects.filter(
    program_id=program, is_open=True, **{f"{field}__in": ids}).order_by().values_list(field, "id"))
    for field in ("applicant_id", "household_id", "covered_person_id")}
# No ORDER BY (Enrollment's default is "-id"), which invites a planner to walk the primary key
# backwards instead of using the household's or person's index.
_LIVE_ENROLLMENTS_BY = {field: Prepared(lambda program, ids, field=field: Enrollment.objects.filter(
    program_id=program, status__in=LIVE_STATUSES, **{f"{field}__in": ids}).order_by().values_list(field, "id"))
    for field in ("household_id", "person_id")}
_LIVE_ENROLLMENTS_OF_CASES = Prepared(lambda ids: Enrollment.objects.filter(
    case_id__in=ids, status__in=LIVE_STATUSES).order_by("id").values_list("case_id", "id"))


def open_cases_by(program: str, field: str, ids) -> set[int]:
    """Which of `ids` (applicants, households or covered persons, by `field`) have an open case of `program`."""
    ids = [i for i in ids if i is not None]
    return {key for key, rows in rows_by_key(_OPEN_CASES_BY[field], ids, args=(program,)).items() if rows} if ids else set()


def live_enrollments_by(program: str, field: str, ids) -> set[int]:
    """Which of `ids` (households or persons, by `field`) have a live enrollment in `program`."""
    ids = [i for i in ids if i is not None]
    return {key for key, rows in rows_by_key(_LIVE_ENROLLMENTS_BY[field], ids, args=(program,)).items() if rows} \
        if ids else set()


def latest_reports(case_ids) -> dict[int, VerificationReport | None]:
    """The latest verification report of each case (the rule runs on it), or None."""
    return {case_id: (found[0] if found else None)
            for case_id, found in objects_by_key(_REPORTS_OF, case_ids, key_attr="case_id").items()}


def kinship_numbers_of(person_ids) -> dict[int, list[tuple[int, str]]]:
    """(kinship row id, relative's ID number) of every registered relative of each person."""
    return rows_by_key(_KINSHIP_NUMBERS, person_ids)


def read_assessment(cases) -> Reads:
    """What `assess_case` reads for these cases: the latest reports, and for special hardship the
    latest household survey (the care level) and the recorded supporters."""
    hardship = [case.pk for case in cases if case.program_id == SPECIAL_HARDSHIP]
    return Reads(reports=latest_reports([case.pk for case in cases]),
                 surveys=latest_surveys(hardship) if hardship else {},
                 supporters=supporter_rows_of(hardship) if hardship else {})


_SURVEYS_OF = Prepared(lambda ids: Survey.objects.filter(
    case_id__in=ids, kind__in=[SurveyKind.HOUSEHOLD, SurveyKind.RESURVEY]).order_by("case_id", "-id"))


def latest_surveys(case_ids) -> dict[int, Survey | None]:
    """The latest household survey or re-survey of each case, or None."""
    return {case_id: (found[0] if found else None)
            for case_id, found in objects_by_key(_SURVEYS_OF, case_ids, key_attr="case_id").items()}


def _read_close_relatives(cases) -> Reads:
    matches = find_close_relatives_of([[{"person_id": m["person_id"], "name": m["name"], "id_number": m["id_number"]}
                                        for m in case.snapshot.get("members", [])] for case in cases])
    return Reads(close_relatives={case.pk: found for case, found in zip(cases, matches)})


def _read_investigators(cases) -> Reads:
    return Reads(kin_numbers=kinship_numbers_of([m["person_id"] for case in cases for m in case.snapshot.get("members", [])]))


def _read_confirmations(cases) -> Reads:
    ids = [case.pk for case in cases]
    reopened = [case.pk for case in cases if case.reopened_count]
    assessment = read_assessment(cases)
    return Reads(reports=assessment.reports, surveys=assessment.surveys, supporters=assessment.supporters,
                 reviewers=reviewers_of(ids),
                 bank_accounts={pk: rows[0][0] for pk, rows in rows_by_key(
                     _BANK_ACCOUNTS, [case.household_id for case in cases]).items() if rows},
                 replaced_enrollments={pk: [row[0] for row in rows] for pk, rows in rows_by_key(
                     _LIVE_ENROLLMENTS_OF_CASES, reopened).items()} if reopened else {})


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


def _past_date(value, field: str, case: Case) -> dt.date:
    """A date something happened: not in the future, not before the application."""
    day = parse_date(value if value not in (None, "") else clocks.today(), field=field, required=True, code="invalid")
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


def record_decision(uow: UnitOfWork, case: Case, actor: Actor, *, outcome: str, amount: Decimal, today: dt.date,
                    assessment: dict | None, parameters: dict | None = None, reasons: str = "",
                    letter_due: dt.date | None = None) -> Decision:
    """The Decision of a step a higher app takes on a case (medical's settlement of a
    reimbursement), written through the step's unit of work as the steps here write theirs: the
    outcome and amount, the assessment and parameters it rested on, who decided, the letter's
    number. Call it after `workflow.transition` moved the case."""
    return _decide(uow, case, actor, outcome=outcome, amount=amount, today=today, assessment=assessment,
                   parameters=parameters, reasons=reasons, letter_due=letter_due)


def _decide(uow: UnitOfWork, case: Case, actor: Actor, *, outcome: str, amount: Decimal, today: dt.date, assessment: dict | None,
            parameters: dict | None = None, report: VerificationReport | None = None, reasons: str = "",
            start_month: dt.date | None = None, letter_due: dt.date | None = None) -> Decision:
    return uow.insert(Decision(
        case_id=case.pk, outcome=outcome, monthly_amount=amount, start_month=start_month,
        assessment=standards.jsonable(assessment or {}), parameters=standards.jsonable(parameters or {}),
        snapshot_hash=case.snapshot_hash, verification_report=report, approving_level=case.approving_level,
        decided_by=actor.username, decided_by_post_id=actor.post_id, decided_by_role=actor.role,
        decided_by_area=actor.area_code, decided_at=timezone.now(), decided_on=today, reasons=reasons,
        letter_number=_letter_number(case, today), letter_due=letter_due))


# --------------------------------------------------------------------------------------------
# The rule, on the facts of the case (DESIGN.md §4 Facts at decision time)
# --------------------------------------------------------------------------------------------

def assess_case(case: Case, on_date: dt.date, reads: Reads):
    """(Outcome, parameters used, verification report) for the case on `on_date`: the snapshot
    taken at application, corrected by its latest verification report, through the program's rule
    function with the parameters in force in that month. `reads`: `read_assessment` of the case
    (with the others of its step)."""
    report = reads.reports[case.pk]
    findings = report.findings if report else None
    facts = facts_from_snapshot(case.snapshot, on_date, findings=findings, covered_person_id=_covered_for_gap(case))
    area = case.area_id
    if case.program_id == DIBAO:
        params = standards.dibao_parameters(area, on_date, facts.is_urban)
        outcome = rules.assess_dibao(facts, params)
    elif case.program_id == SPECIAL_HARDSHIP:
        params = standards.special_hardship_parameters(area, on_date, facts.is_urban)
        survey = reads.surveys[case.pk]
        person = next((m for m in facts.members if m.person_id == case.covered_person_id), None)
        if person is None:
            raise ValidationError(_("The person to support is no longer a living member of the household."), field="covered_person")
        supporters = reads.supporters[case.pk]
        if not supporters:
            require_recorded(case)
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
                         covered_person_id: int | None = None, reason: str = "", accept: bool = False,
                         attach=None) -> Case:
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
    timeline row and audit event), so the case starts at "accepted".

    `attach(uow, case)`: what a higher app keeps with the application, written through the same
    unit of work once the case has its key (medical's bill of a reimbursement, whose
    `covered_person_id` is the patient and `requested_amount` what the bill asks): the case and
    its record are filed together or not at all."""
    actor.require("cases.apply")
    try:
        with unit_of_work(size_hint=1) as uow:
            [result] = file_applications(uow, actor, [dict(
                program_code=program_code, household_id=household_id, applicant_id=applicant_id, channel=channel,
                entrusted_by=entrusted_by, requested_amount=requested_amount, kind=kind,
                covered_person_id=covered_person_id, reason=reason, accept=accept, attach=attach)])
            if result.error is not None:
                raise result.error
        return result.value
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


@dataclass
class _ApplicationReads:
    """What filing a list of applications reads for all of them at once."""
    households: dict[int, Household]
    snapshots: dict[int, dict]                     # by household
    open_cases: dict[tuple[str, str], set[int]]    # (program, field) -> ids with an open case
    live: dict[tuple[str, str], set[int]]          # (program, field) -> ids with a live enrollment
    close_relatives: dict[int, list]               # by household, for applications accepted at once
    claimed: set = field(default_factory=set)      # what the applications filed so far in the list hold


def _ids(values) -> list[int]:
    found = []
    for value in values:
        try:
            found.append(int(value))
        except (TypeError, ValueError):
            pass            # the step refuses it, naming the field
    return found


def _read_applications(actor: Actor, applications: list[dict]) -> _ApplicationReads:
    households = {pk: found[0] for pk, found in objects_by_key(
        _HOUSEHOLDS, _ids(a.get("household_id") for a in applications)).items() if found and actor.covers(found[0].area_id)}
    areas = [household.area_id for household in households.values()]
    program_selectors.remember_area_paths(areas + [code[:12] for code in areas])   # (the snapshot reads the village's)
    snapshots = take_household_snapshots(list(households.values()))
    open_cases, live = {}, {}
    for program in {a.get("program_code") for a in applications} & set(PROGRAMS):
        mine = [a for a in applications if a.get("program_code") == program]
        applicants = _ids(a.get("applicant_id") for a in mine)
        open_cases[(program, "applicant_id")] = open_cases_by(program, "applicant_id", applicants)
        if program == DIBAO:
            household_ids = _ids(a.get("household_id") for a in mine)
            open_cases[(program, "household_id")] = open_cases_by(program, "household_id", household_ids)
            live[(program, "household_id")] = live_enrollments_by(program, "household_id", household_ids)
        else:
            covered = _ids(a.get("covered_person_id") if a.get("covered_person_id") is not None else a.get("applicant_id")
                           for a in mine)
            open_cases[(program, "covered_person_id")] = open_cases_by(program, "covered_person_id", covered)
            if program == SPECIAL_HARDSHIP:
                live[(program, "person_id")] = live_enrollments_by(program, "person_id", covered)
    accepted = [pk for pk in _ids(a.get("household_id") for a in applications if a.get("accept")) if pk in snapshots]
    matches = find_close_relatives_of([[{"person_id": m["person_id"], "name": m["name"], "id_number": m["id_number"]}
                                        for m in snapshots[pk].get("members", [])] for pk in accepted])
    return _ApplicationReads(households, snapshots, open_cases, live, dict(zip(accepted, matches)))


def file_applications(uow: UnitOfWork, actor: Actor, applications: list[dict]) -> list[StepResult]:
    """File each application (a dict of `apply_for_assistance`'s arguments) through `uow`, in
    order, the rows they need read for all of them at once. Two applications in the list that
    could not both be open are refused after the first, as one already open is; a refused
    application holds back no other."""
    reads = _read_applications(actor, applications)
    results = []
    for fields in applications:
        mark = uow.mark()
        try:
            case = _apply(uow, actor, reads, **fields)
        except SafetyNetError as error:
            _drop(uow, mark, error)
            results.append(StepResult(None, error=error))
            continue
        results.append(StepResult(case.pk, value=case, status=case.status))
        uow.send_ready()
    return results


def _apply(uow: UnitOfWork, actor: Actor, reads: _ApplicationReads, *, program_code, household_id, applicant_id,
           channel, entrusted_by="", requested_amount=None, kind=None, covered_person_id=None, reason="",
           accept=False, attach=None) -> Case:
    actor.require("cases.apply")
    # The programs seeded by programs/migrations/0002 and 0007 (primary key = code); a medical
    # reimbursement only with its bill.
    if program_code not in PROGRAMS or (program_code == MEDICAL and attach is None):
        raise ValidationError(_("Choose dibao, special hardship or temporary assistance."), field="program")
    if channel not in Channel.values:
        raise ValidationError(_("Choose how the application came in."), field="channel")
    entrusted_by = _text(entrusted_by, "entrusted_by", required=channel == Channel.ENTRUSTED_BY_VILLAGE, max_length=100)
    household = reads.households.get(_case_number(household_id))
    if household is None:
        raise NotFound(_("Not found."))
    snapshot = reads.snapshots[household.pk]
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
    elif program_code == MEDICAL:
        kind = ""
        covered = member(covered_person_id, "covered_person", _("The patient must be a living member of the household."))
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

    person = covered if covered is not None else applicant
    if program_code == DIBAO:
        duplicate = applicant in reads.open_cases[(program_code, "applicant_id")] \
            or household.pk in reads.open_cases[(program_code, "household_id")]
    else:
        duplicate = applicant in reads.open_cases[(program_code, "applicant_id")] \
            or person in reads.open_cases[(program_code, "covered_person_id")]
    # An application filed earlier in the same list: the database would see the first of two
    # only at the flush.
    keys = ({(program_code, "household", household.pk)} if program_code == DIBAO
            else {(program_code, "person", applicant), (program_code, "person", person)})
    if duplicate or keys & reads.claimed:
        raise Conflict(_("This person or household already has an open application for this program."), field="applicant")
    if program_code in (DIBAO, SPECIAL_HARDSHIP):
        # Dibao: any live enrollment in the household (whole or individual coverage); special
        # hardship: the person's own.
        live = (household.pk in reads.live[(program_code, "household_id")] if program_code == DIBAO
                else covered in reads.live[(program_code, "person_id")])
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
    uow.insert(case)
    record_creation(uow, case, actor, data={"program": program_code, "kind": kind, "channel": channel,
                                       "household": household.pk, "snapshot_hash": case.snapshot_hash})
    if attach is not None:
        attach(uow, case)
    if accept:
        check_transition(case, "accept", actor)
        _accept(uow, case, actor, reads.close_relatives[household.pk])
    reads.claimed |= keys
    return case


def _sampled(case: Case, ratio) -> bool:
    """Deterministic sampling for the county's spot checks (SH-2021 art. 16: at least 30 %): the
    same case is always in or out, so the choice can be audited and cannot be re-rolled."""
    if not ratio:
        return False
    digest = hashlib.sha256(f"spot-check:{case.pk}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 10000 < Decimal(str(ratio)) * 10000


@case_step(read=_read_close_relatives)
def accept_application(uow: UnitOfWork, actor: Actor, case: Case, reads: Reads, *, missing_materials=(), promise_signed: bool = True,
                       authorization_signed: bool = True, note: str = "") -> Case:
    """Accept the application (MLG-2021 art. 9–11).

    The applicant signs the truthfulness promise and the verification authorization (both
    recorded with the time and who recorded them). Close-relative detection runs here: a match
    files the case separately, requires the county's own home visit, and bars the related staff
    member and their town from deciding it. A special-hardship case is sampled for the county's
    spot check. `missing_materials`, when given, are asked for once, in the same step (the case
    then waits in "returned for supplement")."""
    check_transition(case, "accept", actor)
    return _accept(uow, case, actor, reads.close_relatives[case.pk], missing_materials=missing_materials, promise_signed=promise_signed,
                   authorization_signed=authorization_signed, note=note)


def _accept(uow: UnitOfWork, case: Case, actor: Actor, close_relatives: list, *, missing_materials=(), promise_signed: bool = True,
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
    matches = [m.as_dict() for m in close_relatives]
    spot_check = case.program_id == SPECIAL_HARDSHIP and _sampled(case, (case.limits or {}).get("spot_check_ratio"))
    today, now = clocks.today(), timezone.now()
    transition(uow, case, "accept", actor, note=note, changes={
        "accepted_on": today, "clock_started_on": today, "promise_signed_at": now, "authorization_signed_at": now,
        "consent_recorded_by": actor.username, "is_close_relative": bool(matches), "close_relative_matches": matches,
        "spot_check_required": spot_check, "county_visit_required": bool(matches) or spot_check,
    }, data={"close_relative": bool(matches), "spot_check": spot_check})
    if items:
        transition(uow, case, "request_materials", actor, data={"items": items}, changes={
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


@case_step()
def request_materials(uow: UnitOfWork, actor: Actor, case: Case, reads: Reads, *, items) -> Case:
    """Ask for everything missing, once (MLG-2021 art. 10): a second list is refused until the
    first has been supplied."""
    check_transition(case, "request_materials", actor)
    items = _materials(items, required=True)
    transition(uow, case, "request_materials", actor, data={"items": items}, changes={
        "missing_materials": items, "materials_requested_at": timezone.now(), "materials_resolved_at": None})
    return case


@case_step()
def resume_case(uow: UnitOfWork, actor: Actor, case: Case, reads: Reads, *, note: str = "") -> Case:
    """The materials (or the supplement the county asked for) came in: back to accepted."""
    check_transition(case, "resume", actor)
    note = _text(note, "note", required=False, max_length=2000)
    changes = {}
    if case.materials_requested_at and not case.materials_resolved_at:
        changes["materials_resolved_at"] = timezone.now()
    transition(uow, case, "resume", actor, note=note, changes=changes)
    return case


@case_step()
def return_for_supplement(uow: UnitOfWork, actor: Actor, case: Case, reads: Reads, *, reason: str) -> Case:
    """Send the case back to the town to be completed (survey again from acceptance)."""
    check_transition(case, "return_for_supplement", actor)
    reason = _text(reason, "reason", max_length=2000)
    transition(uow, case, "return_for_supplement", actor, note=reason, changes=_reset_review_fields())
    return case


def _reset_review_fields() -> dict:
    return {"surveyed_on": None, "verification_requested_on": None, "verified_on": None, "town_reviewed_on": None,
            "outcome": None, "proposed_eligible": None, "proposed_amount": None, "approving_level": "",
            "decider_level": "", "notice_starts_on": None, "notice_ends_on": None, "notice_closed_on": None}


# --------------------------------------------------------------------------------------------
# Survey (POLICY.md §1 step 3)
# --------------------------------------------------------------------------------------------

def _resolve_investigators(items, case: Case, actor: Actor, kin_numbers: dict) -> list[dict]:
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
    related = _relative_among(member_ids, numbers, kin_numbers) if member_ids else None
    if related:
        raise ValidationError(_("%(name)s is a close relative of the household and cannot investigate it.")
                              % {"name": distinct[related]["name"]}, field="investigators")
    return list(distinct.values())


def _relative_among(member_ids: list[int], numbers: set[str], kin_numbers: dict) -> str | None:
    """The ID number, among `numbers`, of the first registered relative of these members (by
    kinship row), or None. `kin_numbers`: `kinship_numbers_of` the members."""
    found = sorted((kinship_id, number) for person in member_ids for kinship_id, number in kin_numbers.get(person, ())
                   if number in numbers)
    return found[0][1] if found else None


def _create_survey(uow: UnitOfWork, case: Case, actor: Actor, reads: Reads, *, kind: str, conducted_on, investigators, findings, signed_by_household,
                   daily_activities=None, supporters=None, duration_minutes=None) -> Survey:
    conducted_on = _past_date(conducted_on, "conducted_on", case)
    findings = _text(findings, "findings", max_length=20000)
    if not signed_by_household:
        raise ValidationError(_("Both sides sign the survey record (MLG-2021 art. 16)."), field="signed_by_household")
    people = _resolve_investigators(investigators, case, actor, reads.kin_numbers)
    care_level = ""
    if daily_activities is not None:
        try:
            care_level = rules.care_level({k: bool(v) for k, v in dict(daily_activities).items()})
        except (ValueError, TypeError):
            raise ValidationError(_("Answer all six daily activities (eating, dressing, getting in and out of bed, "
                                    "toileting, walking indoors, bathing)."), field="daily_activities")
    elif case.program_id == SPECIAL_HARDSHIP and kind == SurveyKind.HOUSEHOLD:
        raise ValidationError(_("Assess the six daily activities for the care level (SH-2021 art. 21)."), field="daily_activities")
    duration_minutes = _duration(duration_minutes)
    survey = uow.insert(Survey(
        case_id=case.pk, kind=kind, conducted_on=conducted_on, findings=findings, signed_by_household=True,
        signed_at=timezone.now(), daily_activities=daily_activities, care_level=care_level, recorded_by=actor.username,
        duration_minutes=duration_minutes))
    if supporters:
        if case.program_id != SPECIAL_HARDSHIP:
            raise ValidationError(_("Supporters are recorded for special hardship applications only."), field="supporters")
        for item in supporters:   # kept on the case, where the rule reads them (cases/supporters.py)
            save_supporter(case, actor, item)
    for person in people:
        uow.insert_unkeyed(SurveyInvestigator(survey=survey, **person))
    return survey


def _duration(value) -> int | None:
    """The visit's length in whole minutes (empty: not recorded)."""
    if value in (None, ""):
        return None
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        minutes = -1
    if not 1 <= minutes <= 1440:
        raise ValidationError(_("Give the length of the visit in minutes (1 to 1440)."), field="duration_minutes")
    return minutes


@case_step(read=_read_investigators)
def record_survey(uow: UnitOfWork, actor: Actor, case: Case, reads: Reads, *, conducted_on, investigators, findings: str,
                  signed_by_household: bool, daily_activities: dict | None = None, supporters=None,
                  duration_minutes: int | None = None) -> Survey:
    """Record the household survey (MLG-2021 art. 15–16): at least two investigators, neither a
    relative of the household; both sides sign. Also the re-survey after an objection, and the
    visit record after emergency aid. For special hardship the six daily activities give the care
    level and the supporters found decide "no able supporter" (SH-2021 art. 8, 21). Asks the
    county for the economic verification (its 3-day clock starts). Returns the Survey."""
    check_transition(case, "record_survey", actor)
    kind = {Status.CONTESTED: SurveyKind.RESURVEY, Status.PAID_FIRST: SurveyKind.EMERGENCY_RECORD}.get(case.status, SurveyKind.HOUSEHOLD)
    survey = _create_survey(uow, case, actor, reads, kind=kind, conducted_on=conducted_on, investigators=investigators,
                            findings=findings, signed_by_household=signed_by_household,
                            daily_activities=daily_activities, supporters=supporters, duration_minutes=duration_minutes)
    changes = {"surveyed_on": survey.conducted_on}
    if kind == SurveyKind.HOUSEHOLD:
        changes["verification_requested_on"] = clocks.today()
    if kind == SurveyKind.RESURVEY:
        publicity.resolve_objections(uow, case=case, resolution="resurvey")
        changes = {}
    transition(uow, case, "record_survey", actor, changes=changes, data={"survey": survey.pk, "kind": kind})
    return survey


@case_step(read=_read_investigators)
def record_county_visit(uow: UnitOfWork, actor: Actor, case: Case, reads: Reads, *, conducted_on, investigators, findings: str,
                        signed_by_household: bool, duration_minutes: int | None = None) -> Survey:
    """The county's own home visit: required for close-relative filings (MLG-2021 art. 20) and
    for special-hardship cases drawn for the spot check (SH-2021 art. 16). Returns the Survey."""
    check_transition(case, "record_county_visit", actor)
    survey = _create_survey(uow, case, actor, reads, kind=SurveyKind.COUNTY_VISIT, conducted_on=conducted_on,
                            investigators=investigators, findings=findings, signed_by_household=signed_by_household,
                            duration_minutes=duration_minutes)
    transition(uow, case, "record_county_visit", actor, changes={"county_visited_on": survey.conducted_on},
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


def _record_verification(uow: UnitOfWork, actor: Actor, case: Case, *, source: str, summary: str, findings,
                         total_monthly_income, total_financial_assets) -> VerificationReport:
    check_transition(case, "verify", actor)
    summary = _text(summary, "summary", max_length=20000)
    findings = _findings(findings)
    income = to_money(total_monthly_income) if total_monthly_income not in (None, "") else None
    assets = to_money(total_financial_assets) if total_financial_assets not in (None, "") else None
    report = uow.insert(VerificationReport(
        case_id=case.pk, source=source, is_manual=source == VerificationSource.MANUAL, entered_by=actor.username,
        summary=summary, findings=findings, total_monthly_income=income, total_financial_assets=assets))
    transition(uow, case, "verify", actor, changes={"verified_on": clocks.today()},
               data={"report": report.pk, "source": source})
    return report


@case_step()
def record_manual_verification(uow: UnitOfWork, actor: Actor, case: Case, reads: Reads, *, summary: str,
                               findings: dict | None = None, total_monthly_income=None,
                               total_financial_assets=None) -> VerificationReport:
    """A county officer enters the departments' verification by hand (offline counties, or until
    the verification engine runs), marked as manual. Returns the report."""
    total_monthly_income, total_financial_assets = (
        None if value in (None, "") else parse_money(value, field=name, maximum=_column_maximum(VerificationReport, name))
        for name, value in (("total_monthly_income", total_monthly_income), ("total_financial_assets", total_financial_assets)))
    return _record_verification(uow, actor, case, source=VerificationSource.MANUAL, summary=summary, findings=findings,
                                total_monthly_income=total_monthly_income, total_financial_assets=total_financial_assets)


@case_step()
def record_engine_verification(uow: UnitOfWork, actor: Actor, case: Case, reads: Reads, *, summary: str,
                               findings: dict | None = None, total_monthly_income=None,
                               total_financial_assets=None) -> VerificationReport:
    """The verification engine files its report through here."""
    return _record_verification(uow, actor, case, source=VerificationSource.ENGINE, summary=summary, findings=findings,
                                total_monthly_income=total_monthly_income, total_financial_assets=total_financial_assets)


# --------------------------------------------------------------------------------------------
# Deliberation, town opinion, notice (POLICY.md §1 step 5)
# --------------------------------------------------------------------------------------------

@case_step()
def hold_deliberation(uow: UnitOfWork, actor: Actor, case: Case, reads: Reads, *, held_on, participants: int, village_representatives: int,
                      opinion: str, votes_for: int = 0, votes_against: int = 0, votes_abstaining: int = 0) -> Deliberation:
    """Record a deliberation meeting: where the county keeps it mandatory, village representatives
    must be at least 2/3 of the participants (MLG-2012 art. 21–22); after an objection it answers
    the objection. Returns the Deliberation."""
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
    meeting = uow.insert(Deliberation(
        case_id=case.pk, held_on=held_on, reason=reason, participants=participants, village_representatives=representatives,
        votes_for=votes[0], votes_against=votes[1], votes_abstaining=votes[2], opinion=opinion,
        share_checked=share_checked, recorded_by=actor.username))
    if contested:
        publicity.resolve_objections(uow, case=case, resolution="deliberation")
    transition(uow, case, "hold_deliberation", actor, changes={"deliberated_on": held_on},
               data={"deliberation": meeting.pk, "reason": reason})
    return meeting


@case_step(read=read_assessment)
def give_town_opinion(uow: UnitOfWork, actor: Actor, case: Case, reads: Reads, *, opinion: str = "") -> Case:
    """The town's review (MLG-2021 art. 19): the program's rule runs on the snapshot as
    corrected by the verification report, and its outcome (eligible, amount, breakdown) is kept
    on the case. It also fixes who decides: the town where the county delegated confirmation,
    otherwise the county; for temporary aid, the level the amount calls for."""
    check_transition(case, "give_town_opinion", actor)
    opinion = _text(opinion, "opinion", required=False, max_length=20000)
    today = clocks.today()
    outcome, params, report = assess_case(case, today, reads)
    changes = {"outcome": standards.jsonable(outcome.as_dict()), "proposed_eligible": outcome.eligible,
               "proposed_amount": outcome.monthly_amount, "town_opinion": opinion, "town_reviewed_on": today}
    if case.path == ORDINARY:
        level = outcome.details.get("approving_level", rules.COUNTY)
        changes["approving_level"] = "county_leader" if level == rules.CASE_BY_CASE else level
    else:
        delegated = bool((case.limits or {}).get("confirmation_delegated"))
        changes["decider_level"] = "town" if delegated else "county"
    transition(uow, case, "give_town_opinion", actor, note=opinion, changes=changes,
               data={"eligible": outcome.eligible, "amount": f"{outcome.monthly_amount:.2f}",
                     "report": report.pk if report else None})
    return case


@case_step()
def publish_notice(uow: UnitOfWork, actor: Actor, case: Case, reads: Reads, *, starts_on=None) -> Case:
    """Post the 7-day notice in the village (POLICY.md §1 step 5): the applicant's name masked to
    the surname plus one character, the number of members and the proposed amount (§7)."""
    check_transition(case, "publish_notice", actor)
    today = clocks.today()
    starts_on = parse_date(starts_on, field="starts_on", required=True, code="invalid") if starts_on not in (None, "") else today
    if starts_on < today:
        raise ValidationError(_("A notice cannot start in the past."), field="starts_on")
    if starts_on > today + dt.timedelta(days=7):
        raise ValidationError(_("A notice starts within a week."), field="starts_on")
    ends_on = clocks.notice_last_day(starts_on, int((case.limits or {}).get("notice_days", 7)))
    notice = publicity.post_notice(
        uow, case=case, applicant_name=member_name(case.snapshot, case.applicant_id),
        members_count=members_count(case.snapshot, _covered_for_gap(case) or (case.covered_person_id if case.program_id == SPECIAL_HARDSHIP else None)),
        monthly_amount=case.proposed_amount or Decimal("0"), starts_on=starts_on, ends_on=ends_on, posted_by=actor.username,
        republished=case.objection_answered_on is not None)
    transition(uow, case, "publish_notice", actor, changes={"notice_starts_on": starts_on, "notice_ends_on": ends_on,
                                                       "notice_closed_on": None},
               data={"notice": notice.pk, "ends_on": ends_on.isoformat()})
    return case


@case_step()
def record_objection(uow: UnitOfWork, actor: Actor, case: Case, reads: Reads, *, content: str, objector_name: str = "", objector_contact: str = "",
                     received_on=None) -> Case:
    """An objection to the notice (MLG-2021 art. 19): the notice stays on the board, marked as
    under objection, and the case waits for a re-survey or a deliberation meeting, the town's
    answer to the objection (`answer_objection`), then a new town opinion and notice. Further
    objections before the answer join it."""
    check_transition(case, "record_objection", actor)
    content = _text(content, "content", max_length=20000)
    objector_name = _text(clean_text(objector_name, field="objector_name"), "objector_name", required=False, max_length=50)
    objector_contact = _text(objector_contact, "objector_contact", required=False, max_length=50)
    received_on = _past_date(received_on, "received_on", case)
    notice = publicity.posted_notice(case)
    if notice is None:
        raise TransitionNotAllowed(_("No notice is posted for this case."))
    objection = publicity.file_objection(uow, case=case, notice=notice, content=content, received_on=received_on,
                                         objector_name=objector_name, objector_contact=objector_contact,
                                         recorded_by=actor.username)
    transition(uow, case, "record_objection", actor, changes={"objection_answered_on": None}, data={"objection": objection.pk})
    return case


@case_step()
def answer_objection(uow: UnitOfWork, actor: Actor, case: Case, reads: Reads, *, finding: str, answer: str) -> Case:
    """The town answers the objection after its re-survey or deliberation (MLG-2021 art. 19):
    upheld (the objection is founded) or not upheld, and what the objector is told. The board
    shows the outcome until the notice is posted again; the new town opinion comes next."""
    check_transition(case, "answer_objection", actor)
    if finding not in ObjectionFinding.values:
        raise ValidationError(_("Say whether the objection is upheld or not."), field="finding")
    answer = _text(answer, "answer", max_length=20000)
    count = publicity.answer_objections(uow, case=case, finding=finding, answer=answer, answered_by=actor.username)
    transition(uow, case, "answer_objection", actor, note=answer, changes={"objection_answered_on": clocks.today()},
               data={"finding": finding, "objections": count})
    return case


@case_step()
def close_notice(uow: UnitOfWork, actor: Actor, case: Case, reads: Reads) -> Case:
    """Close the notice after its full 7 days without an open objection; the decision clock
    (10 working days, special hardship 15) starts."""
    check_transition(case, "close_notice", actor)
    publicity.end_notice(uow, case=case)
    transition(uow, case, "close_notice", actor, changes={"notice_closed_on": clocks.today()})
    return case


# --------------------------------------------------------------------------------------------
# Decision (POLICY.md §1 steps 6–7)
# --------------------------------------------------------------------------------------------

def _enrolled_already(error: IntegrityError):
    if _is_constraint(error, "enrollment_one_live_per", "enrollments_enrollment."):
        return Conflict(_("The household is already enrolled in this program."), field="household")
    return None


@case_step(read=_read_confirmations, integrity_conflict=_enrolled_already)
def confirm_case(uow: UnitOfWork, actor: Actor, case: Case, reads: Reads, *, note: str = "") -> Decision:
    """Confirm the case (MLG-2021 art. 20): the county, or the town where delegated; never the
    related staff member of a close-relative filing or anyone in their town. The rule runs
    again on the same facts with the parameters in force today, and the Decision keeps the
    outcome, the parameters, the snapshot hash and the verification report. An Enrollment starts
    the month after confirmation (art. 25) with its first re-check date. Returns the Decision."""
    check_transition(case, "confirm", actor, {"reviewers": reads.reviewers[case.pk]})
    note = _text(note, "note", required=False, max_length=2000)
    today = clocks.today()
    outcome, params, report = assess_case(case, today, reads)
    if not outcome.eligible:
        raise TransitionNotAllowed(_("With today's standards the household is not eligible (%(why)s): refuse instead.")
                                   % {"why": "; ".join(str(r) for r in outcome.reasons)})
    transition(uow, case, "confirm", actor, note=note, changes={"decided_on": today}, ctx={"reviewers": reads.reviewers[case.pk]},
               data={"amount": f"{outcome.monthly_amount:.2f}"})
    start = _next_month(today)
    decision = _decide(uow, case, actor, outcome=DecisionOutcome.APPROVED, amount=outcome.monthly_amount, today=today,
                       assessment=outcome.as_dict(), parameters=params, report=report, start_month=start)
    _enroll(uow, case, reads, decision, outcome, start, today)
    return decision


def _enroll(uow: UnitOfWork, case: Case, reads: Reads, decision: Decision, outcome, start: dt.date,
            today: dt.date) -> None:
    """The enrollment a confirmation starts; the bank account is the household's as it is now."""
    person_id = case.covered_person_id if (case.program_id == SPECIAL_HARDSHIP or case.kind == DibaoKind.INDIVIDUAL) else None
    # A reopened case that is confirmed again replaces its own enrollment.
    for enrollment_id in reads.replaced_enrollments.get(case.pk, ()):
        uow.update_where(Enrollment, {"status": EnrollmentStatus.ENDED, "ended_on": today,
                                      "end_reason": "replaced by a new decision"}, id=enrollment_id)
    uow.insert_unkeyed(Enrollment(
        program_id=case.program_id, household_id=case.household_id, person_id=person_id, area_id=case.area_id,
        case=case, decision=decision, status=EnrollmentStatus.ACTIVE, monthly_amount=outcome.monthly_amount,
        breakdown=decision.assessment.get("breakdown", []), start_month=start,
        next_recheck_date=clocks.recheck_date(case.program_id, case.snapshot, start, today),
        bank_account=reads.bank_accounts.get(case.household_id, "")))


@case_step()
def refuse_case(uow: UnitOfWork, actor: Actor, case: Case, reads: Reads, *, reasons: str) -> Decision:
    """Refuse, with the reasons in words the applicant is told (MLG-2021 art. 21): the letter is
    due within 3 working days. Works on every path at its deciding step (dibao and special
    hardship by the county or delegated town; temporary aid at its approving level; quick aid by
    the town; a medical reimbursement by the county). Returns the Decision."""
    action = {ORDINARY: "refuse_temporary_aid", QUICK: "refuse_quick_aid", MEDICAL: "refuse_reimbursement"}.get(case.path, "refuse")
    check_transition(case, action, actor)
    reasons = _text(reasons, "reasons", max_length=20000)
    today = clocks.today()
    if case.objection_answered_on:
        publicity.end_notice(uow, case=case, status=NoticeStatus.WITHDRAWN)   # the answered notice leaves the board
    transition(uow, case, action, actor, note=reasons, changes={"decided_on": today})
    return _decide(uow, case, actor, outcome=DecisionOutcome.REFUSED, amount=Decimal("0"), today=today,
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


@case_step()
def withdraw_case(uow: UnitOfWork, actor: Actor, case: Case, reads: Reads, *, reason: str) -> Case:
    """The applicant withdraws (reason recorded); a posted notice comes down."""
    check_transition(case, "withdraw", actor)
    reason = _text(reason, "reason", max_length=2000)
    publicity.end_notice(uow, case=case, status=NoticeStatus.WITHDRAWN)
    transition(uow, case, "withdraw", actor, note=reason)
    return case


@case_step()
def reopen_case(uow: UnitOfWork, actor: Actor, case: Case, reads: Reads, *, reason: str) -> Case:
    """Reopen a decided case after a complaint (reason required): the clock starts again and the
    case is surveyed anew; a confirmed case's enrollment runs until the new decision."""
    check_transition(case, "reopen", actor)
    reason = _text(reason, "reason", max_length=2000)
    changes = _reset_review_fields()
    changes.update({"clock_started_on": clocks.today(), "extended": False, "extension_reason": "", "decided_on": None,
                    "county_visited_on": None, "deliberated_on": None, "reopened_count": case.reopened_count + 1})
    transition(uow, case, "reopen", actor, note=reason, changes=changes)
    return case


@case_step()
def extend_case(uow: UnitOfWork, actor: Actor, case: Case, reads: Reads, *, reason: str) -> Case:
    """Extend the whole-case limit from 30 to 45 working days, once, with a reason (MLG-2021 art. 22)."""
    check_transition(case, "extend", actor)
    reason = _text(reason, "reason", max_length=2000)
    transition(uow, case, "extend", actor, note=reason, changes={"extended": True, "extension_reason": reason})
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


@case_step()
def pay_emergency_aid_first(uow: UnitOfWork, actor: Actor, case: Case, reads: Reads, *, amount=None, note: str = "") -> Decision:
    """Emergency aid paid first by the town, skipping means check, deliberation and notice
    (TA-2018): within the town's approval limit; the paperwork is then due within 10 working days
    and the case shows it as a debt until done. Returns the Decision."""
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
    transition(uow, case, "pay_first", actor, note=note, changes={
        "paid_first_on": today, "approving_level": "town", "outcome": standards.jsonable(outcome.as_dict()),
        "proposed_eligible": True, "proposed_amount": outcome.monthly_amount},
        data={"amount": f"{outcome.monthly_amount:.2f}"})
    return _decide(uow, case, actor, outcome=DecisionOutcome.APPROVED, amount=outcome.monthly_amount, today=today,
                   assessment=outcome.as_dict(), parameters=params)


@case_step()
def switch_to_ordinary_procedure(uow: UnitOfWork, actor: Actor, case: Case, reads: Reads, *, amount=None, note: str = "") -> Case:
    """Emergency aid the town cannot pay first (over its limit) goes on as ordinary temporary
    assistance (TA-2018: survey, verification, town opinion, approval at the amount's level),
    keeping the application as filed and the amount typed as the amount requested; the next step
    is its acceptance. Same post and area as paying first."""
    check_transition(case, "switch_to_ordinary", actor)
    amount = _amount(amount, "amount", required=False) or case.requested_amount
    note = _text(note, "note", required=False, max_length=2000)
    transition(uow, case, "switch_to_ordinary", actor, note=note, changes={
        "kind": TemporaryKind.ORDINARY.value, "path": ORDINARY, "requested_amount": amount},
        data={"from": TemporaryKind.EMERGENCY.value, "to": TemporaryKind.ORDINARY.value, "requested_amount": f"{amount:.2f}"})
    return case


@case_step()
def complete_emergency_paperwork(uow: UnitOfWork, actor: Actor, case: Case, reads: Reads, *, note: str = "") -> Case:
    """The record after emergency aid is complete (the home visit recorded): the debt is cleared."""
    check_transition(case, "complete_paperwork", actor)
    note = _text(note, "note", required=False, max_length=2000)
    transition(uow, case, "complete_paperwork", actor, note=note, changes={"decided_on": clocks.today()})
    return case


@case_step()
def decide_quick_aid(uow: UnitOfWork, actor: Actor, case: Case, reads: Reads, *, approve: bool, amount=None, reasons: str = "") -> Decision:
    """Small-amount quick aid (TA-2026): no means check or notice, decided by the town within 3
    working days, at most 1 × the monthly standard (the rule caps the amount). Returns the Decision."""
    action = "approve_quick_aid" if approve else "refuse_quick_aid"
    check_transition(case, action, actor)
    today = clocks.today()
    if not approve:
        reasons = _text(reasons, "reasons", max_length=20000)
        transition(uow, case, action, actor, note=reasons, changes={"decided_on": today})
        return _decide(uow, case, actor, outcome=DecisionOutcome.REFUSED, amount=Decimal("0"), today=today, assessment=None,
                       reasons=reasons, letter_due=clocks.refusal_letter_due(today, case.limits or {}))
    amount = _amount(amount, "amount", required=False) or case.requested_amount
    outcome, params = _temporary_outcome(case, rules.QUICK, amount, today)
    if not outcome.eligible:
        raise ValidationError("; ".join(str(r) for r in outcome.reasons), field="amount")
    transition(uow, case, action, actor, changes={
        "decided_on": today, "approving_level": "town", "outcome": standards.jsonable(outcome.as_dict()),
        "proposed_eligible": True, "proposed_amount": outcome.monthly_amount},
        data={"amount": f"{outcome.monthly_amount:.2f}"})
    return _decide(uow, case, actor, outcome=DecisionOutcome.APPROVED, amount=outcome.monthly_amount, today=today,
                   assessment=outcome.as_dict(), parameters=params)


@case_step(read=read_assessment)
def approve_temporary_aid(uow: UnitOfWork, actor: Actor, case: Case, reads: Reads, *, amount=None, note: str = "") -> Decision:
    """Approve ordinary temporary aid at the level its amount calls for (POLICY.md §3): the town up
    to 4 × the monthly standard, the county up to 10 ×, above that the county leader case by
    case. An approver who changes the amount is checked against the new amount's level."""
    check_transition(case, "approve_temporary_aid", actor)
    note = _text(note, "note", required=False, max_length=2000)
    today = clocks.today()
    amount = _amount(amount, "amount", required=False) or case.proposed_amount or case.requested_amount
    outcome, params = _temporary_outcome(case, rules.EXPENSE, amount, today)
    if not outcome.eligible:
        raise ValidationError("; ".join(str(r) for r in outcome.reasons), field="amount")
    level = outcome.details.get("approving_level", rules.COUNTY)
    case.approving_level = "county_leader" if level == rules.CASE_BY_CASE else level
    transition(uow, case, "approve_temporary_aid", actor, note=note, changes={
        "decided_on": today, "approving_level": case.approving_level, "proposed_amount": outcome.monthly_amount},
        data={"amount": f"{outcome.monthly_amount:.2f}", "level": case.approving_level})
    return _decide(uow, case, actor, outcome=DecisionOutcome.APPROVED, amount=outcome.monthly_amount, today=today,
                   assessment=outcome.as_dict(), parameters=params, report=reads.reports[case.pk])


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

