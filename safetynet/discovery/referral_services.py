"""Referrals and the town's one door (issue 17 part 3): the county's catalogue of agencies, a lead
ended as referrals with their deadlines, the agencies' answers, and a person taken once at the
town's window and routed at once (an application, referrals, or closed with a reason).

Each rule is one function here, shared by the pages, the API and the demo. A lead ends through
`services.end_lead`, as an application and a closure do. Nobody is helped twice for the same need:
a referral to a kind of agency the household (or the unregistered person) already has an open
referral with is refused (`open_referral_kinds`; the database holds it too for households).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from safetynet.areas.models import Area
from safetynet.core.audit import record_event
from safetynet.core.errors import Conflict, SafetyNetError, ValidationError
from safetynet.core.scoping import Actor, get_in_scope, in_scope
from safetynet.core.text import checked_choice, clean_field, clean_text
from safetynet.core.workdays import add_working_days
from safetynet.programs.catalogue import ASSISTANCE_PROGRAMS
from safetynet.registry.models import Household, Person

from . import clocks, services
from .models import OPEN_STATUSES, CloseReason, Lead, LeadEventKind, LeadStatus, Source
from .referral_models import OPEN_REFERRAL, AgencyKind, Referral, ReferralAgency, ReferralAnswer, ReferralStatus

VIEW, WORK, RULES = services.VIEW, services.WORK, services.RULES
MAX_AGENCIES = 10
# A phone as people write it: +86, area code with a dash, spaces; 7 to 15 digits in all.
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]*[0-9]$")


# ---------------------------------------------------------------------------------------------
# The catalogue
# ---------------------------------------------------------------------------------------------
def _county_of(actor: Actor) -> str:
    return actor.area_code[:6]


def agencies_for(actor: Actor, *, active_only: bool = False) -> QuerySet:
    """The catalogue a post reads: its county's agencies (a national post: every county's)."""
    qs = ReferralAgency.objects.all()
    if not actor.is_national:
        qs = qs.filter(area_id=_county_of(actor))
    return qs.filter(active=True) if active_only else qs


def default_answer_days(county_code: str, on: dt.date | None = None) -> int:
    """The catalogue's `referral_answer_days` in force for the county (10 working days by default)."""
    return int(clocks.limits(county_code, on or services.today())["referral_answer_days"])


def check_phone(value, name: str = "phone") -> str:
    phone = clean_field(value, name, max_length=30)
    if phone and (not _PHONE.match(phone) or not 7 <= sum(c.isdigit() for c in phone) <= 15):
        raise ValidationError(_("A phone number of 7 to 15 digits (a dash, spaces and a leading + allowed)."), field=name)
    return phone


def _answer_days(value, county: str) -> int:
    if value in (None, ""):
        return default_answer_days(county)
    try:
        days = int(str(value).strip())
    except ValueError:
        raise ValidationError(_("A whole number of working days, from 1 to 60."), field="answer_days") from None
    if not 1 <= days <= 60:
        raise ValidationError(_("A whole number of working days, from 1 to 60."), field="answer_days")
    return days


@transaction.atomic
def save_agency(*, actor: Actor, agency_id: int | None = None, kind: str, name: str, contact_person: str = "",
                phone: str = "", address: str = "", answer_days=None, active: bool = True,
                county_code: str | None = None) -> ReferralAgency:
    """Add an agency to the county's catalogue, or change one. The county officer's (`discovery.rules`)."""
    actor.require(RULES)
    if agency_id is not None:
        agency = get_in_scope(ReferralAgency.objects.select_for_update(), actor, pk=agency_id)
        county = agency.area_id
        before = _agency_snapshot(agency)
    else:
        county = county_code or _county_of(actor)
        if len(county) != 6 or not Area.objects.filter(code=county, level="county").exists():
            raise ValidationError(_("The catalogue belongs to a county: act from a county post."), field="county")
        actor.require_area(county)
        agency, before = ReferralAgency(area_id=county), None
    agency.kind = checked_choice(kind, AgencyKind.values, "kind", _("Choose the kind of help the agency gives."))
    agency.name = clean_field(name, "name", max_length=100, required=True)
    agency.contact_person = clean_field(contact_person, "contact_person", max_length=50)
    agency.phone = check_phone(phone)
    agency.address = clean_field(address, "address", max_length=200)
    agency.answer_days = _answer_days(answer_days, county)
    agency.active = bool(active)
    if ReferralAgency.objects.filter(area_id=county, name=agency.name).exclude(pk=agency.pk).exists():
        raise Conflict(_("The catalogue already has an agency of this name."), field="name")
    agency.save()
    record_event(actor=actor, action="discovery.save_agency", obj=agency, before=before, after=_agency_snapshot(agency))
    return agency


def _agency_snapshot(agency: ReferralAgency) -> dict:
    return {"kind": agency.kind, "name": agency.name, "contact_person": agency.contact_person, "phone": agency.phone,
            "address": agency.address, "answer_days": agency.answer_days, "active": agency.active}


@transaction.atomic
def retire_agency(*, actor: Actor, agency_id: int) -> ReferralAgency:
    """Take an agency out of the catalogue: no new referrals to it; those sent keep their answers."""
    actor.require(RULES)
    agency = get_in_scope(ReferralAgency.objects.select_for_update(), actor, pk=agency_id)
    if agency.active:
        agency.active = False
        agency.save(update_fields=["active", "updated_at"])
        record_event(actor=actor, action="discovery.retire_agency", obj=agency, after={"active": False})
    return agency


# ---------------------------------------------------------------------------------------------
# Referring
# ---------------------------------------------------------------------------------------------
def open_referral_kinds(*, household_id: int | None, area_code: str = "", name: str = "") -> dict[str, Referral]:
    """The kinds of agency someone already has an open referral with: {kind: that referral}. A
    household by its id; a person not registered by name in the same village."""
    qs = Referral.objects.filter(OPEN_REFERRAL).select_related("agency")
    if household_id:
        qs = qs.filter(household_id=household_id)
    elif name and area_code:
        qs = qs.filter(household__isnull=True, name=name, area__code__startswith=area_code[:12])
    else:
        return {}
    return {r.kind: r for r in qs.order_by("sent_at")}


def _chosen_agencies(actor: Actor, agency_ids) -> list[ReferralAgency]:
    try:
        ids = list(dict.fromkeys(int(i) for i in agency_ids or ()))
    except (TypeError, ValueError):
        raise ValidationError(_("Choose agencies from the catalogue."), field="agencies") from None
    if not ids:
        raise ValidationError(_("Choose at least one agency to refer to."), field="agencies")
    if len(ids) > MAX_AGENCIES:
        raise ValidationError(_("At most %(n)s agencies at once.") % {"n": MAX_AGENCIES}, field="agencies")
    agencies = {a.pk: a for a in agencies_for(actor, active_only=True).filter(pk__in=ids)}
    if len(agencies) != len(ids):
        raise ValidationError(_("Choose agencies from the catalogue (an agency retired or of another county is not offered)."),
                              field="agencies")
    chosen = [agencies[i] for i in ids]
    kinds = [a.kind for a in chosen]
    if len(set(kinds)) != len(kinds):
        raise ValidationError(_("Two agencies of one kind for one need: choose one."), field="agencies")
    return chosen


def _refuse_second(chosen: list[ReferralAgency], open_kinds: dict[str, Referral]) -> None:
    for agency in chosen:
        already = open_kinds.get(agency.kind)
        if already is not None:
            raise Conflict(_("Already referred for %(kind)s help (%(number)s to %(agency)s, not yet settled): nobody is "
                             "helped twice for the same need.") % {
                "kind": AgencyKind(agency.kind).label, "number": already.number, "agency": already.agency.name},
                field="agencies", code="already_referred")


def refer_lead(actor: Actor, lead_id: int, agency_ids, need: str) -> list[Referral]:
    """End an open lead as referrals to one or more agencies of the catalogue, each due back in
    the agency's working days. Refused when the household already has an open referral of one of
    the kinds chosen."""
    actor.require(WORK)
    need = clean_field(need, "need", max_length=2000, required=True, multiline=True)
    try:
        with transaction.atomic(durable=True):
            lead = services.lead_for_update(actor, lead_id)
            services.require_open(lead)
            chosen = _chosen_agencies(actor, agency_ids)
            _refuse_second(chosen, open_referral_kinds(household_id=lead.household_id, area_code=lead.area_id,
                                                       name=lead.name))
            on, at = services.today(), services.now()
            referrals = [Referral.objects.create(
                lead=lead, household_id=lead.household_id, name=lead.name, area_id=lead.area_id, agency=agency,
                kind=agency.kind, need=need, sent_on=on, due_on=add_working_days(on, agency.answer_days), sent_at=at,
                sent_by_id=actor.user_id) for agency in chosen]
            services.end_lead(lead, actor, LeadStatus.REFERRED, at)
            lead.save(update_fields=["status", "ended_at", "ended_by", "acknowledged_at", "acknowledged_by"])
            services.add_lead_event(lead, LeadEventKind.REFERRED, actor, at, need, referrals=[r.pk for r in referrals],
                            agencies=[a.name for a in chosen])
            for referral in referrals:
                record_event(actor=actor, action="discovery.refer", obj=referral, after=_referral_snapshot(referral))
            record_event(actor=actor, action="discovery.refer_lead", obj=lead,
                         after={"status": lead.status, "referrals": [r.pk for r in referrals]})
    except IntegrityError:
        # Another desk referred the household for the same kind at the same moment.
        raise Conflict(_("Already referred for this kind of help: nobody is helped twice for the same need."),
                       field="agencies", code="already_referred") from None
    return referrals


def _referral_snapshot(r: Referral) -> dict:
    return {"lead": r.lead_id, "household": r.household_id, "agency": r.agency_id, "kind": r.kind, "status": r.status,
            "sent_on": str(r.sent_on), "due_on": str(r.due_on), "answer": r.answer, "answer_note": r.answer_note}


def _referral_for_update(actor: Actor, referral_id: int) -> Referral:
    actor.require(WORK)
    return get_in_scope(Referral.objects.select_for_update().select_related("agency"), actor, pk=referral_id)


@transaction.atomic
def record_referral_answer(*, actor: Actor, referral_id: int, answer: str, note: str = "") -> Referral:
    """What the agency answered. "Accepted, in progress" keeps the referral open (it may be answered
    again when the help is given); a refusal says why."""
    referral = _referral_for_update(actor, referral_id)
    if not referral.is_open:
        raise Conflict(_("This referral is settled (%(status)s).") % {"status": referral.get_status_display()},
                       field="status")
    answer = checked_choice(answer, ReferralAnswer.values, "answer", _("Choose what the agency answered."))
    note = clean_field(note, "note", max_length=500, required=answer in (ReferralAnswer.DECLINED,
                                                                             ReferralAnswer.NOT_THEIRS))
    before = _referral_snapshot(referral)
    referral.status, referral.answer, referral.answer_note = ReferralStatus.ANSWERED, answer, note
    referral.answered_at, referral.answered_on, referral.answered_by_id = services.now(), services.today(), actor.user_id
    referral.save(update_fields=["status", "answer", "answer_note", "answered_at", "answered_on", "answered_by"])
    record_event(actor=actor, action="discovery.answer_referral", obj=referral, before=before,
                 after=_referral_snapshot(referral))
    return referral


@transaction.atomic
def withdraw_referral(*, actor: Actor, referral_id: int, reason: str) -> Referral:
    """Take back a referral not yet settled (sent by mistake, the need went away), saying why."""
    referral = _referral_for_update(actor, referral_id)
    if not referral.is_open:
        raise Conflict(_("This referral is settled (%(status)s).") % {"status": referral.get_status_display()},
                       field="status")
    reason = clean_field(reason, "reason", max_length=500, required=True)
    before = _referral_snapshot(referral)
    referral.status, referral.withdrawn_reason = ReferralStatus.WITHDRAWN, reason
    referral.save(update_fields=["status", "withdrawn_reason"])
    record_event(actor=actor, action="discovery.withdraw_referral", obj=referral, before=before,
                 after={"status": referral.status, "reason": reason})
    return referral


# ---------------------------------------------------------------------------------------------
# Reading referrals
# ---------------------------------------------------------------------------------------------
REFERRAL_STATES = ("open", "overdue", "sent", "in_progress", "answered", "withdrawn")


def is_overdue(referral: Referral, on: dt.date) -> bool:
    """Unanswered past its due day (an answer "in progress" has answered)."""
    return referral.status == ReferralStatus.SENT and referral.due_on < on


def _overdue_q(on: dt.date) -> Q:
    return Q(status=ReferralStatus.SENT, due_on__lt=on)


def referrals_in_scope(actor: Actor, *, state: str = "", agency_id: int | None = None, overdue: bool | None = None,
                       household_id: int | None = None, on: dt.date | None = None) -> QuerySet:
    """The referrals of the post's area, the oldest due first, filtered by state, agency and overdue."""
    actor.require(VIEW)
    on = on or services.today()
    qs = in_scope(Referral.objects.select_related("agency", "household__head", "lead"), actor)
    if state == "open":
        qs = qs.filter(OPEN_REFERRAL)
    elif state == "overdue":
        qs = qs.filter(_overdue_q(on))
    elif state == "sent":
        qs = qs.filter(status=ReferralStatus.SENT)
    elif state == "in_progress":
        qs = qs.filter(status=ReferralStatus.ANSWERED, answer=ReferralAnswer.IN_PROGRESS)
    elif state in ("answered", "withdrawn"):
        qs = qs.filter(status=state)
    elif state:
        raise ValidationError(_("Choose a state of the list."), field="state")
    if agency_id:
        qs = qs.filter(agency_id=agency_id)
    if household_id:
        qs = qs.filter(household_id=household_id)
    if overdue is True:
        qs = qs.filter(_overdue_q(on))
    elif overdue is False:
        qs = qs.exclude(_overdue_q(on))
    return qs.order_by("status", "due_on", "id")


def referral_counts(actor: Actor, on: dt.date | None = None) -> dict:
    """How many referrals of the post's area wait for an answer, are overdue, in progress, answered."""
    from django.db.models import Count

    on = on or services.today()
    return in_scope(Referral.objects.all(), actor).aggregate(
        waiting=Count("id", filter=Q(status=ReferralStatus.SENT)),
        overdue=Count("id", filter=_overdue_q(on)),
        in_progress=Count("id", filter=Q(status=ReferralStatus.ANSWERED, answer=ReferralAnswer.IN_PROGRESS)),
        answered=Count("id", filter=Q(status=ReferralStatus.ANSWERED)),
        withdrawn=Count("id", filter=Q(status=ReferralStatus.WITHDRAWN)))


def get_referral(actor: Actor, referral_id: int) -> Referral:
    actor.require(VIEW)
    return get_in_scope(Referral.objects.select_related("agency", "household__head", "lead"), actor, pk=referral_id)


# ---------------------------------------------------------------------------------------------
# One door: a walk-in or a phone call taken once, routed at once
# ---------------------------------------------------------------------------------------------
APPLY, REFER, CLOSE = "apply", "refer", "close"
ROUTES = (APPLY, REFER, CLOSE)
WINDOW_SOURCES = (Source.WALK_IN, Source.PHONE)


@dataclass
class WindowIntake:
    """What the town's window takes: who (a registered household, or a person's name, village,
    address and phone), what they need (a cause and the words), and where it goes."""
    source: str
    cause: str
    need: str
    route: str
    household_id: int | None = None
    name: str = ""
    area_code: str = ""
    address: str = ""
    phone: str = ""
    urgency: str = "normal"
    program_code: str = ""             # route "apply"
    applicant_id: int | None = None
    kind: str | None = None
    requested_amount: object = None
    accept: bool = False
    agency_ids: list = field(default_factory=list)   # route "refer"
    close_reason: str = ""             # route "close"
    close_note: str = ""


@dataclass
class WindowResult:
    lead: Lead
    joined: bool                       # the household's open lead took it (no second lead)
    route: str
    case_id: int | None = None
    referrals: list = field(default_factory=list)


def _check_route(actor: Actor, intake: WindowIntake) -> None:
    """Every refusal the routing can foresee, before anything is written: a failed submit opens nothing."""
    if intake.source not in WINDOW_SOURCES:
        raise ValidationError(_("At the window: a walk-in or a phone call."), field="source")
    if intake.route not in ROUTES:
        raise ValidationError(_("Choose where it goes: an application, a referral, or recorded and closed."), field="route")
    clean_field(intake.need, "need", max_length=2000, required=True, multiline=True)
    if intake.household_id:
        get_in_scope(Household.objects.all(), actor, pk=intake.household_id)     # another town's: 404
    if intake.phone:
        check_phone(intake.phone)
    if intake.route == APPLY:
        if not intake.household_id:
            raise ValidationError(_("Register the household first: an application is filed for a registered household."),
                                  field="household")
        if intake.program_code not in ASSISTANCE_PROGRAMS:
            raise ValidationError(_("Choose the program applied for."), field="program")
        if not intake.applicant_id or not Person.objects.filter(pk=intake.applicant_id,
                                                                 household_id=intake.household_id).exists():
            raise ValidationError(_("Choose the applicant among the household's members."), field="applicant")
    elif intake.route == REFER:
        chosen = _chosen_agencies(actor, intake.agency_ids)
        _refuse_second(chosen, open_referral_kinds(household_id=intake.household_id, area_code=intake.area_code,
                                                   name=clean_text(intake.name or "", field="name")))
    else:
        checked_choice(intake.close_reason, CloseReason.values, "close_reason", _("Choose why the lead is closed."))
        if intake.close_reason == CloseReason.OTHER and not clean_text(intake.close_note or "", field="close_note"):
            raise ValidationError(_("This field is required."), field="close_note")


def take_at_window(actor: Actor, intake: WindowIntake) -> WindowResult:
    """Take a walk-in or a phone call once and route it at once. The lead opens through
    `services.open_lead` (acknowledged: the town has it in hand), so a household's open lead takes
    it instead of a second; then the lead ends as an application (`services.apply_from_lead`, the
    cases' own intake), referrals (`refer_lead`), or closed with a reason (`services.close_lead`).

    The routing's foreseeable refusals come first and open nothing. A refusal only the routing
    itself can give (the cases' intake refusing an application) leaves the lead open and
    acknowledged, named in the error: nothing said at the window is lost."""
    actor.require(WORK)
    _check_route(actor, intake)
    opened = services.open_lead(actor, services.LeadInput(
        source=intake.source, cause=intake.cause, household_id=intake.household_id, name=intake.name,
        area_code=intake.area_code, address=intake.address, phone=intake.phone, urgency=intake.urgency,
        description=intake.need, acknowledged=True))
    lead = opened.lead
    result = WindowResult(lead=lead, joined=opened.joined, route=intake.route)
    try:
        if intake.route == APPLY:
            extra = {"kind": intake.kind} if intake.kind else {}
            if intake.requested_amount not in (None, ""):
                extra["requested_amount"] = intake.requested_amount
            lead = services.apply_from_lead(actor=actor, lead_id=lead.pk, program_code=intake.program_code,
                                            applicant_id=intake.applicant_id, accept=intake.accept,
                                            reason=clean_field(intake.need, "need", max_length=500, multiline=True),
                                            **extra)
            result.case_id = lead.case_id
        elif intake.route == REFER:
            result.referrals = refer_lead(actor, lead.pk, intake.agency_ids, intake.need)
            lead.refresh_from_db()
        else:
            lead = services.close_lead(actor=actor, lead_id=lead.pk, reason=intake.close_reason, note=intake.close_note)
    except SafetyNetError as error:
        kept = _("Lead %(number)s is open and kept (route it from its page): %(message)s") % {
            "number": lead.number, "message": error.message}
        raised = type(error)(kept, field=error.field, code=error.code, details={**error.details, "lead": lead.pk})
        raise raised from error
    result.lead = lead
    return result


def window_household_lead(household_id: int | None) -> Lead | None:
    """The household's open lead, which a person taken at the window joins (shown before submitting)."""
    if not household_id:
        return None
    return Lead.objects.filter(household_id=household_id, status__in=OPEN_STATUSES).first()
