"""Lead pages (issue 17 part 5): the grid worker's list, the town's leads by state and age, the
lead page with the actions this post may take (each one click), the report photo, and the county
dashboard. Thin adapters: reads through `discovery.selectors`, writes through
`discovery.services`, the same functions the API calls; another area's lead answers 404, a post
that may not act 403.
"""
from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET, require_POST

from safetynet.cases import pages as case_pages
from safetynet.core.decorators import post_view
from safetynet.core.errors import Conflict, NotFound, PermissionDenied, SafetyNetError
from safetynet.core.masking import mask_name, mask_phone
from safetynet.core.pagination import numbered_page
from safetynet.core.privatefiles import answer_file, download_view, private_root
from safetynet.core.scoping import in_scope
from safetynet.registry.models import Household, Person

from . import selectors, services
from .lead_forms import ApplyForm, CloseForm, LinkForm, MergeForm, VisitForm
from .models import (
    OPEN_STATUSES, Cause, Escalation, GridReport, Lead, LeadEventKind, LeadStatus, Source, WarningLevel,
)

PAGE_SIZE = 30
APPLY_PROGRAMS = ("dibao", "special_hardship")

STATUS_CSS = {LeadStatus.NEW: "status-new", LeadStatus.ACKNOWLEDGED: "status-progress", LeadStatus.VISITED: "status-waiting",
              LeadStatus.APPLIED: "status-approved", LeadStatus.REFERRED: "status-approved",
              LeadStatus.CLOSED: "status-refused", LeadStatus.MERGED: "status-refused"}
LEVEL_CSS = {WarningLevel.RED: "bg-danger", WarningLevel.ORANGE: "bg-warning text-dark",
             WarningLevel.YELLOW: "bg-warning-subtle text-dark border border-warning"}
ESCALATION_TEXT = {Escalation.TOWN_LEADER: _l("with the town leader"), Escalation.COUNTY: _l("with the county")}


def sees_whole(actor) -> bool:
    """Names, phones and addresses whole for the posts that report or work leads; masked for
    readers (inspectors, the county leader): POLICY.md §7, DESIGN.md §5."""
    return actor.can(services.WORK) or actor.can(services.REPORT)


def lead_row(lead: Lead, actor, today) -> dict:
    """One lead as the lists show it."""
    whole = sees_whole(actor)
    name = lead.name or (lead.household.head.name if lead.household_id and lead.household.head_id else "")
    overdue = lead.status in OPEN_STATUSES and (
        (lead.acknowledged_at is None and lead.acknowledge_due_on < today)
        or (lead.visited_at is None and lead.visit_due_on < today))
    return {
        "lead": lead, "id": lead.pk, "number": lead.number, "name": name if whole else mask_name(name),
        "area": lead.area.name, "status": lead.status, "status_label": lead.get_status_display(),
        "status_css": STATUS_CSS.get(lead.status, ""), "cause": lead.get_cause_display(), "source": lead.get_source_display(),
        "urgency": lead.urgency, "urgency_label": lead.get_urgency_display(), "level": lead.level,
        "level_label": lead.get_level_display() if lead.level else "", "level_css": LEVEL_CSS.get(lead.level, ""), "opened_on": lead.opened_on,
        "acknowledge_due_on": lead.acknowledge_due_on if lead.acknowledged_at is None and lead.is_open else None,
        "visit_due_on": lead.visit_due_on if lead.visited_at is None and lead.is_open else None,
        "overdue": overdue, "is_open": lead.is_open, "escalation": lead.escalation if lead.is_open else "",
        "escalation_label": ESCALATION_TEXT.get(lead.escalation, "") if lead.is_open else "",
        "url": reverse("discovery:lead", args=[lead.pk]),
    }


def _rows(page, actor, today) -> list[dict]:
    return [lead_row(lead, actor, today) for lead in page]


def _listed(qs):
    return qs.select_related("area", "household", "household__head")


# ---------------------------------------------------------------------------------------------
# The grid worker's list
# ---------------------------------------------------------------------------------------------
@require_GET
@post_view(services.REPORT)
def my_list(request, actor):
    """The grid worker's list (phone-first): the leads of the grid, open first, then the reports
    the worker filed and what became of them."""
    today = services.today()
    leads = numbered_page(_listed(selectors.ordered_for_work(selectors.my_leads(actor))), request.GET.get("page"), PAGE_SIZE)
    reports = list(selectors.my_reports(actor).select_related("lead", "lead__area")[:20])
    report_rows = [{"report": r, "lead": lead_row(r.lead, actor, today)} for r in reports]
    return render(request, "discovery/lead_mine.html", {
        "rows": _rows(leads, actor, today), "page": leads, "reports": report_rows, "today": today,
        "report_url": _url_or_empty("discovery:report"),
    })


def _url_or_empty(name: str, *args) -> str:
    """The URL of a page another part builds (the report form, referrals), or "" while it is not
    routed yet."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# ---------------------------------------------------------------------------------------------
# The town's leads
# ---------------------------------------------------------------------------------------------
def _filters(params) -> selectors.LeadFilter:
    def pick(name, allowed):
        value = params.get(name) or ""
        return value if value in allowed else ""
    overdue = params.get("overdue")
    village = params.get("village") or ""
    return selectors.LeadFilter(
        state=pick("state", [*LeadStatus.values, "open", "ended"]), cause=pick("cause", Cause.values),
        source=pick("source", Source.values), level=pick("level", WarningLevel.values),
        escalated=pick("escalated", ["any", Escalation.TOWN_LEADER, Escalation.COUNTY]),
        overdue=True if overdue == "1" else False if overdue == "0" else None,
        village=village if village.isdigit() and len(village) in (12, 15, 18) else "",
        age=pick("age", [key for key, _a, _b in selectors.AGE_BANDS]), due=pick("due", ["today"]), q=(params.get("q") or "").strip()[:50])


@require_GET
@post_view(services.VIEW)
def lead_list(request, actor):
    """The town's leads: the count table by state and age (each cell a link to its list), and
    the list, filtered and searched, escalated leads marked."""
    today = services.today()
    filters = _filters(request.GET)
    qs = selectors.ordered_for_work(selectors.filtered_leads(actor, filters, today))
    page = numbered_page(_listed(qs), request.GET.get("page"), PAGE_SIZE)
    villages = in_scope(_villages(), actor, "parent") if len(actor.area_code) >= 6 else _villages().none()
    return render(request, "discovery/lead_list.html", {
        "table": selectors.state_age_table(actor, today), "rows": _rows(page, actor, today), "page": page,
        "filters": filters, "query_string": urlencode(filters.as_query()),
        "states": [("open", _("open")), ("ended", _("ended")), *LeadStatus.choices],
        "causes": Cause.choices, "sources": Source.choices, "levels": WarningLevel.choices,
        "escalations": [("any", _("escalated")), (Escalation.TOWN_LEADER, _("with the town leader")),
                        (Escalation.COUNTY, _("with the county"))],
        "villages": list(villages.order_by("code").values_list("code", "name")[:400]),
        "today": today,
    })


def _villages():
    from safetynet.areas.models import Area
    return Area.objects.filter(level="village")


# ---------------------------------------------------------------------------------------------
# The lead page and its actions
# ---------------------------------------------------------------------------------------------
def _merge_choices(actor, lead: Lead) -> list[tuple[int, str]]:
    """Other open leads of the same household, or of the same village, in scope."""
    qs = selectors.leads_in_scope(actor).filter(status__in=OPEN_STATUSES).exclude(pk=lead.pk)
    if lead.household_id:
        qs = qs.filter(household_id=lead.household_id) | qs.filter(household__isnull=True, area__code__startswith=lead.area_id[:12])
    else:
        qs = qs.filter(area__code__startswith=lead.area_id[:12])
    return [(other.pk, f"{other.number} {other.name} · {other.get_cause_display()}")
            for other in qs.select_related("household__head").order_by("-opened_at")[:50]]


def _members(lead: Lead) -> list[tuple[int, str]]:
    if not lead.household_id:
        return []
    people = Person.objects.filter(household_id=lead.household_id, is_deceased=False).order_by("id")
    return [(p.pk, f"{p.name} · {p.get_relation_to_head_display()}") for p in people]


def _link_candidates(actor, lead: Lead) -> list[dict]:
    """Registered households of the lead's village with a member of the lead's name."""
    if lead.household_id or not lead.name:
        return []
    ids = Person.objects.filter(name=lead.name, area__code__startswith=lead.area_id[:12]).values("household_id")
    return [{"id": h.pk, "address": h.address, "head": h.head.name if h.head_id else ""}
            for h in in_scope(Household.objects.filter(pk__in=ids), actor).select_related("head")[:10]]


def _forms(actor, lead: Lead, bound: tuple[str, object] | None = None) -> dict:
    if not (actor.can(services.WORK) and lead.is_open):
        return {}
    forms = {
        "visit": VisitForm(),
        "close": CloseForm(),
        "merge": MergeForm(choices=_merge_choices(actor, lead)),
        "link": LinkForm() if not lead.household_id else None,
        "apply": ApplyForm(programs=[(p, case_pages.PROGRAM_LABELS[p]) for p in APPLY_PROGRAMS], members=_members(lead),
                           initial={"program": "dibao", "reason": (lead.description or lead.get_cause_display())[:500],
                                    "applicant": lead.person_id or (lead.household.head_id if lead.household_id else None)})
        if lead.household_id and actor.can("cases.apply") else None,
    }
    if bound:
        forms[bound[0]] = bound[1]
    return {name: form.mark_invalid() if form is not None else None for name, form in forms.items()}


def _render_lead(request, actor, lead_id, *, bound=None, status: int = 200):
    lead = selectors.get_lead(actor, lead_id)
    today = services.today()
    whole = sees_whole(actor)
    reports = list(lead.reports.select_related("reporter", "reporter_area").order_by("received_at", "id"))
    events = list(lead.events.select_related("by").order_by("at", "id"))
    since = None
    if lead.is_open:
        from . import clocks

        since = clocks.overdue_since(acknowledge_due_on=lead.acknowledge_due_on, visit_due_on=lead.visit_due_on,
                                     acknowledged=lead.acknowledged_at is not None, visited=lead.visited_at is not None)
        since = since if since and since < today else None
    return render(request, "discovery/lead_detail.html", {
        "lead": lead, "row": lead_row(lead, actor, today), "whole": whole,
        "name": (lead.name if whole else mask_name(lead.name)),
        "phone": lead.phone if whole else mask_phone(lead.phone),
        "address": lead.address if whole else "",
        "causes": [Cause(c).label for c in lead.causes if c in Cause.values],
        "reports": [{"report": r, "reporter": (r.reporter.last_name + r.reporter.first_name) or r.reporter.username,
                     "photo_url": reverse("discovery:lead_photo", args=[lead.pk, r.pk]) if r.photo else ""} for r in reports],
        "events": [{"event": e, "label": LeadEventKind(e.kind).label if e.kind in LeadEventKind.values else e.kind,
                    "by": ((e.by.last_name + e.by.first_name) or e.by.username) if e.by_id else _("the system"),
                    "detail": _event_detail(e)} for e in events],
        "overdue_since": since, "today": today, "forms": _forms(actor, lead, bound),
        "can_work": actor.can(services.WORK) and lead.is_open,
        "link_candidates": _link_candidates(actor, lead) if actor.can(services.WORK) and lead.is_open else [],
        "refer_url": _url_or_empty("discovery:refer_lead", lead.pk) if actor.can(services.WORK) and lead.is_open else "",
        "case_url": case_pages.case_url(lead.case_id) if lead.case_id else "",
    }, status=status)


def _event_detail(event) -> str:
    data = event.data or {}
    if event.kind == LeadEventKind.ESCALATED:
        return str(ESCALATION_TEXT.get(data.get("to"), ""))
    if event.kind == LeadEventKind.CLOSED and data.get("reason"):
        from .models import CloseReason
        return str(CloseReason(data["reason"]).label) if data["reason"] in CloseReason.values else ""
    if event.kind == LeadEventKind.VISITED:
        return _("in need") if data.get("in_need") else _("not in need")
    if event.kind in (LeadEventKind.OPENED, LeadEventKind.REPORT_JOINED) and data.get("cause") in Cause.values:
        return str(Cause(data["cause"]).label)
    if event.kind == LeadEventKind.MERGED and data.get("into"):
        return f"L{int(data['into']):06d}"
    return ""


@require_GET
@post_view(services.VIEW)
def lead_detail(request, actor, lead_id: int):
    return _render_lead(request, actor, lead_id)


ACTIONS = ("acknowledge", "visit", "close", "merge", "link", "apply")


@require_POST
@post_view(services.WORK)
def lead_act(request, actor, lead_id: int, action: str):
    """One action on the lead, checked by the service in its order: area (404), role (403),
    state (409, shown on the page), then the input (422, next to the field)."""
    if action not in ACTIONS:
        raise Http404(_("No such action."))
    lead = selectors.get_lead(actor, lead_id)
    form = None
    try:
        if action == "acknowledge":
            services.acknowledge_lead(actor=actor, lead_id=lead.pk)
            done = _("Acknowledged: the lead is yours.")
        elif action == "visit":
            form = VisitForm(request.POST)
            if not form.is_valid():
                return _render_lead(request, actor, lead_id, bound=(action, form), status=422)
            services.record_visit(actor=actor, lead_id=lead.pk, **form.cleaned_data)
            done = _("The visit is recorded.")
        elif action == "close":
            form = CloseForm(request.POST)
            if not form.is_valid():
                return _render_lead(request, actor, lead_id, bound=(action, form), status=422)
            services.close_lead(actor=actor, lead_id=lead.pk, **form.cleaned_data)
            done = _("The lead is closed.")
        elif action == "merge":
            form = MergeForm(request.POST, choices=_merge_choices(actor, lead))
            if not form.is_valid():
                return _render_lead(request, actor, lead_id, bound=(action, form), status=422)
            into = services.merge_leads(actor=actor, lead_id=lead.pk, into_id=form.cleaned_data["into"])
            messages.success(request, _("Merged into %(number)s.") % {"number": into.number})
            return redirect("discovery:lead", into.pk)
        elif action == "link":
            form = LinkForm(request.POST)
            if not form.is_valid():
                return _render_lead(request, actor, lead_id, bound=(action, form), status=422)
            services.link_household(actor=actor, lead_id=lead.pk, household_id=form.cleaned_data["household"])
            done = _("The household is linked.")
        else:
            actor.require("cases.apply")
            form = ApplyForm(request.POST, programs=[(p, p) for p in APPLY_PROGRAMS], members=_members(lead))
            if not form.is_valid():
                return _render_lead(request, actor, lead_id, bound=(action, form), status=422)
            lead = services.apply_from_lead(actor=actor, lead_id=lead.pk, program_code=form.cleaned_data["program"],
                                            applicant_id=form.cleaned_data["applicant"], reason=form.cleaned_data["reason"])
            messages.success(request, _("Application #%(id)s filed from the lead.") % {"id": lead.case_id})
            return redirect(case_pages.case_url(lead.case_id))
    except (NotFound, PermissionDenied):
        raise
    except SafetyNetError as exc:
        if form is not None:
            name = {"in_need": "in_need", "reason": "reason", "into": "into", "household": "household",
                    "applicant": "applicant", "program": "program"}.get(exc.field or "")
            form.is_valid()
            form.add_error(name if name in form.fields else None, exc.message)
            return _render_lead(request, actor, lead_id, bound=(action, form),
                                status=409 if isinstance(exc, Conflict) else 422)
        messages.error(request, exc.message)
        return redirect("discovery:lead", lead.pk)
    messages.success(request, done)
    return redirect("discovery:lead", lead.pk)


@download_view
@require_GET
@post_view(services.VIEW)
def lead_photo(request, actor, lead_id: int, report_id: int):
    """A report's photo, for a post that sees the lead (its area); anyone else 404."""
    lead = selectors.get_lead(actor, lead_id)
    report = GridReport.objects.filter(pk=report_id, lead_id=lead.pk).exclude(photo="").first()
    if report is None:
        raise Http404(_("Not found in your area."))
    return answer_file(private_root() / report.photo, filename=report.photo.rsplit("/", 1)[-1],
                       content_type=report.photo_type or "application/octet-stream", inline=True)


# ---------------------------------------------------------------------------------------------
# The county dashboard
# ---------------------------------------------------------------------------------------------
DASHBOARD_DAYS = (30, 90, 365)


def dashboard_days(value) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        return DASHBOARD_DAYS[0]
    return days if days in DASHBOARD_DAYS else DASHBOARD_DAYS[0]


@require_GET
@post_view(services.VIEW)
def dashboard(request, actor):
    """Response times by town (a chart fed by the API and the same figures in a table), leads by
    cause and source, warnings by cause, overdue and escalated by town, and the conversion from
    lead to enrollment. A town's post sees its own town."""
    days = dashboard_days(request.GET.get("days"))
    figures = selectors.dashboard(actor, today=services.today(), days=days)
    return render(request, "discovery/lead_dashboard.html", {
        "d": figures, "days": days, "day_choices": DASHBOARD_DAYS,
        "data_url": reverse("api-1:discovery_dashboard") + f"?days={days}",
    })


# ---------------------------------------------------------------------------------------------
# The home page's lines
# ---------------------------------------------------------------------------------------------
def home_queues(actor) -> list[dict]:
    """"My work" lines for leads: due today, overdue, escalated (posts that work leads); the open
    leads of the grid (posts that report)."""
    if actor is None or not actor.can(services.VIEW):
        return []
    counts = selectors.home_counts(actor, services.today())
    url = reverse("discovery:leads")
    lines = []
    if "overdue" in counts:
        lines += [
            {"label": _("Leads overdue"), "count": counts["overdue"], "url": f"{url}?overdue=1", "css": "status-overdue"},
            {"label": _("Leads due today"), "count": counts["due_today"], "url": f"{url}?due=today", "css": "status-waiting"},
            {"label": _("Leads escalated to me"), "count": counts["escalated"],
             "url": f"{url}?escalated={'county' if len(actor.area_code) <= 6 else 'any'}",
             "css": "status-overdue"},
        ]
    if "mine_open" in counts:
        lines.append({"label": _("Open leads of my grid"), "count": counts["mine_open"], "url": reverse("discovery:mine"),
                      "css": "status-new"})
    return lines
