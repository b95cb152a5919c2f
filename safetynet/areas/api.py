"""The network over REST, mounted at /api/v1/areas: list, detail, and adding groups and grids.

Thin over selectors and services. Scope is the caller's own subtree: anything else, its own
province and city included, answers 404. POST goes through the same `create_area` service as
the tree page, which does every check.
"""
from __future__ import annotations

from typing import Literal

from ninja import Field, Query, Router, Schema, Status
from pydantic import field_validator
from pydantic_core import PydanticCustomError

from django.utils.translation import gettext as _

from safetynet.core.apischemas import InputSchema, PageQuery, responses

from . import selectors, services
from .models import Level

router = Router(tags=["areas"])

LevelName = Literal["province", "city", "county", "town", "village", "group", "grid"]


class AreaOut(Schema):
    code: str
    name: str
    level: LevelName
    parent: str | None = None
    urban_rural_class: str


class AreaDetailOut(AreaOut):
    households: int
    people: int
    areas_below: int


class AreaListOut(Schema):
    count: int | None = Field(..., description="Areas matching, on a page without `after`; null with `after` (not counted again).")
    items: list[AreaOut]
    next: str | None = Field(None, description="Pass as `after` for the next page; null on the last page.")


# Deeper than this, OFFSET walks too many rows (the national list has 620,573 villages): page with `after`.
MAX_AREA_OFFSET = 10_000


class AreaFilters(PageQuery):
    offset: int = Field(0, ge=0, le=MAX_AREA_OFFSET, description="rows to skip, at most 10,000: deeper pages are read with `after`")
    level: LevelName | None = None
    parent: str | None = Field(None, max_length=18, description="Only the areas directly under this code.")
    q: str | None = Field(None, max_length=100, description="Part of the name, or the start of the code.")
    after: str | None = Field(None, min_length=1, max_length=18, pattern=r"^[0-9]+$",
                              description="The areas after this code, in code order: the `next` of the previous page.")

    @field_validator("offset", mode="before")
    @classmethod
    def refuse_deep_offsets(cls, value):
        """Past 10,000 rows OFFSET walks every row before the page (0.8–1.8 s at 600,000): say how to page."""
        try:
            deep = int(value) > MAX_AREA_OFFSET
        except (TypeError, ValueError):
            return value
        if deep:
            raise PydanticCustomError("use_after", _("Pages past the first %(n)s areas are read with `after`: pass the "
                                                     "`next` code of the previous page.") % {"n": f"{MAX_AREA_OFFSET:,}"})
        return value


class AreaCreateIn(InputSchema):
    parent: str = Field(..., min_length=1, max_length=18, description="The village (for a group) or group (for a grid).")
    name: str = Field(..., min_length=1, max_length=100)
    code: str | None = Field(None, max_length=18, description="Leave out to take the next free 3-digit number.")


def _actor(request):
    return request.actor


@router.get("", response=responses(AreaListOut), summary="List areas in scope")
def list_areas(request, filters: Query[AreaFilters]):
    """Areas under the caller's own area, ordered by code, a page at a time: `after` (the `next`
    of the previous page) for any depth, `offset` up to 10,000 (422 beyond: use `after`; with
    `after`, rows skipped after it). `parent` outside scope answers 404."""
    qs = selectors.search_areas(_actor(request), q=filters.q or "", level=filters.level or "", parent=filters.parent or "")
    count = None if filters.after else qs.count()
    areas, following = selectors.page_after(qs, after=filters.after or "", offset=filters.offset, limit=filters.limit)
    return {"count": count, "items": [_item(area) for area in areas], "next": following}


@router.get("/{code}", response=responses(AreaDetailOut), summary="One area with its counts")
def get_area(request, code: str):
    summary = selectors.area_summary(_actor(request), code)
    return _detail(summary)


@router.post("", response=responses(AreaDetailOut, ok_status=201), summary="Add a group or a grid")
def create_area(request, payload: AreaCreateIn):
    """A group under a village or a grid under a group (county officers: "areas.edit")."""
    area = services.create_area(actor=_actor(request), parent=payload.parent, code=payload.code or "", name=payload.name)
    return Status(201, _detail(selectors.area_summary(_actor(request), area.code)))


def _item(area) -> dict:
    return {"code": area.code, "name": area.name, "level": Level(area.level).value, "parent": area.parent_id,
            "urban_rural_class": area.urban_rural_class}


def _detail(summary: dict) -> dict:
    return {**_item(summary["area"]), "households": summary["households"], "people": summary["people"],
            "areas_below": summary["areas"]}
