"""Writes to the public notice board (POLICY.md §1 step 5, §7).

These run inside the case services' transactions (`cases.services.publish_notice`,
`record_objection`, `answer_objection`, `close_notice`, `withdraw_case`, `refuse_case`), which
check the actor, the case's state and its area; here is only what a notice may say and how it
is kept. An objection does not take the notice down: it stays on the board marked "under
objection" until the town answers, then shows the answer's outcome until the notice is posted
again (or the case is refused or withdrawn) (MLG-2021 art. 19). Masking happens
when the notice is written: the name as surname plus one character (core.masking.mask_name),
the number of members and the amount, and nothing else (no ID number, address or health
information), so no public page built on `Notice` can show more.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from safetynet.core.masking import mask_name
from safetynet.core.statements import Prepared, rows_by_key

from .models import Notice, NoticeStatus, Objection, ObjectionState
from .signals import objection_filed


def post_notice(uow, *, case, applicant_name: str, members_count: int, monthly_amount: Decimal, starts_on: dt.date,
                ends_on: dt.date, posted_by: str, republished: bool = False) -> Notice:
    """Post the case's notice in its village (the 12-digit village code of the household's area),
    through the step's unit of work. `republished`: posted again after an objection was answered;
    the earlier notice, still on the board with the answer's outcome, is closed first."""
    if republished:
        end_notice(uow, case=case)
    return uow.insert(Notice(
        case_id=case.pk, area_id=case.area_id[:12], program_code=case.program_id,
        masked_name=mask_name(applicant_name), members_count=members_count, monthly_amount=monthly_amount,
        starts_on=starts_on, ends_on=ends_on, posted_by=posted_by, republished=republished))


def posted_notice(case) -> Notice | None:
    return Notice.objects.filter(case_id=case.pk, status=NoticeStatus.POSTED).first()


def end_notice(uow, *, case, status: str = NoticeStatus.CLOSED) -> None:
    """Close (or withdraw, when the case is withdrawn or contested) the case's posted notice."""
    uow.update_where(Notice, {"status": status, "closed_at": timezone.now()}, case=case.pk, status=NoticeStatus.POSTED)


def file_objection(uow, *, case, notice: Notice, content: str, received_on: dt.date, objector_name: str = "",
                   objector_contact: str = "", recorded_by: str) -> Objection:
    """Keep the objection; the notice stays posted, marked as under objection. The apps above
    hear of it in the same unit of work (`signals.objection_filed`)."""
    uow.update_where(Notice, {"objection_state": ObjectionState.UNDER_OBJECTION}, id=notice.pk)
    objection = uow.insert(Objection(notice=notice, case_id=case.pk, received_on=received_on, objector_name=objector_name,
                                     objector_contact=objector_contact, content=content, recorded_by=recorded_by))
    objection_filed.send(sender=Objection, uow=uow, objection=objection, case=case, notice=notice)
    return objection


_UNRESOLVED = Prepared(lambda ids: Objection.objects.filter(case_id__in=ids, resolved_at__isnull=True).order_by("id")
                       .values_list("case_id", "id"))
_UNANSWERED = Prepared(lambda ids: Objection.objects.filter(case_id__in=ids, answered_at__isnull=True).order_by("id")
                       .values_list("case_id", "id"))


def resolve_objections(uow, *, case, resolution: str) -> int:
    """A re-survey or a deliberation answered the open objections (POLICY.md §1 step 5)."""
    found = rows_by_key(_UNRESOLVED, [case.pk])[case.pk]
    now = timezone.now()
    for (objection_id,) in found:
        uow.update_where(Objection, {"resolution": resolution, "resolved_at": now}, id=objection_id)
    return len(found)


def answer_objections(uow, *, case, finding: str, answer: str, answered_by: str) -> int:
    """The town's answer to every objection not yet answered, after its re-survey or deliberation;
    the posted notice shows the outcome (upheld, or not upheld) instead of "under objection"."""
    found = rows_by_key(_UNANSWERED, [case.pk])[case.pk]
    now = timezone.now()
    for (objection_id,) in found:
        uow.update_where(Objection, {"finding": finding, "answer": answer, "answered_by": answered_by,
                                     "answered_at": now}, id=objection_id)
    uow.update_where(Notice, {"objection_state": finding}, case=case.pk, status=NoticeStatus.POSTED)
    return len(found)
