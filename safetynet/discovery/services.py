"""Writes on leads (issue 17 parts 1–3): opening them from any door, the grid report, and each
action a lead takes until it ends.

`open_leads` is the one way a lead is opened, for a list of items through the unit of work it is
given (a grid report is a list of one; a warning run passes hundreds). It reads, for all the
items at once, the households and their open leads, and joins an item to the household's open
lead instead of opening a second (a person not yet registered: the open lead of the same name in
the same village). Every action after that is one function here, shared by the pages, the API,
the demo and the commands.
"""
from __future__ import annotations

import datetime as dt
import io
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.areas.models import Area
from safetynet.cases import clocks as case_clocks
from safetynet.cases.models import Channel
from safetynet.cases.services import apply_for_assistance
from safetynet.core.audit import record_event
from safetynet.core.errors import Conflict, NotFound, ValidationError
from safetynet.core.privatefiles import private_root, unguessable
from safetynet.core.scoping import Actor, get_in_scope
from safetynet.core.text import checked_choice, clean_field, clean_text
from safetynet.core.unitofwork import UnitOfWork, unit_of_work
from safetynet.registry.models import Household, Person

from . import clocks
from .models import (
    ESCALATION_RANK, LEVEL_RANK, OPEN_STATUSES, REPORT_CAUSES, URGENCY_RANK, Cause, CloseReason, Escalation, GridReport,
    Lead, LeadEvent, LeadEventKind, LeadStatus, Source, Urgency, WarningLevel,
)

VIEW = "discovery.view"
REPORT = "discovery.report"
WORK = "discovery.work"
RULES = "discovery.rules"
# Who may open a lead through which door.
SOURCE_PERMISSION = {Source.GRID_REPORT: REPORT, Source.HOTLINE: REPORT, Source.WALK_IN: WORK, Source.PHONE: WORK,
                     Source.WARNING: RULES}
PHOTO_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def today() -> dt.date:
    """The business date (the demo and tests move it through `cases.clocks.today`)."""
    return case_clocks.today()


def now() -> dt.datetime:
    """The time a lead's write records (the demo replaces it, as it replaces the business date)."""
    return timezone.now()


# ---------------------------------------------------------------------------------------------
# Opening leads
# ---------------------------------------------------------------------------------------------
@dataclass
class LeadInput:
    """One thing that may open a lead: a report, a warning, a person at the window."""
    source: str
    cause: str
    area_code: str = ""              # where the person lives (the household's own area when registered)
    household_id: int | None = None
    person_id: int | None = None
    name: str = ""
    approximate_age: int | None = None
    address: str = ""
    phone: str = ""
    urgency: str = Urgency.NORMAL
    level: str = ""
    description: str = ""
    acknowledged: bool = False       # taken in person at the window: acknowledged as it opens


@dataclass
class Opened:
    lead: Lead | None
    joined: bool = False             # joined the household's open lead instead of opening one
    error: ValidationError | None = None


@dataclass
class _Reads:
    households: dict = field(default_factory=dict)     # id -> (area_id, address, head name)
    persons: dict = field(default_factory=dict)        # id -> (household_id, name)
    open_by_household: dict = field(default_factory=dict)
    open_by_name: dict = field(default_factory=dict)   # (village code, name) -> Lead
    areas: dict = field(default_factory=dict)          # code -> level


def _read(items: list[LeadInput]) -> _Reads:
    reads = _Reads()
    household_ids = {i.household_id for i in items if i.household_id}
    person_ids = {i.person_id for i in items if i.person_id}
    for pid, hid, name in Person.objects.filter(pk__in=person_ids).values_list("pk", "household_id", "name"):
        reads.persons[pid] = (hid, name)
        household_ids.add(hid)
    heads = dict(Person.objects.filter(household_id__in=household_ids, pk__in=Household.objects.filter(
        pk__in=household_ids).values("head_id")).values_list("household_id", "name"))
    for hid, area, address in Household.objects.filter(pk__in=household_ids).values_list("pk", "area_id", "address"):
        reads.households[hid] = (area, address, heads.get(hid, ""))
    leads = Lead.objects.filter(status__in=OPEN_STATUSES)
    if connection_is_postgres():
        leads = leads.select_for_update(of=("self",))
    for lead in leads.filter(household_id__in=household_ids):
        reads.open_by_household[lead.household_id] = lead
    names = {(i.area_code[:12], clean_text(i.name or "", field="name")) for i in items if not i.household_id and i.name}
    if names:
        villages = {v for v, _n in names}
        for lead in leads.filter(household__isnull=True, name__in={n for _v, n in names}):
            if lead.area_id[:12] in villages:
                reads.open_by_name[(lead.area_id[:12], lead.name)] = lead
    codes = {i.area_code for i in items if i.area_code}
    reads.areas = dict(Area.objects.filter(code__in=codes).values_list("code", "level"))
    return reads


def connection_is_postgres() -> bool:
    from django.db import connection
    return connection.vendor == "postgresql"


def _checked(actor: Actor, item: LeadInput, reads: _Reads) -> LeadInput:
    """The item with its text cleaned and its household, person and area resolved, or a refusal."""
    actor.require(SOURCE_PERMISSION.get(item.source, WORK))
    checked_choice(item.source, Source.values, "source", _("Choose where the lead came from."))
    checked_choice(item.cause, Cause.values, "cause", _("Choose what happened."))
    checked_choice(item.urgency, Urgency.values, "urgency", _("Choose how urgent it is."))
    if item.level:
        checked_choice(item.level, WarningLevel.values, "level", _("Choose red, orange or yellow."))
    item.name = clean_field(item.name, "name", max_length=50)
    item.address = clean_field(item.address, "address", max_length=200)
    item.phone = clean_field(item.phone, "phone", max_length=30)
    item.description = clean_field(item.description, "description", max_length=2000, multiline=True)
    if item.approximate_age is not None and not 0 <= int(item.approximate_age) <= 120:
        raise ValidationError(_("An age between 0 and 120."), field="approximate_age")
    if item.person_id:
        person = reads.persons.get(item.person_id)
        if person is None:
            raise NotFound(_("No such person."), field="person")
        if item.household_id and item.household_id != person[0]:
            raise ValidationError(_("This person is not a member of the household chosen."), field="person")
        item.household_id = person[0]
        item.name = item.name or person[1]
    if item.household_id:
        household = reads.households.get(item.household_id)
        if household is None:
            raise NotFound(_("No such household."), field="household")
        actor.require_area(household[0])
        item.area_code = household[0]
        item.address = item.address or household[1]
        item.name = item.name or household[2]
    else:
        if not item.name:
            raise ValidationError(_("Choose a registered household, or give the person's name."), field="name")
        if not item.area_code:
            raise ValidationError(_("Choose the village (or group, grid) where the person lives."), field="area")
        actor.require_area(item.area_code)
        level = reads.areas.get(item.area_code)
        if level is None:
            raise NotFound(_("No such area in your scope: %(code)s.") % {"code": item.area_code}, field="area")
        if len(item.area_code) < 12:
            raise ValidationError(_("Choose a village, group or grid, not a whole town or county."), field="area")
        if not item.address:
            raise ValidationError(_("Give an address or a description of the place."), field="address")
    return item


def _joined(lead: Lead, item: LeadInput) -> dict:
    """What a second item changes on an open lead: its cause is added, the urgency and warning
    level rise to the higher, the visit comes forward to the sooner deadline."""
    changes = {}
    if item.cause not in lead.causes:
        changes["causes"] = [*lead.causes, item.cause]
    if URGENCY_RANK[Urgency(item.urgency)] < URGENCY_RANK[Urgency(lead.urgency)]:
        changes["urgency"] = item.urgency
    if item.level and LEVEL_RANK[WarningLevel(item.level)] < LEVEL_RANK[lead.level and WarningLevel(lead.level) or ""]:
        changes["level"] = item.level
    if lead.visited_at is None:
        due = clocks.deadlines(lead.area_id, today(), item.level)
        if due.visit_on < lead.visit_due_on:
            changes["visit_due_on"] = due.visit_on
    if item.description and item.description not in lead.description:
        changes["description"] = (lead.description + "\n" + item.description).strip()[:4000]
    return changes


def open_leads(uow: UnitOfWork, actor: Actor, items: list[LeadInput], *, at: dt.datetime | None = None) -> list[Opened]:
    """Open a lead for each item, or join it to the household's open lead; a refused item holds
    back no other. Two items of the list for one household make one lead."""
    at = at or now()
    day = today()
    reads = _read(items)
    results: list[Opened] = []
    for item in items:
        mark = uow.mark()
        try:
            item = _checked(actor, item, reads)
            lead = (reads.open_by_household.get(item.household_id) if item.household_id
                    else reads.open_by_name.get((item.area_code[:12], item.name)))
            if lead is not None:
                changes = _joined(lead, item)
                if changes:
                    uow.update_where(Lead, changes, id=lead.pk)
                    for name, value in changes.items():
                        setattr(lead, name, value)
                uow.insert_unkeyed(LeadEvent(lead_id=lead.pk, kind=LeadEventKind.REPORT_JOINED, at=at, by_id=actor.user_id,
                                             note=item.description[:500],
                                             data={"source": item.source, "cause": item.cause, "urgency": item.urgency,
                                                   "level": item.level}))
                uow.record_event(actor=actor, action="discovery.join_lead", obj=lead,
                                 after={"source": item.source, "cause": item.cause, **{k: str(v) for k, v in changes.items()}})
                results.append(Opened(lead, joined=True))
                continue
            due = clocks.deadlines(item.area_code, day, item.level)
            lead = uow.insert(Lead(
                area_id=item.area_code, household_id=item.household_id, person_id=item.person_id, name=item.name,
                approximate_age=item.approximate_age, address=item.address, phone=item.phone, source=item.source,
                cause=item.cause, causes=[item.cause], urgency=item.urgency, level=item.level, description=item.description,
                status=LeadStatus.ACKNOWLEDGED if item.acknowledged else LeadStatus.NEW, opened_at=at, opened_on=day,
                opened_by_id=actor.user_id, acknowledge_due_on=due.acknowledge_on, visit_due_on=due.visit_on,
                acknowledged_at=at if item.acknowledged else None, acknowledged_by_id=actor.user_id if item.acknowledged else None))
            uow.insert_unkeyed(LeadEvent(lead_id=lead.pk, kind=LeadEventKind.OPENED, at=at, by_id=actor.user_id,
                                         data={"source": item.source, "cause": item.cause}))
            uow.record_event(actor=actor, action="discovery.open_lead", obj=lead, after=_snapshot(lead))
            if item.household_id:
                reads.open_by_household[item.household_id] = lead
            else:
                reads.open_by_name[(item.area_code[:12], item.name)] = lead
            results.append(Opened(lead))
        except ValidationError as error:
            uow.discard(mark)
            results.append(Opened(None, error=error))
    return results


def _snapshot(lead: Lead) -> dict:
    return {"area": lead.area_id, "household": lead.household_id, "source": lead.source, "cause": lead.cause,
            "urgency": lead.urgency, "level": lead.level, "status": lead.status,
            "acknowledge_due_on": str(lead.acknowledge_due_on), "visit_due_on": str(lead.visit_due_on)}


def open_lead(actor: Actor, item: LeadInput) -> Opened:
    """One item, in its own unit of work: a refusal is raised."""
    for attempt in range(2):
        try:
            with unit_of_work(size_hint=1) as uow:
                result = open_leads(uow, actor, [item])[0]
                if result.error:
                    raise result.error
            return result
        except IntegrityError:
            # Another desk opened the household's lead at the same moment: join it.
            if attempt:
                raise
    raise AssertionError("unreachable")


# ---------------------------------------------------------------------------------------------
# The grid report
# ---------------------------------------------------------------------------------------------
@dataclass
class ReportResult:
    report: GridReport
    created: bool                      # False: the same report (key) had already arrived
    joined: bool = False
    photo_refused: str = ""


def _decimal(value, name: str, low: int, high: int):
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("A position in decimal degrees."), field=name) from None
    if not low <= number <= high:
        raise ValidationError(_("A position in decimal degrees."), field=name)
    return number


def check_photo(content: bytes) -> tuple[str, str]:
    """(content type, "") for an image the report may keep, or ("", the reason it is refused)."""
    limit = settings.DISCOVERY_PHOTO_MAX_BYTES
    if len(content) > limit:
        return "", _("The photo is too large (%(size)s KB; at most %(limit)s KB). The report was kept without it.") % {
            "size": len(content) // 1024, "limit": limit // 1024}
    from PIL import Image, UnidentifiedImageError   # Pillow (WeasyPrint's): only when a photo comes

    try:
        with Image.open(io.BytesIO(content)) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return "", _("The file sent as a photo is not an image. The report was kept without it.")
    if kind not in PHOTO_TYPES:
        return "", _("A photo in JPEG, PNG or WebP. The report was kept without it.")
    return PHOTO_TYPES[kind], ""


def _store_photo(content: bytes, content_type: str) -> str:
    folder = private_root() / "discovery"
    folder.mkdir(parents=True, exist_ok=True)
    name = unguessable("photo") + {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}[content_type]
    path = folder / name
    path.write_bytes(content)
    path.chmod(0o600)
    return f"discovery/{name}"


def file_grid_report(actor: Actor, *, key, cause: str, urgency: str = Urgency.NORMAL, household_id: int | None = None,
                     person_id: int | None = None, name: str = "", approximate_age: int | None = None, address: str = "",
                     area_code: str = "", note: str = "", latitude=None, longitude=None,
                     written_at: dt.datetime | None = None, photo: bytes | None = None,
                     source: str = Source.GRID_REPORT) -> ReportResult:
    """Receive a report from a grid worker's phone (or a hotline or app): once and only once per
    `key`, however often the network retries. A photo that is not an image or is too large is
    not kept, and the report is (the reason is returned and recorded)."""
    actor.require(REPORT)
    try:
        key = uuid.UUID(str(key))
    except ValueError:
        raise ValidationError(_("The report key is not a UUID."), field="key") from None
    existing = GridReport.objects.filter(key=key).select_related("lead").first()
    if existing is not None:
        return _same_report(actor, existing)
    if source not in (Source.GRID_REPORT, Source.HOTLINE):
        raise ValidationError(_("A report comes from a grid worker, a hotline or an app."), field="source")
    if cause not in [str(c) for c in REPORT_CAUSES]:
        raise ValidationError(_("Choose what happened."), field="cause")
    latitude = _decimal(latitude, "latitude", -90, 90)
    longitude = _decimal(longitude, "longitude", -180, 180)
    if (latitude is None) != (longitude is None):
        raise ValidationError(_("A position needs both latitude and longitude."), field="latitude")
    photo_type, refused = check_photo(photo) if photo else ("", "")
    item = LeadInput(source=source, cause=cause, urgency=urgency, household_id=household_id, person_id=person_id,
                     name=name, approximate_age=approximate_age, address=address, area_code=area_code, description=note)
    stored = ""
    try:
        for attempt in range(2):
            try:
                with unit_of_work(size_hint=1) as uow:
                    opened = open_leads(uow, actor, [item])[0]
                    if opened.error:
                        raise opened.error
                    if photo_type and not stored:
                        stored = _store_photo(photo, photo_type)
                    lead = opened.lead
                    report = uow.insert(GridReport(
                        key=key, lead_id=lead.pk, reporter_id=actor.user_id, reporter_area_id=actor.area_code, source=source,
                        household_id=item.household_id, name=item.name, approximate_age=item.approximate_age,
                        address=item.address, cause=cause, urgency=item.urgency, note=item.description,
                        latitude=latitude, longitude=longitude, photo=stored, photo_type=photo_type,
                        photo_bytes=len(photo) if stored else 0, photo_refused=refused, written_at=written_at,
                        received_at=now()))
                    uow.record_event(actor=actor, action="discovery.file_report", obj=report,
                                     after={"lead": lead.pk, "cause": cause, "urgency": item.urgency, "photo": bool(stored),
                                            "photo_refused": refused, "joined": opened.joined})
                report.lead = lead
                return ReportResult(report, created=True, joined=opened.joined, photo_refused=refused)
            except IntegrityError:
                existing = GridReport.objects.filter(key=key).select_related("lead").first()
                if existing is not None:      # the same report arrived twice at once: the other one won
                    _remove(stored)
                    return _same_report(actor, existing)
                if attempt:                   # the household's lead opened meanwhile: join it (second pass)
                    raise
    except BaseException:
        _remove(stored)
        raise
    raise AssertionError("unreachable")


def _same_report(actor: Actor, report: GridReport) -> ReportResult:
    if report.reporter_id != actor.user_id:
        # A key is the phone's own: another login re-using it learns nothing of the report.
        raise Conflict(_("This report key was already used by someone else."), field="key")
    return ReportResult(report, created=False, photo_refused=report.photo_refused)


def _remove(stored: str) -> None:
    if stored:
        (private_root() / stored).unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# Acting on a lead
# ---------------------------------------------------------------------------------------------
def lead_for_update(actor: Actor, lead_id: int) -> Lead:
    """The lead, locked, if the post may work leads and the lead is in its area (else 403 / 404)."""
    actor.require(WORK)
    return get_in_scope(Lead.objects.select_for_update(), actor, pk=lead_id)


def add_lead_event(lead: Lead, kind: str, actor: Actor, at: dt.datetime, note: str = "", **data) -> None:
    """A line of the lead's timeline (the audit event is the caller's)."""
    LeadEvent.objects.create(lead=lead, kind=kind, at=at, by_id=actor.user_id, note=note[:500], data=data)


def require_open(lead: Lead) -> None:
    """Refuse an action on a lead that has ended."""
    if lead.status not in OPEN_STATUSES:
        raise Conflict(_("This lead has ended (%(status)s).") % {"status": lead.get_status_display()}, field="status")


@transaction.atomic(durable=True)
def acknowledge_lead(*, actor: Actor, lead_id: int) -> Lead:
    """The town (or whoever it climbed to) has seen the lead and owns it."""
    lead = lead_for_update(actor, lead_id)
    require_open(lead)
    if lead.acknowledged_at is not None:
        return lead
    at = now()
    lead.acknowledged_at, lead.acknowledged_by_id = at, actor.user_id
    if lead.status == LeadStatus.NEW:
        lead.status = LeadStatus.ACKNOWLEDGED
    lead.save(update_fields=["acknowledged_at", "acknowledged_by", "status"])
    add_lead_event(lead, LeadEventKind.ACKNOWLEDGED, actor, at)
    record_event(actor=actor, action="discovery.acknowledge_lead", obj=lead, after={"status": lead.status})
    return lead


@transaction.atomic(durable=True)
def record_visit(*, actor: Actor, lead_id: int, in_need: bool, note: str) -> Lead:
    """The household was visited: what was found. Acknowledges the lead too if nobody had."""
    lead = lead_for_update(actor, lead_id)
    require_open(lead)
    if in_need not in (True, False):
        raise ValidationError(_("Say whether the household is in need."), field="in_need")
    note = clean_field(note, "note", max_length=2000, required=True, multiline=True)
    at = now()
    if lead.acknowledged_at is None:
        lead.acknowledged_at, lead.acknowledged_by_id = at, actor.user_id
    lead.visited_at, lead.visited_by_id, lead.in_need, lead.visit_note = at, actor.user_id, in_need, note
    lead.status = LeadStatus.VISITED
    lead.save(update_fields=["acknowledged_at", "acknowledged_by", "visited_at", "visited_by", "in_need", "visit_note",
                             "status"])
    add_lead_event(lead, LeadEventKind.VISITED, actor, at, note, in_need=in_need)
    record_event(actor=actor, action="discovery.record_visit", obj=lead, after={"in_need": in_need, "status": lead.status})
    return lead


def end_lead(lead: Lead, actor: Actor, status: str, at: dt.datetime) -> None:
    """Mark a lead (locked by the caller) as ended by `actor` at `at`; acknowledged too if nobody
    had. The caller saves it, adds its LeadEvent and audit event (close, apply, refer)."""
    lead.status, lead.ended_at, lead.ended_by_id = status, at, actor.user_id
    if lead.acknowledged_at is None:
        lead.acknowledged_at, lead.acknowledged_by_id = at, actor.user_id


@transaction.atomic(durable=True)
def close_lead(*, actor: Actor, lead_id: int, reason: str, note: str = "") -> Lead:
    """End a lead without an application or a referral, saying why."""
    lead = lead_for_update(actor, lead_id)
    require_open(lead)
    reason = checked_choice(reason, CloseReason.values, "reason", _("Choose why the lead is closed."))
    note = clean_field(note, "note", max_length=500, required=reason == CloseReason.OTHER)
    at = now()
    end_lead(lead, actor, LeadStatus.CLOSED, at)
    lead.close_reason, lead.close_note = reason, note
    lead.save(update_fields=["status", "ended_at", "ended_by", "acknowledged_at", "acknowledged_by", "close_reason",
                             "close_note"])
    add_lead_event(lead, LeadEventKind.CLOSED, actor, at, note, reason=reason)
    record_event(actor=actor, action="discovery.close_lead", obj=lead, after={"reason": reason, "note": note})
    return lead


@transaction.atomic(durable=True)
def merge_leads(*, actor: Actor, lead_id: int, into_id: int) -> Lead:
    """A duplicate (the same person reported twice before anyone knew) joins the other lead: its
    causes and reports move there, it ends as merged. Both must be open and in the post's scope."""
    if lead_id == into_id:
        raise ValidationError(_("A lead cannot be merged into itself."), field="into")
    actor.require(WORK)
    leads = {lead.pk: lead for lead in get_leads_for_update(actor, [lead_id, into_id])}
    if len(leads) != 2:
        raise NotFound(_("No such lead in your scope."), field="into")
    lead, into = leads[lead_id], leads[into_id]
    require_open(lead)
    require_open(into)
    if lead.household_id and into.household_id and lead.household_id != into.household_id:
        raise ValidationError(_("These leads are about two different households."), field="into")
    at = now()
    into.causes = [*into.causes, *[c for c in lead.causes if c not in into.causes]]
    if URGENCY_RANK[Urgency(lead.urgency)] < URGENCY_RANK[Urgency(into.urgency)]:
        into.urgency = lead.urgency
    into.acknowledge_due_on = min(into.acknowledge_due_on, lead.acknowledge_due_on)
    into.visit_due_on = min(into.visit_due_on, lead.visit_due_on)
    into.household_id = into.household_id or lead.household_id
    # The duplicate ends first: the household has one open lead at every moment (the constraint).
    lead.status, lead.merged_into, lead.ended_at, lead.ended_by_id = LeadStatus.MERGED, into, at, actor.user_id
    lead.save(update_fields=["status", "merged_into", "ended_at", "ended_by"])
    into.save(update_fields=["causes", "urgency", "acknowledge_due_on", "visit_due_on", "household"])
    GridReport.objects.filter(lead=lead).update(lead=into)
    add_lead_event(lead, LeadEventKind.MERGED, actor, at, into=into.pk)
    add_lead_event(into, LeadEventKind.REPORT_JOINED, actor, at, merged=lead.pk)
    record_event(actor=actor, action="discovery.merge_leads", obj=lead, after={"into": into.pk})
    return into


def get_leads_for_update(actor: Actor, ids: list[int]):
    from safetynet.core.scoping import in_scope
    return list(in_scope(Lead.objects.select_for_update().filter(pk__in=ids), actor))


def apply_from_lead(*, actor: Actor, lead_id: int, program_code: str, applicant_id: int, accept: bool = False,
                    **fields) -> Lead:
    """The lead ends as an application: filed through the cases' own intake (the channel "from a
    lead", the lead's description as the reason unless one is given), the case linked."""
    actor.require(WORK)
    with transaction.atomic(durable=True):
        lead = lead_for_update(actor, lead_id)
        require_open(lead)
        if not lead.household_id:
            raise ValidationError(_("Register the household first: an application is filed for a registered household."),
                                  field="household")
    case = apply_for_assistance(actor=actor, program_code=program_code, household_id=lead.household_id,
                                applicant_id=applicant_id, channel=Channel.FROM_LEAD,
                                reason=fields.pop("reason", "") or lead.description[:500] or lead.get_cause_display(),
                                accept=accept, **fields)
    with transaction.atomic(durable=True):
        lead = get_in_scope(Lead.objects.select_for_update(), actor, pk=lead_id)
        at = now()
        end_lead(lead, actor, LeadStatus.APPLIED, at)
        lead.case = case
        lead.save(update_fields=["status", "ended_at", "ended_by", "acknowledged_at", "acknowledged_by", "case"])
        add_lead_event(lead, LeadEventKind.APPLIED, actor, at, case=case.pk, program=program_code)
        record_event(actor=actor, action="discovery.apply_from_lead", obj=lead, after={"case": case.pk,
                                                                                       "program": program_code})
    return lead


@transaction.atomic(durable=True)
def link_household(*, actor: Actor, lead_id: int, household_id: int) -> Lead:
    """A lead about someone not yet registered, once the household is registered (or found)."""
    lead = lead_for_update(actor, lead_id)
    require_open(lead)
    household = get_in_scope(Household.objects.all(), actor, pk=household_id)
    if Lead.objects.filter(household=household, status__in=OPEN_STATUSES).exclude(pk=lead.pk).exists():
        raise Conflict(_("This household already has an open lead: merge the two."), field="household")
    lead.household, lead.area_id = household, household.area_id
    lead.save(update_fields=["household", "area"])
    record_event(actor=actor, action="discovery.link_household", obj=lead, after={"household": household.pk})
    return lead


# ---------------------------------------------------------------------------------------------
# Escalation (the daily job)
# ---------------------------------------------------------------------------------------------
@dataclass
class EscalationResult:
    checked: int = 0
    to_town_leader: int = 0
    to_county: int = 0


def escalate_overdue_leads(*, actor: Actor, on: dt.date | None = None) -> EscalationResult:
    """Move each open, overdue lead of the actor's area one level up (never down: a lead that
    climbed stays visible where it climbed to until it ends). Idempotent: a second run the same
    day changes nothing."""
    actor.require(WORK)
    on = on or today()
    result = EscalationResult()
    from safetynet.core.scoping import in_scope

    overdue = in_scope(Lead.objects.filter(status__in=OPEN_STATUSES, acknowledge_due_on__lt=on)
                       .exclude(escalation=Escalation.COUNTY), actor)
    overdue = overdue | in_scope(Lead.objects.filter(status__in=OPEN_STATUSES, visit_due_on__lt=on)
                                 .exclude(escalation=Escalation.COUNTY), actor)
    ids = list(overdue.values_list("pk", flat=True).distinct())
    for start in range(0, len(ids), 500):
        with transaction.atomic(durable=True):
            at = now()
            events = []
            for lead in Lead.objects.select_for_update().filter(pk__in=ids[start:start + 500]):
                result.checked += 1
                level = clocks.lead_escalation(lead, on)
                if ESCALATION_RANK[Escalation(level)] <= ESCALATION_RANK[Escalation(lead.escalation or "")]:
                    continue
                Lead.objects.filter(pk=lead.pk).update(escalation=level, escalated_at=at)
                events.append(LeadEvent(lead=lead, kind=LeadEventKind.ESCALATED, at=at, data={"to": level}))
                record_event(actor=actor, action="discovery.escalate_lead", obj=lead,
                             before={"escalation": lead.escalation}, after={"escalation": level})
                if level == Escalation.COUNTY:
                    result.to_county += 1
                else:
                    result.to_town_leader += 1
            LeadEvent.objects.bulk_create(events)
    return result
