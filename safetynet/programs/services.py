"""Writes to program standards: setting a parameter's value for an area from a month.

A standard change takes effect from its month and never rewrites the past (issue 3, DESIGN.md
§4): the row in force is closed (its `effective_to` set to the new month) and a new row added,
so the value any earlier decision used can be found again; a row not yet in force may be
corrected, and the corrected row is kept, marked replaced.
"""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.areas.models import Area, Level
from safetynet.areas.roles import Role
from safetynet.core.audit import record_event
from safetynet.core.errors import NotFound, ValidationError
from safetynet.core.scoping import Actor

from . import catalogue
from .models import Parameter, Program

# Standards are set by a county or above; a town may carry its own values (e.g. confirmation
# delegated to one town), a village may not.
SETTABLE_LEVELS = (Level.PROVINCE, Level.CITY, Level.COUNTY, Level.TOWN)
MAX_REASON = 300


def _row_dict(row: Parameter) -> dict:
    return {"program": row.program_id, "key": row.key, "area": row.area_id, "value": row.value,
            "effective_from": row.effective_from, "effective_to": row.effective_to, "reason": row.reason}


@transaction.atomic
def set_parameter(*, actor: Actor, program_code: str, key: str, area_code: str | None, value,
                  effective_from: dt.date, reason: str) -> Parameter:
    """Set `key` of `program_code` for `area_code`'s subtree (None or "": national, superusers
    only) from the month starting `effective_from`.

    Checks: the post may edit standards ("programs.edit": county officers, superusers); the area
    lies in its scope (else 404) and is a town or above; the value fits the key's type and range;
    the date is the first of a month and not before the current month (superusers may correct
    the past; nobody else rewrites months already decided or paid); a reason is given.
    The row covering the month, if it started earlier, is closed at the month; a row starting in
    the same month is replaced (kept, marked); the new row runs until the next later change, if
    one is already scheduled, else open-ended."""
    actor.require("programs.edit")
    if program_code not in catalogue.PROGRAMS:
        raise NotFound(_("No such program: %(code)s.") % {"code": program_code}, field="program")
    spec = catalogue.get_spec(program_code, key)
    if spec is None:
        raise ValidationError(_("No such parameter: %(key)s.") % {"key": key}, field="key")

    code = (area_code or "").strip()
    actor.require_area(code)          # NotFound for another county, and for national unless national
    area = None
    if code:
        area = Area.objects.filter(code=code).first()
        if area is None:
            raise NotFound(_("No such area in your scope: %(code)s.") % {"code": code}, field="area_code")
        if area.level not in SETTABLE_LEVELS:
            raise ValidationError(_("Standards are set for a county (or a town, province, city), not for a %(level)s.")
                                  % {"level": area.get_level_display()}, field="area_code")

    typed = catalogue.parse_value(spec, value)

    if not isinstance(effective_from, dt.date) or isinstance(effective_from, dt.datetime):
        raise ValidationError(_("Give the first day of a month."), field="effective_from")
    if effective_from.day != 1:
        raise ValidationError(_("A value takes effect from the first day of a month."), field="effective_from")
    this_month = timezone.localdate().replace(day=1)
    if effective_from < this_month and actor.role != Role.SUPERUSER:
        raise ValidationError(
            _("A value cannot start before the current month (%(month)s): months already decided or paid keep the values they used.")
            % {"month": this_month.strftime("%Y-%m")}, field="effective_from")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the value changes (e.g. the county's notice number)."), field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationError(_("At most %(n)d characters.") % {"n": MAX_REASON}, field="reason")

    rows = list(Parameter.objects.select_for_update()
                .filter(program_id=program_code, key=key, area=area, replaced_at__isnull=True)
                .order_by("effective_from"))
    before = {}
    same = next((r for r in rows if r.effective_from == effective_from), None)
    covering = next((r for r in rows if r.effective_from < effective_from
                     and (r.effective_to is None or r.effective_to > effective_from)), None)
    later = [r.effective_from for r in rows if r.effective_from > effective_from]
    effective_to = min(later) if later else None
    now = timezone.now()
    if same is not None:
        before["replaced"] = {"id": same.pk, **_row_dict(same)}
        effective_to = same.effective_to
        same.replaced_at = now
        same.save(update_fields=["replaced_at"])
    if covering is not None:
        before["closed"] = {"id": covering.pk, **_row_dict(covering)}
        covering.effective_to = effective_from
        covering.save(update_fields=["effective_to"])

    row = Parameter.objects.create(
        program_id=program_code, key=key, area=area, value=catalogue.value_to_text(spec, typed),
        effective_from=effective_from, effective_to=effective_to, reason=reason, created_by_id=actor.user_id,
    )
    if same is not None:
        same.replaced_by = row
        same.save(update_fields=["replaced_by"])
    record_event(actor=actor, action="programs.set_parameter", obj=row, before=before or None, after=_row_dict(row))
    return row



def seed_catalogue(program_model=None, parameter_model=None) -> int:
    """Create the programs and the national defaults that are missing, effective 2021-07-01;
    returns how many national rows were added. Migration 0002 calls it with its historical
    models; tests that empty the database after migrating (browser tests on a live server) call
    it again. Idempotent; no audit event, as the rows are the catalogue's own defaults, not
    anyone's decision."""
    program_model = program_model or Program
    parameter_model = parameter_model or Parameter
    with transaction.atomic():
        for code, entry in catalogue.PROGRAMS.items():
            program_model.objects.get_or_create(code=code, defaults={"name": str(entry["name"]), "description": str(entry["description"])})
        start = dt.date.fromisoformat(catalogue.DEFAULTS_EFFECTIVE_FROM)
        existing = set(parameter_model.objects.filter(area__isnull=True).values_list("program_id", "key"))
        rows = [parameter_model(program_id=s.program, key=s.key, area=None, value=catalogue.value_to_text(s, s.default),
                                effective_from=start, reason=f"National default ({s.source})")
                for s in catalogue.SPECS if s.default is not None and (s.program, s.key) not in existing]
        parameter_model.objects.bulk_create(rows)
    return len(rows)
