"""One step for many cases at once (UI.md: less manual work per case). A town closes the notices
of a village whose seven days are over in one go instead of opening each case; the county
confirms a list; a village's entrusted applications are filed together; the verification
engine or the county files a list of reports.

A step is written once, for a list of cases (`services.take_step`; one case on its page is a
list of one): the same checks, timeline rows and audit events, in one unit of work whose writes
are sent together at the end (core/unitofwork.py): a step for a hundred cases is a few
statements and one commit, not a thousand and a hundred. This module checks the lists people
and programs send (which steps may be taken for many, the inputs each takes). One case refused
(not in the actor's area, not at that step, moved by someone else since the page was drawn, a
guard, bad input) has its writes dropped and leaves the others done; its result says why.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError
from django.utils.translation import gettext as _

from safetynet.core.errors import Conflict, ValidationError
from safetynet.core.scoping import Actor
from safetynet.core.unitofwork import unit_of_work

from . import services, steps

# The steps that may be taken for many cases at once, with the inputs each case may carry (the
# step's own keyword arguments, checked by the step) and the queue's button: cases/steps.py
# (`Step.many`). Each writes only through its unit of work; tests/test_cases_batch_path.py checks it.
APPLICATION_FIELDS = ("program_code", "household_id", "applicant_id", "channel", "entrusted_by", "requested_amount",
                      "kind", "covered_person_id", "reason")
MAX_BATCH = 100


@dataclass(frozen=True)
class BatchResult:
    case_id: int | None           # None for an application that was not filed
    ok: bool
    status: str = ""              # the case's status after the step, when it was taken
    error: dict | None = None     # SafetyNetError.as_dict() of the refusal, otherwise


def batch_label(action: str) -> str:
    return str(steps.STEPS[action].many.button)


def batch_actions_for(actor: Actor) -> list[str]:
    """The batch steps this post's role may take from the queue (it offers only these)."""
    return [a for a in steps.ON_THE_QUEUE if actor.can(steps.STEPS[a].permission)]


def take_step_for_cases(*, actor: Actor, action: str, case_ids, versions: dict | None = None) -> list[BatchResult]:
    """Take `action` (a queue step, steps.ON_THE_QUEUE) on each case in `case_ids`, in that order,
    each once. `versions` maps a case id to the version the user saw; a case moved since then
    is refused as stale rather than acted on."""
    if action not in steps.ON_THE_QUEUE:
        raise ValidationError(_("This step cannot be taken for several cases at once."), field="action")
    versions = versions or {}
    return take_steps(actor=actor, action=action, items=[
        {"case": case_id, "version": versions.get(_case_number(case_id))} for case_id in case_ids or ()])


def take_steps(*, actor: Actor, action: str, items) -> list[BatchResult]:
    """Take `action` (a step with `many`, cases/steps.py) on each case of `items`: dicts of
    "case" (its id), optionally "version" and the step's own inputs. Refuses the whole batch, before touching any case,
    when the step cannot be batched, the post's role may not take it, an item is malformed, or
    the list is empty or longer than MAX_BATCH; a case listed twice is taken once."""
    step = steps.STEPS.get(action)
    if step is None or step.many is None:
        raise ValidationError(_("This step cannot be taken for several cases at once."), field="action")
    actor.require(step.permission)
    allowed = step.many.inputs
    work, seen = [], set()
    for item in _listed(items):
        if not isinstance(item, dict):
            raise ValidationError(_("Each case is given with its number."), field="cases")
        case_id = _case_number(item.get("case"))
        unknown = sorted(set(item) - {"case", "version"} - set(allowed))
        if unknown:
            raise ValidationError(_("This step takes no %(names)s.") % {"names": ", ".join(unknown)}, field=unknown[0])
        if case_id in seen:
            continue
        seen.add(case_id)
        inputs = {k: v for k, v in item.items() if k not in ("case", "version")}
        work.append((case_id, _version(item.get("version"), case_id), inputs))
    return _run(lambda uow: services.take_step(uow, actor, step.service, work), len(work))


def apply_for_households(*, actor: Actor, applications) -> list[BatchResult]:
    """File many applications at once (a village's entrusted list, an import): each a dict of
    `services.apply_for_assistance`'s arguments, filed through it. Two applications in the list
    that could not both be open are refused after the first, as the service refuses them."""
    actor.require("cases.apply")
    work = []
    for item in _listed(applications, field="applications"):
        if not isinstance(item, dict):
            raise ValidationError(_("Each application is a set of fields."), field="applications")
        unknown = sorted(set(item) - set(APPLICATION_FIELDS))
        if unknown:
            raise ValidationError(_("An application takes no %(names)s.") % {"names": ", ".join(unknown)}, field=unknown[0])
        work.append(item)
    return _run(lambda uow: services.file_applications(uow, actor, work), len(work))


# ---- the one loop ----------------------------------------------------------------------------

def _listed(items, *, field: str = "cases") -> list:
    items = list(items or ())
    if not items:
        raise ValidationError(_("Select at least one case.") if field == "cases" else _("List at least one application."),
                              field=field)
    if len(items) > MAX_BATCH:
        raise ValidationError((_("At most %(n)d cases at once.") if field == "cases"
                               else _("At most %(n)d applications at once.")) % {"n": MAX_BATCH}, field=field)
    return items


def _version(value, case_id: int) -> int | None:
    """The version the user saw, or None; anything else refuses the batch (a stale-page check
    cannot be skipped for a version that cannot be read)."""
    if value is None or (type(value) is int and value > 0):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise ValidationError(_("The version given for case %(case)s is not a number.") % {"case": case_id}, field="version")


def _case_number(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError(_("%(value)s is not a case number.") % {"value": value}, field="cases")


def _run(take, size: int) -> list[BatchResult]:
    try:
        with unit_of_work(size_hint=size) as uow:
            results = take(uow)
    except IntegrityError:
        # Another desk filed or decided the same thing between this batch's checks and its
        # commit; the database refused, and nothing of the batch was saved (the transaction was
        # rolled back; the connection is usable).
        raise Conflict(_("Someone else saved one of these cases at the same moment; nothing was saved. Try again."))
    return [BatchResult(r.case_id, r.ok, status=r.status, error=r.error.as_dict() if r.error is not None else None)
            for r in results]
