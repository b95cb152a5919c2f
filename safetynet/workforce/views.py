"""Pages of the staff register (issue 19 part 1): the list, a staff member's page, the register
and edit forms, qualifications, leaving. Thin adapters over `selectors`, `services` and
`standing`, which the API calls too. Reading needs `workforce.view`, writing `workforce.manage`;
a town's post sees and touches only its town (404 otherwise)."""
from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from safetynet.core.decorators import post_view
from safetynet.core.pagewrites import attempt
from safetynet.core.pagination import numbered_page

from . import selectors, services
from .clock import today
from .models import EMPLOYMENTS_OF_KIND, Employment, StaffKind
from .standing import hours_by_person
from .training_selectors import mentoring_in_scope

VIEW, MANAGE = selectors.VIEW, services.MANAGE
PAGE_SIZE = 25
STAFF_FIELDS = ("name", "id_number", "area", "kind", "employment", "post_title", "full_time_share", "joined_on", "login")
QUALIFICATION_FIELDS = ("name", "level", "certificate_number", "obtained_on", "expires_on")


def _filters(request, actor) -> dict:
    town, employment = selectors.checked_filters(actor, town=request.GET.get("town", ""),
                                                 employment=request.GET.get("employment", ""))
    return {"town": town, "employment": employment, "q": (request.GET.get("q") or "")[:50]}


@require_safe
@post_view(VIEW)
def staff_list(request, actor):
    filters = _filters(request, actor)
    on = today()
    page = numbered_page(selectors.staff_register(actor, **filters), request.GET.get("page"), PAGE_SIZE)
    hours = hours_by_person(actor, [s.pk for s in page], on.year)
    rows = [{"s": s, "id_number": selectors.shown_id_number(actor, s.id_number), "age": s.age_on(on), "hours": hours[s.pk]}
            for s in page]
    services.disclose_id_numbers(actor=actor, identity_ids=[s.pk for s in page], where=request.path)
    context = {"page": page, "rows": rows, "filters": filters, "towns": selectors.towns_for(actor),
               "employments": Employment.choices, "year": on.year, "may_manage": actor.can(MANAGE),
               "query_string": urlencode({k: v for k, v in filters.items() if v})}
    template = "workforce/_staff_rows.html" if request.htmx and request.htmx.target == "results" else "workforce/staff_list.html"
    return render(request, template, context)


def _detail(request, actor, identity, *, form=None, error=None, status=200):
    on = today()
    services.disclose_id_numbers(actor=actor, identity_ids=[identity.pk], where=request.path)
    return render(request, "workforce/staff_detail.html", {
        "s": identity, "id_number": selectors.shown_id_number(actor, identity.id_number), "age": identity.age_on(on),
        "posts": selectors.posts_of(identity), "qualifications": selectors.qualifications_of(actor, identity),
        "year": on.year, "hours": hours_by_person(actor, [identity.pk], on.year)[identity.pk],
        "pairs": mentoring_in_scope(actor, staff_identity_id=identity.pk), "form": form or {}, "error": error,
        "may_manage": actor.can(MANAGE) and identity.is_active, "today": on}, status=status)


@require_safe
@post_view(VIEW)
def staff_detail(request, actor, staff_id: int):
    return _detail(request, actor, selectors.get_staff(actor, staff_id))


@require_POST
@post_view(MANAGE)
def qualification_new(request, actor, staff_id: int):
    identity = selectors.get_staff(actor, staff_id)
    form = {k: request.POST.get(k, "") for k in QUALIFICATION_FIELDS}
    done, error = attempt(lambda: services.record_qualification(
        actor=actor, staff_identity_id=identity.pk, name=form["name"], level=form["level"],
        certificate_number=form["certificate_number"], obtained_on=form["obtained_on"], expires_on=form["expires_on"] or None))
    if done is not None:
        messages.success(request, _("Qualification recorded: %(q)s.") % {"q": done})
        return redirect("workforce:staff", staff_id=identity.pk)
    return _detail(request, actor, identity, form=form, error=error, status=422)


@require_POST
@post_view(MANAGE)
def staff_end(request, actor, staff_id: int):
    done, error = attempt(lambda: services.end_staff_identity(actor=actor, identity_id=staff_id))
    if error is not None:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(name)s has left the staff: the entry is kept.") % {"name": done.name})
    return redirect("workforce:staff", staff_id=staff_id)


def _kinds() -> list[dict]:
    return [{"value": k.value, "label": k.label, "employments": ",".join(EMPLOYMENTS_OF_KIND[k])} for k in StaffKind]


def _user_id(form) -> int | None:
    return selectors.user_id_for(form["login"]) if form["login"].strip() else None


@post_view(MANAGE)
def staff_new(request, actor):
    form = {k: request.POST.get(k, "") for k in STAFF_FIELDS} if request.method == "POST" else \
        {"area": actor.area_code, "full_time_share": "1.00"}
    error = None
    if request.method == "POST":
        done, error = attempt(lambda: services.register_staff_identity(
            actor=actor, name=form["name"], id_number=form["id_number"], area_code=form["area"], kind=form["kind"],
            employment=form["employment"], post_title=form["post_title"], full_time_share=form["full_time_share"],
            joined_on=form["joined_on"] or None, user_id=_user_id(form)))
        if done is not None:
            messages.success(request, _("%(name)s is registered.") % {"name": done.name})
            return redirect("workforce:staff", staff_id=done.pk)
    return render(request, "workforce/staff_form.html", {
        "form": form, "error": error, "kinds": _kinds(), "employments": Employment.choices, "new": True},
        status=422 if error else 200)


@post_view(MANAGE)
def staff_edit(request, actor, staff_id: int):
    identity = selectors.get_staff(actor, staff_id)
    error = None
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in STAFF_FIELDS}
        done, error = attempt(lambda: services.update_staff_identity(
            actor=actor, identity_id=identity.pk, name=form["name"], employment=form["employment"],
            post_title=form["post_title"], full_time_share=form["full_time_share"], joined_on=form["joined_on"] or None,
            user_id=_user_id(form)))
        if done is not None:
            messages.success(request, _("The register entry of %(name)s is saved.") % {"name": done.name})
            return redirect("workforce:staff", staff_id=done.pk)
    else:
        form = {"name": identity.name, "employment": identity.employment, "post_title": identity.post_title,
                "full_time_share": f"{identity.full_time_share:.2f}",
                "joined_on": identity.joined_on.isoformat() if identity.joined_on else "",
                "login": identity.user.username if identity.user_id else ""}
    return render(request, "workforce/staff_form.html", {
        "form": form, "error": error, "s": identity, "employments": [
            (e, Employment(e).label) for e in EMPLOYMENTS_OF_KIND[identity.kind]], "new": False},
        status=422 if error else 200)
