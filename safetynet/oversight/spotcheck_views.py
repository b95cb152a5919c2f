"""Pages of the spot checks (issue 18 part 4): the county's campaigns, a new campaign with its
preview of sizes per town, a campaign's figures (error rates by town and worker, drawn with
ECharts from the page's JSON block, no inline script) and its sample (filters, pages, CSV/xlsx for
the visitors), and an item's re-visit form. Every write is the service the API calls."""
from __future__ import annotations

import io
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from safetynet.areas.models import Area
from safetynet.core.decorators import post_view
from safetynet.core.errors import SafetyNetError, ValidationError
from safetynet.core.pagination import numbered_page
from safetynet.core.privatefiles import answer_file
from safetynet.core.tabular import OFFICE_CSV, office_csv
from safetynet.programs.catalogue import ASSISTANCE_PROGRAMS, PROGRAMS

from . import spotchecks
from .spotcheck_models import ConfirmedBy, ItemReason, SizeMethod, Verdict
from .spotchecks import CampaignInput, RevisitInput

PAGE_SIZE = 50
EXPORT = "oversight.export"


def _program_choices():
    return [(code, PROGRAMS[code]["name"]) for code in ASSISTANCE_PROGRAMS]


@post_view(spotchecks.VIEW)
def campaign_list(request, actor):
    q = request.GET.get("q", "").strip()[:50]
    campaigns = spotchecks.campaigns_in_scope(actor)
    if q:
        campaigns = campaigns.filter(name__icontains=q)
    page = numbered_page(campaigns, request.GET.get("page"), PAGE_SIZE)
    return render(request, "oversight/spotchecks/campaign_list.html", {
        "page": page, "q": q, "query_string": urlencode({"q": q}) if q else "",
        "may_start": actor.can(spotchecks.SPOT_CHECK) and len(actor.area_code) <= 6})


def _input_from(post) -> CampaignInput:
    return CampaignInput(
        name=post.get("name", ""), programs=post.getlist("programs"), include_cases=bool(post.get("include_cases")),
        confirmed_by=post.get("confirmed_by", ConfirmedBy.TOWN), period_from=post.get("period_from") or None,
        period_to=post.get("period_to") or None, include_enrollments=bool(post.get("include_enrollments")),
        size_method=post.get("size_method", SizeMethod.RATIO), ratio=post.get("ratio") or None,
        confidence=post.get("confidence") or None, margin=post.get("margin") or None, seed=post.get("seed") or None)


@post_view(spotchecks.SPOT_CHECK)
def campaign_new(request, actor):
    county = actor.area_code[:6]
    values = request.POST if request.method == "POST" else {
        "programs": list(ASSISTANCE_PROGRAMS), "include_cases": "1", "include_enrollments": "1",
        "confirmed_by": ConfirmedBy.TOWN, "size_method": SizeMethod.RATIO}
    context = {"values": values, "programs_chosen": (request.POST.getlist("programs") if request.method == "POST"
                                                     else list(ASSISTANCE_PROGRAMS)),
               "program_choices": _program_choices(), "confirmed_choices": ConfirmedBy.choices,
               "size_choices": SizeMethod.choices, "county": Area.objects.filter(code=county).first()}
    if request.method == "POST":
        try:
            if "start" in request.POST:
                campaign = spotchecks.start_campaign(actor, county_code=county, item=_input_from(request.POST))
                messages.success(request, _("Campaign started: %(n)s households to re-visit.")
                                 % {"n": campaign.items.count()})
                return redirect("oversight:spotcheck_detail", campaign_id=campaign.pk)
            plan = spotchecks.plan_campaign(actor, county_code=county, item=_input_from(request.POST))
            context["plan"] = plan
            context["seed"] = plan.item.seed
        except ValidationError as error:
            context["error"] = error
    return render(request, "oversight/spotchecks/campaign_new.html", context)


def _filters(request) -> dict:
    return {k: request.GET.get(k, "").strip()[:50] for k in ("town", "verdict", "reason", "q")}


@post_view(spotchecks.VIEW)
def campaign_detail(request, actor, campaign_id: int):
    campaign = spotchecks.campaign_for(actor, campaign_id)
    filters = _filters(request)
    try:
        items = spotchecks.items_of(campaign, **filters)
    except SafetyNetError as error:
        messages.error(request, error.message)
        filters["q"] = ""
        items = spotchecks.items_of(campaign, **filters)
    page = numbered_page(items, request.GET.get("page"), PAGE_SIZE)
    rates = spotchecks.error_rates(campaign)
    check = spotchecks.redraw(campaign)
    risk_names = spotchecks.risk_names()
    rows = [{"item": i, "name": spotchecks.head_name(actor, i), "risks": [risk_names.get(r, r) for r in i.risks]}
            for i in page.rows]
    chart = {"towns": [r.label for r in rates.towns], "rates": [round((r.rate or 0) * 100, 1) for r in rates.towns],
             "wrong": [r.wrong for r in rates.towns], "checked": [r.checked for r in rates.towns],
             "labels": {"rate": _("Error rate (%)"), "wrong": _("Wrong verdicts"), "checked": _("Verdicts given")}}
    towns = Area.objects.filter(code__in=campaign.items.values("town_id")).order_by("code").values_list("code", "name")
    return render(request, "oversight/spotchecks/campaign_detail.html", {
        "campaign": campaign, "page": page, "rows": rows, "rates": rates, "check": check, "chart": chart,
        "filters": filters, "query_string": urlencode({k: v for k, v in filters.items() if v}),
        "towns": list(towns), "verdicts": Verdict.choices, "reasons": ItemReason.choices,
        "may_record": actor.can(spotchecks.SPOT_CHECK), "may_export": actor.can(EXPORT),
        "programs": [PROGRAMS.get(p, {}).get("name", p) for p in campaign.programs]})


@post_view(spotchecks.VIEW)
def item_page(request, actor, item_id: int):
    item = spotchecks.item_for(actor, item_id)
    values, error = {}, None
    if request.method == "POST":
        values = request.POST
        try:
            item = spotchecks.record_revisit(actor, item_id=item.pk, revisit=RevisitInput(
                visited_on=request.POST.get("visited_on"), visitors=request.POST.get("visitors", ""),
                found=request.POST.get("found", ""), verdict=request.POST.get("verdict", "")))
            if item.complaint_id:
                messages.warning(request, _("Verdict recorded; complaint %(ref)s is open for what was found.")
                                 % {"ref": item.complaint.reference})
            else:
                messages.success(request, _("Verdict recorded."))
            return redirect("oversight:spotcheck_detail", campaign_id=item.campaign_id)
        except ValidationError as err:   # a refusal by role or area is the page's 403 or 404
            error = err
    elif item.verdict:
        values = {"visited_on": item.visited_on.isoformat() if item.visited_on else "", "visitors": item.visitors,
                  "found": item.found, "verdict": item.verdict}
    return render(request, "oversight/spotchecks/item.html", {
        "item": item, "name": spotchecks.head_name(actor, item), "address_shown": spotchecks.may_see_names(actor),
        "values": values, "error": error, "verdicts": Verdict.choices, "may_record": actor.can(spotchecks.SPOT_CHECK),
        "program": spotchecks.program_name(item.program), "risks": [spotchecks.risk_names().get(r, r) for r in item.risks], "today": spotchecks.today().isoformat()})


@post_view(EXPORT)
def sample_export(request, actor, campaign_id: int, fmt: str):
    campaign = spotchecks.campaign_for(actor, campaign_id)
    header, rows = spotchecks.sample_table(actor, campaign)
    name = f"spot-check-{campaign.pk}"
    if fmt == "csv":
        return answer_file(office_csv(header, rows), filename=f"{name}.csv", content_type=OFFICE_CSV)
    if fmt != "xlsx":
        raise Http404()
    return answer_file(_xlsx(campaign.name, header, rows), filename=f"{name}.xlsx",
                       content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _xlsx(title: str, header: list[str], rows: list[list]) -> bytes:
    from openpyxl import Workbook   # heavy: loaded only for an export
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = (title.replace("/", " ").replace(":", " ")[:31]) or "sample"
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
