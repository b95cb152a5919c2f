"""The monitoring register of the low-income population (POLICY.md §6; issue 17 part 4).

`refresh_monitoring_register` keeps a county's register current from live enrollments (dibao,
special hardship), the newest verification result of each household (the low-income margin:
per-capita income under the dibao `margin_multiple` × standard, not enrolled) and the medical
warnings of the last 12 months (heavy rigid expenses). It reads the wanted set in a few queries,
compares it with the rows in force, and writes the difference in bulk: new rows, and `until` on
rows that no longer hold. Idempotent: a second refresh changes nothing. Rows a town worker
flagged (`flag_household`) are left to the worker (`unflag_household`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Q
from django.utils.translation import gettext as _

from safetynet.areas.models import Area
from safetynet.core.audit import record_event
from safetynet.core.errors import Conflict, NotFound, ValidationError
from safetynet.core.masking import mask_name
from safetynet.core.scoping import Actor, get_in_scope, in_scope
from safetynet.core.text import clean_text
from safetynet.enrollments.models import LIVE_STATUSES, Enrollment
from safetynet.programs.catalogue import DIBAO, SPECIAL_HARDSHIP
from safetynet.programs.selectors import parameters_for
from safetynet.registry.models import Household, Person
from safetynet.verification.models import HouseholdResult

from .services import today
from .warning_models import MANUAL_CATEGORIES, MonitorCategory, MonitoredHousehold, MonitorSource, Warning, WarningCause

WORK = "discovery.work"
VIEW = "discovery.view"
AUTO_SOURCES = (MonitorSource.ENROLLMENT, MonitorSource.VERIFICATION, MonitorSource.MEDICAL)
BATCH = 5000


@dataclass
class RefreshResult:
    county: str
    added: int = 0
    ended: int = 0
    current: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def _county(actor: Actor, county_code: str) -> Area:
    area = Area.objects.filter(code=county_code, level="county").first()
    if area is None or not actor.covers(area.code):
        raise NotFound(_("No such county in your scope."), field="county")
    return area


def margin_households(county_code: str, on: dt.date, *, multiple: Decimal | None = None) -> dict[int, dict]:
    """{household id: detail} of the county's households whose newest verification result has a
    per-capita income under `multiple` (else each area's dibao `margin_multiple`) × the standard."""
    newest = (HouseholdResult.objects.filter(area_code__startswith=county_code, run__status="done")
              .values("household_id").annotate(last=Max("run_id")))
    rows = (HouseholdResult.objects.filter(area_code__startswith=county_code, run__status="done")
            .filter(Q(run_id__in=newest.values("last")))
            .order_by("household_id", "run_id")
            .values_list("pk", "household_id", "run_id", "area_code", "per_capita_income", "rule"))
    multiples: dict[str, Decimal] = {}
    out: dict[int, dict] = {}
    for pk, household_id, run_id, area_code, per_capita, rule in rows.iterator(chunk_size=BATCH):
        # Ordered by run: the household's newest result has the last word.
        standard = (rule or {}).get("standard")
        if not standard:
            out.pop(household_id, None)
            continue
        if multiple is None:
            village = area_code[:12]
            if village not in multiples:
                multiples[village] = Decimal(str(parameters_for(DIBAO, village, on.replace(day=1))["margin_multiple"]))
            factor = multiples[village]
        else:
            factor = multiple
        line = (Decimal(standard) * factor).quantize(Decimal("0.01"))
        if per_capita < line:
            out[household_id] = {"result": pk, "run": run_id, "per_capita_income": f"{per_capita:.2f}",
                                 "line": f"{line:.2f}", "standard": standard, "multiple": f"{factor}"}
        else:
            out.pop(household_id, None)
    return out


def _wanted(county_code: str, on: dt.date) -> dict[tuple[int, str], tuple[str, str, str, dict]]:
    """{(household, category): (area, source, reason, detail)} that the data says should hold."""
    wanted = {}
    enrolled = set()
    for household_id, area_id, program in (Enrollment.objects.filter(area__code__startswith=county_code,
                                                                       status__in=LIVE_STATUSES,
                                                                       program_id__in=(DIBAO, SPECIAL_HARDSHIP))
                                           .values_list("household_id", "household__area_id", "program_id")):
        category = MonitorCategory.DIBAO if program == DIBAO else MonitorCategory.SPECIAL_HARDSHIP
        wanted[(household_id, category)] = (area_id, MonitorSource.ENROLLMENT, "", {"program": program})
        enrolled.add(household_id)
    margin = {h: d for h, d in margin_households(county_code, on).items() if h not in enrolled}
    areas = dict(Household.objects.filter(pk__in=list(margin)).values_list("pk", "area_id")) if margin else {}
    for household_id, detail in margin.items():
        if household_id in areas:
            wanted[(household_id, MonitorCategory.MARGIN)] = (areas[household_id], MonitorSource.VERIFICATION, "", detail)
    since = on - dt.timedelta(days=365)
    for household_id, area_id, warning_id, amount in (Warning.objects.filter(area__code__startswith=county_code,
                                                                               cause=WarningCause.MEDICAL,
                                                                               raised_on__gt=since)
                                                      .values_list("household_id", "area_id", "pk", "detail__total")):
        wanted[(household_id, MonitorCategory.RIGID_EXPENSES)] = (area_id, MonitorSource.MEDICAL, "",
                                                                    {"warning": warning_id, "total": amount})
    return wanted


def refresh_monitoring_register(actor: Actor, county_code: str, *, on: dt.date | None = None) -> RefreshResult:
    """Bring the county's register in line with its enrollments, verification results and medical
    warnings (module docstring): set-based and idempotent."""
    actor.require(WORK)
    county = _county(actor, county_code)
    on = on or today()
    result = RefreshResult(county.code)
    wanted = _wanted(county.code, on)
    with transaction.atomic():
        current = {}
        for pk, household_id, category, source in (MonitoredHousehold.objects.select_for_update()
                                                   .filter(area__code__startswith=county.code, until__isnull=True)
                                                   .values_list("pk", "household_id", "category", "source")):
            current[(household_id, category)] = (pk, source)
        ended = [pk for key, (pk, source) in current.items() if source in AUTO_SOURCES and key not in wanted]
        for start in range(0, len(ended), BATCH):
            MonitoredHousehold.objects.filter(pk__in=ended[start:start + BATCH]).update(until=on)
        added = [MonitoredHousehold(household_id=h, category=c, area_id=area, source=source, reason=reason, detail=detail,
                                    since=on)
                 for (h, c), (area, source, reason, detail) in wanted.items() if (h, c) not in current]
        MonitoredHousehold.objects.bulk_create(added, batch_size=BATCH)
        result.added, result.ended = len(added), len(ended)
        result.current = len(current) - len(ended) + len(added)
        record_event(actor=actor, action="discovery.refresh_register", object_type="areas.area", object_id=county.code,
                     after=result.as_dict())
    return result


def _reason(reason) -> str:
    reason = clean_text(reason or "", field="reason")
    if not reason:
        raise ValidationError(_("Say why."), field="reason")
    if len(reason) > 500:
        raise ValidationError(_("At most %(n)s characters.") % {"n": 500}, field="reason")
    return reason


@transaction.atomic
def flag_household(*, actor: Actor, household_id: int, category: str, reason: str) -> MonitoredHousehold:
    """A town worker puts a household on the register: heavy rigid expenses or at risk of
    returning to poverty, with the reason."""
    actor.require(WORK)
    household = get_in_scope(Household.objects.all(), actor, pk=household_id)
    if category not in [str(c) for c in MANUAL_CATEGORIES]:
        raise ValidationError(_("Choose heavy rigid expenses or at risk of returning to poverty."), field="category")
    reason = _reason(reason)
    if MonitoredHousehold.objects.filter(household=household, category=category, until__isnull=True).exists():
        raise Conflict(_("The household is already on the register in this category."), field="category")
    row = MonitoredHousehold.objects.create(household=household, area_id=household.area_id, category=category,
                                            since=today(), source=MonitorSource.WORKER, reason=reason,
                                            flagged_by_id=actor.user_id)
    record_event(actor=actor, action="discovery.flag_household", obj=row,
                 after={"household": household.pk, "category": category, "reason": reason})
    return row


@transaction.atomic
def unflag_household(*, actor: Actor, entry_id: int, reason: str) -> MonitoredHousehold:
    """End a town worker's flag (the data's categories end by themselves at the refresh)."""
    actor.require(WORK)
    row = get_in_scope(MonitoredHousehold.objects.select_for_update(), actor, pk=entry_id)
    if row.source != MonitorSource.WORKER:
        raise Conflict(_("This entry follows the data: it ends when the data no longer says so."), field="entry")
    if row.until is not None:
        raise Conflict(_("This entry has already ended."), field="entry")
    reason = _reason(reason)
    row.until = today()
    row.reason = f"{row.reason} / {reason}"[:500]
    row.save(update_fields=["until", "reason"])
    record_event(actor=actor, action="discovery.unflag_household", obj=row, after={"until": str(row.until),
                                                                                    "reason": reason})
    return row


def register_rows(actor: Actor, *, town: str = "", category: str = "", q: str = "", current: bool = True):
    """The register in the actor's area, filtered (town code, category, a name or address)."""
    actor.require(VIEW)
    rows = in_scope(MonitoredHousehold.objects.select_related("household", "area"), actor)
    if current:
        rows = rows.filter(until__isnull=True)
    if town:
        rows = rows.filter(area__code__startswith=town)
    if category:
        rows = rows.filter(category=category)
    q = clean_text(q or "", field="q")
    if q:
        heads = Person.objects.filter(name__contains=q).values("household_id")
        rows = rows.filter(Q(household__address__contains=q) | Q(household_id__in=heads))
    return rows.order_by("area_id", "household_id", "category")


def shows_names(actor: Actor) -> bool:
    """A post that works leads needs names whole; others (leaders, inspectors) see them masked."""
    return actor.can(WORK)


def register_items(actor: Actor, rows) -> list[dict]:
    """The page's or API's rows: head's name (masked where the role needs no more), address, area."""
    rows = list(rows)
    heads = dict(Person.objects.filter(pk__in=[r.household.head_id for r in rows if r.household.head_id])
                 .values_list("household_id", "name"))
    whole = shows_names(actor)
    return [{"id": r.pk, "household": r.household_id, "name": heads.get(r.household_id, "") if whole
             else mask_name(heads.get(r.household_id, "")), "address": r.household.address if whole else "",
             "area": r.area_id, "area_name": r.area.name, "category": r.category,
             "category_label": str(r.get_category_display()), "since": r.since, "until": r.until, "source": r.source,
             "source_label": str(r.get_source_display()), "reason": r.reason} for r in rows]
