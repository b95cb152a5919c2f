"""Case pages: the queue, the county's overdue view, a new application, and the case page with
the next steps this post may take (UI.md: queue first; one case, one page; say why).

Thin adapters: reads through `cases.selectors` (via `cases.pages`), writes through
`cases.services`, the same functions the API calls. Before a step's form is even read, the step
is checked as the service will check it (scope → 404, role → 403, order and guards → 409), so a
post that may not act gets a 403 whatever it posts; then the form's shape, then the service. A
failed submit re-renders the case page with the form as typed and the error next to its field.
"""
from __future__ import annotations

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
from .forms import ApplicationForm, DocumentForm, IncomeRowFormSet, OpinionForm, SupporterForm, SurveyForm
from .snapshots import counted_income_total
from .models import Attachment, Case, Status, SupporterInability
from .steps import sealed

STEPS = sealed()

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
    program = program if program in pages.APPLIED_HERE else ""
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

# The steps a case page offers: those of the one table (cases/steps.py, with the steps higher apps
# registered) with a form; a step offered only inside another step's form (`offered_in`) has no
# form of its own.
ON_THE_PAGE = {action: step for action, step in STEPS.items() if step.form is not None}


def _done(action: str) -> str:
    return _("Done: %(step)s.") % {"step": workflow.action_label(action)}


def _page_body(form, extra: dict) -> dict:
    """What the form says, in the API's field names (the step's `inputs` reads it, as it reads an
    API body); a verification's income rows come from their formset, their total counted here."""
    body = form.service_kwargs()
    if "income" in extra:
        rows = []
        for row in extra["income"].forms:
            data = getattr(row, "cleaned_data", None) or {}
            if data.get("category") and data.get("monthly_amount") is not None:
                rows.append({"person_id": data.get("person"), "category": data["category"],
                             "monthly_amount": f"{data['monthly_amount']:.2f}", "description": ""})
        body["income"] = rows
        body["total_monthly_income"] = counted_income_total(rows)
    return body


def _make_form(action: str, case: Case, actor, data=None):
    step = STEPS[action]
    # A bound form reads what was posted; its defaults (the opinion runs the rule) are not needed.
    initial = {} if data is not None else {"version": case.version, **(step.initial(case) if step.initial else {})}
    kwargs = {"prefix": step.offered_in or action, "initial": initial}
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
    allowed = [a for a in context["file"].allowed_actions if a in ON_THE_PAGE]
    offer = offer if offer in allowed else ""
    allowed = [a for a in allowed if not STEPS[a].offered_in]
    bound_action = bound[0] if bound else None
    if bound_action and STEPS[bound_action].offered_in:    # a failed switch: shown in the form it was posted from
        bound_action, offer = STEPS[bound_action].offered_in, bound_action
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
                         "is_next": action == case.next_action, "template": STEPS[action].template,
                         "switch_url": reverse("cases:act", args=[case.pk, offer])
                         if offer and STEPS[offer].offered_in == action else ""}
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


@require_GET
@case_view()
def case_detail(request, actor, case_id: int):
    return _render_case(request, actor, case_id)


@require_POST
@case_view()
def case_act(request, actor, case_id: int, action: str):
    """Take one step. Checked in the services' order: area (404), role (403), order and guards
    (409, shown on the page), then the input (422, next to the field)."""
    if action not in ON_THE_PAGE:
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
    step, body = STEPS[action], _page_body(form, extra)
    try:
        result = step.service(actor=actor, case_id=case.pk, version=body["version"], **step.inputs(body))
        message = step.done(actor, case, result, body) if step.done else ""
    except (NotFound, PermissionDenied):
        raise
    except SafetyNetError as exc:
        _put_error(form, exc)
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
