"""Pages of referrals and the town's one door (issue 17 part 3): the county's referral catalogue,
the town's referrals (overdue shown and counted), one referral answered or withdrawn, a lead
referred (`/discovery/leads/<id>/refer/`, linked from the lead's page), the one-door window, and a
household's assistance chain.

Thin adapters: reads and writes through `referral_services` and `referral_chain`, the same the API
and the demo call. A refused write re-renders the page with the message by its field and what was
typed (422).
"""
from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from safetynet.areas.forms import AreaSearchInput
from safetynet.areas.selectors import resolve_area_input
from safetynet.cases.pages import PROGRAM_SHORT
from safetynet.core.pagewrites import attempt
from safetynet.core.decorators import post_view
from safetynet.core.masking import mask_id_number
from safetynet.core.pagination import numbered_page
from safetynet.core.scoping import get_in_scope
from safetynet.programs.catalogue import ASSISTANCE_PROGRAMS
from safetynet.registry.models import Household
from safetynet.registry.selectors import household_members, household_page

from . import referral_chain, services
from . import referral_services as referrals
from .models import REPORT_CAUSES, CloseReason, Lead, Source, Urgency
from .referral_models import AgencyKind, ReferralAnswer

VIEW, WORK, RULES = referrals.VIEW, referrals.WORK, referrals.RULES
PAGE_SIZE = 25
PLACE_LEVELS = ("village", "group", "grid")




# ---------------------------------------------------------------------------------------------
# The catalogue
# ---------------------------------------------------------------------------------------------
@post_view(VIEW)
def agency_list(request, actor):
    show = request.GET.get("show", "active")
    qs = referrals.agencies_for(actor, active_only=show != "all")
    return render(request, "discovery/agency_list.html", {
        "page": numbered_page(qs, request.GET.get("page"), PAGE_SIZE), "show": show, "may_edit": actor.can(RULES),
        "query_string": f"show={show}"})


AGENCY_FIELDS = ("kind", "name", "contact_person", "phone", "address", "answer_days")


@post_view(RULES)
def agency_edit(request, actor, agency_id: int | None = None):
    agency = get_in_scope(referrals.agencies_for(actor), actor, pk=agency_id) if agency_id else None
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in AGENCY_FIELDS}
        form["active"] = request.POST.get("active") == "on" if agency else True
    elif agency:
        form = {k: getattr(agency, k) for k in AGENCY_FIELDS} | {"active": agency.active}
    else:
        form = {k: "" for k in AGENCY_FIELDS} | {"active": True,
                                                 "answer_days": referrals.default_answer_days(actor.area_code[:6])}
    error = None
    if request.method == "POST":
        saved, error = attempt(lambda: referrals.save_agency(actor=actor, agency_id=agency_id, **form))
        if saved is not None:
            messages.success(request, _("Saved: %(name)s.") % {"name": saved.name})
            return redirect("discovery:agency_list")
    return render(request, "discovery/agency_form.html", {"agency": agency, "form": form, "error": error,
                                                          "kinds": AgencyKind.choices}, status=422 if error else 200)


@post_view(RULES)
def agency_retire(request, actor, agency_id: int):
    if request.method != "POST":
        return redirect("discovery:agency_edit", agency_id=agency_id)
    agency = referrals.retire_agency(actor=actor, agency_id=agency_id)
    messages.success(request, _("%(name)s is retired from the catalogue.") % {"name": agency.name})
    return redirect("discovery:agency_list")


# ---------------------------------------------------------------------------------------------
# Referrals
# ---------------------------------------------------------------------------------------------
def _int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@post_view(VIEW)
def referral_list(request, actor):
    today = services.today()
    state = request.GET.get("state", "open")
    state = state if state in referrals.REFERRAL_STATES or state == "all" else "open"
    agency_id = _int(request.GET.get("agency"))
    overdue = request.GET.get("overdue") == "1"
    qs = referrals.referrals_in_scope(actor, state="" if state == "all" else state, agency_id=agency_id,
                                      overdue=True if overdue else None, on=today)
    page = numbered_page(qs, request.GET.get("page"), PAGE_SIZE)
    rows = [{"r": r, "overdue": referrals.is_overdue(r, today)} for r in page]
    query = urlencode({k: v for k, v in (("state", state), ("agency", agency_id or ""), ("overdue", "1" if overdue else ""))
                       if v})
    return render(request, "discovery/referral_list.html", {
        "page": page, "rows": rows, "state": state, "agency_id": agency_id, "overdue": overdue, "query_string": query,
        "counts": referrals.referral_counts(actor, today), "agencies": referrals.agencies_for(actor),
        "states": _state_choices(), "today": today})


def _state_choices():
    return [("open", _("open (waiting or in progress)")), ("overdue", _("overdue")), ("sent", _("waiting for the answer")),
            ("in_progress", _("accepted, in progress")), ("answered", _("answered")), ("withdrawn", _("withdrawn")),
            ("all", _("all"))]


@post_view(VIEW)
def referral_detail(request, actor, referral_id: int):
    referral = referrals.get_referral(actor, referral_id)
    form = {k: request.POST.get(k, "") for k in ("answer", "note", "reason")}
    action, error = request.POST.get("action", ""), None
    if request.method == "POST":
        if action == "answer":
            done, error = attempt(lambda: referrals.record_referral_answer(
                actor=actor, referral_id=referral.pk, answer=form["answer"], note=form["note"]))
        else:
            done, error = attempt(lambda: referrals.withdraw_referral(actor=actor, referral_id=referral.pk,
                                                                       reason=form["reason"]))
        if done is not None:
            messages.success(request, _("Referral %(number)s: %(status)s.") % {
                "number": done.number, "status": done.get_answer_display() or done.get_status_display()})
            return redirect("discovery:referral", referral_id=referral.pk)
    return render(request, "discovery/referral_detail.html", {
        "r": referral, "overdue": referrals.is_overdue(referral, services.today()), "form": form, "action": action,
        "error": error, "answers": ReferralAnswer.choices, "may_work": actor.can(WORK)}, status=422 if error else 200)


@post_view(WORK)
def refer_lead(request, actor, lead_id: int):
    lead = get_in_scope(Lead.objects.select_related("household__head"), actor, pk=lead_id)
    chosen = [str(i) for i in request.POST.getlist("agencies")]
    form = {"need": request.POST.get("need", lead.description), "agencies": chosen}
    error = None
    if request.method == "POST":
        made, error = attempt(lambda: referrals.refer_lead(actor, lead.pk, chosen, form["need"]))
        if made is not None:
            messages.success(request, _("Referred: %(list)s.") % {
                "list": "、".join(f"{r.number} {r.agency.name}" for r in made)})
            return redirect("discovery:referral_list")
    open_kinds = referrals.open_referral_kinds(household_id=lead.household_id, area_code=lead.area_id, name=lead.name)
    return render(request, "discovery/refer_lead.html", {
        "lead": lead, "form": form, "error": error, "agencies": referrals.agencies_for(actor, active_only=True),
        "open_kinds": open_kinds}, status=422 if error else 200)


# ---------------------------------------------------------------------------------------------
# One door
# ---------------------------------------------------------------------------------------------
WINDOW_FIELDS = ("source", "cause", "need", "route", "household", "name", "area", "address", "phone", "urgency", "program",
                 "applicant", "kind", "requested_amount", "close_reason", "close_note", "q")


@post_view(WORK)
def window(request, actor):
    """Take a walk-in or a phone call once: who, what they need, and where it goes, on one page."""
    data = request.POST if request.method == "POST" else request.GET
    form = {k: data.get(k, "") for k in WINDOW_FIELDS}
    form["source"] = form["source"] or Source.WALK_IN
    form["route"] = form["route"] or referrals.REFER
    form["urgency"] = form["urgency"] or Urgency.NORMAL
    form["agencies"] = [str(i) for i in data.getlist("agencies")]
    form["accept"] = data.get("accept") == "on"
    household, members, open_lead, error = None, [], None, None
    household_id = _int(form["household"])
    if household_id:
        household = get_in_scope(Household.objects.select_related("head", "area"), actor, pk=household_id)
        members = household_members(household)
        open_lead = referrals.window_household_lead(household.pk)
        form["program"] = form["program"] or "dibao"
        form["applicant"] = form["applicant"] or str(household.head_id or "")
    if request.method == "POST":
        result, error = attempt(lambda: referrals.take_at_window(actor, _intake(actor, form, household_id)))
        if result is not None:
            messages.success(request, _window_message(result))
            return redirect("discovery:window")
    search = household_page(actor, q=form["q"], page=1, page_size=10) if form["q"] and not household else None
    return render(request, "discovery/window.html", {
        "form": form, "error": error, "household": household, "members": members, "open_lead": open_lead,
        "search": search, "causes": [(str(c), c.label) for c in REPORT_CAUSES],
        "sources": [(Source.WALK_IN, Source.WALK_IN.label), (Source.PHONE, Source.PHONE.label)],
        "urgencies": Urgency.choices, "programs": [(p, PROGRAM_SHORT[p]) for p in ASSISTANCE_PROGRAMS],
        "agencies": referrals.agencies_for(actor, active_only=True), "close_reasons": CloseReason.choices,
        "mask": mask_id_number,
        "area_widget": AreaSearchInput(attrs={"class": "form-control" + (" is-invalid" if error and error.field == "area"
                                                                         else ""), "id": "id_area", "autocomplete": "off"},
                                       levels=PLACE_LEVELS).render("area", form["area"]),
    }, status=422 if error else 200)


def _intake(actor, form: dict, household_id: int | None) -> referrals.WindowIntake:
    area_code = ""
    if not household_id and form["area"]:
        area_code = resolve_area_input(actor, form["area"], PLACE_LEVELS, field="area").code
    return referrals.WindowIntake(
        source=form["source"], cause=form["cause"], need=form["need"], route=form["route"], household_id=household_id,
        name="" if household_id else form["name"], area_code=area_code, address="" if household_id else form["address"],
        phone=form["phone"], urgency=form["urgency"], program_code=form["program"], applicant_id=_int(form["applicant"]),
        kind=form["kind"] or None, requested_amount=form["requested_amount"] or None, accept=form["accept"],
        agency_ids=form["agencies"], close_reason=form["close_reason"], close_note=form["close_note"])


def _window_message(result: referrals.WindowResult) -> str:
    joined = _(" (joined the household's open lead)") if result.joined else ""
    if result.route == referrals.APPLY:
        return _("Taken: %(lead)s%(joined)s, application #%(case)s filed.") % {
            "lead": result.lead.number, "joined": joined, "case": result.case_id}
    if result.route == referrals.REFER:
        return _("Taken: %(lead)s%(joined)s, referred to %(list)s.") % {
            "lead": result.lead.number, "joined": joined, "list": "、".join(r.agency.name for r in result.referrals)}
    return _("Taken: %(lead)s%(joined)s, recorded and closed.") % {"lead": result.lead.number, "joined": joined}


# ---------------------------------------------------------------------------------------------
# The assistance chain
# ---------------------------------------------------------------------------------------------
@post_view(VIEW)
def household_chain(request, actor, household_id: int):
    chain = referral_chain.assistance_chain(actor, household_id)
    return render(request, "discovery/household_chain.html", {"chain": chain, "may_work": actor.can(WORK)})
