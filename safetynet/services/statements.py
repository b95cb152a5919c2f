"""What each contract has earned, month by month, and what funding charges to a budget (issue 19
part 4).

A statement is drawn up per contract and month (`generate_statements`, idempotent: run again, it
finds the same rows and only adds what was accepted since, while the statement is still due):
- priced per task: the accepted tasks not yet on any statement, accepted by the month's end,
  times the price (each task is on one statement only: a database check and a foreign key);
- a lump sum: the sum's share of the month (the period's months in equal shares to the fen, the
  last month taking what the division left, so the shares add up to the sum exactly); the
  month's accepted tasks are listed on it too.

Funding sits above this app: it reads what is owed (`statements_due`), charges each statement to a
budget line through its own `charge_budget`, and records it here in its own transaction
(`record_charge`, then `record_payment` when the bank has paid). A charged statement is closed:
a task accepted later goes on the next month's statement.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.cases import clocks
from safetynet.core.audit import record_event
from safetynet.core.dates import parse_date, parse_month
from safetynet.core.errors import Conflict, ValidationError
from safetynet.core.money import CENT
from safetynet.core.scoping import Actor
from safetynet.core.text import clean_field

from .models import Contract, ContractStatus, PaymentStatus, Pricing, ProviderStatement, ServiceTask, TaskStatus

MANAGE = "services.manage"
CHARGE = "funding.budget"      # the post that charges a budget line records the charge and the payment

# (from, to) of a statement's payment.
PAYMENT_TRANSITIONS = {(PaymentStatus.DUE, PaymentStatus.CHARGED), (PaymentStatus.CHARGED, PaymentStatus.PAID)}


def month_end(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def months_of(start: dt.date, end: dt.date) -> list[dt.date]:
    months, m = [], start.replace(day=1)
    while m <= end:
        months.append(m)
        m = month_end(m) + dt.timedelta(days=1)
    return months


def lump_sum_share(contract: Contract, month: dt.date) -> Decimal:
    """The lump sum's share of `month`: equal shares to the fen, the last month the remainder;
    nothing outside the period."""
    months = months_of(contract.starts_on, contract.ends_on)
    if month not in months:
        return Decimal("0.00")
    share = (contract.lump_sum / len(months)).quantize(CENT, rounding=ROUND_DOWN)
    return contract.lump_sum - share * (len(months) - 1) if month == months[-1] else share


def amount_due(contract: Contract, month: dt.date, tasks_accepted: int) -> Decimal:
    if contract.pricing == Pricing.PER_TASK:
        return (contract.unit_price * tasks_accepted).quantize(CENT)
    return lump_sum_share(contract, month)


def _county(actor: Actor, county_code: str) -> str:
    county_code = (county_code or "").strip()
    if len(county_code) != 6 or not county_code.isdigit():
        raise ValidationError(_("Give the county's six-digit code."), field="county")
    actor.require_area(county_code)
    return county_code


@transaction.atomic(durable=True)
def generate_statements(*, actor: Actor, county_code: str, month) -> list[ProviderStatement]:
    """Draw up (or bring up to date) the month's statement of every signed contract of the county
    that earned something in it. Idempotent; a charged statement is left as it is."""
    actor.require(MANAGE)
    county_code = _county(actor, county_code)
    month = parse_month(month, field="month", required=True)
    if month > clocks.today().replace(day=1):
        raise ValidationError(_("%(month)s has not begun: a statement is drawn up for a month under way or past.") % {
            "month": f"{month:%Y-%m}"}, field="month", code="future_month")
    last = month_end(month)
    contracts = list(Contract.objects.filter(area__code__startswith=county_code, starts_on__lte=last)
                     .filter(status__in=[ContractStatus.ACTIVE, ContractStatus.ENDED]).select_for_update())
    existing = {s.contract_id: s for s in ProviderStatement.objects.select_for_update()
                .filter(contract__in=contracts, month=month)}
    unbilled = dict(ServiceTask.objects.filter(contract__in=contracts, status=TaskStatus.ACCEPTED, statement__isnull=True,
                                               decided_on__lte=last).values("contract_id")
                    .annotate(n=Count("id")).values_list("contract_id", "n"))
    now, made = timezone.now(), []
    for contract in contracts:
        statement = existing.get(contract.pk)
        if statement is not None and statement.payment_status != PaymentStatus.DUE:
            made.append(statement)
            continue
        new_tasks = unbilled.get(contract.pk, 0)
        on_it = (statement.tasks_accepted if statement else 0) + new_tasks
        amount = amount_due(contract, month, on_it)
        if statement is None and not on_it and not amount:
            continue
        before = {"tasks_accepted": statement.tasks_accepted, "amount": statement.amount} if statement else None
        if statement is None:
            statement = ProviderStatement.objects.create(contract=contract, area_id=contract.area_id, month=month,
                                                         tasks_accepted=on_it, amount=amount, generated_at=now)
        elif (statement.tasks_accepted, statement.amount) != (on_it, amount):
            statement.tasks_accepted, statement.amount, statement.generated_at = on_it, amount, now
            statement.save(update_fields=["tasks_accepted", "amount", "generated_at"])
        else:
            made.append(statement)
            continue
        if new_tasks:
            ServiceTask.objects.filter(contract=contract, status=TaskStatus.ACCEPTED, statement__isnull=True,
                                       decided_on__lte=last).update(statement=statement)
        record_event(actor=actor, action="services.generate_statement", obj=statement, before=before,
                     after={"contract": contract.pk, "month": f"{month:%Y-%m}", "tasks_accepted": on_it, "amount": amount})
        made.append(statement)
    return made


@dataclass(frozen=True)
class StatementDue:
    """What funding charges: one statement still due."""
    statement_id: int
    contract_id: int
    contract_reference: str
    provider_id: int
    provider_name: str
    provider_uscc: str
    area_code: str
    month: dt.date
    tasks_accepted: int
    amount: Decimal


def statements_due(county_code: str, month) -> list[StatementDue]:
    """The county's statements of `month` still due (drawn up, not yet charged to a budget), for
    funding's charge (funding's caller has checked its post and area)."""
    month = parse_month(month, field="month", required=True)
    rows = ProviderStatement.objects.filter(area__code__startswith=county_code, month=month,
                                            payment_status=PaymentStatus.DUE, amount__gt=0) \
        .select_related("contract", "contract__provider").order_by("contract_id")
    return [StatementDue(s.pk, s.contract_id, s.contract.reference, s.contract.provider_id, s.contract.provider.name,
                         s.contract.provider.uscc, s.area_id, s.month, s.tasks_accepted, s.amount) for s in rows]


def _move(actor: Actor, statement_ids, to: str, **fields) -> list[ProviderStatement]:
    ids = sorted({int(i) for i in statement_ids})
    rows = list(ProviderStatement.objects.select_for_update().filter(pk__in=ids))
    if len(rows) != len(ids):
        raise ValidationError(_("Some of the statements named do not exist."), field="statements")
    for s in rows:
        actor.require_area(s.area_id)
        if (s.payment_status, to) not in PAYMENT_TRANSITIONS:
            raise Conflict(_("Statement %(ref)s is %(status)s: it cannot become %(to)s.") % {
                "ref": str(s), "status": s.get_payment_status_display(), "to": PaymentStatus(to).label},
                code="wrong_status")
    ProviderStatement.objects.filter(pk__in=ids).update(payment_status=to, **fields)
    for s in rows:
        record_event(actor=actor, action=f"services.statement_{to}", obj=s, before={"payment_status": s.payment_status},
                     after={"payment_status": to, **{k: str(v) for k, v in fields.items()}})
        s.payment_status = to
        for name, value in fields.items():
            setattr(s, name, value)
    return rows


@transaction.atomic
def record_charge(*, actor: Actor, statement_ids, reference: str) -> list[ProviderStatement]:
    """Funding charged these statements to a budget line (`reference` names the charge). Runs in
    the caller's transaction: the charge and this record stand or fall together."""
    actor.require(CHARGE)
    reference = clean_field(reference, "reference", max_length=60, required=True)
    return _move(actor, statement_ids, PaymentStatus.CHARGED, charge_reference=reference, charged_at=timezone.now())


@transaction.atomic
def record_payment(*, actor: Actor, statement_ids, paid_on) -> list[ProviderStatement]:
    """The bank paid the charged statements on `paid_on`."""
    actor.require(CHARGE)
    paid_on = parse_date(paid_on, field="paid_on", required=True)
    return _move(actor, statement_ids, PaymentStatus.PAID, paid_on=paid_on)

