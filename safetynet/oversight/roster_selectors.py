"""Reads of the posted rosters: the public board's (no login; only the masked columns, as
`publicity.selectors.PUBLIC_FIELDS` for notices) and the staff's scoped list."""
from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from safetynet.areas.models import Area, Level
from safetynet.core.scoping import Actor, in_scope
from safetynet.core.text import normalise_text

from .roster_models import BoardKind, BoardPosting, BoardRow

PUBLIC_ROW_FIELDS = ("id", "position", "change", "program_code", "masked_name", "members_count", "monthly_amount")


def public_villages(q: str = "") -> QuerySet[Area]:
    """The villages the public may look up, by name (or the town's name, or the code typed)."""
    villages = Area.objects.filter(level=Level.VILLAGE, is_active=True).select_related("parent").order_by("code")
    q = normalise_text(q or "").strip()[:50]
    if q:
        villages = villages.filter(Q(name__icontains=q) | Q(parent__name__icontains=q) | Q(code__startswith=q))
    return villages


def latest_posting(village_code: str, kind: str, on: dt.date) -> BoardPosting | None:
    """The newest list of a kind posted in a village by a day: the standing roster stays on the
    board after its notice period until the next month's replaces it."""
    return (BoardPosting.objects.filter(area_id=village_code, kind=kind, starts_on__lte=on)
            .order_by("-month", "-starts_on", "-id").first())


def public_rows(posting: BoardPosting | None) -> list[dict]:
    if posting is None:
        return []
    return list(BoardRow.objects.filter(posting=posting).order_by("position").values(*PUBLIC_ROW_FIELDS))


def public_row(village_code: str, row_id: int, on: dt.date) -> BoardRow | None:
    """A row of the village's current roster or changes (the ones the board shows), or None."""
    current = [p.pk for p in (latest_posting(village_code, kind, on) for kind in BoardKind.values) if p is not None]
    return BoardRow.objects.filter(pk=row_id, posting_id__in=current).select_related("posting").first()


def postings_in_scope(actor: Actor, *, month: dt.date | None = None, kind: str = "", q: str = "") -> QuerySet[BoardPosting]:
    rows = in_scope(BoardPosting.objects.select_related("area", "area__parent"), actor)
    if month:
        rows = rows.filter(month=month)
    if kind in BoardKind.values:
        rows = rows.filter(kind=kind)
    q = normalise_text(q or "").strip()[:50]
    if q:
        rows = rows.filter(Q(area__name__icontains=q) | Q(area__code__startswith=q))
    return rows.order_by("-month", "area_id", "kind")
