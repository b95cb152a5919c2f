"""Filing complaints and reports, whoever files them (issue 18 part 2).

`file_complaints(uow, actor, items)` is the one way a complaint arrives: from the public page
(no login), typed in by staff from the hotline, a letter or a visit, from an objection to a public
notice (`file_objection_complaint`, on `publicity.signals.objection_filed`), or opened by a control
that found something (a spot check's wrong verdict, an anomaly: `source_key`, so the same finding
opens one complaint however often the control runs). Each gets:

- its category's limits in working days (the county's own row, else the national one), from the
  day it arrived: answered within `response_days`, resolved within `resolution_days`;
- its handling office: the town of the matter, or the county when the category is sensitive
  (bribery, a staff member's relative), so that it goes past the town concerned;
- a token the reporter follows it with (only the SHA-256 is kept), never their identity, which
  `may_see_reporter` alone opens (the supervision inspector of a county or above).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.areas.models import Area
from safetynet.cases import clocks as case_clocks
from safetynet.cases.models import Case
from safetynet.core.errors import NotFound, ValidationError
from safetynet.core.scoping import Actor, in_scope
from safetynet.core.text import checked_choice, clean_field
from safetynet.core.unitofwork import UnitOfWork, unit_of_work
from safetynet.core.workdays import add_working_days, working_days_between
from safetynet.enrollments.models import Enrollment
from safetynet.programs.catalogue import OVERSIGHT
from safetynet.programs.selectors import parameters_for

from .models import (
    STAFF_CHANNELS, CategoryCode, ClockState, Complaint, ComplaintCategory, ComplaintChannel, ComplaintEvent,
    ComplaintEventKind, ComplaintStatus,
)

VIEW = "oversight.view"
TAKE = "oversight.take"
HANDLE = "oversight.handle"
REPORTER_IDENTITY = "oversight.reporter_identity"


def today() -> dt.date:
    """The business date (the demo and tests move it through `cases.clocks.today`)."""
    return case_clocks.today()


def now() -> dt.datetime:
    return timezone.now()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.strip().encode()).hexdigest()


def may_see_reporter(actor: Actor | None) -> bool:
    """Only the supervision inspector of a county (or above) sees who filed a complaint; the
    office handling it, the town concerned and the other inspectors never do."""
    return bool(actor) and actor.can(REPORTER_IDENTITY) and len(actor.area_code) <= 6


def complaints_in_scope(actor: Actor) -> QuerySet[Complaint]:
    """The complaints a post sees: those handled by an office in its area (a sensitive complaint
    about a town is handled by the county, so the town does not see it)."""
    actor.require(VIEW)
    return in_scope(Complaint.objects.all(), actor, "handling_area")


def category_for(code: str, area_code: str) -> ComplaintCategory | None:
    """The county's own row for the code, else the national one (None: no such category in use)."""
    rows = {c.area_id: c for c in ComplaintCategory.objects.filter(code=code).filter(
        Q(area__isnull=True) | Q(area_id=area_code[:6]))}
    found = rows.get(area_code[:6]) or rows.get(None)
    return found if found is not None and found.is_active else None


def categories_for(area_code: str) -> list[ComplaintCategory]:
    """The categories in use in a county: its own rows, and the national ones it did not replace."""
    rows = ComplaintCategory.objects.filter(Q(area__isnull=True) | Q(area_id=area_code[:6]))
    by_code: dict[str, ComplaintCategory] = {}
    for row in sorted(rows, key=lambda r: r.area_id is not None):
        by_code[row.code] = row
    return [c for c in by_code.values() if c.is_active]


def handling_office(area_code: str, category: ComplaintCategory) -> str:
    """The town of the matter, or the county when the category is sensitive or the matter is
    above any town."""
    if category.sensitive or len(area_code) < 9:
        return area_code[:6]
    return area_code[:9]


@dataclass(frozen=True)
class Deadlines:
    response_on: dt.date
    resolution_on: dt.date


def deadlines(category: ComplaintCategory, received_on: dt.date) -> Deadlines:
    return Deadlines(add_working_days(received_on, category.response_days),
                     add_working_days(received_on, category.resolution_days))


def clock_state(complaint: Complaint, on: dt.date | None = None) -> str:
    """On track, at risk (the deadline it must meet next is `complaint_at_risk_days` working days
    away or fewer) or breached (that day has passed); done once answered or closed."""
    if not complaint.is_open:
        return ClockState.DONE
    on = on or today()
    due = complaint.resolution_due_on if complaint.responded_on else complaint.response_due_on
    if on > due:
        return ClockState.BREACHED
    at_risk = parameters_for(OVERSIGHT, complaint.area_id, on)["complaint_at_risk_days"]
    return ClockState.AT_RISK if working_days_between(on, due) <= at_risk else ClockState.ON_TRACK


@dataclass
class ComplaintInput:
    """One complaint as it arrives. `area_code`: where the matter is (a village, or a town)."""
    channel: str
    category: str
    content: str
    area_code: str = ""
    subject: str = ""
    anonymous: bool = True
    reporter_name: str = ""
    reporter_contact: str = ""
    case_id: int | None = None
    enrollment_id: int | None = None
    objection_id: int | None = None
    appeal_of_id: int | None = None
    source_key: str = ""
    received_on: dt.date | None = None


@dataclass
class Filed:
    complaint: Complaint | None
    token: str = ""                 # given once, at filing; only its hash is kept
    existing: bool = False          # a control's finding that already had its complaint
    error: ValidationError | None = None


def _checked(actor: Actor | None, item: ComplaintInput) -> tuple[ComplaintInput, ComplaintCategory]:
    checked_choice(item.channel, ComplaintChannel.values, "channel", _("Choose how the complaint arrived."))
    if item.channel in STAFF_CHANNELS:
        if actor is None:
            raise ValidationError(_("Only staff enter complaints from the hotline, letters and visits."), field="channel")
        actor.require(TAKE)
    if item.channel == ComplaintChannel.CONTROL and (actor is None or not item.source_key):
        raise ValidationError(_("A control's complaint names the finding it comes from."), field="source_key")
    item.subject = clean_field(item.subject, "subject", max_length=200)
    item.content = clean_field(item.content, "content", max_length=5000, required=True, multiline=True)
    item.reporter_name = clean_field(item.reporter_name, "reporter_name", max_length=50)
    item.reporter_contact = clean_field(item.reporter_contact, "reporter_contact", max_length=100)
    if not item.anonymous and not item.reporter_name:
        raise ValidationError(_("Give the reporter's name, or file the complaint anonymously."), field="reporter_name")
    if item.anonymous:
        item.reporter_name = item.reporter_contact = ""
    if not item.subject:
        item.subject = item.content.split("\n", 1)[0][:60]
    case_area = _concerned_area(item)
    item.area_code = item.area_code or case_area
    if not item.area_code:
        raise ValidationError(_("Choose the village or town the complaint is about."), field="area")
    if case_area and not case_area.startswith(item.area_code) and not item.area_code.startswith(case_area[:9]):
        raise ValidationError(_("The case or enrollment concerned is not in the area chosen."), field="area")
    if not Area.objects.filter(code=item.area_code).exists():
        raise NotFound(_("No such area: %(code)s.") % {"code": item.area_code}, field="area")
    if len(item.area_code) < 9:
        raise ValidationError(_("Choose a town, or a village in it, not a whole county."), field="area")
    if actor is not None and item.channel in STAFF_CHANNELS:
        actor.require_area(item.area_code)
    category = category_for(item.category, item.area_code)
    if category is None:
        raise ValidationError(_("Choose a category in use in this county."), field="category")
    return item, category


def _concerned_area(item: ComplaintInput) -> str:
    """The area of the case or enrollment the complaint names ("" when it names none)."""
    if item.enrollment_id:
        row = Enrollment.objects.filter(pk=item.enrollment_id).values_list("area_id", "case_id").first()
        if row is None:
            raise NotFound(_("No such enrollment."), field="enrollment")
        item.case_id = item.case_id or row[1]
        return row[0]
    if item.case_id:
        area = Case.objects.filter(pk=item.case_id).values_list("area_id", flat=True).first()
        if area is None:
            raise NotFound(_("No such case."), field="case")
        return area
    return ""


def file_complaints(uow: UnitOfWork, actor: Actor | None, items: list[ComplaintInput]) -> list[Filed]:
    """File each item through the unit of work (`actor` None: the public, or the objection's own
    filing); a refused item holds back no other. A control's item whose `source_key` already has a
    complaint answers that complaint (`existing`)."""
    at = now()
    keys = [i.source_key for i in items if i.source_key]
    existing = {c.source_key: c for c in Complaint.objects.filter(source_key__in=keys)} if keys else {}
    results: list[Filed] = []
    for item in items:
        if item.source_key and item.source_key in existing:
            results.append(Filed(existing[item.source_key], existing=True))
            continue
        mark = uow.mark()
        try:
            item, category = _checked(actor, item)
            received_on = item.received_on or today()
            due = deadlines(category, received_on)
            token = secrets.token_urlsafe(18)
            complaint = uow.insert(Complaint(
                channel=item.channel, category=category, area_id=item.area_code,
                handling_area_id=handling_office(item.area_code, category), subject=item.subject, content=item.content,
                anonymous=item.anonymous, reporter_name=item.reporter_name, reporter_contact=item.reporter_contact,
                token_hash=hash_token(token), case_id=item.case_id, enrollment_id=item.enrollment_id,
                objection_id=item.objection_id, appeal_of_id=item.appeal_of_id, source_key=item.source_key,
                status=ComplaintStatus.RECEIVED, received_on=received_on, received_at=at,
                filed_by_id=actor.user_id if actor is not None and item.channel in STAFF_CHANNELS else None,
                response_due_on=due.response_on, resolution_due_on=due.resolution_on))
            uow.insert_unkeyed(ComplaintEvent(complaint_id=complaint.pk, kind=ComplaintEventKind.FILED, at=at,
                                              by=actor.username if actor is not None else "",
                                              data={"channel": item.channel, "category": category.code}))
            uow.record_event(actor=actor, action="oversight.file_complaint", obj=complaint,
                             after={"channel": item.channel, "category": category.code, "area": item.area_code,
                                    "handling_area": complaint.handling_area_id, "case": item.case_id,
                                    "enrollment": item.enrollment_id, "source_key": item.source_key,
                                    "anonymous": item.anonymous})
            if item.source_key:
                existing[item.source_key] = complaint
            results.append(Filed(complaint, token=token))
        except ValidationError as error:
            uow.discard(mark)
            results.append(Filed(None, error=error))
    return results


def file_complaint(actor: Actor | None, item: ComplaintInput) -> Filed:
    """One complaint in its own unit of work: a refusal is raised."""
    with unit_of_work(size_hint=1) as uow:
        result = file_complaints(uow, actor, [item])[0]
        if result.error:
            raise result.error
    return result


def file_objection_complaint(sender, *, uow, objection, case, notice, **kwargs) -> None:
    """An objection to a public notice is also a complaint (category `notice_objection`) on the
    case, handled by the town (receiver of `publicity.signals.objection_filed`, in the objection's
    own unit of work)."""
    [filed] = file_complaints(uow, None, [ComplaintInput(
        channel=ComplaintChannel.OBJECTION, category=CategoryCode.NOTICE_OBJECTION, content=objection.content,
        area_code=notice.area_id, case_id=case.pk, objection_id=objection.pk,
        subject=_("Objection to the public notice"), anonymous=not objection.objector_name,
        reporter_name=objection.objector_name, reporter_contact=objection.objector_contact,
        received_on=objection.received_on)])
    if filed.error:
        raise filed.error
