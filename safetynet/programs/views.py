"""Standards pages: the values in force for the actor's area (or an area under it) with their
source and origin, each key's history, and for county officers a form to set a value from a
month. Thin: reads through selectors, the write through services.set_parameter."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.areas.models import Area
from safetynet.core.errors import PermissionDenied, SafetyNetError, ValidationError
from safetynet.core.decorators import post_view
from safetynet.core.pagination import numbered_page

from . import catalogue, selectors, services
from .forms import SetParameterForm, StandardsAreaForm
from .selfcheck import parse_month

HISTORY_PAGE_SIZE = 25


programs_view = post_view("programs.view")


def _month(request) -> tuple[dt.date, str | None]:
    text = request.GET.get("month")
    if not text:
        return timezone.localdate().replace(day=1), None
    try:
        return parse_month(text), None
    except ValidationError as exc:
        return timezone.localdate().replace(day=1), exc.message


@programs_view
def index(request, actor):
    return redirect("programs:standards", code=catalogue.DIBAO)


@programs_view
def standards(request, actor, code: str):
    program = selectors.get_program(code)
    month, month_error = _month(request)
    if month_error:
        messages.error(request, month_error)
    typed = request.GET.get("area", "")
    area_form = StandardsAreaForm({"area": typed}, actor=actor)
    # A code in the address is the selector's to judge (outside the scope: 404); a name is resolved here.
    chosen = area_form.cleaned_data["area"] if area_form.is_valid() else (typed if typed.isdigit() else None)
    if not typed.isdigit():
        for error in area_form.errors.get("area", []):
            messages.error(request, error)
    area_code, rows = selectors.standards_in_force(actor, code, area_code=chosen or None, month=month)
    area = Area.objects.filter(code=area_code).first() if area_code else None
    can_edit = actor.can("programs.edit") and (
        (area is not None and area.level in services.SETTABLE_LEVELS) or (area is None and actor.is_national))
    form = SetParameterForm(request.POST or None, program=code,
                            initial={"key": request.GET.get("key"), "effective_from": timezone.localdate().strftime("%Y-%m")})
    if request.method == "POST":
        if not can_edit:
            raise DjangoPermissionDenied(_("Your post may not set standards for this area."))
        if form.is_valid():
            try:
                row = services.set_parameter(actor=actor, program_code=code, key=form.cleaned_data["key"], area_code=area_code,
                                             value=form.cleaned_data["value"], effective_from=form.cleaned_data["effective_from"],
                                             reason=form.cleaned_data["reason"])
            except PermissionDenied:
                raise
            except SafetyNetError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                spec = catalogue.get_spec(code, row.key)
                messages.success(request, _("%(label)s is %(value)s from %(month)s.") % {
                    "label": spec.label, "value": row.display_value, "month": row.effective_from.strftime("%Y-%m")})
                query = urlencode({k: v for k, v in {"area": area_code or "", "month": request.GET.get("month", "")}.items() if v})
                return redirect(reverse("programs:standards", args=[code]) + (f"?{query}" if query else ""))
    missing = [r for r in rows if r.value is None]
    return render(request, "programs/standards.html", {
        "program": program, "programs": selectors.list_programs(), "rows": rows, "missing": missing,
        "area": area, "area_code": area_code or "", "area_form": area_form, "month": month,
        "month_text": month.strftime("%Y-%m"), "form": form, "can_edit": can_edit,
    })


@programs_view
def history(request, actor, code: str, key: str):
    program = selectors.get_program(code)
    spec = catalogue.get_spec(code, key)
    if spec is None:
        raise Http404(_("No such parameter."))
    area_code = request.GET.get("area") or None
    rows = selectors.parameter_history(actor, code, key, area_code=area_code)
    page = numbered_page(rows, request.GET.get("page"), HISTORY_PAGE_SIZE)
    return render(request, "programs/history.html", {
        "program": program, "spec": spec, "page": page, "area_code": area_code or actor.area_code,
        "today": timezone.localdate(),
    })
