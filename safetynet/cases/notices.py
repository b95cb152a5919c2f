"""A notice whose days are over without an objection closes by itself (issue 15: nobody should
click for a step that asks nothing of them). The daily task (`safetynet close_notices`) closes
every such notice in the actor's area through the same step the town's button takes
(`services.close_notice`, via cases.batch), so the guard (the full days have run), the case's
timeline and the audit ledger are exactly as when a worker closes it; a case under objection is
no longer "in notice" and is left alone."""
from __future__ import annotations

from safetynet.core.scoping import Actor

from . import batch, clocks, selectors, workflow
from .models import Status


def notices_to_close(actor: Actor) -> list[int]:
    """The cases in the actor's area whose notice is posted and whose last day has passed."""
    return list(selectors.cases_in_scope(actor).filter(status=Status.IN_NOTICE, notice_ends_on__lt=clocks.today())
                .order_by("id").values_list("id", flat=True))


def close_ended_notices(*, actor: Actor) -> list[batch.BatchResult]:
    """Close every notice that is over, MAX_BATCH cases per transaction; each case's result
    says whether it was closed or why not."""
    actor.require(workflow.ACTION_PERMISSION["close_notice"])
    ids = notices_to_close(actor)
    results: list[batch.BatchResult] = []
    for start in range(0, len(ids), batch.MAX_BATCH):
        results += batch.take_step_for_cases(actor=actor, action="close_notice", case_ids=ids[start:start + batch.MAX_BATCH])
    return results
