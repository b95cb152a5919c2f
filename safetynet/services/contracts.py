"""Service contracts (issue 19 part 4): what the county buys from a provider, where, for how long,
at what price and to what accuracy.

A contract is drawn up as a draft (`draw_up_contract`), signed into force (`sign_contract`) and
ended (`end_contract`); its status changes only through `transition`, which checks `TRANSITIONS`
and writes the audit event. Pricing is either a price per accepted task or a lump sum for the
period (paid in equal monthly shares, `statements.py`), never both (a database check too).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from safetynet.areas.models import Area, Level
from safetynet.cases import clocks
from safetynet.core.audit import record_event
from safetynet.core.dates import parse_date
from safetynet.core.errors import Conflict, NotFound, ValidationError
from safetynet.core.money import parse_money
from safetynet.core.scoping import Actor
from safetynet.core.text import checked_choice, clean_field

from .models import OPEN_TASK_STATUSES, Contract, ContractStatus, Pricing, ServiceScope
from .selectors import contracts_for, get_near, providers_for

MANAGE = "services.manage"
DEFAULT_QUALITY_TARGET = Decimal("0.950")

# (from, to) -> the permission that fires it.
TRANSITIONS = {
    (ContractStatus.DRAFT, ContractStatus.ACTIVE): MANAGE,      # signed
    (ContractStatus.DRAFT, ContractStatus.ENDED): MANAGE,       # never signed, dropped
    (ContractStatus.ACTIVE, ContractStatus.ENDED): MANAGE,      # ended (its period over, or broken off)
}


def check_scopes(values) -> list[str]:
    if isinstance(values, str):
        values = [v for v in values.replace("，", ",").split(",") if v.strip()]
    scopes = []
    for value in values or ():
        value = str(value).strip()
        if value not in ServiceScope.values:
            raise ValidationError(_("%(value)s is not a service a contract can buy: choose among %(choices)s.") % {
                "value": value[:40], "choices": "、".join(str(s.label) for s in ServiceScope)}, field="scopes")
        if value not in scopes:
            scopes.append(value)
    if not scopes:
        raise ValidationError(_("Choose at least one service the contract buys."), field="scopes")
    return [s for s in ServiceScope.values if s in scopes]


def check_quality_target(value) -> Decimal:
    if value in (None, ""):
        return DEFAULT_QUALITY_TARGET
    try:
        target = Decimal(str(value).strip().rstrip("%"))
    except InvalidOperation:
        raise ValidationError(_("The accuracy target is a share such as 0.95."), field="quality_target")
    if str(value).strip().endswith("%"):
        target = target / 100
    if not target.is_finite() or not Decimal("0") < target <= Decimal("1"):
        raise ValidationError(_("The accuracy target is a share above 0 and at most 1 (0.95 is 95 %)."),
                              field="quality_target")
    if target != target.quantize(Decimal("0.001")):
        raise ValidationError(_("The accuracy target has at most three decimals (0.955)."), field="quality_target")
    return target.quantize(Decimal("0.001"))


def _price(pricing: str, unit_price, lump_sum) -> tuple[Decimal | None, Decimal | None]:
    given = {"unit_price": unit_price not in (None, ""), "lump_sum": lump_sum not in (None, "")}
    if pricing == Pricing.PER_TASK:
        if given["lump_sum"]:
            raise ValidationError(_("A contract priced per task has no lump sum: leave it empty."), field="lump_sum")
        price = parse_money(unit_price, field="unit_price")
        if price <= 0:
            raise ValidationError(_("The price per task must be more than zero."), field="unit_price")
        return price, None
    if given["unit_price"]:
        raise ValidationError(_("A lump-sum contract has no price per task: leave it empty."), field="unit_price")
    amount = parse_money(lump_sum, field="lump_sum")
    if amount <= 0:
        raise ValidationError(_("The lump sum must be more than zero."), field="lump_sum")
    return None, amount


def _covered_area(actor: Actor, area_code: str, county_code: str) -> Area:
    area_code = (area_code or "").strip()
    actor.require_area(area_code)
    area = Area.objects.filter(code=area_code).first()
    if area is None:
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": area_code}, field="area")
    if area.level not in (Level.COUNTY, Level.TOWN) or not area.code.startswith(county_code):
        raise ValidationError(_("A contract covers the provider's county or one of its towns."), field="area")
    return area


def _snapshot(c: Contract) -> dict:
    return {"reference": c.reference, "provider": c.provider_id, "area": c.area_id, "scopes": c.scopes,
            "starts_on": c.starts_on, "ends_on": c.ends_on, "pricing": c.pricing, "unit_price": c.unit_price,
            "lump_sum": c.lump_sum, "quality_target": c.quality_target, "status": c.status}


@transaction.atomic(durable=True)
def draw_up_contract(*, actor: Actor, provider_id: int, reference: str, area_code: str, scopes, starts_on, ends_on,
                     pricing: str, unit_price=None, lump_sum=None, quality_target=None) -> Contract:
    """A draft contract with an active provider, for its county or one of its towns."""
    actor.require(MANAGE)
    provider = get_near(providers_for(actor), pk=provider_id)
    actor.require_area(provider.area_id)
    if not provider.is_active:
        raise ValidationError(_("%(name)s is not active: no new contract.") % {"name": provider.name}, field="provider",
                              code="provider_inactive")
    reference = clean_field(reference, "reference", max_length=40, required=True)
    area = _covered_area(actor, area_code, provider.area_id)
    scopes = check_scopes(scopes)
    starts = parse_date(starts_on, field="starts_on", required=True)
    ends = parse_date(ends_on, field="ends_on", required=True)
    if ends < starts:
        raise ValidationError(_("The contract ends on %(end)s, before it starts (%(start)s).") % {
            "end": ends.isoformat(), "start": starts.isoformat()}, field="ends_on", code="period_reversed")
    pricing = checked_choice(pricing, Pricing.values, "pricing", _("Choose a price per task or a lump sum."))
    unit, lump = _price(pricing, unit_price, lump_sum)
    target = check_quality_target(quality_target)
    if Contract.objects.filter(provider=provider, reference=reference).exists():
        raise Conflict(_("%(provider)s already has a contract numbered %(ref)s.") % {
            "provider": provider.name, "ref": reference}, field="reference", code="reference_taken")
    contract = Contract.objects.create(provider=provider, reference=reference, area=area, scopes=scopes,
                                       starts_on=starts, ends_on=ends, pricing=pricing, unit_price=unit, lump_sum=lump,
                                       quality_target=target, created_by_id=actor.user_id)
    record_event(actor=actor, action="services.draw_up_contract", obj=contract, after=_snapshot(contract))
    return contract


def transition(contract: Contract, to: str, *, actor: Actor, **fields) -> Contract:
    """The one way a contract's status changes: the table's permission, then the audit event."""
    needed = TRANSITIONS.get((contract.status, to))
    if needed is None:
        raise Conflict(_("This contract is %(status)s: it cannot become %(to)s.") % {
            "status": contract.get_status_display(), "to": ContractStatus(to).label}, code="wrong_status")
    actor.require(needed)
    before = contract.status
    contract.status = to
    for name, value in fields.items():
        setattr(contract, name, value)
    contract.save(update_fields=["status", *fields])
    record_event(actor=actor, action=f"services.contract_{to}", obj=contract, before={"status": before},
                 after={"status": to, **{k: v for k, v in fields.items() if not k.endswith("_id")}})
    return contract


def _for_update(actor: Actor, contract_id: int) -> Contract:
    actor.require(MANAGE)
    contract = get_near(contracts_for(actor).select_for_update(of=("self",)), pk=contract_id)
    actor.require_area(contract.area_id)      # a town post reads the county's contracts; it does not change them
    return contract


@transaction.atomic(durable=True)
def sign_contract(*, actor: Actor, contract_id: int, on: dt.date | None = None) -> Contract:
    """The county signs the draft: from then on work may be assigned under it within its period."""
    contract = _for_update(actor, contract_id)
    on = on or clocks.today()
    if contract.status == ContractStatus.DRAFT and contract.ends_on < on:
        raise ValidationError(_("The contract's period ended on %(end)s: it can no longer be signed.") % {
            "end": contract.ends_on.isoformat()}, code="period_over")
    if contract.status == ContractStatus.DRAFT and not contract.provider.is_active:
        raise ValidationError(_("%(name)s is not active: the contract cannot be signed.") % {
            "name": contract.provider.name}, code="provider_inactive")
    return transition(contract, ContractStatus.ACTIVE, actor=actor, signed_by_id=actor.user_id, signed_on=on)


@transaction.atomic(durable=True)
def end_contract(*, actor: Actor, contract_id: int, reason: str = "", on: dt.date | None = None) -> Contract:
    """End the contract. Refused while tasks under it are open: the county accepts, rejects or
    takes them back first, so no work is left with a provider that no longer has a contract."""
    contract = _for_update(actor, contract_id)
    reason = clean_field(reason, "reason", max_length=200)
    open_tasks = contract.tasks.filter(status__in=OPEN_TASK_STATUSES).count()
    if open_tasks:
        raise Conflict(_("%(n)s tasks under this contract are still open: accept, reject or take them back first.")
                       % {"n": open_tasks}, code="open_tasks")
    return transition(contract, ContractStatus.ENDED, actor=actor, ended_on=on or clocks.today(), end_reason=reason)
