"""Staff pages of the village boards (issue 18 part 1): the postings in the post's area (by
month, list and village, paginated) and the form that posts a month's rosters and changes for
every village of a town or county (`roster_services.post_monthly_boards`, the demo's door too)."""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safetynet.cases import clocks
from safetynet.core.decorators import post_view
from safetynet.core.errors import SafetyNetError
from safetynet.core.pagination import numbered_page

from .roster_models import BoardKind
from .roster_selectors import postings_in_scope
from .roster_services import POST, checked_month, post_monthly_boards

PAGE_SIZE = 50


@post_view("cases.view")
def board_list(request, actor):
    month_text, kind, q = request.GET.get("month", ""), request.GET.get("kind", ""), request.GET.get("q", "")
    try:
        month = checked_month(month_text) if month_text else None
    except SafetyNetError as error:
        messages.error(request, error.message)
        month = None
    page = numbered_page(postings_in_scope(actor, month=month, kind=kind, q=q), request.GET.get("page"), PAGE_SIZE)
    query = "&".join(f"{k}={v}" for k, v in (("month", month_text), ("kind", kind), ("q", q)) if v)
    return render(request, "oversight/roster/postings.html", {
        "page": page, "query_string": query, "month": month_text, "kind": kind, "q": q, "kinds": BoardKind.choices,
        "can_post": actor.can(POST), "this_month": clocks.today().strftime("%Y-%m"), "area_code": actor.area_code})


@require_POST
@post_view(POST)
def board_post(request, actor):
    try:
        result = post_monthly_boards(actor=actor, month=request.POST.get("month", ""),
                                     area_code=request.POST.get("area") or actor.area_code)
        messages.success(request, _("%(posted)s lists posted (%(rows)s lines); %(already)s were posted already.")
                         % {"posted": len(result.posted), "rows": result.rows, "already": result.already})
    except SafetyNetError as error:
        messages.error(request, error.message)
    return redirect("oversight:boards")
