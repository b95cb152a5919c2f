"""The grid report over HTTP (issue 17 parts 1 and 6): `/api/v1/discovery/reports` and the
households a phone chooses from, `/api/v1/discovery/my-households`.

A report is a multipart form (the text fields and an optional `photo` file), so a phone sends the
photo it shrank without base64's third more. It is received once per `key` (a UUID the phone made
when the report was written): the first arrival answers 201, a retry of the same key 200 with the
same body, and opens nothing (`services.file_grid_report`). A photo that is not an image or is too
large never loses the report: the answer is still 201/200, with `photo_refused` saying why.

A session (the report page; CSRF checked by ninja as for every session call) files a grid
report; a bearer token (a hotline system or an app) files it as `hotline`.
"""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Literal

from django.core.files.uploadedfile import UploadedFile
from django.db.models import Count
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile as NinjaUploadedFile
from pydantic import BeforeValidator

from safetynet.core.apischemas import InputSchema, PageQuery, refuse_unknown_form_fields, responses
from safetynet.core.errors import ValidationError
from safetynet.core.masking import mask_name
from safetynet.core.pagination import api_page
from safetynet.registry.models import Person
from safetynet.registry.selectors import search_households

from . import services
from .models import REPORT_CAUSES, Source, Urgency

router = Router(tags=["discovery"])

CauseCode = Literal[tuple(str(c) for c in REPORT_CAUSES)]          # type: ignore[valid-type]
UrgencyCode = Literal[tuple(Urgency.values)]                         # type: ignore[valid-type]


class ReportLeadOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    joined: bool = Field(description="the report joined the household's open lead instead of opening one")


class GridReportOut(Schema):
    key: uuid.UUID
    id: int
    created: bool = Field(description="false: this key had already arrived (a retry); nothing new was opened")
    source: str
    cause: str
    urgency: str
    household: int | None
    name: str
    area: str
    received_at: dt.datetime
    photo_kept: bool
    photo_refused: str = Field(description="why a photo sent with the report was not kept (empty: kept or none)")
    lead: ReportLeadOut


class HouseholdChoiceOut(Schema):
    id: int
    head_name: str = Field(description="masked (surname and one character)")
    address: str
    area: str
    area_name: str
    members: int


class HouseholdChoicePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[HouseholdChoiceOut]


def report_out(result: services.ReportResult) -> dict:
    """The answer for a report, the same for its first arrival and every retry (but `created`)."""
    report, lead = result.report, result.report.lead
    joined = result.joined if result.created else _was_joined(report)
    return {"key": report.key, "id": report.pk, "created": result.created, "source": report.source, "cause": report.cause,
            "urgency": report.urgency, "household": report.household_id, "name": report.name, "area": lead.area_id,
            "received_at": report.received_at, "photo_kept": bool(report.photo), "photo_refused": report.photo_refused,
            "lead": {"id": lead.pk, "number": lead.number, "status": lead.status, "status_label": str(lead.get_status_display()),
                     "joined": joined}}


def _was_joined(report) -> bool:
    """Whether a report received earlier joined an open lead (its audit event says so)."""
    from safetynet.core.models import AuditEvent

    after = (AuditEvent.objects.filter(action="discovery.file_report", object_type="discovery.gridreport",
                                       object_id=str(report.pk)).values_list("after", flat=True).first())
    return bool((after or {}).get("joined"))


def _is_bearer(request) -> bool:
    return request.headers.get("Authorization", "").lower().startswith("bearer ")


def _blank_is_none(value):
    """A form sends an optional number or time left blank as an empty string: it was not given."""
    return None if value == "" else value


Blank = BeforeValidator(_blank_is_none)


class ReportIn(InputSchema):
    """The report's text fields (the photo is the form's `photo` file)."""
    key: uuid.UUID = Field(description="made by the phone when the report was written; the same key again is a retry")
    cause: CauseCode
    urgency: UrgencyCode = Urgency.NORMAL
    household: Annotated[int | None, Blank] = Field(None, ge=1, le=2**53, description="a registered household of the post's area")
    name: str = Field("", max_length=50, description="the person, when no household is chosen")
    approximate_age: Annotated[int | None, Blank] = Field(None, ge=0, le=120)
    address: str = Field("", max_length=200, description="an address or a description of the place")
    area: str = Field("", max_length=18, description="the village, group or grid (code) where the person lives")
    note: str = Field("", max_length=2000)
    latitude: Annotated[Decimal | None, Blank] = Field(None, ge=-90, le=90)
    longitude: Annotated[Decimal | None, Blank] = Field(None, ge=-180, le=180)
    written_at: Annotated[dt.datetime | None, Blank] = Field(None, description="when the report was written on the phone")


@router.post("/reports", response=responses(GridReportOut, ok_status=201) | {200: GridReportOut},
             operation_id="discovery_file_report",
             url_name="discovery_file_report")
def file_report(request, payload: Form[ReportIn], photo: File[NinjaUploadedFile | None] = None):
    """File a report of someone possibly in need: a registered household (`household`) or a
    person described (`name`, `area`, `address`, optionally `approximate_age`). Send the same
    `key` again after a lost answer: the answer is the report already received (200)."""
    if "photo" in request.POST:
        raise ValidationError(_("Send the photo as a file (multipart/form-data), not as text."), field="photo")
    refuse_unknown_form_fields(request, fields=set(ReportIn.model_fields), files={"photo"})
    content = _read_photo(photo)
    p = payload
    result = services.file_grid_report(
        request.actor, key=p.key, cause=p.cause, urgency=p.urgency, household_id=p.household, name=p.name,
        approximate_age=p.approximate_age, address=p.address, area_code=p.area.strip(), note=p.note,
        latitude=p.latitude, longitude=p.longitude, written_at=p.written_at, photo=content,
        source=Source.HOTLINE if _is_bearer(request) else Source.GRID_REPORT)
    return Status(201 if result.created else 200, report_out(result))


def _read_photo(photo: UploadedFile | None) -> bytes | None:
    """The photo's bytes (Django streamed a large one to a temporary file: it never counted
    against the request's memory limit); an empty file part is no photo."""
    if photo is None or not photo.size:
        return None
    photo.seek(0)
    return photo.read()


class HouseholdQuery(PageQuery):
    q: Annotated[str, Field(max_length=50)] = Field("", description="a member's name or its beginning, or an ID number")


@router.get("/my-households", response=responses(HouseholdChoicePage), operation_id="discovery_my_households",
            url_name="discovery_my_households")
def my_households(request, query: Query[HouseholdQuery]):
    """The households of the post's area a report may name, head's name masked (the list is
    kept on the phone for choosing offline), by id."""
    return households_to_choose(request.actor, q=query.q, offset=query.offset, limit=query.limit)


def households_to_choose(actor, *, q: str = "", offset: int = 0, limit: int = 50) -> dict:
    """One page of the households `actor` may report, as the phone shows them. Names are masked
    for every post: the list is stored on phones, and the grid worker knows the family by sight."""
    actor.require(services.REPORT)
    households = search_households(actor, q).select_related("area", "head")

    def shaped(rows):
        counts = dict(Person.objects.filter(household_id__in=[h.pk for h in rows]).order_by()
                      .values("household_id").annotate(n=Count("id")).values_list("household_id", "n"))
        return [{"id": h.pk, "head_name": mask_name(h.head.name) if h.head else "", "address": h.address,
                 "area": h.area_id, "area_name": h.area.name, "members": counts.get(h.pk, 0)} for h in rows]

    return api_page(households, offset=offset, limit=limit, items=shaped)
