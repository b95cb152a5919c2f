"""Spot checks (issue 18 part 4; POLICY.md §2: the county spot-checks at least 30 %): the county
draws a campaign's sample from its town-confirmed cases and live enrollments, re-visits each
household and records a verdict; a wrong verdict opens a control complaint, so nothing found is
left without an owner.

The draw is reproducible: the population is recorded as a frame (key order, town, risk weight,
why taken in any case) with its SHA-256, the seed is recorded (from `secrets` when none is given),
and `sampling.draw` is pure, so `redraw(campaign)` repeats it from the record and compares.

Risks that weigh the draw (`sampling.risk_weight`): an open anomaly finding on the case or
enrollment; a short household survey (the visit's recorded length, `Survey.duration_minutes`,
under `short_survey_minutes`, as the anomaly report counts it); an income or amount near the limits (within
`near_limit_ratio` of the standard). Every close-relative filing and every case or enrollment
complained about is taken on top of the draw.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.areas.models import Area
from safetynet.cases.models import Case, CaseEvent, Status, Survey, SurveyKind
from safetynet.core.audit import record_event
from safetynet.core.dates import parse_date
from safetynet.core.errors import ValidationError
from safetynet.core.masking import mask_name
from safetynet.core.scoping import Actor, get_in_scope, in_scope
from safetynet.core.text import checked_choice, clean_field
from safetynet.core.unitofwork import unit_of_work
from safetynet.enrollments.models import LIVE_STATUSES, Enrollment
from safetynet.programs.catalogue import ASSISTANCE_PROGRAMS, DIBAO, OVERSIGHT, PROGRAMS
from safetynet.programs.selectors import area_path, dibao_parameters, parameters_for, urban_for

from . import sampling
from .anomaly_models import AnomalyFinding, AnomalyStatus
from .complaints import ComplaintInput, file_complaints, today
from .models import CategoryCode, Complaint, ComplaintChannel
from .spotcheck_models import (
    WRONG_VERDICTS, CampaignStatus, ConfirmedBy, ItemReason, SizeMethod, SpotCheckCampaign, SpotCheckItem, Verdict,
)

SPOT_CHECK = "oversight.spot_check"
VIEW = "oversight.view"
SOURCE_PREFIX = "spot_check:"

RISK_ANOMALY = "anomaly"
RISK_SHORT_SURVEY = "short_survey"
RISK_NEAR_LIMIT = "near_limit"


# ---- what a campaign asks for ------------------------------------------------------------------

@dataclass
class CampaignInput:
    """A campaign as the county asks for it; empty sizes take the OVERSIGHT parameters in force."""
    name: str
    programs: list[str] = field(default_factory=lambda: list(ASSISTANCE_PROGRAMS))
    include_cases: bool = True
    confirmed_by: str = ConfirmedBy.TOWN
    period_from: dt.date | str | None = None
    period_to: dt.date | str | None = None
    include_enrollments: bool = True
    size_method: str = SizeMethod.RATIO
    ratio: Decimal | str | None = None
    confidence: Decimal | str | None = None
    margin: Decimal | str | None = None
    seed: int | str | None = None


def _decimal(value, name: str, low: Decimal, high: Decimal) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip().rstrip("%"))
    except InvalidOperation:
        raise ValidationError(_("Give a number, such as 0.30."), field=name)
    if str(value).strip().endswith("%"):
        number = number / 100
    if not low <= number <= high:
        raise ValidationError(_("Give a share between %(low)s and %(high)s.") % {"low": low, "high": high}, field=name)
    return number


def checked_campaign(actor: Actor, county_code: str, item: CampaignInput, *, on: dt.date) -> CampaignInput:
    """The campaign as it will run: permission and area checked, text cleaned, dates and shares
    read, missing sizes from the parameters in force, a seed when none was given."""
    actor.require(SPOT_CHECK)
    county_code = (county_code or "")[:6]
    if len(county_code) != 6 or not Area.objects.filter(code=county_code).exists():
        raise ValidationError(_("Choose the county that runs the campaign."), field="county")
    actor.require_area(county_code)
    if len(actor.area_code) > 6:
        raise ValidationError(_("Spot checks are a county's campaign."), field="county")
    item.name = clean_field(item.name, "name", max_length=120, required=True)
    programs = [str(p) for p in (item.programs or [])]
    if not programs or any(p not in ASSISTANCE_PROGRAMS for p in programs):
        raise ValidationError(_("Choose the programs to check."), field="programs")
    item.programs = sorted(set(programs))
    if not item.include_cases and not item.include_enrollments:
        raise ValidationError(_("Check confirmed cases, live enrollments, or both."), field="include_cases")
    checked_choice(item.confirmed_by, ConfirmedBy.values, "confirmed_by", _("Choose whose confirmations to check."))
    item.period_from = parse_date(item.period_from, field="period_from")
    item.period_to = parse_date(item.period_to, field="period_to")
    if item.include_cases and (item.period_from is None or item.period_to is None):
        raise ValidationError(_("Give the period in which the cases were confirmed."), field="period_from")
    if item.period_from and item.period_to and item.period_from > item.period_to:
        raise ValidationError(_("The period ends before it starts."), field="period_to")
    checked_choice(item.size_method, SizeMethod.values, "size_method", _("Choose how the sample size is set."))
    params = parameters_for(OVERSIGHT, county_code, on)
    if item.size_method == SizeMethod.RATIO:
        item.ratio = _decimal(item.ratio, "ratio", Decimal("0.01"), Decimal("1")) or Decimal(params["spot_check_ratio"])
        item.confidence = item.margin = None
    else:
        item.confidence = (_decimal(item.confidence, "confidence", Decimal("0.80"), Decimal("0.999"))
                           or Decimal(params["spot_check_confidence"]))
        item.margin = _decimal(item.margin, "margin", Decimal("0.01"), Decimal("0.25")) or Decimal(params["spot_check_margin"])
        item.ratio = None
    if item.seed in (None, ""):
        item.seed = secrets.randbits(62)
    else:
        text = str(item.seed).strip()
        if not text.isdigit() or len(text) > 30:
            raise ValidationError(_("A seed is a whole number (at most 30 digits)."), field="seed")
        item.seed = int(text)
    return item


# ---- the population ----------------------------------------------------------------------------

@dataclass
class Member:
    key: str
    case_id: int | None
    enrollment_id: int | None
    household_id: int
    area_id: str
    program: str
    amount: Decimal | None
    worker: str = ""
    risks: list[str] = field(default_factory=list)
    mandatory: str = ""

    @property
    def town(self) -> str:
        return self.area_id[:9]

    @property
    def weight(self) -> float:
        return sampling.risk_weight(anomaly=RISK_ANOMALY in self.risks, short_survey=RISK_SHORT_SURVEY in self.risks,
                                    near_limit=RISK_NEAR_LIMIT in self.risks)

    def frame_row(self) -> sampling.FrameRow:
        return sampling.FrameRow(self.key, self.town, self.weight, self.mandatory)


def _number(value) -> Decimal | None:
    try:
        return None if value in (None, "") else Decimal(str(value))
    except InvalidOperation:
        return None


def workers_of(case_ids: list[int]) -> dict[int, str]:
    """The worker answerable for each case: who recorded its household survey, else who gave the
    town opinion (the case's timeline)."""
    found: dict[int, str] = {}
    for case_id, by in (Survey.objects.filter(case_id__in=case_ids, kind=SurveyKind.HOUSEHOLD)
                        .order_by("case_id", "id").values_list("case_id", "recorded_by")):
        found.setdefault(case_id, by)
    missing = [c for c in case_ids if c not in found]
    for case_id, by in (CaseEvent.objects.filter(case_id__in=missing, action="give_town_opinion")
                        .order_by("case_id", "id").values_list("case_id", "actor_username")):
        found.setdefault(case_id, by)
    return found


def survey_minutes_of(case_ids: list[int]) -> dict[int, int]:
    """The length of each case's shortest household survey in minutes, where the investigators
    recorded one (`Survey.duration_minutes`)."""
    found: dict[int, int] = {}
    for case_id, minutes in (Survey.objects.filter(case_id__in=case_ids, kind=SurveyKind.HOUSEHOLD,
                                                   duration_minutes__isnull=False)
                             .order_by("case_id", "duration_minutes").values_list("case_id", "duration_minutes")):
        found.setdefault(case_id, minutes)
    return found


def _standard(area_code: str, day: dt.date, cache: dict) -> Decimal | None:
    if area_code not in cache:
        try:
            cache[area_code] = dibao_parameters(area_code, day).standard_for(urban_for(area_path(area_code)))
        except ValidationError:
            cache[area_code] = None
    return cache[area_code]


def near_limit_of(*, outcome: dict | None, amount: Decimal | None, program: str, area_code: str, day: dt.date,
                  ratio: Decimal, cache: dict) -> bool:
    """The case's assessed per-capita income near the standard it was assessed against, or (a
    dibao enrollment) the amount per member near zero or near the whole standard."""
    details = (outcome or {}).get("details") or {}
    income, standard = _number(details.get("per_capita_income")), _number(details.get("standard"))
    if income is not None and standard:
        if sampling.income_near_standard(income, standard, ratio):
            return True
    if amount is not None and program == DIBAO:
        members = int(_number(details.get("members")) or 0) or 1
        standard = standard or _standard(area_code, day, cache)
        if standard and sampling.amount_near_limits(amount / members, standard, ratio):
            return True
    return False


def load_population(county_code: str, item: CampaignInput, *, on: dt.date) -> list[Member]:
    """The campaign's population, in key order: the cases confirmed in the period (by the town
    where the county delegated, or all) and the live enrollments of the programs; an enrollment
    whose case is in the population is checked with it (one household, one visit)."""
    params = parameters_for(OVERSIGHT, county_code, on)
    members: list[Member] = []
    case_rows: dict[int, dict] = {}
    if item.include_cases:
        cases = Case.objects.filter(area__code__startswith=county_code, status=Status.CONFIRMED,
                                    program_id__in=item.programs, decided_on__gte=item.period_from,
                                    decided_on__lte=item.period_to)
        if item.confirmed_by == ConfirmedBy.TOWN:
            cases = cases.filter(decider_level="town")
        for row in cases.order_by("id").values("id", "household_id", "area_id", "program_id", "proposed_amount",
                                               "outcome", "is_close_relative"):
            case_rows[row["id"]] = row
    enrollment_rows: list[dict] = []
    if item.include_enrollments:
        enrollment_rows = list(Enrollment.objects.filter(
            area__code__startswith=county_code, status__in=LIVE_STATUSES, program_id__in=item.programs)
            .order_by("id").values("id", "case_id", "household_id", "area_id", "program_id", "monthly_amount"))
    enrollment_of_case = {e["case_id"]: e["id"] for e in enrollment_rows}
    case_ids = sorted(set(case_rows) | {e["case_id"] for e in enrollment_rows})
    extra = {r["id"]: r for r in Case.objects.filter(id__in=[c for c in case_ids if c not in case_rows])
             .values("id", "outcome", "is_close_relative")}
    workers = workers_of(case_ids)
    minutes = survey_minutes_of(case_ids)
    short_under = int(params["short_survey_minutes"])
    ratio = Decimal(params["near_limit_ratio"])
    enrollment_ids = [e["id"] for e in enrollment_rows]
    anomalies = AnomalyFinding.objects.filter(status=AnomalyStatus.OPEN).filter(
        Q(case_id__in=case_ids) | Q(enrollment_id__in=enrollment_ids))
    anomaly_cases = set(anomalies.exclude(case_id=None).values_list("case_id", flat=True))
    anomaly_enrollments = set(anomalies.exclude(enrollment_id=None).values_list("enrollment_id", flat=True))
    complaints = Complaint.objects.exclude(source_key__startswith=SOURCE_PREFIX).filter(
        Q(case_id__in=case_ids) | Q(enrollment_id__in=enrollment_ids))
    complained_cases = set(complaints.exclude(case_id=None).values_list("case_id", flat=True))
    complained_enrollments = set(complaints.exclude(enrollment_id=None).values_list("enrollment_id", flat=True))
    cache: dict = {}

    def member(key, case_id, enrollment_id, household_id, area_id, program, amount, case_row) -> Member:
        risks = []
        if case_id in anomaly_cases or enrollment_id in anomaly_enrollments:
            risks.append(RISK_ANOMALY)
        if case_id in minutes and minutes[case_id] < short_under:
            risks.append(RISK_SHORT_SURVEY)
        if near_limit_of(outcome=case_row.get("outcome"), amount=amount, program=program, area_code=area_id, day=on,
                         ratio=ratio, cache=cache):
            risks.append(RISK_NEAR_LIMIT)
        mandatory = (ItemReason.CLOSE_RELATIVE if case_row.get("is_close_relative")
                     else ItemReason.COMPLAINT if case_id in complained_cases or enrollment_id in complained_enrollments
                     else "")
        return Member(key, case_id, enrollment_id, household_id, area_id, program, amount, workers.get(case_id, ""),
                      risks, mandatory)

    for case_id, row in case_rows.items():
        enrollment_id = enrollment_of_case.get(case_id)
        members.append(member(f"case:{case_id}", case_id, enrollment_id, row["household_id"], row["area_id"],
                              row["program_id"], row["proposed_amount"], row))
    for row in enrollment_rows:
        if row["case_id"] in case_rows:
            continue
        members.append(member(f"enrollment:{row['id']}", row["case_id"], row["id"], row["household_id"], row["area_id"],
                              row["program_id"], row["monthly_amount"], extra.get(row["case_id"], {})))
    members.sort(key=lambda m: sampling.order_key(m.key))
    return members


def frame_of(members: list[Member]) -> list[list]:
    return [[m.key, m.town, m.weight, m.mandatory] for m in members]


def frame_hash(frame: list[list]) -> str:
    return hashlib.sha256(json.dumps(frame, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()


def rows_of(frame: list[list]) -> list[sampling.FrameRow]:
    return [sampling.FrameRow(key, town, float(weight), mandatory) for key, town, weight, mandatory in frame]


def sample_size(item: CampaignInput, population: int) -> int:
    if item.size_method == SizeMethod.RATIO:
        return sampling.ratio_size(population, Decimal(item.ratio))
    return sampling.cochran_size(population, item.confidence, item.margin)


# ---- the plan (the new campaign's preview) and the campaign ------------------------------------

@dataclass
class TownPlan:
    town: str
    name: str
    population: int
    mandatory: int
    drawn: int

    @property
    def total(self) -> int:
        return self.mandatory + self.drawn


@dataclass
class Plan:
    item: CampaignInput
    population: int
    size: int
    mandatory: int
    towns: list[TownPlan]
    members: list[Member]
    keys: list[str]
    allocation: dict[str, int]

    @property
    def drawn(self) -> int:
        return sum(self.allocation.values())

    @property
    def total(self) -> int:
        return len(self.keys)


def plan_campaign(actor: Actor, *, county_code: str, item: CampaignInput, on: dt.date | None = None) -> Plan:
    """What a campaign would draw (sizes per town), without writing anything: the new campaign's
    preview and the first half of `start_campaign`."""
    on = on or today()
    item = checked_campaign(actor, county_code, item, on=on)
    members = load_population(county_code[:6], item, on=on)
    n = sample_size(item, len(members))
    keys, allocation = sampling.draw([m.frame_row() for m in members], n, int(item.seed))
    by_town: dict[str, list[Member]] = defaultdict(list)
    for m in members:
        by_town[m.town].append(m)
    names = dict(Area.objects.filter(code__in=list(by_town)).values_list("code", "name"))
    towns = [TownPlan(t, names.get(t, t), len(ms), sum(1 for m in ms if m.mandatory), allocation.get(t, 0))
             for t, ms in sorted(by_town.items())]
    return Plan(item, len(members), n, sum(1 for m in members if m.mandatory), towns, members, keys, allocation)


@transaction.atomic(durable=True)
def start_campaign(actor: Actor, *, county_code: str, item: CampaignInput, on: dt.date | None = None) -> SpotCheckCampaign:
    """Draw and record a campaign: the frame, its fingerprint, the seed and the items in draw
    order. An empty population is refused (nothing to check)."""
    on = on or today()
    plan = plan_campaign(actor, county_code=county_code, item=item, on=on)
    if not plan.members:
        raise ValidationError(_("Nothing to check: no confirmed case or live enrollment matches."), field="programs")
    item = plan.item
    frame = frame_of(plan.members)
    params = parameters_for(OVERSIGHT, county_code[:6], on)
    campaign = SpotCheckCampaign.objects.create(
        area_id=county_code[:6], name=item.name, programs=item.programs, include_cases=item.include_cases,
        confirmed_by=item.confirmed_by, period_from=item.period_from, period_to=item.period_to,
        include_enrollments=item.include_enrollments, size_method=item.size_method, ratio=item.ratio,
        confidence=item.confidence, margin=item.margin, seed=str(item.seed), population_size=plan.population,
        drawn_size=plan.drawn, mandatory_size=plan.mandatory, allocation=plan.allocation, frame=frame,
        frame_hash=frame_hash(frame), started_on=on, created_by_id=actor.user_id,
        parameters={k: str(params[k]) for k in ("short_survey_minutes", "near_limit_ratio")}
        | {"weights": {"base": sampling.WEIGHT_BASE, RISK_ANOMALY: sampling.WEIGHT_ANOMALY,
                       RISK_SHORT_SURVEY: sampling.WEIGHT_SHORT_SURVEY, RISK_NEAR_LIMIT: sampling.WEIGHT_NEAR_LIMIT}})
    by_key = {m.key: m for m in plan.members}
    SpotCheckItem.objects.bulk_create([
        SpotCheckItem(campaign=campaign, key=key, position=i, case_id=m.case_id, enrollment_id=m.enrollment_id,
                      household_id=m.household_id, area_id=m.area_id, town_id=m.town, program=m.program,
                      worker=m.worker, reason=m.mandatory or ItemReason.DRAWN, weight=m.weight, risks=m.risks,
                      amount=m.amount)
        for i, key in enumerate(plan.keys, 1) for m in [by_key[key]]], batch_size=500)
    record_event(actor=actor, action="oversight.start_spot_check", obj=campaign, after={
        "county": campaign.area_id, "name": campaign.name, "programs": campaign.programs, "seed": campaign.seed,
        "population": plan.population, "drawn": plan.drawn, "mandatory": plan.mandatory, "frame_hash": campaign.frame_hash})
    return campaign


@dataclass
class Redraw:
    matches: bool
    frame_intact: bool
    recorded: list[str]
    redrawn: list[str]


def redraw(campaign: SpotCheckCampaign) -> Redraw:
    """Draw again from the recorded frame and seed, and compare with the recorded items (in
    order). `frame_intact`: the frame still has the fingerprint recorded at the draw."""
    intact = frame_hash(campaign.frame) == campaign.frame_hash
    n = campaign.drawn_size
    keys, _allocation = sampling.draw(rows_of(campaign.frame), n, int(campaign.seed))
    recorded = list(campaign.items.order_by("position").values_list("key", flat=True))
    return Redraw(intact and keys == recorded, intact, recorded, keys)


# ---- re-visits and verdicts ------------------------------------------------------------------------

@dataclass
class RevisitInput:
    visited_on: dt.date | str | None
    visitors: str
    found: str
    verdict: str


def _complaint_text(item: SpotCheckItem, verdict: str, found: str) -> str:
    return _("Spot check «%(campaign)s»: verdict «%(verdict)s». What the re-visit found: %(found)s") % {
        "campaign": item.campaign.name, "verdict": Verdict(verdict).label, "found": found}


def record_revisit(actor: Actor, *, item_id: int, revisit: RevisitInput) -> SpotCheckItem:
    """Record a sampled household's re-visit and verdict. A wrong verdict opens a control
    complaint on the case or enrollment (once: source key `spot_check:<item>`); the campaign is
    finished when every item has a verdict. A verdict may be corrected; the complaint stays."""
    actor.require(SPOT_CHECK)
    item = get_in_scope(SpotCheckItem.objects.select_related("campaign"), actor, "campaign__area", pk=item_id)
    actor.require_area(item.campaign.area_id)
    visited_on = parse_date(revisit.visited_on, field="visited_on", required=True)
    if visited_on > today():
        raise ValidationError(_("The re-visit cannot be in the future."), field="visited_on")
    if visited_on < item.campaign.started_on:
        raise ValidationError(_("The re-visit cannot be before the campaign started."), field="visited_on")
    visitors = clean_field(revisit.visitors, "visitors", max_length=200, required=True)
    found = clean_field(revisit.found, "found", max_length=5000, required=True, multiline=True)
    verdict = checked_choice(revisit.verdict, Verdict.values, "verdict", _("Choose the verdict."))
    at = timezone.now()
    before = {"verdict": item.verdict, "visited_on": item.visited_on.isoformat() if item.visited_on else None}
    values = {"visited_on": visited_on, "visitors": visitors, "found": found, "verdict": verdict,
              "recorded_by": actor.username, "recorded_at": at}
    with unit_of_work(size_hint=2) as uow:
        if verdict in WRONG_VERDICTS and item.complaint_id is None:
            [filed] = file_complaints(uow, actor, [ComplaintInput(
                channel=ComplaintChannel.CONTROL, category=CategoryCode.CONTROL_FINDING,
                source_key=f"{SOURCE_PREFIX}{item.pk}", case_id=item.case_id, enrollment_id=item.enrollment_id,
                area_code=item.area_id, subject=_("Spot check: %(verdict)s") % {"verdict": Verdict(verdict).label},
                content=_complaint_text(item, verdict, found))])
            if filed.error:
                raise filed.error
            values["complaint"] = filed.complaint.pk
        uow.update_where(SpotCheckItem, values, id=item.pk)
        open_left = SpotCheckItem.objects.filter(campaign_id=item.campaign_id, verdict="").exclude(pk=item.pk).exists()
        finished = not open_left and item.campaign.status != CampaignStatus.FINISHED
        if finished:
            uow.update_where(SpotCheckCampaign, {"status": CampaignStatus.FINISHED, "finished_on": today()},
                             id=item.campaign_id)
        uow.record_event(actor=actor, action="oversight.record_spot_check_revisit", obj=item, before=before, after={
            "verdict": verdict, "visited_on": visited_on.isoformat(), "complaint": values.get("complaint", item.complaint_id),
            "campaign_finished": finished})
    return SpotCheckItem.objects.select_related("campaign", "complaint").get(pk=item.pk)


# ---- reads ---------------------------------------------------------------------------------------------

def campaigns_in_scope(actor: Actor) -> QuerySet[SpotCheckCampaign]:
    """The campaigns of the post's county (a town's post sees none: they are the county's)."""
    actor.require(VIEW)
    return in_scope(SpotCheckCampaign.objects.all(), actor, "area").defer("frame")


def campaign_for(actor: Actor, campaign_id: int) -> SpotCheckCampaign:
    actor.require(VIEW)
    return get_in_scope(SpotCheckCampaign.objects.all(), actor, "area", pk=campaign_id)


def item_for(actor: Actor, item_id: int) -> SpotCheckItem:
    actor.require(VIEW)
    return get_in_scope(SpotCheckItem.objects.select_related("campaign", "household__head", "town", "area", "complaint"),
                        actor, "campaign__area", pk=item_id)


def items_of(campaign: SpotCheckCampaign, *, town: str = "", verdict: str = "", reason: str = "",
             q: str = "") -> QuerySet[SpotCheckItem]:
    """A campaign's items filtered: by town, by verdict ("open": none yet; "wrong": any wrong one),
    by why sampled, and by the household head's name or the worker."""
    items = campaign.items.select_related("household__head", "town", "area").order_by("position")
    if town:
        items = items.filter(town_id=town)
    if verdict == "open":
        items = items.filter(verdict="")
    elif verdict == "wrong":
        items = items.filter(verdict__in=WRONG_VERDICTS)
    elif verdict:
        items = items.filter(verdict=verdict)
    if reason:
        items = items.filter(reason=reason)
    q = clean_field(q, "q", max_length=50)
    if q:
        items = items.filter(Q(household__head__name__contains=q) | Q(worker__contains=q) | Q(key=q))
    return items


def may_see_names(actor: Actor) -> bool:
    """The county's spot-check office visits the households: it needs names and addresses whole;
    inspectors read them masked."""
    return actor.can(SPOT_CHECK)


def head_name(actor: Actor, item: SpotCheckItem) -> str:
    head = item.household.head
    name = head.name if head else ""
    return name if may_see_names(actor) else mask_name(name)


@dataclass
class Rate:
    key: str
    label: str
    items: int
    checked: int
    wrong: int

    @property
    def rate(self) -> float | None:
        return round(self.wrong / self.checked, 4) if self.checked else None


@dataclass
class Rates:
    towns: list[Rate]
    workers: list[Rate]
    verdicts: dict[str, int]
    total: Rate


def error_rates(campaign: SpotCheckCampaign) -> Rates:
    """Error rates of a campaign (wrong verdicts / verdicts given), by town and by worker, with
    the counts they rest on."""
    rows = list(campaign.items.values_list("town_id", "worker", "verdict"))
    names = dict(Area.objects.filter(code__in={r[0] for r in rows}).values_list("code", "name"))

    def rates(index: int, label) -> list[Rate]:
        groups: dict[str, list] = defaultdict(list)
        for row in rows:
            groups[row[index]].append(row[2])
        return [Rate(k, label(k), len(v), sum(1 for x in v if x), sum(1 for x in v if x in WRONG_VERDICTS))
                for k, v in sorted(groups.items())]

    verdicts = Counter(r[2] for r in rows if r[2])
    all_verdicts = [r[2] for r in rows]
    total = Rate("", _("All"), len(rows), sum(1 for x in all_verdicts if x),
                 sum(1 for x in all_verdicts if x in WRONG_VERDICTS))
    return Rates(rates(0, lambda k: names.get(k, k)), rates(1, lambda k: k or _("not recorded")),
                 {v: verdicts.get(v, 0) for v in Verdict.values}, total)


def sample_table(actor: Actor, campaign: SpotCheckCampaign) -> tuple[list[str], list[list]]:
    """The sample as the visitors take it out: one row per household, in draw order."""
    header = [_("No."), _("Town"), _("Village"), _("Household head"), _("Address"), _("Program"), _("Case"),
              _("Enrollment"), _("Monthly amount"), _("Why sampled"), _("Risks"), _("Worker"), _("Re-visited on"),
              _("Verdict")]
    whole = may_see_names(actor)
    risk_labels = risk_names()
    rows = []
    for item in campaign.items.select_related("household__head", "town", "area").order_by("position"):
        rows.append([item.position, item.town.name, item.area.name, head_name(actor, item),
                     item.household.address if whole else "", program_name(item.program), item.case_id or "", item.enrollment_id or "",
                     f"{item.amount:.2f}" if item.amount is not None else "", str(ItemReason(item.reason).label),
                     "、".join(str(risk_labels.get(r, r)) for r in item.risks), item.worker,
                     item.visited_on.isoformat() if item.visited_on else "",
                     str(Verdict(item.verdict).label) if item.verdict else ""])
    return header, rows


def risk_names() -> dict[str, str]:
    return {RISK_ANOMALY: _("open anomaly finding"), RISK_SHORT_SURVEY: _("short household survey"),
            RISK_NEAR_LIMIT: _("near the limits")}


def program_name(code: str) -> str:
    return str(PROGRAMS[code]["name"]) if code in PROGRAMS else code
