"""Inspection findings and their answers (issue 18 part 5).

Inspectors (`inspector`, `supervisor`: finance, audit, people's deputies, supervision) read
everything in their scope and write nothing but findings: `record_finding` on an office in their
scope (a town, or the county), with a deadline `finding_rectify_days` working days away (OVERSIGHT
parameter, `core.workdays.add_working_days`). The office answers (`answer_finding`,
`oversight.rectify`, the office's own posts only); the inspector who recorded it accepts the answer
or returns it. A finding not answered by its day is overdue (`mark_overdue_findings`, set-based, run
daily; pages also show an open finding past its day as overdue).

Every status change goes through `transition`, which checks `TRANSITIONS` and records a
`FindingEvent` and an audit event.
"""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.areas.models import Area, Level, Post
from safetynet.cases.models import Case
from safetynet.core.audit import record_event
from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.core.scoping import Actor, get_in_scope, in_scope
from safetynet.core.text import clean_field
from safetynet.core.workdays import add_working_days
from safetynet.enrollments.models import Enrollment
from safetynet.programs.catalogue import OVERSIGHT
from safetynet.programs.selectors import parameters_for

from .inspection_models import FindingEvent, FindingStatus, InspectionFinding

VIEW = "oversight.view"
INSPECT = "oversight.inspect"
RECTIFY = "oversight.rectify"
SYSTEM = "system"

# (from, to) -> the permission that fires it ("system": the daily overdue mark only).
TRANSITIONS = {
    (FindingStatus.OPEN, FindingStatus.ANSWERED): RECTIFY,
    (FindingStatus.OVERDUE, FindingStatus.ANSWERED): RECTIFY,
    (FindingStatus.ANSWERED, FindingStatus.ACCEPTED): INSPECT,
    (FindingStatus.ANSWERED, FindingStatus.OPEN): INSPECT,        # returned, still in time
    (FindingStatus.ANSWERED, FindingStatus.OVERDUE): INSPECT,     # returned after its day
    (FindingStatus.OPEN, FindingStatus.OVERDUE): SYSTEM,
}


def rectify_days(office_code: str, on: dt.date) -> int:
    return int(parameters_for(OVERSIGHT, office_code, on)["finding_rectify_days"])


def due_date(office_code: str, on: dt.date) -> dt.date:
    """The day the office must answer by: `finding_rectify_days` working days after `on`."""
    return add_working_days(on, rectify_days(office_code, on))


def is_overdue(finding: InspectionFinding, on: dt.date) -> bool:
    return finding.status == FindingStatus.OVERDUE or (finding.status == FindingStatus.OPEN and on > finding.due_on)


def findings_in_scope(actor: Actor, *, status: str = "", office: str = "") -> QuerySet[InspectionFinding]:
    """The findings a post reads: those addressed to an office in its area."""
    actor.require(VIEW)
    qs = in_scope(InspectionFinding.objects.select_related("office", "case", "enrollment", "inspector"), actor, "office")
    if status:
        qs = qs.filter(status=status)
    if office:
        qs = qs.filter(office_id=office)
    return qs


def get_finding(actor: Actor, finding_id: int) -> InspectionFinding:
    actor.require(VIEW)
    return get_in_scope(InspectionFinding.objects.select_related("office", "case", "enrollment", "inspector"), actor, "office",
                        pk=finding_id)


def offices_for(actor: Actor) -> list[Area]:
    """The offices an inspector may address: the county of its scope and its towns (a town's
    inspector: its town)."""
    code = actor.area_code
    qs = Area.objects.filter(level__in=[Level.COUNTY, Level.TOWN]).order_by("code")
    if code:
        qs = qs.filter(code__startswith=code[:9] if len(code) >= 9 else code)
    return list(qs[:500])


def body_of(post: Post) -> str:
    """What the finding says it comes from: the post's title (县财政局, 县审计局, 人大代表...),
    else its role."""
    return post.title or str(post.get_role_display())


def _event(finding: InspectionFinding, actor: Actor, before: str, after: str, note: str = "") -> None:
    FindingEvent.objects.create(finding=finding, from_status=before, to_status=after, at=timezone.now(),
                                by=actor.username if actor else "system", note=note)


def transition(finding: InspectionFinding, to: str, *, actor: Actor, note: str = "", **fields) -> InspectionFinding:
    """The one way a finding's status changes: the table's permission, the event, the audit."""
    needed = TRANSITIONS.get((finding.status, to))
    if needed is None:
        raise Conflict(_("This finding is %(status)s: it cannot become %(to)s.") % {
            "status": finding.get_status_display(), "to": FindingStatus(to).label}, code="wrong_status")
    if needed != SYSTEM:
        actor.require(needed)
    before = finding.status
    finding.status = to
    for name, value in fields.items():
        setattr(finding, name, value)
    finding.save(update_fields=["status", *fields])
    _event(finding, actor, before, to, note)
    record_event(actor=actor, action=f"oversight.finding_{to}", obj=finding, before={"status": before},
                 after={"status": to, "note": note[:200]})
    return finding


def _concerned(actor: Actor, office: Area, case_id, enrollment_id) -> tuple[int | None, int | None]:
    if enrollment_id:
        enrollment = in_scope(Enrollment.objects.all(), actor).filter(pk=enrollment_id).values_list("case_id", "area_id").first()
        if enrollment is None:
            raise NotFound(_("No such enrollment in your area."), field="enrollment")
        case_id = case_id or enrollment[0]
        if not enrollment[1].startswith(office.code):
            raise ValidationError(_("The enrollment concerned is not under the office chosen."), field="enrollment")
    if case_id:
        area = in_scope(Case.objects.all(), actor).filter(pk=case_id).values_list("area_id", flat=True).first()
        if area is None:
            raise NotFound(_("No such case in your area."), field="case")
        if not area.startswith(office.code):
            raise ValidationError(_("The case concerned is not under the office chosen."), field="case")
    return case_id or None, enrollment_id or None


@transaction.atomic(durable=True)
def record_finding(*, actor: Actor, office_code: str, subject: str, text: str, on: dt.date,
                   case_id: int | None = None, enrollment_id: int | None = None) -> InspectionFinding:
    """An inspector's finding on an office in their scope, with its deadline."""
    actor.require(INSPECT)
    post = Post.objects.filter(pk=actor.post_id, is_active=True).first() if actor.post_id else None
    if post is None:
        raise PermissionDenied(_("A finding is recorded from an inspector's post."), code="forbidden")
    subject = clean_field(subject, "subject", max_length=200, required=True)
    text = clean_field(text, "text", max_length=5000, required=True, multiline=True)
    office_code = (office_code or "").strip()
    actor.require_area(office_code)
    office = Area.objects.filter(code=office_code).first()
    if office is None:
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": office_code}, field="office")
    if office.level not in (Level.COUNTY, Level.TOWN):
        raise ValidationError(_("Address the finding to a town or to the county."), field="office")
    case_id, enrollment_id = _concerned(actor, office, case_id, enrollment_id)
    finding = InspectionFinding.objects.create(
        post=post, inspector_id=actor.user_id, body=body_of(post), office=office, subject=subject, text=text,
        case_id=case_id, enrollment_id=enrollment_id, status=FindingStatus.OPEN, recorded_on=on,
        due_on=due_date(office.code, on))
    _event(finding, actor, "", FindingStatus.OPEN, "")
    record_event(actor=actor, action="oversight.record_finding", obj=finding, after={
        "office": office.code, "body": finding.body, "subject": subject, "case": case_id, "enrollment": enrollment_id,
        "due_on": finding.due_on})
    return finding


def _locked(actor: Actor, finding_id: int) -> InspectionFinding:
    actor.require(VIEW)
    return get_in_scope(InspectionFinding.objects.select_for_update(), actor, "office", pk=finding_id)


@transaction.atomic(durable=True)
def answer_finding(*, actor: Actor, finding_id: int, answer: str, on: dt.date) -> InspectionFinding:
    """The responsible office's answer: what it rectified, or why it disagrees. Only the office's
    own posts answer (a county post does not answer for a town)."""
    actor.require(RECTIFY)
    finding = _locked(actor, finding_id)
    if actor.area_code != finding.office_id:
        raise PermissionDenied(_("This finding is addressed to %(office)s: its own office answers it.") % {
            "office": finding.office.name}, code="forbidden")
    answer = clean_field(answer, "answer", max_length=5000, required=True, multiline=True)
    return transition(finding, FindingStatus.ANSWERED, actor=actor, note=answer, answer=answer, answered_on=on,
                      answered_by=actor.username)


def _require_author(actor: Actor, finding: InspectionFinding) -> None:
    actor.require(INSPECT)
    if finding.inspector_id != actor.user_id:
        raise PermissionDenied(_("Only the inspector who recorded the finding accepts or returns its answer."),
                               code="forbidden")


@transaction.atomic(durable=True)
def accept_answer(*, actor: Actor, finding_id: int, on: dt.date, note: str = "") -> InspectionFinding:
    finding = _locked(actor, finding_id)
    _require_author(actor, finding)
    note = clean_field(note, "note", max_length=2000, multiline=True)
    return transition(finding, FindingStatus.ACCEPTED, actor=actor, note=note, accepted_on=on)


@transaction.atomic(durable=True)
def return_answer(*, actor: Actor, finding_id: int, note: str, on: dt.date) -> InspectionFinding:
    """The answer does not settle the finding: back to the office, overdue if its day has passed."""
    finding = _locked(actor, finding_id)
    _require_author(actor, finding)
    note = clean_field(note, "note", max_length=2000, required=True, multiline=True)
    to = FindingStatus.OVERDUE if on > finding.due_on else FindingStatus.OPEN
    return transition(finding, to, actor=actor, note=note, times_returned=finding.times_returned + 1)


@transaction.atomic(durable=True)
def mark_overdue_findings(*, actor: Actor, on: dt.date, county_code: str = "") -> int:
    """Every open finding past its day becomes overdue (one UPDATE, its events in one INSERT),
    for a county or everywhere; the daily job and the demo call it."""
    qs = InspectionFinding.objects.filter(status=FindingStatus.OPEN, due_on__lt=on)
    if county_code:
        actor.require_area(county_code)
        qs = qs.filter(office__code__startswith=county_code)
    ids = list(qs.values_list("id", flat=True))
    if not ids:
        return 0
    InspectionFinding.objects.filter(id__in=ids, status=FindingStatus.OPEN).update(status=FindingStatus.OVERDUE)
    at = timezone.now()
    FindingEvent.objects.bulk_create([FindingEvent(finding_id=i, from_status=FindingStatus.OPEN,
                                                   to_status=FindingStatus.OVERDUE, at=at, by="system") for i in ids])
    record_event(actor=actor, action="oversight.mark_overdue_findings", object_type="areas.area",
                 object_id=county_code, after={"findings": ids})
    return len(ids)
