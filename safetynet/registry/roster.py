"""Importing a household roster: one spreadsheet row per person, rows grouped into households by
the roster's own household reference (户编号), kept in Household.external_ref.

Every valid row goes in, every bad row comes out with its reason (and lands in the .xlsx error
sheet). The same file imported twice adds nothing: a household is matched by (reference, area), a
person by ID number, and a person already registered in the matching household counts as
"already registered", not as an error.

The checks are the services' own (services.validate_member, validate_household, household levels,
registered_elsewhere_message): no rule is written twice. The database work is set-based — one
query per 500 ID numbers to find who is registered, bulk inserts for households and persons — so a
20,000-row county roster imports in seconds. One audit event per import, with the counts.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _, gettext_lazy

from safetynet.areas.models import Area
from safetynet.core.audit import record_event
from safetynet.core.dates import parse_date
from safetynet.core.errors import NotFound, ValidationError
from safetynet.core.scoping import Actor
from safetynet.core.tabular import RowError, read_table
from safetynet.core.text import normalise_text

from . import services
from .models import DisabilityType, Household, Person, RegistrationType, RelationToHead, Sex, WorkAbility

REQUIRED = ["household_ref", "address", "registration_type", "name", "id_number", "relation_to_head"]
OPTIONAL = ["area_code", "disability_type", "disability_grade", "serious_illness", "work_ability", "phone", "sex", "birth_date"]
BATCH = 500

ALIASES = {
    "户编号": "household_ref", "户号": "household_ref", "家庭编号": "household_ref", "户主编号": "household_ref",
    "区划代码": "area_code", "行政区划代码": "area_code", "统计用区划代码": "area_code", "所属区划": "area_code", "村代码": "area_code",
    "地址": "address", "家庭住址": "address", "住址": "address", "家庭地址": "address",
    "户籍性质": "registration_type", "户口性质": "registration_type", "户籍类型": "registration_type",
    "姓名": "name",
    "身份证号": "id_number", "身份证号码": "id_number", "公民身份号码": "id_number", "证件号码": "id_number",
    "与户主关系": "relation_to_head", "与户主的关系": "relation_to_head", "关系": "relation_to_head",
    "残疾类别": "disability_type", "残疾类型": "disability_type",
    "残疾等级": "disability_grade",
    "重病": "serious_illness", "是否重病": "serious_illness", "重病患者": "serious_illness",
    "劳动能力": "work_ability",
    "电话": "phone", "联系电话": "phone", "手机号": "phone", "手机号码": "phone",
    "性别": "sex",
    "出生日期": "birth_date",
}

# Column help for the import page: (column, Chinese header, required, what it holds).
COLUMN_HELP = [
    ("household_ref", "户编号", True, gettext_lazy("the roster's household number; rows with the same number are one household")),
    ("area_code", "区划代码", False, gettext_lazy("village, group or grid code (empty: the area chosen for the import, if it is a village)")),
    ("address", "地址", True, gettext_lazy("the household's address")),
    ("registration_type", "户籍性质", True, gettext_lazy("城镇 or 农村")),
    ("name", "姓名", True, ""),
    ("id_number", "身份证号", True, gettext_lazy("18 characters (15-digit old numbers are converted)")),
    ("relation_to_head", "与户主关系", True, gettext_lazy("户主, 配偶, 子女, 儿媳/女婿, 孙子女, 父母, 岳父母/公婆, 祖父母, 兄弟姐妹, 其他")),
    ("disability_type", "残疾类别", False, gettext_lazy("肢体, 智力, 精神, 视力, 听力, 言语, 多重")),
    ("disability_grade", "残疾等级", False, gettext_lazy("1–4 (一级 … 四级)")),
    ("serious_illness", "重病", False, gettext_lazy("是 or 否")),
    ("work_ability", "劳动能力", False, gettext_lazy("有, 部分 or 无")),
    ("phone", "电话", False, ""),
    ("sex", "性别", False, gettext_lazy("checked against the ID number")),
    ("birth_date", "出生日期", False, gettext_lazy("checked against the ID number")),
]

REGISTRATION = {
    "城镇": RegistrationType.URBAN, "城市": RegistrationType.URBAN, "非农业": RegistrationType.URBAN, "非农": RegistrationType.URBAN,
    "城镇户口": RegistrationType.URBAN, "居民": RegistrationType.URBAN,
    "农村": RegistrationType.RURAL, "农业": RegistrationType.RURAL, "农村户口": RegistrationType.RURAL, "农业户口": RegistrationType.RURAL,
}
RELATIONS = {
    "户主": "head", "本人": "head", "本人（户主）": "head", "本人(户主)": "head",
    "配偶": "spouse", "妻": "spouse", "夫": "spouse", "妻子": "spouse", "丈夫": "spouse",
    "子女": "child", "子": "child", "女": "child", "儿子": "child", "女儿": "child", "长子": "child", "次子": "child",
    "长女": "child", "次女": "child", "养子": "child", "养女": "child", "继子": "child", "继女": "child",
    "儿媳": "child_in_law", "女婿": "child_in_law", "媳妇": "child_in_law", "儿媳/女婿": "child_in_law",
    "孙子女": "grandchild", "孙子": "grandchild", "孙女": "grandchild", "外孙": "grandchild", "外孙子": "grandchild",
    "外孙女": "grandchild", "外孙子女": "grandchild",
    "父母": "parent", "父亲": "parent", "母亲": "parent", "父": "parent", "母": "parent",
    "岳父母": "parent_in_law", "岳父": "parent_in_law", "岳母": "parent_in_law", "公婆": "parent_in_law", "公公": "parent_in_law",
    "婆婆": "parent_in_law", "岳父母/公婆": "parent_in_law",
    "祖父母": "grandparent", "祖父": "grandparent", "祖母": "grandparent", "外祖父母": "grandparent", "外祖父": "grandparent",
    "外祖母": "grandparent", "爷爷": "grandparent", "奶奶": "grandparent",
    "兄弟姐妹": "sibling", "兄": "sibling", "弟": "sibling", "姐": "sibling", "妹": "sibling", "哥哥": "sibling",
    "弟弟": "sibling", "姐姐": "sibling", "妹妹": "sibling", "兄弟": "sibling", "姐妹": "sibling",
    "其他": "other", "其它": "other", "其他亲属": "other",
}
DISABILITIES = {"肢体": "physical", "智力": "intellectual", "精神": "mental", "视力": "visual", "听力": "hearing",
                "言语": "speech", "语言": "speech", "多重": "multiple", "无": "", "否": ""}
GRADES = {"一": "1", "二": "2", "三": "3", "四": "4", "1": "1", "2": "2", "3": "3", "4": "4"}
WORK = {"有": "full", "有劳动能力": "full", "完全": "full", "健全": "full", "正常": "full", "全部": "full",
        "部分": "partial", "部分劳动能力": "partial", "部分丧失": "partial", "部分丧失劳动能力": "partial", "半": "partial", "弱": "partial",
        "无": "none", "无劳动能力": "none", "丧失": "none", "丧失劳动能力": "none", "完全丧失": "none", "完全丧失劳动能力": "none"}
SEXES = {"男": "male", "女": "female", "m": "male", "f": "female"}


def _lookup(table: dict, choices, value: str, field_name: str, what: str) -> str:
    """A code from a Chinese word, an English code, or an English label."""
    text = normalise_text(value)
    if text in table:
        return table[text]
    lowered = text.lower()
    for code, label in choices:
        if lowered in (code, str(label).lower()):
            return code
    raise ValidationError(_("%(value)s is not a known %(what)s.") % {"value": text, "what": what}, field=field_name)


def _grade(value: str) -> str:
    text = normalise_text(value).replace("级", "").replace("等", "")
    if not text:
        return ""
    if text in GRADES:
        return GRADES[text]
    raise ValidationError(_("The disability grade is 1, 2, 3 or 4."), field="disability_grade")


def member_from_row(values: dict, *, today: dt.date | None = None) -> dict:
    """The spreadsheet's words turned into codes, then services.validate_member's checks."""
    relation = values.get("relation_to_head", "")
    disability = normalise_text(values.get("disability_type", "")).removesuffix("残疾").removesuffix("残")
    work = normalise_text(values.get("work_ability", ""))
    sex = normalise_text(values.get("sex", ""))
    return services.validate_member(
        name=values.get("name", ""),
        id_number=values.get("id_number", ""),
        relation_to_head=_lookup(RELATIONS, RelationToHead.choices, relation, "relation_to_head", _("relation to head")) if normalise_text(relation) else "",
        disability_type=_lookup(DISABILITIES, DisabilityType.choices, disability, "disability_type", _("disability type")) if disability else "",
        disability_grade=_grade(values.get("disability_grade", "")),
        serious_illness=values.get("serious_illness", ""),
        work_ability=_lookup(WORK, WorkAbility.choices, work, "work_ability", _("ability to work")) if work else WorkAbility.FULL,
        phone=values.get("phone", ""),
        sex=_lookup(SEXES, Sex.choices, sex, "sex", _("sex")) if sex else None,
        birth_date=parse_date(values.get("birth_date", ""), field="birth_date"),
        today=today,
    )


@dataclass
class RosterImportResult:
    households_created: int = 0
    households_matched: int = 0
    persons_created: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: int = 0

    def counts(self) -> dict:
        return {"rows": self.rows, "households_created": self.households_created, "households_matched": self.households_matched,
                "persons_created": self.persons_created, "unchanged": self.unchanged, "errors": len(self.errors)}


@dataclass
class _Row:
    number: int
    values: dict
    facts: dict


@dataclass
class _HouseholdGroup:
    ref: str
    area_code: str
    first_row: int
    values: dict = field(default_factory=dict)  # address, registration_type as the rows give them
    rows: list[_Row] = field(default_factory=list)
    household_id: int | None = None


def import_area(actor: Actor, area_code: str) -> Area:
    code = (area_code or "").strip()
    if code and not actor.covers(code):
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": code}, field="area")
    if not code:
        if actor.is_national:
            raise ValidationError(_("Choose the area to import into."), field="area")
        code = actor.area_code
    area = Area.objects.filter(code=code).first()
    if area is None:
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": code}, field="area")
    return area


@transaction.atomic(durable=True)
def import_roster(*, actor: Actor, source, filename: str, area_code: str = "", today: dt.date | None = None,
                  progress: Callable[[int, int], None] | None = None) -> RosterImportResult:
    """Import a roster into `area_code` (default: the actor's area). Rows whose area is outside it
    are refused row by row; the good rows go in together. `progress(rows done, rows)` is told as
    the rows are checked, and once more when they are written (the web upload's progress bar)."""
    actor.require("registry.import")
    actor.require("registry.edit")
    root = import_area(actor, area_code)
    table = read_table(source, filename=filename, required=REQUIRED, aliases=ALIASES)
    if not table.rows:
        raise ValidationError(_("The file has a header but no rows."), field="file", code="empty_file")
    default_area = root.code if root.level in services.HOUSEHOLD_LEVELS else ""
    if "area_code" not in table.columns and not default_area:
        raise ValidationError(
            _("Missing columns: %(cols)s. The header row must name them.") % {"cols": "area_code"},
            field="file", code="missing_columns", details={"missing": ["area_code"]})
    result = RosterImportResult(columns=table.columns, rows=len(table.rows))
    levels = dict(Area.objects.filter(code__startswith=root.code, level__in=services.HOUSEHOLD_LEVELS).values_list("code", "level"))

    def refuse(row_number: int, values: dict, field_name: str | None, message: str) -> None:
        result.errors.append(RowError(row_number, field_name or "", message, values))

    # 1. Each row on its own: the member's facts, its area, its household reference.
    groups: dict[str, _HouseholdGroup] = {}
    first_row_of_id: dict[str, int] = {}
    for done, (number, values) in enumerate(table.rows):
        if progress and done % BATCH == 0:
            progress(done, len(table.rows))
        try:
            ref = services.validate_external_ref(values.get("household_ref", ""), field="household_ref")
        except ValidationError as error:
            refuse(number, values, error.field, error.message)
            continue
        if not ref:
            refuse(number, values, "household_ref", _("The household number is empty: rows of one household share a number."))
            continue
        code = normalise_text(values.get("area_code", "")) or default_area
        if not code:
            refuse(number, values, "area_code", _("The area code is empty."))
            continue
        if code not in levels:
            refuse(number, values, "area_code", _("%(code)s is not a village, group or grid in the area you import into (%(root)s).")
                   % {"code": code, "root": root.name})
            continue
        try:
            facts = member_from_row(values, today=today)
        except ValidationError as error:
            refuse(number, values, error.field, error.message)
            continue
        first = first_row_of_id.get(facts["id_number"])
        if first is not None:
            refuse(number, values, "id_number", _("The same ID number is on row %(row)d: a person belongs to one household only.") % {"row": first})
            continue
        group = groups.get(ref)
        if group is None:
            group = groups[ref] = _HouseholdGroup(ref=ref, area_code=code, first_row=number)
        elif group.area_code != code:
            refuse(number, values, "area_code", _("Household %(ref)s is in area %(code)s on row %(row)d.")
                   % {"ref": ref, "code": group.area_code, "row": group.first_row})
            continue
        clash = _merge_household_values(group, values)
        if clash:
            refuse(number, values, clash[0], clash[1])
            continue
        first_row_of_id[facts["id_number"]] = number
        group.rows.append(_Row(number, values, facts))

    # 2. What the database already holds: households by (reference, area), persons by ID number.
    existing_households = _existing_households(root.code, groups)
    registered = _registered_persons(list(first_row_of_id))
    existing_heads = set(Person.objects.filter(household_id__in=[h.pk for h in existing_households.values()],
                                               relation_to_head=RelationToHead.HEAD).values_list("household_id", flat=True))

    # 3. Each household as a whole: its own fields, its head, members registered elsewhere.
    new_households: list[tuple[_HouseholdGroup, dict]] = []
    new_people: list[tuple[_HouseholdGroup, _Row]] = []
    for group in groups.values():
        if not group.rows:
            continue
        household = existing_households.get((group.ref, group.area_code))
        household_values = None
        if household is None:
            head_rows = [r for r in group.rows if r.facts["relation_to_head"] == RelationToHead.HEAD]
            try:
                household_values = services.validate_household(
                    address=group.values.get("address", ""), registration_type=_registration(group.values.get("registration_type", "")),
                    phone=head_rows[0].facts["phone"] if head_rows else "")
            except ValidationError as error:
                for row in group.rows:
                    refuse(row.number, row.values, error.field, _("Household %(ref)s: %(reason)s") % {"ref": group.ref, "reason": error.message})
                continue
        fresh: list[_Row] = []
        for row in group.rows:
            known = registered.get(row.facts["id_number"])
            if known is None:
                fresh.append(row)
            elif household is not None and known["household_id"] == household.pk:
                result.unchanged += 1
            else:
                refuse(row.number, row.values, "id_number",
                       services.registered_elsewhere_message(actor, known["household_id"], known["area_id"], known["address"]))
        has_head = household is not None and household.pk in existing_heads
        heads = [r for r in fresh if r.facts["relation_to_head"] == RelationToHead.HEAD]
        for extra in (heads if has_head else heads[1:]):
            first = (_("an earlier import") if has_head else _("row %(row)d") % {"row": heads[0].number})
            refuse(extra.number, extra.values, "relation_to_head",
                   _("Household %(ref)s already has a head (%(where)s): a household has one head only.") % {"ref": group.ref, "where": first})
        if has_head:
            fresh = [r for r in fresh if r not in heads]
        else:
            fresh = [r for r in fresh if r not in heads[1:]]
            if not heads:
                for row in fresh:
                    refuse(row.number, row.values, "relation_to_head",
                           _("Household %(ref)s has no head: one row must say 户主 (or its head row has an error).") % {"ref": group.ref})
                fresh = []
        if not fresh:
            if household is not None:
                result.households_matched += 1
            continue
        if household is None:
            new_households.append((group, household_values))
        else:
            result.households_matched += 1
            group.household_id = household.pk
        new_people.extend((group, row) for row in fresh)

    # 4. Write: households, then persons, then the heads of the new households.
    created = Household.objects.bulk_create(
        [Household(area_id=g.area_code, external_ref=g.ref, **values) for g, values in new_households], batch_size=BATCH)
    for (group, _values), household in zip(new_households, created):
        group.household_id = household.pk
    result.households_created = len(created)
    persons = [Person(household_id=g.household_id, area_id=g.area_code, **row.facts) for g, row in new_people]
    try:
        with transaction.atomic():
            Person.objects.bulk_create(persons, batch_size=BATCH)
    except IntegrityError:
        raise ValidationError(_("Someone registered one of these people while the file was importing: import it again."), field="file")
    result.persons_created = len(persons)
    # The head of each new household, one UPDATE … SET head_id = (subquery) per batch.
    head_of = Person.objects.filter(household_id=OuterRef("pk"), relation_to_head=RelationToHead.HEAD).values("id")[:1]
    created_ids = [h.pk for h in created]
    for start in range(0, len(created_ids), BATCH):
        Household.objects.filter(id__in=created_ids[start:start + BATCH]).update(head_id=Subquery(head_of))

    result.errors.sort(key=lambda e: e.row)
    if progress:
        progress(len(table.rows), len(table.rows))
    record_event(actor=actor, action="registry.import_roster", object_type="registry.household", object_id=filename[:200],
                 after={"area": root.code, **result.counts()})
    return result


def _registration(value: str) -> str:
    text = normalise_text(value)
    if text in REGISTRATION:
        return REGISTRATION[text]
    lowered = text.lower()
    for code, label in RegistrationType.choices:
        if lowered in (code, str(label).lower()):
            return code
    return text  # validate_household names the problem


def _merge_household_values(group: _HouseholdGroup, values: dict) -> tuple[str, str] | None:
    """Household fields may be on every row or only on some; two different non-empty values clash."""
    for name in ("address", "registration_type"):
        value = normalise_text(values.get(name, ""))
        if not value:
            continue
        seen = group.values.get(name)
        if seen is None:
            group.values[name] = value
        elif seen != value:
            return name, _("Household %(ref)s has %(field)s \"%(seen)s\" on another row; the rows of one household must agree.") % {
                "ref": group.ref, "field": name, "seen": seen}
    return None


def _existing_households(root_code: str, groups: dict) -> dict[tuple[str, str], Household]:
    refs = list(groups)
    found = {}
    for start in range(0, len(refs), BATCH):
        for household in Household.objects.filter(external_ref__in=refs[start:start + BATCH], area__code__startswith=root_code):
            found[(household.external_ref, household.area_id)] = household
    return found


def _registered_persons(id_numbers: list[str]) -> dict[str, dict]:
    registered = {}
    for start in range(0, len(id_numbers), BATCH):
        rows = Person.objects.filter(id_number__in=id_numbers[start:start + BATCH]).values_list(
            "id_number", "household_id", "household__area_id", "household__address")
        for number, household_id, area_id, address in rows:
            registered[number] = {"household_id": household_id, "area_id": area_id, "address": address}
    return registered
