"""Time limits of a case, in working days on the official calendar (DESIGN.md §4 Time limits).

The limits in force when the case was filed are copied onto it (`Case.limits`, from the
program parameters: see `limits_from_parameters`), so a later change of the parameters does
not move the deadlines of cases already running. Defaults (POLICY.md §1–3):

- household survey starts within 3 working days of acceptance (MLG-2021 art. 15); special
  hardship: the town's survey within 15 (SH-2021 art. 13);
- economic verification starts within 3 working days of the request (art. 17);
- the public notice lasts 7 calendar days (art. 19);
- county confirmation within 10 working days once the notice closes (art. 20); special hardship:
  15 (SH-2021 art. 16);
- a refusal is explained in writing within 3 working days (art. 21);
- the whole case within 30 working days of acceptance, 45 when extended with a reason (art. 22);
- temporary assistance: quick aid decided within 3 working days (TA-2026); emergency paperwork
  completed within 10 working days of paying first (TA-2018, local default);
- a manual medical reimbursement decided within 10 working days of acceptance (the medical
  parameter `reimbursement_decision_days`, a local default), the town's opinion and the county's
  decision both inside it.

The next re-check date of an enrollment (`recheck_date`) is kept here too: a confirmation sets it
and the closing of every re-check (payments/rechecks.py) sets it again, by this one rule.

`next_step` is what `workflow.transition` stores on the case after every move (`next_action`,
`next_due`, `case_due`), so the queues sort and count in the database. `case_deadlines` is
the full list shown on the case page.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _l

from safetynet.core.workdays import add_working_days
from safetynet.registry.models import income_counts

from .snapshots import living_members

DEFAULT_LIMITS = {
    "survey_days": 3, "verification_days": 3, "notice_days": 7, "confirmation_days": 10, "refusal_letter_days": 3,
    "case_days": 30, "case_extended_days": 45, "paperwork_days": 10, "quick_aid_days": 3,
}

# Which catalogue parameter (programs/catalogue.py) gives each limit, per program; what a
# program does not set comes from the dibao parameters of the same area, then the defaults.
_DIBAO_KEYS = {
    "survey_days": "survey_start_days", "verification_days": "verification_start_days", "notice_days": "notice_days",
    "confirmation_days": "confirmation_days", "refusal_letter_days": "refusal_letter_days", "case_days": "case_days",
    "case_extended_days": "case_extended_days",
}
_PROGRAM_KEYS = {
    "dibao": _DIBAO_KEYS,
    "special_hardship": {"survey_days": "survey_days", "notice_days": "notice_days", "confirmation_days": "decision_days"},
    "temporary": {"paperwork_days": "paperwork_days", "quick_aid_days": "quick_aid_days"},
    "medical": {"case_days": "reimbursement_decision_days"},
}


def today() -> dt.date:
    """The business date (Asia/Shanghai). Tests and the benchmark replace this to move time."""
    return timezone.localdate()


def limits_from_parameters(program_code: str, program_values: dict, dibao_values: dict | None = None) -> dict:
    limits = dict(DEFAULT_LIMITS)
    for limit, key in _DIBAO_KEYS.items():
        value = (dibao_values or {}).get(key)
        if value is not None:
            limits[limit] = int(value)
    for limit, key in _PROGRAM_KEYS.get(program_code, {}).items():
        value = program_values.get(key)
        if value is not None:
            limits[limit] = int(value)
    return limits


def _limit(case, name: str) -> int:
    return int((case.limits or {}).get(name, DEFAULT_LIMITS[name]))


def notice_last_day(starts_on: dt.date, notice_days: int) -> dt.date:
    """A 7-day notice posted on day D runs D..D+6 (calendar days)."""
    return starts_on + dt.timedelta(days=notice_days - 1)


def case_due(case) -> dt.date | None:
    start = case.clock_started_on or case.accepted_on
    if start is None:
        return None
    return add_working_days(start, _limit(case, "case_extended_days" if case.extended else "case_days"))


@dataclass(frozen=True)
class Step:
    next_action: str
    next_due: dt.date | None
    case_due: dt.date | None


def _earliest(*dates):
    dates = [d for d in dates if d is not None]
    return min(dates) if dates else None


def next_step(case) -> Step:
    """The step the case waits for and when it is due (the earlier of the step's own limit and
    the whole case's), from the case's fields alone: no query."""
    status, path = case.status, case.path
    overall = case_due(case)
    action, due = "", None
    if status == "applied":
        if path == "temporary:quick":
            action, due = "approve_quick_aid", add_working_days(case.applied_on, _limit(case, "quick_aid_days"))
        elif path == "temporary:emergency":
            action, due = "pay_first", add_working_days(case.applied_on, 0)
        else:
            action = "accept"
    elif path == "medical":
        # A bill, not a household's means: no survey, verification or notice; the town's opinion and
        # the county's decision run within the whole case's limit.
        action = {"accepted": "review_reimbursement", "town_reviewed": "approve_reimbursement",
                  "returned_for_supplement": "resume"}.get(status, "")
        if not action:
            return Step("", None, None)
    elif status == "accepted":
        action, due = "record_survey", add_working_days(case.clock_started_on or case.accepted_on, _limit(case, "survey_days"))
    elif status == "reopened":
        action, due = "record_survey", add_working_days(case.clock_started_on, _limit(case, "survey_days"))
    elif status == "returned_for_supplement":
        action = "resume"
    elif status == "surveyed":
        action, due = "verify", add_working_days(case.verification_requested_on or case.surveyed_on, _limit(case, "verification_days"))
    elif status == "verified":
        action = "hold_deliberation" if case.deliberation_required and not case.deliberated_on else "give_town_opinion"
    elif status == "deliberated":
        action = "give_town_opinion"
    elif status == "objection_resolved":
        action = "give_town_opinion" if case.objection_answered_on else "answer_objection"
    elif status == "contested":
        action = "hold_deliberation"
    elif status == "town_reviewed":
        if path == "temporary:ordinary":
            action = "approve_temporary_aid" if case.proposed_eligible else "refuse_temporary_aid"
        else:
            action = "publish_notice" if case.proposed_eligible else "refuse"
    elif status == "in_notice":
        # Closed on the first working day after the notice's last day.
        action, due = "close_notice", add_working_days(case.notice_ends_on, 1) if case.notice_ends_on else None
    elif status == "notice_closed":
        pending_visit = case.county_visit_required and not case.county_visited_on
        action = "record_county_visit" if pending_visit else "confirm"
        due = add_working_days(case.notice_closed_on, _limit(case, "confirmation_days")) if case.notice_closed_on else None
    elif status == "paid_first":
        action, due = "complete_paperwork", add_working_days(case.paid_first_on, _limit(case, "paperwork_days"))
        overall = None
    else:
        return Step("", None, None)
    return Step(action, _earliest(due, overall), overall)


def refusal_letter_due(decided_on: dt.date, limits: dict) -> dt.date:
    """A refusal is explained in writing within 3 working days (MLG-2021 art. 21)."""
    return add_working_days(decided_on, int(limits.get("refusal_letter_days", DEFAULT_LIMITS["refusal_letter_days"])))


@dataclass(frozen=True)
class Deadline:
    step: str
    label: str
    due: dt.date | None
    done_on: dt.date | None

    def state(self, on: dt.date) -> str:
        if self.done_on:
            return "late" if self.due and self.done_on > self.due else "done"
        if self.due is None:
            return "open"
        if self.due < on:
            return "overdue"
        if self.due == on:
            return "due_today"
        return "upcoming"


STEP_LABELS = {
    "survey": _l("household survey"), "verification": _l("economic verification"), "notice": _l("public notice"),
    "confirmation": _l("county decision"), "case": _l("whole case"), "refusal_letter": _l("refusal letter"),
    "quick_aid": _l("quick aid decision"), "paperwork": _l("emergency paperwork"),
    "reimbursement": _l("reimbursement decision"),
}


def case_deadlines(case, *, decisions=None) -> list[Deadline]:
    """Every limit that applies to the case with its due date and when it was met."""
    rows: list[Deadline] = []

    def add(step, due, done):
        rows.append(Deadline(step, str(STEP_LABELS[step]), due, done))

    if case.path == "temporary:quick":
        add("quick_aid", add_working_days(case.applied_on, _limit(case, "quick_aid_days")), case.decided_on)
        return rows
    if case.path == "temporary:emergency":
        if case.paid_first_on:
            add("paperwork", add_working_days(case.paid_first_on, _limit(case, "paperwork_days")), case.decided_on)
        return rows
    start = case.clock_started_on or case.accepted_on
    if case.path == "medical":
        if start:
            add("reimbursement", case_due(case), case.decided_on)
    elif start:
        add("survey", add_working_days(start, _limit(case, "survey_days")), case.surveyed_on)
    if case.verification_requested_on:
        add("verification", add_working_days(case.verification_requested_on, _limit(case, "verification_days")), case.verified_on)
    if case.notice_starts_on:
        add("notice", case.notice_ends_on, case.notice_closed_on)
    if case.notice_closed_on:
        add("confirmation", add_working_days(case.notice_closed_on, _limit(case, "confirmation_days")), case.decided_on)
    if start and case.path != "medical":
        add("case", case_due(case), case.decided_on)
    if case.status == "refused" and case.decided_on:
        issued = None
        for decision in decisions or ():
            if decision.outcome == "refused" and decision.letter_issued_at:
                issued = timezone.localdate(decision.letter_issued_at)
        add("refusal_letter", refusal_letter_due(case.decided_on, case.limits or {}), issued)
    return rows


# --------------------------------------------------------------------------------------------
# Re-check interval (POLICY.md §1 Dynamic management)
# --------------------------------------------------------------------------------------------
RECHECK_MONTHS_STABLE = 12
RECHECK_MONTHS_UNSTABLE = 6


def recheck_months(program_code: str, snapshot: dict, on_date: dt.date) -> int:
    """12 months, or 6 for a dibao household with unstable income and members able to work
    (REFORM-2020). "Able to work": a living member aged 18–59 whose ability to work is full or
    partial; "unstable income": the household's counted income comes from wages or business
    (which vary month to month), or there is none despite that ability. Special hardship is
    re-checked yearly."""
    if program_code != "dibao":
        return RECHECK_MONTHS_STABLE
    able = False
    for m in living_members(snapshot):
        birth = dt.date.fromisoformat(m["birth_date"])
        age = on_date.year - birth.year - ((on_date.month, on_date.day) < (birth.month, birth.day))
        if 18 <= age < 60 and m.get("work_ability") in ("full", "partial"):
            able = True
            break
    counted = [i for i in snapshot.get("income", []) if income_counts(i["category"])]
    unstable = not counted or any(i["category"] in ("wages", "business") for i in counted)
    return RECHECK_MONTHS_UNSTABLE if able and unstable else RECHECK_MONTHS_STABLE


def recheck_date(program_code: str, snapshot: dict, start_month: dt.date, on_date: dt.date) -> dt.date:
    """The next re-check: `recheck_months` after `start_month` (the first paid month of a new
    enrollment, or the month after a re-check closed), judged on the household `snapshot` as of
    `on_date`."""
    index = start_month.year * 12 + start_month.month - 1 + recheck_months(program_code, snapshot, on_date)
    year, month = index // 12, index % 12 + 1
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return dt.date(year, month, min(start_month.day, (following - dt.timedelta(days=1)).day))


def current_due(case) -> dt.date | None:
    """The current step's due date (as stored by the last transition)."""
    return case.next_due
