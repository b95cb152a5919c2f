"""Pages for changes and exits, mounted at /payments/changes/: the queue (re-checks by town,
automatic proposals to confirm, endings on notice, reports), reporting a change, an enrollment's
amounts month by month with its decisions, and a re-check worked to its decision.

Thin adapters: reads through change_selectors, writes through the services (rechecks,
decisions, triggers), the same the API and the command call. A page's forms post back to the
page; a refused write re-renders it with the message by the field and what was typed (422).
Proposals confirm and reject inline with htmx (the row is swapped).
"""
from __future__ import annotations


from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from safetynet.cases import clocks
from safetynet.cases.forms import ACTIVITY_LABELS
from safetynet.core.pagewrites import attempt
from safetynet.core.errors import (
    ValidationError,
)
from safetynet.registry.models import Person
from safetynet.verification.reports import report_gaps
from safetynet.workforce.forms import InvestigatorFields
from safetynet.workforce.selectors import investigator_choices

from . import change_selectors as selectors
from . import decisions, overpayments, rechecks, triggers
from .change_models import RecheckOutcome, RecoveryMethod, ReportKind
from .pages import page_of, payments_view



def _decision_choices():
    return [("amount", _l("amount change (re-assessed by the rule)")), ("suspension", _l("suspension")),
            ("resumption", _l("resumption")), ("gradual_exit", _l("gradual exit")), ("ending", _l("ending"))]




# ---------------------------------------------------------------------------------------------
# The queue
# ---------------------------------------------------------------------------------------------
@payments_view()
def queue(request, actor):
    today = clocks.today()
    error = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action in ("confirm", "reject"):
            return _proposal_action(request, actor, action)
        if action == "triggers":
            result, error = attempt(lambda: triggers.run_triggers(
                actor=actor, county_code=request.POST.get("county", "")))
            if result is not None:
                messages.success(request, _("Triggers run: %(proposals)s changes proposed, %(opened)s re-checks opened, "
                                            "%(due)s scheduled re-checks opened, %(settled)s gradual exits settled.")
                                 % {"proposals": result.proposals, "opened": result.rechecks_opened,
                                    "due": result.due_rechecks_opened, "settled": result.settled})
                return redirect("changes:queue")
    due = request.GET.get("due", "")
    due = due if due in ("overdue", "soon") else ""
    rows, page, pages, total = page_of(request, selectors.filter_due(selectors.rechecks_in_scope(actor), due, today))
    return render(request, "enrollments/changes/queue.html", {
        "today": today, "rechecks": rows, "page": page, "pages": pages, "total": total, "due": due,
        "towns": selectors.recheck_queue_by_town(actor, today) if len(actor.area_code) <= 9 else [],
        "overpayments": list(selectors.overpayments_in_scope(actor)[:50]),
        "proposals": list(selectors.proposals_in_scope(actor)[:100]),
        "endings": list(selectors.endings_on_notice(actor)[:100]),
        "reports": list(selectors.reports_in_scope(actor)[:20]),
        "can_confirm": actor.can("payments.confirm_proposal"), "can_decide": actor.can("payments.decide"),
        "can_trigger": actor.can("payments.triggers"), "county": actor.area_code[:6], "error": error,
    }, status=422 if error else 200)


def _proposal_action(request, actor, action):
    proposal_id = request.POST.get("proposal", "")
    if action == "confirm":
        done, error = attempt(lambda: triggers.confirm_proposal(actor=actor, proposal_id=proposal_id))
    else:
        done, error = attempt(lambda: triggers.reject_proposal(
            actor=actor, proposal_id=proposal_id, reason=request.POST.get("reason", "")))
    if request.headers.get("HX-Request"):
        proposal = selectors.get_proposal(actor, proposal_id)
        return render(request, "enrollments/changes/_proposal.html", {
            "p": proposal, "error": error, "can_confirm": actor.can("payments.confirm_proposal"),
            "reason": request.POST.get("reason", "")}, status=422 if error else 200)
    if error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Proposal confirmed: the change is written from %(month)s.")
                         % {"month": done.effective_month.strftime("%Y-%m")} if action == "confirm"
                         else _("Proposal rejected; nothing changes."))
    return redirect("changes:queue")


# ---------------------------------------------------------------------------------------------
# Reporting a change (village and town)
# ---------------------------------------------------------------------------------------------
@payments_view("payments.report_change")
def report_list(request, actor):
    text = request.GET.get("q", "")
    rows, page, pages, total = page_of(request, selectors.reportable_enrollments(actor, text=text))
    return render(request, "enrollments/changes/report_list.html",
                  {"rows": rows, "page": page, "pages": pages, "total": total, "q": text})


@payments_view("payments.report_change")
def report_new(request, actor, enrollment_id):
    enrollment = selectors.enrollment_for_report(actor, enrollment_id)
    form = {"kind": request.POST.get("kind", ReportKind.INCOME), "description": request.POST.get("description", ""),
            "reported_on": request.POST.get("reported_on", "")}
    error = None
    if request.method == "POST":
        report, error = attempt(lambda: rechecks.record_change_report(
            actor=actor, enrollment_id=enrollment.pk, kind=form["kind"], description=form["description"],
            reported_on=form["reported_on"] or None))
        if report is not None:
            messages.success(request, _("Change recorded: re-check #%(id)s is in the town's queue, due %(due)s.")
                             % {"id": report.recheck_id, "due": report.recheck.due_on.isoformat()})
            if actor.can("payments.view"):
                return redirect("changes:recheck", recheck_id=report.recheck_id)
            return redirect("changes:report_list")
    return render(request, "enrollments/changes/report_new.html", {
        "e": enrollment, "form": form, "error": error, "kinds": ReportKind.choices}, status=422 if error else 200)


# ---------------------------------------------------------------------------------------------
# An enrollment: months, history, decisions
# ---------------------------------------------------------------------------------------------
@payments_view()
def enrollment(request, actor, enrollment_id):
    form = {k: request.POST.get(k, "") for k in ("kind", "effective_month", "reason", "person", "refusals", "from_month",
                                                  "to_month", "refusal_reason", "overpayment", "amount", "recovered_on",
                                                  "method", "note", "waive_reason", "leader", "decided_on")}
    error, action = None, request.POST.get("action", "")
    if request.method == "POST":
        if action == "decide":
            done, error = attempt(lambda: decisions.decide_on_enrollment(
                actor=actor, enrollment_id=enrollment_id, kind=form["kind"], reason=form["reason"],
                effective_month=form["effective_month"] or None))
            if done is not None:
                messages.success(request, _("Decision recorded."))
                return redirect("changes:enrollment", enrollment_id=enrollment_id)
        elif action == "work_refusal":
            done, error = attempt(lambda: decisions.record_work_refusal(
                actor=actor, enrollment_id=enrollment_id, person_id=form["person"], refusals=form["refusals"],
                from_month=form["from_month"], to_month=form["to_month"], reason=form["refusal_reason"]))
            if done is not None:
                messages.success(request, _("Deduction recorded."))
                return redirect("changes:enrollment", enrollment_id=enrollment_id)
        elif action in ("recover", "waive"):
            if action == "recover":
                done, error = attempt(lambda: overpayments.record_recovery(
                    actor=actor, overpayment_id=form["overpayment"], amount=form["amount"],
                    recovered_on=form["recovered_on"] or None, method=form["method"], note=form["note"]))
            else:
                done, error = attempt(lambda: overpayments.waive_overpayment(
                    actor=actor, overpayment_id=form["overpayment"], reason=form["waive_reason"], leader=form["leader"],
                    decided_on=form["decided_on"] or None))
            if done is not None:
                messages.success(request, _("Overpayment for %(month)s: ¥%(amount)s %(how)s.") % {
                    "month": done.overpayment.month.strftime("%Y-%m"), "amount": f"{done.amount:.2f}",
                    "how": done.get_kind_display()})
                return redirect("changes:enrollment", enrollment_id=enrollment_id)
        elif action in ("apply_ending", "withdraw_ending"):
            pending = request.POST.get("pending", "")
            if action == "apply_ending":
                done, error = attempt(lambda: decisions.apply_ending_after_notice(actor=actor, pending_id=pending))
            else:
                done, error = attempt(lambda: decisions.withdraw_ending(
                    actor=actor, pending_id=pending, reason=form["reason"]))
            if done is not None:
                messages.success(request, _("Done."))
                return redirect("changes:enrollment", enrollment_id=enrollment_id)
    today = clocks.today()
    file = selectors.enrollment_file(actor, enrollment_id, today=today)
    members = Person.objects.filter(household_id=file.enrollment.household_id, is_deceased=False).order_by("id")
    return render(request, "enrollments/changes/enrollment.html", {
        "f": file, "e": file.enrollment, "form": form, "error": error, "action": action, "today": today,
        "decision_choices": _decision_choices(), "members": members,
        "default_month": decisions.effective_month(file.enrollment, None, today) if file.enrollment.status != "ended" else None,
        "can_decide": actor.can("payments.decide"), "can_report": actor.can("payments.report_change"),
        "can_confirm": actor.can("payments.confirm_proposal"),
        "can_settle": actor.can(overpayments.SETTLE) and file.overpaid_open > 0,
        "open_overpayments": [o for o in file.overpayments if o.status == "open"],
        "recovery_methods": RecoveryMethod.choices,
        "leaders": overpayments.county_leaders(file.enrollment.area_id) if actor.can(overpayments.SETTLE) else [],
    }, status=422 if error else 200)


# ---------------------------------------------------------------------------------------------
# A re-check
# ---------------------------------------------------------------------------------------------
@payments_view()
def recheck(request, actor, recheck_id):
    form = {k: request.POST.get(k, "") for k in ("conducted_on", "findings", "outcome", "reason", "effective_month")}
    form["signed"] = bool(request.POST.get("signed"))
    error, action = None, request.POST.get("action", "")
    item = selectors.get_recheck(actor, recheck_id)
    staff, own = investigator_choices(actor, item.enrollment.area_id)
    picker = InvestigatorFields(request.POST if action == "survey" else None, staff_choices=staff, own_staff=own,
                                prefix="survey")
    if request.method == "POST":
        if action == "verify":
            done, error = attempt(lambda: rechecks.verify_recheck(actor=actor, recheck_id=recheck_id))
        elif action == "survey":
            activities = ({a: request.POST.get(f"activity_{a}") == "able" for a in ACTIVITY_LABELS}
                          if request.POST.get("activities_shown") else None)
            if picker.is_valid():
                done, error = attempt(lambda: rechecks.record_recheck_survey(
                    actor=actor, recheck_id=recheck_id, conducted_on=form["conducted_on"],
                    investigators=picker.investigator_items(),
                    findings=form["findings"], signed_by_household=form["signed"], daily_activities=activities))
            else:
                done = None
                error = ValidationError(_("Check the investigators."), field="investigators")
        elif action == "close":
            done, error = attempt(lambda: rechecks.close_recheck(
                actor=actor, recheck_id=recheck_id, outcome=form["outcome"], reason=form["reason"],
                effective_month=form["effective_month"] or None))
        else:
            done = None
        if done is not None:
            messages.success(request, _("Saved."))
            return redirect("changes:recheck", recheck_id=recheck_id)
        item = selectors.get_recheck(actor, recheck_id)
    if action == "survey" and error is not None and error.field == "investigators" and picker.is_valid():
        picker.add_error("investigators", error.message)   # the service's reason, next to the picker
    result = rechecks.recheck_result(item)
    return render(request, "enrollments/changes/recheck.html", {
        "r": item, "e": item.enrollment, "result": result, "survey_needed": rechecks.survey_needed(item, result),
        "result_gaps": len(report_gaps(result)) if result is not None else 0,   # missing or old data: never "no flag"
        "reports": list(item.reports.all()), "signals": list(item.signals.select_related("person")),
        "form": form, "picker": picker, "error": error, "action": action, "outcomes": RecheckOutcome.choices[:5],
        "activities": list(ACTIVITY_LABELS.items()),
        "is_special_hardship": item.enrollment.program_id == "special_hardship",
        "can_work": actor.can("payments.recheck"), "can_decide": actor.can("payments.decide"),
        "can_read_report": actor.can("verification.view"),
    }, status=422 if error else 200)


# ---------------------------------------------------------------------------------------------
# "My work" on the landing page (dashboards)
# ---------------------------------------------------------------------------------------------
def home_queues(actor) -> list[dict]:
    """The landing page's lines for changes and exits, for what the post does: the re-checks
    overdue and due this week (those who work or decide them), the automatic changes waiting for
    confirmation (those who confirm them)."""
    if actor is None or not actor.can(selectors.VIEW):
        return []
    url = reverse("changes:queue")
    lines = []
    if actor.can("payments.recheck") or actor.can("payments.decide"):
        counts = selectors.recheck_counts(actor, clocks.today())
        lines += [
            {"label": _("Re-checks overdue"), "count": counts.overdue, "url": f"{url}?due=overdue#rechecks",
             "css": "status-overdue"},
            {"label": _("Re-checks due this week"), "count": counts.due_soon, "url": f"{url}?due=soon#rechecks",
             "css": "status-waiting"},
        ]
    if actor.can("payments.confirm_proposal"):
        lines.append({"label": _("Automatic changes to confirm"), "count": selectors.proposals_in_scope(actor).count(),
                      "url": f"{url}#proposals", "css": "status-new"})
    return lines
