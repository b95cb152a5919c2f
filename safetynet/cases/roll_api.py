"""A deliberation meeting's roll over HTTP (`/api/v1/cases/{case_id}/deliberations/{id}/participants`,
issue 19 part 3): read it, add to it. The same `record_deliberation_roll` as the page."""
from __future__ import annotations

from typing import Annotated

from django.utils.translation import gettext as _
from ninja import Field, Path, Router, Schema, Status
from pydantic import StrictBool, StringConstraints

from safetynet.core.apischemas import NO_NUL, SOME_TEXT, InputSchema, responses
from safetynet.core.errors import NotFound
from safetynet.core.masking import mask_id_number

from . import deliberation_rolls as rolls
from .schemas import MAX_ID

router = Router(tags=["cases"])
Id = Annotated[int, Path(..., ge=1, le=MAX_ID)]


class ParticipantIn(InputSchema):
    name: Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=SOME_TEXT)]
    id_number: Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=SOME_TEXT)]
    bank_account: Annotated[str, StringConstraints(max_length=40, pattern=NO_NUL)] = ""
    is_village_representative: StrictBool = False


class RollIn(InputSchema):
    participants: list[ParticipantIn] = Field(..., min_length=1, max_length=rolls.MAX_ROWS)


class ParticipantOut(Schema):
    id: int
    name: str
    id_number: str
    has_bank_account: bool
    is_village_representative: bool


class RollOut(Schema):
    deliberation: int
    held_on: str
    participants: int
    village_representatives: int
    roll: list[ParticipantOut]


def _roll(actor, meeting) -> dict:
    whole = actor.can("registry.view_id_number")
    return {"deliberation": meeting.pk, "held_on": meeting.held_on.isoformat(), "participants": meeting.participants,
            "village_representatives": meeting.village_representatives,
            "roll": [{"id": p.pk, "name": p.name, "id_number": p.id_number if whole else mask_id_number(p.id_number),
                      "has_bank_account": bool(p.bank_account), "is_village_representative": p.is_village_representative}
                     for p in rolls.roll_of(actor, meeting)]}


def _meeting(actor, case_id: int, deliberation_id: int):
    meeting = rolls.get_deliberation(actor, deliberation_id)
    if meeting.case_id != case_id:
        raise NotFound(_("Not found."))
    return meeting


@router.get("/{case_id}/deliberations/{deliberation_id}/participants", response=responses(RollOut),
            summary="The participants of a deliberation meeting, by name")
def get_roll(request, case_id: Id, deliberation_id: Id):
    return _roll(request.auth, _meeting(request.auth, case_id, deliberation_id))


@router.post("/{case_id}/deliberations/{deliberation_id}/participants", response=responses(RollOut, ok_status=201),
             summary="Add participants to a deliberation meeting's roll (all or none; each bad row named)")
def add_to_roll(request, case_id: Id, deliberation_id: Id, payload: RollIn):
    meeting = _meeting(request.auth, case_id, deliberation_id)
    rolls.record_deliberation_roll(actor=request.auth, deliberation_id=meeting.pk,
                                   participants=[p.dict() for p in payload.participants])
    return Status(201, _roll(request.auth, meeting))
