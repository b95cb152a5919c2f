"""Reads of programs and their parameters.

Resolution (DESIGN.md §4): for each key, the row of the deepest area on the path from the
country down to `area_code` (the area itself included, national last) whose period covers the
month. Two queries in all, whatever the number of keys: the area with its ancestors, then every
candidate row of the programs asked for; the choice per key is made in Python.

`parameters_for` and the typed `dibao_parameters` / `special_hardship_parameters` /
`temporary_parameters` are what services and the public self-check call before a rule; the
`*_in_force` and history functions feed the standards pages and the API, through the actor's
scope.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.areas.models import CODE_LENGTHS, Area, Level
from safetynet.core import refcache
from safetynet.core.errors import NotFound, ValidationError
from safetynet.core.scoping import Actor
from safetynet.core.statements import Prepared

from . import catalogue
from .facts import DibaoParameters, SpecialHardshipParameters, TemporaryParameters
from .models import Parameter, Program


@dataclass(frozen=True)
class AreaPath:
    """An area and its ancestors, top-down, with the urban/rural class that applies to it (its
    own, or the nearest ancestor's: groups and grids inherit their village's class)."""

    code: str
    name: str
    level: str
    chain: tuple[tuple[str, str, str], ...]   # (code, name, level) from the top down, the area last
    is_urban: bool | None                     # None when no area on the path has a class

    def name_of(self, code: str | None) -> str:
        if not code:
            return ""
        for c, name, _level in self.chain:
            if c == code:
                return name
        return code

    @property
    def class_unknown(self) -> bool:
        """A village (or a group or grid in one) with no urban-rural class on its path: imported
        without one (ADR 0006). No standard applies to it until its class is set."""
        return self.is_urban is None and len(self.code) >= CODE_LENGTHS[Level.VILLAGE]

    @property
    def county_name(self) -> str:
        for _code, name, level in self.chain:
            if level == Level.COUNTY:
                return name
        return self.name


@dataclass(frozen=True)
class ResolvedParameter:
    """A value in force with where it comes from (for pages: "¥720.00 · 正定县 · since 2026-01")."""

    program: str
    key: str
    value: object
    row_id: int | None          # None: the catalogue default, no row in the database
    area_code: str | None       # None: national
    area_name: str
    effective_from: dt.date | None
    effective_to: dt.date | None
    spec: catalogue.ParameterSpec

    @property
    def display_value(self) -> str:
        return catalogue.display_value(self.spec, self.value)

    @property
    def is_national(self) -> bool:
        return self.area_code is None


def month_start(month: dt.date) -> dt.date:
    return month.replace(day=1)


def area_path(area_code: str, *, field: str = "area_code") -> AreaPath:
    """The area and its ancestors in one query (remembered while the area tree is unchanged);
    ValidationError on `field` when it does not exist."""
    code = (area_code or "").strip()
    path = refcache.cached((refcache.AREAS,), code, lambda: _area_path(code))
    if path is None:
        raise ValidationError(_("No such area: %(code)s.") % {"code": code or "—"}, field=field)
    return path


# Read once for each village and group a case lives in: prepared once per connection.
_AREAS_BY_CODE = Prepared(lambda codes: Area.objects.filter(code__in=codes).order_by()
                          .values_list("code", "name", "level", "urban_rural_class"))


def _prefixes(code: str) -> list[str]:
    return [code[:n] for n in CODE_LENGTHS.values() if n < len(code)] + [code]


def _area_path(code: str) -> AreaPath | None:
    if not code:
        return None
    prefixes = _prefixes(code)
    return _path_from_rows(code, {c: (name, level, klass) for c, name, level, klass in _AREAS_BY_CODE.rows(prefixes)})


def _path_from_rows(code: str, rows: dict) -> AreaPath | None:
    prefixes = _prefixes(code)
    if code not in rows:
        return None
    chain = tuple((c, rows[c][0], rows[c][1]) for c in prefixes if c in rows)
    is_urban = None
    for c in reversed(prefixes):
        klass = rows.get(c, ("", "", ""))[2]
        if klass:
            is_urban = klass.startswith("1")
            break
    return AreaPath(code=code, name=rows[code][0], level=rows[code][1], chain=chain, is_urban=is_urban)


def refuse_unknown_class(path: AreaPath) -> None:
    """Refuse (ValidationError "class_unknown") to pick a standard for a village whose
    urban-rural class is not known: the urban and rural standards differ, and guessing one would
    pay the wrong amount (ADR 0006)."""
    if path.class_unknown:
        village = path.code[:CODE_LENGTHS[Level.VILLAGE]]
        raise ValidationError(
            _("The urban-rural class of %(name)s (%(code)s) is not known: a county officer must set it before a standard "
              "can apply to it.") % {"name": path.name_of(village), "code": village},
            field="area_code", code="class_unknown",
        )


def urban_for(path: AreaPath) -> bool:
    """Whether the urban standard applies: the class of the area's village (groups and grids
    inherit it). A village without a known class is refused, never taken as rural; above village
    level (no class on the path) the rural standard is the default, as before."""
    refuse_unknown_class(path)
    return bool(path.is_urban)


def remember_area_paths(area_codes) -> None:
    """Resolve the paths of many areas at once (one read for those not remembered yet), so that
    a batch of applications from a town's villages and groups does not read them one by one."""
    codes = sorted({(c or "").strip() for c in area_codes} - {""})
    missing = [c for c in codes if not refcache.known((refcache.AREAS,), c)]
    if not missing:
        return
    prefixes = sorted({p for c in missing for p in _prefixes(c)})
    rows = {}
    for start in range(0, len(prefixes), 500):
        rows.update({c: (name, level, klass) for c, name, level, klass in _AREAS_BY_CODE.rows(prefixes[start:start + 500])})
    refcache.remember((refcache.AREAS,), {code: _path_from_rows(code, rows) for code in missing})


def _check_program(program_code: str) -> None:
    if program_code not in catalogue.PROGRAMS:
        raise ValidationError(_("No such program: %(code)s.") % {"code": program_code}, field="program")


def _resolve(programs: tuple[str, ...], path: AreaPath | None, month: dt.date) -> dict[tuple[str, str], ResolvedParameter]:
    """Every catalogued key of `programs` resolved for the area and month (one query, remembered
    while no parameter changes: core/refcache.py)."""
    month = month_start(month)
    return dict(refcache.cached((refcache.PARAMETERS,), (programs, path, month), lambda: _resolve_now(programs, path, month)))


def _rows_in_force(programs: tuple[str, ...], month: dt.date) -> dict[str | None, list[tuple]]:
    """Every parameter row of `programs` in force in the month, by area (None: national), in one
    query remembered while no parameter changes: a county's households sit in thousands of
    villages and groups, and each would otherwise cost its own query."""
    def load():
        by_area: dict[str | None, list[tuple]] = {}
        rows = (Parameter.objects.filter(program_id__in=programs, replaced_at__isnull=True, effective_from__lte=month)
                .filter(Q(effective_to__isnull=True) | Q(effective_to__gt=month))
                .values_list("id", "program_id", "key", "area_id", "value", "effective_from", "effective_to"))
        for row in rows:
            by_area.setdefault(row[3], []).append(row)
        return by_area
    return refcache.cached((refcache.PARAMETERS,), ("rows", programs, month), load)


def _resolve_now(programs: tuple[str, ...], path: AreaPath | None, month: dt.date) -> dict[tuple[str, str], ResolvedParameter]:
    by_area = _rows_in_force(programs, month)
    codes = [c for c, _name, _level in path.chain] if path else []
    rows = [row for code in [None, *codes] for row in by_area.get(code, ())]
    best: dict[tuple[str, str], tuple] = {}
    for row in rows:
        slot = (row[1], row[2])
        depth = len(row[3] or "")
        if slot not in best or depth > len(best[slot][3] or ""):
            best[slot] = row
    resolved = {}
    for spec in catalogue.SPECS:
        if spec.program not in programs:
            continue
        row = best.get((spec.program, spec.key))
        if row is None:
            resolved[(spec.program, spec.key)] = ResolvedParameter(
                spec.program, spec.key, spec.default, None, None, "", None, None, spec)
        else:
            row_id, _program, _key, area_code, text, start, end = row
            resolved[(spec.program, spec.key)] = ResolvedParameter(
                spec.program, spec.key, catalogue.value_from_text(spec, text), row_id, area_code,
                path.name_of(area_code) if path else "", start, end, spec)
    return resolved


def resolve_parameters(program_code: str, area_code: str | None, month: dt.date) -> dict[str, ResolvedParameter]:
    """Each key of the program with its value in force and its origin; `area_code` None or ""
    resolves the national values."""
    _check_program(program_code)
    path = area_path(area_code) if area_code else None
    return {key: value for (_p, key), value in _resolve((program_code,), path, month).items()}


def parameters_for(program_code: str, area_code: str | None, month: dt.date) -> dict:
    """`{key: typed value}` in force for the area's subtree in the month (None where nothing is
    set and the catalogue has no default, e.g. a county's dibao standards)."""
    return {key: r.value for key, r in resolve_parameters(program_code, area_code, month).items()}


def _dibao_from(resolved: dict, path: AreaPath, month: dt.date, is_urban: bool | None) -> DibaoParameters:
    values = {key: r.value for (program, key), r in resolved.items() if program == catalogue.DIBAO}
    urban = resolved[(catalogue.DIBAO, "urban_standard")]
    rural = resolved[(catalogue.DIBAO, "rural_standard")]
    params = DibaoParameters.from_values(
        values,
        urban_standard_area=urban.area_name or (_("national") if urban.row_id else ""),
        rural_standard_area=rural.area_name or (_("national") if rural.row_id else ""),
    )
    if is_urban is None:
        refuse_unknown_class(path)
    wanted = is_urban if is_urban is not None else path.is_urban
    missing = (params.standard_for(wanted) is None) if wanted is not None else (
        params.urban_standard is None and params.rural_standard is None)
    if missing:
        kind = "" if wanted is None else (_("urban") if wanted else _("rural"))
        raise ValidationError(
            _("No %(kind)s dibao standard is set for %(area)s for %(month)s: a county officer must enter it.")
            % {"kind": kind, "area": path.county_name, "month": month.strftime("%Y-%m")},
            field="area_code", code="no_standard",
        )
    return params


def dibao_parameters(area_code: str, month: dt.date, *, is_urban: bool | None = None) -> DibaoParameters:
    """Typed dibao parameters for the area and month. Raises ValidationError (field "area_code")
    when the standard the area needs (urban or rural by its class, or `is_urban`) is not set."""
    path = area_path(area_code)
    return _dibao_from(_resolve((catalogue.DIBAO,), path, month), path, month, is_urban)


def special_hardship_parameters(area_code: str, month: dt.date, *, is_urban: bool | None = None) -> SpecialHardshipParameters:
    """Special-hardship parameters with the dibao ones they use (both programs in one query)."""
    path = area_path(area_code)
    resolved = _resolve((catalogue.DIBAO, catalogue.SPECIAL_HARDSHIP), path, month)
    dibao = _dibao_from(resolved, path, month, is_urban)
    values = {key: r.value for (program, key), r in resolved.items() if program == catalogue.SPECIAL_HARDSHIP}
    return SpecialHardshipParameters.from_values(values, dibao=dibao)


def temporary_parameters(area_code: str, month: dt.date, *, is_urban: bool | None = None) -> TemporaryParameters:
    """Temporary-assistance limits with the monthly standard of the area (urban or rural by its
    class, or `is_urban` when the area is above village level)."""
    path = area_path(area_code)
    if is_urban is None:
        refuse_unknown_class(path)
    wanted = is_urban if is_urban is not None else path.is_urban
    if wanted is None:
        raise ValidationError(_("Give a village (or lower) area: its urban-rural class picks the standard."), field="area_code")
    resolved = _resolve((catalogue.DIBAO, catalogue.TEMPORARY), path, month)
    dibao = _dibao_from(resolved, path, month, wanted)
    values = {key: r.value for (program, key), r in resolved.items() if program == catalogue.TEMPORARY}
    return TemporaryParameters.from_values(values, standard=dibao.standard_for(wanted), rounding=dibao.rounding,
                                           standard_area=dibao.standard_area_for(wanted), is_urban=wanted)


# --- staff reads (scoped) ---------------------------------------------------------------------

def list_programs():
    return Program.objects.order_by("code")


def get_program(code: str) -> Program:
    try:
        return Program.objects.get(code=code)
    except Program.DoesNotExist:
        raise NotFound(_("No such program: %(code)s.") % {"code": code})


def _scoped_area_code(actor: Actor, area_code: str | None) -> str | None:
    """The area whose standards the actor reads: the one asked for (it must lie in scope:
    NotFound otherwise), else the actor's own; national actors with none read national values."""
    code = (area_code or "").strip() or actor.area_code or None
    if code is None:
        return None
    if not actor.covers(code) or not Area.objects.filter(code=code).exists():
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": code}, field="area")
    return code


def standards_in_force(actor: Actor, program_code: str, *, area_code: str | None = None,
                       month: dt.date | None = None) -> tuple[str | None, list[ResolvedParameter]]:
    """The program's values in force for an area in the actor's scope (default: the actor's own
    area) and month (default: this month), in catalogue order, each with its origin."""
    actor.require("programs.view")
    get_program(program_code)
    code = _scoped_area_code(actor, area_code)
    month = month_start(month or timezone.localdate())
    resolved = resolve_parameters(program_code, code, month)
    return code, [resolved[s.key] for s in catalogue.specs_for(program_code)]


def parameter_history(actor: Actor, program_code: str, key: str, *, area_code: str | None = None):
    """Every row of one key that applies on the path to the area (national, province, ..., the
    area), corrected ones included, newest first: what was in force when, set by whom and why."""
    actor.require("programs.view")
    get_program(program_code)
    if catalogue.get_spec(program_code, key) is None:
        raise NotFound(_("No such parameter: %(key)s.") % {"key": key}, field="key")
    code = _scoped_area_code(actor, area_code)
    codes = [code[:n] for n in CODE_LENGTHS.values() if code and n <= len(code)]
    area_filter = Q(area__isnull=True) | Q(area_id__in=codes) if codes else Q(area__isnull=True)
    return (Parameter.objects.filter(program_id=program_code, key=key).filter(area_filter)
            .select_related("area", "created_by", "replaced_by")
            .order_by("-effective_from", "-id"))
