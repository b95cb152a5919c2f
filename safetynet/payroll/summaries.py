"""A run's figures by grouped queries: totals, totals by town and program, and the change from
last month explained (new, ended, changed amounts), for the whole county (stored on the run at
generation) or for the payments under one area (a town post's view, `selectors.run_figures`).
Nothing here loops over payments in Python:
one grouped scan of the run (by village, program and kind: a few hundred rows) feeds every total,
and one join against the previous run's rows explains the change."""
from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, Sum

from safetynet.areas.models import Area
from safetynet.programs.models import Program

from .models import Payment, PaymentKind, PayrollRun

ZERO = Decimal("0.00")


def _money(value) -> str:
    return f"{Decimal(value or 0):.2f}"


_FIGURES = {"n": Count("id"), "total": Sum("amount"), "na_n": Count("id", filter=Q(bank_account="")),
            "na_total": Sum("amount", filter=Q(bank_account=""))}


def grouped(run: PayrollRun, *, area_prefix: str = "") -> list[dict]:
    """The run by village, program and kind (only the payments under `area_prefix` when given);
    "no account" is classed by the row's own account, not its status, so the figures of a frozen
    run stay what they were when an unpaid row is later carried over."""
    qs = Payment.objects.filter(run=run)
    if area_prefix:
        qs = qs.filter(area__code__startswith=area_prefix)
    return list(qs.order_by().values("area_id", "program_id", "kind").annotate(**_FIGURES))


def totals_of_runs(run_ids: list[int], *, area_prefix: str) -> dict[int, dict]:
    """`run_totals` of several runs over their payments under `area_prefix`, in one grouped query
    (a list of runs as a town post sees it)."""
    rows = (Payment.objects.filter(run_id__in=run_ids, area__code__startswith=area_prefix).order_by()
            .values("run_id").annotate(**_FIGURES))
    by_run = {r["run_id"]: run_totals(None, [r]) for r in rows}
    return {run_id: by_run.get(run_id) or run_totals(None, []) for run_id in run_ids}


def run_totals(run: PayrollRun | None, rows: list[dict] | None = None) -> dict:
    rows = grouped(run) if rows is None else rows
    total = sum((r["total"] or ZERO for r in rows), ZERO)
    count = sum(r["n"] for r in rows)
    no_account = sum((r["na_total"] or ZERO for r in rows), ZERO)
    no_account_count = sum(r["na_n"] for r in rows)
    return {"payment_count": count, "total_amount": total, "no_account_count": no_account_count,
            "no_account_amount": no_account, "payable_count": count - no_account_count,
            "payable_amount": total - no_account}


def totals_by_town_and_program(run: PayrollRun, rows: list[dict] | None = None) -> list[dict]:
    rows = grouped(run) if rows is None else rows
    towns: dict[tuple, dict] = {}
    for r in rows:  # a few hundred grouped rows, not payments
        key = (r["area_id"][:9], r["program_id"])
        slot = towns.setdefault(key, {"count": 0, "total": ZERO, "no_account": 0})
        slot["count"] += r["n"]
        slot["total"] += r["total"] or ZERO
        slot["no_account"] += r["na_n"]
    names = dict(Area.objects.filter(code__in={k[0] for k in towns}).values_list("code", "name"))
    programs = {p.pk: str(p) for p in Program.objects.filter(pk__in={k[1] for k in towns})}
    return [{"town": town, "town_name": names.get(town, town), "program": program,
             "program_name": programs.get(program, program), "count": v["count"], "total": _money(v["total"]),
             "no_account": v["no_account"]} for (town, program), v in sorted(towns.items())]


def by_kind(rows: list[dict]) -> dict:
    kinds = {kind: {"count": 0, "total": ZERO} for kind in PaymentKind.values}
    for r in rows:
        kinds[r["kind"]]["count"] += r["n"]
        kinds[r["kind"]]["total"] += r["total"] or ZERO
    return {k: {"count": v["count"], "total": _money(v["total"])} for k, v in kinds.items()}


def previous_run(run: PayrollRun) -> PayrollRun | None:
    return PayrollRun.objects.filter(area_id=run.area_id, month__lt=run.month).order_by("-month").first()


def change_from_previous(run: PayrollRun, rows: list[dict] | None = None, *, area_prefix: str = "") -> dict:
    """This month's regular payments against the previous run's, by enrollment: new enrollments,
    ended ones, and changed amounts (with the sum of the differences); plus arrears and carried.
    With `area_prefix`, both runs' payments under it only (`rows` grouped the same way).

    One pass: each regular row of this run looks up the previous run's row of the same enrollment
    through the unique (month, enrollment) index. Ended = the previous run's regular rows that
    found no partner here (its count and total minus the matched ones)."""
    rows = grouped(run, area_prefix=area_prefix) if rows is None else rows
    kinds = by_kind(rows)
    this_total = run_totals(run, rows)["total_amount"]
    prev = previous_run(run)
    prev_total = prev.total_amount if prev else ZERO
    if prev and area_prefix:
        prev_total = run_totals(prev, grouped(prev, area_prefix=area_prefix))["total_amount"]
    result = {"previous_run": prev.code if prev else "", "previous_month": prev.month.isoformat() if prev else "",
              "previous_total": _money(prev_total), "total_change": _money(this_total - prev_total),
              "arrears": kinds["arrears"], "carried": kinds["carried"], "regular": kinds["regular"]}
    if prev is None:
        result.update(new=kinds["regular"], ended={"count": 0, "total": "0.00"}, changed={"count": 0, "delta": "0.00"})
        return result
    prev_regular = None if area_prefix else (prev.summary or {}).get("change", {}).get("regular")
    if not prev_regular:
        agg = (Payment.objects.filter(run=prev, kind=PaymentKind.REGULAR, area__code__startswith=area_prefix)
               .aggregate(n=Count("id"), total=Sum("amount")))
        prev_regular = {"count": agg["n"], "total": _money(agg["total"])}
    table = Payment._meta.db_table
    # Under an area, a row of each run pairs only with a row of the same area: a household that
    # moved between towns ended in one and is new in the other.
    pair_in_area, in_area = ("AND p.area_id LIKE %s ", "AND t.area_id LIKE %s") if area_prefix else ("", "")
    like = [area_prefix + "%"] if area_prefix else []
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(p.id), SUM(p.amount), "
            f"SUM(CASE WHEN p.id IS NULL THEN 1 ELSE 0 END), SUM(CASE WHEN p.id IS NULL THEN t.amount ELSE 0 END), "
            f"SUM(CASE WHEN p.id IS NOT NULL AND p.amount <> t.amount THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN p.id IS NOT NULL THEN t.amount - p.amount ELSE 0 END) "
            f"FROM {table} t LEFT JOIN {table} p ON p.month = %s AND p.enrollment_id = t.enrollment_id "
            f"AND NOT (p.status = 'carried_over') AND p.run_id = %s AND p.kind = 'regular' {pair_in_area}"
            f"WHERE t.run_id = %s AND t.kind = 'regular' {in_area}", [prev.month, prev.pk, *like, run.pk, *like])
        matched, matched_total, new_n, new_total, changed_n, delta = cursor.fetchone()
    result.update(
        new={"count": int(new_n or 0), "total": _money(new_total)},
        ended={"count": prev_regular["count"] - int(matched or 0),
               "total": _money(Decimal(prev_regular["total"]) - Decimal(matched_total or 0))},
        changed={"count": int(changed_n or 0), "delta": _money(delta)})
    return result
