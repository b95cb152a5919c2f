"""Overpayments recovered or waived (issue 5 part 3 follow-up; POLICY.md §1 Dynamic management).

A later decision that says months already paid were not due in full leaves an `Overpayment` per
month (schedule.record_overpayments). The county office then records what came back: a recovery
(an amount, the day, and how: a bank transfer, cash at the office, or another way it says), as
often as the household pays back in parts, until nothing is outstanding; or the waiver of what is
left, which is a county leader's decision: the officer records it with its reason and the leader
who decided, never himself. Each write is audited; the enrollment page shows them, the changes
queue the outstanding total of each town.

Who: "payments.settle_overpayment" (the county officer), within his area (another area's
overpayment answers 404).
"""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from safetynet.areas.models import CODE_LENGTHS, Level, Post
from safetynet.areas.roles import Role
from safetynet.cases import clocks
from safetynet.core.audit import record_event
from safetynet.core.dates import parse_date
from safetynet.core.errors import Conflict, NotFound, ValidationError
from safetynet.core.scoping import Actor, get_in_scope

from .change_models import (
    Overpayment,
    OverpaymentSettlement,
    OverpaymentStatus,
    RecoveryMethod,
    SettlementKind,
)
from .decisions import amount_value, clean_reason

SETTLE = "payments.settle_overpayment"


# ---------------------------------------------------------------------------------------------
# Reads
# ---------------------------------------------------------------------------------------------
def county_leaders(area_code: str) -> list[tuple[int, str]]:
    """(user id, username) of the active county leaders whose post covers the area: the people
    whose decision a waiver may name."""
    covering = [area_code[:n] for n in CODE_LENGTHS.values() if n <= CODE_LENGTHS[Level.COUNTY]]
    return list(Post.objects.filter(role=Role.COUNTY_LEADER, area_id__in=covering, is_active=True, user__is_active=True)
                .order_by("user__username").values_list("user_id", "user__username").distinct())


def _load(actor: Actor, overpayment_id) -> Overpayment:
    try:
        overpayment_id = int(overpayment_id)
    except (TypeError, ValueError):
        raise NotFound(_("Not found."))
    overpayment = get_in_scope(Overpayment.objects.select_for_update(of=("self",)), actor, pk=overpayment_id)
    if overpayment.status != OverpaymentStatus.OPEN:
        raise Conflict(_("This overpayment is already settled (%(status)s).")
                       % {"status": OverpaymentStatus(overpayment.status).label}, code="overpayment_settled")
    return overpayment


def _day(value, field: str, *, not_before: dt.date) -> dt.date:
    today = clocks.today()
    if value in (None, ""):
        return today
    day = parse_date(value, field=field, required=True, message=_("Write the date as YYYY-MM-DD."), code="invalid")
    if day > today:
        raise ValidationError(_("The date cannot be in the future."), field=field)
    if day < not_before:
        raise ValidationError(_("The date cannot be before the overpaid month (%(month)s).")
                              % {"month": not_before.strftime("%Y-%m")}, field=field)
    return day


def _settle(actor: Actor, overpayment: Overpayment, settlement: OverpaymentSettlement, status: str) -> OverpaymentSettlement:
    before = {"outstanding": overpayment.outstanding, "status": overpayment.status}
    settlement.save()
    overpayment.outstanding -= settlement.amount
    if overpayment.outstanding == 0:
        overpayment.status, overpayment.settled_on = status, settlement.on
    overpayment.save(update_fields=["outstanding", "status", "settled_on"])
    record_event(actor=actor, action=f"payments.{'waive' if status == OverpaymentStatus.WAIVED else 'recover'}_overpayment",
                 obj=overpayment, before=before,
                 after={"outstanding": overpayment.outstanding, "status": overpayment.status, "amount": settlement.amount,
                        "on": settlement.on, "method": settlement.method, "note": settlement.note,
                        "leader": settlement.leader_name, "settlement": settlement.pk})
    return settlement


# ---------------------------------------------------------------------------------------------
# Writes
# ---------------------------------------------------------------------------------------------
@transaction.atomic(durable=True)
def record_recovery(*, actor: Actor, overpayment_id: int, amount, recovered_on=None, method: str,
                    note: str = "") -> OverpaymentSettlement:
    """Money paid back: at most what is outstanding; the overpayment is recovered once nothing is."""
    actor.require(SETTLE)
    overpayment = _load(actor, overpayment_id)
    money = amount_value(amount)
    if money <= 0:
        raise ValidationError(_("The amount must be more than zero."), field="amount")
    if money > overpayment.outstanding:
        raise ValidationError(_("At most the ¥%(left)s still outstanding.") % {"left": f"{overpayment.outstanding:.2f}"},
                              field="amount")
    if method not in RecoveryMethod.values:
        raise ValidationError(_("Say how the money came back."), field="method")
    note = (note or "").strip()
    if method == RecoveryMethod.OTHER and not note:
        raise ValidationError(_("Say how the money came back."), field="note")
    if len(note) > 500:
        raise ValidationError(_("At most 500 characters."), field="note")
    day = _day(recovered_on, "recovered_on", not_before=overpayment.month)
    return _settle(actor, overpayment, OverpaymentSettlement(
        overpayment=overpayment, area_id=overpayment.area_id, kind=SettlementKind.RECOVERED, amount=money, on=day,
        method=method, note=note, recorded_by=actor.username, recorded_by_user_id=actor.user_id), OverpaymentStatus.RECOVERED)


@transaction.atomic(durable=True)
def waive_overpayment(*, actor: Actor, overpayment_id: int, reason: str, leader, decided_on=None) -> OverpaymentSettlement:
    """What is left is not to be recovered: a county leader's decision (`leader`: his username),
    with its reason, recorded by the officer — who cannot name himself."""
    actor.require(SETTLE)
    overpayment = _load(actor, overpayment_id)
    reason = clean_reason(reason)
    name = str(leader or "").strip()
    leaders = dict((username, user_id) for user_id, username in county_leaders(overpayment.area_id))
    if name not in leaders:
        raise ValidationError(_("Name the county leader who decided the waiver."), field="leader")
    if leaders[name] == actor.user_id:
        raise ValidationError(_("The waiver is another person's decision: the officer recording it cannot name himself."),
                              field="leader")
    day = _day(decided_on, "decided_on", not_before=overpayment.month)
    return _settle(actor, overpayment, OverpaymentSettlement(
        overpayment=overpayment, area_id=overpayment.area_id, kind=SettlementKind.WAIVED, amount=overpayment.outstanding,
        on=day, note=reason, leader_id=leaders[name], leader_name=name, recorded_by=actor.username,
        recorded_by_user_id=actor.user_id), OverpaymentStatus.WAIVED)

