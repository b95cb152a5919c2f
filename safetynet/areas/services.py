"""Writes to the network: importing official division codes, adding groups and grids, renaming."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from safetynet.core.audit import record_event
from safetynet.core.errors import ValidationError
from safetynet.core.scoping import Actor
from safetynet.core.tabular import RowError, read_table

from .models import CODE_LENGTHS, LEVEL_BY_LENGTH, Area, Level, UrbanRuralClass

DIVISION_ALIASES = {
    "代码": "code", "区划代码": "code", "统计用区划代码": "code",
    "名称": "name", "区划名称": "name",
    "城乡分类代码": "urban_rural_class", "城乡分类": "urban_rural_class", "class": "urban_rural_class",
    "级别": "level", "层级": "level",
}
VALID_CLASSES = set(UrbanRuralClass.values)


@dataclass
class DivisionImportResult:
    added: int = 0
    renamed: int = 0
    reclassified: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> int:
        return self.added + self.renamed + self.reclassified + self.unchanged


def normalise_code(raw: str) -> str:
    """Official lists pad every code to 12 digits (130123000000 is the county 130123);
    strip the padding back to the level's own length."""
    code = raw.strip()
    if len(code) == 12 and code.isdigit():
        for length in (2, 4, 6, 9):
            if code[length:] == "0" * (12 - length) and code[:length] != "0" * length:
                # the shortest prefix followed only by zeros is the real code
                return code[:length]
    return code


def level_for_code(code: str) -> str | None:
    return LEVEL_BY_LENGTH.get(len(code)) if code.isdigit() else None


def parent_code(code: str) -> str | None:
    lengths = [n for n in CODE_LENGTHS.values() if n < len(code)]
    return code[: lengths[-1]] if lengths else None


def _check_row(code: str, name: str, klass: str, level_column: str) -> tuple[str, str] | None:
    """(field, reason) for a bad row, or None."""
    if not code.isdigit():
        return "code", _("The code %(code)s has characters other than digits.") % {"code": code or "(empty)"}
    level = level_for_code(code)
    if level is None:
        return "code", _("The code %(code)s has %(n)d digits; a division code has 2, 4, 6, 9 or 12 (15 and 18 for groups and grids).") % {"code": code, "n": len(code)}
    if level_column and level_column != level:
        return "level", _("The code %(code)s is a %(actual)s code, but the row says %(said)s.") % {"code": code, "actual": level, "said": level_column}
    if not name:
        return "name", _("The name is empty.")
    if len(name) > 100:
        return "name", _("The name is longer than 100 characters.")
    if klass and klass not in VALID_CLASSES:
        return "urban_rural_class", _("%(c)s is not an urban-rural class (111, 112, 121, 122, 123, 210 or 220).") % {"c": klass}
    if klass and level != Level.VILLAGE:
        return "urban_rural_class", _("Only villages and neighborhoods carry an urban-rural class; %(code)s is a %(level)s.") % {"code": code, "level": level}
    if level == Level.VILLAGE and not klass:
        return "urban_rural_class", _("A village or neighborhood needs its urban-rural class.")
    return None


@transaction.atomic
def import_divisions(*, actor: Actor, source, filename: str) -> DivisionImportResult:
    """Add and rename areas from an official division-code list; never delete or re-key, so
    whatever refers to an area keeps referring to it. Every bad row is reported with its row
    number; the good rows go in together or not at all."""
    actor.require("areas.import")
    table = read_table(source, filename=filename, required=["code", "name"], aliases=DIVISION_ALIASES)
    result = DivisionImportResult(columns=table.columns)
    wanted: dict[str, tuple[int, str, str]] = {}
    for number, values in table.rows:
        code = normalise_code(values.get("code", ""))
        name = values.get("name", "").strip()
        klass = values.get("urban_rural_class", "").strip()
        problem = _check_row(code, name, klass, values.get("level", "").strip().lower())
        if problem is None and code in wanted:
            problem = ("code", _("The code %(code)s appears again (first on row %(row)d).") % {"code": code, "row": wanted[code][0]})
        if problem is None and not actor.covers(code) and not (actor.area_code.startswith(code)):
            problem = ("code", _("The code %(code)s is outside your area.") % {"code": code})
        if problem:
            result.errors.append(RowError(number, problem[0], problem[1], values))
            continue
        wanted[code] = (number, name, klass)

    existing = {a.code: a for a in Area.objects.filter(code__in=list(wanted))}
    known_parents = set(existing) | set(
        Area.objects.filter(code__in={parent_code(c) for c in wanted if parent_code(c)}).values_list("code", flat=True)
    )
    to_create, to_update = [], []
    for code in sorted(wanted, key=lambda c: (len(c), c)):
        number, name, klass = wanted[code]
        parent = parent_code(code)
        if parent and parent not in known_parents:
            result.errors.append(RowError(number, "code", _("The parent %(parent)s of %(code)s is neither in the file nor in the network.") % {"parent": parent, "code": code}, {"code": code, "name": name, "urban_rural_class": klass}))
            continue
        if code in existing:
            if actor.area_code.startswith(code) and code != actor.area_code and not actor.covers(code):
                result.unchanged += 1  # an ancestor of the actor's own area: read-only for them
                continue
            area = existing[code]
            changed = False
            if area.name != name:
                area.name = name
                result.renamed += 1
                changed = True
            if klass and area.urban_rural_class != klass:
                area.urban_rural_class = klass
                if not changed:
                    result.reclassified += 1
                changed = True
            if changed:
                to_update.append(area)
            else:
                result.unchanged += 1
        else:
            if not actor.covers(code):
                result.errors.append(RowError(number, "code", _("The code %(code)s is outside your area.") % {"code": code}, {"code": code, "name": name}))
                continue
            to_create.append(Area(code=code, name=name, level=level_for_code(code), parent_id=parent, urban_rural_class=klass))
            known_parents.add(code)
            result.added += 1
    Area.objects.bulk_create(to_create, batch_size=2000)
    Area.objects.bulk_update(to_update, ["name", "urban_rural_class"], batch_size=2000)
    result.errors.sort(key=lambda e: e.row)
    record_event(actor=actor, action="areas.import", object_type="areas.area", object_id=filename, after={
        "added": result.added, "renamed": result.renamed, "reclassified": result.reclassified,
        "unchanged": result.unchanged, "errors": len(result.errors),
    })
    return result


@transaction.atomic
def create_area(*, actor: Actor, code: str, name: str, urban_rural_class: str = "") -> Area:
    """Add one node, typically a group under a village or a grid under a group (codes assigned by
    the county: 3 more digits each, DESIGN.md §4)."""
    actor.require("areas.edit")
    code = (code or "").strip()
    problem = _check_row(code, (name or "").strip(), urban_rural_class, "")
    if problem:
        raise ValidationError(problem[1], field=problem[0])
    parent = parent_code(code)
    actor.require_area(parent or code)
    if parent and not Area.objects.filter(code=parent).exists():
        raise ValidationError(_("The parent %(parent)s of %(code)s does not exist.") % {"parent": parent, "code": code}, field="code")
    if Area.objects.filter(code=code).exists():
        raise ValidationError(_("The code %(code)s is already taken.") % {"code": code}, field="code")
    area = Area.objects.create(code=code, name=name.strip(), level=level_for_code(code), parent_id=parent, urban_rural_class=urban_rural_class)
    record_event(actor=actor, action="areas.create", obj=area, after={"name": area.name, "level": area.level})
    return area


@transaction.atomic
def rename_area(*, actor: Actor, code: str, name: str) -> Area:
    actor.require("areas.edit")
    actor.require_area(code)
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("The name is empty."), field="name")
    area = Area.objects.select_for_update().get(code=code)
    before = area.name
    area.name = name
    area.save(update_fields=["name", "updated_at"])
    record_event(actor=actor, action="areas.rename", obj=area, before={"name": before}, after={"name": name})
    return area


def next_child_code(parent: Area) -> str:
    """The next free 3-digit code under a village (a group) or a group (a grid)."""
    siblings = Area.objects.filter(parent=parent).values_list("code", flat=True)
    used = {int(c[-3:]) for c in siblings}
    n = next(i for i in range(1, 1000) if i not in used)
    return f"{parent.code}{n:03d}"
