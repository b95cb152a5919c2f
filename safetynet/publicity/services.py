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
from safetynet.core.statements import insert_row, update_where

from .models import Notice, NoticeStatus, Objection, ObjectionState


def post_notice(*, case, applicant_name: str, members_count: int, monthly_amount: Decimal, starts_on: dt.date,
                ends_on: dt.date, posted_by: str, republished: bool = False) -> Notice:
    """Post the case's notice in its village (the 12-digit village code of the household's area).
    `republished`: posted again after an objection was answered; the earlier notice, still on the
    board with the answer's outcome, is closed first."""
    if republished:
        end_notice(case=case)
    return insert_row(Notice(
        case_id=case.pk, area_id=case.area_id[:12], program_code=case.program_id,
        masked_name=mask_name(applicant_name), members_count=members_count, monthly_amount=monthly_amount,
        starts_on=starts_on, ends_on=ends_on, posted_by=posted_by, republished=republished))


def posted_notice(case) -> Notice | None:
    return Notice.objects.filter(case_id=case.pk, status=NoticeStatus.POSTED).first()


def end_notice(*, case, status: str = NoticeStatus.CLOSED) -> int:
    """Close (or withdraw, when the case is withdrawn or contested) the case's posted notice."""
    return update_where(Notice, {"status": status, "closed_at": timezone.now()}, case=case.pk, status=NoticeStatus.POSTED)


def file_objection(*, case, notice: Notice, content: str, received_on: dt.date, objector_name: str = "",
                   objector_contact: str = "", recorded_by: str) -> Objection:
    """Keep the objection; the notice stays posted, marked as under objection."""
    Notice.objects.filter(pk=notice.pk).update(objection_state=ObjectionState.UNDER_OBJECTION)
    return Objection.objects.create(notice=notice, case_id=case.pk, received_on=received_on, objector_name=objector_name,
                                    objector_contact=objector_contact, content=content, recorded_by=recorded_by)


def resolve_objections(*, case, resolution: str) -> int:
    """A re-survey or a deliberation answered the open objections (POLICY.md §1 step 5)."""
    return Objection.objects.filter(case_id=case.pk, resolved_at__isnull=True).update(
        resolution=resolution, resolved_at=timezone.now())


def answer_objections(*, case, finding: str, answer: str, answered_by: str) -> int:
    """The town's answer to every objection not yet answered, after its re-survey or deliberation;
    the posted notice shows the outcome (upheld, or not upheld) instead of "under objection"."""
    count = Objection.objects.filter(case_id=case.pk, answered_at__isnull=True).update(
        finding=finding, answer=answer, answered_by=answered_by, answered_at=timezone.now())
    Notice.objects.filter(case_id=case.pk, status=NoticeStatus.POSTED).update(objection_state=finding)
    return count
