"""The county overview (issue 19 part 6): staffing, workload, training, subsidies, budgets,
purchased services and projects at a glance, each part's figures from its own selector
(`workforce.overview`, `workload.overview`, `funding.overview`, `services.overview`,
`services.project_overview`); this page only puts them side by side and draws them."""
from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from safetynet.areas.models import Area, Level
from safetynet.cases import clocks
from safetynet.core.decorators import post_view
from safetynet.core.errors import NotFound
from safetynet.funding.models import BudgetKind
from safetynet.funding.overview import funding_at_a_glance
from safetynet.services.overview import contracts_at_a_glance
from safetynet.services.project_overview import projects_at_a_glance
from safetynet.workforce.models import Employment
from safetynet.workforce.overview import staff_at_a_glance
from safetynet.workload.overview import workload_at_a_glance

OVERVIEW = "workforce.overview"


def _county(request, actor) -> Area | None:
    """The post's county; a post above a county (a city, a province, national) picks one of its
    counties (None until it has)."""
    if len(actor.area_code) >= 6:
        return Area.objects.get(code=actor.area_code[:6])
    code = (request.GET.get("county") or "").strip()
    if not code:
        return None
    county = Area.objects.filter(level=Level.COUNTY, code=code).first()
    if county is None or not actor.covers(county.code):
        raise NotFound(_("No such county in your scope: %(code)s.") % {"code": code})
    return county


@require_GET
@post_view(OVERVIEW)
def county_overview(request, actor):
    county = _county(request, actor)
    if county is None:
        counties = Area.objects.filter(level=Level.COUNTY, code__startswith=actor.area_code).order_by("code")
        return render(request, "dashboards/county_overview.html", {"counties": counties[:500]})
    today = clocks.today()
    staff = staff_at_a_glance(actor, county.code, today.year, on=today)
    work = workload_at_a_glance(actor, county.code, on=today)
    money = funding_at_a_glance(actor, county.code, today.year)
    contracts = contracts_at_a_glance(actor, county.code, on=today)
    projects = projects_at_a_glance(actor, county.code, today.year)
    employment = dict(Employment.choices)
    chart = {
        "staff": [{"name": str(employment.get(k, k or "—")), "value": n} for k, n in staff["by_employment"].items() if n],
        "budget": [{"kind": str(row_label), "budget": float(money["budget"][kind]["budget"]),
                    "spent": float(money["budget"][kind]["spent"])}
                   for kind, row_label in BudgetKind.choices if kind in money["budget"]],
    }
    return render(request, "dashboards/county_overview.html", {
        "county": county, "today": today, "staff": staff, "work": work, "money": money, "contracts": contracts,
        "projects": projects, "chart": chart, "employment": employment})

