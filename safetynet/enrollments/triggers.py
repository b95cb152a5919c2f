"""Automatic triggers from department data (issue 5 part 3; POLICY.md §1 Dynamic management, §5).

The current snapshots of four datasets (verification app) are joined with the members of a
county's live enrollments by the verification engine's own expressions (expressions.findings_expr
on DuckDB, the same that a verification runs), and each fact becomes a `TriggerSignal`:

- a member's death (public security) → a `ChangeProposal`: that member's share stops from the
  month after the death. The amount is re-assessed without him (programs/rules.py, on the facts
  the amount in force rests on, with the parameters of that month); the covered person's death,
  or a household no longer eligible without him, proposes the ending. Nothing changes until a
  town worker confirms; the effective month stays the one the death dictates, so months already
  paid become overpayments to recover (schedule.py). During a gradual exit (a kept amount, not
  an assessed one) a member's death opens a re-check instead;
- a new motor vehicle (not an exempt mobility vehicle, motorcycle or e-bike), company or
  business role, or property registered since the enrollment's decision (or with no date) → a
  re-check opens (or the open one takes it in), in the town's queue.

Idempotent: a signal's fingerprint (kind, enrollment, member, dataset, record) is unique, and
only unhandled signals are acted on, so running twice proposes and opens nothing new. The same
run opens the scheduled re-checks that came due and settles enrollments whose gradual exit is over.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import asdict, dataclass, field
from decimal import Decimal

import pyarrow as pa
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.cases import clocks
from safetynet.core.audit import record_event
from safetynet.core.errors import Conflict, NotFound, ValidationError
from safetynet.core.scoping import Actor, get_in_scope
from safetynet.registry.models import Person
from safetynet.registry.services import update_member
from safetynet.verification import engine, storage
from safetynet.verification.expressions import findings_expr
from safetynet.verification.selectors import current_snapshot_refs

from . import decisions, reassessment, rechecks, schedule
from .change_models import (
    ChangeKind,
    ChangeProposal,
    ProposalStatus,
    RecheckReason,
    SignalKind,
    TriggerSignal,
)
from .change_selectors import county_in_scope
from .models import LIVE_STATUSES, Enrollment, EnrollmentStatus
from .months import month_text, next_month
from .reassessment import DeathEffect
from .restandard import proposal_effect

TRIGGERS = "payments.triggers"
CONFIRM = "payments.confirm_proposal"
DATASETS = ("public_security_deaths", "vehicles", "businesses", "real_estate")
# Finding items (verification/expressions.py) that are signals; "mobility_vehicle" (an exempt
# vehicle, POLICY.md §1) is not.
ITEM_KINDS = {"death": SignalKind.DEATH, "vehicle": SignalKind.VEHICLE, "business": SignalKind.BUSINESS,
              "home": SignalKind.PROPERTY, "non_residential": SignalKind.PROPERTY}
MEMBER_BATCH = 5000


@dataclass
class TriggerResult:
    county: str
    found: int = 0
    new_signals: int = 0
    proposals: int = 0
    rechecks_opened: int = 0
    rechecks_joined: int = 0
    no_effect: int = 0
    due_rechecks_opened: int = 0
    settled: int = 0
    errors: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------------------------------------
# Reading department data
# ---------------------------------------------------------------------------------------------
def _members_table(enrollments: list[tuple]):
    households = sorted({row[1] for row in enrollments})
    cols = {"household_id": [], "person_id": [], "chunk": [], "id_number": []}
    for start in range(0, len(households), MEMBER_BATCH):
        for household_id, person_id, id_number in (Person.objects.filter(household_id__in=households[start:start + MEMBER_BATCH],
                                                                          is_deceased=False)
                                                   .values_list("household_id", "id", "id_number")):
            cols["household_id"].append(household_id)
            cols["person_id"].append(person_id)
            cols["chunk"].append(0)
            cols["id_number"].append(id_number)
    return pa.table({"household_id": pa.array(cols["household_id"], pa.int64()),
                     "person_id": pa.array(cols["person_id"], pa.int64()),
                     "chunk": pa.array(cols["chunk"], pa.int32()), "id_number": pa.array(cols["id_number"], pa.string())})


def find_facts(enrollments: list[tuple], as_of: dt.date) -> tuple[list[dict], dict]:
    """The findings of the trigger datasets for the enrollments' members, and {dataset: snapshot id}."""
    refs = [r for r in current_snapshot_refs() if r.dataset in DATASETS]
    if not refs or not enrollments:
        return [], {}
    members = _members_table(enrollments)
    con = storage.connect(threads=1)
    try:
        tables = engine.bind_parquet(con, refs)
        con.register("trigger_members", members)
        backend = engine.duckdb_backend(con)
        expr = findings_expr(tables, backend.table("trigger_members"), as_of=as_of, windows=engine.windows_for(refs))
        if expr is None:
            return [], {}
        expr = expr.filter(expr.item.isin(list(ITEM_KINDS)))
        rows = backend.to_pyarrow(expr.select("household_id", "person_id", "source", "item", "subject", "record_date",
                                              "record_key")).to_pylist()
    finally:
        con.close()
    return rows, {r.dataset: r.id for r in refs}


def _fingerprint(kind: str, enrollment_id: int, row: dict) -> str:
    key = str(row.get("record_key") or "")
    if len(key) > 120:
        key = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return f"{kind}:{enrollment_id}:{row['person_id']}:{row['source']}:{key}"


def _signals(enrollments: list[tuple], rows: list[dict], snapshots: dict, today: dt.date) -> list[TriggerSignal]:
    """Which findings are signals for which enrollment (see the module's rules)."""
    by_household: dict[int, list[tuple]] = {}
    for row in enrollments:
        by_household.setdefault(row[1], []).append(row)
    signals = []
    for row in rows:
        kind = ITEM_KINDS[row["item"]]
        for enrollment_id, _household, covered, area, decided_on in by_household.get(row["household_id"], []):
            if kind == SignalKind.DEATH:
                if covered is not None and covered != row["person_id"]:
                    continue   # another member's death leaves an individual coverage as it is
            elif row["record_date"] is not None and decided_on is not None and row["record_date"] < decided_on:
                continue       # known when the enrollment was decided
            signals.append(TriggerSignal(
                fingerprint=_fingerprint(kind, enrollment_id, row)[:300], enrollment_id=enrollment_id, area_id=area, kind=kind,
                person_id=row["person_id"], source=row["source"], snapshot_id=snapshots.get(row["source"]),
                record_key=str(row.get("record_key") or "")[:240], record_date=row["record_date"],
                subject=str(row.get("subject") or "")[:240], found_on=today))
    return signals


# ---------------------------------------------------------------------------------------------
# Acting on a signal
# ---------------------------------------------------------------------------------------------
def death_effect(enrollment: Enrollment, person_id: int, death_date: dt.date | None, name: str) -> DeathEffect | None:
    """What a member's death does to the enrollment from the month after it (None: the months
    from then are not paid anyway)."""
    month = max(next_month(death_date) if death_date else next_month(clocks.today()), enrollment.start_month)
    status, amount = schedule.in_force(enrollment, month)
    if not schedule.is_paid_status(status):
        return None
    in_force = reassessment.facts_in_force(enrollment)
    facts = reassessment.without_members(in_force, [person_id])
    when = death_date.isoformat() if death_date else "?"
    before = reassessment.side(enrollment, in_force, month, amount)
    if enrollment.person_id == person_id:
        return DeathEffect(month, status, amount, EnrollmentStatus.ENDED, amount,
                           _("%(name)s, the supported person, died on %(day)s: the support ends from %(month)s.")
                           % {"name": name, "day": when, "month": month_text(month)},
                           {"sides": {"before": before, "after": reassessment.side(enrollment, facts, month, 0)}}, facts)
    # The household as it will be from the month: without the member, his own income and his
    # increment (cases/snapshots.facts_from_snapshot leaves a dead member's items out).
    outcome = reassessment.assess(enrollment, facts, month)
    assessment = reassessment.outcome_json(outcome)
    after = reassessment.side(enrollment, facts, month, outcome.monthly_amount)
    assessment["sides"] = {"before": before, "after": after}
    if not outcome.eligible:
        why = "; ".join(str(r) for r in outcome.reasons)
        return DeathEffect(month, status, amount, EnrollmentStatus.ENDED, amount,
                           _("%(name)s died on %(day)s; without him the household is no longer eligible (%(why)s): the "
                             "enrollment ends from %(month)s.") % {"name": name, "day": when, "why": why, "month": month_text(month)},
                           assessment, facts)
    return DeathEffect(month, status, amount, status, outcome.monthly_amount,
                       _("%(name)s died on %(day)s: his share stops from %(month)s; re-assessed without him ¥%(amount)s a month.")
                       % {"name": name, "day": when, "month": month_text(month), "amount": f"{outcome.monthly_amount:.2f}"},
                       assessment, facts)


def _handle_death(signal: TriggerSignal, enrollment: Enrollment, result: TriggerResult, today: dt.date) -> None:
    name = signal.person.name if signal.person_id else "?"
    month = max(next_month(signal.record_date) if signal.record_date else next_month(today), enrollment.start_month)
    if schedule.in_force(enrollment, month)[0] == EnrollmentStatus.GRADUAL_EXIT and enrollment.person_id != signal.person_id:
        # The gradual-exit amount is kept, not assessed (MLG-2021 art. 33): no rule says what a
        # member's death takes off it, so the town re-checks instead of a computed proposal.
        _handle_asset(signal, enrollment, result, today)
        return
    effect = death_effect(enrollment, signal.person_id, signal.record_date, name)
    if effect is None or not effect.changes:
        signal.effect = _("no change to the payments")[:200]
        result.no_effect += 1
        return
    ChangeProposal.objects.create(
        enrollment=enrollment, area_id=enrollment.area_id, signal=signal, kind=ChangeKind.DEATH, person_id=signal.person_id,
        effective_month=effect.month, current_amount=effect.current_amount, proposed_amount=effect.amount,
        proposed_status=effect.status, reason=effect.reason[:500], assessment=effect.assessment)
    signal.effect = _("change proposed for confirmation")[:200]
    result.proposals += 1


def _handle_asset(signal: TriggerSignal, enrollment: Enrollment, result: TriggerResult, today: dt.date) -> None:
    subject = signal.subject or (signal.person.name if signal.person_id else "")
    detail = f"{SignalKind(signal.kind).label}: {subject}".strip()
    recheck, created = rechecks.open_or_join(enrollment, reason=RecheckReason.DEPARTMENT_DATA, detail=detail, today=today)
    signal.recheck = recheck
    signal.effect = (_("re-check opened") if created else _("added to the open re-check"))[:200]
    if created:
        result.rechecks_opened += 1
    else:
        result.rechecks_joined += 1


def handle_signal(signal_id: int, result: TriggerResult, today: dt.date) -> None:
    with transaction.atomic(durable=True):
        signal = TriggerSignal.objects.select_for_update(of=("self",)).select_related("person").get(pk=signal_id)
        if signal.handled:
            return
        enrollment = Enrollment.objects.select_for_update(of=("self",)).select_related("household", "case").get(pk=signal.enrollment_id)
        if enrollment.status not in LIVE_STATUSES:
            signal.effect = _("the enrollment has ended")[:200]
            result.no_effect += 1
        elif signal.kind == SignalKind.DEATH:
            _handle_death(signal, enrollment, result, today)
        else:
            _handle_asset(signal, enrollment, result, today)
        signal.handled = True
        signal.save(update_fields=["handled", "effect", "recheck"])


# ---------------------------------------------------------------------------------------------
# The service
# ---------------------------------------------------------------------------------------------
def run_triggers(*, actor: Actor, county_code: str) -> TriggerResult:
    """Open the re-checks due, read department data for new facts, act on every unhandled signal,
    settle finished gradual exits. Safe to run as often as wanted (see the module's rules)."""
    actor.require(TRIGGERS)
    county = county_in_scope(actor, county_code)
    today = clocks.today()
    result = TriggerResult(county=county.code)
    enrollments = list(Enrollment.objects.filter(area__code__startswith=county.code, status__in=LIVE_STATUSES)
                       .values_list("id", "household_id", "person_id", "area_id", "decision__decided_on"))
    rows, snapshots = find_facts(enrollments, today)
    result.found = len(rows)
    signals = _signals(enrollments, rows, snapshots, today)
    with transaction.atomic(durable=True):
        before = TriggerSignal.objects.filter(area__code__startswith=county.code).count()
        TriggerSignal.objects.bulk_create(signals, batch_size=1000, ignore_conflicts=True)
        result.new_signals = TriggerSignal.objects.filter(area__code__startswith=county.code).count() - before
        result.due_rechecks_opened = rechecks.open_due_rechecks(county.code, today)
        result.settled = schedule.settle_finished_terms(county.code, today)
    for signal_id in (TriggerSignal.objects.filter(area__code__startswith=county.code, handled=False)
                      .order_by("id").values_list("id", flat=True)):
        try:
            handle_signal(signal_id, result, today)
        except (Conflict, ValidationError) as error:   # e.g. no standard set for the month: left for the next run
            result.errors.append(f"signal {signal_id}: {error.message}")
    with transaction.atomic(durable=True):
        record_event(actor=actor, action="payments.run_triggers", object_type="areas.area", object_id=county.code,
                     after=result.as_dict())
    return result


# ---------------------------------------------------------------------------------------------
# Confirming and rejecting proposals (the town worker's queue)
# ---------------------------------------------------------------------------------------------
def _load_proposal(actor: Actor, proposal_id) -> ChangeProposal:
    try:
        proposal_id = int(proposal_id)
    except (TypeError, ValueError):
        raise NotFound(_("Not found."))
    return get_in_scope(ChangeProposal.objects.select_for_update(of=("self",)).select_related("person", "signal"),
                        actor, pk=proposal_id)


def _require_pending(proposal: ChangeProposal) -> None:
    if proposal.status != ProposalStatus.PENDING:
        raise Conflict(_("This proposal was already %(status)s.") % {"status": ProposalStatus(proposal.status).label},
                       code="proposal_decided")


def confirm_proposal(*, actor: Actor, proposal_id: int) -> ChangeProposal:
    """Confirm an automatic change: it is re-assessed now (the enrollment may have changed since
    it was proposed) and written as a decision from the month the facts dictate. A confirmed
    death is then marked in the registry, when the post may edit it."""
    proposal = _confirm(actor=actor, proposal_id=proposal_id)
    if proposal.kind == ChangeKind.DEATH and proposal.person_id and actor.can("registry.edit"):
        if Person.objects.filter(pk=proposal.person_id, is_deceased=False).exists():
            update_member(actor=actor, person_id=proposal.person_id, is_deceased=True)
    return proposal


@transaction.atomic(durable=True)
def _confirm(*, actor: Actor, proposal_id: int) -> ChangeProposal:
    actor.require(CONFIRM)
    proposal = _load_proposal(actor, proposal_id)
    _require_pending(proposal)
    enrollment = decisions.load_enrollment(actor, proposal.enrollment_id)
    name = proposal.person.name if proposal.person_id else "?"
    if proposal.signal.kind == SignalKind.STANDARD:     # a standard change made it ineligible (restandard.py)
        effect = proposal_effect(enrollment, proposal)
        stale = _("The enrollment has changed since: re-assessed now it is still eligible. Reject the proposal with "
                  "that reason.")
    else:
        effect = death_effect(enrollment, proposal.person_id, proposal.signal.record_date, name)
        stale = _("The enrollment has changed since: this death no longer changes its payments. Reject the "
                  "proposal with that reason.")
    if effect is None or not effect.changes:
        raise Conflict(stale, code="proposal_stale")
    if effect.status == EnrollmentStatus.ENDED:
        written = decisions.decide_ending(actor=actor, enrollment=enrollment, reason=effect.reason, month=effect.month,
                                          kind=proposal.kind, person_id=proposal.person_id,
                                          assessment=effect.assessment, facts=effect.facts)
    else:
        share = effect.current_amount - effect.amount

        def price(term, start):
            return effect.amount if start == effect.month else max(term.amount - share, Decimal("0.00"))

        written = decisions.write_decision(actor=actor, enrollment=enrollment, kind=ChangeKind.DEATH, reason=effect.reason,
                                           month=effect.month, price=price, person_id=proposal.person_id,
                                           assessment=effect.assessment, facts=effect.facts)
    proposal.status, proposal.change = ProposalStatus.CONFIRMED, written.change
    proposal.proposed_amount, proposal.proposed_status = effect.amount, effect.status
    proposal.decided_by, proposal.decided_at = actor.username, timezone.now()
    proposal.save(update_fields=["status", "change", "proposed_amount", "proposed_status", "decided_by", "decided_at"])
    record_event(actor=actor, action="payments.confirm_proposal", obj=proposal,
                 after={"enrollment": enrollment.pk, "change": written.change.pk, "month": effect.month,
                        "amount": effect.amount, "status": effect.status, "overpaid_months": written.overpaid_months})
    return proposal


@transaction.atomic(durable=True)
def reject_proposal(*, actor: Actor, proposal_id: int, reason: str) -> ChangeProposal:
    """The town found the data wrong (another person of the same number, a death already known):
    nothing changes, and the reason stays with the proposal."""
    actor.require(CONFIRM)
    proposal = _load_proposal(actor, proposal_id)
    _require_pending(proposal)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the proposal is rejected."), field="reason")
    proposal.status, proposal.reject_reason = ProposalStatus.REJECTED, reason[:500]
    proposal.decided_by, proposal.decided_at = actor.username, timezone.now()
    proposal.save(update_fields=["status", "reject_reason", "decided_by", "decided_at"])
    record_event(actor=actor, action="payments.reject_proposal", obj=proposal,
                 after={"enrollment": proposal.enrollment_id, "reason": reason})
    return proposal
