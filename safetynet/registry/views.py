"""Registry pages: thin adapters over services and selectors.

Reads go through selectors (scoped: another area's household answers 404); writes through
services, whose ValidationErrors are put back next to the field they name, with everything typed
kept. ID numbers are masked on every page; a post allowed to see them clicks "show", which calls
services.reveal_id_number (logged) through htmx and swaps in the whole number.

The roster import keeps each run's report and error sheet privately (core/importreports.py), keyed by a
random id that only the user who ran it may open (the same arrangement as the areas import); the
upload runs as a background job (jobs.py, tasks.py) followed with a progress bar until that report.
"""
from __future__ import annotations

import re
from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safetynet.core import importreports, jobpages
from safetynet.core.privatefiles import download_view
from safetynet.core.errors import NotFound, SafetyNetError
from safetynet.core.masking import mask_id_number
from safetynet.core.money import format_yuan
from safetynet.core.decorators import post_view

from . import jobs, roster, selectors, services, tasks
from .forms import (
    AssetFormSet, HouseholdForm, IncomeFormSet, KinshipForm, MemberForm, OtherMemberFormSet, RemoveMemberForm, RosterImportForm,
    SearchForm,
)
from .models import RelationToHead

PAGE_SIZE = 25
IMPORT_COUNTS = (("rows", "rows", _l("Rows read")), ("households_created", "households", _l("New households")),
                 ("persons_created", "persons", _l("New people")), ("unchanged", "unchanged", _l("Already registered")))
EXTRA_ROWS = 3


def registry_view(permission: str):
    """Login, an acting post holding `permission` (core/decorators.py)."""
    return post_view(permission)


def _put_error(form, exc: SafetyNetError, field: str | None = None) -> None:
    """Show a service error next to the field it names (or on top when the form has no such field)."""
    if isinstance(exc, NotFound) and exc.field not in ("area_code", "area"):
        raise exc
    name = field if field is not None else exc.field
    form.add_error(name if name in form.fields else None, exc.message)


def _mask_account(account: str) -> str:
    """Only the last 4 digits of a bank account show on pages; payroll files carry the whole number."""
    return ("*" * max(0, len(account) - 4) + account[-4:]) if account else ""


def _detail(household_id) -> str:
    return reverse("registry:household_detail", args=[household_id])


# --- search and detail ----------------------------------------------------------------------

@require_GET
@registry_view("registry.view")
def household_list(request, actor):
    """Search by name or ID number (or its beginning), and/or part of the address, within scope;
    IDs always masked."""
    form = SearchForm(request.GET or None, actor=actor)
    q, area, address = "", "", ""
    if form.is_valid():
        q, area = form.cleaned_data["q"].strip(), form.cleaned_data["area"]
        address = form.cleaned_data["address"].strip()
    try:
        page_number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page_number = 1
    page = selectors.household_page(actor, q=q, area_code=area or None, page=page_number, page_size=PAGE_SIZE, address=address)
    context = {
        "form": form.mark_invalid(), "page": page, "q": q,
        "query_string": urlencode({k: v for k, v in (("q", q), ("address", address), ("area", area)) if v}),
        "can_edit": actor.can("registry.edit"), "can_import": actor.can("registry.import"),
    }
    template = "registry/_results.html" if request.htmx and request.htmx.target == "results" else "registry/household_list.html"
    return render(request, template, context)


@require_GET
@registry_view("registry.view")
def household_detail(request, actor, household_id: int):
    return _detail_page(request, actor, selectors.get_household(actor, household_id))


def _detail_page(request, actor, household, revealed: dict | None = None):
    """The household page; `revealed` maps a person id to the whole number just unmasked."""
    revealed = revealed or {}
    members = selectors.household_members(household)
    declarations = selectors.household_declarations(household)
    return render(request, "registry/household_detail.html", {
        "household": household,
        "members": [{"person": p, "masked_id": mask_id_number(p.id_number), "revealed": revealed.get(p.pk, "")} for p in members],
        "kinships": selectors.household_kinships(actor, household),
        "income": [{"item": i, "amount": format_yuan(i.monthly_amount)} for i in declarations.income_items],
        "assets": [{"item": a, "value": format_yuan(a.value)} for a in declarations.assets],
        "totals": {
            "income_counted": format_yuan(declarations.monthly_income_counted),
            "income_excluded": format_yuan(declarations.monthly_income_excluded),
            "financial_assets": format_yuan(declarations.financial_assets),
            "assets_total": format_yuan(declarations.assets_total),
        },
        "crumbs": selectors.area_breadcrumb(household.area),
        "bank_account_masked": _mask_account(household.bank_account),
        "can_edit": actor.can("registry.edit"),
        "can_reveal": actor.can("registry.view_id_number"),
    })


@require_POST
@registry_view("registry.view_id_number")
def reveal_id_number(request, actor, person_id: int):
    """The whole number of one person, logged by the service; htmx swaps it into the page."""
    number = services.reveal_id_number(actor=actor, person_id=person_id)
    if request.htmx:
        return render(request, "registry/_id_number.html", {"number": number, "person_id": person_id})
    # Without htmx: the household page with this number shown (never in a message: messages may
    # travel in a cookie).
    person = selectors.get_person(actor, person_id)
    return _detail_page(request, actor, selectors.get_household(actor, person.household_id), revealed={person.pk: number})


# --- households -------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@registry_view("registry.edit")
def household_create(request, actor):
    """A new household with its head and, on the same page, the rest of the family (blank rows
    ignored): one submit for a family at the window, one service call (create_household)."""
    form = HouseholdForm(request.POST or None, actor=actor, initial={"registration_type": ""})
    head = MemberForm(request.POST or None, prefix="head", as_head=True)
    # A post without the rows (an older page, a script) registers the head alone.
    others = OtherMemberFormSet(request.POST if "members-TOTAL_FORMS" in request.POST else None, prefix="members")
    status = 200
    if request.method == "POST":
        if form.is_valid() and head.is_valid() and (not others.is_bound or others.is_valid()):
            rows = [row for row in others.forms if not row.is_blank()] if others.is_bound else []
            try:
                household = services.create_household(
                    actor=actor, **form.cleaned_data,
                    members=[{**head.member_values(), "relation_to_head": RelationToHead.HEAD},
                             *[row.member_values() for row in rows]])
            except SafetyNetError as exc:
                match = re.match(r"^members\.(\d+)\.(\w+)$", exc.field or "")
                if match and match.group(1) == "0":
                    _put_error(head, exc, match.group(2))
                elif match and int(match.group(1)) <= len(rows):
                    _put_error(rows[int(match.group(1)) - 1], exc, match.group(2))
                else:
                    _put_error(form, exc)
            else:
                messages.success(request, _("Household #%(id)s registered.") % {"id": household.pk})
                return redirect(_detail(household.pk))
        status = 422
    for row in others.forms:
        row.mark_invalid()
    return render(request, "registry/household_form.html", {
        "form": form.mark_invalid(), "head": head.mark_invalid(), "others": others, "creating": True}, status=status)


@require_http_methods(["GET", "POST"])
@registry_view("registry.edit")
def household_edit(request, actor, household_id: int):
    household = selectors.get_household(actor, household_id)
    initial = {"area_code": household.area_id, "address": household.address, "registration_type": household.registration_type,
               "phone": household.phone, "bank_account": household.bank_account}
    form = HouseholdForm(request.POST or None, initial=initial, actor=actor)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.update_household(actor=actor, household_id=household.pk, **form.cleaned_data)
            except SafetyNetError as exc:
                _put_error(form, exc)
            else:
                messages.success(request, _("Household saved."))
                return redirect(_detail(household.pk))
        status = 422
    return render(request, "registry/household_form.html", {
        "form": form.mark_invalid(), "household": household, "creating": False}, status=status)


# --- members --------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@registry_view("registry.edit")
def member_add(request, actor, household_id: int):
    household = selectors.get_household(actor, household_id)
    form = MemberForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                person = services.add_member(actor=actor, household_id=household.pk, **form.member_values())
            except SafetyNetError as exc:
                _put_error(form, exc)
            else:
                messages.success(request, _("%(name)s added.") % {"name": person.name})
                return redirect(_detail(household.pk))
        status = 422
    return render(request, "registry/member_form.html", {"form": form.mark_invalid(), "household": household}, status=status)


@require_http_methods(["GET", "POST"])
@registry_view("registry.edit")
def member_edit(request, actor, person_id: int):
    person = selectors.get_person(actor, person_id)
    initial = {f: getattr(person, f) for f in ("name", "relation_to_head", "disability_type", "serious_illness", "work_ability", "phone")}
    initial["disability_grade"] = str(person.disability_grade or "")
    form = MemberForm(request.POST or None, initial=initial, keep_id_number=True, masked_id=mask_id_number(person.id_number))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.update_member(actor=actor, person_id=person.pk, **form.member_values())
            except SafetyNetError as exc:
                _put_error(form, exc)
            else:
                messages.success(request, _("%(name)s saved.") % {"name": form.cleaned_data["name"]})
                return redirect(_detail(person.household_id))
        status = 422
    return render(request, "registry/member_form.html", {
        "form": form.mark_invalid(), "household": person.household, "person": person}, status=status)


@require_http_methods(["GET", "POST"])
@registry_view("registry.edit")
def member_remove(request, actor, person_id: int):
    person = selectors.get_person(actor, person_id)
    others = [p for p in selectors.household_members(person.household) if p.pk != person.pk]
    form = RemoveMemberForm(request.POST or None, other_members=others)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.remove_member(actor=actor, person_id=person.pk, new_head_id=int(form.cleaned_data["new_head"] or 0) or None,
                                       reason=form.cleaned_data["reason"])
            except SafetyNetError as exc:
                _put_error(form, exc, "new_head" if exc.field == "new_head_id" else None)
            else:
                messages.success(request, _("%(name)s removed from the household.") % {"name": person.name})
                return redirect(_detail(person.household_id))
        status = 422
    is_head = person.relation_to_head == RelationToHead.HEAD
    return render(request, "registry/member_remove.html", {
        "form": form.mark_invalid(), "person": person, "household": person.household,
        "needs_new_head": is_head and bool(others)}, status=status)


# --- kinship --------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@registry_view("registry.edit")
def kinship_add(request, actor, household_id: int):
    """Link a member with a relative in another household, named by the relative's ID number."""
    household = selectors.get_household(actor, household_id)
    members = selectors.household_members(household)
    form = KinshipForm(request.POST or None, members=members, initial={"person": request.GET.get("person", "")})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.link_kinship(actor=actor, person_id=int(form.cleaned_data["person"]), relation=form.cleaned_data["relation"],
                                      relative_id_number=form.cleaned_data["relative_id_number"])
            except SafetyNetError as exc:
                _put_error(form, exc, "person" if exc.field == "person_id" else None)
            else:
                messages.success(request, _("Kinship recorded."))
                return redirect(_detail(household.pk))
        status = 422
    return render(request, "registry/kinship_form.html", {"form": form.mark_invalid(), "household": household}, status=status)


@require_POST
@registry_view("registry.edit")
def kinship_remove(request, actor, person_id: int, relative_id: int):
    person = selectors.get_person(actor, person_id)
    services.unlink_kinship(actor=actor, person_id=person.pk, relative_id=relative_id)
    messages.success(request, _("Kinship removed."))
    return redirect(_detail(person.household_id))


# --- declared income and assets -------------------------------------------------------------

def _declarations_page(request, actor, household_id: int, *, kind: str):
    """One page for either list: existing rows plus a few blank ones; blank rows are ignored,
    and the whole list replaces the declared one (services.set_income_items / set_assets)."""
    household = selectors.get_household(actor, household_id)
    members = selectors.household_members(household)
    if kind == "income":
        formset_class, service, title = IncomeFormSet, services.set_income_items, _("Declared monthly income")
        existing = [{"category": i.category, "monthly_amount": i.monthly_amount, "person_id": str(i.person_id or ""),
                     "description": i.description} for i in household.income_items.all()]
    else:
        formset_class, service, title = AssetFormSet, services.set_assets, _("Declared assets")
        existing = [{"category": a.category, "value": a.value, "quantity": a.quantity, "person_id": str(a.person_id or ""),
                     "description": a.description, "is_exempt": a.is_exempt} for a in household.assets.all()]
    try:
        extra = min(20, max(EXTRA_ROWS, int(request.GET.get("rows", EXTRA_ROWS))))
    except ValueError:
        extra = EXTRA_ROWS
    initial = existing + [{}] * extra
    formset = formset_class(request.POST or None, initial=None if request.method == "POST" else initial,
                            form_kwargs={"members": members}, prefix="items")
    status = 200
    if request.method == "POST":
        if formset.is_valid():
            kept = [f for f in formset.forms if not f.is_blank() and not f.cleaned_data.get("DELETE")]
            items = [{k: v for k, v in f.cleaned_data.items() if v is not None} for f in kept]
            try:
                service(actor=actor, household_id=household.pk, items=items)
            except SafetyNetError as exc:
                match = re.match(r"^items\.(\d+)\.(\w+)$", exc.field or "")
                if match and int(match.group(1)) < len(kept):
                    _put_error(kept[int(match.group(1))], exc, match.group(2))
                else:
                    formset.forms[0].add_error(None, exc.message) if formset.forms else messages.error(request, exc.message)
            else:
                messages.success(request, _("%(what)s saved.") % {"what": title})
                return redirect(_detail(household.pk))
        status = 422
    for f in formset.forms:
        f.mark_invalid()
    return render(request, "registry/declarations_form.html", {
        "formset": formset, "household": household, "title": title, "kind": kind, "more_rows": extra + EXTRA_ROWS,
    }, status=status)


@require_http_methods(["GET", "POST"])
@registry_view("registry.edit")
def income_edit(request, actor, household_id: int):
    return _declarations_page(request, actor, household_id, kind="income")


@require_http_methods(["GET", "POST"])
@registry_view("registry.edit")
def assets_edit(request, actor, household_id: int):
    return _declarations_page(request, actor, household_id, kind="assets")


# --- roster import --------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@registry_view("registry.import")
def roster_import(request, actor):
    form = RosterImportForm(request.POST or None, request.FILES or None, actor=actor)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = tasks.start_roster_import(actor=actor, upload=upload, filename=upload.name,
                                               area_code=form.cleaned_data["area"] or actor.area_code)
            except SafetyNetError as exc:
                form.add_error("area" if exc.field in ("area", "area_code") else "file", exc.message)
            else:
                return redirect("registry:import_job", job_id=job.id)
        status = 422
    return render(request, "registry/import.html", {"form": form.mark_invalid(), "columns": roster.COLUMN_HELP}, status=status)


def _import_job_urls(job) -> dict:
    report_id = job.result.get("report_id")
    return {"progress_url": reverse("registry:import_job_progress", args=[job.id]),
            "report_url": reverse("registry:import_report", args=[report_id]) if report_id else ""}


@require_GET
@registry_view("registry.import")
def import_job(request, actor, job_id: str):
    """The upload's job: its progress bar while it runs, its report once it is done (a post of
    another area: 404)."""
    job = jobs.BOOK.get_job(actor, job_id, kind=jobs.IMPORT_ROSTER)
    return jobpages.job_page(request, job, back_url=reverse("registry:import"), **_import_job_urls(job))


@require_GET
@registry_view("registry.import")
def import_job_progress(request, actor, job_id: str):
    job = jobs.BOOK.get_job(actor, job_id, kind=jobs.IMPORT_ROSTER)
    return jobpages.job_progress(request, job, **_import_job_urls(job))


@require_GET
@registry_view("registry.import")
def import_report(request, actor, report_id: str):
    return render(request, "registry/import_report.html", {
        **importreports.report_page(request, "registry", report_id, actor=actor, cards=IMPORT_COUNTS,
                                    error_sheet="registry:import_error_sheet"),
        "form": RosterImportForm(actor=actor),
        "columns": roster.COLUMN_HELP,
    })


@download_view
@require_GET
@registry_view("registry.import")
def import_error_sheet(request, actor, report_id: str):
    return importreports.answer_error_sheet("registry", report_id, actor=actor, stem="roster")
