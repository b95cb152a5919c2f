"""A deliberation meeting's roll: the participants by name (issue 19 part 3).

`record_deliberation_roll` is the one write, for the page, the API and the demo: every row of the
roll is checked first (the name, the ID number by `core.idnumbers`, the bank account), then the
whole roll against the meeting: nobody named twice (in the rows given or already on the roll), no
more people named than the meeting's `participants` count, no more village representatives named
than its `village_representatives` count. A roll with any bad row is refused whole, each bad row
named with its reason; otherwise every row is inserted at once (one `bulk_create`). The database's
unique (deliberation, ID number) refuses a participant counted twice whatever a concurrent write did.

The meeting subsidy of each participant is generated from these rows (funding/subsidies.py).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from safetynet.core.audit import record_event
from safetynet.core.errors import Conflict, NotFound, ValidationError
from safetynet.core.idnumbers import parse_id_number
from safetynet.core.masking import mask_id_number
from safetynet.core.scoping import Actor, get_in_scope
from safetynet.core.text import clean_field
from safetynet.registry.services import clean_bank_account

from .deliberation_models import DeliberationParticipant
from .models import Deliberation

DELIBERATE = "cases.deliberate"
VIEW = "cases.view"
MAX_ROWS = 500
MAX_ROW_ERRORS = 50
_YES = {"1", "true", "yes", "y", "是", "代表", "村民代表", "√", "✓"}


@dataclass(frozen=True)
class RollRow:
    name: str
    id_number: str
    bank_account: str
    is_village_representative: bool


def get_deliberation(actor: Actor, deliberation_id) -> Deliberation:
    """A meeting of a case in the post's area (NotFound otherwise)."""
    actor.require(VIEW)
    try:
        deliberation_id = int(deliberation_id)
    except (TypeError, ValueError):
        raise NotFound(_("Not found."))
    return get_in_scope(Deliberation.objects.select_related("case", "case__area"), actor, "case__area",
                        pk=deliberation_id)


def roll_of(actor: Actor, deliberation: Deliberation) -> QuerySet[DeliberationParticipant]:
    actor.require(VIEW)
    actor.require_area(deliberation.case.area_id)
    return DeliberationParticipant.objects.filter(deliberation=deliberation).order_by("id")


def _flag(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in _YES


def rows_from_text(text: str) -> list[dict]:
    """A roll typed or pasted from a spreadsheet, one participant a line: name, ID number, and
    optionally the bank account and a mark for a village representative (是/yes/1), separated by
    commas (also full-width) or tabs. Blank lines are skipped; the service checks the rest."""
    rows = []
    for line in str(text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line.strip():
            continue
        cells = [c.strip() for c in line.replace("，", ",").replace("\t", ",").split(",")]
        cells += [""] * (4 - len(cells))
        rows.append({"name": cells[0], "id_number": cells[1], "bank_account": cells[2],
                     "is_village_representative": cells[3]})
    return rows


def _check_row(number: int, row: Mapping, errors: list[str]) -> RollRow | None:
    try:
        name = clean_field(row.get("name"), "name", max_length=50, required=True)
        id_number = parse_id_number(row.get("id_number")).number
        account = clean_bank_account(row.get("bank_account") or "")
    except ValidationError as error:
        errors.append(_("Row %(row)s: %(reason)s") % {"row": number, "reason": error.message})
        return None
    return RollRow(name, id_number, account, _flag(row.get("is_village_representative")))


@transaction.atomic(durable=True)
def record_deliberation_roll(*, actor: Actor, deliberation_id: int, participants: Sequence[Mapping]
                             ) -> list[DeliberationParticipant]:
    """Add `participants` (each {name, id_number, bank_account?, is_village_representative?}) to
    the meeting's roll: all of them, or none with every bad row named (ValidationError, code
    "bad_roll", `details["rows"]`)."""
    actor.require(DELIBERATE)
    meeting = get_deliberation(actor, deliberation_id)
    meeting = Deliberation.objects.select_for_update().select_related("case").get(pk=meeting.pk)
    if not participants:
        raise ValidationError(_("Name at least one participant."), field="participants")
    if len(participants) > MAX_ROWS:
        raise ValidationError(_("At most %(n)d participants at a time.") % {"n": MAX_ROWS}, field="participants")
    existing = dict(DeliberationParticipant.objects.filter(deliberation=meeting)
                    .values_list("id_number", "is_village_representative"))
    errors: list[str] = []
    rows: list[RollRow] = []
    first_row: dict[str, int] = {}
    for number, given in enumerate(participants, start=1):
        row = _check_row(number, given, errors)
        if row is None:
            continue
        if row.id_number in existing:
            errors.append(_("Row %(row)s: %(name)s (%(id)s) is already on the roll of this meeting: a participant is "
                            "counted once.") % {"row": number, "name": row.name, "id": mask_id_number(row.id_number)})
            continue
        if row.id_number in first_row:
            errors.append(_("Row %(row)s: %(name)s (%(id)s) is counted twice in this meeting (also row %(first)s).")
                          % {"row": number, "name": row.name, "id": mask_id_number(row.id_number),
                             "first": first_row[row.id_number]})
            continue
        first_row[row.id_number] = number
        rows.append(row)
    named = len(existing) + len(participants)
    if named > meeting.participants:
        errors.append(_("The meeting of %(date)s had %(count)s participants and %(on_roll)s are on its roll: at most "
                        "%(room)s more can be named, not %(given)s.")
                      % {"date": meeting.held_on.isoformat(), "count": meeting.participants, "on_roll": len(existing),
                         "room": max(meeting.participants - len(existing), 0), "given": len(participants)})
    representatives = sum(existing.values()) + sum(r.is_village_representative for r in rows)
    if representatives > meeting.village_representatives:
        errors.append(_("The meeting had %(count)s village representatives: %(named)s are named as representatives.")
                      % {"count": meeting.village_representatives, "named": representatives})
    if errors:
        message = errors[0] if len(errors) == 1 else (
            _("%(count)s problems, nothing was recorded. %(first)s") % {"count": len(errors), "first": errors[0]})
        raise ValidationError(message, field="participants", code="bad_roll", details={"rows": errors[:MAX_ROW_ERRORS]})
    try:
        with transaction.atomic():
            made = DeliberationParticipant.objects.bulk_create([
                DeliberationParticipant(deliberation=meeting, name=r.name, id_number=r.id_number, bank_account=r.bank_account,
                                        is_village_representative=r.is_village_representative, recorded_by=actor.username)
                for r in rows])
    except IntegrityError:   # recorded by someone else meanwhile
        raise Conflict(_("Someone recorded participants of this meeting at the same time: reload the roll and try "
                         "again."), field="participants", code="roll_changed")
    record_event(actor=actor, action="cases.record_deliberation_roll", obj=meeting,
                 after={"case": meeting.case_id, "added": len(made), "on_roll": len(existing) + len(made),
                        "representatives": representatives})
    return made
