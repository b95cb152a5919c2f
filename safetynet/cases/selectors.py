"""Every read of cases, through the actor's scope (DESIGN.md §5, §8 rule 5).

- `cases_in_scope`, `get_case`: the base reads (a case outside the area is NotFound).
- `case_file`: everything the case page shows, in a fixed number of queries.
- `queue_for`: "what needs me now" (UI.md Queue first): open cases in scope whose next step this
  post may take, overdue first, then due today, then by due date, with the counts.
- `overdue_by_town`: the county's view of open and overdue cases per town (one grouped query).
- `letters_due`: refusals whose letter has not been handed over yet.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.db.models.functions import Substr
from django.utils.translation import gettext

from safetynet.areas.models import Area
from safetynet.core.errors import NotFound
from safetynet.core.pagination import numbered_page
from safetynet.core.scoping import Actor, get_in_scope, in_scope
from safetynet.publicity.models import Notice, Objection

from . import clocks
from .models import Case, CaseEvent, Decision, Survey, SurveyInvestigator
from .workflow import ACTION_PERMISSION, COUNTY, TOWN, TRANSITIONS, allowed_actions, level_of

VIEW = "cases.view"


def cases_in_scope(actor: Actor) -> QuerySet[Case]:
    actor.require(VIEW)
    return in_scope(Case.objects.all(), actor)


def get_case(actor: Actor, case_id) -> Case:
    actor.require(VIEW)
    try:
        case_id = int(case_id)
    except (TypeError, ValueError):
        raise NotFound(gettext("Not found."))
    return get_in_scope(Case.objects.select_related("program", "household", "applicant", "covered_person", "area"),
                        actor, pk=case_id)


def case_events(actor: Actor, case: Case) -> QuerySet[CaseEvent]:
    actor.require(VIEW)
    actor.require_area(case.area_id)
    return CaseEvent.objects.filter(case_id=case.pk).order_by("id")


@dataclass
class CaseFile:
    case: Case
    events: list
    surveys: list
    verification_reports: list
    deliberations: list
    decisions: list
    notices: list
    objections: list
    attachments: list
    enrollments: list
    deadlines: list
    allowed_actions: list[str]
    today: dt.date


def case_file(actor: Actor, case_id) -> CaseFile:
    """The case with its timeline, surveys (with investigators), reports, meetings, decisions,
    notices, objections, documents, enrollments, deadlines and the actions this post may take."""
    case = get_case(actor, case_id)
    decisions = list(Decision.objects.filter(case_id=case.pk).order_by("id"))
    surveys = list(Survey.objects.filter(case_id=case.pk).order_by("id")
                   .prefetch_related(Prefetch("investigators", queryset=SurveyInvestigator.objects.order_by("id"))))
    today = clocks.today()
    return CaseFile(
        case=case,
        events=list(CaseEvent.objects.filter(case_id=case.pk).order_by("id")),
        surveys=surveys,
        verification_reports=list(case.verification_reports.order_by("id")),
        deliberations=list(case.deliberations.order_by("id")),
        decisions=decisions,
        notices=list(Notice.objects.filter(case_id=case.pk).order_by("id")),
        objections=list(Objection.objects.filter(case_id=case.pk).order_by("id")),
        attachments=list(case.attachments.order_by("id")),
        enrollments=list(case.enrollments.order_by("id")),
        deadlines=clocks.case_deadlines(case, decisions=decisions),
        allowed_actions=allowed_actions(case, actor),
        today=today,
    )


# --------------------------------------------------------------------------------------------
# Queues
# --------------------------------------------------------------------------------------------

# Next actions decided by a level stored on the case rather than by the post's level alone.
_DECIDER_ACTIONS = ("confirm", "refuse")
_APPROVER_ACTIONS = ("approve_temporary_aid", "refuse_temporary_aid")


def _levels_by_action() -> dict[str, set]:
    levels: dict[str, set] = {}
    for (_source, action), row in TRANSITIONS.items():
        levels.setdefault(action, set()).update(row.levels)
    return levels


_ACTION_LEVELS = _levels_by_action()


def queue_filter(actor: Actor) -> Q | None:
    """Which open cases wait for this post: the next action's permission is the post's, and the
    level that acts is the post's (for decisions, the level the case named: the county, or the
    town where confirmation is delegated; for temporary aid, the level its amount needs)."""
    level = level_of(actor.area_code)
    simple = [action for action, levels in _ACTION_LEVELS.items()
              if action not in _DECIDER_ACTIONS + _APPROVER_ACTIONS and level in levels and actor.can(ACTION_PERMISSION[action])]
    conditions = Q(next_action__in=simple) if simple else Q(pk__in=[])
    if actor.can("cases.confirm") and level in (TOWN, COUNTY):
        conditions |= Q(next_action__in=_DECIDER_ACTIONS, decider_level=level)
    if actor.can("cases.temporary_approve"):
        approvers = {TOWN: ["town"], COUNTY: ["county"]}.get(level, [])
        if actor.role in ("county_leader", "superuser"):
            approvers = ["county_leader"] + (["county", "town"] if actor.role == "superuser" else [])
        if approvers:
            conditions |= Q(next_action__in=_APPROVER_ACTIONS, approving_level__in=approvers)
    if level == COUNTY and actor.can("cases.survey"):
        # The county's own home visit can be done at any point after acceptance.
        conditions |= Q(county_visit_required=True, county_visited_on__isnull=True)
    return conditions


@dataclass
class QueueRow:
    id: int
    program: str
    path: str
    status: str
    next_action: str
    next_due: dt.date | None
    case_due: dt.date | None
    applicant_name: str
    area_code: str
    area_name: str
    is_close_relative: bool
    urgency: str            # overdue | due_today | upcoming | none
    version: int = 0        # what a batch step sends back, so a case moved since is refused


@dataclass
class Queue:
    rows: list[QueueRow]
    total: int
    overdue: int
    due_today: int
    page: int
    pages: int
    page_size: int
    today: dt.date
    counts_by_action: dict = field(default_factory=dict)


def _urgency(due: dt.date | None, today: dt.date) -> str:
    if due is None:
        return "none"
    if due < today:
        return "overdue"
    if due == today:
        return "due_today"
    return "upcoming"


def _queue_cases(actor: Actor, program: str | None) -> QuerySet[Case]:
    qs = in_scope(Case.objects.filter(is_open=True), actor).filter(queue_filter(actor))
    return qs.filter(program_id=program) if program else qs


def _queue_counts(qs: QuerySet[Case], today: dt.date) -> dict[str, int]:
    return qs.aggregate(total=Count("id"), overdue=Count("id", filter=Q(next_due__lt=today)),
                        due_today=Count("id", filter=Q(next_due=today)))


def queue_counts(actor: Actor, *, program: str | None = None) -> dict[str, int]:
    """How many cases wait for the post: total, overdue, due today (one query; the home page
    needs no rows)."""
    actor.require(VIEW)
    return _queue_counts(_queue_cases(actor, program), clocks.today())


def queue_for(actor: Actor, *, page: int = 1, page_size: int = 25, program: str | None = None,
              step: str | None = None) -> Queue:
    """The post's queue, most urgent first (overdue, due today, then by due date; cases with no
    step deadline last), one page of it, with the counts. `step` keeps the cases whose next step
    it is (a village's notices to close, to take them at once: cases.batch); the counts per step
    are of the queue without it, so the page can offer every step. Three queries: counts per
    step, counts, the page."""
    actor.require(VIEW)
    today = clocks.today()
    qs = _queue_cases(actor, program)
    by_action = dict(qs.order_by().values_list("next_action").annotate(n=Count("id")))
    if step:
        qs = qs.filter(next_action=step)
    counts = _queue_counts(qs, today)
    page_size = max(1, min(int(page_size), 200))
    rows = numbered_page(qs.order_by(F("next_due").asc(nulls_last=True), "id")
                         .values("id", "program_id", "path", "status", "next_action", "next_due", "case_due",
                                 "applicant__name", "area_id", "area__name", "is_close_relative", "version"),
                         page, page_size, total=counts["total"])
    return Queue(
        rows=[QueueRow(id=r["id"], program=r["program_id"], path=r["path"], status=r["status"], next_action=r["next_action"],
                       next_due=r["next_due"], case_due=r["case_due"], applicant_name=r["applicant__name"],
                       area_code=r["area_id"], area_name=r["area__name"], is_close_relative=r["is_close_relative"],
                       urgency=_urgency(r["next_due"], today), version=r["version"]) for r in rows],
        total=counts["total"], overdue=counts["overdue"], due_today=counts["due_today"], page=rows.number, pages=rows.pages,
        page_size=page_size, today=today, counts_by_action=by_action)


@dataclass
class TownCount:
    town_code: str
    town_name: str
    open: int
    overdue: int
    due_today: int


def overdue_by_town(actor: Actor) -> list[TownCount]:
    """Open, overdue and due-today cases per town under the actor's area, for the county view
    (one grouped query, plus the towns' names)."""
    actor.require(VIEW)
    today = clocks.today()
    rows = list(in_scope(Case.objects.filter(is_open=True), actor).annotate(town=Substr("area_id", 1, 9))
                .values("town").annotate(open=Count("id"), overdue=Count("id", filter=Q(next_due__lt=today)),
                                         due_today=Count("id", filter=Q(next_due=today))).order_by("town"))
    names = dict(Area.objects.filter(code__in=[r["town"] for r in rows]).values_list("code", "name"))
    return [TownCount(r["town"], names.get(r["town"], r["town"]), r["open"], r["overdue"], r["due_today"]) for r in rows]


def letters_due(actor: Actor) -> QuerySet[Decision]:
    """Refusal letters not yet handed over, earliest due first (MLG-2021 art. 21: 3 working days)."""
    actor.require(VIEW)
    return (in_scope(Decision.objects.filter(outcome="refused", letter_issued_at__isnull=True), actor, "case__area")
            .select_related("case").order_by("letter_due", "id"))


def open_cases_of_household(actor: Actor, household_id: int) -> QuerySet[Case]:
    return cases_in_scope(actor).filter(household_id=household_id, is_open=True)
