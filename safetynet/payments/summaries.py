"""A run's figures by grouped queries: totals, totals by town and program, and the change from
last month explained (new, ended, changed amounts). Nothing here loops over payments in Python."""
from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, Substr

from safetynet.areas.models import Area
from safetynet.programs.models import Program

from .models import Payment, PaymentKind, PayrollRun

ZERO = Decimal("0.00")


def _money(value) -> str:
    return f"{(value or ZERO):.2f}"


def run_totals(run: PayrollRun) -> dict:
    """Counts and sums: all the run's payments, those without a bank account (listed, not sent)
    and the payable rest. Classed by the row's own account, not its status, so the figures of a
    frozen run stay what they were when a failed or unpaid row is later carried over."""
    rows = (Payment.objects.filter(run=run)
            .aggregate(n=Count("id"), total=Sum("amount"),
                       no_account_n=Count("id", filter=Q(bank_account="")),
                       no_account_total=Sum("amount", filter=Q(bank_account=""))))
    total = rows["total"] or ZERO
    no_account = rows["no_account_total"] or ZERO
    return {"payment_count": rows["n"], "total_amount": total, "no_account_count": rows["no_account_n"],
            "no_account_amount": no_account, "payable_count": rows["n"] - rows["no_account_n"],
            "payable_amount": total - no_account}


def totals_by_town_and_program(run: PayrollRun) -> list[dict]:
    rows = (Payment.objects.filter(run=run)
            .annotate(town=Substr("area_id", 1, 9)).values("town", "program_id")
            .annotate(n=Count("id"), total=Sum("amount"),
                      no_account=Count("id", filter=Q(bank_account="")))
            .order_by("town", "program_id"))
    rows = list(rows)
    towns = dict(Area.objects.filter(code__in={r["town"] for r in rows}).values_list("code", "name"))
    programs = {p.pk: str(p) for p in Program.objects.filter(pk__in={r["program_id"] for r in rows})}
    return [{"town": r["town"], "town_name": towns.get(r["town"], r["town"]), "program": r["program_id"],
             "program_name": str(programs.get(r["program_id"], r["program_id"])), "count": r["n"],
             "total": _money(r["total"]), "no_account": r["no_account"]} for r in rows]


def previous_run(run: PayrollRun) -> PayrollRun | None:
    return PayrollRun.objects.filter(area_id=run.area_id, month__lt=run.month).order_by("-month").first()


def change_from_previous(run: PayrollRun) -> dict:
    """This month's regular payments against the previous run's, by enrollment: new enrollments,
    ended ones, and changed amounts (with the sum of the differences); plus arrears and carried rows."""
    prev = previous_run(run)
    this = Payment.objects.filter(run=run, kind=PaymentKind.REGULAR)
    extra = (Payment.objects.filter(run=run).exclude(kind=PaymentKind.REGULAR)
             .values("kind").annotate(n=Count("id"), total=Sum("amount")))
    result = {"previous_run": prev.code if prev else "", "previous_month": prev.month.isoformat() if prev else "",
              "previous_total": _money(prev.total_amount) if prev else "0.00",
              "total_change": _money(run_totals(run)["total_amount"] - (prev.total_amount if prev else ZERO)),
              "arrears": {"count": 0, "total": "0.00"}, "carried": {"count": 0, "total": "0.00"}}
    for row in extra:
        result[row["kind"]] = {"count": row["n"], "total": _money(row["total"])}
    if prev is None:
        agg = this.aggregate(n=Count("id"), total=Sum("amount"))
        result.update(new={"count": agg["n"], "total": _money(agg["total"])}, ended={"count": 0, "total": "0.00"},
                      changed={"count": 0, "delta": "0.00"})
        return result
    before = Payment.objects.filter(run=prev, kind=PaymentKind.REGULAR)
    in_before = before.filter(enrollment_id=OuterRef("enrollment_id"))
    in_this = this.filter(enrollment_id=OuterRef("enrollment_id"))
    new = this.filter(~Exists(in_before)).aggregate(n=Count("id"), total=Sum("amount"))
    ended = before.filter(~Exists(in_this)).aggregate(n=Count("id"), total=Sum("amount"))
    changed = (this.annotate(old=Subquery(in_before.values("amount")[:1])).filter(old__isnull=False)
               .exclude(amount=F("old"))
               .aggregate(n=Count("id"), delta=Coalesce(Sum(F("amount") - F("old")), ZERO)))
    result.update(new={"count": new["n"], "total": _money(new["total"])},
                  ended={"count": ended["n"], "total": _money(ended["total"])},
                  changed={"count": changed["n"], "delta": _money(changed["delta"])})
    return result
