"""Each household's assistance chain (issue 17 part 3): every application, enrollment, referral
and lead it has had, in date order, on one page and in one API answer, so nobody is missed and
nobody is helped twice for the same need.

`assistance_chain` is the one function that builds it. It marks the needs still open (a lead not
yet routed, an application not decided, a referral waiting for its answer or in progress, a
referral declined with no later help of its kind) and two helps of one kind running at once (two
live helps of one program, or two open referrals of one kind of agency).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext as _

from safetynet.cases.models import Case
from safetynet.cases.pages import PROGRAM_SHORT, status_css, status_label
from safetynet.core.scoping import Actor, get_in_scope
from safetynet.enrollments.models import LIVE_STATUSES, Enrollment
from safetynet.registry.models import Household

from .models import OPEN_STATUSES, Cause, CloseReason, Lead, LeadStatus, Source
from .referral_models import UNMET_ANSWERS, AgencyKind, Referral, ReferralStatus

VIEW = "discovery.view"
CASE, ENROLLMENT, REFERRAL, LEAD = "case", "enrollment", "referral", "lead"


@dataclass
class ChainEntry:
    on: dt.date
    kind: str                  # case, enrollment, referral, lead
    id: int
    number: str
    title: str                 # the program, the agency, the lead's door
    help_kind: str             # "program:dibao", "agency:education"; "" for a lead (a need, not a help)
    help_label: str
    status: str
    status_css: str
    detail: str
    until: dt.date | None = None
    open_need: bool = False
    twice: bool = False        # one of two helps of one kind running at once
    url: str = ""


@dataclass
class Chain:
    household: Household
    head_name: str
    entries: list[ChainEntry] = field(default_factory=list)
    open_needs: int = 0
    twice: list[str] = field(default_factory=list)   # the kinds of help given twice at once
    shows_cases: bool = False
    shows_enrollments: bool = False


def _program(code: str) -> str:
    return str(PROGRAM_SHORT.get(code, code))


def assistance_chain(actor: Actor, household_id: int, *, links: bool = True) -> Chain:
    """The household's chain, in date order (another town's household: 404). Applications and
    enrollments are shown to the posts that may read them (`cases.view`, `payments.view`)."""
    actor.require(VIEW)
    household = get_in_scope(Household.objects.select_related("head", "area"), actor, pk=household_id)
    chain = Chain(household=household, head_name=household.head.name if household.head_id else "",
                  shows_cases=actor.can("cases.view"), shows_enrollments=actor.can("payments.view"))
    entries = chain.entries
    if chain.shows_cases:
        decisions = {}
        cases = list(Case.objects.filter(household_id=household.pk).prefetch_related("decisions").order_by("applied_on", "id"))
        for case in cases:
            latest = max(case.decisions.all(), key=lambda d: (d.decided_at, d.pk), default=None)
            decisions[case.pk] = latest
            detail = case.reason[:200]
            if latest is not None:
                detail = (_("decided %(on)s: %(outcome)s, ¥%(amount)s a month") % {
                    "on": latest.decided_on.isoformat(), "outcome": latest.get_outcome_display(),
                    "amount": latest.monthly_amount} if latest.outcome == "approved" else
                    _("decided %(on)s: %(outcome)s") % {"on": latest.decided_on.isoformat(),
                                                         "outcome": latest.get_outcome_display()})
            entries.append(ChainEntry(
                on=case.applied_on, kind=CASE, id=case.pk, number=f"#{case.pk}", title=_program(case.program_id),
                help_kind=f"program:{case.program_id}", help_label=_program(case.program_id),
                status=status_label(case.status), status_css=status_css(case.status), detail=detail,
                until=case.decided_on, open_need=case.is_open,
                url=reverse("cases:detail", args=[case.pk]) if links else ""))
    if chain.shows_enrollments:
        for e in Enrollment.objects.filter(household_id=household.pk).order_by("start_month", "id"):
            live = e.status in LIVE_STATUSES
            entries.append(ChainEntry(
                on=e.start_month, kind=ENROLLMENT, id=e.pk, number=f"E{e.pk}", title=_program(e.program_id),
                help_kind=f"program:{e.program_id}", help_label=_program(e.program_id), status=e.get_status_display(),
                status_css="status-approved" if live else "text-bg-light",
                detail=_("¥%(amount)s a month") % {"amount": e.monthly_amount}, until=e.ended_on,
                url=reverse("changes:enrollment", args=[e.pk]) if links else ""))
    referrals = list(Referral.objects.filter(household_id=household.pk).select_related("agency").order_by("sent_at", "id"))
    for r in referrals:
        later = any(o.kind == r.kind and o.sent_at > r.sent_at and o.status != ReferralStatus.WITHDRAWN for o in referrals)
        unmet = r.status == ReferralStatus.ANSWERED and r.answer in UNMET_ANSWERS and not later
        if r.status == ReferralStatus.ANSWERED:
            status = r.get_answer_display()
        else:
            status = r.get_status_display()
        entries.append(ChainEntry(
            on=r.sent_on, kind=REFERRAL, id=r.pk, number=r.number, title=r.agency.name,
            help_kind=f"agency:{r.kind}", help_label=str(AgencyKind(r.kind).label), status=status,
            status_css=_referral_css(r), detail=r.need[:200] + (f" — {r.answer_note}" if r.answer_note else ""),
            until=r.answered_on or r.due_on, open_need=r.is_open or unmet,
            url=reverse("discovery:referral", args=[r.pk]) if links else ""))
    for lead in Lead.objects.filter(household_id=household.pk).order_by("opened_at", "id"):
        causes = "、".join(str(Cause(c).label) for c in lead.causes or [lead.cause])
        entries.append(ChainEntry(
            on=lead.opened_on, kind=LEAD, id=lead.pk, number=lead.number, title=str(Source(lead.source).label),
            help_kind="", help_label=causes, status=lead.get_status_display(),
            status_css="status-new" if lead.status in OPEN_STATUSES else "text-bg-light",
            detail=_lead_ending(lead),
            open_need=lead.status in OPEN_STATUSES,
            url=reverse("discovery:refer_lead", args=[lead.pk]) if links and lead.status in OPEN_STATUSES else ""))
    _mark_twice(chain)
    kind_order = {LEAD: 0, CASE: 1, ENROLLMENT: 2, REFERRAL: 3}
    entries.sort(key=lambda e: (e.on, kind_order[e.kind], e.id))
    chain.open_needs = sum(e.open_need for e in entries)
    return chain


def _referral_css(r: Referral) -> str:
    if r.status == ReferralStatus.WITHDRAWN:
        return "text-bg-light"
    if r.status == ReferralStatus.SENT:
        return "status-waiting"
    return "status-refused" if r.answer in UNMET_ANSWERS else "status-approved"


def _lead_ending(lead: Lead) -> str:
    if lead.status == LeadStatus.CLOSED:
        reason = str(CloseReason(lead.close_reason).label) if lead.close_reason else ""
        return " — ".join(x for x in (reason, lead.close_note) if x)
    if lead.status == LeadStatus.APPLIED and lead.case_id:
        return _("application #%(id)s") % {"id": lead.case_id}
    if lead.status == LeadStatus.MERGED and lead.merged_into_id:
        return _("merged into L%(id)06d") % {"id": lead.merged_into_id}
    return lead.description[:200]


def _mark_twice(chain: Chain) -> None:
    """Two helps of one kind at once: live enrollments, open applications, open referrals."""
    running = defaultdict(list)
    for e in chain.entries:
        if not e.help_kind:
            continue
        if (e.kind == ENROLLMENT and e.status_css == "status-approved") or (e.kind in (CASE, REFERRAL) and e.open_need
                                                                              and e.status_css != "status-refused"):
            running[e.help_kind].append(e)
    for items in running.values():
        if len(items) > 1:
            for e in items:
                e.twice = True
            chain.twice.append(items[0].help_label)
