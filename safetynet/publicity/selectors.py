"""Reads of notices: the public board (no login; only what POLICY.md §7 allows, already masked
in the table) and the staff's scoped view."""
from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from safetynet.core.scoping import Actor, in_scope

from .models import Notice, NoticeStatus, Objection

PUBLIC_FIELDS = ("id", "area_id", "program_code", "masked_name", "members_count", "monthly_amount", "starts_on", "ends_on",
                 "objection_state", "republished")


def public_notices(village_code: str, on_date: dt.date) -> list[dict]:
    """Notices running in a village on a day, as the public board shows them; a notice someone
    objected to stays, past its last day, until it is posted again or the case ends (its state
    says where the objection stands)."""
    return list(Notice.objects.filter(area_id=village_code, status=NoticeStatus.POSTED, starts_on__lte=on_date)
                .filter(Q(ends_on__gte=on_date) | ~Q(objection_state=""))
                .order_by("starts_on", "id").values(*PUBLIC_FIELDS))


def notices_in_scope(actor: Actor) -> QuerySet[Notice]:
    return in_scope(Notice.objects.all(), actor)


def objections_for_case(actor: Actor, case_id: int) -> QuerySet[Objection]:
    return in_scope(Objection.objects.filter(case_id=case_id), actor, "notice__area")
