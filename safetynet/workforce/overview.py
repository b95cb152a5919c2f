"""The staff of a county at a glance (issue 19), for the county overview another part builds:
one dict of figures from the register, the training standing and the mentoring pairs, read
through the actor's scope."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

from django.utils.translation import gettext as _

from safetynet.areas.models import Area, Level
from safetynet.core.errors import ValidationError
from safetynet.core.scoping import Actor, in_scope

from .clock import today
from .models import Employment, StaffIdentity
from .standing import town_of, training_standing
from .training_models import MentoringPair
from .training_selectors import VIEW

OLDER_FROM = 55       # the age from which a worker counts as "over 55" (nearing retirement)


def _percent(part: int, whole: int) -> Decimal | None:
    return (Decimal(100 * part) / whole).quantize(Decimal("0.1")) if whole else None


def staff_at_a_glance(actor: Actor, county_code: str, year: int, *, on: dt.date | None = None) -> dict:
    """{"county", "year", "staff", "by_employment": {employment: n}, "by_town": {code: {"name", "staff"}},
    "full_time_equivalent", "average_age", "over_55", "over_55_percent", "training_behind",
    "training_behind_percent", "training_unstated", "mentoring_active"}. Ages are on the year's
    reference day (today in the current year, 31 December before)."""
    actor.require(VIEW)
    actor.require_area(county_code or "")
    if not Area.objects.filter(code=county_code, level=Level.COUNTY).exists():
        raise ValidationError(_("No such county: %(code)s.") % {"code": county_code}, field="county")
    on = on or today()
    standing = training_standing(actor, year, on=on, under=county_code)
    day = standing.through
    staff = list(in_scope(StaffIdentity.objects.filter(is_active=True, area__code__startswith=county_code), actor)
                 .values_list("area_id", "employment", "birth_date", "full_time_share"))
    by_employment = Counter(e or "" for _a, e, _b, _s in staff)
    by_town = Counter(town_of(a) for a, _e, _b, _s in staff)
    names = dict(Area.objects.filter(code__in=list(by_town)).values_list("code", "name"))
    ages = [day.year - b.year - ((day.month, day.day) < (b.month, b.day)) for _a, _e, b, _s in staff if b]
    older = sum(1 for a in ages if a > OLDER_FROM)
    totals = standing.totals
    counted = totals.staff - totals.unstated
    return {
        "county": county_code, "year": standing.year, "staff": len(staff),
        "by_employment": {e: by_employment.get(e, 0) for e in [*Employment.values, ""] if by_employment.get(e, 0) or e},
        "by_town": {code: {"name": names.get(code, code), "staff": n} for code, n in sorted(by_town.items())},
        "full_time_equivalent": sum((s for _a, _e, _b, s in staff), Decimal("0.00")),
        "average_age": (Decimal(sum(ages)) / len(ages)).quantize(Decimal("0.1")) if ages else None,
        "over_55": older, "over_55_percent": _percent(older, len(ages)),
        "training_behind": totals.behind, "training_behind_percent": _percent(totals.behind, counted),
        "training_unstated": totals.unstated,
        "mentoring_active": in_scope(MentoringPair.objects.filter(ended_on__isnull=True, area__code__startswith=county_code),
                                     actor).count(),
    }
