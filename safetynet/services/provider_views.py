"""Pages of providers and contracts (issue 19 part 4): the providers a post reads (search, pages)
and the county's register form; a provider with its workers; contracts (search, status), the
county's new-contract form, and a contract's page with its tasks by status, its quality from the
spot checks (an ECharts bar fed by the page's JSON block) and its statements. Thin adapters over
the services the API calls too."""
from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from safetynet.areas.models import Area, Level
from safetynet.core.decorators import post_view
from safetynet.core.pagewrites import attempt
from safetynet.core.pagination import numbered_page
from safetynet.workforce.models import StaffIdentity

from . import contracts, providers, selectors, statements
from .models import ContractStatus, Pricing, ServiceScope, TaskStatus
from .quality import chart_of, quality_of
from .tasks import ACCEPT, MANAGE, today

VIEW = selectors.VIEW
PAGE_SIZE = 25
PROVIDER_FIELDS = ("name", "uscc", "registration_authority", "contact_person", "phone", "address")
CONTRACT_FIELDS = ("reference", "area", "starts_on", "ends_on", "pricing", "unit_price", "lump_sum", "quality_target")


def _may_manage(actor) -> bool:
    return actor.can(MANAGE) and 0 < len(actor.area_code) <= 6


@post_view(VIEW)
def provider_list(request, actor):
    q = request.GET.get("q", "").strip()[:50]
    form = {k: request.POST.get(k, "") for k in PROVIDER_FIELDS}
    error = None
    if request.method == "POST":
        done, error = attempt(lambda: providers.register_provider(actor=actor, county_code=actor.area_code[:6], **form))
        if done is not None:
            messages.success(request, _("%(name)s registered.") % {"name": done.name})
            return redirect("services:provider", provider_id=done.pk)
    page = numbered_page(selectors.providers_for(actor, q=q), request.GET.get("page"), PAGE_SIZE)
    template = "services/_provider_rows.html" if request.headers.get("HX-Request") else "services/providers.html"
    return render(request, template, {
        "page": page, "q": q, "query_string": urlencode({"q": q}) if q else "", "form": form, "error": error,
        "may_manage": _may_manage(actor)}, status=422 if error else 200)


@post_view(VIEW)
def provider_detail(request, actor, provider_id: int):
    provider = selectors.get_provider(actor, provider_id)
    error = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        steps = {
            "add_worker": lambda: providers.register_provider_worker(
                actor=actor, provider_id=provider.pk, staff_identity_id=request.POST.get("staff_identity", "")),
            "end_worker": lambda: providers.end_provider_worker(actor=actor, worker_id=request.POST.get("worker", "")),
            "deactivate": lambda: providers.set_provider_active(actor=actor, provider_id=provider.pk, active=False),
            "activate": lambda: providers.set_provider_active(actor=actor, provider_id=provider.pk, active=True),
        }
        if action not in steps:
            raise Http404()
        if action == "end_worker" and not str(request.POST.get("worker", "")).isdigit():
            raise Http404()
        done, error = attempt(steps[action])
        if done is not None:
            messages.success(request, _("Saved."))
            return redirect("services:provider", provider_id=provider.pk)
    q = request.GET.get("q", "").strip()[:50]
    candidates = []
    if _may_manage(actor):
        taken = provider.workers.filter(is_active=True).values("staff_identity_id")
        qs = StaffIdentity.objects.filter(area__code__startswith=provider.area_id, is_active=True).exclude(pk__in=taken)
        if q:
            qs = qs.filter(name__icontains=q)
        candidates = list(qs.select_related("area").order_by("name")[:50])
    return render(request, "services/provider.html", {
        "provider": provider, "workers": selectors.workers_of(provider), "error": error, "q": q,
        "candidates": candidates, "may_manage": _may_manage(actor) and actor.covers(provider.area_id),
        "contracts": selectors.contracts_for(actor, provider_id=provider.pk)[:50]}, status=422 if error else 200)


def _status_choices():
    return [("", _("all")), *ContractStatus.choices]


@require_safe
@post_view(VIEW)
def contract_list(request, actor):
    q = request.GET.get("q", "").strip()[:50]
    status = request.GET.get("status", "")
    status = status if status in ContractStatus.values else ""
    page = numbered_page(selectors.contracts_for(actor, q=q, status=status), request.GET.get("page"), PAGE_SIZE)
    qs = {k: v for k, v in (("q", q), ("status", status)) if v}
    template = "services/_contract_rows.html" if request.headers.get("HX-Request") else "services/contracts.html"
    return render(request, template, {
        "page": page, "q": q, "status": status, "statuses": _status_choices(), "query_string": urlencode(qs),
        "may_manage": _may_manage(actor)})


@post_view(MANAGE)
def contract_new(request, actor):
    source = request.POST if request.method == "POST" else request.GET
    form = {k: source.get(k, "") for k in CONTRACT_FIELDS}
    form["provider"] = source.get("provider", "")
    form["scopes"] = source.getlist("scopes")
    if request.method != "POST":
        form["area"] = form["area"] or actor.area_code
        form["pricing"] = form["pricing"] or Pricing.PER_TASK
        form["quality_target"] = form["quality_target"] or "0.95"
    error = None
    if request.method == "POST":
        done, error = attempt(lambda: contracts.draw_up_contract(
            actor=actor, provider_id=form["provider"] if str(form["provider"]).isdigit() else 0,
            reference=form["reference"], area_code=form["area"], scopes=form["scopes"], starts_on=form["starts_on"],
            ends_on=form["ends_on"], pricing=form["pricing"], unit_price=form["unit_price"], lump_sum=form["lump_sum"],
            quality_target=form["quality_target"]))
        if done is not None:
            messages.success(request, _("Contract %(ref)s drawn up: sign it to put it in force.") % {"ref": done.reference})
            return redirect("services:contract", contract_id=done.pk)
    return render(request, "services/contract_form.html", {
        "form": form, "error": error, "providers": selectors.providers_for(actor, active_only=True)[:200],
        "scopes": ServiceScope.choices, "pricings": Pricing.choices,
        "towns": _towns(actor)}, status=422 if error else 200)


def _towns(actor):
    county = actor.area_code[:6]
    return [(county, Area.objects.filter(code=county).values_list("name", flat=True).first() or county)] + list(
        Area.objects.filter(code__startswith=county, level=Level.TOWN).order_by("code").values_list("code", "name"))


@post_view(VIEW)
def contract_detail(request, actor, contract_id: int):
    contract = selectors.get_contract(actor, contract_id)
    error = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        steps = {
            "sign": lambda: contracts.sign_contract(actor=actor, contract_id=contract.pk),
            "end": lambda: contracts.end_contract(actor=actor, contract_id=contract.pk,
                                                  reason=request.POST.get("reason", "")),
            "statement": lambda: statements.generate_statements(actor=actor, county_code=contract.area_id[:6],
                                                                month=request.POST.get("month", "")),
        }
        if action not in steps:
            raise Http404()
        done, error = attempt(steps[action])
        if done is not None:
            messages.success(request, _("Saved."))
            return redirect("services:contract", contract_id=contract.pk)
    status = request.GET.get("status", "")
    status = status if status in TaskStatus.values else ""
    counts = dict.fromkeys(TaskStatus.values, 0)
    for value in selectors.tasks_in_scope(actor, contract_id=contract.pk).values_list("status", flat=True):
        counts[value] += 1
    page = numbered_page(selectors.tasks_in_scope(actor, contract_id=contract.pk, status=status),
                         request.GET.get("page"), PAGE_SIZE)
    quality = quality_of([contract])[contract.pk]
    may_manage = _may_manage(actor) and actor.covers(contract.area_id)
    return render(request, "services/contract.html", {
        "contract": contract, "counts": [(s, label, counts[s]) for s, label in TaskStatus.choices], "page": page,
        "status": status, "query_string": urlencode({"status": status}) if status else "", "quality": quality,
        "chart": chart_of(quality), "chart_labels": {"accuracy": _("accuracy"), "target": _("target")},
        "statements": selectors.statements_for(actor, contract_id=contract.pk)[:24], "error": error,
        "may_manage": may_manage, "may_accept": actor.can(ACCEPT), "month": f"{today():%Y-%m}"},
        status=422 if error else 200)
