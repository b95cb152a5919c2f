"""Budget lines and what is spent against them (issue 19 part 3).

A `BudgetLine` is a year's money of a county (its own spending) or a town for one kind: work
expenses, work subsidies, purchased services (`set_budget_line`, `funding.budget`). Spending is
charged by ONE function, `charge_budget`, which every paying part calls inside its own write: a
subsidy run on its approval (subsidy_runs.py), and the purchased services' provider payments and
project funding. A charge:

- goes to the line of the spending area, year and kind: the town's own line, else its county's;
  none → refused, saying which line is missing (`no_budget_line`);
- is recorded once per source (`source_kind` + `source_key`, unique in the database): charging
  the same source again with the same amount returns the charge made, with another amount is
  refused;
- warns when the line's spending after it reaches `budget_warning_ratio` (a WORKFORCE parameter
  of the line's area), with how many months the rest lasts at this year's rate (forecast.py);
- is refused past the line (`budget_overrun`), unless a post holding `funding.approve_overrun`
  (the county leader) approved that very source beforehand with a reason (`approve_overrun`: who,
  why and up to how much), and the charge keeps who approved it.

The caller checks its own permission (approving a run, paying a provider); `charge_budget`
checks the area is the actor's and runs inside the caller's transaction, so a refusal undoes the
caller's write with it.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _, pgettext

from safetynet.areas.models import Area
from safetynet.core.audit import record_event
from safetynet.core.errors import Conflict, NotFound, ValidationError
from safetynet.core.money import format_yuan, parse_money
from safetynet.core.scoping import Actor, get_in_scope, in_scope
from safetynet.core.text import clean_field, checked_choice
from safetynet.programs.catalogue import WORKFORCE
from safetynet.programs.selectors import parameters_for

from . import forecast
from .models import BudgetCharge, BudgetKind, BudgetLine, OverrunApproval
from .scope import APPROVE_OVERRUN, BUDGET, VIEW, area_in_scope

MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_BUDGET = Decimal("999999999999.99")


class BudgetOverrun(Conflict):
    """The charge would pass its budget line and no county leader approved it."""

    code = "budget_overrun"


# ---------------------------------------------------------------------------------------------
# Budget lines
# ---------------------------------------------------------------------------------------------
def _year(value) -> int:
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError(_("Give the year as four digits, e.g. 2025."), field="year")
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationError(_("Give a year from %(min)s to %(max)s.") % {"min": MIN_YEAR, "max": MAX_YEAR}, field="year")
    return year


def _kind(value) -> str:
    # The kinds are named from BudgetKind itself, so a kind added later (medical assistance,
    # issue 20) is in the message without anyone remembering to add it.
    kinds = pgettext("list separator", ", ").join(str(label) for label in BudgetKind.labels)
    return checked_choice(value, BudgetKind.values, "kind", _("Choose the kind of spending: %(kinds)s.") % {"kinds": kinds})


def kind_label(kind: str) -> str:
    return str(BudgetKind(kind).label) if kind in BudgetKind.values else kind


def describe(line: BudgetLine) -> str:
    """"the 2025 work subsidies budget of 正定镇" as a refusal or a warning names a line."""
    return _("the %(year)s %(kind)s budget of %(area)s") % {"year": line.year, "kind": kind_label(line.kind),
                                                            "area": line.area.name}


def budget_lines_in_scope(actor: Actor, *, year: int | None = None, kind: str = "", area: str = "") -> QuerySet[BudgetLine]:
    """The lines of the county or towns in the post's area (a town post: its own town's)."""
    actor.require(VIEW)
    qs = in_scope(BudgetLine.objects.select_related("area", "set_by"), actor)
    if year:
        qs = qs.filter(year=year)
    if kind:
        qs = qs.filter(kind=kind)
    if area:
        qs = qs.filter(area_id=area)
    return qs.order_by("-year", "area_id", "kind")


def get_budget_line(actor: Actor, line_id) -> BudgetLine:
    actor.require(VIEW)
    try:
        return get_in_scope(BudgetLine.objects.select_related("area"), actor, pk=int(line_id))
    except (TypeError, ValueError):
        raise NotFound(_("Not found."))


def spent_by_line(line_ids) -> dict[int, Decimal]:
    rows = (BudgetCharge.objects.filter(line_id__in=list(line_ids)).values("line_id").order_by()
            .annotate(total=Sum("amount")))
    return {row["line_id"]: row["total"] or Decimal("0.00") for row in rows}


@transaction.atomic(durable=True)
def set_budget_line(*, actor: Actor, year, area_code: str, kind: str, amount, note: str = "") -> BudgetLine:
    """Set (create or change) the budget of a county or a town for a year and kind. Lowering a
    line below what was already spent against it is refused, with the amount spent."""
    actor.require(BUDGET)
    area = area_in_scope(actor, area_code)
    year, kind = _year(year), _kind(kind)
    amount = parse_money(amount, field="amount", maximum=MAX_BUDGET)
    note = clean_field(note, "note", max_length=200)
    line = BudgetLine.objects.select_for_update().filter(area=area, year=year, kind=kind).first()
    before = None
    if line is not None:
        spent = spent_by_line([line.pk]).get(line.pk, Decimal("0.00"))
        if amount < spent:
            raise ValidationError(_("%(line)s has %(spent)s spent already: it cannot be set below that.")
                                  % {"line": describe(line), "spent": format_yuan(spent)}, field="amount",
                                  code="below_spent")
        before = {"amount": line.amount, "note": line.note}
        line.amount, line.note, line.set_by_id = amount, note, actor.user_id
        line.save(update_fields=["amount", "note", "set_by", "updated_at"])
    else:
        line = BudgetLine.objects.create(year=year, area=area, kind=kind, amount=amount, note=note, set_by_id=actor.user_id)
    record_event(actor=actor, action="funding.set_budget_line", obj=line, before=before,
                 after={"year": year, "area": area.code, "kind": kind, "amount": amount, "note": note})
    return line


@transaction.atomic(durable=True)
def remove_budget_line(*, actor: Actor, line_id: int) -> None:
    """Take away a line nothing was charged to (a line with charges is kept: they point at it)."""
    actor.require(BUDGET)
    line = get_in_scope(BudgetLine.objects.select_for_update().select_related("area"), actor, pk=line_id)
    if BudgetCharge.objects.filter(line=line).exists() or OverrunApproval.objects.filter(line=line).exists():
        raise Conflict(_("%(line)s has charges: it can be changed, not removed.") % {"line": describe(line)},
                       code="line_has_charges")
    record_event(actor=actor, action="funding.remove_budget_line", obj=line,
                 before={"year": line.year, "area": line.area_id, "kind": line.kind, "amount": line.amount})
    line.delete()


# ---------------------------------------------------------------------------------------------
# Charging
# ---------------------------------------------------------------------------------------------
def warning_ratio(area_code: str, on: dt.date) -> Decimal:
    return Decimal(str(parameters_for(WORKFORCE, area_code, on)["budget_warning_ratio"]))


def line_for(area_code: str, year: int, kind: str) -> BudgetLine | None:
    """The line a spending area's charge goes to: the town's own line, else its county's."""
    codes = [c for c in {area_code[:9], area_code[:6]} if len(c) in (6, 9)]
    lines = list(BudgetLine.objects.filter(year=year, kind=kind, area_id__in=codes).select_related("area"))
    return max(lines, key=lambda line: len(line.area_id), default=None)


@dataclass
class ChargeCheck:
    """What a charge would do to its line (nothing written)."""

    line: BudgetLine
    amount: Decimal
    spent_before: Decimal
    warning_ratio: Decimal
    months_elapsed: int

    @property
    def spent_after(self) -> Decimal:
        return self.spent_before + self.amount

    @property
    def left_after(self) -> Decimal:
        return self.line.amount - self.spent_after

    @property
    def overrun(self) -> Decimal:
        """How far past the line the charge goes (0 within it)."""
        return max(self.spent_after - self.line.amount, Decimal("0.00"))

    @property
    def state(self) -> str:
        return forecast.state_of(budget=self.line.amount, spent=self.spent_after, warning_ratio=self.warning_ratio)

    @property
    def months_left(self) -> int | None:
        return forecast.months_left(budget=self.line.amount, spent=self.spent_after, months_elapsed=self.months_elapsed)

    def refusal(self) -> str:
        return (_("%(line)s (%(budget)s) has %(left)s left: this charge of %(amount)s would pass it by %(over)s. A county "
                  "leader must approve the overrun, with a reason, before it is charged.")
                % {"line": describe(self.line), "budget": format_yuan(self.line.amount),
                   "left": format_yuan(max(self.line.amount - self.spent_before, Decimal("0.00"))),
                   "amount": format_yuan(self.amount), "over": format_yuan(self.overrun)})

    def warning(self) -> str:
        """Said when the line warns after the charge ("" otherwise)."""
        if self.state == forecast.OK:
            return ""
        share = forecast.share_spent(budget=self.line.amount, spent=self.spent_after)
        text = _("%(line)s is %(share)s%% spent (%(spent)s of %(budget)s).") % {
            "line": describe(self.line), "share": f"{share * 100:.0f}" if share is not None else "—",
            "spent": format_yuan(self.spent_after), "budget": format_yuan(self.line.amount)}
        months = self.months_left
        if self.state == forecast.EXHAUSTED:
            return text + " " + _("Nothing is left of it.")
        if months is not None:
            return text + " " + _("At this year's rate it runs out in %(n)s months.") % {"n": months}
        return text


def check_charge(*, area_code: str, year: int, kind: str, amount: Decimal, on: dt.date, lock: bool = False) -> ChargeCheck:
    """How a charge of `amount` by `area_code` would stand against its line; refused
    (`no_budget_line`) when the area has no line for the year and kind."""
    line = line_for(area_code, year, kind)
    if line is None:
        area = Area.objects.filter(code=area_code).values_list("name", flat=True).first() or area_code
        raise ValidationError(_("No %(year)s %(kind)s budget is set for %(area)s or its county: the county sets the "
                                "budget line before money is spent from it.")
                              % {"year": year, "kind": kind_label(kind), "area": area}, field="budget",
                              code="no_budget_line")
    if lock:
        line = BudgetLine.objects.select_for_update().select_related("area").get(pk=line.pk)
    spent = spent_by_line([line.pk]).get(line.pk, Decimal("0.00"))
    return ChargeCheck(line=line, amount=amount, spent_before=spent, warning_ratio=warning_ratio(line.area_id, on),
                       months_elapsed=forecast.months_elapsed(year=year, month=on.month, as_of_year=on.year))


@dataclass
class ChargeResult:
    charge: BudgetCharge
    check: ChargeCheck
    created: bool

    @property
    def warning(self) -> str:
        return self.check.warning()


def _amount(value) -> Decimal:
    amount = parse_money(value, field="amount", maximum=MAX_BUDGET)
    if amount <= 0:
        raise ValidationError(_("A charge is more than zero."), field="amount")
    return amount


def charge_budget(*, actor: Actor, area_code: str, kind: str, amount, source_kind: str, source_key: str, on: dt.date,
                  year: int | None = None, description: str = "") -> ChargeResult:
    """Charge `amount` spent by `area_code` (a town or the county) to its budget line of `year`
    (default: the year of `on`) and `kind`, once per (`source_kind`, `source_key`). Runs in the
    caller's transaction. Refusals: no line (ValidationError `no_budget_line`), past the line
    without an approved overrun (`BudgetOverrun`), the same source with another amount
    (Conflict). `result.warning` says when the line is near its end."""
    actor.require_area(area_code)
    kind = _kind(kind)
    amount = _amount(amount)
    year = _year(year if year is not None else on.year)
    source_kind = clean_field(source_kind, "source_kind", max_length=32, required=True)
    source_key = clean_field(source_key, "source_key", max_length=64, required=True)
    description = clean_field(description, "description", max_length=200)
    with transaction.atomic():
        check = check_charge(area_code=area_code, year=year, kind=kind, amount=amount, on=on, lock=True)
        done = BudgetCharge.objects.filter(source_kind=source_kind, source_key=source_key).select_related("line").first()
        if done is not None:
            if done.amount != amount:
                raise Conflict(_("%(source)s was charged %(charged)s already: it cannot be charged %(amount)s again.")
                               % {"source": f"{source_kind} {source_key}", "charged": format_yuan(done.amount),
                                  "amount": format_yuan(amount)}, field="amount", code="charged_already")
            check.spent_before -= amount
            return ChargeResult(charge=done, check=check, created=False)
        approval = None
        if check.overrun > 0:
            approval = OverrunApproval.objects.filter(source_kind=source_kind, source_key=source_key,
                                                      line=check.line).first()
            if approval is None or approval.amount < amount:
                raise BudgetOverrun(check.refusal(), field="amount")
        charge = BudgetCharge.objects.create(
            line=check.line, area_id=area_code, amount=amount, source_kind=source_kind, source_key=source_key,
            description=description, charged_on=on, charged_by_id=actor.user_id, overrun=approval,
            approved_by_id=approval.approved_by_id if approval else None)
        record_event(actor=actor, action="funding.charge_budget", obj=charge, after={
            "line": check.line.pk, "area": area_code, "kind": kind, "year": year, "amount": amount,
            "source": f"{source_kind}:{source_key}", "spent_after": check.spent_after, "state": check.state,
            "overrun_approved_by": approval.approved_by_username if approval else ""})
    return ChargeResult(charge=charge, check=check, created=True)


def record_overrun(*, actor: Actor, area_code: str, year: int, kind: str, source_kind: str, source_key: str, amount,
                   reason: str) -> OverrunApproval:
    """`approve_overrun` inside the caller's transaction (a subsidy run's approval)."""
    actor.require(APPROVE_OVERRUN)
    actor.require_area(area_code)
    kind, year, amount = _kind(kind), _year(year), _amount(amount)
    reason = clean_field(reason, "reason", max_length=500, required=True)
    source_kind = clean_field(source_kind, "source_kind", max_length=32, required=True)
    source_key = clean_field(source_key, "source_key", max_length=64, required=True)
    line = line_for(area_code, year, kind)
    if line is None:
        raise ValidationError(_("No %(year)s %(kind)s budget is set for this area or its county: there is no line to "
                                "pass.") % {"year": year, "kind": kind_label(kind)}, field="budget", code="no_budget_line")
    if BudgetCharge.objects.filter(source_kind=source_kind, source_key=source_key).exists():
        raise Conflict(_("%(source)s is charged already.") % {"source": f"{source_kind} {source_key}"},
                       code="charged_already")
    approval, created = OverrunApproval.objects.update_or_create(
        source_kind=source_kind, source_key=source_key,
        defaults={"line": line, "amount": amount, "reason": reason, "approved_by_id": actor.user_id,
                  "approved_by_username": actor.username})
    record_event(actor=actor, action="funding.approve_overrun", obj=approval, after={
        "line": line.pk, "area": area_code, "kind": kind, "year": year, "amount": amount, "reason": reason,
        "source": f"{source_kind}:{source_key}", "replaced": not created})
    return approval


@transaction.atomic(durable=True)
def approve_overrun(*, actor: Actor, area_code: str, year: int, kind: str, source_kind: str, source_key: str, amount,
                    reason: str) -> OverrunApproval:
    """A county leader's approval, with a reason, that the charge of `source_kind`/`source_key`
    (up to `amount`) may pass the area's budget line: recorded before the charge, which then keeps
    who approved it."""
    return record_overrun(actor=actor, area_code=area_code, year=year, kind=kind, source_kind=source_kind,
                          source_key=source_key, amount=amount, reason=reason)


def charges_in_scope(actor: Actor, *, line_id: int | None = None, year: int | None = None) -> QuerySet[BudgetCharge]:
    actor.require(VIEW)
    qs = in_scope(BudgetCharge.objects.select_related("line", "line__area", "area", "approved_by", "overrun"), actor,
                  "line__area")
    if line_id:
        qs = qs.filter(line_id=line_id)
    if year:
        qs = qs.filter(line__year=year)
    return qs.order_by("-charged_on", "-id")


# ---------------------------------------------------------------------------------------------
# Spending against the budget
# ---------------------------------------------------------------------------------------------
@dataclass
class LineState:
    line: BudgetLine
    spent: Decimal
    charges: int
    warning_ratio: Decimal
    months_elapsed: int

    @property
    def left(self) -> Decimal:
        return self.line.amount - self.spent

    @property
    def share(self) -> Decimal | None:
        return forecast.share_spent(budget=self.line.amount, spent=self.spent)

    @property
    def percent(self) -> int:
        share = self.share
        return min(int(share * 100), 100) if share is not None else 100

    @property
    def state(self) -> str:
        return forecast.state_of(budget=self.line.amount, spent=self.spent, warning_ratio=self.warning_ratio)

    @property
    def months_left(self) -> int | None:
        return forecast.months_left(budget=self.line.amount, spent=self.spent, months_elapsed=self.months_elapsed)

    @property
    def warning(self) -> str:
        check = ChargeCheck(line=self.line, amount=Decimal("0.00"), spent_before=self.spent,
                            warning_ratio=self.warning_ratio, months_elapsed=self.months_elapsed)
        return check.warning()


def spending(actor: Actor, *, year: int, on: dt.date, kind: str = "") -> list[LineState]:
    """Budget against spending for each line of the year in the post's area (a town post: its
    town's lines), with its state and forecast as of `on`."""
    lines = list(budget_lines_in_scope(actor, year=year, kind=kind))
    totals = {row["line_id"]: row for row in BudgetCharge.objects.filter(line_id__in=[line.pk for line in lines])
              .values("line_id").order_by().annotate(total=Sum("amount"), n=Count("id"))}
    elapsed = forecast.months_elapsed(year=year, month=on.month, as_of_year=on.year)
    month = dt.date(year, on.month if on.year == year else 12, 1)
    return [LineState(line=line, spent=(totals.get(line.pk) or {}).get("total") or Decimal("0.00"),
                      charges=(totals.get(line.pk) or {}).get("n") or 0,
                      warning_ratio=warning_ratio(line.area_id, month), months_elapsed=elapsed)
            for line in lines]


def warnings(actor: Actor, *, year: int, on: dt.date) -> list[LineState]:
    """The lines of the year that warn or are used up, most spent first."""
    states = [s for s in spending(actor, year=year, on=on) if s.state != forecast.OK]
    return sorted(states, key=lambda s: -(s.share or 0))


def monthly_spending(actor: Actor, *, year: int) -> dict[str, list[Decimal]]:
    """Spending of each month of the year (12 values) by kind, over the lines in the post's area."""
    series: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal("0.00")] * 12)
    rows = (charges_in_scope(actor, year=year).order_by().annotate(month=TruncMonth("charged_on"))
            .values("line__kind", "month").annotate(total=Sum("amount")))
    for row in rows:
        month = row["month"]
        if month is None:
            continue
        # A line's money charged after its year (December's subsidies approved in January) counts
        # in its last month, before it (an advance) in its first.
        index = month.month - 1 if month.year == year else (11 if month.year > year else 0)
        series[row["line__kind"]][index] += row["total"] or Decimal("0.00")
    return {kind: series[kind] for kind in BudgetKind.values}
