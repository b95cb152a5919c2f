"""Households and persons over HTTP: /api/v1/households, /api/v1/persons.

Thin: every read through registry.selectors (scoped), every write through registry.services.
`id_number` is whole for posts with "registry.view_id_number" (town and county roles,
superusers) and masked otherwise; each response that discloses whole numbers is audited.
"""
from __future__ import annotations

import datetime as dt
from typing import Literal

from django.db.models import Count
from ninja import Field, Query, Router, Schema, Status

from safetynet.core.apischemas import InputSchema, PageQuery, responses
from safetynet.core.audit import record_event
from safetynet.core.masking import mask_id_number
from safetynet.core.pagination import api_page

from . import selectors, services
from .models import Household, Person

router = Router(tags=["registry"])

SexLiteral = Literal["male", "female"]


class PersonOut(Schema):
    id: int
    household: int
    area: str
    name: str
    id_number: str
    sex: SexLiteral
    birth_date: dt.date
    relation_to_head: str
    disability_type: str
    disability_grade: int | None
    serious_illness: bool
    work_ability: str
    is_deceased: bool


class HouseholdOut(Schema):
    id: int
    area: str
    address: str
    registration_type: Literal["urban", "rural"]
    head: int | None
    head_name: str | None
    member_count: int
    phone: str


class HouseholdDetailOut(HouseholdOut):
    members: list[PersonOut]


class PageOut(Schema):
    count: int
    limit: int
    offset: int


class HouseholdPage(PageOut):
    items: list[HouseholdOut]


class PersonPage(PageOut):
    items: list[PersonOut]


class MemberIn(InputSchema):
    name: str = Field(..., min_length=1, max_length=50)
    id_number: str = Field(..., min_length=1, max_length=20)
    relation_to_head: str
    sex: SexLiteral | None = None
    birth_date: dt.date | None = None
    disability_type: str = ""
    disability_grade: int | None = Field(None, ge=1, le=4)
    serious_illness: bool = False
    work_ability: str = "full"
    phone: str = ""


class PersonIn(MemberIn):
    household: int


class PersonPatch(InputSchema):
    """The facts a correction may change, each applied by `services.update_member`; leave a
    field out to keep it. Only the disability grade may be null (no disability, with an empty
    type). The ID number, sex and birth date are not corrected here."""

    name: str = Field(None, min_length=1, max_length=50)
    relation_to_head: str = None
    disability_type: str = None
    disability_grade: int | None = Field(None, ge=1, le=4)
    serious_illness: bool = None
    work_ability: str = None
    phone: str = None


class HouseholdIn(InputSchema):
    area: str = Field(..., min_length=2, max_length=18)
    address: str = Field(..., min_length=1, max_length=200)
    registration_type: Literal["urban", "rural"]
    phone: str = ""
    bank_account: str = ""
    members: list[MemberIn] = []


class HouseholdPatch(InputSchema):
    """Leave a field out to keep it; an empty phone or bank account clears it, null is refused."""

    area: str = Field(None, min_length=2, max_length=18)
    address: str = Field(None, min_length=1, max_length=200)
    registration_type: Literal["urban", "rural"] = None
    phone: str = None
    bank_account: str = None


class ListFilter(PageQuery):
    q: str | None = Field(None, max_length=50, description="name or ID number (exactly or its beginning)")
    area: str | None = Field(None, max_length=18, description="area code: the subtree under it")


class HouseholdFilter(ListFilter):
    address: str | None = Field(None, max_length=50, description="part of the address (a substring search: slower)")


class PersonFilter(ListFilter):
    household: int | None = None


def _id_number(actor, number: str) -> str:
    return number if actor.can("registry.view_id_number") else mask_id_number(number)


def _disclose(request, people: list[Person]) -> None:
    """Whole ID numbers leave the system: record who received which."""
    actor = request.auth
    if people and actor.can("registry.view_id_number"):
        record_event(actor=actor, action="registry.disclose_id_numbers", object_type="registry.person",
                     object_id=f"api:{request.path}", after={"person_ids": [p.pk for p in people]})


def _person_out(actor, person: Person) -> dict:
    return {
        "id": person.pk, "household": person.household_id, "area": person.area_id, "name": person.name,
        "id_number": _id_number(actor, person.id_number), "sex": person.sex, "birth_date": person.birth_date,
        "relation_to_head": person.relation_to_head, "disability_type": person.disability_type,
        "disability_grade": person.disability_grade, "serious_illness": person.serious_illness,
        "work_ability": person.work_ability, "is_deceased": person.is_deceased,
    }


def _household_out(household: Household) -> dict:
    head = household.head
    return {
        "id": household.pk, "area": household.area_id, "address": household.address,
        "registration_type": household.registration_type, "head": household.head_id,
        "head_name": head.name if head else None,
        "member_count": household.member_count if hasattr(household, "member_count") else household.members.count(),
        "phone": household.phone,
    }


def _household_detail(request, household: Household) -> dict:
    members = list(household.members.order_by("id"))
    _disclose(request, members)
    return {**_household_out(household), "member_count": len(members), "members": [_person_out(request.auth, m) for m in members]}


@router.get("/households", response=responses(HouseholdPage), summary="Search households in scope")
def list_households(request, filters: Query[HouseholdFilter]):
    qs = selectors.search_households(request.auth, filters.q or "", area_code=filters.area, address=filters.address or "")
    return api_page(qs.select_related("head").annotate(member_count=Count("members")), offset=filters.offset,
                    limit=filters.limit, item=_household_out)


@router.get("/households/{household_id}", response=responses(HouseholdDetailOut), summary="One household with its members")
def get_household(request, household_id: int):
    return _household_detail(request, selectors.get_household(request.auth, household_id))


@router.post("/households", response=responses(HouseholdDetailOut, ok_status=201), summary="Register a household")
def create_household(request, payload: HouseholdIn):
    household = services.create_household(
        actor=request.auth, area_code=payload.area, address=payload.address, registration_type=payload.registration_type,
        phone=payload.phone, bank_account=payload.bank_account, members=[m.dict() for m in payload.members],
    )
    return Status(201, _household_detail(request, selectors.get_household(request.auth, household.pk)))


@router.patch("/households/{household_id}", response=responses(HouseholdDetailOut), summary="Change a household")
def update_household(request, household_id: int, payload: HouseholdPatch):
    changes = payload.dict(exclude_unset=True)
    if "area" in changes:
        changes["area_code"] = changes.pop("area")
    services.update_household(actor=request.auth, household_id=household_id, **changes)
    return _household_detail(request, selectors.get_household(request.auth, household_id))


@router.get("/persons", response=responses(PersonPage), summary="Search persons in scope")
def list_persons(request, filters: Query[PersonFilter]):
    qs = selectors.search_persons(request.auth, filters.q or "", area_code=filters.area, household_id=filters.household)
    def items(page: list) -> list:
        _disclose(request, page)
        return [_person_out(request.auth, p) for p in page]

    return api_page(qs, offset=filters.offset, limit=filters.limit, items=items)


@router.get("/persons/{person_id}", response=responses(PersonOut), summary="One person")
def get_person(request, person_id: int):
    person = selectors.get_person(request.auth, person_id)
    _disclose(request, [person])
    return _person_out(request.auth, person)


@router.post("/persons", response=responses(PersonOut, ok_status=201), summary="Add a member to a household")
def create_person(request, payload: PersonIn):
    data = payload.dict()
    household_id = data.pop("household")
    person = services.add_member(actor=request.auth, household_id=household_id, **data)
    _disclose(request, [person])
    return Status(201, _person_out(request.auth, person))


@router.patch("/persons/{person_id}", response=responses(PersonOut), summary="Change a person")
def update_person(request, person_id: int, payload: PersonPatch):
    person = services.update_member(actor=request.auth, person_id=person_id, **payload.dict(exclude_unset=True))
    _disclose(request, [person])
    return _person_out(request.auth, person)
