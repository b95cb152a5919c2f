"""Programs and their standards over HTTP: /api/v1/programs.

Reads need "programs.view" (every staff role) and an area in the caller's scope (404 outside);
setting a value needs "programs.edit" (county officers for their county, superusers) and goes
through services.set_parameter. Values travel as the catalogue's canonical text ("720.00",
"0.3", "true", "half_up") with a display form beside them.
"""
from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from safetynet.core.apischemas import InputSchema, responses
from safetynet.core.errors import ValidationError

from . import catalogue, selectors, services
from .models import Parameter
from .selfcheck import parse_month

router = Router(tags=["programs"])


class ProgramOut(Schema):
    code: str
    name: str
    description: str


class ParameterValueOut(Schema):
    key: str
    label: str
    type: str
    value: str | None
    display: str
    area_code: str | None = Field(None, description="where the value comes from; null: national")
    area_name: str
    effective_from: dt.date | None
    effective_to: dt.date | None
    source: str
    local_default: bool


class ProgramStandardsOut(Schema):
    program: str
    area_code: str | None
    month: str
    items: list[ParameterValueOut]


class ParameterRowOut(Schema):
    id: int
    value: str
    display: str
    area_code: str | None
    effective_from: dt.date
    effective_to: dt.date | None
    reason: str
    created_by: str | None
    created_at: dt.datetime
    replaced_by: int | None


class ParameterHistoryOut(Schema):
    program: str
    key: str
    area_code: str | None
    items: list[ParameterRowOut]


class ProgramStandardsQuery(Schema):
    area: str | None = Field(None, max_length=18, description="area code in your scope (default: your post's area)")
    month: str | None = Field(None, pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$", description="YYYY-MM (default: this month)")


class ParameterHistoryQuery(Schema):
    area: str | None = Field(None, max_length=18)


class SetParameterIn(InputSchema):
    key: str = Field(..., max_length=64)
    area_code: str | None = Field(None, max_length=18, description="null or empty: national (superusers only)")
    value: bool | int | float | str = Field(..., description="e.g. \"780.00\", \"0.3\", 45, true, \"half_up\"")
    effective_from: dt.date = Field(..., description="first day of a month, not before the current month")
    reason: str = Field(..., min_length=1, max_length=300)


def _value_out(resolved: selectors.ResolvedParameter) -> dict:
    spec = resolved.spec
    return {
        "key": spec.key, "label": str(spec.label), "type": spec.type,
        "value": None if resolved.value is None else catalogue.value_to_text(spec, resolved.value),
        "display": resolved.display_value, "area_code": resolved.area_code, "area_name": resolved.area_name,
        "effective_from": resolved.effective_from, "effective_to": resolved.effective_to,
        "source": spec.source, "local_default": spec.local_default,
    }


def _row_out(row: Parameter) -> dict:
    return {
        "id": row.pk, "value": row.value, "display": row.display_value, "area_code": row.area_id,
        "effective_from": row.effective_from, "effective_to": row.effective_to, "reason": row.reason,
        "created_by": row.created_by.get_username() if row.created_by_id else None, "created_at": row.created_at,
        "replaced_by": row.replaced_by_id,
    }


@router.get("", response=responses(list[ProgramOut]), summary="The programs")
def list_programs(request):
    request.auth.require("programs.view")
    return [{"code": p.code, "name": p.label, "description": str(catalogue.PROGRAMS.get(p.code, {}).get("description", p.description))}
            for p in selectors.list_programs()]


@router.get("/{code}/parameters", response=responses(ProgramStandardsOut), summary="Values in force for an area and month")
def standards(request, code: str, query: Query[ProgramStandardsQuery]):
    month = parse_month(query.month) if query.month else timezone.localdate().replace(day=1)
    area_code, rows = selectors.standards_in_force(request.auth, code, area_code=query.area, month=month)
    return {"program": code, "area_code": area_code, "month": month.strftime("%Y-%m"), "items": [_value_out(r) for r in rows]}


@router.get("/{code}/parameters/{key}/history", response=responses(ParameterHistoryOut), summary="Every value a key has had")
def history(request, code: str, key: str, query: Query[ParameterHistoryQuery]):
    rows = selectors.parameter_history(request.auth, code, key, area_code=query.area)
    return {"program": code, "key": key, "area_code": query.area or request.auth.area_code or None,
            "items": [_row_out(r) for r in rows[:500]]}


@router.post("/{code}/parameters", response=responses(ParameterRowOut, ok_status=201),
             summary="Set a value for an area from a month")
def set_parameter(request, code: str, payload: SetParameterIn):
    if isinstance(payload.value, str) and len(payload.value) > 64:
        raise ValidationError(_("At most %(n)d characters.") % {"n": 64}, field="value")
    row = services.set_parameter(
        actor=request.auth, program_code=code, key=payload.key, area_code=payload.area_code or None,
        value=payload.value if isinstance(payload.value, bool) else str(payload.value),
        effective_from=payload.effective_from, reason=payload.reason,
    )
    return Status(201, _row_out(Parameter.objects.select_related("created_by").get(pk=row.pk)))
