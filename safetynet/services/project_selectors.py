"""Reads of service projects (issue 19 part 5), always through the post's scope: a county post
reads its county's projects, a town post those of its town (`ServiceProject.area`).

`fundings_between` is the door the funding app (above services) reads the tranches through, to
charge approved projects' funding to the county's "purchased_services" budget line.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from safetynet.core.masking import mask_email, mask_name, mask_phone
from safetynet.core.scoping import Actor, get_in_scope, in_scope

from .project_models import Evaluation, ProjectFunding, ProjectStatus, ServiceProject, project_reference
from .projects import CRITERIA, EVALUATE, MANAGE, VIEW, eligible_evaluators, served_counts, standing_of


def projects_in_scope(actor: Actor, *, status: str = "", q: str = "") -> QuerySet[ServiceProject]:
    """The projects a post reads, newest first; `q` finds a title, an organisation or a reference."""
    actor.require(VIEW)
    qs = in_scope(ServiceProject.objects.select_related("area"), actor, "area")
    if status:
        qs = qs.filter(status=status)
    q = (q or "").strip()
    if q:
        match = Q(title__icontains=q) | Q(proposer_name__icontains=q)
        if q.upper().startswith("XM") and q[2:].isdigit() and len(q) > 10:
            match |= Q(pk=int(q[10:]))
        qs = qs.filter(match)
    return qs


def get_project(actor: Actor, project_id: int) -> ServiceProject:
    actor.require(VIEW)
    return get_in_scope(ServiceProject.objects.select_related("area", "county", "designed_by", "decided_by"), actor,
                        "area", pk=project_id)


def evaluations_due(actor: Actor) -> QuerySet[ServiceProject]:
    """The projects under evaluation whose panel the post's user sits on and has not yet scored."""
    actor.require(EVALUATE)
    return (in_scope(ServiceProject.objects.select_related("area"), actor, "area")
            .filter(status=ProjectStatus.UNDER_EVALUATION, panel__user_id=actor.user_id)
            .exclude(evaluations__evaluator_id=actor.user_id).order_by("received_on", "id"))


def may_see_contact(actor: Actor) -> bool:
    """Whole contact data for the posts that manage projects; every other reader sees it masked."""
    return actor.can(MANAGE)


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str
    email: str
    masked: bool


def contact_of(actor: Actor, project: ServiceProject) -> Contact:
    if may_see_contact(actor):
        return Contact(project.contact_name, project.contact_phone, project.contact_email, False)
    return Contact(mask_name(project.contact_name), mask_phone(project.contact_phone), mask_email(project.contact_email),
                   True)


def panel_rows(project: ServiceProject) -> list[dict]:
    """Each panel member with their score, if given (staff pages; the public never reads this)."""
    evaluations = {e.evaluator_id: e for e in Evaluation.objects.filter(project=project)}
    rows = []
    for member in project.panel.select_related("user"):
        e = evaluations.get(member.user_id)
        rows.append({"user_id": member.user_id, "username": member.user.get_username(),
                     "name": member.user.get_full_name() or member.user.get_username(),
                     "score": e.score if e else None, "scale": e.scale if e else None,
                     "criteria": [(str(CRITERIA[k]), v) for k, v in (e.criteria if e else {}).items() if k in CRITERIA],
                     "comment": e.comment if e else "", "scored_on": e.scored_on if e else None})
    return rows


def evaluator_choices(project: ServiceProject) -> list[tuple[int, str]]:
    """Who may sit on the project's panel (its designer excluded), as (user id, label)."""
    rows = []
    for user_id, post in sorted(eligible_evaluators(project.county_id).items()):
        if user_id == project.designed_by_id:
            continue
        user = post.user
        name = user.get_full_name() or user.get_username()
        rows.append((user_id, f"{name} · {post.get_role_display()} · {post.area.name}"))
    return rows


def beneficiary_rows(project: ServiceProject) -> list[dict]:
    """The households served, the head's name masked (the project's pages need no more)."""
    rows = []
    for b in project.beneficiaries.select_related("household__head", "area"):
        head = b.household.head
        rows.append({"household_id": b.household_id, "head": mask_name(head.name if head else ""),
                     "area": b.area.name, "added_on": b.added_on})
    return rows


def project_figures(project: ServiceProject) -> dict:
    households, people = served_counts([project.pk]).get(project.pk, (0, 0))
    return {"households": households, "people": people, "funded": project.funded_total, "budget": project.budget,
            "left": project.budget - project.funded_total, "standing": standing_of(project)}


def fundings_between(county_code: str, start: dt.date, end: dt.date, *, actor: Actor | None = None) -> list[dict]:
    """The tranches paid to the county's projects from `start` to `end` (both included), oldest
    first: {id, project, reference, amount, paid_on, area, county}. Given an `actor`, the county
    must lie in its scope (else NotFound) — the funding app passes the post it acts for."""
    if actor is not None:
        actor.require_area(county_code)
    rows = (ProjectFunding.objects.filter(project__county_id=county_code, paid_on__gte=start, paid_on__lte=end)
            .order_by("paid_on", "id").values("id", "project_id", "project__received_on", "amount", "paid_on",
                                              "project__area_id", "project__county_id"))
    return [{"id": r["id"], "project": r["project_id"],
             "reference": project_reference(r["project__received_on"], r["project_id"]), "amount": r["amount"],
             "paid_on": r["paid_on"], "area": r["project__area_id"], "county": r["project__county_id"]} for r in rows]
