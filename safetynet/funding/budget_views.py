"""The budget pages (issue 19 part 3): the year's lines of the county and its towns (set, change,
remove; a county leader's approval of an overrun before a charge), and the spending page: budget
against spending per town and kind and the monthly spending, as ECharts charts fed by a JSON
view, with each line's warning and forecast. Thin adapters over budgets.py."""
from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from safetynet.areas.models import Area, Level
from safetynet.cases import clocks
from safetynet.core.decorators import post_view
from safetynet.core.pagewrites import attempt
from safetynet.core.pagination import numbered_page

from . import budgets, forecast, purchases
from .models import BudgetKind
from .scope import APPROVE_OVERRUN, BUDGET, VIEW

PAGE_SIZE = 40
LINE_FIELDS = ("area", "kind", "amount", "note")
OVERRUN_FIELDS = ("area", "kind", "source_kind", "source_key", "amount", "reason")


def _year(request) -> int:
    try:
        year = int(request.GET.get("year") or request.POST.get("year") or clocks.today().year)
    except ValueError:
        year = clocks.today().year
    return min(max(year, budgets.MIN_YEAR), budgets.MAX_YEAR)


def _areas(actor) -> list[Area]:
    """The county and towns a post may budget for (a town post: its town)."""
    code = actor.area_code
    qs = Area.objects.filter(level__in=[Level.COUNTY, Level.TOWN]).order_by("code")
    if code:
        qs = qs.filter(code__startswith=code[:9] if len(code) >= 9 else code)
    return list(qs[:300])


def _rows(states) -> list[dict]:
    return [{"s": s, "state": s.state, "warning": s.warning} for s in states]


@post_view(VIEW)
def budget_lines(request, actor):
    year = _year(request)
    form = {k: request.POST.get(k, request.GET.get(k, "")) for k in LINE_FIELDS}
    overrun = {k: request.POST.get(f"overrun_{k}", "") for k in OVERRUN_FIELDS}
    action, error = request.POST.get("action", ""), None
    if request.method == "POST":
        steps = {
            "set": (BUDGET, lambda: budgets.set_budget_line(actor=actor, year=year, area_code=form["area"], kind=form["kind"],
                                                            amount=form["amount"], note=form["note"])),
            "overrun": (APPROVE_OVERRUN, lambda: budgets.approve_overrun(
                actor=actor, area_code=overrun["area"], year=year, kind=overrun["kind"], source_kind=overrun["source_kind"],
                source_key=overrun["source_key"], amount=overrun["amount"], reason=overrun["reason"])),
        }
        if action not in steps:
            action = "set"
        permission, step = steps[action]
        done, error = attempt(lambda: (actor.require(permission), step())[1])
        if error is None:
            messages.success(request, {"set": _("Budget line saved."),
                                       "overrun": _("Overrun approved: the charge may now be made.")}[action])
            return redirect(f"{reverse('funding:budgets')}?year={year}")
    states = budgets.spending(actor, year=year, on=clocks.today())
    page = numbered_page(states, request.GET.get("page"), PAGE_SIZE)
    return render(request, "funding/budgets.html", {
        "year": year, "rows": _rows(page), "page": page, "query_string": f"year={year}", "form": form, "overrun": overrun,
        "action": action, "error": error, "areas": _areas(actor), "kinds": BudgetKind.choices,
        "may_budget": actor.can(BUDGET), "may_approve_overrun": actor.can(APPROVE_OVERRUN),
        "warnings": [s for s in states if s.state != forecast.OK],
        "charges": budgets.charges_in_scope(actor, year=year)[:20]}, status=422 if error else 200)


@require_GET
@post_view(VIEW)
def spending(request, actor):
    year = _year(request)
    states = budgets.spending(actor, year=year, on=clocks.today())
    return render(request, "funding/spending.html", {
        "year": year, "rows": _rows(states), "warnings": [s for s in states if s.state != forecast.OK],
        "data_url": f"{reverse('funding:spending_data')}?year={year}",
        "last_month": (clocks.today().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m"),
        "may_charge": actor.can(BUDGET) and len(actor.area_code) == 6})


@require_GET
@post_view(VIEW)
def spending_data(request, actor):
    """The charts' figures: budget and spent per area and kind, and spending by month and kind."""
    year = _year(request)
    states = budgets.spending(actor, year=year, on=clocks.today())
    monthly = budgets.monthly_spending(actor, year=year)
    kinds = [{"kind": k, "label": str(label)} for k, label in BudgetKind.choices]
    return JsonResponse({
        "year": year, "kinds": kinds,
        "lines": [{"area": s.line.area.name, "kind": s.line.kind, "budget": float(s.line.amount), "spent": float(s.spent),
                   "state": s.state} for s in states],
        "months": [f"{year}-{m:02d}" for m in range(1, 13)],
        "monthly": {kind: [float(v) for v in values] for kind, values in monthly.items()},
        "labels": {"budget": _("Budget"), "spent": _("Spent")}})


@require_POST
@post_view(BUDGET)
def charge_purchases(request, actor):
    """Charge a month's provider statements and project tranches to the purchased-services lines."""
    county = actor.area_code[:6]
    done, error = attempt(lambda: purchases.charge_purchased_services(actor=actor, county_code=county,
                                                                      month=request.POST.get("month", "")))
    if error is not None:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Purchased services of %(month)s: %(charged)d charged, %(refused)d refused.")
                         % {"month": request.POST.get("month", ""), "charged": len(done.charged), "refused": len(done.refused)})
        for row in done.refused:
            messages.warning(request, row["reason"])
        for row in done.charged:
            if row["warning"]:
                messages.warning(request, row["warning"])
    return redirect("funding:spending")


@require_POST
@post_view(BUDGET)
def line_remove(request, actor, line_id: int):
    line = budgets.get_budget_line(actor, line_id)
    done, error = attempt(lambda: budgets.remove_budget_line(actor=actor, line_id=line.pk))
    if error is not None:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Budget line removed."))
    return redirect(f"{reverse('funding:budgets')}?year={line.year}")
