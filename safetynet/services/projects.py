"""Service projects (issue 19 part 5): every write, one function per action, for pages, API and demo.

The county designs a project (`design_project`), or an organisation proposes one through the
public form (`propose_project`, no login, a follow token given once). A post holding
`projects.manage` sets its evaluation panel (`set_panel`: users holding `projects.evaluate` at the
project's county, never its designer), which opens the evaluation; each member scores it once
(`evaluate_project`: a whole number within 0..`project_score_max`, a comment); once every member
has scored and the average reaches `project_pass_score` (WORKFORCE parameters of the project's
area), it may be approved (`approve_project`, the approver recorded) or, at any score, rejected.
An approved project is funded in tranches (`fund_project`, never above its budget: a database
check on `funded_total`), started, followed by milestones and the households it serves
(`add_beneficiaries`, a list of households at once, each in the project's area or refused with
its reason), and completed by its outcome report (`submit_outcome`).

Every status change goes through `transition`, which reads `TRANSITIONS` (who may fire each
action from which status, with its guards), writes a `ProjectEvent` and an audit event.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from safetynet.areas.models import Area, Level, Post
from safetynet.areas.roles import ROLE_PERMISSIONS
from safetynet.cases import clocks as case_clocks
from safetynet.core.audit import record_event
from safetynet.core.dates import parse_date
from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.core.money import parse_money
from safetynet.core.scoping import Actor, get_in_scope, in_scope
from safetynet.core.text import checked_choice, clean_field
from safetynet.core.uscc import parse_uscc
from safetynet.programs.catalogue import WORKFORCE
from safetynet.programs.selectors import parameters_for
from safetynet.registry.models import Household, Person

from .project_models import (
    Evaluation, Milestone, OutcomeReport, PanelMember, ProjectBeneficiary, ProjectEvent, ProjectFunding,
    ProjectOrigin, ProjectStatus, ServiceProject, TargetGroup,
)

VIEW = "projects.view"
MANAGE = "projects.manage"
EVALUATE = "projects.evaluate"
PUBLIC = "public"      # the public form: no post, no permission

S = ProjectStatus


def today() -> dt.date:
    """The business date (the demo and tests move it through `cases.clocks.today`)."""
    return case_clocks.today()


# --------------------------------------------------------------------------------------------
# The transition table
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Transition:
    target: str
    permission: str
    guards: tuple[str, ...] = ()


_OPEN = (S.PROPOSED, S.UNDER_EVALUATION, S.APPROVED, S.FUNDED, S.IN_PROGRESS)

# (from status, action) -> where it goes, who may fire it, what must hold. "fund" on a funded or
# running project adds a tranche and keeps the status.
TRANSITIONS: dict[tuple[str, str], Transition] = {
    ("", "propose"): Transition(S.PROPOSED, PUBLIC),
    ("", "design"): Transition(S.PROPOSED, MANAGE),
    (S.PROPOSED, "open_evaluation"): Transition(S.UNDER_EVALUATION, MANAGE, ("panel_set",)),
    (S.PROPOSED, "reject"): Transition(S.REJECTED, MANAGE),
    (S.UNDER_EVALUATION, "approve"): Transition(S.APPROVED, MANAGE, ("every_member_scored", "average_passes")),
    (S.UNDER_EVALUATION, "reject"): Transition(S.REJECTED, MANAGE),
    (S.APPROVED, "fund"): Transition(S.FUNDED, MANAGE),
    (S.FUNDED, "fund"): Transition(S.FUNDED, MANAGE),
    (S.IN_PROGRESS, "fund"): Transition(S.IN_PROGRESS, MANAGE),
    (S.FUNDED, "start"): Transition(S.IN_PROGRESS, MANAGE),
    (S.IN_PROGRESS, "complete"): Transition(S.COMPLETED, MANAGE, ("outcome_written",)),
    **{(status, "cancel"): Transition(S.CANCELLED, MANAGE) for status in _OPEN},
}

# What may be done to a project without moving it, by status (the page offers only these).
WORK = {
    "set_panel": (S.PROPOSED, S.UNDER_EVALUATION),
    "evaluate": (S.UNDER_EVALUATION,),
    "add_milestone": (S.APPROVED, S.FUNDED, S.IN_PROGRESS),
    "complete_milestone": (S.FUNDED, S.IN_PROGRESS),
    "add_beneficiaries": (S.APPROVED, S.FUNDED, S.IN_PROGRESS),
    "submit_outcome": (S.IN_PROGRESS,),
}

ACTION_LABELS = {
    "open_evaluation": _l("open the evaluation"), "approve": _l("approve"), "reject": _l("reject"),
    "fund": _l("record funding"), "start": _l("start"), "complete": _l("complete"), "cancel": _l("cancel"),
    "set_panel": _l("set the panel"), "evaluate": _l("score"), "add_milestone": _l("add milestones"),
    "complete_milestone": _l("mark milestones done"), "add_beneficiaries": _l("add households served"),
    "submit_outcome": _l("submit the outcome report"),
}


def _wrong_status(project: ServiceProject, action: str) -> Conflict:
    return Conflict(_("This project is %(status)s: you cannot %(action)s it now.") % {
        "status": project.get_status_display(), "action": ACTION_LABELS.get(action, action)},
        field="status", code="wrong_status")


def require_work(project: ServiceProject, action: str) -> None:
    if project.status not in WORK[action]:
        raise _wrong_status(project, action)


def allowed_actions(project: ServiceProject, actor: Actor) -> list[str]:
    """The actions (transitions and work) `actor` may take on the project now, for the page."""
    actions = [a for (s, a), t in TRANSITIONS.items() if s == project.status and actor.can(t.permission)]
    actions += [a for a, statuses in WORK.items() if project.status in statuses and a != "evaluate" and actor.can(MANAGE)]
    return list(dict.fromkeys(actions))


# --------------------------------------------------------------------------------------------
# Scores: the scale, the pass score, the average
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scale:
    maximum: int
    pass_score: int


def scale_for(project: ServiceProject, on: dt.date) -> Scale:
    """`project_score_max` and `project_pass_score` in force for the project's area (WORKFORCE)."""
    params = parameters_for(WORKFORCE, project.area_id, on)
    return Scale(int(params["project_score_max"]), int(params["project_pass_score"]))


@dataclass
class Standing:
    """Where the evaluation stands: members, scores given, the average (None before any)."""

    members: int
    scored: int
    total: int
    average: Decimal | None
    scale: Scale

    @property
    def complete(self) -> bool:
        return self.members > 0 and self.scored == self.members

    @property
    def passes(self) -> bool:
        # Compared in whole numbers: an average of 59.995 does not round up to pass at 60.
        return self.scored > 0 and self.total >= self.scale.pass_score * self.scored


def standing_of(project: ServiceProject, on: dt.date | None = None) -> Standing:
    members = set(project.panel.values_list("user_id", flat=True))
    scores = [s for u, s in project.evaluations.values_list("evaluator_id", "score") if u in members]
    total = sum(scores)
    average = (Decimal(total) / len(scores)).quantize(Decimal("0.01"), ROUND_HALF_UP) if scores else None
    return Standing(len(members), len(scores), total, average, scale_for(project, on or today()))


def _panel_set(project, ctx):
    if not project.panel.exists():
        raise ValidationError(_("Choose the evaluation panel first."), field="members", code="no_panel")


def _every_member_scored(project, ctx):
    standing = ctx["standing"]
    if not standing.complete:
        raise Conflict(_("%(scored)d of the %(members)d panel members have scored this project: every member scores it "
                         "before it is approved.") % {"scored": standing.scored, "members": standing.members},
                       field="evaluations", code="scores_missing")


def _average_passes(project, ctx):
    standing = ctx["standing"]
    if not standing.passes:
        raise ValidationError(_("The panel's average score is %(average)s, below the pass score of %(pass)d (out of "
                                "%(max)d): the project cannot be approved.") % {
            "average": standing.average, "pass": standing.scale.pass_score, "max": standing.scale.maximum},
            field="evaluations", code="below_pass_score")


def _outcome_written(project, ctx):
    if not OutcomeReport.objects.filter(project=project).exists():
        raise ValidationError(_("Write the outcome report first."), field="text", code="no_outcome")


GUARDS = {"panel_set": _panel_set, "every_member_scored": _every_member_scored, "average_passes": _average_passes,
          "outcome_written": _outcome_written}


def transition(project: ServiceProject, action: str, *, actor: Actor | None, note: str = "", ctx: dict | None = None,
               audit: dict | None = None, **fields) -> ServiceProject:
    """The one way a project's status changes: the table's row for its status and the action,
    the row's permission and guards, the timeline row and the audit event."""
    row = TRANSITIONS.get((project.status, action))
    if row is None:
        raise _wrong_status(project, action)
    if row.permission != PUBLIC:
        actor.require(row.permission)
    for name in row.guards:
        GUARDS[name](project, ctx or {})
    before = project.status
    project.status = row.target
    for name, value in fields.items():
        setattr(project, name, value)
    if project.pk is None:      # a filing: the project is written with its first status
        project.save()
    else:
        project.save(update_fields=["status", *fields])
    ProjectEvent.objects.create(project=project, action=action, from_status=before, to_status=row.target,
                                on=today(), at=timezone.now(), by=actor.username if actor else "", note=note)
    record_event(actor=actor, action=f"services.project_{action}", obj=project, before={"status": before},
                 after={"status": row.target, **(audit or {})})
    return project


# --------------------------------------------------------------------------------------------
# Filing: the county's design and the public's proposal
# --------------------------------------------------------------------------------------------

@dataclass
class ProjectInput:
    """What a project says of itself, from the public form, the county's page or the API."""

    area_code: str = ""
    title: str = ""
    description: str = ""
    target_group: str = ""
    target_note: str = ""
    budget: object = ""
    starts_on: object = None
    ends_on: object = None
    proposer_name: str = ""
    proposer_uscc: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""


@dataclass
class Filed:
    project: ServiceProject
    token: str = ""        # the proposer's, shown once; only its hash is kept


_PHONE = re.compile(r"\+?[0-9][0-9-]{5,18}[0-9]")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.strip().encode()).hexdigest()


def _checked(item: ProjectInput, *, proposed: bool) -> tuple[ProjectInput, Area]:
    """The input normalised and checked, each refusal naming its field; the area served."""
    item.title = clean_field(item.title, "title", max_length=200, required=True)
    item.description = clean_field(item.description, "description", max_length=5000, required=True, multiline=True)
    item.target_group = checked_choice(item.target_group, TargetGroup.values, "target_group",
                                       _("Choose the group of people the project serves."))
    item.target_note = clean_field(item.target_note, "target_note", max_length=200,
                                   required=item.target_group == TargetGroup.OTHER)
    item.budget = parse_money(item.budget, field="budget")
    if item.budget <= 0:
        raise ValidationError(_("A project's budget is more than zero."), field="budget", code="zero_budget")
    item.starts_on = parse_date(item.starts_on, field="starts_on", required=True)
    item.ends_on = parse_date(item.ends_on, field="ends_on", required=True)
    if item.ends_on < item.starts_on:
        raise ValidationError(_("The project ends before it starts."), field="ends_on", code="period_reversed")
    item.proposer_name = clean_field(item.proposer_name, "proposer_name", max_length=200, required=proposed)
    raw_uscc = clean_field(item.proposer_uscc, "proposer_uscc", max_length=40)
    item.proposer_uscc = parse_uscc(raw_uscc, field="proposer_uscc") if (raw_uscc or proposed) else ""
    item.contact_name = clean_field(item.contact_name, "contact_name", max_length=50, required=proposed)
    item.contact_phone = clean_field(item.contact_phone, "contact_phone", max_length=20, required=proposed).replace(" ", "")
    if item.contact_phone and not _PHONE.fullmatch(item.contact_phone):
        raise ValidationError(_("%(value)s is not a phone number: digits, with an area code if it is a landline.")
                              % {"value": item.contact_phone}, field="contact_phone", code="invalid_phone")
    item.contact_email = clean_field(item.contact_email, "contact_email", max_length=254)
    if item.contact_email:
        try:
            validate_email(item.contact_email)
        except DjangoValidationError:
            raise ValidationError(_("%(value)s is not an email address.") % {"value": item.contact_email},
                                  field="contact_email", code="invalid_email")
    code = clean_field(item.area_code, "area", max_length=12, required=True)
    area = Area.objects.filter(code=code, is_active=True).first()
    if area is None:
        raise NotFound(_("No such county or town: %(code)s.") % {"code": code}, field="area")
    if area.level not in (Level.COUNTY, Level.TOWN):
        raise ValidationError(_("A project serves a county or one of its towns."), field="area", code="wrong_level")
    item.area_code = area.code
    return item, area


def _new(item: ProjectInput, area: Area, *, origin: str, on: dt.date, designed_by: int | None) -> ServiceProject:
    """The project as filed, not yet written: `transition` writes it with its first status."""
    return ServiceProject(
        county_id=area.code[:6], area=area, title=item.title, description=item.description,
        target_group=item.target_group, target_note=item.target_note, budget=item.budget, starts_on=item.starts_on,
        ends_on=item.ends_on, origin=origin, proposer_name=item.proposer_name, proposer_uscc=item.proposer_uscc,
        contact_name=item.contact_name, contact_phone=item.contact_phone, contact_email=item.contact_email,
        designed_by_id=designed_by, status="", received_on=on)


def _filed_audit(project: ServiceProject) -> dict:
    """What the audit keeps of a filing (no contact data)."""
    return {"area": project.area_id, "origin": project.origin, "budget": project.budget, "title": project.title,
            "proposer": project.proposer_name, "uscc": project.proposer_uscc}


@transaction.atomic(durable=True)
def propose_project(item: ProjectInput, *, on: dt.date | None = None) -> Filed:
    """An organisation's proposal from the public form (no login): the organisation, its unified
    social credit code and a contact are required. Answers the project and the token the proposer
    follows it with (shown once)."""
    item, area = _checked(item, proposed=True)
    token = secrets.token_urlsafe(18)
    project = _new(item, area, origin=ProjectOrigin.PROPOSED, on=on or today(), designed_by=None)
    project.token_hash = hash_token(token)
    transition(project, "propose", actor=None, audit=_filed_audit(project))
    return Filed(project, token)


@transaction.atomic(durable=True)
def design_project(*, actor: Actor, item: ProjectInput, on: dt.date | None = None) -> ServiceProject:
    """A project the county designs itself, to be evaluated like a proposal (its designer may not
    sit on its panel)."""
    actor.require(MANAGE)
    item, area = _checked(item, proposed=False)
    actor.require_area(area.code)
    project = _new(item, area, origin=ProjectOrigin.DESIGNED, on=on or today(), designed_by=actor.user_id)
    return transition(project, "design", actor=actor, audit=_filed_audit(project))


# --------------------------------------------------------------------------------------------
# The panel and its scores
# --------------------------------------------------------------------------------------------

def _locked(actor: Actor, project_id: int, permission: str) -> ServiceProject:
    actor.require(permission)
    return get_in_scope(ServiceProject.objects.select_for_update(), actor, "area", pk=project_id)


EVALUATOR_ROLES = frozenset(role for role, permissions in ROLE_PERMISSIONS.items() if EVALUATE in permissions)


def eligible_evaluators(county_code: str) -> dict[int, Post]:
    """user id -> a post of theirs that may score the county's projects: an active post of a role
    holding `projects.evaluate` at the county (or above it)."""
    posts = (Post.objects.filter(is_active=True, role__in=EVALUATOR_ROLES, user__is_active=True)
             .select_related("user", "area").order_by("user_id", "id"))
    return {p.user_id: p for p in posts if county_code.startswith(p.area_id) and len(p.area_id) <= 6}


@transaction.atomic(durable=True)
def set_panel(*, actor: Actor, project_id: int, user_ids: list[int]) -> ServiceProject:
    """The panel becomes exactly these users; a member who has scored stays. A proposed project's
    evaluation opens with it."""
    project = _locked(actor, project_id, MANAGE)
    require_work(project, "set_panel")
    wanted = list(dict.fromkeys(int(u) for u in user_ids))
    if not wanted:
        raise ValidationError(_("Choose at least one panel member."), field="members", code="no_panel")
    eligible = eligible_evaluators(project.county_id)
    for user_id in wanted:
        if user_id not in eligible:
            raise ValidationError(_("User %(id)s holds no post that scores this county's projects.") % {"id": user_id},
                                  field="members", code="not_an_evaluator")
        if user_id == project.designed_by_id:
            raise ValidationError(_("%(name)s designed this project and cannot score it.") % {
                "name": eligible[user_id].user.get_username()}, field="members", code="designer_on_panel")
    current = set(project.panel.values_list("user_id", flat=True))
    scored = set(project.evaluations.values_list("evaluator_id", flat=True))
    kept_scored = (current - set(wanted)) & scored
    if kept_scored:
        raise Conflict(_("A member who has scored stays on the panel."), field="members", code="scored_member")
    project.panel.filter(user_id__in=current - set(wanted)).delete()
    now = timezone.now()
    PanelMember.objects.bulk_create([PanelMember(project=project, user_id=u, added_by=actor.username, added_at=now)
                                     for u in wanted if u not in current])
    names = [eligible[u].user.get_username() for u in wanted]
    if project.status == S.PROPOSED:
        return transition(project, "open_evaluation", actor=actor, audit={"panel": wanted}, note=", ".join(names))
    ProjectEvent.objects.create(project=project, action="set_panel", from_status=project.status,
                                to_status=project.status, on=today(), at=now, by=actor.username, note=", ".join(names))
    record_event(actor=actor, action="services.project_set_panel", obj=project, before={"panel": sorted(current)},
                 after={"panel": wanted})
    return project


CRITERIA = {
    "need": _l("Need it answers"),
    "design": _l("Design and method"),
    "capacity": _l("The organisation's capacity"),
    "value": _l("Value for money"),
}


def _checked_score(value, name: str, scale: Scale) -> int:
    if isinstance(value, bool) or value in (None, ""):
        raise ValidationError(_("Give a score from 0 to %(max)d.") % {"max": scale.maximum}, field=name,
                              code="required")
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        number = None
    if number is None or not number.is_finite() or number != number.to_integral_value():
        raise ValidationError(_("%(value)s is not a whole number: give a score from 0 to %(max)d.") % {
            "value": str(value)[:20], "max": scale.maximum}, field=name, code="score_not_whole")
    if not 0 <= number <= scale.maximum:
        raise ValidationError(_("A score of %(value)s is outside the scale: projects are scored from 0 to %(max)d.") % {
            "value": int(number), "max": scale.maximum}, field=name, code="score_outside_scale")
    return int(number)


@transaction.atomic(durable=True)
def evaluate_project(*, actor: Actor, project_id: int, score, comment: str, criteria: dict | None = None,
                     on: dt.date | None = None) -> Evaluation:
    """A panel member's score, once: a whole number within the scale, a comment; scores by
    criterion (need, design, capacity, value) if given, each on the same scale."""
    project = _locked(actor, project_id, EVALUATE)
    require_work(project, "evaluate")
    if project.designed_by_id is not None and project.designed_by_id == actor.user_id:
        raise PermissionDenied(_("You designed this project: you cannot score it."), code="designer")
    if not project.panel.filter(user_id=actor.user_id).exists():
        raise PermissionDenied(_("You are not on this project's evaluation panel."), code="not_on_panel")
    on = on or today()
    scale = scale_for(project, on)
    score = _checked_score(score, "score", scale)
    checked: dict[str, int] = {}
    for key, value in (criteria or {}).items():
        if key not in CRITERIA:
            raise ValidationError(_("No such criterion: %(key)s.") % {"key": str(key)[:40]}, field="criteria",
                                  code="unknown_criterion")
        if value not in (None, ""):
            checked[key] = _checked_score(value, f"criteria.{key}", scale)
    comment = clean_field(comment, "comment", max_length=5000, required=True, multiline=True)
    if project.evaluations.filter(evaluator_id=actor.user_id).exists():
        raise Conflict(_("You have already scored this project."), field="score", code="already_scored")
    try:
        with transaction.atomic():
            evaluation = Evaluation.objects.create(project=project, evaluator_id=actor.user_id, score=score,
                                                   scale=scale.maximum, criteria=checked, comment=comment, scored_on=on,
                                                   scored_at=timezone.now())
    except IntegrityError:
        raise Conflict(_("You have already scored this project."), field="score", code="already_scored")
    record_event(actor=actor, action="services.project_evaluate", obj=project,
                 after={"score": score, "scale": scale.maximum, "criteria": checked})
    return evaluation


# --------------------------------------------------------------------------------------------
# The decision
# --------------------------------------------------------------------------------------------

@transaction.atomic(durable=True)
def approve_project(*, actor: Actor, project_id: int, note: str = "", on: dt.date | None = None) -> ServiceProject:
    """Approved when every panel member has scored and the average reaches the pass score; the
    approver, the average and the pass score are recorded with it."""
    project = _locked(actor, project_id, MANAGE)
    on = on or today()
    note = clean_field(note, "note", max_length=2000, multiline=True)
    standing = standing_of(project, on)
    return transition(project, "approve", actor=actor, note=note, ctx={"standing": standing},
                      audit={"average": standing.average, "pass_score": standing.scale.pass_score},
                      decided_on=on, decided_by_id=actor.user_id, decision_note=note, average_score=standing.average,
                      pass_score=standing.scale.pass_score)


@transaction.atomic(durable=True)
def reject_project(*, actor: Actor, project_id: int, reason: str, on: dt.date | None = None) -> ServiceProject:
    """Rejected, with the reason the proposer reads."""
    project = _locked(actor, project_id, MANAGE)
    on = on or today()
    reason = clean_field(reason, "reason", max_length=2000, required=True, multiline=True)
    standing = standing_of(project, on)
    return transition(project, "reject", actor=actor, note=reason, audit={"average": standing.average},
                      decided_on=on, decided_by_id=actor.user_id, decision_note=reason, average_score=standing.average,
                      pass_score=standing.scale.pass_score)


@transaction.atomic(durable=True)
def cancel_project(*, actor: Actor, project_id: int, reason: str) -> ServiceProject:
    project = _locked(actor, project_id, MANAGE)
    reason = clean_field(reason, "reason", max_length=2000, required=True, multiline=True)
    return transition(project, "cancel", actor=actor, note=reason, cancel_reason=reason)


# --------------------------------------------------------------------------------------------
# Funding, start, milestones
# --------------------------------------------------------------------------------------------

@transaction.atomic(durable=True)
def fund_project(*, actor: Actor, project_id: int, amount, paid_on, note: str = "") -> ProjectFunding:
    """A tranche paid to the approved project; the total paid never goes above its budget (checked
    here with the amount left, and by the database's check on `funded_total`)."""
    project = _locked(actor, project_id, MANAGE)
    if (project.status, "fund") not in TRANSITIONS:
        raise _wrong_status(project, "fund")
    amount = parse_money(amount, field="amount")
    if amount <= 0:
        raise ValidationError(_("A tranche is more than zero."), field="amount", code="zero_amount")
    paid_on = parse_date(paid_on, field="paid_on", required=True)
    note = clean_field(note, "note", max_length=200)
    left = project.budget - project.funded_total
    if amount > left:
        raise ValidationError(_("%(amount)s would take the funding above the approved budget of %(budget)s: %(left)s is "
                                "left to pay.") % {"amount": amount, "budget": project.budget, "left": left},
                              field="amount", code="over_budget")
    tranche = ProjectFunding.objects.create(project=project, amount=amount, paid_on=paid_on, note=note,
                                            recorded_by=actor.username, recorded_at=timezone.now())
    ServiceProject.objects.filter(pk=project.pk).update(funded_total=F("funded_total") + amount)
    project.refresh_from_db(fields=["funded_total"])
    transition(project, "fund", actor=actor, note=f"{amount}", audit={"tranche": tranche.pk, "amount": amount,
                                                                      "paid_on": paid_on, "total": project.funded_total})
    return tranche


@transaction.atomic(durable=True)
def start_project(*, actor: Actor, project_id: int) -> ServiceProject:
    project = _locked(actor, project_id, MANAGE)
    return transition(project, "start", actor=actor)


@transaction.atomic(durable=True)
def add_milestone(*, actor: Actor, project_id: int, title: str, due_on) -> Milestone:
    project = _locked(actor, project_id, MANAGE)
    require_work(project, "add_milestone")
    title = clean_field(title, "title", max_length=200, required=True)
    due_on = parse_date(due_on, field="due_on", required=True)
    if not project.starts_on <= due_on <= project.ends_on:
        raise ValidationError(_("A milestone falls within the project's period (%(start)s to %(end)s).") % {
            "start": project.starts_on.isoformat(), "end": project.ends_on.isoformat()}, field="due_on",
            code="outside_period")
    milestone = Milestone.objects.create(project=project, title=title, due_on=due_on)
    record_event(actor=actor, action="services.project_add_milestone", obj=project,
                 after={"milestone": milestone.pk, "title": title, "due_on": due_on})
    return milestone


@transaction.atomic(durable=True)
def complete_milestone(*, actor: Actor, project_id: int, milestone_id: int, done_on, evidence: str) -> Milestone:
    """A milestone reached, with a note of the evidence (what was done, where it is kept)."""
    project = _locked(actor, project_id, MANAGE)
    require_work(project, "complete_milestone")
    milestone = project.milestones.select_for_update().filter(pk=milestone_id).first()
    if milestone is None:
        raise NotFound(_("No such milestone in this project."), field="milestone")
    if milestone.done_on is not None:
        raise Conflict(_("This milestone was marked done on %(day)s.") % {"day": milestone.done_on.isoformat()},
                       field="done_on", code="already_done")
    done_on = parse_date(done_on, field="done_on", required=True)
    if done_on > today():
        raise ValidationError(_("A milestone is marked done on a day that has come."), field="done_on", code="future")
    milestone.done_on = done_on
    milestone.evidence = clean_field(evidence, "evidence", max_length=2000, required=True, multiline=True)
    milestone.done_by = actor.username
    milestone.save(update_fields=["done_on", "evidence", "done_by"])
    record_event(actor=actor, action="services.project_complete_milestone", obj=project,
                 after={"milestone": milestone.pk, "done_on": done_on})
    return milestone


# --------------------------------------------------------------------------------------------
# Households served
# --------------------------------------------------------------------------------------------

@dataclass
class BeneficiaryResult:
    household_id: int
    added: bool
    code: str = ""
    reason: str = ""


def decide_beneficiary(household_id: int, *, area_of: dict[int, str], project_area: str, already: set[int],
                       seen: set[int]) -> BeneficiaryResult:
    """Whether one household may be added, on what was read for the whole list (no database)."""
    if household_id in seen:
        return BeneficiaryResult(household_id, False, "duplicate", _("Listed twice."))
    seen.add(household_id)
    area = area_of.get(household_id)
    if area is None:
        return BeneficiaryResult(household_id, False, "not_found", _("No such household in your area."))
    if not area.startswith(project_area):
        return BeneficiaryResult(household_id, False, "outside_area",
                                 _("The household is registered outside the area the project serves."))
    if household_id in already:
        return BeneficiaryResult(household_id, False, "already", _("Already served by this project."))
    return BeneficiaryResult(household_id, True)


@transaction.atomic(durable=True)
def add_beneficiaries(*, actor: Actor, project_id: int, household_ids: list[int],
                      on: dt.date | None = None) -> list[BeneficiaryResult]:
    """Households the project serves, a list at once: read together, each decided (in the
    project's area and the post's, not already served, not listed twice) with its reason, the
    accepted ones written in one INSERT and one audit event."""
    project = _locked(actor, project_id, MANAGE)
    require_work(project, "add_beneficiaries")
    if not household_ids:
        raise ValidationError(_("Give at least one household."), field="households", code="required")
    if len(household_ids) > 1000:
        raise ValidationError(_("At most 1,000 households at once."), field="households", code="too_many")
    ids = [int(i) for i in household_ids]
    area_of = dict(in_scope(Household.objects.filter(pk__in=ids), actor).values_list("pk", "area_id"))
    already = set(project.beneficiaries.filter(household_id__in=ids).values_list("household_id", flat=True))
    seen: set[int] = set()
    results = [decide_beneficiary(i, area_of=area_of, project_area=project.area_id, already=already, seen=seen)
               for i in ids]
    on = on or today()
    added = [r.household_id for r in results if r.added]
    ProjectBeneficiary.objects.bulk_create([ProjectBeneficiary(project=project, household_id=i, area_id=area_of[i],
                                                               added_on=on, added_by=actor.username) for i in added])
    record_event(actor=actor, action="services.project_add_beneficiaries", obj=project,
                 after={"added": added, "refused": {r.household_id: r.code for r in results if not r.added}})
    return results


# --------------------------------------------------------------------------------------------
# The outcome
# --------------------------------------------------------------------------------------------

def served_counts(project_ids: list[int]) -> dict[int, tuple[int, int]]:
    """project id -> (households, people) served: its beneficiary households and their members."""
    households: dict[int, set[int]] = {}
    for project_id, household_id in ProjectBeneficiary.objects.filter(project_id__in=project_ids).values_list(
            "project_id", "household_id"):
        households.setdefault(project_id, set()).add(household_id)
    every = set().union(*households.values()) if households else set()
    members: dict[int, int] = {}
    for household_id in Person.objects.filter(household_id__in=every).values_list("household_id", flat=True):
        members[household_id] = members.get(household_id, 0) + 1
    return {p: (len(hs), sum(members.get(h, 0) for h in hs)) for p, hs in households.items()}


@transaction.atomic(durable=True)
def submit_outcome(*, actor: Actor, project_id: int, text: str, on: dt.date | None = None) -> OutcomeReport:
    """The outcome report closes a running project: what it did in words, and the figures read
    now (households and people served, spent against the budget)."""
    project = _locked(actor, project_id, MANAGE)
    require_work(project, "submit_outcome")
    text = clean_field(text, "text", max_length=10000, required=True, multiline=True)
    on = on or today()
    households, people = served_counts([project.pk]).get(project.pk, (0, 0))
    report = OutcomeReport.objects.create(project=project, text=text, households_served=households,
                                          people_served=people, spent=project.funded_total, budget=project.budget,
                                          submitted_on=on, submitted_by=actor.username)
    transition(project, "complete", actor=actor, audit={"households": households, "people": people,
                                                        "spent": project.funded_total})
    return report


# --------------------------------------------------------------------------------------------
# The proposer's side
# --------------------------------------------------------------------------------------------

def project_by_token(token: str) -> ServiceProject:
    """The project a proposer's token opens (NotFound for any other string: nothing says why)."""
    token = (token or "").strip()
    project = (ServiceProject.objects.filter(token_hash=hash_token(token)).select_related("area").first()
               if 10 <= len(token) <= 64 else None)
    if project is None:
        raise NotFound(_("No proposal has this token. Check it and type it again."), field="token")
    return project


def public_timeline(project: ServiceProject) -> list[dict]:
    """The states the proposer sees, with their days: never a note, a name or a score."""
    return [{"status": e.to_status, "label": e.to_label, "on": e.on}
            for e in project.events.all() if e.from_status != e.to_status]


@dataclass
class PublicView:
    reference: str
    title: str
    status: str
    status_label: str
    received_on: dt.date
    area_name: str
    decided_on: dt.date | None
    answer: str
    timeline: list = field(default_factory=list)


def public_view(project: ServiceProject) -> PublicView:
    """What the proposer reads: the reference, the state and its days, and the county's answer
    once decided (never evaluators, scores or staff notes)."""
    decided = project.status not in (S.PROPOSED, S.UNDER_EVALUATION)
    return PublicView(reference=project.reference, title=project.title, status=project.status,
                      status_label=str(project.get_status_display()), received_on=project.received_on,
                      area_name=project.area.name, decided_on=project.decided_on if decided else None,
                      answer=project.decision_note if decided and project.status == S.REJECTED else "",
                      timeline=public_timeline(project))
