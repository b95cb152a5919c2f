"""The staff pages of medical assistance's administration (issue 20): the county's categories
and their terms, certifications, designated institutions and their keys, people and their
ledgers, and the settlements of an area with their export. Thin adapters over
category_services, certifications, institutions, keys and ledger, which the API calls too: a
refusal of the input comes back to its form (422, by field, with what was typed); one by role or
area is the 403 or 404 page."""
from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from safetynet.cases import clocks
from safetynet.core.dates import parse_month
from safetynet.core.decorators import post_view
from safetynet.core.errors import Conflict, NotFound, PermissionDenied, SafetyNetError, ValidationError
from safetynet.core.pagewrites import attempt
from safetynet.core.pagination import numbered_page
from safetynet.core.privatefiles import answer_file

from . import category_services, certifications, institutions, keys, ledger
from .catalogue import MINIMUM_RATES, TERMS_FROM_YEAR
from .models import InstitutionKind, QualifyBy, SettlementSource, SettlementStatus

VIEW = "medical.view"
PAGE_SIZE = 25
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CATEGORY_FIELDS = ("code", "name_zh", "name_en", "qualify_by", "qualify_value", "position", "source")
TERMS_FIELDS = ("area", "from_year", "rate", "deductible_kind", "deductible", "deductible_ratio", "annual_cap", "source")
INSTITUTION_FIELDS = ("code", "name", "kind", "area", "contract_from", "contract_until", "bank_name", "bank_account",
                      "account_name")
CERTIFY_FIELDS = ("id_number", "category_code", "valid_from", "valid_until", "reason")


def _attempt_form(action):
    """`attempt`, except that a person or area not found for what the form named comes back to
    the form (404, by its field) rather than as the bare 404 page."""
    try:
        return action(), None, None
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message)
    except NotFound as exc:
        if exc.field:
            return None, exc, 404
        raise Http404(_("Not found in your area."))
    except SafetyNetError as exc:
        return None, exc, exc.status


def _year(request, default: int) -> int:
    try:
        return ledger.checked_year(request.GET.get("year") or default)
    except ValidationError:
        return default


def _years(chosen: int) -> list[int]:
    this = clocks.today().year
    return sorted({*range(TERMS_FROM_YEAR, this + 2), chosen}, reverse=True)


def _county(request, actor) -> str:
    """The county the page is about: the post's, or the one a national post asked for."""
    asked = request.GET.get("county", "") or request.POST.get("county", "")
    county = asked.strip() if actor.is_national and asked else actor.area_code[:6]
    if not county:
        return ""
    try:
        return category_services.readable_county(actor, county)
    except ValidationError:
        raise Http404(_("Not found in your area."))
    except NotFound:
        raise Http404(_("Not found in your area."))


def _qualify_choices() -> dict:
    return {"enrollment": category_services.enrollment_programs(), "register": category_services.register_categories()}


def _qualify_label(category) -> str:
    choices = dict(category_services.enrollment_programs() + category_services.register_categories())
    return choices.get(category.qualify_value, category.qualify_value)


# ---- categories ----------------------------------------------------------------------------------

@post_view(VIEW)
def categories(request, actor):
    county = _county(request, actor)
    year = _year(request, clocks.today().year)
    form = {k: request.POST.get(k, "") for k in CATEGORY_FIELDS}
    error, status = None, 200
    if request.method == "POST":
        done, error, status = _attempt_form(lambda: category_services.save_category(
            actor=actor, county_code=county, active=True, **form))
        if done is not None:
            messages.success(request, _("Category %(name)s saved: set its terms below.") % {"name": done.name})
            return redirect(f"{reverse('medical:category', args=[done.code])}?{urlencode({'county': county})}")
    rows = category_services.categories_page_rows(actor, county, year) if county else []
    for row in rows:
        row.qualify_label = _qualify_label(row.category)
    return render(request, "medical/categories.html", {
        "county": county, "year": year, "years": _years(year), "rows": rows, "form": form, "error": error,
        "may_edit": bool(county) and category_services.may_edit_county(actor, county),
        "qualify_by": QualifyBy.choices, "qualify_choices": _qualify_choices(),
        "county_query": urlencode({"county": county}) if actor.is_national else ""}, status=status)


def _category_form(category) -> dict:
    return {"code": category.code, "name_zh": category.name_zh, "name_en": category.name_en,
            "qualify_by": category.qualify_by, "qualify_value": category.qualify_value,
            "position": str(category.position), "source": category.source, "active": category.active}


@post_view(VIEW)
def category(request, actor, code: str):
    county = _county(request, actor)
    if not county:
        raise Http404(_("Not found in your area."))
    row = category_services.category_in_county(actor, county, code)
    year = _year(request, clocks.today().year)
    form = _category_form(row)
    terms_form = {"area": county, "from_year": str(clocks.today().year), "rate": "", "deductible_kind": "amount",
                  "deductible": "", "deductible_ratio": "", "annual_cap": "", "source": ""}
    error, status, which = None, 200, ""
    if request.method == "POST":
        which = request.POST.get("action", "")
        if which == "save":
            form = {k: request.POST.get(k, "") for k in CATEGORY_FIELDS}
            form["code"], form["active"] = row.code, request.POST.get("active") == "on"
            done, error, status = _attempt_form(lambda: category_services.save_category(
                actor=actor, county_code=county, code=row.code, name_zh=form["name_zh"], name_en=form["name_en"],
                qualify_by=form["qualify_by"], qualify_value=form["qualify_value"], position=form["position"],
                active=form["active"], source=form["source"]))
        elif which == "terms":
            terms_form = {k: request.POST.get(k, "") for k in TERMS_FIELDS}
            by_amount = terms_form["deductible_kind"] != "ratio"
            done, error, status = _attempt_form(lambda: category_services.save_terms(
                actor=actor, area_code=terms_form["area"], category_code=row.code, from_year=terms_form["from_year"],
                rate=terms_form["rate"], deductible=terms_form["deductible"] if by_amount else None,
                deductible_ratio=None if by_amount else terms_form["deductible_ratio"],
                annual_cap=terms_form["annual_cap"], source=terms_form["source"]))
        else:
            raise Http404()
        if done is not None:
            messages.success(request, _("Saved."))
            return redirect(f"{reverse('medical:category', args=[row.code])}?{urlencode({'county': county})}")
    rows = [r for r in category_services.categories_page_rows(actor, county, year) if r.code == row.code]
    return render(request, "medical/category.html", {
        "county": county, "year": year, "years": _years(year), "category": row, "row": rows[0] if rows else None,
        "qualify_label": _qualify_label(row), "form": form, "terms_form": terms_form, "error": error, "which": which,
        "history": category_services.category_history(actor, county, row.code),
        "minimum_message": category_services.minimum_rate_message(row.code) if row.code in MINIMUM_RATES else "",
        "may_edit": category_services.may_edit_county(actor, county), "may_retire": category_services.may_retire(row.code),
        "in_use": row.active and row.code in category_services.categories_for(county),
        "areas": institutions.areas_for_institutions(actor), "qualify_by": QualifyBy.choices,
        "qualify_choices": _qualify_choices(), "county_query": urlencode({"county": county})}, status=status)


# ---- certifications ------------------------------------------------------------------------------

@post_view(VIEW)
def certification_list(request, actor):
    today = clocks.today()
    form = {k: request.POST.get(k, "") for k in CERTIFY_FIELDS}
    if request.method != "POST":
        form["valid_from"] = today.isoformat()
    error, status = None, 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "certify":
            done, error, status = _attempt_form(lambda: certifications.certify_person(actor=actor, **form))
            if done is not None:
                messages.success(request, _("%(name)s certified until %(day)s.")
                                 % {"name": done.person.name, "day": done.valid_until.isoformat()})
                return redirect("medical:certifications")
        elif action == "revoke":
            done, error = attempt(lambda: certifications.revoke_certification(
                actor=actor, certification_id=request.POST.get("certification", ""),
                reason=request.POST.get("revoke_reason", "")))
            if done is not None:
                messages.success(request, _("The certification is revoked."))
                return redirect("medical:certifications")
            status = 422
        else:
            raise Http404()
    q = request.GET.get("q", "").strip()[:50]
    category = request.GET.get("category", "")
    state = request.GET.get("status", "")
    state = state if state in certifications.STATUSES else ""
    page = numbered_page(certifications.certifications_in_scope(actor, q=q, category=category, status=state),
                         request.GET.get("page"), PAGE_SIZE)
    county = actor.area_code[:6]
    in_use = category_services.categories_for(county) if county else {}
    names = ledger.category_names(county) if county else {}
    labels = certifications.status_labels()
    rows = [{"c": c, "id_number": ledger.shown_id_number(actor, c.person.id_number),
             "category": names.get(c.category_code, c.category_code),
             "state": certifications.certification_status(c, today),
             "state_label": labels[certifications.certification_status(c, today)]} for c in page]
    query = {k: v for k, v in (("q", q), ("category", category), ("status", state)) if v}
    return render(request, "medical/certifications.html", {
        "page": page, "rows": rows, "q": q, "category": category, "status": state, "form": form, "error": error,
        "statuses": [(s, labels[s]) for s in certifications.STATUSES], "categories": list(in_use.values()),
        "query_string": urlencode(query), "may_certify": actor.can(certifications.CERTIFY) and bool(county)},
        status=status)


# ---- institutions --------------------------------------------------------------------------------

def _institution_form(row) -> dict:
    return {"code": row.code, "name": row.name, "kind": row.kind, "area": row.area_id,
            "contract_from": row.contract_from.isoformat(), "contract_until": row.contract_until.isoformat(),
            "bank_name": row.bank_name, "bank_account": row.bank_account, "account_name": row.account_name,
            "active": row.active}


@post_view(VIEW)
def institution_list(request, actor):
    form = {k: request.POST.get(k, "") for k in INSTITUTION_FIELDS}
    if request.method != "POST":
        form["area"] = actor.area_code
    error, status = None, 200
    if request.method == "POST":
        done, error, status = _attempt_form(lambda: institutions.register_institution(
            actor=actor, code=form["code"], name=form["name"], kind=form["kind"], area_code=form["area"],
            contract_from=form["contract_from"], contract_until=form["contract_until"], bank_name=form["bank_name"],
            bank_account=form["bank_account"], account_name=form["account_name"], active=True))
        if done is not None:
            messages.success(request, _("%(name)s registered: issue its key on this page.") % {"name": done.name})
            return redirect("medical:institution", institution_id=done.pk)
    q = request.GET.get("q", "").strip()[:50]
    page = numbered_page(institutions.institutions_in_scope(actor, q=q), request.GET.get("page"), PAGE_SIZE)
    return render(request, "medical/institutions.html", {
        "page": page, "q": q, "query_string": urlencode({"q": q}) if q else "", "form": form, "error": error,
        "kinds": InstitutionKind.choices, "areas": institutions.areas_for_institutions(actor),
        "may_manage": institutions.may_manage(actor) and len(actor.area_code) >= 6, "today": clocks.today()},
        status=status)


def _newest_key(institution) -> str:
    """The newest key's id as the page shows it ("0": none), which the issue and rotate forms
    send back, so that a form sent twice issues one key."""
    newest = institution.keys.order_by("-created_at", "-id").values_list("pk", flat=True).first()
    return str(newest or 0)


@post_view(VIEW)
def institution_detail(request, actor, institution_id: int):
    row = institutions.get_institution(actor, institution_id)
    form = _institution_form(row)
    error, status, issued = None, 200, None
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "update":
            form = {k: request.POST.get(k, "") for k in INSTITUTION_FIELDS}
            form["active"] = request.POST.get("active") == "on"
            done, error, status = _attempt_form(lambda: institutions.update_institution(
                actor=actor, institution_id=row.pk, code=form["code"], name=form["name"], kind=form["kind"],
                area_code=form["area"], contract_from=form["contract_from"], contract_until=form["contract_until"],
                bank_name=form["bank_name"], bank_account=form["bank_account"], account_name=form["account_name"],
                active=form["active"]))
            if done is not None:
                messages.success(request, _("Saved."))
                return redirect("medical:institution", institution_id=row.pk)
        elif (action in ("issue", "rotate") and institutions.may_manage(actor, row)
              and request.POST.get("newest_key", "") != _newest_key(row)):
            # The page was opened before the newest key was issued: a reload re-sending this form,
            # or a second tab. Issuing again would leave a live key whose secret nobody kept.
            error, status = Conflict(_("A key was issued since this page was opened (its secret was shown once): "
                                       "open the page again before issuing another."), code="stale_page"), 409
        elif action in ("issue", "rotate"):
            if action == "issue":
                issued, error = attempt(lambda: keys.issue_key(actor=actor, institution_id=row.pk))
            else:
                issued, error = attempt(lambda: keys.rotate_key(actor=actor, institution_id=row.pk,
                                                                overlap_hours=request.POST.get("overlap_hours", "")))
            status = 422 if error else 200
        elif action == "revoke":
            key_id = request.POST.get("key", "")
            if not key_id.isdigit() or not row.keys.filter(pk=int(key_id)).exists():
                raise Http404()
            done, error = attempt(lambda: keys.revoke_key(actor=actor, key_id=int(key_id)))
            if done is not None:
                messages.success(request, _("The key %(prefix)s is revoked: it stopped working at once.")
                                 % {"prefix": done.prefix})
                return redirect("medical:institution", institution_id=row.pk)
            status = 422
        else:
            raise Http404()
        row = institutions.get_institution(actor, institution_id)
    now = timezone.now()
    key_rows = [{"k": k, "state": institutions.key_state(k, now)} for k in institutions.keys_of(row)]
    newest_key = _newest_key(row)
    response = render(request, "medical/institution.html", {
        "institution": row, "form": form, "error": error, "issued": issued, "keys": key_rows,
        "kinds": InstitutionKind.choices, "areas": institutions.areas_for_institutions(actor),
        "may_manage": institutions.may_manage(actor, row), "max_overlap": keys.MAX_OVERLAP_HOURS,
        "newest_key": newest_key,
        "in_contract": row.contract_from <= clocks.today() <= row.contract_until}, status=status)
    if issued is not None:
        response["Cache-Control"] = "no-store"     # the secret is on this page once: no cache keeps it
    return response


# ---- people and their ledgers --------------------------------------------------------------------

@require_safe
@post_view(VIEW)
def people(request, actor):
    q = request.GET.get("q", "").strip()[:50]
    error = None
    try:
        rows = ledger.find_people(actor, q)
    except ValidationError as exc:
        rows, error = [], exc
    return render(request, "medical/people.html", {"q": q, "rows": rows, "error": error,
                                                   "year": clocks.today().year})


@require_safe
@post_view(VIEW)
def person(request, actor, person_id: int):
    ledger.get_person(actor, person_id)
    return redirect("medical:ledger", person_id=person_id, year=clocks.today().year)


def _evidence(standing) -> str:
    evidence = standing.evidence
    if evidence.get("basis") == "enrollment":
        program = dict(category_services.enrollment_programs()).get(evidence.get("program"), evidence.get("program"))
        return _("a live enrollment in %(program)s") % {"program": program}
    if evidence.get("basis") == "register":
        label = dict(category_services.register_categories()).get(evidence.get("register_category"), "")
        return _("the monitoring register: %(category)s") % {"category": label}
    return _("certified until %(day)s") % {"day": evidence.get("valid_until", "")}


@require_safe
@post_view(VIEW)
def person_ledger(request, actor, person_id: int, year: int):
    book = ledger.person_ledger(actor, person_id, year)
    names = ledger.category_names(book.person.area_id)
    for standing in book.standings:
        standing.evidence_label = _evidence(standing)
    rows = [{"s": s, "category": names.get(s.category_code, s.category_code),
             "reversed": s.status == SettlementStatus.REVERSED} for s in book.settlements]
    chart = {"months": [f"{m:02d}" for m in range(1, 13)], "assistance": [float(v) for v in book.months],
             "label": _("Assistance (yuan)")}
    return render(request, "medical/ledger.html", {
        "book": book, "rows": rows, "chart": chart, "years": _years(book.year),
        "may_see_cases": actor.can("cases.view"), "may_certify": actor.can(certifications.CERTIFY)})


# ---- settlements ---------------------------------------------------------------------------------

def _settlement_filters(request) -> tuple[dict, dict]:
    """(the filters as the selector takes them, as the form shows them); a month that cannot be
    read is refused on its field."""
    shown = {k: request.GET.get(k, "").strip()[:40] for k in ("institution", "month", "category", "status", "source")}
    if shown["status"] not in SettlementStatus.values:
        shown["status"] = ""
    if shown["source"] not in SettlementSource.values:
        shown["source"] = ""
    if not shown["institution"].isdigit():
        shown["institution"] = ""
    month = parse_month(shown["month"] or None, field="month")
    return ({"institution_id": shown["institution"] or None, "month": month, "category": shown["category"],
             "status": shown["status"], "source": shown["source"]}, shown)


@require_safe
@post_view(VIEW)
def settlement_list(request, actor):
    error = None
    try:
        filters, shown = _settlement_filters(request)
    except ValidationError as exc:
        error = exc
        shown = {k: request.GET.get(k, "")[:40] for k in ("institution", "month", "category", "status", "source")}
        filters = {"institution_id": None, "month": None, "category": "", "status": "", "source": ""}
    page = numbered_page(ledger.settlements_in_scope(actor, **filters), request.GET.get("page"), PAGE_SIZE)
    county = actor.area_code[:6]
    names = ledger.category_names(county) if county else {}
    rows = [{"s": s, "category": names.get(s.category_code, s.category_code),
             "id_number": ledger.shown_id_number(actor, s.person.id_number)} for s in page]
    query = urlencode({k: v for k, v in shown.items() if v})
    return render(request, "medical/settlements.html", {
        "page": page, "rows": rows, "filters": shown, "error": error, "query_string": query,
        "institutions": ledger.institutions_settled(actor), "categories": sorted(names.items(), key=lambda kv: kv[0]),
        "statuses": SettlementStatus.choices, "sources": SettlementSource.choices,
        "export_url": f"{reverse('medical:settlements_export')}?{query}" if query else reverse('medical:settlements_export')},
        status=422 if error else 200)


@require_safe
@post_view(VIEW)
def settlements_export(request, actor):
    try:
        filters, _shown = _settlement_filters(request)
        made = ledger.export_settlements(actor=actor, **filters)
    except ValidationError as exc:
        messages.error(request, exc.message)
        return redirect("medical:settlements")
    return answer_file(made.content, filename=made.filename, content_type=XLSX)
