"""Every write to the household registry (DESIGN.md §3, §8).

Each public service takes keyword-only arguments with the acting post first, checks the role
("registry.edit", or "registry.view_id_number" for unmasking), checks the area (objects outside
the actor's subtree answer NotFound, as if they did not exist), runs in one transaction and
writes its audit event inside it.

The rules about a single member live in `validate_member` (pure: no database) and the rules that
need the database in `check_id_number_free` / `check_single_head`; `add_member`, `update_member`,
`create_household` and the roster import (roster.py) all call these, so no rule is written twice.

Audit snapshots carry ID numbers masked (core.masking): the ledger is append-only and read by
inspectors, so it must not become a second copy of every resident's number.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from safetynet.areas.models import Area, Level
from safetynet.core.audit import record_event
from safetynet.core.dates import parse_date
from safetynet.core.errors import Conflict, NotFound, ValidationError
from safetynet.core.idnumbers import parse_id_number
from safetynet.core.masking import mask_id_number
from safetynet.core.money import parse_money
from safetynet.core.scoping import Actor, get_in_scope
from safetynet.core.text import clean_text, normalise_text

from .models import (
    INVERSE_KINSHIP, Asset, AssetCategory, DisabilityType, Household, IncomeCategory, IncomeItem, Kinship,
    KinshipRelation, Person, RegistrationType, RelationToHead, Sex, WorkAbility,
)

EDIT = "registry.edit"
VIEW_ID_NUMBER = "registry.view_id_number"
HOUSEHOLD_LEVELS = (Level.VILLAGE, Level.GROUP, Level.GRID)
HOUSEHOLD_FIELDS = ("area_code", "address", "registration_type", "phone", "bank_account", "external_ref")
MEMBER_FIELDS = ("name", "id_number", "relation_to_head", "disability_type", "disability_grade", "serious_illness",
                 "work_ability", "phone", "sex", "birth_date")
MAX_AMOUNT = Decimal("9999999999.99")
EXTERNAL_REF_LENGTH = Household._meta.get_field("external_ref").max_length


# --- snapshots for the audit ledger -------------------------------------------------------

def household_snapshot(household: Household) -> dict:
    return {
        "area": household.area_id, "address": household.address, "registration_type": household.registration_type,
        "phone": household.phone, "bank_account": household.bank_account, "external_ref": household.external_ref,
        "head": household.head_id,
    }


def person_snapshot(person: Person) -> dict:
    return {
        "household": person.household_id, "area": person.area_id, "name": person.name,
        "id_number": mask_id_number(person.id_number), "sex": person.sex,
        "birth_date": person.birth_date.isoformat() if person.birth_date else None,
        "relation_to_head": person.relation_to_head, "disability_type": person.disability_type,
        "disability_grade": person.disability_grade, "serious_illness": person.serious_illness,
        "work_ability": person.work_ability, "phone": person.phone, "is_deceased": person.is_deceased,
    }


# --- validation shared by the services and the roster import ------------------------------

def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _coerce_date(value, field: str) -> dt.date | None:
    return parse_date(value, field=field)


def _coerce_bool(value, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in ("", "0", "false", "no", "off", "否", "无"):
        return False
    if text in ("1", "true", "yes", "on", "是", "有"):
        return True
    raise ValidationError(_("%(value)s is not yes or no.") % {"value": value}, field=field)


def validate_phone(value, field: str = "phone") -> str:
    phone = normalise_text(value).replace(" ", "")
    if len(phone) > 20:
        raise ValidationError(_("A phone number has at most 20 characters."), field=field)
    if phone and not all(c in "0123456789+-()" for c in phone):
        raise ValidationError(_("A phone number holds digits only (and + - ( ))."), field=field)
    return phone


def validate_member(*, name, id_number, relation_to_head, disability_type="", disability_grade=None,
                    serious_illness=False, work_ability=WorkAbility.FULL, phone="", sex=None, birth_date=None,
                    today: dt.date | None = None) -> dict:
    """Check one member's facts without the database and return them normalised.

    The ID number is parsed by core.idnumbers (GB 11643-1999, POLICY.md §8; a 15-digit number is
    converted to 18); sex and birth date are derived from it, and a sex or birth date the caller
    gives must agree (DESIGN.md §4 Identity). A disability has both a type and a grade 1–4."""
    name = clean_text(name, field="name")
    if not name:
        raise ValidationError(_("The name is required."), field="name")
    if len(name) > 50:
        raise ValidationError(_("A name has at most 50 characters."), field="name")
    resident = parse_id_number(id_number, field="id_number", today=today)
    derived_sex = resident.sex
    given_sex = _text(sex)
    if given_sex:
        if given_sex not in Sex.values:
            raise ValidationError(_("%(value)s is not a sex (male or female).") % {"value": given_sex}, field="sex")
        if given_sex != derived_sex:
            raise ValidationError(
                _("The ID number says %(derived)s, but %(given)s was entered.")
                % {"derived": _label(Sex, derived_sex), "given": _label(Sex, given_sex)}, field="sex")
    given_birth = _coerce_date(birth_date, "birth_date")
    if given_birth and given_birth != resident.birth_date:
        raise ValidationError(
            _("The ID number gives the birth date %(derived)s, but %(given)s was entered.")
            % {"derived": resident.birth_date.isoformat(), "given": given_birth.isoformat()}, field="birth_date")
    relation = _text(relation_to_head)
    if relation not in RelationToHead.values:
        raise ValidationError(_("Choose the relation to the head of household."), field="relation_to_head")
    disability = _text(disability_type)
    grade_text = _text(disability_grade)
    if disability and disability not in DisabilityType.values:
        raise ValidationError(_("%(value)s is not a disability type.") % {"value": disability}, field="disability_type")
    grade = None
    if grade_text:
        if not grade_text.isdigit() or not 1 <= int(grade_text) <= 4:
            raise ValidationError(_("The disability grade is 1, 2, 3 or 4."), field="disability_grade")
        grade = int(grade_text)
    if disability and grade is None:
        raise ValidationError(_("A disability needs its grade (1–4) as on the disability card."), field="disability_grade")
    if grade is not None and not disability:
        raise ValidationError(_("A disability grade needs the disability type."), field="disability_type")
    ability = _text(work_ability) or WorkAbility.FULL
    if ability not in WorkAbility.values:
        raise ValidationError(_("Choose the ability to work."), field="work_ability")
    return {
        "name": name, "id_number": resident.number, "sex": derived_sex, "birth_date": resident.birth_date,
        "relation_to_head": relation, "disability_type": disability, "disability_grade": grade,
        "serious_illness": _coerce_bool(serious_illness, "serious_illness"), "work_ability": ability,
        "phone": validate_phone(phone),
    }


def registered_elsewhere_message(actor: Actor, household_id: int, area_code: str, address: str) -> str:
    """Why an ID number cannot join a household: it is in another one, named only if visible."""
    if actor.covers(area_code):
        return _("This person is already registered in household #%(id)s (%(address)s): a person belongs to one household only.") % {
            "id": household_id, "address": address}
    return _("This person is already registered in a household outside your area: a person belongs to one household only.")


def check_id_number_free(actor: Actor, id_number: str, *, household_id: int | None, exclude_person_id: int | None = None) -> None:
    """A member in two households is impossible (the database's unique index is the last guard)."""
    qs = Person.objects.filter(id_number=id_number)
    if exclude_person_id:
        qs = qs.exclude(pk=exclude_person_id)
    other = qs.select_related("household").only("id", "household_id", "household__area_id", "household__address").first()
    if other is None:
        return
    if household_id and other.household_id == household_id:
        raise ValidationError(_("This person is already a member of this household."), field="id_number")
    raise ValidationError(
        registered_elsewhere_message(actor, other.household_id, other.household.area_id, other.household.address),
        field="id_number")


def check_single_head(household_id: int, relation_to_head: str, *, exclude_person_id: int | None = None) -> None:
    if relation_to_head != RelationToHead.HEAD or not household_id:
        return
    qs = Person.objects.filter(household_id=household_id, relation_to_head=RelationToHead.HEAD)
    if exclude_person_id:
        qs = qs.exclude(pk=exclude_person_id)
    if qs.exists():
        raise ValidationError(_("This household already has a head; a household has one head only."), field="relation_to_head")


def household_area(actor: Actor, area_code, field: str = "area_code") -> Area:
    """The area a household registers at: a village, group or grid inside the actor's scope."""
    code = _text(area_code)
    if not code:
        raise ValidationError(_("Choose the area (village, group or grid)."), field=field)
    if not actor.covers(code):
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": code}, field=field)
    area = Area.objects.filter(code=code).first()
    if area is None:
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": code}, field=field)
    if area.level not in HOUSEHOLD_LEVELS:
        raise ValidationError(
            _("A household registers at a village, group or grid; %(name)s is a %(level)s.")
            % {"name": area.name, "level": area.get_level_display()}, field=field)
    return area


def validate_household(*, address, registration_type, phone="", bank_account="") -> dict:
    address = clean_text(address, field="address")
    if not address:
        raise ValidationError(_("The address is required."), field="address")
    if len(address) > 200:
        raise ValidationError(_("An address has at most 200 characters."), field="address")
    registration = _text(registration_type)
    if registration not in RegistrationType.values:
        raise ValidationError(_("Choose urban or rural household registration."), field="registration_type")
    return {"address": address, "registration_type": registration, "phone": validate_phone(phone),
            "bank_account": clean_bank_account(bank_account)}


def clean_bank_account(value, *, field: str = "bank_account") -> str:
    """A bank account number as typed (spaces and full-width digits allowed): up to 32 digits, or
    empty. The households' accounts and a deliberation roll's read it the same way."""
    account = normalise_text(value).replace(" ", "")
    if len(account) > 32 or (account and not (account.isascii() and account.isdigit())):
        raise ValidationError(_("A bank account number is up to 32 digits."), field=field)
    return account


def validate_external_ref(value, field: str = "external_ref") -> str:
    """The roster's own household number, kept whole: two references that differ only past a
    cut would merge two households, so one longer than the column holds is refused."""
    ref = clean_text(value, field=field)
    if len(ref) > EXTERNAL_REF_LENGTH:
        raise ValidationError(
            _("The household number has %(n)d characters; at most %(max)d are kept: shorten the numbers in the roster.")
            % {"n": len(ref), "max": EXTERNAL_REF_LENGTH}, field=field, code="too_long")
    return ref


# --- scoped lookups for writes ----------------------------------------------------------

def _household_for_update(actor: Actor, household_id) -> Household:
    return get_in_scope(Household.objects.select_for_update(), actor, pk=household_id)


def _person_for_update(actor: Actor, person_id) -> Person:
    return get_in_scope(Person.objects.select_for_update().select_related("household"), actor, pk=person_id)


def _create_person(actor: Actor, household: Household, facts: dict) -> Person:
    person = Person(household=household, area_id=household.area_id, **facts)
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        # A concurrent registration of the same number won the race.
        check_id_number_free(actor, facts["id_number"], household_id=household.pk)
        raise
    if facts["relation_to_head"] == RelationToHead.HEAD:
        household.head = person
        household.save(update_fields=["head", "updated_at"])
    return person


# --- households ---------------------------------------------------------------------------

@transaction.atomic(durable=True)
def create_household(*, actor: Actor, area_code: str, address: str, registration_type: str, phone: str = "",
                     bank_account: str = "", members: list[dict] | None = None, external_ref: str = "") -> Household:
    """Register a household, optionally with its members; the member whose relation is "head"
    becomes the head. With members, exactly one of them is the head.

    Member errors name the field as "members.<index>.<field>" so a form can put them in place."""
    actor.require(EDIT)
    area = household_area(actor, area_code)
    values = validate_household(address=address, registration_type=registration_type, phone=phone, bank_account=bank_account)
    members = list(members or [])
    cleaned, seen = [], {}
    for index, member in enumerate(members):
        try:
            unknown = set(member) - set(MEMBER_FIELDS)
            if unknown:
                raise ValidationError(_("Unknown fields: %(names)s.") % {"names": ", ".join(sorted(unknown))}, field=sorted(unknown)[0])
            facts = validate_member(**member)
            if facts["id_number"] in seen:
                raise ValidationError(_("The same ID number is given for member %(n)d.") % {"n": seen[facts["id_number"]] + 1}, field="id_number")
            check_id_number_free(actor, facts["id_number"], household_id=None)
        except ValidationError as error:
            raise ValidationError(error.message, field=f"members.{index}.{error.field or 'id_number'}")
        seen[facts["id_number"]] = index
        cleaned.append(facts)
    heads = [i for i, f in enumerate(cleaned) if f["relation_to_head"] == RelationToHead.HEAD]
    if cleaned and not heads:
        raise ValidationError(_("One member must be the head of household."), field="members")
    if len(heads) > 1:
        raise ValidationError(_("A household has one head only."), field=f"members.{heads[1]}.relation_to_head")
    household = Household.objects.create(area=area, external_ref=validate_external_ref(external_ref), **values)
    people = [_create_person(actor, household, facts) for facts in cleaned]
    record_event(actor=actor, action="registry.create_household", obj=household, after={
        **household_snapshot(household), "members": [person_snapshot(p) for p in people]})
    return household


@transaction.atomic(durable=True)
def update_household(*, actor: Actor, household_id: int, **changes) -> Household:
    """Change the address, registration, contact or area. Moving to another area (inside scope)
    moves every member's denormalised `area` with it, so scope and counts stay right."""
    actor.require(EDIT)
    unknown = set(changes) - set(HOUSEHOLD_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(names)s.") % {"names": ", ".join(sorted(unknown))}, field=sorted(unknown)[0])
    household = _household_for_update(actor, household_id)
    before = household_snapshot(household)
    merged = {"address": household.address, "registration_type": household.registration_type,
              "phone": household.phone, "bank_account": household.bank_account}
    merged.update({k: v for k, v in changes.items() if k in merged})
    values = validate_household(**merged)
    for key, value in values.items():
        setattr(household, key, value)
    if "external_ref" in changes:
        household.external_ref = validate_external_ref(changes["external_ref"])
    moved = False
    if "area_code" in changes and _text(changes["area_code"]) != household.area_id:
        household.area = household_area(actor, changes["area_code"])
        moved = True
    household.save()
    if moved:
        Person.objects.filter(household=household).update(area_id=household.area_id)
    after = household_snapshot(household)
    if after != before:
        record_event(actor=actor, action="registry.update_household", obj=household, before=before, after=after)
    return household


# --- members ------------------------------------------------------------------------------

@transaction.atomic(durable=True)
def add_member(*, actor: Actor, household_id: int, name: str, id_number: str, relation_to_head: str,
               disability_type: str = "", disability_grade: int | None = None, serious_illness: bool = False,
               work_ability: str = WorkAbility.FULL, phone: str = "", sex: str | None = None,
               birth_date: dt.date | None = None) -> Person:
    actor.require(EDIT)
    household = _household_for_update(actor, household_id)
    facts = validate_member(
        name=name, id_number=id_number, relation_to_head=relation_to_head, disability_type=disability_type,
        disability_grade=disability_grade, serious_illness=serious_illness, work_ability=work_ability,
        phone=phone, sex=sex, birth_date=birth_date)
    check_id_number_free(actor, facts["id_number"], household_id=household.pk)
    check_single_head(household.pk, facts["relation_to_head"])
    person = _create_person(actor, household, facts)
    record_event(actor=actor, action="registry.add_member", obj=person, after=person_snapshot(person))
    return person


@transaction.atomic(durable=True)
def update_member(*, actor: Actor, person_id: int, **changes) -> Person:
    """Correct a member's facts; the same checks as when adding (validate_member). Also accepts
    `is_deceased`. Making someone the head needs the household to have no other head."""
    actor.require(EDIT)
    allowed = set(MEMBER_FIELDS) | {"is_deceased"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(_("Unknown fields: %(names)s.") % {"names": ", ".join(sorted(unknown))}, field=sorted(unknown)[0])
    person = _person_for_update(actor, person_id)
    before = person_snapshot(person)
    current = {f: getattr(person, f) for f in MEMBER_FIELDS if f not in ("sex", "birth_date")}
    current.update({k: v for k, v in changes.items() if k in MEMBER_FIELDS})
    # Sex and birth date come from the (possibly new) number; only what the caller sends must agree.
    facts = validate_member(**current)
    if facts["id_number"] != person.id_number:
        check_id_number_free(actor, facts["id_number"], household_id=person.household_id, exclude_person_id=person.pk)
    check_single_head(person.household_id, facts["relation_to_head"], exclude_person_id=person.pk)
    was_head = person.relation_to_head == RelationToHead.HEAD
    for key, value in facts.items():
        setattr(person, key, value)
    if "is_deceased" in changes:
        person.is_deceased = _coerce_bool(changes["is_deceased"], "is_deceased")
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        check_id_number_free(actor, facts["id_number"], household_id=person.household_id, exclude_person_id=person.pk)
        raise
    household = person.household
    if facts["relation_to_head"] == RelationToHead.HEAD and household.head_id != person.pk:
        household.head = person
        household.save(update_fields=["head", "updated_at"])
    elif was_head and facts["relation_to_head"] != RelationToHead.HEAD and household.head_id == person.pk:
        household.head = None
        household.save(update_fields=["head", "updated_at"])
    after = person_snapshot(person)
    if after != before:
        record_event(actor=actor, action="registry.update_member", obj=person, before=before, after=after)
    return person


@transaction.atomic(durable=True)
def remove_member(*, actor: Actor, person_id: int, new_head_id: int | None = None, reason: str = "") -> None:
    """Take a person off the household (moved away, registered twice by mistake). The head
    cannot leave while others remain unless a new head is named; the new head's relation becomes
    "head" (the others' relations should then be reviewed). A person that cases or payments
    refer to cannot be removed: mark them deceased instead."""
    actor.require(EDIT)
    person = _person_for_update(actor, person_id)
    household = person.household
    others = Person.objects.filter(household_id=household.pk).exclude(pk=person.pk)
    is_head = person.relation_to_head == RelationToHead.HEAD or household.head_id == person.pk
    new_head = None
    if new_head_id:
        new_head = others.filter(pk=new_head_id).first()
        if new_head is None:
            raise ValidationError(_("The new head must be another member of this household."), field="new_head_id")
    if is_head and others.exists() and new_head is None:
        raise ValidationError(_("Name the new head of household before removing the head."), field="new_head_id")
    before = person_snapshot(person)
    try:
        with transaction.atomic():
            person.delete()
    except ProtectedError:
        raise Conflict(_("Other records (cases, payments) refer to this person: mark them deceased or moved instead of removing."))
    if new_head is not None:
        new_head.relation_to_head = RelationToHead.HEAD
        new_head.save(update_fields=["relation_to_head", "updated_at"])
        household.head = new_head
        household.save(update_fields=["head", "updated_at"])
    record_event(actor=actor, action="registry.remove_member", object_type="registry.person", object_id=person_id,
                 before=before, after={"reason": clean_text(reason, field="reason", max_length=200), "new_head": new_head.pk if new_head else None})


# --- kinship ------------------------------------------------------------------------------

@transaction.atomic(durable=True)
def link_kinship(*, actor: Actor, person_id: int, relation: str, relative_id: int | None = None,
                 relative_id_number: str | None = None) -> Kinship:
    """Record that `relative` is `person`'s <relation>, in both directions (INVERSE_KINSHIP).

    Kinship links people of DIFFERENT households (inside one household the relation to head says
    it); it feeds close-relative filings (POLICY.md §1 step 2). The relative is named by id when
    visible to the actor, or by ID number when registered outside the actor's area."""
    actor.require(EDIT)
    person = _person_for_update(actor, person_id)
    relation = _text(relation)
    if relation not in KinshipRelation.values:
        raise ValidationError(_("Choose the relation."), field="relation")
    if relative_id:
        relative = get_in_scope(Person.objects.all(), actor, pk=relative_id)
        field = "relative_id"
    elif _text(relative_id_number):
        field = "relative_id_number"
        number = parse_id_number(relative_id_number, field=field).number
        relative = Person.objects.filter(id_number=number).first()
        if relative is None:
            raise ValidationError(_("No one with this ID number is registered."), field=field)
    else:
        raise ValidationError(_("Give the relative's ID number."), field="relative_id_number")
    if relative.pk == person.pk:
        raise ValidationError(_("A person cannot be their own relative."), field=field)
    if relative.household_id == person.household_id:
        raise ValidationError(_("Both are in the same household: their relation to the head already says how they are related."), field=field)
    if Kinship.objects.filter(person=person, relative=relative).exists():
        raise ValidationError(_("These two are already linked."), field=field)
    kinship = Kinship.objects.create(person=person, relative=relative, relation=relation)
    Kinship.objects.create(person=relative, relative=person, relation=INVERSE_KINSHIP[KinshipRelation(relation)])
    record_event(actor=actor, action="registry.link_kinship", obj=person, after={
        "person": person.pk, "relative": relative.pk, "relation": relation})
    return kinship


@transaction.atomic(durable=True)
def unlink_kinship(*, actor: Actor, person_id: int, relative_id: int) -> None:
    actor.require(EDIT)
    person = _person_for_update(actor, person_id)
    pair = Kinship.objects.filter(person=person, relative_id=relative_id).first()
    if pair is None:
        raise NotFound(_("These two are not linked."), field="relative_id")
    before = {"person": person.pk, "relative": pair.relative_id, "relation": pair.relation}
    Kinship.objects.filter(person=person, relative_id=relative_id).delete()
    Kinship.objects.filter(person_id=relative_id, relative=person).delete()
    record_event(actor=actor, action="registry.unlink_kinship", obj=person, before=before)


# --- declared income and assets -----------------------------------------------------------

def _amount(value, field: str) -> Decimal:
    return parse_money(value, field=field, maximum=MAX_AMOUNT)


def _item_person(item: dict, member_ids: set, field: str) -> int | None:
    person_id = item.get("person_id")
    if person_id in (None, ""):
        return None
    try:
        person_id = int(person_id)
    except (TypeError, ValueError):
        person_id = None
    if person_id not in member_ids:
        raise ValidationError(_("Choose a member of this household (or none)."), field=field)
    return person_id


def validate_income_items(items: list[dict], member_ids: set) -> list[dict]:
    cleaned = []
    for index, item in enumerate(items):
        prefix = f"items.{index}."
        category = _text(item.get("category"))
        if category not in IncomeCategory.values:
            raise ValidationError(_("Choose the kind of income."), field=prefix + "category")
        description = clean_text(item.get("description"), field=prefix + "description")
        if len(description) > 200:
            raise ValidationError(_("A description has at most 200 characters."), field=prefix + "description")
        cleaned.append({
            "category": category, "monthly_amount": _amount(item.get("monthly_amount"), prefix + "monthly_amount"),
            "description": description, "person_id": _item_person(item, member_ids, prefix + "person_id"),
        })
    return cleaned


def validate_assets(items: list[dict], member_ids: set) -> list[dict]:
    cleaned = []
    for index, item in enumerate(items):
        prefix = f"items.{index}."
        category = _text(item.get("category"))
        if category not in AssetCategory.values:
            raise ValidationError(_("Choose the kind of asset."), field=prefix + "category")
        quantity_text = _text(item.get("quantity")) or "1"
        if not quantity_text.isdigit() or not 0 < int(quantity_text) < 10000:
            raise ValidationError(_("The quantity is a whole number from 1."), field=prefix + "quantity")
        description = clean_text(item.get("description"), field=prefix + "description")
        if len(description) > 200:
            raise ValidationError(_("A description has at most 200 characters."), field=prefix + "description")
        value = item.get("value")
        cleaned.append({
            "category": category, "value": _amount(0 if value in (None, "") else value, prefix + "value"),
            "quantity": int(quantity_text), "description": description,
            "is_exempt": _coerce_bool(item.get("is_exempt", False), prefix + "is_exempt"),
            "person_id": _item_person(item, member_ids, prefix + "person_id"),
        })
    return cleaned


def _income_snapshot(rows) -> list[dict]:
    return [{"category": r.category, "monthly_amount": str(r.monthly_amount), "person": r.person_id,
             "description": r.description} for r in rows]


def _asset_snapshot(rows) -> list[dict]:
    return [{"category": r.category, "value": str(r.value), "quantity": r.quantity, "person": r.person_id,
             "description": r.description, "is_exempt": r.is_exempt} for r in rows]


@transaction.atomic(durable=True)
def set_income_items(*, actor: Actor, household_id: int, items: list[dict]) -> list[IncomeItem]:
    """Replace the household's declared monthly income (MLG-2021 art. 13, POLICY.md §1). Each
    item: category, monthly_amount (Decimal, not negative), optional person_id, description."""
    actor.require(EDIT)
    household = _household_for_update(actor, household_id)
    member_ids = set(household.members.values_list("id", flat=True))
    cleaned = validate_income_items(list(items or []), member_ids)
    before = _income_snapshot(household.income_items.all())
    household.income_items.all().delete()
    rows = IncomeItem.objects.bulk_create([IncomeItem(household=household, **c) for c in cleaned])
    record_event(actor=actor, action="registry.set_income_items", obj=household, before=before, after=_income_snapshot(rows))
    return list(household.income_items.all())


@transaction.atomic(durable=True)
def set_assets(*, actor: Actor, household_id: int, items: list[dict]) -> list[Asset]:
    """Replace the household's declared assets (MLG-2021 art. 14, POLICY.md §1). Each item:
    category, value (Decimal, not negative), quantity, is_exempt, optional person_id, description."""
    actor.require(EDIT)
    household = _household_for_update(actor, household_id)
    member_ids = set(household.members.values_list("id", flat=True))
    cleaned = validate_assets(list(items or []), member_ids)
    before = _asset_snapshot(household.assets.all())
    household.assets.all().delete()
    rows = Asset.objects.bulk_create([Asset(household=household, **c) for c in cleaned])
    record_event(actor=actor, action="registry.set_assets", obj=household, before=before, after=_asset_snapshot(rows))
    return list(household.assets.all())


# --- unmasking ------------------------------------------------------------------------------

@transaction.atomic(durable=True)
def reveal_id_number(*, actor: Actor, person_id: int) -> str:
    """The whole ID number, for a post that needs it; every unmasking is logged (DESIGN.md §5)."""
    actor.require(VIEW_ID_NUMBER)
    person = get_in_scope(Person.objects.all(), actor, pk=person_id)
    record_event(actor=actor, action="registry.reveal_id_number", obj=person,
                 after={"id_number": mask_id_number(person.id_number)})
    return person.id_number
