"""Posting the village rosters and their monthly changes (issue 18 part 1; MLG-2021 art. 24,
POLICY.md §7).

`post_boards(uow, actor, month, village_codes)` posts, for each village, the standing roster of
the month (the dibao and special-hardship enrollments live at its end) and the month's changes
(enrollments that started in it, and those that ended in it), set-based: a few reads for all the
villages at once, the rows written masked through the unit of work. A village's list of a kind
is posted once a month (a unique constraint; a second call passes it by), so the demo, the page
and a monthly job may all call it. `post_monthly_boards` is the page's door: one area (a town, a
county or one village), its own unit of work.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.areas.models import Area, Level
from safetynet.cases import clocks
from safetynet.core.errors import ValidationError
from safetynet.core.masking import mask_name
from safetynet.core.scoping import Actor
from safetynet.core.unitofwork import UnitOfWork, unit_of_work
from safetynet.enrollments.models import LIVE_STATUSES, Enrollment, EnrollmentStatus
from safetynet.programs.catalogue import DIBAO, OVERSIGHT, SPECIAL_HARDSHIP
from safetynet.programs.selectors import parameters_for
from safetynet.registry.models import Person

from .roster_models import BoardChange, BoardKind, BoardPosting, BoardRow

POST = "cases.notice"
ROSTER_PROGRAMS = (DIBAO, SPECIAL_HARDSHIP)


@dataclass
class PostedBoards:
    month: dt.date
    posted: list[BoardPosting] = field(default_factory=list)
    already: int = 0            # village lists of this month posted earlier (left as they are)
    rows: int = 0


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def checked_month(month, *, on: dt.date | None = None) -> dt.date:
    """The month as its first day; not later than the business month (a roster is of what was)."""
    if isinstance(month, str):
        try:
            month = dt.date.fromisoformat(month + "-01" if len(month) == 7 else month)
        except ValueError:
            raise ValidationError(_("Give the month as YYYY-MM."), field="month") from None
    if not isinstance(month, dt.date):
        raise ValidationError(_("Give the month as YYYY-MM."), field="month")
    month = month.replace(day=1)
    if month > (on or clocks.today()).replace(day=1):
        raise ValidationError(_("A month that has not begun has no roster yet."), field="month")
    return month


def board_period(area_code: str, starts_on: dt.date) -> tuple[dt.date, dt.date]:
    """From the day posted, for the area's `board_notice_days` calendar days (POLICY.md §7)."""
    days = int(parameters_for(OVERSIGHT, area_code, starts_on)["board_notice_days"])
    return starts_on, starts_on + dt.timedelta(days=days - 1)


def villages_under(area_code: str) -> list[str]:
    return list(Area.objects.filter(level=Level.VILLAGE, is_active=True, code__startswith=area_code)
                .order_by("code").values_list("code", flat=True))


def _enrollment_rows(village_codes: list[str], month: dt.date) -> dict[str, dict[str, list[dict]]]:
    """{village: {kind or change: [enrollment facts]}}: the roster of the month's end, the month's
    additions and its removals, read for all the villages at once."""
    end = next_month(month)
    prefix = _common_prefix(village_codes)
    wanted = set(village_codes)
    live_at_end = Q(start_month__lt=end) & (Q(ended_on__isnull=True, status__in=LIVE_STATUSES) | Q(ended_on__gte=end))
    added = Q(start_month=month)
    removed = Q(status=EnrollmentStatus.ENDED, ended_on__gte=month, ended_on__lt=end)
    rows = (Enrollment.objects.filter(program_id__in=ROSTER_PROGRAMS, area__code__startswith=prefix)
            .filter(live_at_end | added | removed)
            .values("id", "program_id", "household_id", "person_id", "person__name", "case__applicant__name",
                    "monthly_amount", "area_id", "status", "start_month", "ended_on")
            .order_by("program_id", "id"))
    rows = [r for r in rows if r["area_id"][:12] in wanted]
    members = dict(Person.objects.filter(household_id__in={r["household_id"] for r in rows if not r["person_id"]},
                                         is_deceased=False)
                   .values("household_id").annotate(n=Count("id")).values_list("household_id", "n"))
    found: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        r["masked_name"] = mask_name(r["person__name"] or r["case__applicant__name"] or "")
        r["members_count"] = 1 if r["person_id"] else max(1, members.get(r["household_id"], 1))
        village = r["area_id"][:12]
        ended_in_month = r["ended_on"] is not None and month <= r["ended_on"] < end and r["status"] == EnrollmentStatus.ENDED
        if r["start_month"] < end and (r["ended_on"] is None and r["status"] in LIVE_STATUSES or
                                       r["ended_on"] is not None and r["ended_on"] >= end):
            found[village][BoardKind.ROSTER].append(r)
        if r["start_month"] == month:
            found[village][BoardChange.ADDED].append(r)
        if ended_in_month:
            found[village][BoardChange.REMOVED].append(r)
    return found


def _common_prefix(codes: list[str]) -> str:
    if not codes:
        return ""
    first, last = min(codes), max(codes)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


def post_boards(uow: UnitOfWork, actor: Actor, *, month: dt.date, village_codes: list[str]) -> PostedBoards:
    """Post the roster and the changes of `month` in each village (in the actor's area), through
    `uow`; a village's list already posted for the month is left as it was."""
    actor.require(POST)
    for code in village_codes:
        actor.require_area(code)
    month = checked_month(month)
    result = PostedBoards(month)
    if not village_codes:
        return result
    done = set(BoardPosting.objects.filter(area_id__in=village_codes, month=month).values_list("area_id", "kind"))
    facts = _enrollment_rows(village_codes, month)
    today, at = clocks.today(), timezone.now()
    for code in village_codes:
        starts_on, ends_on = board_period(code, today)
        for kind, parts in ((BoardKind.ROSTER, [(BoardChange.NONE, facts[code][BoardKind.ROSTER])]),
                            (BoardKind.CHANGES, [(BoardChange.ADDED, facts[code][BoardChange.ADDED]),
                                                 (BoardChange.REMOVED, facts[code][BoardChange.REMOVED])])):
            if (code, kind) in done:
                result.already += 1
                continue
            count = sum(len(rows) for _change, rows in parts)
            posting = uow.insert(BoardPosting(area_id=code, month=month, kind=kind, starts_on=starts_on, ends_on=ends_on,
                                              rows_count=count, posted_by=actor.username, posted_at=at))
            position = 0
            for change, rows in parts:
                for r in rows:
                    position += 1
                    uow.insert_unkeyed(BoardRow(
                        posting_id=posting.pk, position=position, enrollment_id=r["id"], change=change,
                        program_code=r["program_id"], masked_name=r["masked_name"], members_count=r["members_count"],
                        monthly_amount=r["monthly_amount"]))
            result.posted.append(posting)
            result.rows += count
    if result.posted:
        uow.record_event(actor=actor, action="oversight.post_boards", object_type="oversight.boardposting",
                         object_id=f"{_common_prefix(village_codes)}:{month:%Y-%m}",
                         after={"month": f"{month:%Y-%m}", "villages": len(village_codes), "postings": len(result.posted),
                                "already": result.already, "rows": result.rows})
    return result


def post_monthly_boards(*, actor: Actor, month, area_code: str) -> PostedBoards:
    """Post the month's lists in every village of a town or county (or one village), in one unit
    of work: the page's and the demo's door."""
    actor.require(POST)
    area_code = (area_code or "").strip()
    if len(area_code) not in (6, 9, 12) or not Area.objects.filter(code=area_code).exists():
        raise ValidationError(_("Choose a county, a town or a village."), field="area")
    actor.require_area(area_code)
    villages = villages_under(area_code)
    with unit_of_work(size_hint=max(1, len(villages) * 30)) as uow:
        return post_boards(uow, actor, month=month, village_codes=villages)
