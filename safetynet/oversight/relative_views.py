"""Pages of the close-relative register (issue 18 part 3): the filings the sweep found (the
county's list, a town's own), the register of declarations, one's own declarations, and the
comparison with the registry. Thin adapters over `workforce.relatives` and `oversight.relatives`.
"""
from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from safetynet.core.decorators import post_view
from safetynet.core.masking import mask_id_number
from safetynet.core.pagination import numbered_page
from safetynet.core.text import clean_text
from safetynet.registry.models import KinshipRelation
from safetynet.workforce import relatives as register
from safetynet.workforce.models import StaffIdentity
from safetynet.workforce.selectors import staff_identities_in_scope

from . import relatives
from .complaints import today
from safetynet.core.pagewrites import attempt

VIEW, KEEP = relatives.VIEW, relatives.KEEP
PAGE_SIZE = 25
DECLARE_FIELDS = ("staff_identity", "name", "id_number", "relation")


def _shown_id(actor, number: str) -> str:
    return number if actor.can("registry.view_id_number") else mask_id_number(number)


@require_safe
@post_view(VIEW)
def filing_list(request, actor):
    """The county's filings (found later first), or a town's own: the same page, scoped."""
    found = request.GET.get("found", "")
    found = found if found in ("later", "acceptance") else ""
    town = request.GET.get("town", "") if request.GET.get("town", "").isdigit() else ""
    q = clean_text(request.GET.get("q", ""), field="q")[:50]
    qs = relatives.filings_in_scope(actor, town=town, q=q,
                                    found_later={"later": True, "acceptance": False}.get(found))
    query = urlencode({k: v for k, v in (("found", found), ("town", town), ("q", q)) if v})
    return render(request, "oversight/relatives/filings.html", {
        "page": numbered_page(qs, request.GET.get("page"), PAGE_SIZE), "found": found, "town": town, "q": q,
        "query_string": query, "counts": relatives.filing_counts(actor),
        "may_sweep": actor.can(KEEP) and len(actor.area_code) <= 6, "county": actor.area_code[:6]})


@require_POST
@post_view(KEEP)
def sweep(request, actor):
    result, error = attempt(lambda: relatives.sweep_close_relatives(
        actor=actor, county_code=request.POST.get("county", ""), on=today()))
    if error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Sweep done: %(h)s households matched, %(n)s new filings (%(later)s found later).") % {
            "h": result.matched_households, "n": result.new_filings, "later": result.found_later})
    return redirect("oversight:relative_filings")


def _declare_form(request, actor, identities, *, own: bool):
    """Declare from a page's form: (form, error, done)."""
    form = {k: request.POST.get(k, "") for k in DECLARE_FIELDS}
    if own and len(identities) == 1:
        form["staff_identity"] = str(identities[0].pk)
    done, error = attempt(lambda: register.declare_relative(
        actor=actor, staff_identity_id=form["staff_identity"] or 0, name=form["name"], id_number=form["id_number"],
        relation=form["relation"], declared_on=today()))
    return form, error, done


@post_view(VIEW)
def register_page(request, actor):
    """The declarations of the staff in the post's area; a keeper of the register declares here
    for the staff of its area (village cadres without a login)."""
    identities = list(staff_identities_in_scope(actor).order_by("area_id", "name")[:500])
    form, error = {k: "" for k in DECLARE_FIELDS}, None
    if request.method == "POST":
        form, error, done = _declare_form(request, actor, identities, own=False)
        if done is not None:
            messages.success(request, _("Declared: %(name)s, %(relation)s of %(staff)s.") % {
                "name": done.name, "relation": done.get_relation_display(), "staff": done.staff_identity.name})
            return redirect("oversight:relative_register")
    show = request.GET.get("show", "active")
    q = clean_text(request.GET.get("q", ""), field="q")[:50]
    qs = register.declarations_in_scope(actor, active_only=show != "all")
    if q:
        qs = qs.filter(Q(staff_identity__name__contains=q) | Q(name__contains=q))
    page = numbered_page(qs, request.GET.get("page"), PAGE_SIZE)
    rows = [{"d": d, "id_number": _shown_id(actor, d.id_number), "may_withdraw": register.may_keep_for(actor, d.staff_identity)}
            for d in page]
    return render(request, "oversight/relatives/register.html", {
        "page": page, "rows": rows, "show": show, "q": q, "query_string": urlencode({"show": show, "q": q}),
        "identities": identities, "relations": KinshipRelation.choices, "form": form, "error": error,
        "may_declare": actor.can(KEEP) or actor.can("workforce.manage")}, status=422 if error else 200)


@require_POST
@post_view(VIEW)
def withdraw(request, actor, declaration_id: int):
    done, error = attempt(lambda: register.withdraw_declaration(
        actor=actor, declaration_id=declaration_id, reason=request.POST.get("reason", ""), on=today()))
    if error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Withdrawn: %(name)s.") % {"name": done.name})
    return redirect("oversight:my_relatives" if request.POST.get("next") == "mine" else "oversight:relative_register")


@login_required
def my_relatives(request):
    """A staff member's own declarations, whatever their post (a cadre, a town worker, a county
    officer): declared here for their own staff identity."""
    actor = getattr(request, "actor", None)
    if actor is None:
        raise DjangoPermissionDenied(_("You hold no post: ask the county office to assign one."))
    identities = list(StaffIdentity.objects.filter(user_id=actor.user_id, is_active=True)) if actor.user_id else []
    form, error = {k: "" for k in DECLARE_FIELDS}, None
    if request.method == "POST":
        form, error, done = _declare_form(request, actor, identities, own=True)
        if done is not None:
            messages.success(request, _("Declared: %(name)s.") % {"name": done.name})
            return redirect("oversight:my_relatives")
    declared = list(register.own_declarations(actor).order_by("-is_active", "id"))
    return render(request, "oversight/relatives/mine.html", {
        "identities": identities, "declared": declared, "relations": KinshipRelation.choices, "form": form,
        "error": error, "may_declare": bool(identities) and not actor.can(register.READ_ONLY)},
        status=422 if error else 200)


@require_safe
@post_view(VIEW)
def comparison(request, actor):
    towns = relatives.compare_register(actor)
    for town in towns:
        for row in town.staff:
            row.shown_undeclared = [dict(x, id_number=_shown_id(actor, x["id_number"])) for x in row.undeclared]
            row.shown_unlinked = [{"name": d.name, "id_number": _shown_id(actor, d.id_number),
                                   "relation": d.get_relation_display()} for d in row.unlinked]
    relation_labels = dict(KinshipRelation.choices)
    return render(request, "oversight/relatives/comparison.html", {"towns": towns, "relation_labels": relation_labels})
