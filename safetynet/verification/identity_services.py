"""Identity proposals: made by the matcher, confirmed or rejected by a county officer (issue 4,
part 3). Writes and reads in one small module beside identity.py (the verification app's
services.py holds imports and runs).

- `propose_identities` runs identity.find_matches for a county and stores each candidate as an
  `IdentityProposal` — never a link. A record already linked, or a pair already proposed
  (whatever became of it: a rejected pair is not proposed again), is skipped.
- `confirm_identity_proposal` makes the `IdentityLink` later runs read; the record's other
  pending proposals are rejected with it (one record, one person).
- `reject_identity_proposal` keeps the proposal, marked rejected, with the officer's reason.

Who: proposing needs "verification.run" (county officers and the verification service, which
runs it as a job); confirming and rejecting need "verification.import" — the county officers who
answer for the department data — and a person (not the service: a proposal is never applied by
a machine). Both within the actor's area (the person's area; outside → 404).
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.core.audit import record_event
from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.core.scoping import Actor

from .identity import PROPOSE_THRESHOLD, find_matches
from .identity_models import IdentityLink, IdentityProposal, ProposalStatus

CONFIRM_PERMISSION = "verification.import"
PROPOSE_PERMISSION = "verification.run"


@dataclass
class ProposalsMade:
    county_code: str
    records: int = 0        # records not exact in the current snapshots
    candidates: int = 0     # pairs at or above the threshold
    created: int = 0        # new proposals
    skipped: int = 0        # already linked or already proposed
    seconds: dict | None = None


def propose_identities(*, actor: Actor, county_code: str, threshold: float = PROPOSE_THRESHOLD) -> ProposalsMade:
    """Match the current snapshots' legacy, mistyped and missing IDs to the county's persons
    (identity.py) and store the candidates as proposals for a county officer."""
    actor.require(PROPOSE_PERMISSION)
    county_code = (county_code or "").strip()
    if len(county_code) != 6 or not county_code.isdigit():
        raise ValidationError(_("Give a county code (6 digits)."), field="county")
    actor.require_area(county_code)
    matching = find_matches(county_code=county_code, threshold=threshold)
    made = ProposalsMade(county_code=county_code, records=matching.records, candidates=len(matching.candidates),
                         seconds=matching.seconds)
    linked = set(IdentityLink.objects.filter(dataset__in={c.dataset for c in matching.candidates})
                 .values_list("dataset", "record_key"))
    known = set(IdentityProposal.objects.filter(record_key__in=[c.record_key for c in matching.candidates])
                .values_list("dataset", "record_key", "person_id"))
    fresh = []
    for c in matching.candidates:
        if (c.dataset, c.record_key) in linked or (c.dataset, c.record_key, c.person_id) in known:
            made.skipped += 1
            continue
        known.add((c.dataset, c.record_key, c.person_id))
        fresh.append(IdentityProposal(
            dataset=c.dataset, snapshot_id=c.snapshot_id, record_key=c.record_key[:120], id_kind=c.id_kind,
            record_id_number=(c.id_number or "")[:18], record_name=(c.name or "")[:50], record_birth_date=c.birth_date,
            record_address=(c.address or "")[:200], record_rows=c.rows, person_id=c.person_id, area_code=c.area_code,
            match_probability=min(1.0, max(0.0, c.probability)), match_weight=c.weight, compared=c.compared,
            proposed_by=actor.username))
    with transaction.atomic(durable=True):
        IdentityProposal.objects.bulk_create(fresh, batch_size=1000, ignore_conflicts=True)
        made.created = len(fresh)
        record_event(actor=actor, action="verification.propose_identities", object_type="verification.identityproposal",
                     object_id=county_code,
                     after={"county": county_code, "records": made.records, "candidates": made.candidates,
                            "created": made.created, "skipped": made.skipped, "threshold": threshold,
                            "seconds": matching.seconds})
    return made


# --------------------------------------------------------------------------------------------
# Reads
# --------------------------------------------------------------------------------------------

def proposals_in_scope(actor: Actor, *, status: str | None = ProposalStatus.PROPOSED) -> QuerySet[IdentityProposal]:
    actor.require("verification.view")
    qs = IdentityProposal.objects.select_related("person", "person__household")
    if not actor.is_national:
        qs = qs.filter(area_code__startswith=actor.area_code)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-match_probability", "id")


def get_proposal(actor: Actor, proposal_id, *, for_update: bool = False) -> IdentityProposal:
    try:
        qs = IdentityProposal.objects.all()
        if for_update:
            qs = qs.select_for_update()
        proposal = qs.get(pk=int(proposal_id))
    except (IdentityProposal.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("Not found."))
    if not actor.covers(proposal.area_code):
        raise NotFound(_("Not found."))
    return proposal


def links_in_scope(actor: Actor) -> QuerySet[IdentityLink]:
    actor.require("verification.view")
    qs = IdentityLink.objects.all()
    return qs if actor.is_national else qs.filter(area_code__startswith=actor.area_code)


# --------------------------------------------------------------------------------------------
# Decisions
# --------------------------------------------------------------------------------------------

def _require_officer(actor: Actor) -> None:
    actor.require(CONFIRM_PERMISSION)
    if actor.user_id is None:
        raise PermissionDenied(_("A county officer confirms or rejects identity proposals; the system never does."),
                               code="forbidden")


def _check_pending(proposal: IdentityProposal) -> None:
    if proposal.status != ProposalStatus.PROPOSED:
        raise Conflict(_("This proposal was already %(status)s.") % {"status": proposal.get_status_display()},
                       code="proposal_decided")


@transaction.atomic(durable=True)
def confirm_identity_proposal(*, actor: Actor, proposal_id: int, note: str = "") -> IdentityLink:
    """The record is the person's: link it (later runs count it), and reject the record's other
    pending proposals."""
    _require_officer(actor)
    proposal = get_proposal(actor, proposal_id, for_update=True)
    _check_pending(proposal)
    if IdentityLink.objects.filter(dataset=proposal.dataset, record_key=proposal.record_key).exists():
        raise Conflict(_("This record is already linked to a person."), code="record_linked")
    now = timezone.now()
    note = (note or "").strip()[:2000]
    person_id_number = proposal.person.id_number
    try:
        with transaction.atomic():
            link = IdentityLink.objects.create(
                dataset=proposal.dataset, record_key=proposal.record_key, person_id=proposal.person_id,
                person_id_number=person_id_number, area_code=proposal.area_code, proposal=proposal,
                confirmed_by=actor.username, confirmed_at=now)
    except IntegrityError:
        raise Conflict(_("This record is already linked to a person."), code="record_linked")
    IdentityProposal.objects.filter(pk=proposal.pk).update(status=ProposalStatus.CONFIRMED, decided_by=actor.username,
                                                           decided_at=now, note=note)
    others = list(IdentityProposal.objects.filter(dataset=proposal.dataset, record_key=proposal.record_key,
                                                  status=ProposalStatus.PROPOSED).exclude(pk=proposal.pk)
                  .values_list("pk", flat=True))
    if others:
        IdentityProposal.objects.filter(pk__in=others).update(
            status=ProposalStatus.REJECTED, decided_by=actor.username, decided_at=now,
            note=_("Another person was confirmed for this record (proposal #%(id)d).") % {"id": proposal.pk})
    record_event(actor=actor, action="verification.confirm_identity", obj=proposal,
                 before={"status": ProposalStatus.PROPOSED},
                 after={"status": ProposalStatus.CONFIRMED, "dataset": proposal.dataset, "record_key": proposal.record_key,
                        "person": proposal.person_id, "probability": round(proposal.match_probability, 6),
                        "link": link.pk, "also_rejected": others, "note": note})
    return link


@transaction.atomic(durable=True)
def reject_identity_proposal(*, actor: Actor, proposal_id: int, note: str = "") -> IdentityProposal:
    """Not the person: keep the proposal as rejected (it is not proposed again), with the reason."""
    _require_officer(actor)
    proposal = get_proposal(actor, proposal_id, for_update=True)
    _check_pending(proposal)
    note = (note or "").strip()
    if not note:
        raise ValidationError(_("Say why this is not the person."), field="note")
    now = timezone.now()
    IdentityProposal.objects.filter(pk=proposal.pk).update(status=ProposalStatus.REJECTED, decided_by=actor.username,
                                                           decided_at=now, note=note[:2000])
    record_event(actor=actor, action="verification.reject_identity", obj=proposal,
                 before={"status": ProposalStatus.PROPOSED},
                 after={"status": ProposalStatus.REJECTED, "dataset": proposal.dataset, "record_key": proposal.record_key,
                        "person": proposal.person_id, "note": note[:2000]})
    proposal.refresh_from_db()
    return proposal
