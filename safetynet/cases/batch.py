"""One step for many cases at once: the steps that ask nothing of the user but the decision to
take them (UI.md: less manual work per case). A town closes the notices of a village whose seven
days are over in one go, instead of opening each case; the county confirms a list.

Each case still goes through the step's own service, in its own transaction, with every check,
its timeline row and its audit event, exactly as when it is taken on the case page: a batch adds
no rule. One case refused (not in the actor's area, not at that step, moved by someone else since
the page was drawn, a guard) leaves the others done, and its result says why.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from safetynet.core.errors import SafetyNetError, ValidationError
from safetynet.core.scoping import Actor

from . import services, workflow
from .models import Case, Status

# The steps that may be taken for many cases at once, with the words of their button.
BATCH_ACTIONS = {
    "publish_notice": (services.publish_notice, _l("Publish the notices of the selected cases")),
    "close_notice": (services.close_notice, _l("Close the notices of the selected cases")),
    "confirm": (services.confirm_case, _l("Confirm the selected cases")),
}
MAX_BATCH = 100


@dataclass(frozen=True)
class BatchResult:
    case_id: int
    ok: bool
    status: str = ""              # the case's status after the step, when it was taken
    error: dict | None = None     # SafetyNetError.as_dict() of the refusal, otherwise


def batch_label(action: str) -> str:
    return str(BATCH_ACTIONS[action][1])


def batch_actions_for(actor: Actor) -> list[str]:
    """The batch steps this post's role may take (the queue offers only these)."""
    return [a for a in BATCH_ACTIONS if actor.can(workflow.ACTION_PERMISSION[a])]


def take_step_for_cases(*, actor: Actor, action: str, case_ids, versions: dict | None = None) -> list[BatchResult]:
    """Take `action` on each case in `case_ids` (in that order, each once), through its service.

    `versions` maps a case id to the version the user saw; a case moved since then is refused
    as stale rather than acted on. Refuses the whole batch, before touching any case, when the
    action is not a batch step, the post's role may not take it, or the list is empty or longer
    than MAX_BATCH."""
    if action not in BATCH_ACTIONS:
        raise ValidationError(_("This step cannot be taken for several cases at once."), field="action")
    actor.require(workflow.ACTION_PERMISSION[action])
    ids = []
    for value in case_ids or ():
        try:
            case_id = int(value)
        except (TypeError, ValueError):
            raise ValidationError(_("%(value)s is not a case number.") % {"value": value}, field="cases")
        if case_id not in ids:
            ids.append(case_id)
    if not ids:
        raise ValidationError(_("Select at least one case."), field="cases")
    if len(ids) > MAX_BATCH:
        raise ValidationError(_("At most %(n)d cases at once.") % {"n": MAX_BATCH}, field="cases")
    service = BATCH_ACTIONS[action][0]
    versions = versions or {}
    results = []
    for case_id in ids:
        try:
            done = service(actor=actor, case_id=case_id, version=versions.get(case_id))
        except SafetyNetError as error:
            results.append(BatchResult(case_id, False, error=error.as_dict()))
            continue
        # confirm_case answers with the Decision; its case is then confirmed.
        status = done.status if isinstance(done, Case) else Status.CONFIRMED
        results.append(BatchResult(case_id, True, status=status))
    return results
