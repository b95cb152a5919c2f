"""The supporters of a special-hardship applicant (issue 3, part 2; POLICY.md §2, SH-2021 art. 8).

A person is special hardship only if no one bound by law to support him (法定赡养、抚养、扶养义务人:
spouse, parents, children and, where they stand in for them, grandparents, grandchildren, brothers
and sisters) is able to. The town records each supporter on the case with the reason he cannot
support, if any; the rule (programs.rules.assess_special_hardship) reads them through
`supporter_facts` and says, line by line in the breakdown, which supporter it found able or unable
and why, so the worker can read it aloud.

Who and when: a post that records surveys ("cases.survey": the town worker, the county officer), in
its area (404 outside), on an open special-hardship case before the town opinion (or again after
an objection or a reopening, when the opinion is given anew); afterwards the stored assessment
would no longer match, so the list is closed (409). Each write is audited.

The registry proposes the supporters it knows (cases/kin.py: relatives the law binds, each judged on
his own household's facts); the worker records the proposal in one action and corrects a reason
from its row. While the registry knows such relatives and none is recorded, every assessment that
reads the list here (`facts_for_case`) is refused, naming them.

The rule decides, not this module: a reason the facts do not bear out (a "dibao recipient aged 60
or over" born 50 years ago) is kept as recorded and the breakdown says the rule found him able.
"""
from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from safetynet.core.audit import record_event
from safetynet.core.dates import parse_date
from safetynet.core.errors import Conflict, NotFound, ValidationError
from safetynet.core.idnumbers import parse_id_number
from safetynet.core.text import clean_text
from safetynet.core.scoping import Actor
from safetynet.programs.facts import SupporterFacts
from safetynet.registry.models import DisabilityType

from . import clocks
from .kin import registry_supporters
from .models import Case, Status, Supporter, SupporterInability, SupporterRelation
from .selectors import get_case

PERMISSION = "cases.survey"
SPECIAL_HARDSHIP = "special_hardship"
# Before the town opinion, or where it is to be given again (objection, reopening).
OPEN_STATUSES = frozenset({Status.APPLIED, Status.ACCEPTED, Status.RETURNED_FOR_SUPPLEMENT, Status.SURVEYED,
                           Status.VERIFIED, Status.DELIBERATED, Status.CONTESTED, Status.OBJECTION_RESOLVED,
                           Status.REOPENED})
AGE_BOUND = frozenset({SupporterInability.DIBAO_ELDERLY, SupporterInability.ELDERLY_LOW_MEANS})
FIELDS = ("id", "name", "id_number", "birth_date", "relation", "inability", "disability_type", "disability_grade", "note")

# How each recorded reason reaches the rule (SH-2021 art. 8): a flag of SupporterFacts. The two
# age-bound ones the rule establishes from the birth date, the disability one from the grade.
FLAGS = {
    SupporterInability.SPECIAL_HARDSHIP: {"is_special_hardship": True},
    SupporterInability.DIBAO_ELDERLY: {"is_dibao_recipient": True},
    SupporterInability.ELDERLY_LOW_MEANS: {"low_income_and_assets": True},
    SupporterInability.DISABLED_LOW_MEANS: {"low_income_and_assets": True},
    SupporterInability.INCAPACITATED: {"incapacitated": True},
    SupporterInability.MISSING: {"missing": True},
    SupporterInability.IMPRISONED: {"imprisoned": True},
}


def supporter_facts(rows) -> list[SupporterFacts]:
    """Supporter rows (dicts of FIELDS, or Supporter objects) as the rule reads them. Pure."""
    facts = []
    for row in rows:
        if isinstance(row, Supporter):
            row = {name: getattr(row, name) for name in FIELDS}
        birth = row.get("birth_date")
        if isinstance(birth, str):
            birth = dt.date.fromisoformat(birth) if birth else None
        disabled = row.get("inability") == SupporterInability.DISABLED_LOW_MEANS
        facts.append(SupporterFacts(
            birth_date=birth, name=row.get("name") or "", relation=row.get("relation") or "",
            disability_type=(row.get("disability_type") or "") if disabled else "",
            disability_grade=row.get("disability_grade") if disabled else None,
            **FLAGS.get(row.get("inability") or SupporterInability.NONE, {})))
    return facts


# --------------------------------------------------------------------------------------------
# Reads
# --------------------------------------------------------------------------------------------

def supporters_of(actor: Actor, case_id) -> list[Supporter]:
    """The case's supporters, for a post that may see the case (scope: 404)."""
    case = get_case(actor, case_id)
    return list(Supporter.objects.filter(case_id=case.pk).order_by("id"))


def facts_for_case(case_id: int, *, person_id: int | None = None) -> list[SupporterFacts]:
    """What the rule sees of a case's supporters (the caller has checked scope). Every assessment
    reads them here (the case's steps through services.assess_case, a re-assessment through
    payments.reassessment), so here an empty list is refused while the registry knows relatives
    bound to support the person: "no supporter" must be the worker's finding, not a list nobody
    filled in (`require_recorded`)."""
    rows = supporter_rows_of([case_id])[case_id]
    if not rows:
        require_recorded(Case.objects.get(pk=case_id), person_id=person_id)
    return rows


def supporter_rows_of(case_ids) -> dict[int, list[SupporterFacts]]:
    """{case id: what the rule sees of its recorded supporters}, read for all the cases at once
    (a step's read; `facts_for_case` and the step then refuse an empty list the registry contradicts)."""
    found: dict[int, list] = {case_id: [] for case_id in case_ids}
    for row in Supporter.objects.filter(case_id__in=list(found)).order_by("case_id", "id").values("case_id", *FIELDS):
        found[row.pop("case_id")].append(row)
    return {case_id: supporter_facts(rows) for case_id, rows in found.items()}


def require_recorded(case: Case, *, person_id: int | None = None) -> None:
    """Refuse (ValidationError "supporters_not_recorded", naming them) when no supporter is recorded
    on the case and the registry knows relatives bound to support the person (the case's covered
    person, or `person_id`: an enrollment's) (cases/kin.py)."""
    if Supporter.objects.filter(case_id=case.pk).exists():
        return
    kin = registry_supporters(case, clocks.today(), person_id=person_id)
    if kin:
        names = _(", ").join(_("%(name)s (%(relation)s)") % {"name": k.name, "relation": SupporterRelation(k.relation).label}
                             for k in kin)
        raise ValidationError(_("The registry lists relatives bound to support this person: %(names)s. Record them as "
                                "supporters (confirm the registry's proposal on the supporters card, correcting what it "
                                "does not know) before the assessment.") % {"names": names},
                              field="supporters", code="supporters_not_recorded")


def proposed_supporters(actor: Actor, case_id) -> list:
    """The registry's proposal for the case (cases/kin.py), each relative marked `recorded` when
    the same ID number is already among the supporters. Scoped: 404 outside the area."""
    case = get_case(actor, case_id)
    if case.program_id != SPECIAL_HARDSHIP:
        return []
    recorded = _recorded(case)
    kin = registry_supporters(case, clocks.today())
    for k in kin:
        k.recorded = _is_recorded(k, recorded)
    return kin


def _recorded(case: Case) -> tuple[set, set]:
    """(ID numbers, (name, relation) of those recorded without one) of the case's supporters."""
    numbers, named = set(), set()
    for number, name, relation in Supporter.objects.filter(case_id=case.pk).values_list("id_number", "name", "relation"):
        (numbers.add(number) if number else named.add((name, relation)))
    return numbers, named


def _is_recorded(kin, recorded: tuple[set, set]) -> bool:
    """Whether a proposed relative is on the list already: by ID number, or, where the worker typed
    none, by name and relation."""
    return kin.id_number in recorded[0] or (kin.name, kin.relation) in recorded[1]


def can_record(actor: Actor, case: Case) -> bool:
    return (actor.can(PERMISSION) and case.program_id == SPECIAL_HARDSHIP and case.is_open
            and case.status in OPEN_STATUSES)


# --------------------------------------------------------------------------------------------
# Writes
# --------------------------------------------------------------------------------------------

def _clean(case: Case, data: dict) -> dict:
    """A supporter as typed → the row's fields, or ValidationError naming the field."""
    name = clean_text(data.get("name"), field="name")
    if not name:
        raise ValidationError(_("Give the supporter's name."), field="name")
    if len(name) > 50:
        raise ValidationError(_("At most %(n)d characters.") % {"n": 50}, field="name")
    relation = data.get("relation") or ""
    if relation not in SupporterRelation.values:
        raise ValidationError(_("Choose how the supporter is related to the person."), field="relation")
    inability = data.get("inability") or SupporterInability.NONE
    if inability not in SupporterInability.values:
        raise ValidationError(_("Choose why the supporter cannot support, or none."), field="inability")
    id_number, birth = str(data.get("id_number") or "").strip(), data.get("birth_date") or None
    if id_number:
        resident = parse_id_number(id_number, field="id_number")
        id_number = resident.number
        if birth not in (None, "") and _birth_date(birth) != resident.birth_date:
            raise ValidationError(_("The birth date does not agree with the ID number (%(d)s).")
                                  % {"d": resident.birth_date.isoformat()}, field="birth_date")
        birth = resident.birth_date
        # The person to support (the applicant may be his son, and a supporter).
        covered = {m.get("id_number") for m in case.snapshot.get("members", [])
                   if m.get("person_id") == (case.covered_person_id or case.applicant_id)}
        if id_number in covered:
            raise ValidationError(_("The person to support cannot be his own supporter."), field="id_number")
    elif birth not in (None, ""):
        birth = _birth_date(birth)
        if birth > clocks.today():
            raise ValidationError(_("The date cannot be in the future."), field="birth_date")
    else:
        birth = None
    if inability in AGE_BOUND and birth is None:
        raise ValidationError(_("This reason depends on the supporter's age: give the ID number or the birth date."),
                              field="birth_date")
    disability_type, grade = "", None
    if inability == SupporterInability.DISABLED_LOW_MEANS:
        disability_type = data.get("disability_type") or ""
        if disability_type not in DisabilityType.values:
            raise ValidationError(_("Give the disability type on the supporter's certificate."), field="disability_type")
        try:
            grade = int(data.get("disability_grade"))
        except (TypeError, ValueError):
            grade = 0
        if not 1 <= grade <= 4:
            raise ValidationError(_("Give the disability grade (1 to 4) on the supporter's certificate."),
                                  field="disability_grade")
    note = str(data.get("note") or "").strip()
    if len(note) > 200:
        raise ValidationError(_("At most %(n)d characters.") % {"n": 200}, field="note")
    return {"name": name, "id_number": id_number, "birth_date": birth, "relation": relation, "inability": inability,
            "disability_type": disability_type, "disability_grade": grade, "note": note}


def _birth_date(value) -> dt.date:
    return parse_date(value, field="birth_date", required=True, code="invalid")


def _open_case(actor: Actor, case_id) -> Case:
    """The case, locked, if the actor may change its supporters now. Its version moves on, so a
    step taken meanwhile on what the rule saw before (a town opinion computing the amount) is
    refused as stale instead of resting on an outdated list."""
    case = get_case(actor, case_id)
    actor.require(PERMISSION)
    Case.objects.filter(pk=case.pk).update(version=F("version") + 1)
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.program_id != SPECIAL_HARDSHIP:
        raise ValidationError(_("Supporters are recorded for special hardship applications only."), field="program")
    if not case.is_open or case.status not in OPEN_STATUSES:
        raise Conflict(_("The town opinion is given: the supporters can change only if the case is returned for "
                         "supplement, contested or reopened."), code="supporters_closed")
    return case


def save_supporter(case: Case, actor: Actor, data: dict, *, supporter_id: int | None = None) -> Supporter:
    """Add or correct one supporter inside the caller's transaction (also the survey's way in,
    services.record_survey). The same ID number again corrects that supporter."""
    fields = _clean(case, data)
    if supporter_id is not None:
        row = Supporter.objects.filter(pk=supporter_id, case_id=case.pk).first()
        if row is None:
            raise NotFound(_("Not found."))
    else:
        row = Supporter.objects.filter(case_id=case.pk, id_number=fields["id_number"]).first() if fields["id_number"] else None
    before = {name: getattr(row, name) for name in ("name", "relation", "inability")} if row else None
    if row is None:
        row = Supporter(case_id=case.pk, recorded_by=actor.username)
    for name, value in fields.items():
        setattr(row, name, value)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise Conflict(_("This ID number is already among the supporters."), field="id_number")
    # The audit keeps the reason and the relation, not the supporter's identity (DESIGN.md §5).
    record_event(actor=actor, action="cases.record_supporter", obj=case, before=before,
                 after={"supporter": row.pk, "relation": row.relation, "inability": row.inability})
    return row


@transaction.atomic(durable=True)
def record_supporter(*, actor: Actor, case_id: int, name: str, relation: str, inability: str = SupporterInability.NONE,
                     id_number: str = "", birth_date=None, disability_type: str = "", disability_grade=None, note: str = "",
                     supporter_id: int | None = None) -> Supporter:
    """Record a supporter of a special-hardship applicant, or correct one (`supporter_id`, or the
    same ID number again)."""
    case = _open_case(actor, case_id)
    return save_supporter(case, actor, {
        "name": name, "relation": relation, "inability": inability, "id_number": id_number, "birth_date": birth_date,
        "disability_type": disability_type, "disability_grade": disability_grade, "note": note}, supporter_id=supporter_id)


@transaction.atomic(durable=True)
def set_supporter_reason(*, actor: Actor, case_id: int, supporter_id: int, inability: str, note: str | None = None) -> Supporter:
    """Correct why a recorded supporter cannot support (what the registry did not know: missing,
    in prison, without full civil capacity), keeping the rest as recorded: no one is typed again."""
    case = _open_case(actor, case_id)
    row = Supporter.objects.filter(pk=supporter_id, case_id=case.pk).first()
    if row is None:
        raise NotFound(_("Not found."))
    data = {name: getattr(row, name) for name in FIELDS if name != "id"}
    data["inability"] = inability
    if note is not None:
        data["note"] = note
    return save_supporter(case, actor, data, supporter_id=row.pk)


@transaction.atomic(durable=True)
def record_proposed_supporters(*, actor: Actor, case_id: int) -> list[Supporter]:
    """Record, in one action, every supporter the registry proposes that is not on the list yet
    (cases/kin.py: relatives bound by law, with the reason the rule finds in their own households'
    facts). Each is then corrected like any other (the same ID number again, or removed)."""
    case = _open_case(actor, case_id)
    recorded = _recorded(case)
    proposed = [k for k in registry_supporters(case, clocks.today()) if not _is_recorded(k, recorded)]
    if not proposed:
        raise Conflict(_("The registry proposes no supporter that is not recorded already."), code="nothing_proposed")
    return [save_supporter(case, actor, k.supporter()) for k in proposed]


@transaction.atomic(durable=True)
def remove_supporter(*, actor: Actor, case_id: int, supporter_id: int) -> None:
    """Take a supporter off the list (recorded by mistake, or found not to be one)."""
    case = _open_case(actor, case_id)
    row = Supporter.objects.filter(pk=supporter_id, case_id=case.pk).first()
    if row is None:
        raise NotFound(_("Not found."))
    record_event(actor=actor, action="cases.remove_supporter", obj=case,
                 before={"supporter": row.pk, "relation": row.relation, "inability": row.inability})
    row.delete()
