"""The public board (no login), mounted at /notices/ (`public_board_urls.py`, namespace
"publicity"): find a village by name; a village's board with the 7-day notices running, its
standing roster of recipients and the latest month's additions and removals, as POLICY.md §7
allows them to be shown; an objection form for each notice and each roster line; an A4 page and
a PDF in Chinese for the village board, with a QR code to the board's page.

The pages live in oversight, the top of the import order (docs/architecture.md): they read the
notices and objections (publicity), take the case step an objection is (cases), and read the
rosters posted from enrollments (`roster_selectors`), whose objections become complaints here.

What a notice or a roster line may say is fixed when it is written (publicity.services.post_notice,
roster_services.post_boards: the name masked to surname plus one character, the number of
members, the amount); these pages read only those columns (publicity.selectors.PUBLIC_FIELDS,
roster_selectors.PUBLIC_ROW_FIELDS), so no ID number, address or health fact can appear.

An objection to a notice goes through the same service a town worker uses
(cases.services.record_objection), acting as "the public" of that village: the only post whose
scope is the village and whose only right is to record an objection to its notices; it files a
complaint too (oversight.complaints.file_objection_complaint). An objection to a roster line is a
complaint on the enrollment (complaints.file_complaint, channel "objection"). Either way the
objector is shown the complaint's token once, to follow it. Both are rate limited per client
address.
"""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
import segno
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET, require_POST

from safetynet.areas.actors import build_actor
from safetynet.areas.models import Area, Level
from safetynet.cases import clocks, services
from safetynet.cases.letters import html_to_pdf
from safetynet.core.errors import SafetyNetError
from safetynet.core.money import format_yuan
from safetynet.core.pagination import numbered_page
from safetynet.core.privatefiles import answer_file
from safetynet.core.scoping import Actor
from safetynet.programs.throttle import PublicCheckThrottle
from safetynet.publicity.models import Notice, NoticeStatus, ObjectionState
from safetynet.publicity.selectors import public_notices

from .complaints import ComplaintInput, file_complaint
from .models import CategoryCode, ComplaintChannel
from .roster_models import BoardChange, BoardKind
from .roster_selectors import latest_posting, public_row, public_rows, public_villages

# What the board says of a notice with an objection (publicity.models.ObjectionState); an empty
# state with `republished` is a notice posted again after the town answered an objection.
OBJECTION_STATE_LABELS = {
    ObjectionState.UNDER_OBJECTION: _l("Under objection: the town is verifying"),
    ObjectionState.UPHELD: _l("Objection upheld: the town is reviewing the application again"),
    ObjectionState.NOT_UPHELD: _l("Objection verified and not upheld: the notice will be posted again"),
}
PROGRAM_LABELS = {"dibao": _l("minimum living guarantee (dibao)"), "special_hardship": _l("special hardship support"),
                  "temporary": _l("temporary assistance")}
CHANGE_LABELS = {BoardChange.ADDED: _l("added"), BoardChange.REMOVED: _l("removed")}
OBJECTION_RATE = "10/h"
VILLAGES_PAGE_SIZE = 30
# Where a reporter follows a complaint with its token (the complaints part's public page).
FOLLOW_PATH = "/complaints/follow/"
# The session key under which the token of an objection just filed waits for the board's next
# page (shown once, then dropped: it never travels in a URL).
FILED_KEY = "publicity_filed"


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


def _list(village: Area, kind: str) -> dict | None:
    """The newest posted list of a kind in the village, its rows as the board shows them."""
    today = clocks.today()
    posting = latest_posting(village.code, kind, today)
    if posting is None:
        return None
    rows = [{**r, "program": str(PROGRAM_LABELS.get(r["program_code"], r["program_code"])),
             "amount": format_yuan(r["monthly_amount"]), "change_label": str(CHANGE_LABELS.get(r["change"], ""))}
            for r in public_rows(posting)]
    return {"posting": posting, "rows": rows, "running": posting.starts_on <= today <= posting.ends_on,
            "total": format_yuan(sum((r["monthly_amount"] for r in rows if r["change"] != BoardChange.REMOVED), start=0)),
            "added": sum(1 for r in rows if r["change"] == BoardChange.ADDED),
            "removed": sum(1 for r in rows if r["change"] == BoardChange.REMOVED)}


def board_url(request, village: Area) -> str:
    """The board's public address, as the QR code on the printed board gives it."""
    return request.build_absolute_uri(reverse("publicity:board", args=[village.code]))


def qr_svg(url: str) -> str:
    """The address as an inline SVG QR code (no script, no external file: fits the CSP and the PDF)."""
    return mark_safe(segno.make(url, error="m").svg_inline(scale=3, dark="#000", light="#fff"))


def _board(request, village: Area, *, bound: tuple[str, PublicObjectionForm] | None = None, status: int = 200):
    rows = _rows(village)
    for row in rows:
        key = f"n{row['id']}"
        row["form"] = bound[1] if bound and bound[0] == key else PublicObjectionForm(prefix=key)
        row["open"] = bool(bound and bound[0] == key)
    roster, changes = _list(village, BoardKind.ROSTER), _list(village, BoardKind.CHANGES)
    for listed in (roster, changes):
        for row in (listed or {}).get("rows", []):
            key = f"r{row['id']}"
            row["form"] = bound[1] if bound and bound[0] == key else PublicObjectionForm(prefix=key)
            row["open"] = bool(bound and bound[0] == key)
    filed = request.session.pop(FILED_KEY, None) if status == 200 else None
    return render(request, "oversight/roster/board.html", {
        "village": village, "rows": rows, "roster": roster, "changes": changes, "today": clocks.today(),
        "filed": filed if filed and filed.get("village") == village.code else None, "follow_path": FOLLOW_PATH},
        status=status)


@require_GET
def index(request):
    """Find a village's board by its name, its town's name or its code."""
    q = request.GET.get("q", "")
    page = numbered_page(public_villages(q), request.GET.get("page"), VILLAGES_PAGE_SIZE)
    return render(request, "oversight/roster/index.html", {
        "page": page, "q": q, "query_string": f"q={q}" if q else ""})


@require_GET
def board(request, village_code: str):
    return _board(request, _village(village_code))


def _throttled(request) -> bool:
    return not ObjectionThrottle().allow_request(request)


def _remember_filed(request, village: Area, token: str, reference: str) -> None:
    if token:
        request.session[FILED_KEY] = {"village": village.code, "token": token, "reference": reference}


@require_POST
def object_to_notice(request, village_code: str, notice_id: int):
    village = _village(village_code)
    notice = Notice.objects.filter(pk=notice_id, area_id=village.code, status=NoticeStatus.POSTED).first()
    if notice is None:
        raise Http404(_("This notice is no longer posted."))
    key = f"n{notice.pk}"
    form = PublicObjectionForm(request.POST, prefix=key)
    if _throttled(request):
        form.is_valid()
        form.add_error(None, _("Too many objections from this address: please try again later, or go to the town office."))
        return _board(request, village, bound=(key, form), status=429)
    if not form.is_valid():
        return _board(request, village, bound=(key, form), status=422)
    try:
        case = services.record_objection(actor=public_actor(village), case_id=notice.case_id,
                                         content=form.cleaned_data["content"],
                                         objector_name=form.cleaned_data["objector_name"],
                                         objector_contact=form.cleaned_data["objector_contact"])
    except SafetyNetError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _board(request, village, bound=(key, form), status=exc.status)
    _remember_filed(request, village, getattr(case, "objection_follow_token", ""),
                    getattr(case, "objection_complaint_reference", ""))
    messages.success(request, _("Thank you. Your objection was recorded; the town will look into it before anything is decided."))
    return redirect(reverse("publicity:board", args=[village.code]))


@require_POST
def object_to_roster(request, village_code: str, row_id: int):
    """An objection to a line of the roster or of the month's changes: a complaint on that
    enrollment, handled by the town (category `notice_objection`)."""
    village = _village(village_code)
    row = public_row(village.code, row_id, clocks.today())
    if row is None:
        raise Http404(_("This line is no longer on the board."))
    key = f"r{row.pk}"
    form = PublicObjectionForm(request.POST, prefix=key)
    if _throttled(request):
        form.is_valid()
        form.add_error(None, _("Too many objections from this address: please try again later, or go to the town office."))
        return _board(request, village, bound=(key, form), status=429)
    if not form.is_valid():
        return _board(request, village, bound=(key, form), status=422)
    name = form.cleaned_data["objector_name"]
    try:
        filed = file_complaint(None, ComplaintInput(
            channel=ComplaintChannel.OBJECTION, category=CategoryCode.NOTICE_OBJECTION,
            content=form.cleaned_data["content"], area_code=village.code, enrollment_id=row.enrollment_id,
            subject=_("Objection to the roster: %(name)s") % {"name": row.masked_name},
            anonymous=not name.strip(), reporter_name=name, reporter_contact=form.cleaned_data["objector_contact"]))
    except SafetyNetError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _board(request, village, bound=(key, form), status=exc.status)
    _remember_filed(request, village, filed.token, filed.complaint.reference)
    messages.success(request, _("Thank you. Your objection was recorded; the town will look into it."))
    return redirect(reverse("publicity:board", args=[village.code]))


def _print_context(request, village: Area) -> dict:
    url = board_url(request, village)
    return {"village": village, "town": village.parent, "rows": _rows(village), "today": clocks.today(),
            "printed_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"), "board_url": url, "qr": qr_svg(url)}


@require_GET
def board_print(request, village_code: str):
    """The notice as an A4 page to print and post on the village board."""
    return render(request, "oversight/roster/board_print.html", _print_context(request, _village(village_code)))


@require_GET
def board_pdf(request, village_code: str):
    village = _village(village_code)
    html = render_to_string("oversight/roster/board_print.html", {**_print_context(request, village), "for_pdf": True},
                            request=request)
    response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="notice-{village.code}.pdf"'
    return response


def village_board_html(request, village: Area) -> str:
    """The village board (notices, roster, the month's changes) as A4 HTML in Chinese."""
    with translation.override("zh-hans"):
        return render_to_string("oversight/roster/village_print.html", {
            **_print_context(request, village), "roster": _list(village, BoardKind.ROSTER),
            "changes": _list(village, BoardKind.CHANGES), "for_pdf": True}, request=request)


@require_GET
def village_board_pdf(request, village_code: str):
    """The village board as a PDF in Chinese, with a QR code to its page (public: it shows what
    the page shows, masked; answered through `answer_file` all the same, never cached)."""
    village = _village(village_code)
    return answer_file(html_to_pdf(village_board_html(request, village)), filename=f"board-{village.code}.pdf",
                       content_type="application/pdf", inline=True)
