"""The close-relative register over HTTP (`/api/v1/oversight/relatives/`, issue 18 part 3):
declarations (declare, withdraw), the comparison with the registry, the county's sweep and the
filings it made. Each write calls the service the pages call. 403 for the role (an inspector's
post writes nothing here), 404 outside the area, 409 for a declaration already in force or already
withdrawn, 422 for the input.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import StringConstraints

from safetynet.core.apischemas import NO_NUL, InputSchema, PageQuery, responses
from safetynet.core.masking import mask_id_number
from safetynet.core.pagination import api_page
from safetynet.registry.models import KinshipRelation
from safetynet.workforce import relatives as register

from . import relatives
from .complaints import today

router = Router(tags=["oversight"])

MAX_ID = 2_147_483_647
Id = Annotated[int, Path(..., ge=1, le=MAX_ID)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=NO_NUL)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NO_NUL)]
IdNumber = Annotated[str, StringConstraints(min_length=15, max_length=40, pattern=NO_NUL)]
County = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]


def _id(actor, number: str) -> str:
    return number if actor.can("registry.view_id_number") else mask_id_number(number)


class RelativeDeclarationOut(Schema):
    id: int
    staff_identity: int
    staff_name: str
    area: str
    name: str
    id_number: str
    relation: str
    declared_on: dt.date
    active: bool
    withdrawn_on: dt.date | None
    withdrawn_reason: str


def _declaration(actor, d) -> dict:
    return {"id": d.pk, "staff_identity": d.staff_identity_id, "staff_name": d.staff_identity.name, "area": d.area_id,
            "name": d.name, "id_number": _id(actor, d.id_number), "relation": d.relation, "declared_on": d.declared_on,
            "active": d.is_active, "withdrawn_on": d.withdrawn_on, "withdrawn_reason": d.withdrawn_reason}


class RelativeDeclarationPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[RelativeDeclarationOut]


class RelativeDeclarationFilter(PageQuery):
    active: bool = Field(True, description="false: withdrawn ones too")
    staff_identity: int | None = Field(None, ge=1, le=MAX_ID)


@router.get("/relatives/declarations", response=responses(RelativeDeclarationPage),
            summary="Declared close relatives of the staff in the post's area")
def list_declarations(request, filters: Query[RelativeDeclarationFilter]):
    qs = register.declarations_in_scope(request.auth, active_only=filters.active)
    if filters.staff_identity:
        qs = qs.filter(staff_identity_id=filters.staff_identity)
    return api_page(qs, offset=filters.offset, limit=filters.limit, item=lambda d: _declaration(request.auth, d))


class RelativeDeclarationIn(InputSchema):
    staff_identity: int = Field(..., ge=1, le=MAX_ID)
    name: Name
    id_number: IdNumber
    relation: Literal[tuple(KinshipRelation.values)] = Field(..., description="the relative is the staff member's ...")
    declared_on: dt.date | None = Field(None, description="empty: today")


@router.post("/relatives/declarations", response=responses(RelativeDeclarationOut, ok_status=201),
             summary="Declare a close relative of a staff member")
def declare(request, payload: RelativeDeclarationIn):
    d = register.declare_relative(actor=request.auth, staff_identity_id=payload.staff_identity, name=payload.name,
                                  id_number=payload.id_number, relation=payload.relation,
                                  declared_on=payload.declared_on or today())
    return Status(201, _declaration(request.auth, d))


class RelativeWithdrawIn(InputSchema):
    reason: Reason


@router.post("/relatives/declarations/{declaration_id}/withdraw", response=responses(RelativeDeclarationOut),
             summary="Withdraw a declaration (kept for history, no longer matched)")
def withdraw(request, declaration_id: Id, payload: RelativeWithdrawIn):
    d = register.withdraw_declaration(actor=request.auth, declaration_id=declaration_id, reason=payload.reason,
                                      on=today())
    return _declaration(request.auth, d)


class RelativeLinkOut(Schema):
    name: str
    id_number: str
    relation: str


class RelativeStaffComparisonOut(Schema):
    staff_identity: int
    staff_name: str
    area: str
    declared: int
    undeclared: list[RelativeLinkOut]
    not_in_registry: list[RelativeLinkOut]


class RelativeTownComparisonOut(Schema):
    code: str
    name: str
    staff: list[RelativeStaffComparisonOut]


@router.get("/relatives/comparison", response=responses(list[RelativeTownComparisonOut]),
            summary="The register against the registry's kinship, by town (differences only)")
def comparison(request):
    actor = request.auth
    return [{"code": t.code, "name": t.name, "staff": [{
        "staff_identity": s.identity.pk, "staff_name": s.identity.name, "area": s.identity.area_id, "declared": s.declared,
        "undeclared": [{"name": x["name"], "id_number": _id(actor, x["id_number"]), "relation": x["relation"]}
                       for x in s.undeclared],
        "not_in_registry": [{"name": d.name, "id_number": _id(actor, d.id_number), "relation": d.relation}
                            for d in s.unlinked]} for s in t.staff]} for t in relatives.compare_register(actor)]


class RelativeSweepIn(InputSchema):
    county: County


class RelativeSweepOut(Schema):
    county: str
    households: int
    matched_households: int
    new_filings: int
    found_later: int


@router.post("/relatives/sweeps", response=responses(RelativeSweepOut),
             summary="File every application and enrollment of a close relative of staff in a county")
def sweep(request, payload: RelativeSweepIn):
    result = relatives.sweep_close_relatives(actor=request.auth, county_code=payload.county, on=today())
    return result.__dict__


class RelativeFilingOut(Schema):
    id: int
    case: int
    enrollment: int | None
    area: str
    member_name: str
    staff_identity: int
    staff_name: str
    relation: str
    at_acceptance: bool
    found_on: dt.date


class RelativeFilingPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[RelativeFilingOut]


class RelativeFilingFilter(PageQuery):
    town: str = Field("", pattern=r"^([0-9]{9})?$")
    found: Literal["later", "acceptance", ""] = ""


@router.get("/relatives/filings", response=responses(RelativeFilingPage),
            summary="Close-relative filings in the post's area, found later first")
def list_filings(request, filters: Query[RelativeFilingFilter]):
    found_later = {"later": True, "acceptance": False}.get(filters.found)
    qs = relatives.filings_in_scope(request.auth, town=filters.town, found_later=found_later)
    return api_page(qs, offset=filters.offset, limit=filters.limit, item=lambda f: {
        "id": f.pk, "case": f.case_id, "enrollment": f.enrollment_id, "area": f.area_id, "member_name": f.member.name,
        "staff_identity": f.staff_identity_id, "staff_name": f.staff_identity.name, "relation": f.relation,
        "at_acceptance": f.at_acceptance, "found_on": f.found_on})
