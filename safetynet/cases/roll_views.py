"""The roll page of a deliberation meeting (issue 19 part 3): who took part, by name, and the
form that adds to it (a name, an ID number, an account and a representative's mark a line, as
typed or pasted from a spreadsheet). A thin adapter over `deliberation_rolls`, which the API and
the demo call too."""
from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from safetynet.core.decorators import post_view
from safetynet.core.masking import mask_id_number
from safetynet.core.pagewrites import attempt

from . import deliberation_rolls as rolls


@post_view(rolls.VIEW)
def roll(request, actor, case_id: int, deliberation_id: int):
    meeting = rolls.get_deliberation(actor, deliberation_id)
    if meeting.case_id != case_id:
        raise Http404()
    text, error = request.POST.get("roll", ""), None
    if request.method == "POST":
        done, error = attempt(lambda: rolls.record_deliberation_roll(
            actor=actor, deliberation_id=meeting.pk, participants=rolls.rows_from_text(text)))
        if done is not None:
            messages.success(request, _("%(n)s participants added to the roll.") % {"n": len(done)})
            return redirect("cases:deliberation_roll", case_id=case_id, deliberation_id=meeting.pk)
    whole = actor.can("registry.view_id_number")
    people = [{"p": p, "id_number": p.id_number if whole else mask_id_number(p.id_number),
               "account": ("…" + p.bank_account[-4:]) if p.bank_account else ""}
              for p in rolls.roll_of(actor, meeting)]
    return render(request, "cases/deliberation_roll.html", {
        "meeting": meeting, "case": meeting.case, "people": people, "room": max(meeting.participants - len(people), 0),
        "may_record": actor.can(rolls.DELIBERATE), "text": text, "error": error,
        "error_rows": (error.details or {}).get("rows", []) if error else []}, status=422 if error else 200)
