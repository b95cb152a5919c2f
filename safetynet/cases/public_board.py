"""The public notice board (no login), mounted at /notices/ (`public_board_urls.py`, namespace
"publicity"): the notices running in a village, as POLICY.md §7 allows them to be shown, an
objection form for each, and an A4 version to print and post.

The notices and objections are publicity's (models, services, selectors); these pages live in
cases because an objection from the board is a step of the case (`services.record_objection`) and
the board shows what runs on the business date (`clocks.today`): publicity sits below cases in the
import order (docs/architecture.md).

What a notice may say is fixed when it is written (publicity.services.post_notice: the name
masked to surname plus one character, the number of members, the amount); this page reads only
those columns (selectors.PUBLIC_FIELDS), so no ID number, address or health fact can appear.

An objection from the board goes through the same service a town worker uses
(cases.services.record_objection), acting as "the public" of that village: the only post whose
scope is the village and whose only right is to record an objection to its notices. It is rate
limited per client address.
"""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET, require_POST

from safetynet.areas.actors import build_actor
from safetynet.areas.models import Area, Level
from safetynet.core.errors import SafetyNetError
from safetynet.core.money import format_yuan
from safetynet.core.scoping import Actor
from safetynet.programs.throttle import PublicCheckThrottle
from safetynet.publicity.models import Notice, NoticeStatus, ObjectionState
from safetynet.publicity.selectors import public_notices

from . import clocks, services
from .letters import html_to_pdf

# What the board says of a notice with an objection (publicity.models.ObjectionState); an empty
# state with `republished` is a notice posted again after the town answered an objection.
OBJECTION_STATE_LABELS = {
    ObjectionState.UNDER_OBJECTION: _l("Under objection: the town is verifying"),
    ObjectionState.UPHELD: _l("Objection upheld: the town is reviewing the application again"),
    ObjectionState.NOT_UPHELD: _l("Objection verified and not upheld: the notice will be posted again"),
}
PROGRAM_LABELS = {"dibao": _l("minimum living guarantee (dibao)"), "special_hardship": _l("special hardship support"),
                  "temporary": _l("temporary assistance")}
OBJECTION_RATE = "10/h"


class ObjectionThrottle(PublicCheckThrottle):
    scope = "public_objection"

    def __init__(self):
        super().__init__(OBJECTION_RATE)


class PublicObjectionForm(forms.Form):
    content = forms.CharField(label=_l("Your objection (what is wrong, and how you know)"), max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}))
    objector_name = forms.CharField(label=_l("Your name (optional)"), required=False, max_length=50,
                                    widget=forms.TextInput(attrs={"class": "form-control"}))
    objector_contact = forms.CharField(label=_l("Phone or address to reach you (optional)"), required=False, max_length=50,
                                       widget=forms.TextInput(attrs={"class": "form-control"}))


def public_actor(village: Area) -> Actor:
    """The public of one village: may record an objection to that village's notices, nothing else
    (the case services check the area and the step exactly as for staff)."""
    return build_actor(user_id=None, username="public", role="public", area_code=village.code, post_id=None,
                       area_name=village.name, permissions=frozenset({"cases.notice"}))


def _village(code: str) -> Area:
    village = Area.objects.filter(code=code, level=Level.VILLAGE, is_active=True).select_related("parent").first()
    if village is None:
        raise Http404(_("No such village."))
    return village


def _rows(village: Area) -> list[dict]:
    today = clocks.today()
    return [{**n, "program": str(PROGRAM_LABELS.get(n["program_code"], n["program_code"])),
             "amount": format_yuan(n["monthly_amount"]),
             "objection": str(OBJECTION_STATE_LABELS.get(n["objection_state"], "")),
             "open_to_objection": n["objection_state"] in ("", ObjectionState.UNDER_OBJECTION)}
            for n in public_notices(village.code, today)]


def _board(request, village: Area, *, bound: tuple[int, PublicObjectionForm] | None = None, status: int = 200):
    rows = _rows(village)
    for row in rows:
        row["form"] = bound[1] if bound and bound[0] == row["id"] else PublicObjectionForm(prefix=f"n{row['id']}")
        row["open"] = bool(bound and bound[0] == row["id"])
    return render(request, "publicity/board.html", {"village": village, "rows": rows, "today": clocks.today()}, status=status)


@require_GET
def board(request, village_code: str):
    return _board(request, _village(village_code))


@require_POST
def object_to_notice(request, village_code: str, notice_id: int):
    village = _village(village_code)
    notice = Notice.objects.filter(pk=notice_id, area_id=village.code, status=NoticeStatus.POSTED).first()
    if notice is None:
        raise Http404(_("This notice is no longer posted."))
    form = PublicObjectionForm(request.POST, prefix=f"n{notice.pk}")
    if not ObjectionThrottle().allow_request(request):
        form.is_valid()
        form.add_error(None, _("Too many objections from this address: please try again later, or go to the town office."))
        return _board(request, village, bound=(notice.pk, form), status=429)
    if not form.is_valid():
        return _board(request, village, bound=(notice.pk, form), status=422)
    try:
        services.record_objection(actor=public_actor(village), case_id=notice.case_id, content=form.cleaned_data["content"],
                                  objector_name=form.cleaned_data["objector_name"],
                                  objector_contact=form.cleaned_data["objector_contact"])
    except SafetyNetError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _board(request, village, bound=(notice.pk, form), status=exc.status)
    messages.success(request, _("Thank you. Your objection was recorded; the town will look into it before anything is decided."))
    return redirect(reverse("publicity:board", args=[village.code]))


def _print_context(village: Area) -> dict:
    town = village.parent
    return {"village": village, "town": town, "rows": _rows(village), "today": clocks.today(),
            "printed_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
            "board_url": request_url(village)}


def request_url(village: Area) -> str:
    return reverse("publicity:board", args=[village.code])


@require_GET
def board_print(request, village_code: str):
    """The notice as an A4 page to print and post on the village board."""
    return render(request, "publicity/board_print.html", _print_context(_village(village_code)))


@require_GET
def board_pdf(request, village_code: str):
    village = _village(village_code)
    html = render_to_string("publicity/board_print.html", {**_print_context(village), "for_pdf": True}, request=request)
    response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="notice-{village.code}.pdf"'
    return response
