"""Case pages: the queue, the county's overdue view, a new application, and the case page with
the next steps this post may take (UI.md: queue first; one case, one page; say why).

Thin adapters: reads through `cases.selectors` (via `cases.pages`), writes through
`cases.services`, the same functions the API calls. Before a step's form is even read, the step
is checked as the service will check it (scope → 404, role → 403, order and guards → 409), so a
post that may not act gets a 403 whatever it posts; then the form's shape, then the service. A
failed submit re-renders the case page with the form as typed and the error next to its field.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safetynet.core.errors import Conflict, NotFound, PermissionDenied, SafetyNetError, ValidationError
from safetynet.core.masking import mask_id_number
from safetynet.core.pagination import numbered_page, page_number
from safetynet.core.money import format_yuan
from safetynet.core.decorators import post_view
from safetynet.core.privatefiles import answer_file, download_view
from safetynet.registry import selectors as registry_selectors
from safetynet.workforce.selectors import investigator_choices

from . import batch, clocks, letters, pages, selectors, services, supporters, workflow
from .snapshots import counted_income_total
from .forms import (
    AcceptForm, AmountForm, ApplicationForm, DeliberationForm, DocumentForm, IncomeRowFormSet, MaterialsForm, NoteForm,
    NoticeForm, ObjectionAnswerForm, ObjectionForm, OpinionForm, QuickAidForm, ReasonForm, ReasonsForm, SupporterForm, SurveyForm,
    VerificationForm,
)
from .models import Attachment, Case, Status, SupporterInability

PAGE_SIZE = 25
LIST_PAGE_SIZE = 50


def case_view(permission: str = selectors.VIEW):
    """Login, an acting post holding `permission` (core/decorators.py)."""
    return post_view(permission)


def _program_filter(request) -> str:
    program = request.GET.get("program") or ""
    return program if program in services.PROGRAMS else ""


# --------------------------------------------------------------------------------------------
# Queue, list, county view
# --------------------------------------------------------------------------------------------

@require_GET
@case_view()
def queue(request, actor):
    """What needs this post now: overdue, due today, then waiting, with the counts."""
    program = _program_filter(request)
    step = request.GET.get("step") or ""
    step = step if step in workflow.ACTIONS else ""
    q = selectors.queue_for(actor, page=page_number(request.GET.get("page")), page_size=PAGE_SIZE, program=program or None,
                            step=step or None)
    offered = batch.batch_actions_for(actor)
    on_page = {row.next_action for row in q.rows}
    context = {
        "queue": q, "sections": pages.queue_sections(q, offered), "program": program, "programs": pages.PROGRAM_LABELS.items(),
        "step": step, "steps": [(a, workflow.action_label(a), n) for a, n in sorted(q.counts_by_action.items()) if a],
        "batch_buttons": [(a, batch.batch_label(a)) for a in offered if a in on_page],
        "query_string": urlencode({k: v for k, v in (("program", program), ("step", step)) if v}),
        "can_apply": actor.can("cases.apply"), "is_county": workflow.level_of(actor.area_code) == workflow.COUNTY,
    }
    # A filter changed in place: the queue is swapped, and the step list (its counts follow the
    # program) comes along out of band.
    partial = bool(request.htmx and request.htmx.target == "queue")
    context["oob"] = partial
    return render(request, "cases/_queue.html" if partial else "cases/queue.html", context)


@require_POST
@case_view()
def batch_step(request, actor):
    """One step for the cases ticked on the queue (cases/batch.py): each through its own
    service, so each is checked as on its page; the answer lists every case with what was done
    or why not. Nothing ticked, or a step not offered for many cases, goes back to the queue
    with the reason."""
    ids = request.POST.getlist("case")
    versions = {}
    for value in ids:
        version = request.POST.get(f"version_{value}", "")
        if version and not version.isdigit():
            # Never act on a case whose page version cannot be read: that check is what keeps a
            # stale page from moving a case someone else just moved.
            messages.error(request, _("The page sent a bad version for case %(case)s; reload it and try again.")
                           % {"case": value})
            return redirect("cases:queue")
        if value.isdigit() and version:
            versions[int(value)] = int(version)
    try:
        results = batch.take_step_for_cases(actor=actor, action=request.POST.get("action", ""), case_ids=ids,
                                            versions=versions)
    except (ValidationError, Conflict) as exc:     # a bad list; or another desk saved one of them meanwhile
        messages.error(request, exc.message)
        return redirect("cases:queue")
    names = dict(selectors.cases_in_scope(actor).filter(id__in=[r.case_id for r in results])
                 .values_list("id", "applicant__name"))
    rows = [{"id": r.case_id, "url": pages.case_url(r.case_id), "name": names.get(r.case_id, ""), "ok": r.ok,
             "status": pages.status_label(r.status) if r.ok else "", "status_css": pages.status_css(r.status) if r.ok else "",
             "reason": (r.error or {}).get("message", "")} for r in results]
    done = sum(r.ok for r in results)
    return render(request, "cases/batch_result.html", {
        "label": batch.batch_label(request.POST["action"]), "rows": rows, "done": done, "refused": len(rows) - done,
    })


@require_GET
@case_view()
def case_list(request, actor):
    """Every case in the area (open by default), newest first: for inspectors and leaders who
    read rather than act, and to find a case that waits for someone else."""
    program = _program_filter(request)
    status = request.GET.get("status") or ""
    state = request.GET.get("state") or "open"
    qs = selectors.cases_in_scope(actor)
    if program:
        qs = qs.filter(program_id=program)
    if status in Status.values:
        qs = qs.filter(status=status)
    if state == "open":
        qs = qs.filter(is_open=True)
    elif state == "closed":
        qs = qs.filter(is_open=False)
    page = numbered_page(qs.order_by("-id").values("id", "program_id", "status", "next_action", "next_due", "applicant__name",
                                                   "area__name", "applied_on", "is_close_relative"),
                         request.GET.get("page"), LIST_PAGE_SIZE)
    today = clocks.today()
    return render(request, "cases/case_list.html", {
        "rows": [{**r, "program": pages.PROGRAM_SHORT.get(r["program_id"], r["program_id"]),
                  "status_label": pages.status_label(r["status"]), "status_css": pages.status_css(r["status"]),
                  "next_action_label": workflow.action_label(r["next_action"]) if r["next_action"] else "",
                  "overdue": bool(r["next_due"] and r["next_due"] < today)} for r in page],
        "total": page.total, "page": page.number, "pages": page.pages, "program": program, "status": status, "state": state,
        "programs": pages.PROGRAM_LABELS.items(), "statuses": Status.choices,
        "query_string": urlencode({k: v for k, v in (("program", program), ("status", status), ("state", state)) if v}),
    })


@require_GET
@case_view()
def overdue(request, actor):
    """Overdue cases per town (the county's view): a bar chart fed by the API, and the table."""
    towns = selectors.overdue_by_town(actor)
    return render(request, "cases/overdue.html", {
        "towns": towns, "total_open": sum(t.open for t in towns), "total_overdue": sum(t.overdue for t in towns),
        "total_due_today": sum(t.due_today for t in towns),
        "data_url": reverse("api-1:cases_overdue_by_town"),
    })


# --------------------------------------------------------------------------------------------
# New application
# --------------------------------------------------------------------------------------------

PICK_PAGE_SIZE = 10


def _pick_household(request, actor, program: str):
    """Find the household by a name or an ID number (or its beginning), as the household list
    does (`registry.selectors.household_page`, IDs masked); htmx swaps the short list in as one types."""
    q = (request.GET.get("q") or "").strip()[:50]
    page = registry_selectors.household_page(actor, q=q, page=1, page_size=PICK_PAGE_SIZE) if q else None
    context = {"q": q, "page": page, "program": program, "program_label": pages.program_label(program) if program else ""}
    if request.htmx and request.htmx.target == "pick-results":
        return render(request, "cases/_pick_results.html", context)
    return render(request, "cases/case_new_pick.html", context)


@require_http_methods(["GET", "POST"])
@case_view("cases.apply")
def case_new(request, actor):
    """Apply from a registered household (`?household=<id>`, found by name or ID number first;
    `&program=` from the household page's button): members, income and assets come from the
    registry, the program and the person it covers are pre-filled; the form asks only what the
    registry cannot know."""
    household_id = request.GET.get("household") or request.POST.get("household")
    program = request.GET.get("program") or ""
    program = program if program in services.PROGRAMS else ""
    if not household_id:
        return _pick_household(request, actor, program)
    try:
        household = registry_selectors.get_household(actor, int(household_id))
    except (TypeError, ValueError):
        raise Http404(_("Not found in your area."))
    everyone = registry_selectors.household_members(household)
    members = [m for m in everyone if not m.is_deceased]
    choices = [(m.pk, f"{m.name} · {m.get_relation_to_head_display()}") for m in members]
    initial = {"applicant": household.head_id, "program": program}
    if program == "special_hardship":
        candidates = pages.special_hardship_candidates(household, everyone, clocks.today())
        if candidates:
            initial["covered_person"] = candidates[0]
    form = ApplicationForm(request.POST or None, members=choices, initial=initial, can_accept=actor.can("cases.accept"))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                case = services.apply_for_assistance(actor=actor, household_id=household.pk, **form.service_kwargs())
            except (NotFound, PermissionDenied):
                raise
            except SafetyNetError as exc:
                _put_error(form, exc, {"kind": "temporary_kind", "covered_person": "covered_person"})
                status = 409 if isinstance(exc, Conflict) else 422
            else:
                if case.status == Status.APPLIED:
                    messages.success(request, _("Application #%(id)s filed. Next: accept it.") % {"id": case.pk})
                else:
                    messages.success(request, _("Application #%(id)s filed and accepted. Next: the household survey.")
                                     % {"id": case.pk})
                return redirect(pages.case_url(case.pk))
        else:
            status = 422
    declarations = registry_selectors.household_declarations(household)
    return render(request, "cases/case_new.html", {
        "household": household, "form": form.mark_invalid(),
        "members": [{"person": m, "masked_id": mask_id_number(m.id_number)} for m in members],
        "income_counted": format_yuan(declarations.monthly_income_counted),
        "financial_assets": format_yuan(declarations.financial_assets),
        "open_cases": list(selectors.open_cases_of_household(actor, household.pk).values("id", "program_id", "status")),
    }, status=status)


def _put_error(form, exc: SafetyNetError, aliases: dict | None = None) -> None:
    name = (aliases or {}).get(exc.field or "", exc.field)
    form.add_error(name if name in form.fields else None, exc.message)


# --------------------------------------------------------------------------------------------
# The case page and its steps
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    form: type
    run: Callable          # run(actor, case, form, extra) -> str (the success message)
    primary_label: str = ""
    prefix: str = ""       # another step's prefix: a button inside that step's form posts what was typed there


def _done(action: str) -> str:
    return _("Done: %(step)s.") % {"step": workflow.action_label(action)}


def _simple(service, *fields):
    def run(actor, case, form, extra):
        kwargs = {name: form.cleaned_data.get(name) for name in fields}
        service(actor=actor, case_id=case.pk, version=form.cleaned_data["version"], **kwargs)
        return ""
    return run


def _run_accept(actor, case, form, extra):
    data = form.cleaned_data
    services.accept_application(actor=actor, case_id=case.pk, version=data["version"], promise_signed=data["promise_signed"],
                               authorization_signed=data["authorization_signed"],
                               missing_materials=data["missing_materials"] or (), note=data["note"])
    case.refresh_from_db(fields=["is_close_relative", "status"])
    if case.is_close_relative:
        return _("Accepted. A close relative of staff or a village cadre is in this household: the case is filed "
                 "separately and the county must make its own home visit (POLICY.md §1 step 2).")
    return ""


def _run_survey(service):
    def run(actor, case, form, extra):
        service(actor=actor, case_id=case.pk, **form.service_kwargs())
        return ""
    return run


def _run_verify(actor, case, form, extra):
    formset = extra["income"]
    rows = []
    for row in formset.forms:
        data = getattr(row, "cleaned_data", None) or {}
        if data.get("category") and data.get("monthly_amount") is not None:
            rows.append({"person_id": data.get("person"), "category": data["category"],
                         "monthly_amount": f"{data['monthly_amount']:.2f}", "description": ""})
    counted = counted_income_total(rows)
    data = form.cleaned_data
    findings = {"income": rows}
    if data.get("note"):
        findings["note"] = data["note"]
    services.record_manual_verification(actor=actor, case_id=case.pk, version=data["version"], summary=data["summary"],
                                        findings=findings, total_monthly_income=counted,
                                        total_financial_assets=data.get("total_financial_assets"))
    return _("Verification report recorded (entered by hand). Verified monthly income: %(amount)s.") % {
        "amount": format_yuan(counted)}


def _run_opinion(actor, case, form, extra):
    """The opinion; then, when asked and the rule finds the household eligible, the notice, by
    its own service (its own checks: a refusal leaves the opinion recorded and says why)."""
    case = services.give_town_opinion(actor=actor, case_id=case.pk, version=form.cleaned_data["version"],
                                      opinion=form.cleaned_data["opinion"])
    if not case.proposed_eligible:
        return _("Town opinion recorded: not eligible. The case can only be refused, with the reasons.")
    message = _("Town opinion recorded: eligible, %(amount)s a month.") % {"amount": format_yuan(case.proposed_amount)}
    if form.cleaned_data.get("publish_notice"):
        try:
            case = services.publish_notice(actor=actor, case_id=case.pk, version=case.version)
        except SafetyNetError as exc:
            return message + " " + _("The notice was not published: %(why)s") % {"why": exc.message}
        message += " " + _("The public notice runs until %(date)s.") % {"date": case.notice_ends_on.isoformat()}
    return message


def _run_confirm(actor, case, form, extra):
    decision = services.confirm_case(actor=actor, case_id=case.pk, version=form.cleaned_data["version"],
                                     note=form.cleaned_data["note"])
    return _("Confirmed: %(amount)s a month from %(month)s. The decision letter is ready to print.") % {
        "amount": format_yuan(decision.monthly_amount), "month": decision.start_month.strftime("%Y-%m")}


def _run_refuse(actor, case, form, extra):
    decision = services.refuse_case(actor=actor, case_id=case.pk, version=form.cleaned_data["version"],
                                    reasons=form.cleaned_data["reasons"])
    return _("Refused. Hand the letter over by %(date)s.") % {
        "date": decision.letter_due.isoformat() if decision.letter_due else "-"}


def _run_pay_first(actor, case, form, extra):
    services.pay_emergency_aid_first(actor=actor, case_id=case.pk, version=form.cleaned_data["version"],
                                     amount=form.cleaned_data["amount"], note=form.cleaned_data["note"])
    return ""


def _run_switch_to_ordinary(actor, case, form, extra):
    case = services.switch_to_ordinary_procedure(actor=actor, case_id=case.pk, version=form.cleaned_data["version"],
                                                 amount=form.cleaned_data["amount"], note=form.cleaned_data["note"])
    return _("Switched to the ordinary procedure, %(amount)s requested. Next: accept the application.") % {
        "amount": format_yuan(case.requested_amount)}


def _run_quick(approve: bool):
    def run(actor, case, form, extra):
        data = form.cleaned_data
        services.decide_quick_aid(actor=actor, case_id=case.pk, version=data["version"], approve=approve,
                                  amount=data.get("amount"), reasons=data.get("reasons") or "")
        return ""
    return run


def _run_approve_temporary(actor, case, form, extra):
    services.approve_temporary_aid(actor=actor, case_id=case.pk, version=form.cleaned_data["version"],
                                   amount=form.cleaned_data["amount"], note=form.cleaned_data["note"])
    return ""


def _run_objection(actor, case, form, extra):
    data = form.cleaned_data
    services.record_objection(actor=actor, case_id=case.pk, version=data["version"], content=data["content"],
                              objector_name=data["objector_name"], objector_contact=data["objector_contact"],
                              received_on=data["received_on"])
    return _("Objection recorded; the notice stays on the public board, marked as under objection. "
             "Next: a re-survey or a deliberation meeting, then the answer to the objection.")


def _run_materials(actor, case, form, extra):
    services.request_materials(actor=actor, case_id=case.pk, version=form.cleaned_data["version"],
                               items=form.cleaned_data["items"])
    return ""


STEPS: dict[str, Step] = {
    "accept": Step(AcceptForm, _run_accept),
    "request_materials": Step(MaterialsForm, _run_materials),
    "resume": Step(NoteForm, _simple(services.resume_case, "note")),
    "record_survey": Step(SurveyForm, _run_survey(services.record_survey)),
    "record_county_visit": Step(SurveyForm, _run_survey(services.record_county_visit)),
    "verify": Step(VerificationForm, _run_verify),
    "hold_deliberation": Step(DeliberationForm, _simple(services.hold_deliberation, "held_on", "participants",
                                                        "village_representatives", "votes_for", "votes_against",
                                                        "votes_abstaining", "opinion")),
    "give_town_opinion": Step(OpinionForm, _run_opinion),
    "publish_notice": Step(NoticeForm, _simple(services.publish_notice, "starts_on")),
    "record_objection": Step(ObjectionForm, _run_objection),
    "answer_objection": Step(ObjectionAnswerForm, _simple(services.answer_objection, "finding", "answer")),
    "close_notice": Step(NoteForm, _simple(services.close_notice)),
    "confirm": Step(NoteForm, _run_confirm),
    "refuse": Step(ReasonsForm, _run_refuse),
    "refuse_temporary_aid": Step(ReasonsForm, _run_refuse),
    "approve_temporary_aid": Step(AmountForm, _run_approve_temporary),
    "pay_first": Step(AmountForm, _run_pay_first),
    # Offered inside the pay_first form when the amount is over the town's limit (what was typed is kept).
    "switch_to_ordinary": Step(AmountForm, _run_switch_to_ordinary, prefix="pay_first"),
    "complete_paperwork": Step(NoteForm, _simple(services.complete_emergency_paperwork, "note")),
    "approve_quick_aid": Step(QuickAidForm, _run_quick(True)),
    "refuse_quick_aid": Step(ReasonsForm, _run_quick(False)),
    "reopen": Step(ReasonForm, _simple(services.reopen_case, "reason")),
    "withdraw": Step(ReasonForm, _simple(services.withdraw_case, "reason")),
    "extend": Step(ReasonForm, _simple(services.extend_case, "reason")),
    "return_for_supplement": Step(ReasonForm, _simple(services.return_for_supplement, "reason")),
}
# Steps offered only from within another step's form, never as a form of their own.
OFFERED_IN_PLACE = {"switch_to_ordinary": "pay_first"}
# Field names the services use in their errors that the page's forms call otherwise.
FIELD_ALIASES = {"items": "items", "missing_materials": "missing_materials"}


def _initial(action: str, case: Case) -> dict:
    today = clocks.today()
    initial = {"version": case.version}
    if action in ("record_survey", "record_county_visit"):
        initial["conducted_on"] = today
    elif action == "hold_deliberation":
        initial["held_on"] = today
    elif action == "publish_notice":
        initial["starts_on"] = today
    elif action == "record_objection":
        initial["received_on"] = today
    elif action in ("pay_first", "approve_quick_aid"):
        initial["amount"] = case.requested_amount
    elif action == "approve_temporary_aid":
        initial["amount"] = case.proposed_amount or case.requested_amount
    elif action == "accept":
        initial.update(promise_signed=True, authorization_signed=True)
    elif action == "give_town_opinion":
        initial["opinion"] = pages.default_town_opinion(case)
    return initial


def _make_form(action: str, case: Case, actor, data=None):
    step = STEPS[action]
    # A bound form reads what was posted; its defaults (the opinion runs the rule) are not needed.
    kwargs = {"prefix": step.prefix or action, "initial": _initial(action, case) if data is None else {}}
    if step.form is OpinionForm:
        kwargs["with_notice"] = case.path in workflow.MEANS
    if step.form is SurveyForm:
        kwargs["staff_choices"], kwargs["own_staff"] = investigator_choices(actor, case.area_id)
        kwargs["with_activities"] = action == "record_survey" and case.program_id == "special_hardship" \
            and case.status != Status.CONTESTED
    form = step.form(data, **kwargs)
    extra = {}
    if action == "verify":
        members = [(m["person_id"], m.get("name", "")) for m in case.snapshot.get("members", []) if not m.get("is_deceased")]
        initial_rows = [{"person": i.get("person_id"), "category": i.get("category"), "monthly_amount": i.get("monthly_amount")}
                        for i in case.snapshot.get("income", [])]
        extra["income"] = IncomeRowFormSet(data, prefix="income", initial=initial_rows, form_kwargs={"members": members})
    return form, extra


def _ordered_actions(case: Case, allowed: list[str]) -> tuple[list[str], list[str]]:
    """The step the case waits for first, other forward steps next; side steps (withdraw, extend,
    return, objections...) apart."""
    main = [a for a in allowed if a not in workflow.SIDE_ACTIONS]
    main.sort(key=lambda a: (a != case.next_action, a))
    side = [a for a in allowed if a in workflow.SIDE_ACTIONS]
    return main, side


def _render_case(request, actor, case_id, *, bound: tuple | None = None, status: int = 200, supporter_form=None,
                 offer: str = ""):
    """The case page; `offer` names a step offered in place inside the bound step's form (the
    switch to the ordinary procedure when emergency aid is over the town's limit)."""
    context = pages.case_page(actor, case_id)
    case = context["case"]
    allowed = [a for a in context["file"].allowed_actions if a in STEPS]
    offer = offer if offer in allowed else ""
    allowed = [a for a in allowed if a not in OFFERED_IN_PLACE]
    bound_action = bound[0] if bound else None
    if bound_action in OFFERED_IN_PLACE:    # a failed switch: shown in the form it was posted from
        bound_action, offer = OFFERED_IN_PLACE[bound_action], bound_action
        bound = (bound_action, bound[1], bound[2])
    if bound_action and bound_action not in allowed:
        allowed.insert(0, bound_action)   # keep what was typed, with the reason it failed
    main, side = _ordered_actions(case, allowed)
    forms = {}
    for action in main + side:
        if action == bound_action:
            form, extra = bound[1], bound[2]
        else:
            form, extra = _make_form(action, case, actor)
        forms[action] = {"action": action, "label": workflow.action_label(action), "form": form.mark_invalid(), "extra": extra,
                         "bound": action == bound_action, "url": reverse("cases:act", args=[case.pk, action]),
                         "is_next": action == case.next_action, "template": _form_template(action),
                         "switch_url": reverse("cases:act", args=[case.pk, offer])
                         if offer and OFFERED_IN_PLACE.get(offer) == action else ""}
    preview = None
    preview_error = ""
    if "give_town_opinion" in forms:
        preview, preview_error = pages.preview_outcome(case)
    if case.program_id == "special_hardship":
        context.update(_supporter_context(actor, case, form=supporter_form))
    context.update({
        "main_actions": [forms[a] for a in main], "side_actions": [forms[a] for a in side],
        "preview": preview, "preview_error": preview_error,
        "document_form": DocumentForm() if case.is_open and any(
            actor.can(p) for p in ("cases.apply", "cases.accept", "cases.survey")) else None,
        "can_print_letter": bool(context["decisions"]),
    })
    return render(request, "cases/case_detail.html", context, status=status)


def _form_template(action: str) -> str:
    if action in ("record_survey", "record_county_visit"):
        return "cases/forms/_survey.html"
    if action == "verify":
        return "cases/forms/_verification.html"
    return "cases/forms/_generic.html"


@require_GET
@case_view()
def case_detail(request, actor, case_id: int):
    return _render_case(request, actor, case_id)


@require_POST
@case_view()
def case_act(request, actor, case_id: int, action: str):
    """Take one step. Checked in the services' order: area (404), role (403), order and guards
    (409, shown on the page), then the input (422, next to the field)."""
    if action not in STEPS:
        raise Http404(_("No such step."))
    case = selectors.get_case(actor, case_id)
    form, extra = _make_form(action, case, actor, request.POST)
    try:
        workflow.check_transition(case, action, actor)
    except Conflict as exc:
        form.is_valid()
        form.add_error(None, exc.message)
        return _render_case(request, actor, case_id, bound=(action, form, extra), status=409)
    valid = form.is_valid() and all(fs.is_valid() for fs in extra.values())
    if not valid:
        return _render_case(request, actor, case_id, bound=(action, form, extra), status=422)
    try:
        message = STEPS[action].run(actor, case, form, extra)
    except (NotFound, PermissionDenied):
        raise
    except SafetyNetError as exc:
        _put_error(form, exc, FIELD_ALIASES)
        offer = "switch_to_ordinary" if exc.code == services.OVER_TOWN_LIMIT else ""
        return _render_case(request, actor, case_id, bound=(action, form, extra),
                            status=409 if isinstance(exc, Conflict) else 422, offer=offer)
    messages.success(request, message or _done(action))
    return redirect(pages.case_url(case.pk))


# --------------------------------------------------------------------------------------------
# Supporters of a special-hardship applicant (htmx: the card is swapped in place)
# --------------------------------------------------------------------------------------------

def _supporter_context(actor, case: Case, *, form=None, notice: str = "", error: str = "") -> dict:
    editable = supporters.can_record(actor, case)
    proposed = pages.proposed_supporter_rows(actor, case) if editable else []
    return {"supporter_rows": pages.supporter_rows(actor, case),
            "supporter_form": (form or SupporterForm()).mark_invalid() if editable else None,
            "proposed_supporters": proposed, "inability_choices": SupporterInability.choices if editable else [], "proposed_to_record": sum(1 for r in proposed if not r["recorded"]),
            "supporter_notice": notice, "supporter_error": error}


def _supporters_answer(request, actor, case_id: int, *, form=None, notice: str = "", error: str = "", status: int = 200):
    """The supporters card (htmx), or back to the case page with the message."""
    case = selectors.get_case(actor, case_id)
    if request.htmx:
        return render(request, "cases/_supporters.html",
                      {"case": case, **_supporter_context(actor, case, form=form, notice=notice, error=error)}, status=status)
    if form is not None and form.errors:
        return _render_case(request, actor, case_id, status=status, supporter_form=form)
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    return redirect(pages.case_url(case_id) + "#supporters")


@require_POST
@case_view(supporters.PERMISSION)
def supporter_add(request, actor, case_id: int):
    form = SupporterForm(request.POST)
    if not form.is_valid():
        return _supporters_answer(request, actor, case_id, form=form, status=422)
    try:
        row = supporters.record_supporter(actor=actor, case_id=case_id, **form.cleaned_data)
    except (NotFound, PermissionDenied):
        raise
    except Conflict as exc:
        return _supporters_answer(request, actor, case_id, error=exc.message, status=409)
    except SafetyNetError as exc:
        _put_error(form, exc)
        return _supporters_answer(request, actor, case_id, form=form, status=422)
    return _supporters_answer(request, actor, case_id, notice=_("Supporter %(name)s recorded.") % {"name": row.name})


@require_POST
@case_view(supporters.PERMISSION)
def supporters_record_proposed(request, actor, case_id: int):
    """One action records every supporter the registry proposes (cases/kin.py)."""
    try:
        rows = supporters.record_proposed_supporters(actor=actor, case_id=case_id)
    except (NotFound, PermissionDenied):
        raise
    except SafetyNetError as exc:
        return _supporters_answer(request, actor, case_id, error=exc.message, status=409)
    return _supporters_answer(request, actor, case_id, notice=_("Recorded from the registry: %(names)s. Correct any "
                                                                "reason the registry does not know.")
                              % {"names": _(", ").join(r.name for r in rows)})


@require_POST
@case_view(supporters.PERMISSION)
def supporter_reason(request, actor, case_id: int, supporter_id: int):
    """Correct one supporter's reason in place (the row's own select)."""
    try:
        row = supporters.set_supporter_reason(actor=actor, case_id=case_id, supporter_id=supporter_id,
                                              inability=request.POST.get("inability", ""))
    except (NotFound, PermissionDenied):
        raise
    except Conflict as exc:
        return _supporters_answer(request, actor, case_id, error=exc.message, status=409)
    except SafetyNetError as exc:
        return _supporters_answer(request, actor, case_id, error=exc.message, status=422)
    return _supporters_answer(request, actor, case_id, notice=_("Supporter %(name)s corrected.") % {"name": row.name})


@require_POST
@case_view(supporters.PERMISSION)
def supporter_remove(request, actor, case_id: int, supporter_id: int):
    try:
        supporters.remove_supporter(actor=actor, case_id=case_id, supporter_id=supporter_id)
    except (NotFound, PermissionDenied):
        raise
    except SafetyNetError as exc:
        return _supporters_answer(request, actor, case_id, error=exc.message, status=409)
    return _supporters_answer(request, actor, case_id, notice=_("Supporter removed."))


@require_POST
@case_view()
def document_upload(request, actor, case_id: int):
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.attach_document(actor=actor, case_id=case_id, uploaded_file=form.cleaned_data["file"],
                                     description=form.cleaned_data["description"])
        except (NotFound, PermissionDenied):
            raise
        except SafetyNetError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Document attached."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect(pages.case_url(case_id) + "#documents")


@download_view
@require_GET
@case_view()
def document_download(request, actor, case_id: int, attachment_id: int):
    """An attachment of a case in the post's area, under its original name (anyone else 404)."""
    case = selectors.get_case(actor, case_id)
    attachment = Attachment.objects.filter(pk=attachment_id, case_id=case.pk).first()
    if attachment is None or not attachment.file or not attachment.file.storage.exists(attachment.file.name):
        raise Http404(_("Not found in your area."))
    return answer_file(attachment.file.open("rb"), filename=attachment.original_name,
                       content_type=attachment.content_type)


@download_view
@require_GET
@case_view()
def letter_pdf(request, actor, case_id: int):
    """The decision letter as an A4 PDF (the latest decision, or `?decision=<id>`). A post that
    hands letters over records it once (services.record_letter_issued); readers just read."""
    case = selectors.get_case(actor, case_id)
    decisions = list(case.decisions.order_by("id"))
    if not decisions:
        raise Http404(_("No decision yet."))
    decision = decisions[-1]
    wanted = request.GET.get("decision")
    if wanted:
        decision = next((d for d in decisions if str(d.pk) == wanted), None)
        if decision is None:
            raise Http404(_("Not found in your area."))
    if letters.can_issue(actor):
        decision = services.record_letter_issued(actor=actor, decision_id=decision.pk)
    return answer_file(letters.decision_letter_pdf(case, decision), filename=f"decision-{decision.letter_number}.pdf",
                       content_type="application/pdf", inline=True)
