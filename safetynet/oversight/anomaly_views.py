"""Pages of the anomaly reports (issue 18 part 6): the county's runs (one started here, followed
with a progress bar the page polls), a run's findings per kind (a table and an ECharts bar fed by
a JSON endpoint), the findings filtered by kind, status and town a page at a time, and a finding
with its drill-down to the case, enrollment, household or worker and its status. Every write is
the service the API and the command call."""
from __future__ import annotations

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from safetynet.areas.models import Area
from safetynet.core.decorators import post_view
from safetynet.core.errors import SafetyNetError
from safetynet.core.pagination import numbered_page
from safetynet.registry.models import KinshipRelation

from . import anomaly_services as services
from .anomaly_models import AnomalyKind, AnomalyRunStatus, AnomalyStatus
from .complaints import today

PAGE_SIZE = 50
VIEW = "oversight.view"
RUN = "oversight.anomalies"


@post_view(VIEW)
def run_list(request, actor):
    page = numbered_page(services.runs_in_scope(actor), request.GET.get("page"), PAGE_SIZE)
    for run in page.rows:
        run.new_total = sum((run.counts or {}).values())
    return render(request, "oversight/anomalies/runs.html", {
        "runs": page.rows, "page": page.number, "pages": page.pages, "total": page.total, "query_string": "",
        "can_run": actor.can(RUN), "county": actor.area_code[:6], "month": today().strftime("%Y-%m")})


@post_view(RUN)
def run_start(request, actor):
    if request.method != "POST":
        return redirect("oversight:anomaly_runs")
    try:
        run = services.start_anomaly_run(actor=actor, county_code=(request.POST.get("county") or actor.area_code)[:6],
                                         month=request.POST.get("month", ""))
    except SafetyNetError as error:
        messages.error(request, error.message)
        return redirect("oversight:anomaly_runs")
    return redirect("oversight:anomaly_run", run_id=run.pk)


def _progress(run) -> dict:
    p = run.progress or {}
    total = max(int(p.get("total") or 1), 1)
    finished = run.status in (AnomalyRunStatus.DONE, AnomalyRunStatus.FAILED)
    percent = 100 if run.status == AnomalyRunStatus.DONE else min(100, int(100 * int(p.get("done") or 0) / total))
    step = p.get("step", "")
    label = str(AnomalyKind(step).label) if step in AnomalyKind.values else {
        "read": _("reading the county's data"), "record": _("recording the findings"), "queued": _("waiting"),
        "done": _("done")}.get(step, "")
    return {"run": run, "finished": finished, "percent": percent, "step_label": label}


@post_view(VIEW)
def run_page(request, actor, run_id: int):
    run = services.get_run(actor, run_id)
    kinds = services.counts_by_kind(services.findings_in_scope(actor, run_id=run.pk))
    return render(request, "oversight/anomalies/run.html", {
        **_progress(run), "kinds": kinds, "found": [(str(AnomalyKind(k).label), n) for k, n in (run.found or {}).items()
                                                   if k in AnomalyKind.values],
        "chart_url": reverse("oversight:anomaly_run_chart", args=[run.pk])})


@post_view(VIEW)
def run_progress(request, actor, run_id: int):
    run = services.get_run(actor, run_id)
    context = _progress(run)
    if context["finished"] and request.GET.get("polling"):
        response = render(request, "oversight/anomalies/_progress.html", context)
        response["HX-Refresh"] = "true"   # the counts and chart appear with the finished run
        return response
    return render(request, "oversight/anomalies/_progress.html", context)


@post_view(VIEW)
def run_chart(request, actor, run_id: int):
    """The run's findings per kind and status, for the bar chart."""
    run = services.get_run(actor, run_id)
    kinds = services.counts_by_kind(services.findings_in_scope(actor, run_id=run.pk))
    return JsonResponse({"kinds": kinds, "statuses": [{"status": s.value, "label": str(s.label)} for s in AnomalyStatus]})


@post_view(VIEW)
def finding_list(request, actor):
    run, kind = request.GET.get("run", ""), request.GET.get("kind", "")
    status, town, q = request.GET.get("status", ""), request.GET.get("town", ""), request.GET.get("q", "")[:50]
    rows = services.findings_in_scope(actor, run_id=int(run) if run.isdigit() else None, kind=kind, status=status,
                                      town=town, q=q)
    page = numbered_page(rows, request.GET.get("page"), PAGE_SIZE)
    towns = Area.objects.filter(level="town", code__startswith=actor.area_code[:9]).order_by("code").values_list("code", "name")
    query = "&".join(f"{k}={v}" for k, v in (("run", run), ("kind", kind), ("status", status), ("town", town), ("q", q)) if v)
    return render(request, "oversight/anomalies/findings.html", {
        "findings": page.rows, "page": page.number, "pages": page.pages, "total": page.total, "query_string": query,
        "run": run, "kind": kind, "status": status, "town": town, "q": q, "towns": list(towns),
        "kinds": AnomalyKind.choices, "statuses": AnomalyStatus.choices})


def fact_labels() -> dict:
    return {
        "payment": _("payroll line"), "month": _("month paid for"), "death_on": _("date of death"),
        "source": _("death recorded by"), "run": _("payroll run"), "status": _("line status"), "amount": _("amount"),
        "enrollments": _("enrollments"), "counties": _("counties"), "result": _("verification result"),
        "over": _("over the limits in"), "per_capita_income": _("income per head"), "standard": _("standard"),
        "financial_assets": _("financial assets"), "financial_limit": _("financial asset limit"), "homes": _("homes"),
        "non_residential": _("non-residential properties"), "vehicles": _("vehicles"), "businesses": _("businesses"),
        "decision": _("decision"), "decided_on": _("decided on"), "decided_by": _("decided by"), "worker": _("worker"),
        "program": _("program"), "cases": _("cases"), "average": _("average approved amount"),
        "county_average": _("county's average"), "ratio": _("threshold multiple"), "from": _("from"), "to": _("to"),
        "survey": _("survey"), "minutes": _("minutes"), "limit": _("shorter than (minutes)"),
        "conducted_on": _("date of visit")}


def fact_values() -> dict:
    return {"public_security": _("public security"), "registry": _("registry"), "income": _("income"),
            "financial_assets": _("financial assets"), "homes": _("homes"), "vehicles": _("vehicles"),
            "businesses": _("businesses"), "non_residential": _("non-residential properties"), "dibao": _("dibao"),
            "special_hardship": _("special hardship"), "paid": _("paid"), "pending": _("pending"),
            "exported": _("sent to bank"), "no_account": _("no bank account")}


def fact_rows(facts: dict) -> list[tuple[str, str]]:
    """What was found, in the reader's words: (label, value) with known codes named."""
    labels, values = fact_labels(), fact_values()
    rows = []
    for key, value in facts.items():
        if key == "matches" or key not in labels:
            continue
        items = value if isinstance(value, list) else [value]
        text = ", ".join(str(values.get(v, v)) if isinstance(v, str) else str(v) for v in items if v is not None)
        rows.append((labels[key], text))
    return rows


def _relation_label(relation: str) -> str:
    if relation == "self":
        return _("the staff member himself")
    try:
        return str(KinshipRelation(relation).label)
    except ValueError:
        return relation


@post_view(VIEW)
def finding_page(request, actor, finding_id: int):
    finding = services.get_finding(actor, finding_id)
    error = None
    if request.method == "POST":
        actor.require(RUN)   # 403, not a message on the page
        try:
            services.set_finding_status(actor=actor, finding_id=finding.pk, status=request.POST.get("status", ""),
                                        note=request.POST.get("note", ""))
            messages.success(request, _("The finding's status is saved."))
            return redirect("oversight:anomaly_finding", finding_id=finding.pk)
        except SafetyNetError as exc:
            error = exc
    facts = fact_rows(finding.facts or {})
    matches = [{**m, "relation": _relation_label(m.get("relation", ""))} for m in (finding.facts or {}).get("matches", [])]
    return render(request, "oversight/anomalies/finding.html", {
        "f": finding, "facts": facts, "matches": matches, "error": error,
        "can_set": actor.can(RUN), "statuses": AnomalyStatus.choices,
        "status_value": request.POST.get("status", finding.status), "note_value": request.POST.get("note", finding.note)})
