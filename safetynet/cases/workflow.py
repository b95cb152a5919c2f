"""The case workflow as one table (DESIGN.md §3, §8 rule 4; POLICY.md §1–3).

`TRANSITIONS` maps (from status, action) to the target status, the permission the actor's role
needs, the guards that must hold, the paths the row applies to and the levels of post that
normally act (for the queues). `transition()` is the only code that changes `Case.status`:

1. the case's area must lie under the actor's area (otherwise NotFound, as if it did not exist);
2. the actor's role must hold the row's permission (PermissionDenied, 403);
3. the row must exist for the case's status and path (TransitionNotAllowed, 409);
4. every guard must pass (StepMissing, ConflictOfInterest, PermissionDenied, ValidationError);
5. one `UPDATE ... WHERE id = ? AND version = ?` moves the case, with the caller's field
   changes and the recomputed clocks; no row updated means someone else moved it first
   (the whole unit of work is refused, Conflict 409);
6. a CaseEvent (the timeline) and an audit event are written.

Written through the step's unit of work (core/unitofwork.py), passed as the first argument:
one transaction, so a failure anywhere leaves the case as it was.

Paths: "dibao", "special_hardship", and temporary assistance as "temporary:emergency" (the town
pays first, the paperwork follows), "temporary:quick" (decided within 3 working days, no means
check or notice) and "temporary:ordinary" (survey, verification, town opinion, then the level
the amount calls for approves); "medical", a manual medical reimbursement (POLICY.md §4: a bill
not settled at a designated institution's cashier): accepted, the town's opinion on the bill,
then the county settles it or refuses. The medical steps' services are medical's (they need its
formula, which cases may not import): medical registers them in cases/steps.py's table
(`steps.register`), while their rows, with the permission and the guards, are here like any other.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from safetynet.areas.roles import ROLE_LEVELS, ROLE_PERMISSIONS
from safetynet.core.statements import Prepared, rows_by_key
from safetynet.core.errors import PermissionDenied, SafetyNetError
from safetynet.core.scoping import Actor
from safetynet.programs.selectors import parameters_for

from . import clocks, statements
from .closerelatives import conflicts_of_interest
from .errors import ConflictOfInterest, StepMissing, TransitionNotAllowed
from .models import CLOSED_STATUSES, Case, CaseEvent, Status

DIBAO = "dibao"
SPECIAL_HARDSHIP = "special_hardship"
EMERGENCY = "temporary:emergency"
QUICK = "temporary:quick"
ORDINARY = "temporary:ordinary"
MEANS = frozenset({DIBAO, SPECIAL_HARDSHIP})
MEDICAL = "medical"
MEANS_AND_ORDINARY = MEANS | {ORDINARY}
ALL_PATHS = MEANS_AND_ORDINARY | {EMERGENCY, QUICK, MEDICAL}
# The paths whose application is accepted at the town, may wait for missing materials and may be
# returned to the town for supplement.
ACCEPTED_PATHS = MEANS_AND_ORDINARY | {MEDICAL}

VILLAGE, TOWN, COUNTY = "village", "town", "county"


def path_of(program_code: str, kind: str) -> str:
    return f"temporary:{kind}" if program_code == "temporary" else program_code


def level_of(area_code: str) -> str:
    """The level a post acts at: county (or above), town, or village (and below)."""
    if len(area_code) <= 6:
        return COUNTY
    if len(area_code) <= 9:
        return TOWN
    return VILLAGE


@dataclass(frozen=True)
class Transition:
    source: str
    action: str
    target: str
    permission: str
    guards: tuple[str, ...] = ()
    paths: frozenset = ALL_PATHS
    levels: frozenset = frozenset({TOWN})


S = Status
_T = Transition
_OPEN_BEFORE_DECISION = (S.APPLIED, S.ACCEPTED, S.RETURNED_FOR_SUPPLEMENT, S.SURVEYED, S.VERIFIED, S.DELIBERATED,
                         S.TOWN_REVIEWED, S.IN_NOTICE, S.CONTESTED, S.OBJECTION_RESOLVED, S.NOTICE_CLOSED, S.REOPENED)
_AFTER_ACCEPTANCE = (S.ACCEPTED, S.RETURNED_FOR_SUPPLEMENT, S.SURVEYED, S.VERIFIED, S.DELIBERATED, S.TOWN_REVIEWED,
                     S.IN_NOTICE, S.CONTESTED, S.OBJECTION_RESOLVED, S.NOTICE_CLOSED, S.REOPENED)
_RETURNABLE = (S.SURVEYED, S.VERIFIED, S.DELIBERATED, S.TOWN_REVIEWED, S.OBJECTION_RESOLVED, S.NOTICE_CLOSED)
_DECIDE = ("decider_level", "no_conflict_of_interest")
_VT = frozenset({VILLAGE, TOWN})
_C = frozenset({COUNTY})
_TC = frozenset({TOWN, COUNTY})

_ROWS: list[Transition] = [
    # --- dibao, special hardship and ordinary temporary assistance (POLICY.md §1 steps 1–7) ---
    _T(S.APPLIED, "accept", S.ACCEPTED, "cases.accept", (), ACCEPTED_PATHS),
    _T(S.ACCEPTED, "request_materials", S.RETURNED_FOR_SUPPLEMENT, "cases.accept", ("materials_not_pending",), ACCEPTED_PATHS),
    _T(S.RETURNED_FOR_SUPPLEMENT, "resume", S.ACCEPTED, "cases.accept", (), ACCEPTED_PATHS),
    _T(S.ACCEPTED, "record_survey", S.SURVEYED, "cases.survey", (), MEANS_AND_ORDINARY),
    _T(S.REOPENED, "record_survey", S.SURVEYED, "cases.survey", (), MEANS_AND_ORDINARY),
    _T(S.SURVEYED, "verify", S.VERIFIED, "cases.verify_manual", (), MEANS_AND_ORDINARY, _C),
    _T(S.VERIFIED, "hold_deliberation", S.DELIBERATED, "cases.deliberate", (), MEANS, _VT),
    _T(S.VERIFIED, "give_town_opinion", S.TOWN_REVIEWED, "cases.town_opinion", ("deliberation_held_if_required",), MEANS_AND_ORDINARY),
    _T(S.DELIBERATED, "give_town_opinion", S.TOWN_REVIEWED, "cases.town_opinion", (), MEANS),
    _T(S.OBJECTION_RESOLVED, "give_town_opinion", S.TOWN_REVIEWED, "cases.town_opinion", ("objection_answered",), MEANS),
    _T(S.TOWN_REVIEWED, "publish_notice", S.IN_NOTICE, "cases.notice", ("proposed_eligible",), MEANS),
    # An objection keeps the notice on the board, marked; the town re-surveys or deliberates, answers
    # the objection, gives a new opinion and posts the notice again (MLG-2021 art. 19).
    _T(S.IN_NOTICE, "record_objection", S.CONTESTED, "cases.notice", (), MEANS, _VT),
    _T(S.CONTESTED, "record_objection", S.CONTESTED, "cases.notice", (), MEANS, _VT),
    _T(S.OBJECTION_RESOLVED, "record_objection", S.CONTESTED, "cases.notice", ("objection_unanswered",), MEANS, _VT),
    _T(S.CONTESTED, "record_survey", S.OBJECTION_RESOLVED, "cases.survey", (), MEANS),
    _T(S.CONTESTED, "hold_deliberation", S.OBJECTION_RESOLVED, "cases.deliberate", (), MEANS, _VT),
    _T(S.OBJECTION_RESOLVED, "answer_objection", S.OBJECTION_RESOLVED, "cases.town_opinion", ("objection_unanswered",), MEANS),
    _T(S.IN_NOTICE, "close_notice", S.NOTICE_CLOSED, "cases.notice", ("notice_period_over",), MEANS, _VT),
    _T(S.NOTICE_CLOSED, "confirm", S.CONFIRMED, "cases.confirm", _DECIDE + ("four_eyes", "county_visit_done", "proposed_eligible"),
       MEANS, _TC),
    _T(S.NOTICE_CLOSED, "refuse", S.REFUSED, "cases.confirm", _DECIDE, MEANS, _TC),
    _T(S.TOWN_REVIEWED, "refuse", S.REFUSED, "cases.confirm", _DECIDE, MEANS, _TC),
    _T(S.TOWN_REVIEWED, "approve_temporary_aid", S.CONFIRMED, "cases.temporary_approve",
       ("approving_level", "no_conflict_of_interest", "proposed_eligible"), frozenset({ORDINARY}), _TC),
    _T(S.TOWN_REVIEWED, "refuse_temporary_aid", S.REFUSED, "cases.temporary_approve",
       ("approving_level", "no_conflict_of_interest"), frozenset({ORDINARY}), _TC),
    # --- temporary assistance: emergency (paid first) and small-amount quick aid (POLICY.md §3) ---
    _T(S.APPLIED, "pay_first", S.PAID_FIRST, "cases.temporary_town", (), frozenset({EMERGENCY})),
    _T(S.PAID_FIRST, "record_survey", S.PAID_FIRST, "cases.survey", (), frozenset({EMERGENCY})),
    _T(S.PAID_FIRST, "complete_paperwork", S.CONFIRMED, "cases.temporary_town", ("visit_recorded",), frozenset({EMERGENCY})),
    # Emergency aid over the town's limit goes on by the ordinary procedure, keeping the application.
    _T(S.APPLIED, "switch_to_ordinary", S.APPLIED, "cases.temporary_town", (), frozenset({EMERGENCY})),
    _T(S.APPLIED, "approve_quick_aid", S.CONFIRMED, "cases.temporary_town", (), frozenset({QUICK})),
    _T(S.APPLIED, "refuse_quick_aid", S.REFUSED, "cases.temporary_town", (), frozenset({QUICK})),
    # --- manual medical reimbursement (POLICY.md §4; MA-2021): the town gives its opinion on the
    # bill and its receipts, the county settles it (the same formula and annual cap as the cashier)
    # or refuses; services in medical/reimbursement.py (registered), the refusal cases' own ---
    _T(S.ACCEPTED, "review_reimbursement", S.TOWN_REVIEWED, "cases.town_opinion", (), frozenset({MEDICAL})),
    _T(S.TOWN_REVIEWED, "approve_reimbursement", S.CONFIRMED, "medical.reimburse", ("no_conflict_of_interest",),
       frozenset({MEDICAL}), _C),
    _T(S.TOWN_REVIEWED, "refuse_reimbursement", S.REFUSED, "medical.reimburse", ("no_conflict_of_interest",),
       frozenset({MEDICAL}), _C),
    # --- re-opening after a complaint ---
    _T(S.CONFIRMED, "reopen", S.REOPENED, "cases.reopen", (), MEANS_AND_ORDINARY, _C),
    _T(S.REFUSED, "reopen", S.REOPENED, "cases.reopen", (), MEANS_AND_ORDINARY, _C),
]
# Steps possible at many points, generated so the table stays one table.
_ROWS += [_T(s, "withdraw", S.WITHDRAWN, "cases.withdraw", (), ALL_PATHS) for s in _OPEN_BEFORE_DECISION]
_ROWS += [_T(s, "extend", s, "cases.extend", ("not_extended",), MEANS_AND_ORDINARY, _TC) for s in _AFTER_ACCEPTANCE]
_ROWS += [_T(s, "record_county_visit", s, "cases.survey", ("actor_is_county",), MEANS, _C) for s in _AFTER_ACCEPTANCE]
_ROWS += [_T(s, "return_for_supplement", S.RETURNED_FOR_SUPPLEMENT, "cases.return", (), ACCEPTED_PATHS, _TC)
          for s in _RETURNABLE]

TRANSITIONS: dict[tuple[str, str], Transition] = {}
for _row in _ROWS:
    assert (_row.source, _row.action) not in TRANSITIONS, _row
    TRANSITIONS[(_row.source, _row.action)] = _row
ACTIONS = frozenset(t.action for t in _ROWS)
ACTION_PERMISSION = {t.action: t.permission for t in reversed(_ROWS)}
# Actions that do not move the case along (the queue's "next action" is never one of these).
SIDE_ACTIONS = frozenset({"withdraw", "extend", "record_county_visit", "return_for_supplement", "request_materials",
                          "record_objection", "reopen", "switch_to_ordinary"})


def transitions_from(status: str, path: str) -> list[Transition]:
    return [t for (s, _a), t in TRANSITIONS.items() if s == status and path in t.paths]


def acting_roles(case: Case, action: str) -> list[tuple[str, str]]:
    """(role, level) of the posts that take `action` on the case now, read from its row of the
    table: the roles holding the row's permission at the levels it names; for a decision the
    level the case named (the county, or the town where confirmation is delegated), for temporary
    aid the level its amount needs, for the county's own visit the county. The queues select by
    the same terms (cases.selectors.queue_filter); a test checks that they agree for every step."""
    row = TRANSITIONS.get((case.status, action))
    if row is None or case.path not in row.paths:
        return []
    levels, roles = set(row.levels), None
    if "decider_level" in row.guards:
        levels = {case.decider_level or COUNTY}
    if "approving_level" in row.guards:
        # The county leader decides the case-by-case amounts; the rest is the town's or the county's.
        required = case.approving_level or COUNTY
        leader = {"county_leader"}
        levels, roles = ({COUNTY}, leader) if required == "county_leader" else ({required}, set(ROLE_LEVELS) - leader)
    if "actor_is_county" in row.guards:
        levels = {COUNTY}
    return [(str(role), level) for role, level in ROLE_LEVELS.items()
            if level in levels and row.permission in ROLE_PERMISSIONS[role] and (roles is None or role in roles)]


# Guards that read only the case (not who acts): a step they refuse is not a next step.
CASE_GUARDS = frozenset({"materials_not_pending", "deliberation_held_if_required", "proposed_eligible",
                         "notice_period_over", "county_visit_done", "not_extended", "visit_recorded",
                         "objection_unanswered", "objection_answered"})


def next_steps(case: Case) -> list[str]:
    """The steps that move the case on from here: the one it waits for first (`next_action`,
    which the queues sort by), then the other forward steps its state allows to the same posts
    (a re-survey instead of a deliberation after an objection; a refusal instead of a
    confirmation)."""
    if not case.next_action:
        return []
    steps, posts = [case.next_action], set(acting_roles(case, case.next_action))
    for row in transitions_from(case.status, case.path):
        if row.action in steps or row.action in SIDE_ACTIONS or not posts & set(acting_roles(case, row.action)):
            continue
        try:
            for name in row.guards:
                if name in CASE_GUARDS:
                    GUARDS[name](case, None, {})
        except SafetyNetError:
            continue
        steps.append(row.action)
    return steps


# --------------------------------------------------------------------------------------------
# Guards: each raises with a message a town worker understands, or returns None.
# --------------------------------------------------------------------------------------------

def _materials_not_pending(case: Case, actor: Actor, ctx: dict) -> None:
    """Missing materials are asked for once (MLG-2021 art. 10): a second list waits until the
    first is resolved."""
    if case.materials_requested_at and not case.materials_resolved_at:
        raise TransitionNotAllowed(_("Missing materials were already requested; record them as supplied first."),
                                   field="missing_materials")


def _deliberation_held_if_required(case: Case, actor: Actor, ctx: dict) -> None:
    if case.deliberation_required and not case.deliberated_on:
        raise StepMissing(_("A deliberation meeting is required before the town opinion."))


def _proposed_eligible(case: Case, actor: Actor, ctx: dict) -> None:
    if not case.proposed_eligible:
        raise TransitionNotAllowed(_("The town's assessment finds the household not eligible; it can only be refused."))


def _notice_period_over(case: Case, actor: Actor, ctx: dict) -> None:
    """The notice runs its full days (POLICY.md §1 step 5): it closes the day after its last day."""
    if case.notice_ends_on is None or clocks.today() <= case.notice_ends_on:
        raise TransitionNotAllowed(_("The public notice runs until %(date)s; it can be closed after that.")
                                   % {"date": case.notice_ends_on.isoformat() if case.notice_ends_on else "-"})


def _decider_level(case: Case, actor: Actor, ctx: dict) -> None:
    """The county decides; a town only where the county delegated confirmation (MLG-2021 art. 2)."""
    level = level_of(actor.area_code)
    if level == COUNTY:
        return
    if level == TOWN and case.decider_level == TOWN:
        return
    raise PermissionDenied(_("Only the county may decide this case (confirmation is not delegated to towns here)."),
                           code="decider_level")


def _no_conflict_of_interest(case: Case, actor: Actor, ctx: dict) -> None:
    if not case.is_close_relative:
        return
    barred = conflicts_of_interest(case.close_relative_matches, user_id=actor.user_id, area_code=actor.area_code)
    if barred:
        raise ConflictOfInterest(
            _("This is a close-relative filing of %(staff)s: neither they nor anyone in their town may decide it.")
            % {"staff": barred[0]["staff_name"]})


# The steps whose author may not also confirm the case (the "four eyes" rule), and the step that
# starts a case's review afresh.
REVIEW_ACTIONS = ("verify", "give_town_opinion")
_REVIEW_EVENTS = Prepared(lambda ids: CaseEvent.objects.filter(
    case_id__in=ids, action__in=REVIEW_ACTIONS + ("reopen",)).order_by("case_id", "id").values_list("case_id", "action", "actor_username"))


def reviewers_of(case_ids) -> dict[int, dict[str, str]]:
    """{case id: {action: username}} of who signed each case's verification report and gave its
    town opinion, since it was last reopened (the latest of each), read for all the cases at once."""
    result = {}
    for case_id, rows in rows_by_key(_REVIEW_EVENTS, case_ids).items():
        found: dict[str, str] = {}
        for action, username in rows:
            if action == "reopen":
                found = {}
            else:
                found[action] = username
        result[case_id] = found
    return result


def four_eyes_required(case: Case) -> bool:
    """The county's `four_eyes_confirmation` parameter (programs/catalogue.py) in force today."""
    return bool(parameters_for("dibao", case.area_id, clocks.today()).get("four_eyes_confirmation", True))


def _four_eyes(case: Case, actor: Actor, ctx: dict) -> None:
    """Whoever signed the case's verification report or gave its town opinion does not also
    confirm it, where the county keeps this rule (on by default)."""
    if not actor.username or not four_eyes_required(case):
        return
    # A confirmation step reads them for all its cases (ctx "reviewers"); a page's buttons, here.
    known = ctx.get("reviewers")
    signed = known if known is not None else reviewers_of([case.pk]).get(case.pk, {})
    done = [action for action, username in signed.items() if username == actor.username]
    if done:
        steps = {"verify": _("signed its verification report"), "give_town_opinion": _("gave its town opinion")}
        raise PermissionDenied(
            _("You %(steps)s, so another officer must confirm this case (four eyes: the county's rule).")
            % {"steps": _(" and ").join(str(steps[a]) for a in REVIEW_ACTIONS if a in done)}, code="four_eyes")


def _objection_unanswered(case: Case, actor: Actor, ctx: dict) -> None:
    if case.objection_answered_on:
        raise TransitionNotAllowed(_("The objection was answered on %(date)s; give the new town opinion.")
                                   % {"date": case.objection_answered_on.isoformat()})


def _objection_answered(case: Case, actor: Actor, ctx: dict) -> None:
    """After a re-survey or a deliberation the objector gets an answer before the town's new
    opinion (MLG-2021 art. 19)."""
    if not case.objection_answered_on:
        raise StepMissing(_("Answer the objection (upheld or not, and what the objector is told) before the new town opinion."))


def _county_visit_done(case: Case, actor: Actor, ctx: dict) -> None:
    if case.county_visit_required and not case.county_visited_on:
        raise StepMissing(_("The county's own home visit is required before confirmation."))


def _actor_is_county(case: Case, actor: Actor, ctx: dict) -> None:
    if level_of(actor.area_code) != COUNTY:
        raise PermissionDenied(_("The county home visit is recorded by the county."), code="county_only")


def _not_extended(case: Case, actor: Actor, ctx: dict) -> None:
    if case.extended:
        raise TransitionNotAllowed(_("The time limit was already extended once."))


def _approving_level(case: Case, actor: Actor, ctx: dict) -> None:
    """The amount decides who approves temporary aid (POLICY.md §3): the town up to its limit,
    the county up to its limit, above that the county leader case by case."""
    required = case.approving_level or COUNTY
    level = level_of(actor.area_code)
    if actor.role in ("county_leader", "superuser"):
        return
    if required == TOWN and level in (TOWN, COUNTY):
        return
    if required == COUNTY and level == COUNTY:
        return
    labels = {TOWN: _("the town"), COUNTY: _("the county"), "county_leader": _("the county leader (case by case)")}
    raise PermissionDenied(_("This amount is approved by %(who)s.") % {"who": labels.get(required, required)},
                           code="approving_level")


def _visit_recorded(case: Case, actor: Actor, ctx: dict) -> None:
    if not case.surveyed_on:
        raise StepMissing(_("Record the home visit before completing the paperwork."))


GUARDS = {
    "materials_not_pending": _materials_not_pending,
    "deliberation_held_if_required": _deliberation_held_if_required,
    "proposed_eligible": _proposed_eligible,
    "notice_period_over": _notice_period_over,
    "decider_level": _decider_level,
    "no_conflict_of_interest": _no_conflict_of_interest,
    "four_eyes": _four_eyes,
    "objection_unanswered": _objection_unanswered,
    "objection_answered": _objection_answered,
    "county_visit_done": _county_visit_done,
    "actor_is_county": _actor_is_county,
    "not_extended": _not_extended,
    "approving_level": _approving_level,
    "visit_recorded": _visit_recorded,
}
for _row in _ROWS:
    assert all(g in GUARDS for g in _row.guards), _row


# --------------------------------------------------------------------------------------------
# The one function that moves a case.
# --------------------------------------------------------------------------------------------

def check_transition(case: Case, action: str, actor: Actor, ctx: dict | None = None) -> Transition:
    """Everything `transition` checks before writing: scope, role, order, guards."""
    actor.require_area(case.area_id)
    row = TRANSITIONS.get((case.status, action))
    if row is None or case.path not in row.paths:
        if action not in ACTION_PERMISSION:
            raise TransitionNotAllowed(_("Unknown step: %(action)s.") % {"action": action})
        actor.require(ACTION_PERMISSION[action])
        raise TransitionNotAllowed(
            _("This step (%(action)s) is not possible while the case is %(status)s.")
            % {"action": action_label(action), "status": Status(case.status).label}, field="status")
    actor.require(row.permission)
    for name in row.guards:
        GUARDS[name](case, actor, ctx or {})
    return row


def allowed_actions(case: Case, actor: Actor) -> list[str]:
    """The steps this actor may take on the case now (for the page's buttons)."""
    result = []
    if not actor.covers(case.area_id):
        return result
    for row in transitions_from(case.status, case.path):
        if not actor.can(row.permission):
            continue
        try:
            for name in row.guards:
                GUARDS[name](case, actor, {})
        except SafetyNetError:
            continue
        result.append(row.action)
    return result


def transition(uow, case: Case, action: str, actor: Actor, *, note: str = "", data: dict | None = None,
               changes: dict | None = None, ctx: dict | None = None) -> Transition:
    """Move `case` by `action`, writing through the step's unit of work `uow`
    (core/unitofwork.py); see the module docstring. `changes` are other Case fields set in the
    same UPDATE; `data` goes to the timeline row and the audit event (no personal data). The
    in-memory `case` reflects the new state and version at once; the UPDATE keeps the version
    the case had, and the flush refuses the whole unit if someone else moved it first."""
    row = check_transition(case, action, actor, ctx)
    old = {"status": case.status, "version": case.version}
    fields = dict(changes or {})
    fields["status"] = row.target
    fields["is_open"] = row.target not in CLOSED_STATUSES
    fields["version"] = case.version + 1
    for name, value in fields.items():
        setattr(case, name, value)
    step = clocks.next_step(case)
    for name in ("next_action", "next_due", "case_due"):
        fields[name] = getattr(step, name)
        setattr(case, name, fields[name])
    now = timezone.now()
    fields["updated_at"] = case.updated_at = now
    data = data or {}
    statements.update_case(uow, case.pk, old["version"], fields)
    statements.insert_event(
        uow, case_id=case.pk, from_status=old["status"], to_status=row.target, action=action,
        actor_username=actor.username, actor_post_id=actor.post_id, actor_role=actor.role,
        actor_area_code=actor.area_code, at=now, note=note, data=data)
    uow.record_event(actor=actor, action=f"cases.{action}", object_type="cases.case", object_id=case.pk,
                     before=old, after={"status": row.target, "version": case.version, **data})
    return row


def record_creation(uow, case: Case, actor: Actor, *, data: dict | None = None) -> None:
    """The first timeline row of a new case (queued in `uow` by the application step, in status `applied`)."""
    now = timezone.now()
    statements.insert_event(
        uow, case_id=case.pk, from_status="", to_status=case.status, action="apply", actor_username=actor.username,
        actor_post_id=actor.post_id, actor_role=actor.role, actor_area_code=actor.area_code, at=now, note="",
        data=data or {})
    uow.record_event(actor=actor, action="cases.apply", object_type="cases.case", object_id=case.pk,
                     after={"status": case.status, "version": case.version, **(data or {})})


ACTION_LABELS = {
    "apply": _l("apply"),
    "issue_letter": _l("issue the decision letter"),
    "accept": _l("accept"),
    "request_materials": _l("request missing materials"),
    "resume": _l("resume after supplement"),
    "record_survey": _l("record the household survey"),
    "record_county_visit": _l("record the county home visit"),
    "verify": _l("record the verification report"),
    "hold_deliberation": _l("record the deliberation"),
    "give_town_opinion": _l("give the town opinion"),
    "publish_notice": _l("publish the public notice"),
    "record_objection": _l("record an objection"),
    "answer_objection": _l("answer the objection"),
    "close_notice": _l("close the public notice"),
    "confirm": _l("confirm"),
    "refuse": _l("refuse"),
    "return_for_supplement": _l("return for supplement"),
    "withdraw": _l("withdraw"),
    "reopen": _l("reopen"),
    "extend": _l("extend the time limit"),
    "pay_first": _l("pay emergency aid first"),
    "switch_to_ordinary": _l("switch to the ordinary procedure"),
    "complete_paperwork": _l("complete the emergency paperwork"),
    "approve_quick_aid": _l("approve quick aid"),
    "refuse_quick_aid": _l("refuse quick aid"),
    "approve_temporary_aid": _l("approve temporary aid"),
    "refuse_temporary_aid": _l("refuse temporary aid"),
    "review_reimbursement": _l("give the town opinion on the medical bill"),
    "approve_reimbursement": _l("approve and settle the medical reimbursement"),
    "refuse_reimbursement": _l("refuse the medical reimbursement"),
}


def action_label(action: str) -> str:
    """What pages, timelines and messages call the action (the step table, cases/steps.py, shows it too)."""
    return str(ACTION_LABELS.get(action, action))
