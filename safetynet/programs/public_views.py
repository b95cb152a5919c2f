"""The public self-check page (no login): a resident picks the village and month, enters the
members and assets, and sees the answer with its breakdown. Same function as the JSON endpoint
(selfcheck.check_dibao_eligibility), same rate limit per client address.

Works without JavaScript: "Show towns/villages" and "Add a member" are ordinary submit buttons
that re-render the form; with htmx the town and village lists refresh on change."""
from __future__ import annotations

from django.http import HttpResponse
from django.utils.html import format_html
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from safetynet.areas.models import Area, Level
from safetynet.core.errors import ValidationError
from safetynet.core.money import format_yuan

from .forms import AreaPickForm, AssetsForm, MemberFormSet
from .selfcheck import check_dibao_eligibility
from .throttle import PublicCheckThrottle

MAX_OPTIONS = 2000


def _options(parent: str | None, level: str) -> list[tuple[str, str]]:
    qs = Area.objects.filter(level=level, is_active=True)
    if parent:
        qs = qs.filter(parent_id=parent)
    return list(qs.order_by("code").values_list("code", "name")[:MAX_OPTIONS])


def _put_error(exc: ValidationError, pick, members, assets) -> None:
    field = exc.field or ""
    if field == "area_code":
        pick.add_error("village", exc.message)
    elif field == "month":
        pick.add_error("month", exc.message)
    elif field.startswith("members.") and field.count(".") == 2:
        _, index, name = field.split(".")
        form = members.forms[int(index)] if index.isdigit() and int(index) < len(members.forms) else None
        if form is not None and name in form.fields:
            form.add_error(name, exc.message)
        else:
            pick.add_error(None, exc.message)
    elif field.startswith("assets.") and field.split(".", 1)[1] in assets.fields:
        assets.add_error(field.split(".", 1)[1], exc.message)
    else:
        pick.add_error(None, exc.message)


@require_http_methods(["GET", "POST"])
def self_check(request):
    data = request.POST if request.method == "POST" else None
    counties = _options(None, Level.COUNTY)
    county = (data or request.GET).get("county") or (counties[0][0] if len(counties) == 1 else "")
    town = (data or request.GET).get("town") or ""
    towns = _options(county, Level.TOWN) if county else []
    villages = _options(town, Level.VILLAGE) if town and any(code == town for code, _n in towns) else []
    pick = AreaPickForm(data, counties=counties, towns=towns, villages=villages,
                        initial={"county": county, "month": timezone.localdate().strftime("%Y-%m")})
    if data is not None and ("add_member" in data or "pick_area" in data):
        # Re-render with what was typed (plus a row), without checking anything yet.
        data = data.copy()
        total = int(data.get("form-TOTAL_FORMS") or 1)
        if "add_member" in data:
            data["form-TOTAL_FORMS"] = str(min(total + 1, 30))
        members = MemberFormSet(data)
        assets = AssetsForm(data)
        pick = AreaPickForm(data, counties=counties, towns=towns, villages=villages)
        return _render(request, pick, members, assets, None, hide_errors=True)

    members = MemberFormSet(data)
    assets = AssetsForm(data, initial={"homes": 1, "non_residential_properties": 0, "vehicles": 0, "businesses": 0})
    answer = None
    status = 200
    if data is not None:
        throttle = PublicCheckThrottle()
        if not throttle.allow_request(request):
            return render(request, "programs/self_check_throttled.html", status=429)
        valid = [pick.is_valid(), members.is_valid(), assets.is_valid()]
        if all(valid):
            rows = [f.cleaned_data for f in members.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
            try:
                answer = check_dibao_eligibility(
                    area_code=pick.cleaned_data["village"], month=pick.cleaned_data["month"],
                    members=rows, assets=assets.cleaned_data,
                )
            except ValidationError as exc:
                _put_error(exc, pick, members, assets)
        if answer is None:
            status = 422
    return _render(request, pick, members, assets, answer, status=status)


def _wire(pick) -> None:
    """htmx: a county's change reloads the towns, a town's change reloads the villages."""
    url = reverse("selfcheck:areas")
    pick.fields["county"].widget.attrs.update({"hx-get": f"{url}?level=town", "hx-target": "#id_town",
                                               "hx-trigger": "change", "hx-include": "this"})
    pick.fields["town"].widget.attrs.update({"hx-get": f"{url}?level=village", "hx-target": "#id_village",
                                             "hx-trigger": "change", "hx-include": "this"})


def _render(request, pick, members, assets, answer, *, status: int = 200, hide_errors: bool = False):
    """`hide_errors`: a re-render to add a row or load a list shows no errors for what is not
    filled in yet."""
    _wire(pick)
    context = {"pick": pick, "members": members, "assets": assets, "answer": answer, "hide_errors": hide_errors,
               "show_county": len(pick.fields["county"].choices) > 2}
    if answer is not None:
        context["answer_view"] = {
            "amount": format_yuan(answer.monthly_amount), "standard": format_yuan(answer.standard),
            "per_capita": format_yuan(answer.per_capita_income),
            "lines": [{"item": line["item"], "amount": format_yuan(line["amount"]), "rule": line["rule"]} for line in answer.breakdown],
        }
    return render(request, "programs/self_check.html", context, status=status)


@require_GET
def area_options(request):
    """htmx: the <option>s of the towns of a county (level=town&county=...) or of the villages
    of a town (level=village&town=...)."""
    level = request.GET.get("level")
    parent = request.GET.get("county") if level == Level.TOWN else request.GET.get("town") if level == Level.VILLAGE else None
    options = _options(parent, level) if parent else []
    html = [format_html('<option value="">{}</option>', _("— choose —"))]
    html += [format_html('<option value="{}">{}</option>', code, name) for code, name in options]
    return HttpResponse("".join(html))
