"""The audit ledger for those who supervise (issue 18 part 7): search and the chain's status.

`search_ledger` reads `core.AuditEvent` for a post holding `audit.view`, scoped by the post's area
(an event's `area_code` is the post that wrote it, so a town's inspector reads what its town's posts
did; the system's events, with no area, only a national post), filtered by person, object, action
and time, newest first, a page at a time by keyset on `sequence` (the ledger is too long to count
or to skip through: "before sequence N" enters the index where the last page ended).

`chain_status` runs the same walk as `safetynet audit verify` (`core.audit.iter_breaks`) and says
what it found: intact up to sequence N, or the first break at N and why.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.core.audit import iter_breaks
from safetynet.core.dates import parse_date
from safetynet.core.models import AuditEvent
from safetynet.core.scoping import Actor
from safetynet.core.text import clean_field

VIEW = "audit.view"
PAGE_SIZE = 50


@dataclass
class LedgerFilter:
    username: str = ""
    object_type: str = ""
    object_id: str = ""
    action: str = ""            # an action, or its prefix ("oversight." for every oversight write)
    area: str = ""              # narrower than the post's own area
    since: dt.date | None = None
    until: dt.date | None = None

    @classmethod
    def from_query(cls, data) -> "LedgerFilter":
        """The filter from what a page or the API was given (text cleaned, dates read)."""
        def text(name, n=64):
            return clean_field(data.get(name, "") or "", name, max_length=n)
        return cls(username=text("username", 150), object_type=text("object_type"), object_id=text("object_id"),
                   action=text("action"), area=text("area", 18),
                   since=parse_date(data.get("since") or None, field="since"),
                   until=parse_date(data.get("until") or None, field="until"))

    def as_query(self) -> dict:
        return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in self.__dict__.items() if v}


def ledger_in_scope(actor: Actor) -> QuerySet[AuditEvent]:
    actor.require(VIEW)
    qs = AuditEvent.objects.all()
    return qs if actor.is_national else qs.filter(area_code__startswith=actor.area_code)


EARLIEST, LATEST = dt.date(1970, 1, 1), dt.date(2999, 12, 31)


def _start_of(day: dt.date) -> dt.datetime:
    """The first moment of `day` (a date outside the ledger's possible years is its nearest end)."""
    return timezone.make_aware(dt.datetime.combine(min(max(day, EARLIEST), LATEST), dt.time.min))


def search_ledger(actor: Actor, filters: LedgerFilter, *, before: int | None = None,
                  limit: int = PAGE_SIZE) -> tuple[list[AuditEvent], int | None]:
    """One page of events, newest first, and the cursor of the next page (None on the last)."""
    qs = ledger_in_scope(actor)
    if filters.username:
        qs = qs.filter(username=filters.username)
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    if filters.object_id:
        qs = qs.filter(object_id=filters.object_id)
    if filters.action:
        qs = qs.filter(action__startswith=filters.action)
    if filters.area:
        qs = qs.filter(area_code__startswith=filters.area)
    if filters.since:
        qs = qs.filter(at__gte=_start_of(filters.since))
    if filters.until:
        qs = qs.filter(at__lt=_start_of(min(filters.until, LATEST) + dt.timedelta(days=1)))
    if before:
        qs = qs.filter(sequence__lt=before)
    rows = list(qs.order_by("-sequence").only(
        "sequence", "at", "username", "role", "area_code", "action", "object_type", "object_id", "before", "after")
        [:limit + 1])
    return rows[:limit], (rows[limit - 1].sequence if len(rows) > limit else None)


@dataclass
class ChainStatus:
    intact: bool
    last_sequence: int          # the last event walked
    break_at: int | None = None
    reason: str = ""

    @property
    def message(self) -> str:
        if self.intact:
            return _("The audit ledger is intact up to sequence %(n)s.") % {"n": self.last_sequence}
        return _("The audit ledger is broken: first break at sequence %(n)s (%(reason)s).") % {
            "n": self.break_at, "reason": self.reason}


def chain_status(actor: Actor) -> ChainStatus:
    """Walk the whole chain now (what `safetynet audit verify` does) and say what it found."""
    actor.require(VIEW)
    last = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0
    found = next(iter_breaks(), None)
    if found is None:
        return ChainStatus(intact=True, last_sequence=last)
    return ChainStatus(intact=False, last_sequence=last, break_at=found.sequence, reason=found.reason)
