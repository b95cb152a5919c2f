"""Assigning open work to a named worker (issue 19 part 2): one implementation over a list of
items, for the town page's row and its "assign as proposed" button, the API, the command, the
demo and the purchased-services engineer's lending.

`assign_work(uow, actor=..., items=[WorkRef(kind, id, worker_id=None)])` reads everything it
needs for all the items in a few queries (the items through the actor's scope, their current
holders, their households' members and so the close relatives of staff, the candidate workers
and their loads), decides each item (a worker chosen by the office is checked; none chosen, the
capacity rule proposes one: `capacity.propose_workers`' rule, each placement adding to the
worker's load before the next item), and writes a `WorkAssignment` row and an audit event for
each item it accepts, through the unit of work it is given (`core.unitofwork.unit_of_work()`, or
`AT_ONCE` in a caller's own transaction). A refused item holds back no other; its refusal says
why:

    not_found (404)          no such item in the post's area
    work_closed (409)        the case was surveyed, the re-check or lead ended
    already_assigned (409)   it has a worker: re-assign it instead
    not_assigned (409)       re-assigning what nobody holds
    duplicate (409)          the same item twice in one list
    worker not_found (404)   no such staff identity in the post's area
    worker_inactive, worker_not_town_staff, worker_no_share, worker_other_town,
    worker_is_relative, worker_not_provider, worker_other_county, same_worker,
    no_eligible_worker (422)

Who may: `workload.assign` (town workers, the county) assigns; `workload.reassign` (the town
leader, the county) re-assigns, ending the current row (kept, `is_current` false); lending to a
purchased service (`reason=LENT`) is the county's (`workload.lend`, a post at a county or
above): its worker is a purchased service's worker (employment `provider_worker`, registered by
the purchased-services part) anywhere in the item's county, never proposed, and it takes the
item over from whoever held it. The relative, active and share rules hold for every reason.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.db import IntegrityError
from django.db.models import BooleanField, ExpressionWrapper, F
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.areas.models import Area, Level
from safetynet.cases import clocks
from safetynet.cases.closerelatives import find_close_relatives_of
from safetynet.core.errors import Conflict, NotFound, PermissionDenied, SafetyNetError, ValidationError
from safetynet.core.scoping import Actor, in_scope
from safetynet.core.text import clean_text
from safetynet.core.unitofwork import unit_of_work
from safetynet.registry.models import Person
from safetynet.workforce.models import Employment

from . import capacity
from .models import AssignmentReason, WorkAssignment
from .selectors import ASSIGN, LEND, REASSIGN, SOURCES, as_worker, candidate_workers, current_holders, open_items

CHUNK = 500


@dataclass(frozen=True)
class WorkRef:
    """One item of a list: its kind and id, and the worker the office chose (None: propose)."""
    kind: str
    id: int
    worker_id: int | None = None


@dataclass
class Outcome:
    ref: WorkRef
    assignment: WorkAssignment | None = None
    ended: WorkAssignment | None = None        # the row a re-assignment or lending ended
    error: SafetyNetError | None = None
    row: dict | None = None                    # the item as read: area, household, due date

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class _Reads:
    items: dict = field(default_factory=dict)        # (kind, id) → {"area_id", "open", "due", "hh"}
    holders: dict = field(default_factory=dict)      # (kind, id) → current WorkAssignment
    relatives: dict = field(default_factory=dict)    # household id → frozenset of staff identity ids
    workers: dict = field(default_factory=dict)      # staff identity id → candidate row


def today() -> dt.date:
    return clocks.today()


def _read(actor: Actor, refs: list[WorkRef], on: dt.date) -> _Reads:
    reads = _Reads()
    for kind, source in SOURCES.items():
        ids = sorted({r.id for r in refs if r.kind == kind})
        if not ids:
            continue
        rows = (in_scope(source.model.objects.filter(pk__in=ids), actor)
                .annotate(open=ExpressionWrapper(source.open_q(), output_field=BooleanField()),
                          due=source.due(), hh=F(source.household))
                .values("id", "area_id", "open", "due", "hh"))
        for row in rows:
            reads.items[(kind, row["id"])] = row
        for item_id, holder in current_holders(kind, [i for k, i in reads.items if k == kind]).items():
            reads.holders[(kind, item_id)] = holder
    households = sorted({row["hh"] for row in reads.items.values() if row["hh"]})
    members: dict[int, list[dict]] = {h: [] for h in households}
    for household_id, person_id, name, number in (Person.objects.filter(household_id__in=households, is_deceased=False)
                                                  .order_by().values_list("household_id", "id", "name", "id_number")):
        members[household_id].append({"person_id": person_id, "name": name, "id_number": number})
    matches = find_close_relatives_of([members[h] for h in households]) if households else []
    reads.relatives = {h: frozenset(m.staff_identity_id for m in found) for h, found in zip(households, matches)}
    towns = {row["area_id"][:9] for row in reads.items.values()}
    chosen = {r.worker_id for r in refs if r.worker_id}
    chosen |= {h.worker_id for h in reads.holders.values()}
    reads.workers = candidate_workers(towns, on, extra_ids=chosen)
    return reads


_WORKER_REFUSALS = {
    "inactive": ("worker_inactive", lambda: _("This worker is no longer active.")),
    "not_town_staff": ("worker_not_town_staff",
                       lambda: _("Only the town's staff take its work; a purchased service takes it when the county lends it.")),
    "no_share": ("worker_no_share", lambda: _("This worker works no share of a post.")),
    "other_town": ("worker_other_town", lambda: _("This worker does not work in the town of this item.")),
    "relative": ("worker_is_relative", lambda: _("This worker is a close relative of a member of the household.")),
}


def _worker_error(reason: str) -> ValidationError:
    code, message = _WORKER_REFUSALS[reason]
    return ValidationError(message(), field="worker", code=code)


def _decide(actor: Actor, ref: WorkRef, reads: _Reads, weights: Counter, *, reason: str, on: dt.date
            ) -> tuple[int, str, WorkAssignment | None]:
    """(worker id, reason recorded, the current row to end) for one item, or a refusal raised."""
    if ref.kind not in SOURCES:
        raise ValidationError(_("Choose a case, a re-check or a lead."), field="kind")
    row = reads.items.get((ref.kind, ref.id))
    if row is None:
        raise NotFound(_("No such work in your area."), field="id")
    if not row["open"]:
        raise Conflict(_("This work is finished: there is nothing left to assign."), code="work_closed")
    holder = reads.holders.get((ref.kind, ref.id))
    if reason == AssignmentReason.REASSIGNED and holder is None:
        raise Conflict(_("Nobody holds this work yet: assign it instead."), code="not_assigned")
    if reason in (AssignmentReason.PROPOSED, AssignmentReason.CHOSEN) and holder is not None:
        raise Conflict(_("This work already has a worker: re-assign it instead."), code="already_assigned")
    item = capacity.OpenItem(kind=ref.kind, id=ref.id, town=row["area_id"][:9], household_id=row["hh"], due_on=row["due"])
    if ref.worker_id:
        worker_row = reads.workers.get(ref.worker_id)
        if worker_row is None or not actor.covers(worker_row["area_id"]):
            raise NotFound(_("No such staff member in your area."), field="worker")
        worker = as_worker(worker_row)
        worker = capacity.Worker(**{**worker.__dict__, "open_weight": weights[worker.id]})
        if reason == AssignmentReason.LENT:
            # A purchased service's worker registered in the item's county, wherever in it.
            if worker_row["employment"] != Employment.PROVIDER_WORKER:
                raise ValidationError(_("Work is lent only to a purchased service's worker."), field="worker",
                                      code="worker_not_provider")
            if worker_row["area_id"][:6] != row["area_id"][:6]:
                raise ValidationError(_("The provider's worker must be registered in the county of this item."),
                                      field="worker", code="worker_other_county")
            worker = capacity.Worker(**{**worker.__dict__, "town": item.town, "is_town_staff": True})
        refused = capacity.refusal(item, worker, reads.relatives)
        if refused:
            raise _worker_error(refused)
        if holder is not None and holder.worker_id == worker.id:
            raise ValidationError(_("This worker already holds this work."), field="worker", code="same_worker")
        return worker.id, reason, holder
    if reason == AssignmentReason.LENT:
        raise ValidationError(_("Name the provider's worker the work is lent to."), field="worker", code="worker_required")
    workers = [capacity.Worker(**{**as_worker(w).__dict__, "open_weight": weights[w["id"]]})
               for w in reads.workers.values() if w["town"] == item.town and w["id"] != getattr(holder, "worker_id", None)]
    proposed = capacity.propose_workers([item], workers, reads.relatives, today=on)[item.key]
    if proposed is None:
        raise ValidationError(_("Nobody in the town may take this work (no active staff, or only relatives of the household)."),
                              field="worker", code="no_eligible_worker")
    return proposed, reason, holder


def assign_work(uow, *, actor: Actor, items: list[WorkRef], reason: str = "", note: str = "") -> list[Outcome]:
    """Assign each item (the module docstring). `reason`: "" (proposed when no worker is named,
    chosen when one is), `REASSIGNED` (through `reassign_work`) or `LENT`. The caller flushes
    `uow` (or opens it: `assign`)."""
    reason = reason or ""
    if reason == AssignmentReason.LENT:
        actor.require(LEND)
        if len(actor.area_code) > 6:
            raise PermissionDenied(_("Only the county lends a town's work to a purchased service."))
    elif reason == AssignmentReason.REASSIGNED:
        actor.require(REASSIGN)
    elif reason == "":
        actor.require(ASSIGN)
    else:
        raise ValidationError(_("Choose how the work is assigned."), field="reason")
    note = clean_text(note or "", field="note")
    if len(note) > 200:
        raise ValidationError(_("A note has at most 200 characters."), field="note")
    at = timezone.now()
    outcomes, accepted = _decide_all(actor, items, reason)
    # The rows ended first, all of them, then the new ones: one current row per item at any time
    # (the unique constraints), whichever order the unit of work sends a table's statements in.
    for outcome, _worker, _used in accepted:
        if outcome.ended is not None:
            uow.update_where(WorkAssignment, {"is_current": False, "ended_at": at}, id=outcome.ended.pk)
    for outcome, worker_id, used in accepted:
        ref, holder = outcome.ref, outcome.ended
        row = outcome.row
        column = SOURCES[ref.kind].column
        outcome.assignment = uow.insert(WorkAssignment(
            kind=ref.kind, **{f"{column}_id": ref.id}, household_id=row["hh"], area_id=row["area_id"], worker_id=worker_id,
            due_on=row["due"], reason=used, note=note, assigned_by_id=actor.user_id, assigned_at=at, is_current=True))
        uow.record_event(actor=actor, action="workload.reassign" if holder is not None else "workload.assign",
                         obj=outcome.assignment, before={"worker": holder.worker_id} if holder is not None else None,
                         after={"kind": ref.kind, "item": ref.id, "worker": worker_id, "reason": used,
                                "due_on": row["due"].isoformat() if row["due"] else None, "area": row["area_id"],
                                "note": note})
    return outcomes


def _decide_all(actor: Actor, items: list[WorkRef], reason: str) -> tuple[list[Outcome], list[tuple[Outcome, int, str]]]:
    """Every item decided on one set of reads, in the list's order, each placement adding to its
    worker's load before the next: the outcomes, and (outcome, worker, reason) of those accepted."""
    on = today()
    reads = _read(actor, items, on)
    weights: Counter = Counter({pk: w["weight"] for pk, w in reads.workers.items()})
    seen: set = set()
    outcomes: list[Outcome] = []
    accepted: list[tuple[Outcome, int, str]] = []
    for ref in items:
        outcome = Outcome(ref)
        outcomes.append(outcome)
        try:
            if (ref.kind, ref.id) in seen:
                raise Conflict(_("The same work is listed twice."), code="duplicate")
            seen.add((ref.kind, ref.id))
            used = reason or (AssignmentReason.CHOSEN if ref.worker_id else AssignmentReason.PROPOSED)
            worker_id, used, holder = _decide(actor, ref, reads, weights, reason=used, on=on)
        except SafetyNetError as error:
            outcome.error = error
            continue
        weight = capacity.item_weight(reads.items[(ref.kind, ref.id)]["due"], on)
        if holder is not None:
            weights[holder.worker_id] -= weight
            outcome.ended = holder
        weights[worker_id] += weight
        outcome.row = reads.items[(ref.kind, ref.id)]
        accepted.append((outcome, worker_id, used))
    return outcomes, accepted


def propose(*, actor: Actor, items: list[WorkRef]) -> dict[tuple[str, int], int | None]:
    """Who assigning these items as proposed would name, in the list's order, writing nothing
    (the town page shows it beside the unassigned work): worker id, or None when refused."""
    actor.require(ASSIGN)
    outcomes, accepted = _decide_all(actor, [WorkRef(r.kind, r.id) for r in items], "")
    chosen = {(o.ref.kind, o.ref.id): worker_id for o, worker_id, _used in accepted}
    return {(o.ref.kind, o.ref.id): chosen.get((o.ref.kind, o.ref.id)) for o in outcomes}


def reassign_work(uow, *, actor: Actor, items: list[WorkRef], note: str = "") -> list[Outcome]:
    """Re-assign held work (the town leader, the county): the named worker, or the capacity rule's
    choice among the others; the current row is ended and kept."""
    return assign_work(uow, actor=actor, items=items, reason=AssignmentReason.REASSIGNED, note=note)


def _in_unit(write, items: list[WorkRef]) -> list[Outcome]:
    """Run `write(uow)` in its own unit of work; two offices assigning the same item at once: the
    second is refused whole (409), never a 500."""
    try:
        with unit_of_work(size_hint=max(1, len(items))) as uow:
            return write(uow)
    except IntegrityError:
        raise Conflict(_("Someone assigned this work meanwhile; nothing was saved. Try again."), code="assigned_meanwhile")


def assign(*, actor: Actor, items: list[WorkRef], reason: str = "", note: str = "") -> list[Outcome]:
    """`assign_work` in its own unit of work (pages, API, demo)."""
    return _in_unit(lambda uow: assign_work(uow, actor=actor, items=items, reason=reason, note=note), items)


def reassign(*, actor: Actor, items: list[WorkRef], note: str = "") -> list[Outcome]:
    return _in_unit(lambda uow: reassign_work(uow, actor=actor, items=items, note=note), items)


def assign_one(*, actor: Actor, item: WorkRef, reason: str = "", note: str = "") -> Outcome:
    """One item; a refusal is raised (a page's form, the API's single answer)."""
    write = reassign if reason == AssignmentReason.REASSIGNED else assign
    kwargs = {} if reason == AssignmentReason.REASSIGNED else {"reason": reason}
    [outcome] = write(actor=actor, items=[item], note=note, **kwargs)
    if outcome.error:
        raise outcome.error
    return outcome


@dataclass
class NewWorkResult:
    town: str
    open: int = 0
    assigned: int = 0
    refused: Counter = field(default_factory=Counter)


def unassigned_refs(town_code: str) -> list[WorkRef]:
    """The open items of a town nobody holds, in due order (the order proposals place them)."""
    items = []
    for source in SOURCES.values():
        rows = (open_items(source, town_code).exclude(pk__in=WorkAssignment.objects.filter(
            is_current=True, **{f"{source.column}__isnull": False}).values(f"{source.column}_id"))
                .values_list("id", "due"))
        items += [capacity.OpenItem(kind=source.kind, id=pk, town=town_code, household_id=None, due_on=due)
                  for pk, due in rows]
    return [WorkRef(i.kind, i.id) for i in capacity.in_due_order(items)]


def assign_new_work(*, actor: Actor, town_code: str, progress=None) -> NewWorkResult:
    """Assign every open item of a town that nobody holds, as the capacity rule proposes, a few
    hundred a unit of work (idempotent: what is held is left alone; run again, nothing new)."""
    actor.require(ASSIGN)
    town_code = (town_code or "").strip()
    actor.require_area(town_code)
    if not Area.objects.filter(code=town_code, level=Level.TOWN).exists():
        raise NotFound(_("No such town in your area."), field="town")
    refs = unassigned_refs(town_code)
    result = NewWorkResult(town=town_code, open=len(refs))
    for start in range(0, len(refs), CHUNK):
        for outcome in assign(actor=actor, items=refs[start:start + CHUNK]):
            if outcome.ok:
                result.assigned += 1
            else:
                result.refused[outcome.error.code] += 1
        if progress:
            progress(min(start + CHUNK, len(refs)), len(refs))
    return result
