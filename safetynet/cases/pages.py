"""What the case pages show, shaped for the templates (UI.md: queue first, one case one page, say why).

Presentation only: every read goes through `cases.selectors` (scoped) or reads the objects they
returned; nothing here decides anything. The colours are the project's status colours
(site.css: new, progress, waiting, overdue, approved, refused), used the same way on every page.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Callable

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from safetynet.areas.models import Area
from safetynet.areas.roles import role_label
from safetynet.core.errors import SafetyNetError
from safetynet.core.masking import mask_id_number
from safetynet.core.money import format_yuan
from safetynet.core.scoping import Actor
from safetynet.core.workdays import add_working_days
from safetynet.programs.facts import MemberFacts, texts_in
from safetynet.programs.rules import age_on, lacks_work_ability, supporter_inability
from safetynet.registry.models import DisabilityType, IncomeCategory, RelationToHead, WorkAbility, income_counts

from . import clocks, selectors, services, standards, supporters
from .models import Case, DecisionOutcome, Status, SupporterRelation, TemporaryKind
from .workflow import acting_roles, action_label, four_eyes_required, next_steps

PROGRAM_LABELS = {
    "dibao": _l("dibao (minimum living guarantee)"),
    "special_hardship": _l("special hardship support"),
    "temporary": _l("temporary assistance"),
    "medical": _l("medical assistance (manual reimbursement)"),
}
PROGRAM_SHORT = {"dibao": _l("dibao"), "special_hardship": _l("special hardship"), "temporary": _l("temporary aid"),
                 "medical": _l("medical reimbursement")}
# The programs the application form here files; a medical reimbursement is filed with its bill on
# the medical pages (medical/reimbursement_views.py).
APPLIED_HERE = ("dibao", "special_hardship", "temporary")


@dataclass(frozen=True)
class CaseCard:
    """A card an app above cases adds to the case page of its program's cases (medical: the bill,
    the quote before the decision, the settlement after): `template` is included with `card`, the
    dict `context(actor, case)` answers (None: no card)."""

    template: str
    context: Callable[[Actor, Case], dict | None]


CASE_CARDS: dict[str, list[CaseCard]] = {}


def register_case_card(program_code: str, card: CaseCard) -> None:
    """From the higher app's `AppConfig.ready()`: cases reads the card without importing the app."""
    CASE_CARDS.setdefault(program_code, []).append(card)


def case_cards(actor: Actor, case: Case) -> list[dict]:
    cards = []
    for card in CASE_CARDS.get(case.program_id, ()):
        context = card.context(actor, case)
        if context is not None:
            cards.append({"template": card.template, "card": context})
    return cards

_WAITING = {Status.RETURNED_FOR_SUPPLEMENT, Status.IN_NOTICE, Status.CONTESTED, Status.PAID_FIRST}
STATUS_CSS = {
    Status.APPLIED: "status-new",
    Status.CONFIRMED: "status-approved",
    Status.REFUSED: "status-refused",
    Status.WITHDRAWN: "status-refused",
}
URGENCY_CSS = {"overdue": "status-overdue", "due_today": "status-waiting", "upcoming": "status-progress",
               "none": "text-bg-light", "done": "status-approved", "late": "status-overdue", "open": "text-bg-light"}
URGENCY_LABELS = {"overdue": _l("overdue"), "due_today": _l("due today"), "upcoming": _l("upcoming"),
                  "none": _l("no deadline"), "done": _l("done in time"), "late": _l("done late"), "open": _l("open")}


def program_label(code: str) -> str:
    return str(PROGRAM_LABELS.get(code, code))


def status_label(status: str) -> str:
    try:
        return str(Status(status).label)
    except ValueError:
        return status


def status_css(status: str) -> str:
    if status in STATUS_CSS:
        return STATUS_CSS[status]
    return "status-waiting" if status in _WAITING else "status-progress"


def kind_label(case: Case) -> str:
    if case.program_id == "temporary":
        try:
            return str(TemporaryKind(case.kind).label)
        except ValueError:
            return case.kind
    if case.program_id == "dibao" and case.kind == "individual":
        return _("individual coverage (MLG-2021 art. 8)")
    return ""


def yuan(value) -> str:
    if value in (None, ""):
        return ""
    try:
        return format_yuan(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return str(value)


def case_url(case_id: int) -> str:
    return reverse("cases:detail", args=[case_id])


# --------------------------------------------------------------------------------------------
# Queues
# --------------------------------------------------------------------------------------------

@dataclass
class QueueSection:
    key: str
    label: str
    css: str
    count: int
    rows: list


def queue_sections(queue, batch_actions=()) -> list[QueueSection]:
    """The queue's page split into overdue, due today and waiting (UI.md: in that order, with the
    counts of the whole queue, not of the page). A row whose next step is one of `batch_actions`
    (cases.batch) can be ticked for it."""
    waiting = max(0, queue.total - queue.overdue - queue.due_today)
    sections = [
        QueueSection("overdue", _("Overdue"), "status-overdue", queue.overdue, []),
        QueueSection("due_today", _("Due today"), "status-waiting", queue.due_today, []),
        QueueSection("waiting", _("Waiting for me"), "status-new", waiting, []),
    ]
    index = {"overdue": 0, "due_today": 1}
    for row in queue.rows:
        sections[index.get(row.urgency, 2)].rows.append({
            "row": row, "program": str(PROGRAM_SHORT.get(row.program, row.program)),
            "status": status_label(row.status), "status_css": status_css(row.status),
            "next_action": action_label(row.next_action) if row.next_action else "",
            "url": case_url(row.id), "urgency_css": URGENCY_CSS.get(row.urgency, ""),
            "batchable": row.next_action in batch_actions,
        })
    return sections


def home_queues(actor: Actor) -> list[dict]:
    """The landing page's "what needs me now" lines for cases: overdue, due today, waiting."""
    if actor is None or not actor.can(selectors.VIEW):
        return []
    counts = selectors.queue_counts(actor)
    url = reverse("cases:queue")
    waiting = max(0, counts["total"] - counts["overdue"] - counts["due_today"])
    return [
        {"label": _("Cases overdue"), "count": counts["overdue"], "url": f"{url}#overdue", "css": "status-overdue"},
        {"label": _("Cases due today"), "count": counts["due_today"], "url": f"{url}#due_today", "css": "status-waiting"},
        {"label": _("Cases waiting for me"), "count": waiting, "url": f"{url}#waiting", "css": "status-new"},
    ]


# --------------------------------------------------------------------------------------------
# The case page
# --------------------------------------------------------------------------------------------

def _choice_label(choices, value) -> str:
    if not value:
        return ""
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def member_rows(case: Case, on: dt.date) -> list[dict]:
    """The household as it stood at application (the snapshot the decision rests on), ID numbers
    masked (DESIGN.md §5)."""
    rows = []
    for m in case.snapshot.get("members", []):
        birth = dt.date.fromisoformat(m["birth_date"])
        rows.append({
            "name": m.get("name", ""), "id_masked": mask_id_number(m.get("id_number", "")),
            "relation": _choice_label(RelationToHead, m.get("relation_to_head")),
            "birth_date": birth, "age": age_on(birth, on),
            "disability": (f"{_choice_label(DisabilityType, m.get('disability_type'))} · {m.get('disability_grade')}"
                           if m.get("disability_type") else ""),
            "serious_illness": bool(m.get("serious_illness")),
            "work_ability": _choice_label(WorkAbility, m.get("work_ability")),
            "is_deceased": bool(m.get("is_deceased")),
            "is_applicant": m.get("person_id") == case.applicant_id,
            "is_covered": m.get("person_id") == case.covered_person_id,
        })
    return rows


def income_rows(case: Case) -> list[dict]:
    names = {m["person_id"]: m.get("name", "") for m in case.snapshot.get("members", [])}
    return [{"member": names.get(i.get("person_id"), ""), "category": _choice_label(IncomeCategory, i.get("category")),
             "amount": yuan(i.get("monthly_amount")), "excluded": not income_counts(i.get("category", ""))}
            for i in case.snapshot.get("income", [])]


def timeline_rows(events) -> list[dict]:
    return [{
        "at": timezone.localtime(e.at), "action": action_label(e.action),
        "from": status_label(e.from_status) if e.from_status else "", "to": status_label(e.to_status),
        "to_css": status_css(e.to_status), "who": e.actor_username, "post": role_label(e.actor_role) if e.actor_role else "",
        "area": e.actor_area_code, "note": e.note,
        "amount": yuan((e.data or {}).get("amount")) if (e.data or {}).get("amount") else "",
    } for e in events]


def deadline_rows(deadlines, today: dt.date) -> list[dict]:
    rows = []
    for d in deadlines:
        state = d.state(today)
        if d.step == "notice" and d.done_on and d.due and state == "late":
            # The notice's "due" is its last day; it is closed on the working day after, by design.
            state = "done" if d.done_on <= add_working_days(d.due, 1) else "late"
        rows.append({"step": d.step, "label": d.label, "due": d.due, "done_on": d.done_on, "state": state,
                     "state_label": str(URGENCY_LABELS.get(state, state)), "css": URGENCY_CSS.get(state, "")})
    return rows


def outcome_view(outcome: dict | None) -> dict | None:
    """A stored rule outcome (Outcome.as_dict) as the page reads it aloud: each line what, figure,
    rule and POLICY.md section."""
    if not outcome:
        return None
    breakdown, reasons = texts_in(outcome)
    return {
        "eligible": bool(outcome.get("eligible")),
        "amount": yuan(outcome.get("monthly_amount")),
        "reasons": [str(r) for r in reasons],
        "lines": [{"item": line.get("item", ""), "amount": yuan(line.get("amount")) if line.get("amount") is not None else "",
                   "rule": line.get("rule", ""), "section": line.get("section", "")}
                  for line in breakdown],
    }


def preview_outcome(case: Case) -> tuple[dict | None, str]:
    """What the rule says today on the case's facts (shown beside the town-opinion form, so the
    worker sees the amount and its reasons before signing). Read-only."""
    try:
        outcome, _params, _report = services.assess_case(case, clocks.today(), services.read_assessment([case]))
    except SafetyNetError as exc:
        return None, exc.message

    return outcome_view(standards.jsonable(outcome.as_dict())), ""


def default_town_opinion(case: Case) -> str:
    """The town opinion the form offers, written from what the rule says today on the case's
    facts (the same assessment the opinion step records), so a worker who agrees signs with one
    submit and one who does not edits it. Empty when the rule cannot run yet."""
    preview, _error = preview_outcome(case)
    if preview is None:
        return ""
    if preview["eligible"]:
        return _("Reviewed: the household meets the conditions of %(program)s; proposed %(amount)s a month.") % {
            "program": program_label(case.program_id), "amount": preview["amount"]}
    return _("Reviewed: the household does not meet the conditions of %(program)s: %(reasons)s.") % {
        "program": program_label(case.program_id), "reasons": "; ".join(preview["reasons"])}


def decision_rows(decisions) -> list[dict]:
    return [{
        "decision": d, "approved": d.outcome == DecisionOutcome.APPROVED, "outcome": _choice_label(DecisionOutcome, d.outcome),
        "amount": yuan(d.monthly_amount), "start_month": d.start_month.strftime("%Y-%m") if d.start_month else "",
        "css": "status-approved" if d.outcome == DecisionOutcome.APPROVED else "status-refused",
        "breakdown": outcome_view(d.assessment) if d.assessment else None,
    } for d in decisions]


def survey_rows(surveys) -> list[dict]:
    return [{"survey": s, "investigators": [i.name for i in s.investigators.all()], "kind": s.get_kind_display()}
            for s in surveys]


def supporter_rows(actor: Actor, case: Case) -> list[dict]:
    """A special-hardship case's supporters as recorded, each with what the rule makes of him
    today (able to support, or unable and why: programs.rules.supporter_inability), ID numbers
    masked."""
    rows = supporters.supporters_of(actor, case.pk)
    today = clocks.today()
    try:
        params = standards.special_hardship_parameters(case.area_id, today,
                                                       bool(case.snapshot.get("household", {}).get("is_urban")))
    except SafetyNetError:
        params = None
    out = []
    for row, facts in zip(rows, supporters.supporter_facts(rows)):
        why = supporter_inability(facts, today, params) if params is not None else None
        out.append({"supporter": row, "id_masked": mask_id_number(row.id_number) if row.id_number else "",
                    "relation": row.get_relation_display(), "reason": row.get_inability_display(),
                    "age": age_on(row.birth_date, today) if row.birth_date else None,
                    "judged": params is not None, "able": why is None, "why": str(why) if why is not None else ""})
    return out


def proposed_supporter_rows(actor: Actor, case: Case) -> list[dict]:
    """The registry's proposed supporters (cases/kin.py) as the supporters card shows them: name,
    relation, masked ID number, age, what the registry knows of his household and the rule's
    verdict; `recorded` when already on the list."""
    today = clocks.today()
    return [{"name": k.name, "relation": SupporterRelation(k.relation).label, "id_masked": mask_id_number(k.id_number),
             "age": age_on(k.birth_date, today), "notes": [str(n) for n in k.notes], "able": k.why is None,
             "why": str(k.why) if k.why is not None else "", "recorded": k.recorded}
            for k in supporters.proposed_supporters(actor, case.pk)]

_LEVEL_DIGITS = {"village": 12, "town": 9, "county": 6}


def next_step_rows(case: Case, allowed: list[str]) -> list[dict]:
    """Each step that moves the case on, with the posts that take it and where (from the
    transition table: workflow.acting_roles), and whether this post may take it now."""
    steps = [(action, acting_roles(case, action)) for action in next_steps(case)]
    codes = {case.area_id[:_LEVEL_DIGITS[level]] for _a, roles in steps for _r, level in roles}
    names = dict(Area.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}
    rows = []
    for action, roles in steps:
        posts = [_("%(post)s (%(area)s)") % {"post": role_label(role),
                                             "area": names.get(case.area_id[:_LEVEL_DIGITS[level]], "")}
                 for role, level in roles]
        note = ""
        if action == "confirm" and four_eyes_required(case):
            note = _("not the person who signed the verification report or gave the town opinion")
        rows.append({"action": action, "label": action_label(action), "posts": _(" or ").join(posts),
                     "note": note, "yours": action in allowed})
    return rows


def case_page(actor: Actor, case_id) -> dict:
    """Everything the case page shows, from `selectors.case_file` (scoped: NotFound outside)."""
    file = selectors.case_file(actor, case_id)
    case = file.case
    today = file.today
    decisions = decision_rows(file.decisions)
    return {
        "file": file, "case": case, "today": today,
        "program_label": program_label(case.program_id), "kind_label": kind_label(case),
        "status_label": status_label(case.status), "status_css": status_css(case.status),
        "next_action_label": action_label(case.next_action) if case.next_action else "",
        "next_steps": next_step_rows(case, file.allowed_actions) if case.is_open else [],
        "next_due_state": ("overdue" if case.next_due and case.next_due < today else
                           "due_today" if case.next_due == today else "upcoming"),
        "members": member_rows(case, today),
        "income": income_rows(case),
        "address": case.snapshot.get("household", {}).get("address", ""),
        "timeline": timeline_rows(file.events),
        "deadlines": deadline_rows(file.deadlines, today),
        "outcome": outcome_view(case.outcome),
        "decisions": decisions,
        "surveys": survey_rows(file.surveys),
        "requested_amount": yuan(case.requested_amount),
        "proposed_amount": yuan(case.proposed_amount),
        "has_letter": bool(file.decisions),
        "enrollments": [{"enrollment": e, "amount": yuan(e.monthly_amount)} for e in file.enrollments],
        "reports": [{"report": r, "income": yuan(r.total_monthly_income), "assets": yuan(r.total_financial_assets),
                     "note": (r.findings or {}).get("note", "")} for r in file.verification_reports],
        "notices": [{"notice": n, "amount": yuan(n.monthly_amount)} for n in file.notices],
        "cards": case_cards(actor, case),
    }


# --------------------------------------------------------------------------------------------
# Starting a case from the household (issue 15: nothing typed the registry already knows)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ApplyOption:
    program: str
    label: str
    url: str
    covered_person_id: int | None = None   # special hardship: the member it would cover


def special_hardship_candidates(household, members, on_date: dt.date) -> list[int]:
    """Living members without the ability to work (SH-2021 art. 5: by age or disability), as the
    rule judges it (`rules.lacks_work_ability`, ages from the area's parameters)."""
    try:
        params = standards.special_hardship_parameters(household.area_id, on_date, False)
    except SafetyNetError:
        return []
    found = []
    for m in members:
        if m.is_deceased:
            continue
        facts = MemberFacts(birth_date=m.birth_date, disability_type=m.disability_type or "",
                            disability_grade=m.disability_grade)
        if lacks_work_ability(facts, age_on(m.birth_date, on_date), params) is not None:
            found.append(m.pk)
    return found


def apply_options(actor: Actor, household, members, on_date: dt.date) -> list[ApplyOption]:
    """The programs this household could apply for now, each a link to the application form
    pre-filled with it: none the household already has an open case for, special hardship only
    when a member lacks the ability to work (that member pre-chosen), temporary aid always."""
    if not actor.can("cases.apply"):
        return []
    open_programs = set(selectors.open_cases_of_household(actor, household.pk).values_list("program_id", flat=True))
    base = reverse("cases:new")
    options = []
    for code in APPLIED_HERE:
        if code in open_programs:
            continue
        covered = None
        if code == "special_hardship":
            candidates = special_hardship_candidates(household, members, on_date)
            if not candidates:
                continue
            covered = candidates[0]
        options.append(ApplyOption(code, str(PROGRAM_SHORT[code]), f"{base}?household={household.pk}&program={code}", covered))
    return options
