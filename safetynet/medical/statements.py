"""Institutions' monthly statements, their claims, and their payment (issue 20 part 3; POLICY.md §4:
"SafetyNet reimburses the institution monthly"; models in statement_models.py).

- `generate_statements` states a county's month once it has ended, set-based (a handful of
  statements whatever the number of settlements): every one-stop settlement of the county's
  institutions settled by the month's end and on no statement yet goes onto the institution's
  statement of the month (a late one of an earlier month too), unless that statement is approved
  already: then it waits for the next month's. A settlement stated on an approved statement and
  reversed since is deducted once, on the first open statement after its reversal; a settlement
  reversed while its statement was still open comes off it (it was never paid: it nets to
  nothing). A statement whose net was below zero is carried into the institution's next one.
  Running it again adds only what is new, and compares each open statement with its claim again.
- `submit_claim` keeps the institution's own claim (once per institution and month, replaced while
  the statement is open) and compares it at once; `reconcile_statement` compares on the county's
  request (no claim: the statement differs by that). Each difference is listed: the counts, the
  totals, visits claimed that are not on the statement, visits on it not claimed, amounts that
  differ.
- `approve_statement`: a county leader who did not generate it (`bankfiles.require_other_checker`
  and the database's check) approves a reconciled statement, or a discrepant one with a note
  saying why (our settlements are the record). The net is charged to the county's medical
  assistance budget (`funding.budgets.charge_budget`; its refusals refuse the approval); a net of
  zero or below is not paid and not charged: it is carried into the institution's next statement.
- `export_payment_run` / `import_payment_returns`: the month's run of the county, paid through the
  payroll's machinery (`payroll/bankfiles.py`): one bank row per institution (its account, account
  name, net, reference); an institution without an account is listed, not paid; a statement the
  bank failed or that had no account is paid by the county's next run exported.
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from django.db import IntegrityError, connection, transaction
from django.db.models import CharField, Count, Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce, Concat, NullIf
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.areas.models import Area, Level
from safetynet.cases import clocks
from safetynet.core.audit import record_event
from safetynet.core.dates import parse_month
from safetynet.core.errors import Conflict, NotFound, ValidationError
from safetynet.core.money import format_yuan, money_text, parse_money
from safetynet.core.scoping import Actor, get_in_scope
from safetynet.core.text import clean_field, clean_text
from safetynet.funding import budgets
from safetynet.funding.models import BudgetKind
from safetynet.payroll import bankfiles

from .models import Institution, Settlement, SettlementSource, SettlementStatus
from .statement_models import (
    FROZEN_STATEMENT_STATUSES,
    OPEN_STATEMENT_STATUSES,
    MedicalClaim,
    MedicalClaimVisit,
    MedicalPaymentRun,
    MedicalPaymentRunStatus,
    MedicalStatement,
    MedicalStatementStatus,
)

VIEW = "medical.view"
STATEMENTS = "medical.statements"
APPROVE = "medical.approve_payment"
SOURCE = "medical_statement"          # the budget charge's source kind (its key: the statement's id)
FOLDER = "medical"                    # the private folder of the bank files
MAX_VISITS = 50_000                   # visits a claim may list
LISTED = 100                          # differences listed of each kind (all are counted)
MAX_TOTAL = Decimal("999999999999.99")
Status = MedicalStatementStatus

# Which status a step takes a statement from (one table; the set-based writes filter on it too).
TRANSITIONS = {
    "state": OPEN_STATEMENT_STATUSES,                      # settlements added or taken off by a generation
    "reconcile": OPEN_STATEMENT_STATUSES,                  # → reconciled | discrepant
    "approve": (Status.RECONCILED, Status.DISCREPANT),     # → approved | carried
    "export": (Status.APPROVED,),                          # → exported | no_account
    "pay_again": (Status.FAILED, Status.NO_ACCOUNT),       # → approved, in a later run
    "returns": (Status.EXPORTED,),                         # → paid | failed (bankfiles.apply_returns)
}


def status_label(status: str) -> str:
    return str(Status(status).label) if status in Status.values else status


def run_code(county: str, month: dt.date) -> str:
    """YL (医疗) + county + YYYYMM: never a payroll or subsidy run's code, so a bank's return file
    of one kind of run is never read as another's."""
    return f"YL{county}{month:%Y%m}"


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def last_ended_month(today: dt.date) -> dt.date:
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def ended_month(value, today: dt.date) -> dt.date:
    """The month given (YYYY-MM), refused unless it has ended: a month is stated, and claimed,
    after its last day, when no settlement of it can still come in on time."""
    month = parse_month(value, field="month", required=True)
    if month > last_ended_month(today):
        raise ValidationError(_("%(month)s has not ended yet: a month is stated after its last day (the latest that can "
                                "be stated now is %(latest)s).")
                              % {"month": f"{month:%Y-%m}", "latest": f"{last_ended_month(today):%Y-%m}"},
                              field="month", code="month_not_ended")
    return month


def county_in_scope(actor: Actor, code: str) -> Area:
    """The county a run is for, in the post's scope (NotFound outside it)."""
    code = (code or "").strip()
    actor.require_area(code)
    county = Area.objects.filter(code=code).first() if code else None
    if county is None:
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": code or "—"}, field="county")
    if county.level != Level.COUNTY:
        raise ValidationError(_("%(name)s is not a county: institutions' statements are stated per county.")
                              % {"name": county.name}, field="county")
    return county


def require_step(statement: MedicalStatement, step: str) -> None:
    """The statement's status allows `step` (TRANSITIONS), or a refusal saying why not."""
    if statement.status in TRANSITIONS[step]:
        return
    what = {"institution": statement.institution.name, "month": f"{statement.month:%Y-%m}",
            "status": status_label(statement.status)}
    if step == "approve" and statement.status == Status.DRAFT:
        raise Conflict(_("The statement of %(institution)s for %(month)s has not been compared with the institution's "
                         "claim yet: reconcile it first.") % what, code="not_reconciled")
    if statement.status in FROZEN_STATEMENT_STATUSES and step in ("state", "reconcile", "approve"):
        raise Conflict(_("The statement of %(institution)s for %(month)s is approved already (%(status)s): it is no "
                         "longer changed.") % what, code="statement_frozen")
    raise Conflict(_("The statement of %(institution)s for %(month)s is %(status)s: this cannot be done now.") % what,
                   code="wrong_status")


def _as_institution(institution: Institution) -> SimpleNamespace:
    """Who the audit ledger names for a write by an institution's system (it holds no post)."""
    return SimpleNamespace(user_id=None, username=f"institution:{institution.code}", post_id=None, role="institution",
                           area_code=institution.area_id)


# ---------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------
def _open_run(county: Area, month: dt.date) -> MedicalPaymentRun:
    """The county's run of the month, created in its own transaction (two generations queue on its
    row instead of racing)."""
    try:
        with transaction.atomic():
            run, _created = MedicalPaymentRun.objects.get_or_create(area=county, month=month,
                                                                     defaults={"code": run_code(county.code, month)})
    except IntegrityError:
        run = MedicalPaymentRun.objects.get(area=county, month=month)
    return run


def _exported_message(run: MedicalPaymentRun) -> str:
    return (_("The institutions' statements of %(month)s for %(county)s were sent to the bank (%(code)s): settlements "
              "still unstated are on next month's statements.")
            % {"month": f"{run.month:%Y-%m}", "county": run.area.name, "code": run.code})


def generate_statements(*, actor: Actor, county_code: str, month,
                        progress: Callable[[str, int, int], None] | None = None) -> MedicalPaymentRun:
    """State the county's `month` (module docstring): returns its run, `run.added` saying what
    this call did (statements made, settlements stated, reversals deducted, deficits carried,
    reversed settlements taken off open statements, settlements waiting for next month)."""
    actor.require(STATEMENTS)
    county = county_in_scope(actor, county_code)
    month = ended_month(month, clocks.today())
    run = _open_run(county, month)
    with transaction.atomic(durable=True):
        run = MedicalPaymentRun.objects.select_for_update().select_related("area").get(pk=run.pk)
        if not run.is_open:
            raise Conflict(_exported_message(run), field="month", code="run_exported")
        added = _state_month(actor, run, progress or (lambda step, number, total: None))
        refresh_run_totals(run)
        run.summary = {**(run.summary or {}), "added": added, "generated_by": actor.username,
                       "generated_at": timezone.now().isoformat()}
        run.save()
        record_event(actor=actor, action="medical.generate_statements", obj=run,
                     after={"county": county.code, "month": month, "added": added, "statements": run.statement_count,
                            "net_total": run.net_total})
    run.added = added
    return run


def _state_month(actor: Actor, run: MedicalPaymentRun, progress) -> dict:
    month, end = run.month, next_month(run.month)
    steps = 5
    institutions = Institution.objects.filter(area__code__startswith=run.area_id)
    one_stop = Settlement.objects.filter(source=SettlementSource.ONE_STOP, institution__in=institutions)
    open_statements = MedicalStatement.objects.filter(run=run, status__in=TRANSITIONS["state"])

    # 1. A settlement reversed while its statement was open was never paid: it comes off.
    dropped = Settlement.objects.filter(statement__in=open_statements, status=SettlementStatus.REVERSED).update(statement=None)
    progress("reversed settlements taken off open statements", 1, steps)

    # 2. A statement for each institution with something to state and none this month yet.
    unstated = one_stop.filter(statement__isnull=True, status=SettlementStatus.SETTLED, settled_on__lt=end)
    to_deduct = one_stop.filter(status=SettlementStatus.REVERSED, reversal_statement__isnull=True, reversed_on__lt=end,
                                statement__status__in=FROZEN_STATEMENT_STATUSES, statement__month__lt=month)
    wanted = set(unstated.order_by().values_list("institution_id", flat=True).distinct())
    wanted |= set(to_deduct.order_by().values_list("institution_id", flat=True).distinct())
    have = set(MedicalStatement.objects.filter(month=month, institution_id__in=wanted).values_list("institution_id", flat=True))
    new = [MedicalStatement(run=run, institution_id=pk, month=month, status=Status.DRAFT) for pk in sorted(wanted - have)]
    MedicalStatement.objects.bulk_create(new)
    MedicalStatement.objects.filter(run=run, reference__isnull=True).update(
        reference=Concat(Value(f"{run.code}-"), Cast("id", output_field=CharField())))
    progress("statements made", 2, steps)

    # 3. Onto the institution's open statement of the month: its unstated settlements, the
    #    reversals to deduct, the deficits carried.
    target = Subquery(MedicalStatement.objects.filter(institution_id=OuterRef("institution_id"), month=month,
                                                      status__in=TRANSITIONS["state"]).values("pk")[:1])
    taking = open_statements.values("institution_id")
    stated = unstated.filter(institution_id__in=taking).update(statement=target)
    deducted = to_deduct.filter(institution_id__in=taking).update(reversal_statement=target)
    carried = (MedicalStatement.objects.filter(institution_id__in=taking, status=Status.CARRIED, net_total__lt=0,
                                               carried_into__isnull=True, month__lt=month)
               .update(carried_into=target))
    progress("settlements stated and reversals deducted", 3, steps)

    # 4. Each open statement's figures from what is on it (an empty draft goes).
    after = _figures(open_statements)
    now = timezone.now()
    changed, emptied = [], []
    # Locked while summed and compared: a claim arriving meanwhile waits, then compares the new figures.
    for statement in open_statements.select_related("institution").select_for_update(of=("self",)):
        figures = after.get(statement.pk, _NOTHING)
        if figures == _NOTHING:
            emptied.append(statement.pk)
            continue
        stored = (statement.settlements_count, statement.assistance_total, statement.reversals_count,
                  statement.reversals_total, statement.carried_total)
        (statement.settlements_count, statement.assistance_total, statement.reversals_count, statement.reversals_total,
         statement.carried_total) = figures
        statement.net_total = statement.assistance_total - statement.reversals_total + statement.carried_total
        if figures != stored or statement.generated_at is None:   # whoever changed what it holds generated it
            statement.generated_by_id, statement.generated_by_username = actor.user_id, actor.username
            statement.generated_at = now
        changed.append(statement)
    MedicalStatement.objects.filter(pk__in=emptied).delete()
    progress("totals summed", 4, steps)

    # 5. Compared with the institution's claim (when there is one, or the county compared before).
    claims = {c.institution_id: c for c in MedicalClaim.objects.filter(month=month, institution_id__in=[s.institution_id
                                                                                                       for s in changed])}
    for statement in changed:
        claim = claims.get(statement.institution_id)
        if claim is not None or statement.reconciled_at is not None:
            compare_with_claim(statement, claim)
        else:
            statement.status = Status.DRAFT
    MedicalStatement.objects.bulk_update(changed, ["settlements_count", "assistance_total", "reversals_count",
                                                   "reversals_total", "carried_total", "net_total", "generated_by",
                                                   "generated_by_username", "generated_at", "status", "claimed_count",
                                                   "claimed_total", "differences", "reconciled_at"])
    progress("compared with the claims", 5, steps)
    waiting = unstated.count()   # their institution's statement of the month is approved: next month's
    return {"statements": len(new), "settlements": stated, "reversals": deducted, "carried": carried,
            "taken_off": dropped, "emptied": len(emptied), "waiting": waiting}


_NOTHING = (0, Decimal("0.00"), 0, Decimal("0.00"), Decimal("0.00"))


def _figures(statements) -> dict[int, tuple]:
    """(settlements, assistance, reversals, reversed, carried) of each statement, from what is on
    it: three grouped reads whatever the number of settlements."""
    ids = list(statements.values_list("pk", flat=True))
    figures = {pk: list(_NOTHING) for pk in ids}
    for row in (Settlement.objects.filter(statement_id__in=ids).values("statement_id").order_by()
                .annotate(n=Count("id"), total=Sum("assistance"))):
        figures[row["statement_id"]][0:2] = [row["n"], row["total"] or Decimal("0.00")]
    for row in (Settlement.objects.filter(reversal_statement_id__in=ids).values("reversal_statement_id").order_by()
                .annotate(n=Count("id"), total=Sum("assistance"))):
        figures[row["reversal_statement_id"]][2:4] = [row["n"], row["total"] or Decimal("0.00")]
    for row in (MedicalStatement.objects.filter(carried_into_id__in=ids).values("carried_into_id").order_by()
                .annotate(total=Sum("net_total"))):
        figures[row["carried_into_id"]][4] = row["total"] or Decimal("0.00")
    return {pk: tuple(values) for pk, values in figures.items()}


def refresh_run_totals(run: MedicalPaymentRun) -> None:
    totals = MedicalStatement.objects.filter(run=run).aggregate(n=Count("id"), net=Sum("net_total"))
    run.statement_count, run.net_total = totals["n"], totals["net"] or Decimal("0.00")


# ---------------------------------------------------------------------------------------------
# Claims and reconciliation
# ---------------------------------------------------------------------------------------------

def compare_with_claim(statement: MedicalStatement, claim: MedicalClaim | None) -> None:
    """Set the statement's `differences` and status (reconciled when there are none, discrepant
    otherwise) from `claim` (None: no claim came). Not saved: the caller saves."""
    differences: dict = {}
    if claim is None:
        statement.claimed_count = statement.claimed_total = None
        differences["no_claim"] = True
    else:
        statement.claimed_count, statement.claimed_total = claim.settlements_count, claim.assistance_total
        if claim.settlements_count != statement.settlements_count:
            differences["count"] = {"claimed": claim.settlements_count, "ours": statement.settlements_count}
        if claim.assistance_total != statement.assistance_total:
            differences["total"] = {"claimed": money_text(claim.assistance_total), "ours": money_text(statement.assistance_total)}
        if claim.visits_count:
            differences.update(_visit_differences(statement, claim))
    statement.differences = differences
    statement.status = Status.DISCREPANT if differences else Status.RECONCILED
    statement.reconciled_at = timezone.now()


def _visit_differences(statement: MedicalStatement, claim: MedicalClaim) -> dict:
    ours = Settlement.objects.filter(statement=statement)
    claimed = MedicalClaimVisit.objects.filter(claim=claim)
    not_ours = claimed.filter(~Exists(ours.filter(visit_number=OuterRef("visit_number")))).order_by("visit_number")
    not_claimed = ours.filter(~Exists(claimed.filter(visit_number=OuterRef("visit_number")))).order_by("visit_number")
    differ = (claimed.annotate(ours=Subquery(ours.filter(visit_number=OuterRef("visit_number")).values("assistance")[:1]))
              .filter(ours__isnull=False).exclude(assistance=F("ours")).order_by("visit_number"))
    found: dict = {}
    rows = list(not_ours.values_list("visit_number", "assistance")[:LISTED])
    if rows:   # why each listed visit is not on this statement
        found = {s.visit_number: s for s in Settlement.objects.filter(
            institution_id=statement.institution_id, visit_number__in=[v for v, _a in rows]).select_related("statement")}
    differences = {}
    count = not_ours.count()
    if count:
        differences["not_ours"] = {"count": count, "visits": [
            {"visit_number": visit, "claimed": money_text(amount), **_why_not_on(found.get(visit), statement)}
            for visit, amount in rows]}
    count = not_claimed.count()
    if count:
        differences["not_claimed"] = {"count": count, "visits": [
            {"visit_number": visit, "ours": money_text(amount)}
            for visit, amount in not_claimed.values_list("visit_number", "assistance")[:LISTED]]}
    count = differ.count()
    if count:
        differences["amounts"] = {"count": count, "visits": [
            {"visit_number": visit, "claimed": money_text(amount), "ours": money_text(ours_amount)}
            for visit, amount, ours_amount in differ.values_list("visit_number", "assistance", "ours")[:LISTED]]}
    return differences


def _why_not_on(settlement: Settlement | None, statement: MedicalStatement) -> dict:
    """Why a visit claimed is not on the statement: no such settlement, reversed, stated in
    another month, or not stated yet (it waits for the next statement)."""
    if settlement is None:
        return {"why": "unknown"}
    if settlement.status == SettlementStatus.REVERSED:
        return {"why": "reversed", "on": settlement.reversed_on.isoformat() if settlement.reversed_on else ""}
    if settlement.statement_id and settlement.statement_id != statement.pk:
        return {"why": "other_statement", "month": f"{settlement.statement.month:%Y-%m}"}
    return {"why": "not_stated"}


def why_label(row: dict) -> str:
    """A listed visit's reason, in the reader's language."""
    why = row.get("why")
    if why == "unknown":
        return _("no settlement of this visit")
    if why == "reversed":
        return _("reversed on %(day)s") % {"day": row.get("on") or "?"}
    if why == "other_statement":
        return _("on the statement of %(month)s") % {"month": row.get("month") or "?"}
    if why == "not_stated":
        return _("settled after this statement: on the next one")
    return ""


def _claim_visits(visits, *, settlements: int, total: Decimal) -> list[tuple[str, Decimal]]:
    """The visits a claim lists, each read and checked; every bad row named (the first 50)."""
    if len(visits) > MAX_VISITS:
        raise ValidationError(_("A claim lists at most %(n)s visits.") % {"n": f"{MAX_VISITS:,}"}, field="visits")
    errors, rows, seen = [], [], set()
    for number, visit in enumerate(visits, start=1):
        try:
            if not isinstance(visit, dict):
                raise ValidationError(_("Give each visit as its visit number and assistance."), field="visits")
            visit_number = clean_text(visit.get("visit_number"), field="visit_number", max_length=64)
            if not visit_number:
                raise ValidationError(_("The visit number is empty."), field="visit_number")
            amount = parse_money(visit.get("assistance"), field="assistance")
        except ValidationError as error:
            errors.append(_("Visit %(row)s: %(reason)s") % {"row": number, "reason": error.message})
            continue
        if visit_number in seen:
            errors.append(_("Visit %(row)s: visit number %(visit)s is listed twice.") % {"row": number, "visit": visit_number})
            continue
        seen.add(visit_number)
        rows.append((visit_number, amount))
    if errors:
        raise ValidationError(errors[0] if len(errors) == 1 else _("%(count)s visits are wrong, the claim was not kept. "
                                                                   "%(first)s") % {"count": len(errors), "first": errors[0]},
                              field="visits", code="bad_visits", details={"rows": errors[:50]})
    listed = sum((amount for _v, amount in rows), Decimal("0.00"))
    if rows and (len(rows) != settlements or listed != total):
        raise ValidationError(_("The visits listed (%(n)s, %(listed)s) do not add up to the claim (%(claimed)s settlements, "
                                "%(total)s): send the totals of the visits you list.")
                              % {"n": len(rows), "listed": format_yuan(listed), "claimed": settlements,
                                 "total": format_yuan(total)}, field="visits", code="visits_do_not_add_up")
    return rows


def _insert_visits(claim: MedicalClaim, rows: list[tuple[str, Decimal]]) -> None:
    """The claim's visits written in chunks of plain rows: 50,000 in a fraction of a second, where
    building 50,000 model instances took seconds (the values are checked already)."""
    meta = MedicalClaimVisit._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(name).column) for name in ("claim", "visit_number", "assistance"))
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES (%s, %s, %s)"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, [(claim.pk, visit, amount) for visit, amount in rows[start:start + 5000]])


@transaction.atomic(durable=True)
def submit_claim(*, institution: Institution, month, settlements, assistance_total, visits=None) -> MedicalClaim:
    """The institution's claim for a month that has ended (its own counts, total, and optionally
    each visit), kept once per institution and month: a second replaces the first while the
    statement is open, and is refused once it is approved. Compared with the statement at once
    when there is one. `claim.replaced` says whether it replaced one; `claim.statement` is the
    statement compared (or None)."""
    institution = Institution.objects.select_for_update().get(pk=institution.pk)   # one claim at a time
    month = ended_month(month, clocks.today())
    try:
        settlements = int(settlements)
    except (TypeError, ValueError):
        raise ValidationError(_("Give the number of settlements as a whole number."), field="settlements")
    if settlements < 0:
        raise ValidationError(_("The number of settlements cannot be negative."), field="settlements")
    total = parse_money(assistance_total, field="assistance_total", maximum=MAX_TOTAL)
    rows = _claim_visits(list(visits or []), settlements=settlements, total=total)
    statement = (MedicalStatement.objects.select_for_update().select_related("institution")
                 .filter(institution=institution, month=month).first())
    if statement is not None and not statement.is_open:
        raise Conflict(_("The statement of %(month)s was approved on %(day)s: its claim can no longer be changed. Tell "
                         "the county office about a difference.")
                       % {"month": f"{month:%Y-%m}", "day": f"{statement.approved_at:%Y-%m-%d}"}, code="claim_closed")
    now = timezone.now()
    claim = MedicalClaim.objects.select_for_update().filter(institution=institution, month=month).first()
    replaced = claim is not None
    if claim is None:
        claim = MedicalClaim.objects.create(institution=institution, month=month, settlements_count=settlements,
                                            assistance_total=total, visits_count=len(rows), submitted_at=now)
    else:
        claim.visits.all().delete()
        claim.settlements_count, claim.assistance_total, claim.visits_count = settlements, total, len(rows)
        claim.submissions, claim.submitted_at = claim.submissions + 1, now
        claim.save()
    _insert_visits(claim, rows)
    if statement is not None:
        compare_with_claim(statement, claim)
        statement.save(update_fields=["claimed_count", "claimed_total", "differences", "status", "reconciled_at"])
    record_event(actor=_as_institution(institution), action="medical.submit_claim", obj=claim,
                 after={"institution": institution.code, "month": month, "settlements": settlements, "total": total,
                        "visits": len(rows), "replaced": replaced,
                        "statement": statement.status if statement is not None else None})
    claim.replaced, claim.statement = replaced, statement
    return claim


def _locked(actor: Actor, statement_id) -> MedicalStatement:
    try:
        pk = int(statement_id)
    except (TypeError, ValueError):
        raise NotFound(_("Not found."))
    return get_in_scope(MedicalStatement.objects.select_for_update().select_related("institution", "run", "run__area"),
                        actor, "institution__area", pk=pk)


@transaction.atomic(durable=True)
def reconcile_statement(*, actor: Actor, statement_id) -> MedicalStatement:
    """Compare an open statement with the institution's claim now (without a claim it differs by
    that, and may still be approved with a note)."""
    actor.require(STATEMENTS)
    statement = _locked(actor, statement_id)
    require_step(statement, "reconcile")
    claim = MedicalClaim.objects.filter(institution_id=statement.institution_id, month=statement.month).first()
    before = statement.status
    compare_with_claim(statement, claim)
    statement.save(update_fields=["claimed_count", "claimed_total", "differences", "status", "reconciled_at"])
    record_event(actor=actor, action="medical.reconcile_statement", obj=statement, before={"status": before},
                 after={"status": statement.status, "differences": sorted(statement.differences)})
    return statement


# ---------------------------------------------------------------------------------------------
# Approval
# ---------------------------------------------------------------------------------------------
def check_unchanged(statement: MedicalStatement) -> None:
    """What is on the statement still adds up to its figures, and none of its settlements was
    reversed since it was generated; otherwise nothing proceeds."""
    mine = Settlement.objects.filter(statement=statement).aggregate(
        n=Count("id"), total=Sum("assistance"), reversed=Count("id", filter=Q(status=SettlementStatus.REVERSED)))
    if mine["reversed"]:
        raise Conflict(_("%(n)s settlements on this statement were reversed since it was generated: generate the month "
                         "again (they come off it), then approve.") % {"n": mine["reversed"]}, code="statement_changed")
    figures = _figures(MedicalStatement.objects.filter(pk=statement.pk)).get(statement.pk, _NOTHING)
    stored = (statement.settlements_count, statement.assistance_total, statement.reversals_count,
              statement.reversals_total, statement.carried_total)
    if figures != stored:
        raise Conflict(_("The statement's figures no longer match what is on it: generate the month again, then "
                         "approve."), code="statement_changed")


@transaction.atomic(durable=True)
def approve_statement(*, actor: Actor, statement_id, note: str = "", overrun_reason: str = "",
                      on: dt.date | None = None) -> MedicalStatement:
    """The county leader's approval (not the statement's generator: maker-checker). A discrepant
    statement needs a note saying why it is approved as it is. A net above zero is charged to the
    county's medical assistance budget of the statement's year (refused: no budget line, or past
    it unless the leader approves the overrun with `overrun_reason`); a net of zero or below is
    carried, not paid. `statement.budget_warning` says when the line nears its end."""
    actor.require(APPROVE)
    on = on or clocks.today()
    statement = _locked(actor, statement_id)
    bankfiles.require_other_checker(generated_by_id=statement.generated_by_id, actor=actor)
    require_step(statement, "approve")
    note = clean_field(note, "note", max_length=500)
    overrun_reason = clean_field(overrun_reason, "overrun_reason", max_length=500)
    if statement.status == Status.DISCREPANT and not note:
        raise ValidationError(_("The statement differs from the institution's claim: write in the note why it is approved "
                                "as it is (our settlements are the record)."), field="note", code="note_required")
    check_unchanged(statement)
    county, before, warning = statement.run.area_id, statement.status, ""
    if statement.net_total > 0:
        year = statement.month.year
        if overrun_reason:
            check = budgets.check_charge(area_code=county, year=year, kind=BudgetKind.MEDICAL_ASSISTANCE,
                                         amount=statement.net_total, on=on)
            if check.overrun > 0:
                budgets.record_overrun(actor=actor, area_code=county, year=year, kind=BudgetKind.MEDICAL_ASSISTANCE,
                                       source_kind=SOURCE, source_key=str(statement.pk), amount=statement.net_total,
                                       reason=overrun_reason)
        result = budgets.charge_budget(actor=actor, area_code=county, kind=BudgetKind.MEDICAL_ASSISTANCE,
                                       amount=statement.net_total, source_kind=SOURCE, source_key=str(statement.pk),
                                       on=on, year=year,
                                       description=f"{statement.institution.code} {statement.month:%Y-%m}")
        statement.status, statement.charged_amount, warning = Status.APPROVED, statement.net_total, result.warning
    else:
        statement.status = Status.CARRIED
    statement.approved_by_id, statement.approved_by_username = actor.user_id, actor.username
    statement.approved_at, statement.approval_note = timezone.now(), note
    statement.save(update_fields=["status", "charged_amount", "approved_by", "approved_by_username", "approved_at",
                                  "approval_note"])
    record_event(actor=actor, action="medical.approve_statement", obj=statement, before={"status": before},
                 after={"status": statement.status, "net_total": statement.net_total, "charged": statement.charged_amount,
                        "note": note, "differences": sorted(statement.differences), "overrun_reason": overrun_reason,
                        "warning": warning})
    statement.budget_warning = warning
    return statement


# ---------------------------------------------------------------------------------------------
# Payment: the run's bank files and the bank's returns
# ---------------------------------------------------------------------------------------------
def runs_of(actor: Actor):
    """The runs a post may act on: those of a county it covers (a town post: none; the bank
    files and the run's figures are the county's)."""
    qs = MedicalPaymentRun.objects.select_related("area")
    if actor.is_national:
        return qs
    if len(actor.area_code) > 6:
        return qs.none()
    return qs.filter(area__code__startswith=actor.area_code)


def _locked_run(actor: Actor, run_id) -> MedicalPaymentRun:
    try:
        return runs_of(actor).select_for_update().get(pk=int(run_id))
    except (MedicalPaymentRun.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("Not found."))


@transaction.atomic(durable=True)
def export_payment_run(*, actor: Actor, run_id) -> dict:
    """One CSV per bank and the summary (payroll/bankfiles.py) for a run whose statements are all
    approved: one row per institution paid (its account as it stands now, the account name, the
    net, the statement's reference). The county's statements the bank failed, or that had no
    account, in earlier runs are paid with this one. An institution without an account is listed,
    not paid; a statement with nothing to pay was carried at its approval. Exporting again
    returns the same summary."""
    actor.require(STATEMENTS)
    run = _locked_run(actor, run_id)
    if not run.is_open:
        return run.export_summary
    waiting = list(MedicalStatement.objects.filter(run=run, status__in=OPEN_STATEMENT_STATUSES)
                   .select_related("institution").order_by("institution__code"))
    if waiting:
        names = [f"{s.institution.name} ({status_label(s.status)})" for s in waiting]
        raise Conflict(_("%(n)s statements of the run are not approved yet: %(names)s. The county leader approves each "
                         "before the run goes to the bank.") % {"n": len(waiting), "names": "、".join(names[:10])},
                       code="statements_not_approved", details={"rows": names})
    now = timezone.now()
    again = (MedicalStatement.objects.filter(run__area_id=run.area_id, status__in=TRANSITIONS["pay_again"])
             .exclude(run=run))
    paid_again = again.update(run=run, status=Status.APPROVED, return_reason="",
                              reference=Concat(Value(f"{run.code}-"), Cast("id", output_field=CharField())))
    approved = MedicalStatement.objects.filter(run=run, status__in=TRANSITIONS["export"])
    institution = Institution.objects.filter(pk=OuterRef("institution_id"))
    approved.update(amount=F("net_total"), bank_account=Subquery(institution.values("bank_account")[:1]),
                    account_name=Subquery(institution.annotate(payee=Coalesce(NullIf("account_name", Value("")), "name"))
                                          .values("payee")[:1]))
    approved.filter(bank_account="").update(status=Status.NO_ACCOUNT)
    payable = MedicalStatement.objects.filter(run=run, status__in=TRANSITIONS["export"])
    paying = payable.aggregate(n=Count("id"), total=Sum("amount"))
    listed = MedicalStatement.objects.filter(run=run, status=Status.NO_ACCOUNT).aggregate(n=Count("id"), total=Sum("amount"))
    paying_total, listed_total = paying["total"] or Decimal("0.00"), listed["total"] or Decimal("0.00")
    summary = bankfiles.export_to_banks(
        folder=FOLDER, code=run.code,
        rows=payable.order_by("id").values_list("bank_account", "account_name", "amount", "reference").iterator(),
        payable=(paying["n"], paying_total), no_account=(listed["n"], listed_total),
        whole=(paying["n"] + listed["n"], paying_total + listed_total),
        mark_exported=lambda: payable.update(status=Status.EXPORTED, exported_at=now))
    refresh_run_totals(run)
    run.payable_count, run.payable_amount = paying["n"], paying_total
    run.no_account_count, run.no_account_amount = listed["n"], listed_total
    run.export_summary = {**summary, "paid_again": paid_again}
    run.status, run.exported_at, run.exported_by_username = MedicalPaymentRunStatus.EXPORTED, now, actor.username
    if not summary["files_count"]:   # nobody to pay through a bank: nothing awaits it
        run.status, run.reconciled_at = MedicalPaymentRunStatus.RECONCILED, now
    run.save()
    record_event(actor=actor, action="medical.export_payment_run", obj=run, before={"status": MedicalPaymentRunStatus.OPEN},
                 after={"files": [b["file"] for b in summary["banks"]], "total": paying_total, "count": paying["n"],
                        "no_account": listed["n"], "paid_again": paid_again, "summary_sha256": summary["summary_sha256"]})
    return run.export_summary


def exported_file(*, actor: Actor, run_id, name: str) -> Path:
    """A bank file or the summary of an exported run: for a post at the county (NotFound otherwise)."""
    actor.require(VIEW)
    try:
        run = runs_of(actor).get(pk=int(run_id))
    except (MedicalPaymentRun.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("Not found."))
    return bankfiles.exported_path(actor=actor, folder=FOLDER, code=run.code, summary=run.export_summary, name=name)


def _statements_by_reference(references: list[str]) -> dict[str, tuple]:
    return {ref: (run_pk, code, amount, status) for ref, run_pk, code, amount, status in
            MedicalStatement.objects.filter(reference__in=references).values_list("reference", "run_id", "run__code",
                                                                                   "amount", "status")}


@transaction.atomic(durable=True)
def import_payment_returns(*, actor: Actor, run_id, file, filename: str) -> bankfiles.ReturnsResult:
    """The bank's return file applied to an exported run: all rows or none (each bad row named,
    `bankfiles.check_returns`); a failed statement is paid by the county's next run exported; the
    run is reconciled when none awaits the bank."""
    actor.require(STATEMENTS)
    run = _locked_run(actor, run_id)
    if run.status != MedicalPaymentRunStatus.EXPORTED:
        raise Conflict(_("Returns are imported for a run sent to the bank; this run is %(status)s.")
                       % {"status": MedicalPaymentRunStatus(run.status).label}, code="not_exported")
    updates = bankfiles.check_returns(file=file, filename=filename, run_pk=run.pk, run_code=run.code,
                                      lookup=_statements_by_reference, status_label=status_label)
    rows = MedicalStatement.objects.filter(run=run)
    result = bankfiles.apply_returns(run=run, rows=rows, updates=updates, exported=Status.EXPORTED, paid=Status.PAID,
                                     failed=Status.FAILED, reconciled=MedicalPaymentRunStatus.RECONCILED)
    rows.filter(status=Status.PAID, paid_at__isnull=True).update(paid_at=timezone.now())
    record_event(actor=actor, action="medical.import_payment_returns", obj=run,
                 after={"file": filename, "paid": result.paid, "failed": result.failed,
                        "failed_amount": result.failed_amount, "reconciled": result.reconciled})
    return result


def timed(progress_write: Callable[[str], None]) -> Callable[[str, int, int], None]:
    """A progress callback writing "[n/total] step (seconds)" lines (the command's)."""
    started = time.perf_counter()

    def progress(step: str, number: int, total: int) -> None:
        progress_write(f"  [{number}/{total}] {step} ({time.perf_counter() - started:.1f} s)")
    return progress
