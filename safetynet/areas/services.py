"""Writes to the network: importing official division codes, adding groups and grids, renaming.

Area codes are primary keys and are never changed or deleted here, so whatever refers to an
area (households, people, posts) keeps referring to it through a rename (DESIGN.md §4).
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.core import refcache
from safetynet.core.audit import record_event
from safetynet.core.errors import NotFound, ValidationError
from safetynet.core.scoping import Actor
from safetynet.core.tabular import RowError, read_table

from .models import CODE_LENGTHS, LEVEL_BY_LENGTH, Area, Level, UrbanRuralClass

DIVISION_ALIASES = {
    "代码": "code", "区划代码": "code", "统计用区划代码": "code", "行政区划代码": "code", "编码": "code",
    "名称": "name", "区划名称": "name", "单位名称": "name", "行政区划名称": "name",
    "城乡分类代码": "urban_rural_class", "城乡分类": "urban_rural_class", "城乡属性": "urban_rural_class",
    "class": "urban_rural_class", "urban-rural_class": "urban_rural_class",
    "级别": "level", "层级": "level",
}
# What a `level` column may say, in English or Chinese, mapped to our levels.
LEVEL_ALIASES = {
    **{level.value: level.value for level in Level},
    "省": Level.PROVINCE, "省级": Level.PROVINCE,
    "市": Level.CITY, "地级": Level.CITY, "市级": Level.CITY,
    "县": Level.COUNTY, "区": Level.COUNTY, "县级": Level.COUNTY,
    "乡": Level.TOWN, "镇": Level.TOWN, "街道": Level.TOWN, "乡级": Level.TOWN, "乡镇": Level.TOWN, "乡镇街道": Level.TOWN,
    "村": Level.VILLAGE, "社区": Level.VILLAGE, "村级": Level.VILLAGE, "村居": Level.VILLAGE, "村社区": Level.VILLAGE,
    "组": Level.GROUP, "村民小组": Level.GROUP, "网格": Level.GRID,
}
VALID_CLASSES = set(UrbanRuralClass.values)
# Sub-tree levels SafetyNet assigns itself (DESIGN.md §4): the official list stops at villages.
LOCAL_LEVELS = {Level.GROUP: Level.VILLAGE, Level.GRID: Level.GROUP}
# Keep IN lists under SQLite's bound-parameter limit when a whole province is imported.
_IN_BATCH = 900


@dataclass
class DivisionImportResult:
    added: int = 0
    renamed: int = 0
    reclassified: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    renames: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def ok(self) -> int:
        return self.added + self.renamed + self.reclassified + self.unchanged

    def counts(self) -> dict[str, int]:
        return {"added": self.added, "renamed": self.renamed, "reclassified": self.reclassified,
                "unchanged": self.unchanged, "errors": len(self.errors)}


def normalise_code(raw: str) -> str:
    """Official lists pad every code to 12 digits (130123000000 is the county 130123);
    strip the padding back to the level's own length. Full-width digits become ASCII and an
    Excel text marker (a leading apostrophe) is dropped."""
    code = unicodedata.normalize("NFKC", raw or "").strip().lstrip("'").strip()
    if len(code) == 12 and code.isascii() and code.isdigit():
        for length in (2, 4, 6, 9):
            if code[length:] == "0" * (12 - length) and code[:length] != "0" * length:
                # the shortest prefix followed only by zeros is the real code
                return code[:length]
    return code


def level_for_code(code: str) -> str | None:
    return LEVEL_BY_LENGTH.get(len(code)) if code.isascii() and code.isdigit() else None


def parent_code(code: str) -> str | None:
    lengths = [n for n in CODE_LENGTHS.values() if n < len(code)]
    return code[: lengths[-1]] if lengths else None


def _zero_segment(code: str) -> bool:
    """A level's own digits all zero (town 000, village 000) is padding, not a code (POLICY.md §8)."""
    parent = parent_code(code) or ""
    return set(code[len(parent):]) == {"0"}


def _check_row(code: str, name: str, klass: str, level_column: str) -> tuple[str, str] | None:
    """(field, reason) for a bad row, or None."""
    if not code:
        return "code", _("The code is empty.")
    if not (code.isascii() and code.isdigit()):
        return "code", _("The code %(code)s has characters other than digits.") % {"code": code}
    level = level_for_code(code)
    if level is None:
        return "code", _("The code %(code)s has %(n)d digits; a division code has 2, 4, 6, 9 or 12 (15 and 18 for groups and grids).") % {"code": code, "n": len(code)}
    if _zero_segment(code):
        return "code", _("The code %(code)s ends in a block of zeros where its own number should be.") % {"code": code}
    if level_column:
        said = LEVEL_ALIASES.get(level_column.strip().lower())
        if said != level:
            return "level", _("The code %(code)s is a %(actual)s code, but the row says %(said)s.") % {
                "code": code, "actual": Level(level).label, "said": level_column}
    if not name:
        return "name", _("The name is empty.")
    if len(name) > 100:
        return "name", _("The name is longer than 100 characters.")
    if klass and klass not in VALID_CLASSES:
        return "urban_rural_class", _("%(c)s is not an urban-rural class (111, 112, 121, 122, 123, 210 or 220).") % {"c": klass}
    if klass and level != Level.VILLAGE:
        return "urban_rural_class", _("Only villages and neighborhoods carry an urban-rural class; %(code)s is a %(level)s.") % {"code": code, "level": Level(level).label}
    if level == Level.VILLAGE and not klass:
        return "urban_rural_class", _("A village or neighborhood needs its urban-rural class.")
    return None


def _existing_areas(codes) -> dict[str, Area]:
    codes = list(codes)
    found: dict[str, Area] = {}
    for start in range(0, len(codes), _IN_BATCH):
        found.update((a.code, a) for a in Area.objects.filter(code__in=codes[start:start + _IN_BATCH]))
    return found


def _existing_codes(codes) -> set[str]:
    codes = list(codes)
    found: set[str] = set()
    for start in range(0, len(codes), _IN_BATCH):
        found.update(Area.objects.filter(code__in=codes[start:start + _IN_BATCH]).values_list("code", flat=True))
    return found


@transaction.atomic
def import_divisions(*, actor: Actor, source, filename: str) -> DivisionImportResult:
    """Add and rename areas from an official division-code list; never delete or re-key, so
    whatever refers to an area keeps referring to it. Every bad row is reported with its row
    number (as Excel shows it) and left out; the good rows go in together or not at all.

    Rows for the actor's own ancestors (its province and city) are accepted as context and
    counted unchanged, so a county officer can import the national list's slice as published;
    anything else outside the actor's area is a bad row."""
    actor.require("areas.import")
    table = read_table(source, filename=filename, required=["code", "name"], aliases=DIVISION_ALIASES)
    result = DivisionImportResult(columns=table.columns)
    wanted: dict[str, tuple[int, str, str, dict]] = {}
    first_row: dict[str, int] = {}
    for number, values in table.rows:
        code = normalise_code(values.get("code", ""))
        name = values.get("name", "").strip()
        klass = normalise_code(values.get("urban_rural_class", ""))
        problem = _check_row(code, name, klass, values.get("level", "").strip())
        if problem is None and code in first_row:
            problem = ("code", _("The code %(code)s appears again (first on row %(row)d).") % {"code": code, "row": first_row[code]})
        if code and code not in first_row:
            first_row[code] = number
        if problem is None and not actor.covers(code) and not actor.area_code.startswith(code):
            problem = ("code", _("The code %(code)s is outside your area.") % {"code": code})
        if problem:
            result.errors.append(RowError(number, problem[0], problem[1], values))
            continue
        wanted[code] = (number, name, klass, values)

    existing = _existing_areas(wanted)
    known_parents = set(existing) | _existing_codes({parent_code(c) for c in wanted if parent_code(c)})
    to_create, to_update = [], []
    now = timezone.now()
    for code in sorted(wanted, key=lambda c: (len(c), c)):
        number, name, klass, values = wanted[code]
        parent = parent_code(code)
        if code in existing:
            if not actor.covers(code):
                result.unchanged += 1  # an ancestor of the actor's own area: context, read-only for them
                continue
            area = existing[code]
            changed = False
            if area.name != name:
                result.renames[code] = (area.name, name)
                area.name = name
                result.renamed += 1
                changed = True
            if klass and area.urban_rural_class != klass:
                area.urban_rural_class = klass
                if not changed:
                    result.reclassified += 1
                changed = True
            if changed:
                area.updated_at = now
                to_update.append(area)
            else:
                result.unchanged += 1
            continue
        if not actor.covers(code):
            result.errors.append(RowError(number, "code", _("The code %(code)s is outside your area.") % {"code": code}, values))
            continue
        if parent and parent not in known_parents:
            if parent in first_row:
                reason = _("The parent %(parent)s of %(code)s is on row %(row)d, which has an error.") % {"parent": parent, "code": code, "row": first_row[parent]}
            else:
                reason = _("The parent %(parent)s of %(code)s is neither in the file nor in the network.") % {"parent": parent, "code": code}
            result.errors.append(RowError(number, "code", reason, values))
            continue
        to_create.append(Area(code=code, name=name, level=level_for_code(code), parent_id=parent, urban_rural_class=klass))
        known_parents.add(code)
        result.added += 1
    Area.objects.bulk_create(to_create, batch_size=2000)
    Area.objects.bulk_update(to_update, ["name", "urban_rural_class", "updated_at"], batch_size=2000)
    if to_create or to_update:
        refcache.bump(refcache.AREAS)
    result.errors.sort(key=lambda e: e.row)
    record_event(actor=actor, action="areas.import", object_type="areas.area", object_id=filename, after={
        **result.counts(), "renames": {code: {"before": old, "after": new} for code, (old, new) in result.renames.items()},
    })
    return result


@transaction.atomic
def create_area(*, actor: Actor, name: str, code: str = "", parent: str = "", urban_rural_class: str = "") -> Area:
    """Add a group under a village or a grid under a group (3 more digits each, DESIGN.md §4).

    Official levels (province to village) come only from the division list (`import_divisions`),
    so a hand-made village cannot drift from the statistics bureau's codes. Give `code`, or only
    `parent` to take the next free 3-digit number under it."""
    actor.require("areas.edit")
    code = normalise_code(code or "")
    parent = normalise_code(parent or "")
    name = (name or "").strip()
    if not code:
        if not parent:
            raise ValidationError(_("Choose the area to add under."), field="parent")
        parent_area = _lock_area(actor, parent, field="parent")
        _check_local_child(parent_area)
        code = next_child_code(parent_area)
    else:
        if parent and parent_code(code) != parent:
            raise ValidationError(_("The code %(code)s does not lie under %(parent)s.") % {"code": code, "parent": parent}, field="code")
        problem = _check_row(code, name or "-", urban_rural_class, "")
        if problem:
            raise ValidationError(problem[1], field=problem[0])
        if level_for_code(code) not in LOCAL_LEVELS:
            raise ValidationError(_("Only groups (15 digits) and grids (18 digits) are added by hand; villages and above come from the official division list."), field="code")
        parent_area = _lock_area(actor, parent_code(code), field="code")
        _check_local_child(parent_area)
        if Area.objects.filter(code=code).exists():
            raise ValidationError(_("The code %(code)s is already taken.") % {"code": code}, field="code")
    if urban_rural_class:
        raise ValidationError(_("Only villages and neighborhoods carry an urban-rural class."), field="urban_rural_class")
    if not name:
        raise ValidationError(_("The name is empty."), field="name")
    if len(name) > 100:
        raise ValidationError(_("The name is longer than 100 characters."), field="name")
    area = Area.objects.create(code=code, name=name, level=level_for_code(code), parent=parent_area)
    record_event(actor=actor, action="areas.create", obj=area, after={"name": area.name, "level": area.level, "parent": parent_area.code})
    return area


def _lock_area(actor: Actor, code: str, *, field: str) -> Area:
    """The area, locked so two officers adding under it at once cannot take the same number;
    outside the actor's subtree it does not exist (404)."""
    if not code or not actor.covers(code):
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": code}, field=field)
    area = Area.objects.select_for_update().filter(code=code).first()
    if area is None:
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": code}, field=field)
    return area


def _check_local_child(parent: Area) -> None:
    if parent.level not in (Level.VILLAGE, Level.GROUP):
        raise ValidationError(_("Groups are added under a village and grids under a group; %(name)s is a %(level)s.") % {
            "name": parent.name, "level": parent.get_level_display()}, field="parent")


@transaction.atomic
def rename_area(*, actor: Actor, code: str, name: str) -> Area:
    """Rename in place: the code stays, so households and posts keep pointing at the area."""
    actor.require("areas.edit")
    name = (name or "").strip()
    area = _lock_area(actor, code, field="code")
    if not name:
        raise ValidationError(_("The name is empty."), field="name")
    if len(name) > 100:
        raise ValidationError(_("The name is longer than 100 characters."), field="name")
    before = area.name
    if before == name:
        return area
    area.name = name
    area.save(update_fields=["name", "updated_at"])
    record_event(actor=actor, action="areas.rename", obj=area, before={"name": before}, after={"name": name})
    return area


def next_child_code(parent: Area) -> str:
    """The next free 3-digit code under a village (a group) or a group (a grid)."""
    siblings = Area.objects.filter(parent=parent).values_list("code", flat=True)
    used = {int(c[-3:]) for c in siblings}
    n = next((i for i in range(1, 1000) if i not in used), None)
    if n is None:
        raise ValidationError(_("%(name)s already has 999 areas under it: no code is free.") % {"name": parent.name}, field="parent")
    return f"{parent.code}{n:03d}"
