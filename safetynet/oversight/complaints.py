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
import io
import re
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from safetynet.areas.models import Area
from safetynet.areas.roles import ROLE_PERMISSIONS, Role
from safetynet.cases import clocks as case_clocks
from safetynet.cases import statements as case_statements
from safetynet.cases.models import Case
from safetynet.cases.services import reopen_case, take_step
from safetynet.core.audit import record_event
from safetynet.core.errors import Conflict, NotFound, PermissionDenied, SafetyNetError, ValidationError
from safetynet.core.privatefiles import private_root, unguessable
from safetynet.core.scoping import Actor, get_in_scope, in_scope
from safetynet.core.text import checked_choice, clean_field, clean_text
from safetynet.core.unitofwork import UnitOfWork, unit_of_work
from safetynet.core.workdays import add_working_days, working_days_between
from safetynet.enrollments.change_models import RecheckReason
from safetynet.enrollments.models import LIVE_STATUSES, Enrollment
from safetynet.enrollments.rechecks import open_or_join
from safetynet.programs.catalogue import OVERSIGHT
from safetynet.programs.selectors import parameters_for

from .models import (
    OPEN_COMPLAINT, STAFF_CHANNELS, CategoryCode, ClockState, Complaint, ComplaintAttachment, ComplaintCategory,
    ComplaintChannel, ComplaintEvent, ComplaintEventKind, ComplaintFinding, ComplaintFollowUp, ComplaintStatus,
)

# What the system files by itself (an objection to a notice, a control's finding): never retired.
SYSTEM_CATEGORIES = (CategoryCode.NOTICE_OBJECTION, CategoryCode.CONTROL_FINDING)
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
    return _category_in({c.area_id: c for c in ComplaintCategory.objects.filter(code=code).filter(
        Q(area__isnull=True) | Q(area_id=area_code[:6]))}, area_code)


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


# ---------------------------------------------------------------------------------------------
# Attachments: documents and images only, kept as private files
# ---------------------------------------------------------------------------------------------
ATTACHMENT_FOLDER = "complaints"
MAX_ATTACHMENTS = 5
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}


def check_attachment(name: str, content: bytes) -> tuple[str, str]:
    """(content type, "") for a file a complaint may keep: a PDF by its magic bytes, a JPEG, PNG
    or WebP that Pillow opens; else ("", the reason it is refused). The name's extension is not
    trusted."""
    limit = getattr(settings, "COMPLAINT_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024)
    if not content:
        return "", _("%(name)s is empty.") % {"name": name}
    if len(content) > limit:
        return "", _("%(name)s is too large (%(size)s KB; at most %(limit)s KB).") % {
            "name": name, "size": len(content) // 1024, "limit": limit // 1024}
    if content.startswith(b"%PDF-"):
        return "application/pdf", ""
    from PIL import Image, UnidentifiedImageError   # Pillow (WeasyPrint's): only when a file comes

    try:
        with Image.open(io.BytesIO(content)) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        kind = ""
    if kind not in IMAGE_TYPES:
        return "", _("%(name)s is neither a document (PDF) nor an image (JPEG, PNG or WebP): only those can be "
                     "attached.") % {"name": name}
    return IMAGE_TYPES[kind], ""


def checked_attachments(files: list[tuple[str, bytes]]) -> None:
    """Refuse the whole complaint when one file may not be kept (the text is kept by the form)."""
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationError(_("At most %(n)s files.") % {"n": MAX_ATTACHMENTS}, field="attachments")
    for name, content in files:
        clean_text(name, field="attachments")
        _type, reason = check_attachment(name, content)
        if reason:
            raise ValidationError(reason, field="attachments")


def store_attachment(content: bytes, content_type: str) -> str:
    folder = private_root() / ATTACHMENT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    name = unguessable("complaint") + EXTENSIONS[content_type]
    path = folder / name
    path.write_bytes(content)
    path.chmod(0o600)
    return f"{ATTACHMENT_FOLDER}/{name}"


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
    handling_area_code: str = ""     # an appeal's office (one level above the one that answered)
    attachments: list[tuple[str, bytes]] = field(default_factory=list)   # (file name, content)


@dataclass
class Filed:
    complaint: Complaint | None
    token: str = ""                 # given once, at filing; only its hash is kept
    existing: bool = False          # a control's finding that already had its complaint
    error: SafetyNetError | None = None
    stored: list[str] = field(default_factory=list)   # the attachments' private files, removed if the unit fails


@dataclass
class _Reads:
    """What checking a list of items needs, read for all of them at once (a control files
    thousands): the enrollments' and cases' areas, the areas that exist, the categories in use."""
    enrollments: dict = field(default_factory=dict)     # id -> (area code, case id)
    cases: dict = field(default_factory=dict)           # id -> area code
    areas: set = field(default_factory=set)
    categories: dict = field(default_factory=dict)      # code -> {county code or None: category}


_CHUNK = 5000


def _chunks(values: set) -> list[list]:
    ordered = sorted(values)
    return [ordered[i:i + _CHUNK] for i in range(0, len(ordered), _CHUNK)]


def _read(items: list[ComplaintInput]) -> _Reads:
    reads = _Reads()
    for chunk in _chunks({i.enrollment_id for i in items if i.enrollment_id}):
        reads.enrollments.update((pk, (area, case)) for pk, area, case
                                 in Enrollment.objects.filter(pk__in=chunk).values_list("pk", "area_id", "case_id"))
    for chunk in _chunks({i.case_id for i in items if i.case_id}):
        reads.cases.update(Case.objects.filter(pk__in=chunk).values_list("pk", "area_id"))
    codes = {i.area_code for i in items if i.area_code} | {a for a, _c in reads.enrollments.values()} \
        | set(reads.cases.values())
    for chunk in _chunks(codes):
        reads.areas.update(Area.objects.filter(code__in=chunk).values_list("code", flat=True))
    counties = {code[:6] for code in codes}
    for row in ComplaintCategory.objects.filter(Q(area__isnull=True) | Q(area_id__in=counties)):
        reads.categories.setdefault(row.code, {})[row.area_id] = row
    return reads


def _category_in(rows: dict, area_code: str) -> ComplaintCategory | None:
    """The county's own row, else the national one; None when the one that applies is retired."""
    found = rows.get(area_code[:6]) or rows.get(None)
    return found if found is not None and found.is_active else None


def _checked(actor: Actor | None, item: ComplaintInput, reads: _Reads) -> tuple[ComplaintInput, ComplaintCategory]:
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
    case_area = _concerned_area(item, reads)
    item.area_code = item.area_code or case_area
    if not item.area_code:
        raise ValidationError(_("Choose the village or town the complaint is about."), field="area")
    if case_area and not case_area.startswith(item.area_code) and not item.area_code.startswith(case_area[:9]):
        raise ValidationError(_("The case or enrollment concerned is not in the area chosen."), field="area")
    if item.area_code not in reads.areas:
        raise NotFound(_("No such area: %(code)s.") % {"code": item.area_code}, field="area")
    if len(item.area_code) < 9:
        raise ValidationError(_("Choose a town, or a village in it, not a whole county."), field="area")
    if actor is not None and item.channel in STAFF_CHANNELS:
        actor.require_area(item.area_code)
    category = _category_in(reads.categories.get(item.category, {}), item.area_code)
    if category is None:
        raise NotFound(_("No such category in use in this county: %(code)s.") % {"code": item.category}, field="category")
    if item.category == CategoryCode.CONTROL_FINDING and item.channel != ComplaintChannel.CONTROL:
        raise ValidationError(_("This category is for what a control found: choose another."), field="category")
    checked_attachments(item.attachments)
    return item, category


def _concerned_area(item: ComplaintInput, reads: _Reads) -> str:
    """The area of the case or enrollment the complaint names ("" when it names none)."""
    if item.enrollment_id:
        row = reads.enrollments.get(item.enrollment_id)
        if row is None:
            raise NotFound(_("No such enrollment."), field="enrollment")
        item.case_id = item.case_id or row[1]
        return row[0]
    if item.case_id:
        area = reads.cases.get(item.case_id)
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
    existing = {c.source_key: c for chunk in _chunks(set(keys)) for c in Complaint.objects.filter(source_key__in=chunk)}
    reads = _read([i for i in items if not (i.source_key and i.source_key in existing)])
    results: list[Filed] = []
    for item in items:
        if item.source_key and item.source_key in existing:
            results.append(Filed(existing[item.source_key], existing=True))
            continue
        mark = uow.mark()
        try:
            item, category = _checked(actor, item, reads)
            received_on = item.received_on or today()
            due = deadlines(category, received_on)
            token = secrets.token_urlsafe(18)
            complaint = uow.insert(Complaint(
                channel=item.channel, category=category, area_id=item.area_code,
                handling_area_id=item.handling_area_code or handling_office(item.area_code, category), subject=item.subject, content=item.content,
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
                                    "anonymous": item.anonymous, "appeal_of": item.appeal_of_id,
                                    "attachments": len(item.attachments)})
            stored_files = []
            for name, content in item.attachments:
                content_type, _reason = check_attachment(name, content)
                original = clean_text(name, field="attachments")[-200:] or "file"
                stored = store_attachment(content, content_type)
                stored_files.append(stored)
                uow.insert_unkeyed(ComplaintAttachment(
                    complaint_id=complaint.pk, stored_name=stored, original_name=original, content_type=content_type,
                    size=len(content), uploaded_at=at))
            if item.source_key:
                existing[item.source_key] = complaint
            results.append(Filed(complaint, token=token, stored=stored_files))
        except SafetyNetError as error:       # refused (422), or what it names is not there (404)
            uow.discard(mark)
            results.append(Filed(None, error=error))
    return results


def file_complaint(actor: Actor | None, item: ComplaintInput) -> Filed:
    """One complaint in its own unit of work: a refusal is raised (and a file it stored removed)."""
    result = None
    try:
        with unit_of_work(size_hint=1) as uow:
            result = file_complaints(uow, actor, [item])[0]
            if result.error:
                raise result.error
    except BaseException:
        for name in result.stored if result is not None else ():
            (private_root() / name).unlink(missing_ok=True)
        raise
    return result


def file_objection_complaint(sender, *, uow, objection, case, notice, **kwargs) -> None:
    """An objection to a public notice is also a complaint (category `notice_objection`) on the
    case, handled by the town (receiver of `publicity.signals.objection_filed`, in the objection's
    own unit of work). The token is left on the objection and the case for the page that filed
    it to show the objector once (`follow_token`; `objection_follow_token` on the case, which the
    case step returns)."""
    [filed] = file_complaints(uow, None, [ComplaintInput(
        channel=ComplaintChannel.OBJECTION, category=CategoryCode.NOTICE_OBJECTION, content=objection.content,
        area_code=notice.area_id, case_id=case.pk, objection_id=objection.pk,
        subject=_("Objection to the public notice"), anonymous=not objection.objector_name,
        reporter_name=objection.objector_name, reporter_contact=objection.objector_contact,
        received_on=objection.received_on)])
    if filed.error:
        raise filed.error
    objection.follow_token = case.objection_follow_token = filed.token
    case.objection_complaint_reference = filed.complaint.reference


# ---------------------------------------------------------------------------------------------
# Handling: one function per action, shared by the pages, the API, the command and the demo
# ---------------------------------------------------------------------------------------------
S = ComplaintStatus
# action: the statuses it may be taken from. Where it leaves the complaint: `_target`.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "assign": (S.RECEIVED, S.ASSIGNED, S.INVESTIGATING),
    "investigate": (S.RECEIVED, S.ASSIGNED),
    "note": (*OPEN_COMPLAINT, S.REPLIED),
    "decide": (S.INVESTIGATING,),
    "reply": OPEN_COMPLAINT,          # after the result: the answer; before it, an answer on the way
    "close": (S.DECIDED, S.REPLIED),
}
ACTION_LABELS = {
    "assign": _l("assign"), "investigate": _l("start the investigation"), "note": _l("add a note"),
    "decide": _l("record the result"), "reply": _l("answer the reporter"), "close": _l("close"),
    "reopen_case": _l("re-open the case"),
}
SUBSTANTIATED = (ComplaintFinding.SUBSTANTIATED, ComplaintFinding.PARTLY)
REOPEN = "cases.reopen"
# Who may be assigned a complaint: a post of one of these roles at the handling office.
HANDLING_ROLES = tuple(str(role) for role, permissions in ROLE_PERMISSIONS.items()
                       if HANDLE in permissions and role != Role.SUPERUSER)
_FOREIGN = {"assigned_to", "handling_area"}


def _target(complaint: Complaint, action: str) -> str:
    if action == "assign" and complaint.status == S.RECEIVED:
        return S.ASSIGNED
    if action == "reply" and complaint.status == S.DECIDED:
        return S.REPLIED
    return {"investigate": S.INVESTIGATING, "decide": S.DECIDED, "close": S.CLOSED}.get(action, complaint.status)


def _needs_reply(complaint: Complaint) -> bool:
    """A reporter waits for an answer; a control's finding has nobody to answer."""
    return complaint.status == S.DECIDED and complaint.channel != ComplaintChannel.CONTROL


def require_step(complaint: Complaint, action: str) -> None:
    if complaint.status not in TRANSITIONS[action]:
        raise Conflict(_("This complaint is %(status)s: you cannot %(action)s it now.") % {
            "status": complaint.get_status_display(), "action": ACTION_LABELS[action]}, field="status")
    if action == "close" and _needs_reply(complaint):
        raise Conflict(_("Answer the reporter before closing the complaint."), field="status")


def allowed_actions(complaint: Complaint, actor: Actor) -> list[str]:
    """The actions `actor` may take on the complaint now (the page shows only those)."""
    if not actor.can(HANDLE):
        return []
    actions = [a for a, sources in TRANSITIONS.items()
               if complaint.status in sources and not (a == "close" and _needs_reply(complaint))]
    if complaint.follow_up == ComplaintFollowUp.COUNTY_TO_REOPEN and actor.can(REOPEN) and len(actor.area_code) <= 6:
        actions.append("reopen_case")
    return actions


def complaint_for_update(actor: Actor, complaint_id) -> Complaint:
    """The complaint, locked, if the post handles complaints and the complaint's office lies in its
    area (else 403 / 404)."""
    actor.require(HANDLE)
    return get_in_scope(Complaint.objects.select_for_update(), actor, "handling_area", pk=complaint_id)


def _record(uow: UnitOfWork, actor: Actor, complaint: Complaint, *, kind: str, action: str, changes: dict,
            note: str = "", data: dict | None = None, at: dt.datetime | None = None) -> None:
    """Write the action's changes, its timeline row and its audit event (no reporter identity)."""
    at = at or now()
    before = {"status": complaint.status, "handling_area": complaint.handling_area_id}
    if changes:
        uow.update_where(Complaint, changes, id=complaint.pk)
        for name, value in changes.items():
            setattr(complaint, f"{name}_id" if name in _FOREIGN else name, value)
    uow.insert_unkeyed(ComplaintEvent(complaint_id=complaint.pk, kind=kind, at=at, by=actor.username, note=note,
                                      data=data or {}))
    uow.record_event(actor=actor, action=f"oversight.{action}", obj=complaint, before=before,
                     after={"status": complaint.status, "handling_area": complaint.handling_area_id, **(data or {})})


def _first_response(complaint: Complaint) -> dict:
    """The first action an office takes (an assignment, an answer) is its response."""
    return {} if complaint.responded_on else {"responded_on": today()}


def assignable_users(complaint: Complaint):
    """The people who hold a post handling complaints at the complaint's office."""
    return get_user_model().objects.filter(
        is_active=True, posts__area_id=complaint.handling_area_id, posts__is_active=True,
        posts__role__in=HANDLING_ROLES).distinct().order_by("username")


def assign_complaint(*, actor: Actor, complaint_id: int, assignee_id: int) -> Complaint:
    """Give the complaint to a named person of the handling office."""
    with unit_of_work(size_hint=2) as uow:
        complaint = complaint_for_update(actor, complaint_id)
        require_step(complaint, "assign")
        user = assignable_users(complaint).filter(pk=assignee_id).first() if str(assignee_id).isdigit() else None
        if user is None:
            raise ValidationError(_("Choose someone who handles complaints at the office handling this one."),
                                  field="assignee")
        _record(uow, actor, complaint, kind=ComplaintEventKind.ASSIGNED, action="assign_complaint",
                changes={"assigned_to": user.pk, "status": _target(complaint, "assign"), **_first_response(complaint)},
                data={"to": user.username})
    return complaint


def start_investigation(*, actor: Actor, complaint_id: int, note: str = "") -> Complaint:
    """The office starts looking into it (the person starting it is assigned if nobody was)."""
    with unit_of_work(size_hint=2) as uow:
        complaint = complaint_for_update(actor, complaint_id)
        require_step(complaint, "investigate")
        note = clean_field(note, "note", max_length=2000, multiline=True)
        changes = {"status": S.INVESTIGATING}
        if complaint.assigned_to_id is None and actor.user_id:
            changes.update({"assigned_to": actor.user_id, **_first_response(complaint)})
        _record(uow, actor, complaint, kind=ComplaintEventKind.INVESTIGATING, action="start_investigation",
                changes=changes, note=note)
    return complaint


def add_complaint_note(*, actor: Actor, complaint_id: int, note: str) -> Complaint:
    """A staff note on the timeline (never shown to the reporter)."""
    with unit_of_work(size_hint=2) as uow:
        complaint = complaint_for_update(actor, complaint_id)
        require_step(complaint, "note")
        note = clean_field(note, "note", max_length=2000, required=True, multiline=True)
        _record(uow, actor, complaint, kind=ComplaintEventKind.NOTE, action="note_complaint", changes={}, note=note)
    return complaint


def decide_complaint(*, actor: Actor, complaint_id: int, finding: str, result: str) -> Complaint:
    """The result of the investigation. A substantiated (or partly) complaint goes to what it
    concerns: a live enrollment gets a re-check; a decided case is re-opened through the cases'
    own step (by the county, `cases.reopen`: a town's result leaves it to the county); an open
    case gets the result on its timeline."""
    with unit_of_work(size_hint=4) as uow:
        complaint = complaint_for_update(actor, complaint_id)
        require_step(complaint, "decide")
        finding = checked_choice(finding, ComplaintFinding.values, "finding",
                                 _("Say whether the complaint is substantiated, partly or not."))
        result = clean_field(result, "result", max_length=5000, required=True, multiline=True)
        _record(uow, actor, complaint, kind=ComplaintEventKind.DECIDED, action="decide_complaint",
                changes={"status": S.DECIDED, "finding": finding, "result": result, "decided_on": today()},
                note=result, data={"finding": finding})
        if finding in SUBSTANTIATED:
            _follow_up(uow, actor, complaint)
    return complaint


def _follow_up(uow: UnitOfWork, actor: Actor, complaint: Complaint) -> str:
    """Take a substantiated complaint to its enrollment or case (see `decide_complaint`)."""
    reason = _("Complaint %(ref)s %(finding)s: %(result)s") % {
        "ref": complaint.reference, "finding": complaint.get_finding_display(), "result": complaint.result}
    outcome = ""
    data: dict = {}
    enrollment = (Enrollment.objects.select_for_update().filter(pk=complaint.enrollment_id, status__in=LIVE_STATUSES)
                  .first() if complaint.enrollment_id else None)
    if enrollment is not None:
        recheck, _opened = open_or_join(enrollment, reason=RecheckReason.CHANGE_REPORT, detail=reason[:500], today=today())
        outcome, data = ComplaintFollowUp.RECHECK_OPENED, {"recheck": recheck.pk}
    elif complaint.case_id:
        case = Case.objects.get(pk=complaint.case_id)
        if case.is_open:
            note_on_case(uow, actor, case, reason)
            outcome = ComplaintFollowUp.CASE_NOTED
        elif actor.can(REOPEN) and len(actor.area_code) <= 6:
            outcome = _reopen(uow, actor, case, reason)
        else:
            outcome = ComplaintFollowUp.COUNTY_TO_REOPEN
        data = {"case": case.pk}
    if outcome:
        _record(uow, actor, complaint, kind=ComplaintEventKind.REOPENED_CASE, action="follow_up_complaint",
                changes={"follow_up": outcome}, data={"follow_up": outcome, **data})
    return outcome


def _reopen(uow: UnitOfWork, actor: Actor, case: Case, reason: str) -> str:
    """Re-open a decided case through its own step; a case the step does not re-open (temporary
    aid) gets the complaint on its timeline instead."""
    [step] = take_step(uow, actor, reopen_case, [(case.pk, None, {"reason": reason[:2000]})])
    if step.ok:
        return ComplaintFollowUp.CASE_REOPENED
    if isinstance(step.error, (PermissionDenied, NotFound)):
        raise step.error
    note_on_case(uow, actor, case, reason)
    return ComplaintFollowUp.CASE_NOTED


def note_on_case(uow: UnitOfWork, actor: Actor, case: Case, reason: str) -> None:
    """The complaint's result on the case's timeline (no status change)."""
    case_statements.insert_event(
        uow, case_id=case.pk, from_status=case.status, to_status=case.status, action="complaint",
        actor_username=actor.username, actor_post_id=actor.post_id, actor_role=actor.role,
        actor_area_code=actor.area_code, at=now(), note=reason[:2000], data={})


def reopen_concerned_case(*, actor: Actor, complaint_id: int) -> Complaint:
    """The county re-opens the case a town found the complaint substantiated about."""
    actor.require(REOPEN)
    with unit_of_work(size_hint=4) as uow:
        complaint = complaint_for_update(actor, complaint_id)
        if complaint.follow_up != ComplaintFollowUp.COUNTY_TO_REOPEN:
            raise Conflict(_("No case waits to be re-opened for this complaint."), field="status")
        case = Case.objects.get(pk=complaint.case_id)
        reason = _("Complaint %(ref)s %(finding)s: %(result)s") % {
            "ref": complaint.reference, "finding": complaint.get_finding_display(), "result": complaint.result}
        if case.is_open:
            note_on_case(uow, actor, case, reason)
            outcome = ComplaintFollowUp.CASE_NOTED
        else:
            outcome = _reopen(uow, actor, case, reason)
        _record(uow, actor, complaint, kind=ComplaintEventKind.REOPENED_CASE, action="follow_up_complaint",
                changes={"follow_up": outcome}, data={"follow_up": outcome, "case": case.pk})
    return complaint


def reply_to_reporter(*, actor: Actor, complaint_id: int, answer: str) -> Complaint:
    """The answer the reporter reads with their token: after the result, the answer (the complaint
    is then answered and the appeal period runs); before it, word that it is being handled."""
    with unit_of_work(size_hint=2) as uow:
        complaint = complaint_for_update(actor, complaint_id)
        require_step(complaint, "reply")
        answer = clean_field(answer, "answer", max_length=5000, required=True, multiline=True)
        final = complaint.status == S.DECIDED
        _record(uow, actor, complaint, kind=ComplaintEventKind.REPLIED, action="reply_to_reporter",
                changes={"status": _target(complaint, "reply"), "reply": answer, "replied_on": today(),
                         **_first_response(complaint)}, note=answer, data={"final": final})
    return complaint


def close_complaint(*, actor: Actor, complaint_id: int, note: str = "") -> Complaint:
    with unit_of_work(size_hint=2) as uow:
        complaint = complaint_for_update(actor, complaint_id)
        require_step(complaint, "close")
        note = clean_field(note, "note", max_length=2000, multiline=True)
        _record(uow, actor, complaint, kind=ComplaintEventKind.CLOSED, action="close_complaint",
                changes={"status": S.CLOSED, "closed_on": today()}, note=note)
    return complaint


# ---------------------------------------------------------------------------------------------
# The reporter: following with the token, and asking for a review
# ---------------------------------------------------------------------------------------------
PUBLIC_EVENTS = (ComplaintEventKind.FILED, ComplaintEventKind.ASSIGNED, ComplaintEventKind.INVESTIGATING,
                 ComplaintEventKind.DECIDED, ComplaintEventKind.REPLIED, ComplaintEventKind.ESCALATED,
                 ComplaintEventKind.APPEALED, ComplaintEventKind.CLOSED)


def complaint_by_token(token: str) -> Complaint:
    """The complaint a token opens (NotFound for any other string: nothing says why)."""
    token = (token or "").strip()
    complaint = (Complaint.objects.filter(token_hash=hash_token(token)).select_related("category", "handling_area")
                 .first() if 10 <= len(token) <= 64 else None)
    if complaint is None:
        raise NotFound(_("No complaint has this token. Check it and type it again."), field="token")
    return complaint


def public_timeline(complaint: Complaint) -> list[dict]:
    """What the reporter sees: the states and the answers, never a staff note or a name."""
    rows = []
    for event in complaint.events.filter(kind__in=PUBLIC_EVENTS).order_by("at", "id"):
        answer = event.note if event.kind == ComplaintEventKind.REPLIED else ""
        finding = event.data.get("finding", "") if event.kind == ComplaintEventKind.DECIDED else ""
        rows.append({"at": event.at, "kind": event.kind, "label": event.get_kind_display(), "answer": answer,
                     "finding": ComplaintFinding(finding).label if finding in ComplaintFinding.values else ""})
    return rows


def appeal_deadline(complaint: Complaint) -> dt.date | None:
    """The last day the reporter may ask for a review (`appeal_days` working days after the answer)."""
    if not complaint.replied_on or complaint.status not in (S.REPLIED, S.CLOSED):
        return None
    days = parameters_for(OVERSIGHT, complaint.area_id, complaint.replied_on)["appeal_days"]
    return add_working_days(complaint.replied_on, int(days))


def may_appeal(complaint: Complaint, on: dt.date | None = None) -> bool:
    deadline = appeal_deadline(complaint)
    return (deadline is not None and (on or today()) <= deadline and complaint.appeal_of_id is None
            and not complaint.appeals.exists())


def appeal_complaint(*, token: str, reason: str) -> Filed:
    """The reporter asks for a review of the answer: a new complaint (`appeal_of` the original),
    handled one level up (the county when the town answered), with a token of its own."""
    original = complaint_by_token(token)
    if original.appeal_of_id is not None:
        raise Conflict(_("A review was already an appeal: it cannot be appealed again here."), field="token")
    if original.appeals.exists():
        raise Conflict(_("A review of this complaint was already asked."), field="token")
    deadline = appeal_deadline(original)
    if deadline is None:
        raise Conflict(_("A review can be asked once the complaint is answered."), field="token")
    if today() > deadline:
        raise Conflict(_("A review could be asked until %(day)s.") % {"day": deadline.isoformat()}, field="token")
    above = Area.objects.filter(code=original.handling_area_id).values_list("parent_id", flat=True).first()
    if not above:
        raise Conflict(_("There is no office above the one that answered."), field="token")
    reason = clean_field(reason, "reason", max_length=5000, required=True, multiline=True)
    item = ComplaintInput(
        channel=ComplaintChannel.PUBLIC_PAGE, category=original.category.code, content=reason,
        area_code=original.area_id, subject=(_("Review of %(ref)s") % {"ref": original.reference})[:200],
        anonymous=original.anonymous, reporter_name=original.reporter_name, reporter_contact=original.reporter_contact,
        case_id=original.case_id, enrollment_id=original.enrollment_id, appeal_of_id=original.pk,
        handling_area_code=above)
    with unit_of_work(size_hint=2) as uow:
        Complaint.objects.select_for_update().filter(pk=original.pk).first()
        result = file_complaints(uow, None, [item])[0]
        if result.error:
            raise result.error
        uow.insert_unkeyed(ComplaintEvent(complaint_id=original.pk, kind=ComplaintEventKind.APPEALED, at=now(),
                                          data={"appeal": result.complaint.pk}))
        uow.record_event(actor=None, action="oversight.appeal_complaint", obj=original,
                         after={"appeal": result.complaint.pk, "handling_area": above})
    return result


# ---------------------------------------------------------------------------------------------
# Clocks over a list, and the daily escalation
# ---------------------------------------------------------------------------------------------
def breached_q(on: dt.date) -> Q:
    """Open complaints whose next deadline has passed (`clock_state` BREACHED, in SQL)."""
    return Q(status__in=OPEN_COMPLAINT) & (Q(responded_on__isnull=True, response_due_on__lt=on)
                                           | Q(responded_on__isnull=False, resolution_due_on__lt=on))


def clock_q(state: str, on: dt.date, area_code: str = "") -> Q:
    """`clock_state` as a filter (the at-risk days of `area_code`'s county)."""
    if state == ClockState.DONE:
        return ~Q(status__in=OPEN_COMPLAINT)
    if state == ClockState.BREACHED:
        return breached_q(on)
    at_risk = int(parameters_for(OVERSIGHT, area_code or None, on)["complaint_at_risk_days"])
    horizon = add_working_days(on, at_risk + 1)
    near = (Q(responded_on__isnull=True, response_due_on__gte=on, response_due_on__lt=horizon)
            | Q(responded_on__isnull=False, resolution_due_on__gte=on, resolution_due_on__lt=horizon))
    if state == ClockState.AT_RISK:
        return Q(status__in=OPEN_COMPLAINT) & near
    return Q(status__in=OPEN_COMPLAINT) & ~near & ~breached_q(on)


def next_due(complaint: Complaint) -> dt.date:
    return complaint.resolution_due_on if complaint.responded_on else complaint.response_due_on


@dataclass
class ComplaintEscalation:
    checked: int = 0
    climbed: int = 0
    at_top: int = 0          # breached with no office above the one handling it


def escalate_breached_complaints(*, actor: Actor, on: dt.date | None = None) -> ComplaintEscalation:
    """Each open complaint of the actor's area past its next deadline climbs one level (the town's
    to the county, the county's to its parent where that area exists), once per breached deadline:
    a second run the same day, or the next day, changes nothing."""
    actor.require(HANDLE)
    on = on or today()
    result = ComplaintEscalation()
    moved = (Q(responded_on__isnull=True, escalated_for=models.F("response_due_on"))
             | Q(responded_on__isnull=False, escalated_for=models.F("resolution_due_on")))
    ids = list(in_scope(Complaint.objects.filter(breached_q(on)), actor, "handling_area").exclude(moved)
               .order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), 500):
        with unit_of_work(size_hint=500) as uow:
            rows = list(Complaint.objects.select_for_update().filter(pk__in=ids[start:start + 500]).order_by("pk"))
            parents = dict(Area.objects.filter(code__in={c.handling_area_id for c in rows}).values_list("code", "parent_id"))
            for complaint in rows:
                due = next_due(complaint)
                if not complaint.is_open or due >= on or complaint.escalated_for == due:
                    continue
                result.checked += 1
                above = parents.get(complaint.handling_area_id)
                if not above:
                    uow.update_where(Complaint, {"escalated_for": due}, id=complaint.pk)
                    result.at_top += 1
                    continue
                _record(uow, actor, complaint, kind=ComplaintEventKind.ESCALATED, action="escalate_complaint",
                        changes={"handling_area": above, "escalated_for": due, "escalations": complaint.escalations + 1},
                        data={"from": complaint.handling_area_id, "to": above, "deadline": due.isoformat()})
                result.climbed += 1
    return result


# ---------------------------------------------------------------------------------------------
# A county's categories
# ---------------------------------------------------------------------------------------------
def save_county_category(*, actor: Actor, county_code: str, code: str, name: str = "", sensitive: bool = False,
                         response_days, resolution_days, is_active: bool = True) -> ComplaintCategory:
    """A county overrides a national category's limits (same code) or adds one of its own (a new
    code, with a name). Limits in working days: answered within at least 1, resolved no sooner
    than answered."""
    actor.require(HANDLE)
    if not (county_code.isdigit() and len(county_code) == 6) or len(actor.area_code) > 6:
        raise PermissionDenied(_("A county office sets its categories."), code="forbidden")
    actor.require_area(county_code)
    if not Area.objects.filter(code=county_code).exists():
        raise NotFound(_("No such area: %(code)s.") % {"code": county_code}, field="area")
    code = clean_field(code, "code", max_length=40, required=True).lower()
    if not re.fullmatch(r"[a-z0-9_-]+", code):
        raise ValidationError(_("A code of letters, digits, - and _."), field="code")
    name = clean_field(name, "name", max_length=100)
    try:
        response_days, resolution_days = int(response_days), int(resolution_days)
    except (TypeError, ValueError):
        raise ValidationError(_("A whole number of working days."), field="response_days") from None
    if response_days < 1:
        raise ValidationError(_("A complaint is answered within at least 1 working day."), field="response_days")
    if resolution_days < response_days:
        raise ValidationError(_("The time to resolve cannot be shorter than the time to answer."), field="resolution_days")
    if resolution_days > 365:
        raise ValidationError(_("At most 365 working days."), field="resolution_days")
    if not is_active and code in SYSTEM_CATEGORIES:
        raise ValidationError(_("This category is the one objections to notices and the controls' findings are "
                                "filed under: it cannot be retired."), field="is_active")
    national = ComplaintCategory.objects.filter(area__isnull=True, code=code).first()
    if national is None and not name:
        raise ValidationError(_("Name the county's own category."), field="name")
    with transaction.atomic(durable=True):
        row, created = ComplaintCategory.objects.select_for_update().get_or_create(
            area_id=county_code, code=code, defaults={"response_days": response_days, "resolution_days": resolution_days})
        before = {} if created else {"response_days": row.response_days, "resolution_days": row.resolution_days,
                                      "sensitive": row.sensitive, "is_active": row.is_active, "name": row.name}
        row.name, row.sensitive, row.is_active = name, bool(sensitive), bool(is_active)
        row.response_days, row.resolution_days = response_days, resolution_days
        row.source = _("set by the county") if not row.source else row.source
        row.save()
        record_event(actor=actor, action="oversight.save_category", obj=row, before=before,
                     after={"code": code, "name": name, "sensitive": row.sensitive, "response_days": response_days,
                            "resolution_days": resolution_days, "is_active": row.is_active})
    return row
