"""The month's work subsidies of a county, generated from the recorded work (issue 19 part 3;
POLICY.md §1 step 3, REFORM-2020 "work funds").

`generate_subsidies` is one set-based job over the county and month, a few SQL statements in all
(never a loop per person), idempotent and resumable like the payroll's generation:

1. lines: each investigator of each survey conducted in the month gets a lost-time and a
   transport subsidy, each participant named on the roll of a deliberation held in the month a
   meeting subsidy, at the rates (`survey_lost_time_subsidy`, `survey_transport_subsidy`,
   `meeting_subsidy`: WORKFORCE parameters) in force for the case's area in the month of the work.
   One `INSERT ... SELECT` per source, the rates joined as a small table of (area, rates) resolved
   once per area. A rate of zero gives no line. The source row is referenced, and unique per kind
   in the database, so running again adds only work recorded since; work of an earlier month
   whose run is approved already, recorded late, joins this month's run;
2. carried: statements of the county's earlier approved runs that the bank failed or that had no
   account are marked carried, and their lines move to this run (paid once, later);
3. statements: one per person (ID number) of the run, the sum of their lines, paid to the account
   of their staff identity, else the account given on a meeting's roll, else "no account".

A run approved is frozen: its month is not generated again (a later run takes late work). Given
lists of surveys or deliberations (`survey_ids`, `deliberation_ids`), only those are paid, and each
must be recorded work of the month in the post's area: a survey not recorded, or of another month,
is refused with its reason (there are no typed-in subsidies: the work is recorded first).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Sum
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.areas.models import Area
from safetynet.cases.deliberation_models import DeliberationParticipant
from safetynet.cases.models import Case, Deliberation, Survey, SurveyInvestigator
from safetynet.core.audit import record_event
from safetynet.core.dates import parse_month
from safetynet.core.errors import Conflict, ValidationError
from safetynet.core.scoping import Actor
from safetynet.programs.catalogue import WORKFORCE
from safetynet.programs.selectors import parameters_for, remember_area_paths
from safetynet.workforce.models import StaffIdentity

from .models import StatementStatus, SubsidyKind, SubsidyLine, SubsidyRun, SubsidyRunStatus, SubsidyStatement
from .scope import SUBSIDIES, county_in_scope

MAX_IDS = 1000
FROZEN = ("approved", "exported", "reconciled")
CARRY = ("failed", "no_account")


def month_code(month: dt.date) -> str:
    return f"{month.year:04d}{month.month:02d}"


def run_code(county: str, month: dt.date) -> str:
    """BT (补贴) + county + YYYYMM: never a payroll run's code, so a bank's return file of one
    kind of run is never read as the other's."""
    return f"BT{county}{month_code(month)}"


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _month(value) -> dt.date:
    month = parse_month(value, field="month")
    if month is None:
        raise ValidationError(_("Write the month as YYYY-MM, e.g. 2025-10."), field="month")
    return month


def _tables() -> dict[str, str]:
    return {"line": SubsidyLine._meta.db_table, "statement": SubsidyStatement._meta.db_table,
            "run": SubsidyRun._meta.db_table, "investigator": SurveyInvestigator._meta.db_table,
            "survey": Survey._meta.db_table, "case": Case._meta.db_table, "meeting": Deliberation._meta.db_table,
            "participant": DeliberationParticipant._meta.db_table, "staff": StaffIdentity._meta.db_table}


def _execute(sql: str, params: Sequence) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return max(cursor.rowcount, 0)


def frozen_message(run: SubsidyRun) -> str:
    return (_("The subsidies of %(month)s for %(county)s were approved by %(who)s: the run is frozen. Work recorded "
              "late for that month is paid with the next month's run.")
            % {"month": run.month.strftime("%Y-%m"), "county": run.area.name, "who": run.approved_by_username or "?"})


# ---------------------------------------------------------------------------------------------
# Which work: the months and the rates
# ---------------------------------------------------------------------------------------------
def work_months(county: Area, month: dt.date) -> list[dt.date]:
    """The month itself, and every earlier month of the county whose run is approved (work
    recorded there since is late, and this run pays it)."""
    earlier = (SubsidyRun.objects.filter(area=county, month__lt=month, status__in=FROZEN)
               .order_by("month").values_list("month", flat=True))
    return [*earlier, month]


def rates_by_area(area_codes, month: dt.date) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
    """(lost-time, transport, meeting) in force for each area in the month: each area's path read
    once (programs.selectors remembers the month's parameter rows)."""
    codes = sorted(set(area_codes))
    remember_area_paths(codes)
    rates = {}
    for code in codes:
        values = parameters_for(WORKFORCE, code, month)
        rates[code] = (Decimal(values["survey_lost_time_subsidy"]), Decimal(values["survey_transport_subsidy"]),
                       Decimal(values["meeting_subsidy"]))
    return rates


def _rate_table(rates: dict[str, tuple]) -> tuple[str, list]:
    """The rates as a common table `rate(area_id, lost_time, transport, meeting)`."""
    cast = "CAST(%s AS NUMERIC(10, 2))"
    values = ", ".join(f"(%s, {cast}, {cast}, {cast})" for _code in rates)
    params = [v for code, (lost, transport, meeting) in rates.items() for v in (code, str(lost), str(transport), str(meeting))]
    return f"WITH rate(area_id, lost_time, transport, meeting) AS (VALUES {values}) ", params


def _id_filter(column: str, ids: Sequence[int] | None) -> tuple[str, list]:
    if ids is None:
        return "", []
    return f" AND {column} IN ({', '.join('%s' for _i in ids)})", list(ids)


# ---------------------------------------------------------------------------------------------
# The set-based steps
# ---------------------------------------------------------------------------------------------
_LINE_COLUMNS = ("run_id, area_id, case_id, kind, survey_investigator_id, deliberation_participant_id, worked_on, "
                 "payee_id_number, payee_name, amount, budget_charged, statement_id")
_STATEMENT_COLUMNS = ("run_id, id_number, name, area_id, staff_identity_id, bank_account, amount, line_count, reference, "
                      "status, return_reason")
_NEW = "new-{run}-"   # a new statement's reference until it has its number (build_statements)


def _survey_work(run: SubsidyRun, month: dt.date, rates: dict, survey_ids) -> tuple[str, str, list, list]:
    """(rate table, FROM … WHERE, their parameters) of the investigators' subsidies of the month
    not generated yet: one row per investigator (`i`), survey (`s`), case (`c`) and kind (`k`),
    the amount as `amount`."""
    t = _tables()
    rate_sql, rate_params = _rate_table(rates)
    ids_sql, ids_params = _id_filter("s.id", survey_ids)
    amount = "CASE k.kind WHEN 'lost_time' THEN r.lost_time ELSE r.transport END"
    source = (f"FROM {t['investigator']} i JOIN {t['survey']} s ON s.id = i.survey_id JOIN {t['case']} c ON c.id = s.case_id "
              f"JOIN rate r ON r.area_id = c.area_id "
              f"CROSS JOIN (SELECT 'lost_time' AS kind UNION ALL SELECT 'transport') k "
              f"WHERE c.area_id LIKE %s AND s.conducted_on >= %s AND s.conducted_on < %s AND {amount} > 0{ids_sql} "
              f"AND NOT EXISTS (SELECT 1 FROM {t['line']} x WHERE x.survey_investigator_id = i.id AND x.kind = k.kind)")
    return rate_sql, source, rate_params, [f"{run.area_id}%", month, next_month(month), *ids_params]


def _meeting_work(run: SubsidyRun, month: dt.date, rates: dict, deliberation_ids) -> tuple[str, str, list, list]:
    """The same for the participants (`p`) on the rolls of the month's meetings (`d`)."""
    t = _tables()
    rate_sql, rate_params = _rate_table(rates)
    ids_sql, ids_params = _id_filter("d.id", deliberation_ids)
    source = (f"FROM {t['participant']} p JOIN {t['meeting']} d ON d.id = p.deliberation_id "
              f"JOIN {t['case']} c ON c.id = d.case_id JOIN rate r ON r.area_id = c.area_id "
              f"WHERE c.area_id LIKE %s AND d.held_on >= %s AND d.held_on < %s AND r.meeting > 0{ids_sql} "
              f"AND NOT EXISTS (SELECT 1 FROM {t['line']} x WHERE x.deliberation_participant_id = p.id)")
    return rate_sql, source, rate_params, [f"{run.area_id}%", month, next_month(month), *ids_params]


def _new_statements(run: SubsidyRun, work: tuple, person: str) -> int:
    """A statement for each person of the new work who has none in the run yet (summed later)."""
    t = _tables()
    rate_sql, source, rate_params, params = work
    return _execute(
        f"INSERT INTO {t['statement']} ({_STATEMENT_COLUMNS}) {rate_sql}"
        f"SELECT %s, {person}.id_number, MIN({person}.name), MIN(c.area_id), NULL, '', 0, 0, %s || {person}.id_number, "
        f"'pending', '' {source} AND NOT EXISTS (SELECT 1 FROM {t['statement']} y WHERE y.run_id = %s "
        f"AND y.id_number = {person}.id_number) GROUP BY {person}.id_number",
        [*rate_params, run.pk, _NEW.format(run=run.pk), *params, run.pk])


def _statement_of(person: str) -> str:
    t = _tables()
    return f"(SELECT st.id FROM {t['statement']} st WHERE st.run_id = %s AND st.id_number = {person}.id_number)"


def insert_survey_lines(run: SubsidyRun, month: dt.date, rates: dict, survey_ids: Sequence[int] | None) -> int:
    """The lost-time and transport subsidy of each investigator of each survey of the month, each
    on its person's statement (created first, so no line is written twice)."""
    if not rates or survey_ids == []:
        return 0
    work = _survey_work(run, month, rates, survey_ids)
    _new_statements(run, work, "i")
    rate_sql, source, rate_params, params = work
    amount = "CASE k.kind WHEN 'lost_time' THEN r.lost_time ELSE r.transport END"
    sql = (f"INSERT INTO {_tables()['line']} ({_LINE_COLUMNS}) {rate_sql}"
           f"SELECT %s, c.area_id, s.case_id, k.kind, i.id, NULL, s.conducted_on, i.id_number, i.name, {amount}, %s, "
           f"{_statement_of('i')} {source}")
    return _execute(sql, [*rate_params, run.pk, False, run.pk, *params])


def insert_meeting_lines(run: SubsidyRun, month: dt.date, rates: dict, deliberation_ids: Sequence[int] | None) -> int:
    """The meeting subsidy of each participant named on the roll of a meeting of the month."""
    if not rates or deliberation_ids == []:
        return 0
    work = _meeting_work(run, month, rates, deliberation_ids)
    _new_statements(run, work, "p")
    rate_sql, source, rate_params, params = work
    sql = (f"INSERT INTO {_tables()['line']} ({_LINE_COLUMNS}) {rate_sql}"
           f"SELECT %s, c.area_id, d.case_id, 'meeting', NULL, p.id, d.held_on, p.id_number, p.name, r.meeting, %s, "
           f"{_statement_of('p')} {source}")
    return _execute(sql, [*rate_params, run.pk, False, run.pk, *params])


def carry_unpaid(run: SubsidyRun) -> int:
    """Statements of the county's earlier approved runs that the bank failed or that had no
    account: marked carried (not paid), their lines moved into this run. Returns the lines moved."""
    t = _tables()
    earlier = f"SELECT r.id FROM {t['run']} r WHERE r.area_id = %s AND r.month < %s AND r.status IN ('approved', 'exported', 'reconciled')"
    _execute(f"UPDATE {t['statement']} SET status = 'carried_over' WHERE status IN ('failed', 'no_account') "
             f"AND run_id IN ({earlier})", [run.area_id, run.month])
    return _execute(f"UPDATE {t['line']} SET run_id = %s, statement_id = NULL WHERE statement_id IN "
                    f"(SELECT st.id FROM {t['statement']} st WHERE st.status = 'carried_over' AND st.run_id IN ({earlier}))",
                    [run.pk, run.area_id, run.month])


def build_statements(run: SubsidyRun) -> int:
    """Every statement of the run: one for each person of lines with none yet (the lines carried
    in), the new ones numbered, then each summed from its lines and given its payee's account.
    Returns the statements numbered (made by this generation)."""
    t = _tables()
    new = _NEW.format(run=run.pk)
    _execute(
        f"INSERT INTO {t['statement']} ({_STATEMENT_COLUMNS}) "
        f"SELECT %s, l.payee_id_number, MIN(l.payee_name), MIN(l.area_id), NULL, '', 0, 0, %s || l.payee_id_number, "
        f"'pending', '' FROM {t['line']} l WHERE l.run_id = %s AND l.statement_id IS NULL AND NOT EXISTS "
        f"(SELECT 1 FROM {t['statement']} x WHERE x.run_id = %s AND x.id_number = l.payee_id_number) "
        f"GROUP BY l.payee_id_number", [run.pk, new, run.pk, run.pk])
    _execute(f"UPDATE {t['line']} SET statement_id = (SELECT st.id FROM {t['statement']} st WHERE st.run_id = %s "
             f"AND st.id_number = {t['line']}.payee_id_number) WHERE run_id = %s AND statement_id IS NULL", [run.pk, run.pk])
    # the bank's reference: the run's code and the statement's number, never the ID number
    created = _execute(f"UPDATE {t['statement']} SET reference = %s || CAST(id AS TEXT) WHERE run_id = %s "
                       f"AND reference LIKE %s", [f"{run.code}-", run.pk, f"{new}%"])
    _execute(f"UPDATE {t['statement']} SET amount = g.total, line_count = g.n, area_id = g.area, status = 'pending' "
             f"FROM (SELECT l.statement_id, SUM(l.amount) AS total, COUNT(*) AS n, MIN(l.area_id) AS area "
             f"FROM {t['line']} l WHERE l.run_id = %s GROUP BY l.statement_id) g "
             f"WHERE g.statement_id = {t['statement']}.id", [run.pk])
    _execute(f"UPDATE {t['statement']} SET staff_identity_id = (SELECT MIN(w.id) FROM {t['staff']} w "
             f"WHERE w.id_number = {t['statement']}.id_number AND w.is_active = %s) WHERE run_id = %s", [True, run.pk])
    staff = f"FROM {t['staff']} w WHERE w.id = {t['statement']}.staff_identity_id"
    roll = (f"SELECT MAX(p.bank_account) FROM {t['line']} l JOIN {t['participant']} p ON p.id = l.deliberation_participant_id "
            f"WHERE l.statement_id = {t['statement']}.id AND p.bank_account <> ''")
    _execute(f"UPDATE {t['statement']} SET name = COALESCE((SELECT w.name {staff}), name), "
             f"bank_account = COALESCE(NULLIF((SELECT w.bank_account {staff}), ''), ({roll}), '') WHERE run_id = %s", [run.pk])
    _execute(f"UPDATE {t['statement']} SET status = 'no_account' WHERE run_id = %s AND bank_account = ''", [run.pk])
    # A person whose lines all moved away (nothing left): no statement.
    SubsidyStatement.objects.filter(run=run, line_count=0).delete()
    return created


def refresh_totals(run: SubsidyRun) -> None:
    """The run's stored figures, from its statements and lines."""
    by_status = {row["status"]: row for row in SubsidyStatement.objects.filter(run=run).values("status").order_by()
                 .annotate(n=Count("id"), total=Sum("amount"))}

    def figure(status, key):
        return (by_status.get(status) or {}).get(key) or (0 if key == "n" else Decimal("0.00"))

    run.statement_count = sum(row["n"] for row in by_status.values())
    run.total_amount = sum((row["total"] or Decimal("0.00") for row in by_status.values()), Decimal("0.00"))
    run.payable_count, run.payable_amount = figure("pending", "n"), figure("pending", "total")
    run.no_account_count, run.no_account_amount = figure("no_account", "n"), figure("no_account", "total")
    groups = list(SubsidyLine.objects.filter(run=run).order_by().annotate(town=Substr("area_id", 1, 9))
                  .values("kind", "town").annotate(n=Count("id"), total=Sum("amount")))
    run.line_count = sum(row["n"] for row in groups)
    by_kind: dict[str, dict] = {}
    towns: dict[str, dict] = {}
    for row in groups:
        for key, into in ((row["kind"], by_kind), (row["town"], towns)):
            slot = into.setdefault(key, {"count": 0, "total": Decimal("0.00")})
            slot["count"] += row["n"]
            slot["total"] += row["total"]
    by_kind = {kind: {"count": v["count"], "total": f"{v['total']:.2f}"} for kind, v in by_kind.items()}
    by_town = [{"town": town, "count": v["count"], "total": f"{v['total']:.2f}"} for town, v in sorted(towns.items())]
    names = dict(Area.objects.filter(code__in=[row["town"] for row in by_town]).values_list("code", "name"))
    for row in by_town:
        row["name"] = names.get(row["town"], row["town"])
    run.summary = {**(run.summary or {}), "by_kind": by_kind, "by_town": by_town}


# ---------------------------------------------------------------------------------------------
# The service
# ---------------------------------------------------------------------------------------------
def _check_given_work(actor: Actor, county: Area, month: dt.date, survey_ids, deliberation_ids) -> None:
    """Each survey and meeting named must be recorded work of the month in the post's area,
    with someone to pay: every one that is not is named with its reason, and nothing is generated."""
    errors: list[str] = []
    end = next_month(month)
    if survey_ids is not None:
        found = {pk: (area, day) for pk, area, day in Survey.objects.filter(pk__in=survey_ids)
                 .values_list("pk", "case__area_id", "conducted_on")}
        for pk in survey_ids:
            area, day = found.get(pk, (None, None))
            if area is None or not area.startswith(county.code) or not actor.covers(area):
                errors.append(_("Survey %(id)s was not recorded in %(county)s: there is no subsidy without the recorded "
                                "survey.") % {"id": pk, "county": county.name})
            elif not month <= day < end:
                errors.append(_("Survey %(id)s was conducted on %(day)s, not in %(month)s: its subsidies belong to the "
                                "run of its own month.") % {"id": pk, "day": day.isoformat(), "month": month.strftime("%Y-%m")})
    if deliberation_ids is not None:
        found = {pk: (area, day, named) for pk, area, day, named in Deliberation.objects.filter(pk__in=deliberation_ids)
                 .annotate(named=Count("roll")).values_list("pk", "case__area_id", "held_on", "named")}
        for pk in deliberation_ids:
            area, day, named = found.get(pk, (None, None, 0))
            if area is None or not area.startswith(county.code) or not actor.covers(area):
                errors.append(_("Deliberation meeting %(id)s was not recorded in %(county)s: there is no subsidy without "
                                "the recorded meeting.") % {"id": pk, "county": county.name})
            elif not month <= day < end:
                errors.append(_("Deliberation meeting %(id)s was held on %(day)s, not in %(month)s: its subsidies belong "
                                "to the run of its own month.") % {"id": pk, "day": day.isoformat(),
                                                                   "month": month.strftime("%Y-%m")})
            elif not named:
                errors.append(_("Deliberation meeting %(id)s names nobody on its roll: record its participants first.")
                              % {"id": pk})
    if errors:
        raise ValidationError(errors[0] if len(errors) == 1 else _("%(count)s items are not recorded work of the month, "
                                                                   "nothing was generated. %(first)s")
                              % {"count": len(errors), "first": errors[0]},
                              field="surveys" if survey_ids else "deliberations", code="unrecorded_work",
                              details={"rows": errors[:50]})


def _ids(values, field: str) -> list[int] | None:
    if values is None:
        return None
    try:
        ids = sorted({int(v) for v in values})
    except (TypeError, ValueError):
        raise ValidationError(_("Give the numbers of the items as whole numbers."), field=field)
    if len(ids) > MAX_IDS:
        raise ValidationError(_("At most %(n)d at a time.") % {"n": MAX_IDS}, field=field)
    return ids


def _open_run(actor: Actor, county: Area, month: dt.date) -> SubsidyRun:
    """The county's run of the month, created in its own transaction (so two generations queue on
    its row instead of racing); a frozen one is refused."""
    try:
        with transaction.atomic():
            run, _created = SubsidyRun.objects.get_or_create(
                area=county, month=month, defaults={"code": run_code(county.code, month), "generated_by_id": actor.user_id,
                                                    "generated_by_username": actor.username})
    except IntegrityError:
        run = SubsidyRun.objects.get(area=county, month=month)
    if run.is_frozen:
        raise Conflict(frozen_message(run), field="month", code="run_frozen")
    return run


def generate_subsidies(*, actor: Actor, county_code: str, month, survey_ids: Sequence[int] | None = None,
                       deliberation_ids: Sequence[int] | None = None) -> SubsidyRun:
    """Generate (or complete) the county's subsidies of `month` and their statements (module
    docstring). `run.added` says what this call added: lines by kind, lines carried, statements."""
    actor.require(SUBSIDIES)
    county = county_in_scope(actor, county_code)
    month = _month(month)
    survey_ids, deliberation_ids = _ids(survey_ids, "surveys"), _ids(deliberation_ids, "deliberations")
    _check_given_work(actor, county, month, survey_ids, deliberation_ids)
    run = _open_run(actor, county, month)
    with transaction.atomic(durable=True):
        run = SubsidyRun.objects.select_for_update().select_related("area").get(pk=run.pk)
        if run.is_frozen:   # approved while we waited for the lock
            raise Conflict(frozen_message(run), field="month", code="run_frozen")
        before = {"total": run.total_amount, "lines": run.line_count}
        added = {"surveys": 0, "meetings": 0, "carried": 0, "statements": 0}
        given = survey_ids is not None or deliberation_ids is not None
        for work_month in (work_months(county, month) if not given else [month]):
            end = next_month(work_month)
            survey_areas = (Survey.objects.filter(case__area__code__startswith=county.code, conducted_on__gte=work_month,
                                                  conducted_on__lt=end).values_list("case__area_id", flat=True).distinct())
            meeting_areas = (Deliberation.objects.filter(case__area__code__startswith=county.code, held_on__gte=work_month,
                                                         held_on__lt=end, roll__isnull=False)
                             .values_list("case__area_id", flat=True).distinct())
            rates = rates_by_area([*survey_areas, *meeting_areas], work_month)
            added["surveys"] += insert_survey_lines(run, work_month, rates, survey_ids)
            added["meetings"] += insert_meeting_lines(run, work_month, rates, deliberation_ids)
        added["carried"] = carry_unpaid(run)
        added["statements"] = build_statements(run)
        refresh_totals(run)
        run.summary["added"] = added
        if any(added.values()) or not run.generated_at:
            run.generated_by_id, run.generated_by_username = actor.user_id, actor.username
        run.status, run.generated_at = SubsidyRunStatus.GENERATED, timezone.now()
        run.save()
        record_event(actor=actor, action="funding.generate_subsidies", obj=run, before=before, after={
            "month": month, "added": added, "total": run.total_amount, "lines": run.line_count,
            "people": run.statement_count, "surveys": survey_ids, "deliberations": deliberation_ids})
    run.added = added
    return run


def check_totals(run: SubsidyRun) -> None:
    """The run's stored total equals the sum of its statements and of its lines, or nothing proceeds."""
    statements = SubsidyStatement.objects.filter(run=run).aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    lines = SubsidyLine.objects.filter(run=run).aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    if not (statements == lines == run.total_amount):
        raise Conflict(_("The run's total (%(stored)s) no longer equals the sum of its statements (%(actual)s): generate "
                         "it again first.") % {"stored": f"{run.total_amount:.2f}", "actual": f"{statements:.2f}"},
                       code="totals_changed")


def statement_status_label(status: str) -> str:
    return str(StatementStatus(status).label) if status in StatementStatus.values else status


def kind_label(kind: str) -> str:
    return str(SubsidyKind(kind).label) if kind in SubsidyKind.values else kind
