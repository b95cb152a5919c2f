"""Re-assessment after a standard change (issue 5): when a county really changes its dibao
standard, an increment or an asset limit from month M (programs.services.set_parameter), every
live dibao enrollment of the county is re-assessed from M with the values then in force, as one
county job, instead of one decision per household (POLICY.md §1: the standard is set per area
and period; the amount is the gap to it).

The rule and the facts are the simulation's (simulation.py): the enrolled households' registry
facts read set-based a chunk at a time, through `programs.rules.assess_dibao` once with the
values the amount rests on (B) and once with the values in force in M (S); the amount in force
for M becomes `simulation.amount_after(P, B, S)` — P + (S − B), so an amount decided on other
facts (a verification report, a re-check) keeps them and takes only the policy's effect. An
individually covered person (MLG-2021 art. 8) is assessed alone, as his case was.

What B is:
- the values in force in the month before M (what the county had before this change);
- the values an earlier run for M recorded, when that run wrote the amount in force (the
  parameter rows in its change row): so running again moves nothing, and a standard corrected
  again for the same month moves the amount by the correction only;
- S itself (nothing moves) when the amount in force was assessed after the change was entered,
  for M or later (a case confirmed, an amount re-assessed, a death's share): it already has it.

What happens to each live dibao enrollment (its status in M, as its terms say):
- active or suspended, amount moved (up or down): an `EnrollmentChange` of kind "standard" from
  M with the reason "standard changed from M: old → new" and the parameter rows (in force and
  changed) in its assessment; the terms from M re-priced, statuses kept (a later term assessed
  before the change moves by the same amount); all written in bulk. Money already generated for
  months from M is settled as a decision's is (schedule.reconcile_payments_of: drafts released,
  approved months paid more than now due recorded as overpayments, an increase into an approved
  month refused);
- made ineligible (S = 0 while B > 0): never ended here. A proposal to end from M goes to the
  town worker's queue (triggers.py's `ChangeProposal`, on a `TriggerSignal` of kind "standard"),
  with the rule's reasons; confirming it re-assesses once more (`proposal_effect`);
- B = 0 (the registry's facts did not support the amount with the values before either: facts
  changed since the decision, or verified otherwise): kept, whatever S; the re-check decides.
  (Here alone the preview's figures differ from the simulation's, which would pay S: a real
  decision does not lower an amount because a standard rose.)
- in gradual exit in M: kept (a kept amount, not an assessed one: MLG-2021 art. 33);
- due nothing in M for another reason (ended by a scheduled decision): left out.

A chunk of households at a time, each chunk in its own transaction (the chunk's enrollments
locked) with its own audit event; a run cut off is completed by running it again, which changes
nothing already done. The preview is the same pass writing nothing, in the simulation's figures.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable

from django.db import transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.areas.models import CODE_LENGTHS, Area, Level
from safetynet.cases import clocks
from safetynet.cases.standards import jsonable
from safetynet.core.audit import record_event
from safetynet.core.errors import ValidationError
from safetynet.core.scoping import Actor
from safetynet.programs import catalogue, rules
from safetynet.programs.facts import DibaoParameters
from safetynet.programs.models import Parameter
from safetynet.programs.selectors import resolve_parameters
from safetynet.registry.models import EXCLUDED_INCOME, Household, IncomeItem

from . import dues, schedule, simulation
from .change_models import (
    ChangeKind,
    ChangeProposal,
    EnrollmentTerm,
    SignalKind,
    TriggerSignal,
)
from .change_selectors import county_in_scope
from .models import LIVE_STATUSES, Enrollment, EnrollmentChange, EnrollmentStatus
from .months import month_of, month_text, parse_month, shift_month
from .reassessment import DeathEffect

REASSESS = "payments.reassess_standard"
CHUNK_HOUSEHOLDS = 5_000
ZERO = Decimal("0.00")
ACTIVE, SUSPENDED, GRADUAL_EXIT = EnrollmentStatus.ACTIVE, EnrollmentStatus.SUSPENDED, EnrollmentStatus.GRADUAL_EXIT
REPRICED = (ACTIVE, SUSPENDED)
# Decisions that assess the amount with the values of their month (a case's confirmation is the
# enrollment itself): their amount is on the new values when taken after the change was entered.
ASSESSING_KINDS = (ChangeKind.AMOUNT, ChangeKind.DEATH)
SOURCE = "standards"
STANDARD_KEYS = {True: "urban_standard", False: "rural_standard"}

Progress = Callable[[int, int], None]


# ---------------------------------------------------------------------------------------------
# The change: which rows start in M, the values before and after for each area with its own
# ---------------------------------------------------------------------------------------------
@dataclass
class StandardChange:
    county: Area
    month: dt.date
    rows: list[Parameter]                      # the dibao rows (of simulation.KEYS) that start in M
    table: simulation.ParameterTable           # (values in force the month before, values in force in M)
    in_force: dict[str, list[int]]             # area with values of its own → ids of the rows in force in M
    entered_at: dt.datetime                    # when the last of `rows` was entered

    @property
    def row_ids(self) -> list[int]:
        return sorted(r.pk for r in self.rows)

    def changed_ids(self, code: str) -> list[int]:
        """The rows starting in M that apply to the area `code` (its own, the county's, above)."""
        return sorted(r.pk for r in self.rows if r.area_id is None or code.startswith(r.area_id))


def _path_codes(county_code: str) -> list[str]:
    return [county_code[:n] for n in sorted(CODE_LENGTHS.values()) if n < len(county_code)] + [county_code]


def changed_rows(county_code: str, month: dt.date) -> list[Parameter]:
    """The dibao rows in force (not replaced) that start in `month` and apply to the county or a
    town of it: national, province, city, the county's own, its towns'."""
    return list(Parameter.objects.filter(program_id=catalogue.DIBAO, key__in=simulation.KEYS, effective_from=month,
                                         replaced_at__isnull=True)
                .filter(Q(area__isnull=True) | Q(area_id__in=_path_codes(county_code)) | Q(area__code__startswith=county_code))
                .order_by("area_id", "key", "id"))


def _county(actor: Actor, county_code: str) -> Area:
    try:
        return county_in_scope(actor, county_code)
    except ValidationError:
        raise ValidationError(_("Give a county code (6 digits): the enrollments of a whole county are re-assessed."),
                              field="county")


def check_request(*, actor: Actor, county_code: str, month) -> StandardChange:
    """The change to re-assess after, so a page or the API can refuse a bad request before a job
    is queued. Permission first (403), then the area (404), then the input (422)."""
    actor.require(REASSESS)
    county = _county(actor, county_code)
    month = parse_month(month)
    rows = changed_rows(county.code, month)
    if not rows:
        raise ValidationError(_("No dibao standard, increment or limit of %(county)s changes from %(month)s: there is "
                                "nothing to re-assess.") % {"county": county.name, "month": month_text(month)}, field="month")
    return standard_change(county, month, rows)


def standard_change(county: Area, month: dt.date, rows: list[Parameter]) -> StandardChange:
    """The values before and after for the county and each area inside it with values of its own."""
    table = simulation.ParameterTable(county.code, month, before=shift_month(month, -1))
    in_force = {code: sorted(r.row_id for r in resolve_parameters(catalogue.DIBAO, code, month).values() if r.row_id)
                for code in table.pairs}
    return StandardChange(county, month, rows, table, in_force, max(r.created_at for r in rows))


def describe(before: dict, after: dict, is_urban: bool | None) -> list[dict]:
    """What changed between two sets of values, key by key in catalogue order, for words and
    pages: only the standard that applies when `is_urban` is known."""
    lines = []
    for spec in simulation.simulated_specs():
        if is_urban is not None and spec.key == STANDARD_KEYS[not is_urban]:
            continue
        old, new = before.get(spec.key), after.get(spec.key)
        if old != new:
            lines.append({"key": spec.key, "label": str(spec.label), "old": catalogue.display_value(spec, old),
                          "new": catalogue.display_value(spec, new)})
    return lines


def reason_text(month: dt.date, lines: list[dict]) -> str:
    changes = "; ".join(_("%(label)s %(old)s → %(new)s") % line for line in lines)
    return _("Standard changed from %(month)s: %(changes)s") % {"month": month_text(month), "changes": changes or "—"}


# ---------------------------------------------------------------------------------------------
# Reading a chunk: the enrollments, their terms, the basis of their amounts, their facts
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Term:
    id: int
    from_month: dt.date
    until_month: dt.date | None
    status: str
    amount: Decimal
    change_id: int | None
    change_kind: str
    change_at: dt.datetime | None
    change_month: dt.date | None

    def covers(self, month: dt.date) -> bool:
        return self.from_month <= month and (self.until_month is None or self.until_month > month)


@dataclass
class Enrolled:
    id: int
    household_id: int
    person_id: int | None
    area_id: str                  # the household's area
    status: str
    monthly_amount: Decimal
    start_month: dt.date
    created_at: dt.datetime
    due: Decimal                  # P: what the payroll pays it for M
    terms: list[Term] = field(default_factory=list)   # those running into M or later, in order


def _live(county_code: str):
    return Enrollment.objects.filter(program_id=catalogue.DIBAO, area__code__startswith=county_code,
                                     status__in=LIVE_STATUSES)


def count_enrollments(county_code: str) -> int:
    return _live(county_code).count()


def household_pages(county_code: str, chunk: int):
    """(first, last) household ids of each chunk of the county's enrolled households (keyset:
    each statement starts where the last one stopped)."""
    last = 0
    while True:
        ids = list(_live(county_code).filter(household_id__gt=last).order_by("household_id")
                   .values_list("household_id", flat=True).distinct()[:chunk])
        if not ids:
            return
        yield ids[0], ids[-1]
        last = ids[-1]


def load_enrolled(county_code: str, first: int, last: int, month: dt.date, *, lock: bool = False,
                  enrollment_id: int | None = None) -> list[Enrolled]:
    """The live dibao enrollments of the households first..last (or the one enrollment), with what
    each is due for `month` by the payroll's own expression and its terms from `month` on
    (locked when the chunk is to be written)."""
    due = dues.due_amount_sql(Enrollment._meta.db_table, "%s")
    qs = _live(county_code).filter(household_id__gte=first, household_id__lte=last)
    if enrollment_id is not None:
        qs = qs.filter(pk=enrollment_id)
    if lock:
        list(qs.select_for_update(of=("self",)).values_list("id", flat=True))
    rows = (qs.annotate(due=RawSQL(due, [month] * due.count("%s"))).order_by("household_id", "id")
            .values_list("id", "household_id", "person_id", "household__area_id", "status", "monthly_amount",
                         "start_month", "created_at", "due"))
    enrolled = {r[0]: Enrolled(*r[:8], due=simulation._money(r[8])) for r in rows}
    for t in (EnrollmentTerm.objects.filter(enrollment_id__in=list(enrolled))
              .filter(Q(until_month__isnull=True) | Q(until_month__gt=month)).order_by("enrollment_id", "from_month")
              .values_list("enrollment_id", "id", "from_month", "until_month", "status", "amount", "change_id",
                           "change__kind", "change__at", "change__effective_month")):
        enrolled[t[0]].terms.append(Term(*t[1:7], t[7] or "", t[8], t[9]))
    return list(enrolled.values())


def recorded_values(change_ids: list[int], cache: dict) -> dict[int, dict]:
    """{change id: the values an earlier run for this standard change assessed with} (the
    parameter rows its assessment names, typed), for the changes of kind "standard"."""
    out: dict[int, dict] = {}
    if not change_ids:
        return out
    for change_id, assessment in (EnrollmentChange.objects.filter(pk__in=change_ids, kind=ChangeKind.STANDARD)
                                  .values_list("id", "assessment")):
        ids = tuple(((assessment or {}).get("standard_change") or {}).get("parameters") or ())
        if not ids:
            continue
        if ids not in cache:
            cache[ids] = {key: catalogue.value_from_text(catalogue.get_spec(program, key), text)
                          for program, key, text in Parameter.objects.filter(pk__in=ids).values_list("program_id", "key", "value")
                          if catalogue.get_spec(program, key) is not None}
        out[change_id] = cache[ids]
    return out


def covered_incomes(households: list[int]) -> tuple[dict, dict]:
    """({household: {person or None: counted income}}, {household: head}) for households with an
    individually covered member: his own income is what counts (MLG-2021 art. 8), with the income
    tied to no living member when he is the one it falls to (cases.snapshots.facts_from_snapshot)."""
    income: dict = {}
    for household_id, person_id, amount in (IncomeItem.objects.filter(household_id__in=households)
                                            .exclude(category__in=EXCLUDED_INCOME)
                                            .exclude(person__is_deceased=True)   # his income left with him
                                            .values_list("household_id", "person_id", "monthly_amount")):
        own = income.setdefault(household_id, {})
        own[person_id] = own.get(person_id, ZERO) + simulation._money(amount)
    heads = dict(Household.objects.filter(pk__in=households).values_list("id", "head_id"))
    return income, heads


def covered_facts(facts, ids: list[int], covered: int, income: dict, head: int | None):
    """The household's facts with only the covered member counted, at his own income (None when
    he is no longer a living member)."""
    if covered not in ids:
        return None
    fallback = head if head in ids else ids[0]
    own = sum((amount for person_id, amount in income.items()
               if person_id == covered or (covered == fallback and person_id not in ids)), ZERO)
    members = tuple(dataclasses.replace(m, is_applicant=pid == covered, monthly_income=own if pid == covered else ZERO)
                    for m, pid in zip(facts.members, ids))
    return dataclasses.replace(facts, members=members)


# ---------------------------------------------------------------------------------------------
# The plan of one enrollment
# ---------------------------------------------------------------------------------------------
CHANGE, PROPOSE, UNCHANGED, ALREADY, UNSUPPORTED, GRADUAL, NOT_DUE = (
    "change", "propose", "unchanged", "already", "unsupported", "gradual_exit", "not_due")


@dataclass
class Plan:
    enrolled: Enrolled
    month: dt.date                # from when (M, or the enrollment's start when later)
    status: str                   # in force then
    amount: Decimal               # in force then, before deductions
    before: Decimal = ZERO        # B
    new: Decimal = ZERO           # S
    after: Decimal | None = None  # the amount from `month` on (None: no longer eligible)
    action: str = UNCHANGED
    reasons: tuple = ()
    outcome: object = None
    code: str = ""                # the area whose values apply
    lines: list = field(default_factory=list)   # what changed for it (describe)

    @property
    def shift(self) -> Decimal:
        return (self.after or ZERO) - self.amount


def _in_force(enrolled: Enrolled, month: dt.date) -> tuple[Term | None, str, Decimal]:
    for term in enrolled.terms:
        if term.covers(month):
            return term, term.status, term.amount
    return None, enrolled.status, enrolled.monthly_amount


def _already_assessed(term: Term | None, enrolled: Enrolled, change: StandardChange) -> bool:
    """The amount in force was assessed after the change was entered, with the values of M or a
    later month (a confirmation uses its own month's values and starts the month after)."""
    if term is None or term.change_id is None:
        made = enrolled.created_at
        return made > change.entered_at and month_of(timezone.localtime(made).date()) >= change.month
    return _assessed_after(term, change)


class Planner:
    """Plans the enrollments of a chunk: reads nothing but what it is handed, keeps its caches
    (members' facts, values recorded by earlier runs, words of each change) from chunk to chunk."""

    def __init__(self, change: StandardChange):
        self.change = change
        self.urban = {code: klass.startswith("1") for code, klass in Area.objects.filter(
            code__startswith=change.county.code, level=Level.VILLAGE).values_list("code", "urban_rural_class")}
        self.members: dict = {}
        self.recorded_cache: dict = {}
        self.words: dict = {}
        self.recorded_pairs: dict = {}

    def _lines(self, code: str, is_urban: bool, before: dict, key) -> list:
        slot = (code, is_urban, key)
        if slot not in self.words:
            self.words[slot] = describe(before, self.change.table.values[code][1], is_urban)
        return self.words[slot]

    def _recorded_params(self, code: str, values: dict, key) -> tuple[dict, DibaoParameters]:
        slot = (code, key)
        if slot not in self.recorded_pairs:
            merged = {**self.change.table.values[code][0], **values}
            self.recorded_pairs[slot] = (merged, DibaoParameters.from_values(merged))
        return self.recorded_pairs[slot]

    def plan_chunk(self, enrolled: list[Enrolled]) -> list[Plan]:
        """The plan of each enrollment: its facts from the registry (three statements, and two
        more when some member is covered alone), the rule twice."""
        if not enrolled:
            return []
        change = self.change
        households = sorted({(e.household_id, e.area_id) for e in enrolled})
        rows = simulation.chunk_rows(households)
        facts_of = {h: f for h, _area, f in simulation.facts_from_rows(households, rows, self.urban, change.month, self.members)}
        individual = [e for e in enrolled if e.person_id]
        if individual:
            ids_of = simulation.member_ids(rows)
            income, heads = covered_incomes(sorted({e.household_id for e in individual}))
        recorded = recorded_values(sorted({t.change_id for e in enrolled for t in e.terms
                                           if t.change_kind == ChangeKind.STANDARD}), self.recorded_cache)
        plans = []
        for e in enrolled:
            month = max(change.month, e.start_month)
            term, status, amount = _in_force(e, month)
            plan = Plan(e, month, status, amount)
            plans.append(plan)
            if status == GRADUAL_EXIT:
                plan.action = GRADUAL
                continue
            if status not in REPRICED:
                plan.action = NOT_DUE
                continue
            facts = facts_of.get(e.household_id)
            if facts is not None and e.person_id:
                facts = covered_facts(facts, ids_of.get(e.household_id, []), e.person_id, income.get(e.household_id, {}),
                                      heads.get(e.household_id))
            code = change.table.area_for(e.area_id)
            plan.code = code
            is_urban = self.urban.get(e.area_id[:12], False)
            before_values, after_params = change.table.values[code][0], change.table.pairs[code][1]
            if after_params.standard_for(is_urban) is None:
                raise ValidationError(_("No %(kind)s dibao standard is set for %(county)s for %(month)s: enter it on the "
                                        "standards page first.") % {"kind": _("urban") if is_urban else _("rural"),
                                                                      "county": change.county.name,
                                                                      "month": month_text(change.month)},
                                      field="month", code="no_standard")
            if facts is None:           # the covered person is no longer a living member: the re-check decides
                plan.action = UNSUPPORTED
                continue
            outcome = rules.assess_dibao(facts, after_params)
            plan.outcome, plan.new = outcome, outcome.monthly_amount
            values = recorded.get(term.change_id) if term is not None else None
            if values is not None:
                key = tuple(sorted(values.items(), key=lambda kv: kv[0]))
                before_values, before_params = self._recorded_params(code, values, key)
                plan.before = rules.assess_dibao(facts, before_params).monthly_amount
            elif _already_assessed(term, e, change):
                key = "already"
                plan.before = plan.new
            else:
                key = "before"
                plan.before = rules.assess_dibao(facts, change.table.pairs[code][0]).monthly_amount
            plan.lines = self._lines(code, is_urban, before_values, key) if key != "already" else []
            plan.after = simulation.amount_after(amount, plan.before, plan.new)
            if plan.after is None:
                plan.action = PROPOSE
                plan.reasons = tuple(str(r) for r in outcome.reasons)
            elif not plan.new or not plan.before:
                plan.action, plan.after = UNSUPPORTED, amount
            elif plan.after != amount:
                plan.action = CHANGE
            else:
                plan.action = ALREADY if key == "already" else UNCHANGED
        return plans


# ---------------------------------------------------------------------------------------------
# Figures (the simulation's) and counts
# ---------------------------------------------------------------------------------------------
@dataclass
class Counts:
    enrollments: int = 0
    households: int = 0
    changed: int = 0
    raised: int = 0
    lowered: int = 0
    to_review: int = 0
    proposed_before: int = 0       # of those, proposed by an earlier run (once per enrollment and month)
    proposals: int = 0             # proposals added by this run
    unchanged: int = 0
    already: int = 0
    unsupported: int = 0
    gradual_exit: int = 0
    not_due: int = 0
    suspended: int = 0             # re-priced while suspended (the amount they resume at)
    released: int = 0
    overpaid_months: int = 0
    chunks: int = 0

    def add(self, other: "Counts") -> None:
        for f in dataclasses.fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def tally(plans: list[Plan], figures: simulation.Figures, counts: Counts) -> None:
    """The plans into the simulation's figures (P: due for M) and the counts."""
    counts.enrollments += len(plans)
    counts.households += len({p.enrolled.household_id for p in plans})
    for p in plans:
        figures.assessments += 0 if p.outcome is None else (1 if p.action == ALREADY else 2)
        counts_name = {CHANGE: "changed", PROPOSE: "to_review", UNCHANGED: "unchanged", ALREADY: "already",
                       UNSUPPORTED: "unsupported", GRADUAL: "gradual_exit", NOT_DUE: "not_due"}[p.action]
        setattr(counts, counts_name, getattr(counts, counts_name) + 1)
        if p.action == CHANGE:
            if p.after > p.amount:
                counts.raised += 1
            else:
                counts.lowered += 1
            if p.status == SUSPENDED:
                counts.suspended += 1
        due = p.enrolled.due
        if not due:
            figures.not_paid += 1
            continue
        figures.households += 1
        town = figures.town(p.enrolled.area_id[:9])
        if p.action == UNSUPPORTED:      # kept as it is, counted apart
            simulation.classify(figures, town, due, ZERO, ZERO)
        elif p.outcome is None:         # kept as it is (gradual exit)
            simulation.classify(figures, town, due, Decimal("1"), Decimal("1"))
        else:
            simulation.classify(figures, town, due, p.before, p.new)


# ---------------------------------------------------------------------------------------------
# Writing a chunk
# ---------------------------------------------------------------------------------------------
def _assessment(plan: Plan, change: StandardChange) -> dict:
    return {"standard_change": {
        "county": change.county.code, "month": month_text(change.month), "parameters": change.in_force[plan.code],
        "changed": change.changed_ids(plan.code), "rule_before": f"{plan.before:.2f}", "rule_after": f"{plan.new:.2f}",
        "amount_before": f"{plan.amount:.2f}", "amount_after": None if plan.after is None else f"{plan.after:.2f}"}}


def _assessed_after(term: Term, change: StandardChange) -> bool:
    return (term.change_kind in ASSESSING_KINDS and term.change_at is not None and term.change_at > change.entered_at
            and term.change_month is not None and term.change_month >= change.month)


def _segments(plan: Plan, change: StandardChange) -> tuple[list[int], list[schedule.Segment]]:
    """(ids of the terms to replace, the segments replacing them) from the plan's month on: the
    term in force then, re-priced to the new amount; each later paid term moved by as much, unless
    it was assessed after the change was entered (it has the new values: it stays as it is)."""
    start = plan.month
    first = next((t for t in plan.enrolled.terms if t.covers(start)), None)
    removed = [first.id] if first is not None and first.from_month == start else []
    segments = [schedule.Segment(start, first.until_month if first else None, plan.status, plan.after)]
    for t in plan.enrolled.terms:
        if t.from_month <= start or t.status not in REPRICED or _assessed_after(t, change):
            continue
        removed.append(t.id)
        segments.append(schedule.Segment(t.from_month, t.until_month, t.status, max(t.amount + plan.shift, ZERO)))
    return removed, segments


def write_chunk(actor: Actor, change: StandardChange, plans: list[Plan], today: dt.date) -> Counts:
    """The chunk's changes, terms, enrollments, proposals and money, a few statements each
    whatever the number of enrollments, and one audit event. Inside the caller's transaction.
    Returns what only writing tells (proposals added, payments released, months overpaid); the
    plans' own counts are `tally`'s."""
    counts = Counts(chunks=1)
    changing = [p for p in plans if p.action == CHANGE]
    proposing = [p for p in plans if p.action == PROPOSE]
    if changing:
        rows = EnrollmentChange.objects.bulk_create([
            EnrollmentChange(enrollment_id=p.enrolled.id, from_amount=p.amount, to_amount=p.after, from_status=p.status,
                             to_status=p.status, reason=reason_text(change.month, p.lines)[:500], effective_month=p.month,
                             kind=ChangeKind.STANDARD, assessment=_assessment(p, change), by_id=actor.user_id,
                             by_username=actor.username)
            for p in changing])
        change_of = {row.enrollment_id: row.pk for row in rows}
        closing: dict[dt.date, list[int]] = {}
        removed: list[int] = []
        new_terms: list[EnrollmentTerm] = []
        settled = []
        this_month = month_of(today)
        for p in changing:
            e = p.enrolled
            if not e.terms and e.start_month < p.month:     # schedule.ensure_opening_term, closed at once
                new_terms.append(EnrollmentTerm(enrollment_id=e.id, from_month=e.start_month, until_month=p.month,
                                                status=e.status, amount=e.monthly_amount, change=None))
            covering = next((t for t in e.terms if t.covers(p.month)), None)
            if covering is not None and covering.from_month < p.month:
                closing.setdefault(p.month, []).append(covering.id)
            gone, segments = _segments(p, change)
            removed.extend(gone)
            new_terms.extend(EnrollmentTerm(enrollment_id=e.id, from_month=s.from_month, until_month=s.until_month,
                                            status=s.status, amount=s.amount, change_id=change_of[e.id]) for s in segments)
            shown = max(this_month, p.month)       # schedule.settle_enrollment: what is in force now or from then
            amount = next((s.amount for s in segments if s.from_month <= shown and (s.until_month is None or s.until_month > shown)),
                          None)
            if amount is not None and amount != e.monthly_amount:
                settled.append(Enrollment(pk=e.id, monthly_amount=amount, updated_at=timezone.now()))
        for month, ids in closing.items():
            EnrollmentTerm.objects.filter(pk__in=ids).update(until_month=month)
        if removed:
            EnrollmentTerm.objects.filter(pk__in=removed).delete()
        EnrollmentTerm.objects.bulk_create(new_terms)
        if settled:
            Enrollment.objects.bulk_update(settled, ["monthly_amount", "updated_at"])
        money = schedule.reconcile_payments_of(change_of, change.month)
        counts.released, counts.overpaid_months = money["released"], money["overpaid_months"]
    if proposing:
        counts.proposals = _propose(change, proposing, today)
    if changing or counts.proposals:
        raised = sum(1 for p in changing if p.after > p.amount)
        record_event(actor=actor, action="payments.reassess_after_standard_change", object_type="areas.area",
                     object_id=change.county.code,
                     after={"month": month_text(change.month), "parameters": change.row_ids,
                            "households": [plans[0].enrolled.household_id, plans[-1].enrolled.household_id],
                            "changed": len(changing), "raised": raised, "lowered": len(changing) - raised,
                            "changes": [min(change_of.values()), max(change_of.values())] if changing else [],
                            "proposals": counts.proposals,
                            "released": counts.released, "overpaid_months": counts.overpaid_months})
    return counts


def _fingerprint(enrollment_id: int, month: dt.date) -> str:
    return f"standard:{enrollment_id}:{month_text(month)}"


def _proposed_before(change: StandardChange, plans: list[Plan]) -> int:
    """How many of the chunk's enrollments to propose were proposed by an earlier run (one query)."""
    fingerprints = [_fingerprint(p.enrolled.id, change.month) for p in plans if p.action == PROPOSE]
    return TriggerSignal.objects.filter(fingerprint__in=fingerprints).count() if fingerprints else 0


def _propose(change: StandardChange, plans: list[Plan], today: dt.date) -> int:
    """A proposal to end from the month for each enrollment the new values make ineligible,
    once per enrollment and month: a signal's fingerprint is unique, and only signals without a
    proposal get one (set-based, like triggers.run_triggers)."""
    effect = _("change proposed for confirmation")[:200]
    by_fingerprint = {_fingerprint(p.enrolled.id, change.month): p for p in plans}
    TriggerSignal.objects.bulk_create([
        TriggerSignal(fingerprint=fp, enrollment_id=p.enrolled.id, area_id=p.enrolled.area_id, kind=SignalKind.STANDARD,
                      person_id=None, source=SOURCE, snapshot_id=None,
                      record_key=",".join(str(i) for i in change.changed_ids(p.code))[:240], record_date=change.month,
                      subject=reason_text(change.month, p.lines)[:240], found_on=today, handled=True, effect=effect)
        for fp, p in by_fingerprint.items()], ignore_conflicts=True)
    fresh = list(TriggerSignal.objects.filter(fingerprint__in=list(by_fingerprint), proposal__isnull=True)
                 .values_list("id", "fingerprint"))
    ChangeProposal.objects.bulk_create([
        _proposal(by_fingerprint[fp], change, signal_id) for signal_id, fp in fresh])
    return len(fresh)


def _ineligible_reason(plan: Plan, month: dt.date) -> str:
    return (_("%(change)s. Re-assessed with the values in force from %(month)s the household is no longer eligible "
              "(%(why)s): the enrollment would end from %(month)s.")
            % {"change": reason_text(month, plan.lines), "month": month_text(plan.month),
               "why": "; ".join(plan.reasons) or "—"})


def _proposal(plan: Plan, change: StandardChange, signal_id: int) -> ChangeProposal:
    e = plan.enrolled
    return ChangeProposal(enrollment_id=e.id, area_id=e.area_id, signal_id=signal_id, kind=ChangeKind.STANDARD,
                          person_id=e.person_id, effective_month=plan.month, current_amount=plan.amount,
                          proposed_amount=plan.amount, proposed_status=EnrollmentStatus.ENDED,
                          reason=_ineligible_reason(plan, change.month)[:500],
                          assessment=jsonable({**plan.outcome.as_dict(), **_assessment(plan, change)}))


# ---------------------------------------------------------------------------------------------
# The services
# ---------------------------------------------------------------------------------------------
def change_lines(change: StandardChange) -> list[dict]:
    """What changes from the month, for the county and for each area inside it with values of
    its own: [{"area", "area_name", "lines": describe(...)}], areas where nothing changes left out."""
    codes = [change.county.code, *sorted(c for c in change.table.own_areas if c != change.county.code)]
    names = dict(Area.objects.filter(code__in=codes).values_list("code", "name"))
    out = []
    for code in codes:
        lines = describe(change.table.values[code][0], change.table.values[code][1], None)
        if lines:
            out.append({"area": code, "area_name": names.get(code, code), "lines": lines})
    return out


def _result(change: StandardChange, figures: simulation.Figures, counts: Counts, seconds: float, *, applied: bool) -> dict:
    """The counts of the plans (changed, raised, lowered, to review, ...), the monthly cost before
    and after and by town, and `figures`: the simulation's own figures of the same run."""
    county = change.county
    shown = simulation.figures_result(figures)
    return {
        "county": county.code, "county_name": county.name, "month": month_text(change.month), "applied": applied,
        "parameters": change.row_ids, "changes": change_lines(change), **dataclasses.asdict(counts),
        "cost_before": shown["cost_before"], "cost_after": shown["cost_after"], "cost_change": shown["cost_change"],
        "raised_amount": shown["raised"]["amount"], "lowered_amount": shown["lowered"]["amount"],
        "to_review_amount": shown["leaving"]["amount"], "by_town": shown["by_town"], "figures": shown,
        "approved_months": schedule.frozen_months(county.code, change.month), "seconds": round(seconds, 2),
    }


def _run(actor: Actor, change: StandardChange, *, write: bool, progress: Progress | None, chunk: int) -> dict:
    started = time.perf_counter()
    planner = Planner(change)
    figures, counts = simulation.Figures(), Counts()
    total = count_enrollments(change.county.code)
    done = 0
    today = clocks.today()
    for first, last in household_pages(change.county.code, chunk):
        if write:
            with transaction.atomic(durable=True):
                plans = planner.plan_chunk(load_enrolled(change.county.code, first, last, change.month, lock=True))
                counts.proposed_before += _proposed_before(change, plans)
                counts.add(write_chunk(actor, change, plans, today))
        else:
            plans = planner.plan_chunk(load_enrolled(change.county.code, first, last, change.month))
            counts.proposed_before += _proposed_before(change, plans)
        tally(plans, figures, counts)
        done += len(plans)
        if progress:
            progress(done, max(total, done))
    if not write:
        with transaction.atomic():
            record_event(actor=actor, action="payments.preview_reassessment", object_type="areas.area",
                         object_id=change.county.code,
                         after={"month": month_text(change.month), "parameters": change.row_ids,
                                "enrollments": counts.enrollments, "changed": counts.changed, "to_review": counts.to_review})
    return _result(change, figures, counts, time.perf_counter() - started, applied=write)


def preview_reassessment(*, actor: Actor, county_code: str, month, progress: Progress | None = None,
                         chunk: int = CHUNK_HOUSEHOLDS) -> dict:
    """What the re-assessment would do (the simulation's figures, and how many enrollments move up,
    down, stay, and go to the town's queue), writing nothing but the audit event of the reading."""
    change = check_request(actor=actor, county_code=county_code, month=month)
    return _run(actor, change, write=False, progress=progress, chunk=chunk)


def reassess_after_standard_change(*, actor: Actor, county_code: str, month, progress: Progress | None = None,
                                   chunk: int = CHUNK_HOUSEHOLDS) -> dict:
    """Re-assess every live dibao enrollment of the county from `month` (module docstring). Each
    chunk is its own transaction; a Conflict (an increase into an approved month) stops the run
    at that chunk, the chunks before it staying applied; running again completes it."""
    change = check_request(actor=actor, county_code=county_code, month=month)
    return _run(actor, change, write=True, progress=progress, chunk=chunk)


# ---------------------------------------------------------------------------------------------
# Confirming a proposal (triggers._confirm) and the changes a page offers to re-assess after
# ---------------------------------------------------------------------------------------------
def proposal_effect(enrollment: Enrollment, proposal: ChangeProposal):
    """What confirming a standard proposal does now: the enrollment re-assessed once more, by the
    same facts and rule, with the values in force from the proposal's standard change; still not
    eligible → its ending from the proposal's month, with the reasons of now; else None (stale)."""
    county = Area.objects.get(pk=enrollment.area_id[:6])
    month = proposal.signal.record_date or proposal.effective_month
    rows = changed_rows(county.code, month)
    if not rows:
        return None
    change = standard_change(county, month, rows)
    plans = Planner(change).plan_chunk(load_enrolled(county.code, enrollment.household_id, enrollment.household_id, month,
                                                     enrollment_id=enrollment.pk))
    if not plans or plans[0].action != PROPOSE:
        return None
    plan = plans[0]
    status, amount = schedule.in_force(enrollment, plan.month)
    return DeathEffect(plan.month, status, amount, EnrollmentStatus.ENDED, amount, _ineligible_reason(plan, change.month),
                       jsonable({**plan.outcome.as_dict(), **_assessment(plan, change)}), {})


def standard_changes(actor: Actor, county_code: str, *, since: dt.date | None = None) -> list[dict]:
    """The months from which the county's dibao values change (from `since`, default the month
    before this one), each with what changes, for the link on the standards page."""
    if not actor.can(REASSESS):
        return []
    county = Area.objects.filter(code=county_code, level=Level.COUNTY).first()
    if county is None or not actor.covers(county.code):
        return []
    since = since or shift_month(month_of(clocks.today()), -1)
    months = sorted(set(Parameter.objects.filter(program_id=catalogue.DIBAO, key__in=simulation.KEYS, effective_from__gte=since,
                                                 replaced_at__isnull=True)
                        .filter(Q(area__isnull=True) | Q(area_id__in=_path_codes(county.code))
                                | Q(area__code__startswith=county.code))
                        .values_list("effective_from", flat=True)))
    out = []
    for month in months:
        rows = changed_rows(county.code, month)
        labels = sorted({str(catalogue.get_spec(catalogue.DIBAO, r.key).label) for r in rows})
        out.append({"month": month, "month_text": month_text(month), "labels": labels})
    return out
