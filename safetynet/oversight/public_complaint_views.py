"""The public complaint pages (no login), mounted at /complaints/ (`public_complaint_urls.py`,
namespace `complaints_public`): file a complaint about a village (found by a search), anonymously
or with a name and contact, with documents or photos; follow it with the token given once at
filing (POSTed, never in a URL), and ask for a review of the answer.

The follow page shows the states and the answers only (`complaints.public_timeline`): never a
staff note, a staff member's name or the reporter's identity. Each form is rate limited per
client address.
"""
from __future__ import annotations

from django.db.models import Q
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from safetynet.areas.models import Area, Level
from safetynet.core.errors import SafetyNetError
from safetynet.programs.throttle import PublicCheckThrottle

from . import complaints as svc
from .complaint_forms import AppealForm, PublicComplaintForm, TokenForm
from .complaint_views import CLOCK_CSS, category_choices, files_of
from .models import ClockState

PUBLIC_RATE = "20/h"


class ComplaintThrottle(PublicCheckThrottle):
    scope = "public_complaint"

    def __init__(self):
        super().__init__(PUBLIC_RATE)


def find_villages(q: str, chosen: str = "") -> list[tuple[str, str]]:
    """Villages whose name or code matches, with their town (at most 30), and the one chosen."""
    qs = Area.objects.filter(level=Level.VILLAGE, is_active=True)
    found = qs.filter(Q(name__contains=q) | Q(code__startswith=q))[:30] if q and len(q) >= 2 else []
    rows = {a.code: a for a in found}
    if chosen and chosen not in rows:
        extra = qs.filter(code=chosen).first()
        if extra is not None:
            rows[extra.code] = extra
    towns = dict(Area.objects.filter(code__in={c[:9] for c in rows}).values_list("code", "name"))
    return [(code, f"{a.name} · {towns.get(code[:9], '')}") for code, a in sorted(rows.items())]


def _too_many(request, form) -> bool:
    if ComplaintThrottle().allow_request(request):
        return False
    form.is_valid()
    form.add_error(None, _("Too many requests from this address: please try again later, or call the hotline."))
    return True


@require_http_methods(["GET", "POST"])
def new_complaint(request):
    """Search the village, then the form; on a refusal the text typed is kept."""
    q = (request.GET.get("q") or request.POST.get("q") or "").strip()[:30]
    chosen = (request.POST.get("village") or request.GET.get("village") or "").strip()[:18]
    villages = find_villages(q, chosen)
    categories = category_choices(chosen if chosen.isdigit() else "", public=True)
    form = PublicComplaintForm(request.POST or None, request.FILES or None, villages=villages, categories=categories,
                               initial={"village": chosen})
    status = 200
    if request.method == "POST":
        if _too_many(request, form):
            status = 429
        elif form.is_valid():
            d = form.cleaned_data
            try:
                filed = svc.file_complaint(None, svc.ComplaintInput(
                    channel="public", category=d["category"], content=d["content"], area_code=d["village"],
                    subject=d["subject"], anonymous=d["anonymous"], reporter_name=d["reporter_name"],
                    reporter_contact=d["reporter_contact"], attachments=files_of(request)))
            except SafetyNetError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                return render(request, "oversight/complaints/filed.html",
                              {"complaint": filed.complaint, "token": filed.token, "staff": False})
        status = status if status != 200 else 422
    return render(request, "oversight/complaints/public_new.html", {
        "form": form.mark_invalid(), "q": q, "villages": villages, "searched": bool(q)}, status=status)


def _follow_context(complaint) -> dict:
    state = svc.clock_state(complaint)
    return {"complaint": complaint, "timeline": svc.public_timeline(complaint),
            "clock": {"state": state, "label": ClockState(state).label, "css": CLOCK_CSS[state]},
            "may_appeal": svc.may_appeal(complaint), "appeal_until": svc.appeal_deadline(complaint),
            "appeals": list(complaint.appeals.all())}


@require_http_methods(["GET", "POST"])
def follow_complaint(request):
    """Type the token (POSTed): the status, the public timeline, and the review button."""
    form = TokenForm(request.POST or None)
    context: dict = {"form": form}
    status = 200
    if request.method == "POST":
        if _too_many(request, form):
            status = 429
        elif form.is_valid():
            try:
                complaint = svc.complaint_by_token(form.cleaned_data["token"])
            except SafetyNetError as exc:
                form.add_error("token", exc.message)
                status = 404
            else:
                context.update(_follow_context(complaint))
                context["appeal_form"] = AppealForm(initial={"token": form.cleaned_data["token"]})
    context["form"] = form.mark_invalid()
    return render(request, "oversight/complaints/public_follow.html", context, status=status)


@require_http_methods(["POST"])
def appeal(request):
    """Ask for a review of the answer: a new complaint one level up, with its own token."""
    form = AppealForm(request.POST)
    status = 422
    if _too_many(request, form):
        status = 429
    elif form.is_valid():
        try:
            filed = svc.appeal_complaint(token=form.cleaned_data["token"], reason=form.cleaned_data["reason"])
        except SafetyNetError as exc:
            form.add_error("reason" if exc.field == "reason" else None, exc.message)
            status = exc.status
        else:
            return render(request, "oversight/complaints/filed.html",
                          {"complaint": filed.complaint, "token": filed.token, "staff": False, "appeal": True})
    context: dict = {"form": TokenForm(initial={"token": request.POST.get("token", "")}), "appeal_form": form.mark_invalid()}
    try:
        context.update(_follow_context(svc.complaint_by_token(request.POST.get("token", ""))))
    except SafetyNetError:
        pass
    return render(request, "oversight/complaints/public_follow.html", context, status=status)
