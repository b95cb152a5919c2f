"""The complaint pages for staff (`/oversight/complaints/`, namespace `oversight`): the list with
its filters and counts by clock state, the intake of hotline calls, letters and visits, the
complaint page with the actions this post may take, its attachments, and a county's categories.
Thin adapters: reads through `complaint_selectors`, writes through `complaints`, the functions the
API calls. The reporter's name and contact appear only for `complaints.may_see_reporter`.
"""
from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safetynet.areas.models import Area
from safetynet.cases import pages as case_pages
from safetynet.core.decorators import post_view
from safetynet.core.errors import NotFound, PermissionDenied, SafetyNetError
from safetynet.core.pagination import numbered_page
from safetynet.core.privatefiles import answer_file, download_view, private_root
from safetynet.core.scoping import get_in_scope, in_scope

from . import complaints as svc
from .complaint_forms import (
    AssignForm, CategoryForm, DecideForm, IntakeForm, NoteForm, OptionalNoteForm, ReplyForm,
)
from .complaint_selectors import ComplaintFilter, clock_counts, filtered_complaints
from .models import (
    ClockState, Complaint, ComplaintAttachment, ComplaintCategory, ComplaintChannel, ComplaintEventKind,
    ComplaintFinding, ComplaintStatus,
)

PAGE_SIZE = 30
STATUS_CSS = {ComplaintStatus.RECEIVED: "status-new", ComplaintStatus.ASSIGNED: "status-progress",
              ComplaintStatus.INVESTIGATING: "status-progress", ComplaintStatus.DECIDED: "status-waiting",
              ComplaintStatus.REPLIED: "status-approved", ComplaintStatus.CLOSED: "status-refused"}
CLOCK_CSS = {ClockState.ON_TRACK: "bg-success", ClockState.AT_RISK: "bg-warning text-dark",
             ClockState.BREACHED: "bg-danger", ClockState.DONE: "bg-secondary"}
HIDDEN = _l("hidden (only the county's supervision inspector sees who filed)")


def clock_badge(complaint: Complaint, on) -> dict:
    state = svc.clock_state(complaint, on)
    return {"state": state, "label": ClockState(state).label, "css": CLOCK_CSS[state]}


def complaint_row(complaint: Complaint, on) -> dict:
    return {
        "complaint": complaint, "id": complaint.pk, "reference": complaint.reference, "subject": complaint.subject,
        "category": complaint.category.label, "channel": complaint.get_channel_display(), "area": complaint.area.name,
        "office": complaint.handling_area.name, "status": complaint.get_status_display(),
        "status_css": STATUS_CSS.get(complaint.status, ""), "clock": clock_badge(complaint, on),
        "due": svc.next_due(complaint) if complaint.is_open else None, "received_on": complaint.received_on,
        "escalations": complaint.escalations, "appeal": complaint.appeal_of_id is not None,
        "url": reverse("oversight:complaint", args=[complaint.pk]),
    }


def reporter_of(complaint: Complaint, actor) -> dict:
    """What a page says of who filed: the identity for the supervision inspector alone."""
    if complaint.anonymous:
        return {"name": _("anonymous"), "contact": ""}
    if svc.may_see_reporter(actor):
        return {"name": complaint.reporter_name, "contact": complaint.reporter_contact}
    return {"name": str(HIDDEN), "contact": ""}


def _filters(params) -> ComplaintFilter:
    def pick(name, allowed):
        value = params.get(name) or ""
        return value if value in allowed else ""
    town = params.get("town") or ""
    return ComplaintFilter(
        status=pick("status", ["open", *ComplaintStatus.values]), clock=pick("clock", ClockState.values),
        category=(params.get("category") or "")[:40], channel=pick("channel", ComplaintChannel.values),
        town=town if town.isdigit() and len(town) == 9 else "", q=(params.get("q") or "").strip()[:60])


@require_GET
@post_view(svc.VIEW)
def complaint_list(request, actor):
    """The complaints the post's offices handle: counts by clock state (each a link), filters,
    search by reference or subject, a page at a time."""
    today = svc.today()
    filters = _filters(request.GET)
    qs = filtered_complaints(actor, filters, today).select_related("category", "area", "handling_area")
    page = numbered_page(qs, request.GET.get("page"), PAGE_SIZE)
    towns = in_scope(Area.objects.filter(level="town"), actor, "parent") if len(actor.area_code) <= 6 else Area.objects.none()
    if actor.is_national:
        towns = Area.objects.none()
    codes = sorted({c.code for c in ComplaintCategory.objects.all()})
    labels = {c.code: c.label for c in ComplaintCategory.objects.filter(area__isnull=True)}
    return render(request, "oversight/complaints/list.html", {
        "rows": [complaint_row(c, today) for c in page], "page": page, "filters": filters,
        "query_string": urlencode(filters.as_query()), "counts": [
            {"state": s, "label": ClockState(s).label, "count": n, "css": CLOCK_CSS[s]}
            for s, n in clock_counts(actor, today).items()],
        "statuses": [("open", _("open")), *ComplaintStatus.choices], "clocks": ClockState.choices,
        "categories": [(code, labels.get(code, code)) for code in codes], "channels": ComplaintChannel.choices,
        "towns": list(towns.order_by("code").values_list("code", "name")[:100]),
        "can_take": actor.can(svc.TAKE), "can_categories": actor.can(svc.HANDLE) and 0 < len(actor.area_code) <= 6,
    })


# ---------------------------------------------------------------------------------------------
# Intake (hotline, letter, visit)
# ---------------------------------------------------------------------------------------------
def _area_choices(actor) -> list[tuple[str, str]]:
    qs = Area.objects.filter(level__in=("town", "village"), is_active=True)
    qs = in_scope(qs, actor, "parent") if not actor.is_national else qs.none()
    if len(actor.area_code) == 9:
        qs = Area.objects.filter(code=actor.area_code) | qs
    return [(a.code, f"{a.name} ({a.code})") for a in qs.order_by("code")[:600]]


def category_choices(area_code: str, *, public: bool = False) -> list[tuple[str, str]]:
    rows = svc.categories_for(area_code) if area_code else [
        c for c in ComplaintCategory.objects.filter(area__isnull=True, is_active=True)]
    return [(c.code, c.label) for c in rows if c.code != "control_finding" or not public]


def files_of(request) -> list[tuple[str, bytes]]:
    return [(f.name, f.read()) for f in request.FILES.getlist("attachments")[:svc.MAX_ATTACHMENTS + 1]]


@require_http_methods(["GET", "POST"])
@post_view(svc.TAKE)
def complaint_intake(request, actor):
    """A complaint typed in from the hotline, a letter or a visit."""
    areas = _area_choices(actor)
    categories = category_choices(actor.area_code if len(actor.area_code) >= 6 else "", public=True)
    form = IntakeForm(request.POST or None, request.FILES or None, areas=areas, categories=categories)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            filed = svc.file_complaint(actor, svc.ComplaintInput(
                channel=d["channel"], category=d["category"], content=d["content"], area_code=d["area"],
                subject=d["subject"], anonymous=d["anonymous"], reporter_name=d["reporter_name"],
                reporter_contact=d["reporter_contact"], case_id=d["case"], received_on=d["received_on"],
                attachments=files_of(request)))
        except SafetyNetError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return render(request, "oversight/complaints/filed.html", {"complaint": filed.complaint, "token": filed.token,
                                                                       "staff": True})
    return render(request, "oversight/complaints/intake.html", {"form": form.mark_invalid()},
                  status=422 if form.errors else 200)


# ---------------------------------------------------------------------------------------------
# The complaint page and its actions
# ---------------------------------------------------------------------------------------------
def _forms(actor, complaint: Complaint, bound=None) -> dict:
    actions = svc.allowed_actions(complaint, actor)
    forms = {}
    if "assign" in actions:
        forms["assign"] = AssignForm(choices=[(u.pk, (u.last_name + u.first_name) or u.username)
                                              for u in svc.assignable_users(complaint)],
                                     initial={"assignee": complaint.assigned_to_id})
    if "investigate" in actions:
        forms["investigate"] = OptionalNoteForm()
    if "note" in actions:
        forms["note"] = NoteForm()
    if "decide" in actions:
        forms["decide"] = DecideForm()
    if "reply" in actions:
        forms["reply"] = ReplyForm()
    if "close" in actions:
        forms["close"] = OptionalNoteForm()
    if "reopen_case" in actions:
        forms["reopen_case"] = None
    if bound:
        forms[bound[0]] = bound[1]
    return {name: form.mark_invalid() if form is not None else None for name, form in forms.items()}


def _event_label(event) -> str:
    label = ComplaintEventKind(event.kind).label if event.kind in ComplaintEventKind.values else event.kind
    data = event.data or {}
    if event.kind == ComplaintEventKind.ESCALATED:
        names = dict(Area.objects.filter(code__in=[data.get("from", ""), data.get("to", "")]).values_list("code", "name"))
        return f"{label}: {names.get(data.get('from'), '')} → {names.get(data.get('to'), '')}"
    if event.kind == ComplaintEventKind.DECIDED and data.get("finding") in ComplaintFinding.values:
        return f"{label}: {ComplaintFinding(data['finding']).label}"
    return str(label)


def _render(request, actor, complaint_id, *, bound=None, status=200):
    complaint = get_in_scope(svc.complaints_in_scope(actor).select_related(
        "category", "area", "handling_area", "assigned_to", "appeal_of"), actor, "handling_area", pk=complaint_id)
    today = svc.today()
    events = list(complaint.events.order_by("at", "id"))
    return render(request, "oversight/complaints/detail.html", {
        "complaint": complaint, "row": complaint_row(complaint, today), "reporter": reporter_of(complaint, actor),
        "events": [{"event": e, "label": _event_label(e)} for e in events],
        "attachments": [{"a": a, "url": reverse("oversight:complaint_file", args=[complaint.pk, a.pk])}
                        for a in complaint.attachments.all()],
        "appeals": list(complaint.appeals.all()), "forms": _forms(actor, complaint, bound),
        "case_url": case_pages.case_url(complaint.case_id) if complaint.case_id else "",
        "assignee": ((complaint.assigned_to.last_name + complaint.assigned_to.first_name) or complaint.assigned_to.username)
        if complaint.assigned_to_id else "",
        "follow_up": complaint.get_follow_up_display() if complaint.follow_up else "",
    }, status=status)


@require_GET
@post_view(svc.VIEW)
def complaint_detail(request, actor, complaint_id: int):
    return _render(request, actor, complaint_id)


ACTION_FORMS = {"assign": AssignForm, "investigate": OptionalNoteForm, "note": NoteForm, "decide": DecideForm,
                "reply": ReplyForm, "close": OptionalNoteForm}


@require_POST
@post_view(svc.HANDLE)
def complaint_act(request, actor, complaint_id: int, action: str):
    """One action, checked by its service: area (404), role (403), order (409), input (422)."""
    if action == "reopen_case":
        try:
            svc.reopen_concerned_case(actor=actor, complaint_id=complaint_id)
        except SafetyNetError as exc:
            if isinstance(exc, NotFound):
                raise
            messages.error(request, exc.message)
        return redirect("oversight:complaint", complaint_id)
    if action not in ACTION_FORMS:
        raise NotFound(_("Not found."))
    complaint = get_in_scope(svc.complaints_in_scope(actor), actor, "handling_area", pk=complaint_id)
    kwargs = {"choices": [(u.pk, u.username) for u in svc.assignable_users(complaint)]} if action == "assign" else {}
    form = ACTION_FORMS[action](request.POST, **kwargs)
    if not form.is_valid():
        return _render(request, actor, complaint_id, bound=(action, form), status=422)
    d = form.cleaned_data
    calls = {
        "assign": lambda: svc.assign_complaint(actor=actor, complaint_id=complaint_id, assignee_id=d["assignee"]),
        "investigate": lambda: svc.start_investigation(actor=actor, complaint_id=complaint_id, note=d["note"]),
        "note": lambda: svc.add_complaint_note(actor=actor, complaint_id=complaint_id, note=d["note"]),
        "decide": lambda: svc.decide_complaint(actor=actor, complaint_id=complaint_id, finding=d["finding"],
                                               result=d["result"]),
        "reply": lambda: svc.reply_to_reporter(actor=actor, complaint_id=complaint_id, answer=d["answer"]),
        "close": lambda: svc.close_complaint(actor=actor, complaint_id=complaint_id, note=d["note"]),
    }
    try:
        calls[action]()
    except SafetyNetError as exc:
        if isinstance(exc, NotFound) and not exc.field:
            raise
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _render(request, actor, complaint_id, bound=(action, form), status=exc.status)
    messages.success(request, _("Done: %(action)s.") % {"action": svc.ACTION_LABELS[action]})
    return redirect("oversight:complaint", complaint_id)


@download_view
@require_GET
@post_view(svc.VIEW)
def complaint_file(request, actor, complaint_id: int, attachment_id: int):
    """An attachment, for the posts that see the complaint (404 for anyone else)."""
    complaint = get_in_scope(svc.complaints_in_scope(actor), actor, "handling_area", pk=complaint_id)
    attachment = ComplaintAttachment.objects.filter(complaint=complaint, pk=attachment_id).first()
    if attachment is None:
        raise NotFound(_("Not found."))
    return answer_file(private_root() / attachment.stored_name, filename=attachment.original_name,
                       content_type=attachment.content_type)


# ---------------------------------------------------------------------------------------------
# A county's categories
# ---------------------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@post_view(svc.HANDLE)
def complaint_categories(request, actor):
    """The categories in use in the post's county, with their limits; the county overrides a
    national one's limits or adds its own."""
    if len(actor.area_code) != 6:
        raise PermissionDenied(_("A county office sets its categories: act as a post of a county."), code="forbidden")
    county = actor.area_code
    form = CategoryForm(request.POST or None, initial={"is_active": True})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            svc.save_county_category(actor=actor, county_code=county, code=d["code"], name=d["name"],
                                     sensitive=d["sensitive"], response_days=d["response_days"],
                                     resolution_days=d["resolution_days"], is_active=d["is_active"])
        except SafetyNetError as exc:
            if isinstance(exc, NotFound) and not exc.field:
                raise
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The category was saved."))
            return redirect("oversight:complaint_categories")
    rows = svc.categories_for(county) if county else []
    return render(request, "oversight/complaints/categories.html", {
        "form": form.mark_invalid(), "rows": rows, "county": county,
        "inactive": list(ComplaintCategory.objects.filter(area_id=county, is_active=False)) if county else [],
    }, status=422 if form.errors else 200)


def home_queues(actor) -> list[dict]:
    """"My work" lines: complaints breached and at risk in the post's offices."""
    if actor is None or not actor.can(svc.HANDLE):
        return []
    counts = clock_counts(actor, svc.today())
    url = reverse("oversight:complaints")
    return [
        {"label": _("Complaints past their deadline"), "count": counts[ClockState.BREACHED],
         "url": f"{url}?clock=breached", "css": "status-overdue"},
        {"label": _("Complaints due soon"), "count": counts[ClockState.AT_RISK], "url": f"{url}?clock=at_risk",
         "css": "status-waiting"},
    ]
