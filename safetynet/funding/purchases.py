"""Purchased services charged to the budget (issue 19 parts 3–5): what providers earned in a month
(`services.statements`: accepted tasks × price, or the lump sum's share) and the project tranches
paid in it (`services.project_selectors.fundings_between`) go to the `purchased_services` line of
the town they were bought for, else the county's, through the one `budgets.charge_budget`.

Funding sits above services in the import order, so the call goes this way: services says what is
owed, funding charges it. Each source is charged once (the charge's unique source key), so the
function can run again after a refusal is fixed (a line set, an overrun approved); one refused
source holds back no other, and each refusal is reported with its reason."""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction

from safetynet.core.dates import parse_month
from safetynet.core.errors import SafetyNetError
from safetynet.core.scoping import Actor
from safetynet.services import statements
from safetynet.services.project_selectors import fundings_between

from .budgets import charge_budget
from .models import BudgetKind
from .scope import BUDGET

PROVIDER_STATEMENT = "provider_statement"
PROJECT_FUNDING = "project_funding"


@dataclass
class PurchaseCharges:
    charged: list[dict] = field(default_factory=list)    # {"source", "key", "area", "amount", "warning" (text or "")}
    refused: list[dict] = field(default_factory=list)    # {"source", "key", "area", "amount", "reason", "code"}

    def as_dict(self) -> dict:
        return {"charged": len(self.charged), "refused": len(self.refused),
                "warnings": sum(1 for c in self.charged if c["warning"])}


def charge_purchased_services(*, actor: Actor, county_code: str, month) -> PurchaseCharges:
    """Draw up the month's provider statements, then charge every statement still due and every
    project tranche paid in the month to the purchased-services budget lines."""
    actor.require(BUDGET)
    actor.require_area(county_code)
    month = parse_month(month, field="month", required=True)
    last_day = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    statements.generate_statements(actor=actor, county_code=county_code, month=month)
    result = PurchaseCharges()
    for due in statements.statements_due(county_code, month):
        def record(charge, due=due):
            statements.record_charge(actor=actor, statement_ids=[due.statement_id], reference=f"budget charge {charge.pk}")
        _charge(actor, result, source=PROVIDER_STATEMENT, key=str(due.statement_id), area=due.area_code,
                amount=due.amount, on=last_day, description=f"{due.provider_name} {due.contract_reference} {month:%Y-%m}",
                then=record)
    for tranche in fundings_between(county_code, month, last_day, actor=actor):
        _charge(actor, result, source=PROJECT_FUNDING, key=str(tranche["id"]), area=tranche["area"] or tranche["county"],
                amount=tranche["amount"], on=tranche["paid_on"], description=f"{tranche['reference']}")
    return result


def _charge(actor: Actor, result: PurchaseCharges, *, source: str, key: str, area: str, amount, on: dt.date,
            description: str, then=None) -> None:
    row = {"source": source, "key": key, "area": area, "amount": amount}
    try:
        with transaction.atomic():
            charged = charge_budget(actor=actor, area_code=area, kind=BudgetKind.PURCHASED_SERVICES, amount=amount,
                                    source_kind=source, source_key=key, on=on, description=description)
            if then is not None and charged.created:
                then(charged.charge)
    except SafetyNetError as refusal:
        result.refused.append({**row, "reason": refusal.message, "code": refusal.code})
        return
    result.charged.append({**row, "warning": charged.warning})
