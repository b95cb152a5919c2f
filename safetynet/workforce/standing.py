"""Who is behind on training, per person and per town (issue 19 part 1): the one reading behind
the training page, its chart, the API and the county overview.

The staff are the active ones in the actor's area (narrowed to `under`, a town or the county);
the hours done are the attendance of sessions held in the year; the requirement is the
`training_hours_<employment>` parameter (WORKFORCE) of each person's area on the reference day,
read once per area; `training_rules.standing_of` decides each person. A person whose employment
is not stated has no requirement and is counted apart (`unstated`), never as on track.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _

from safetynet.areas.models import Area
from safetynet.core.errors import ValidationError
from safetynet.core.scoping import Actor, in_scope
from safetynet.programs.catalogue import WORKFORCE
from safetynet.programs.selectors import parameters_for, remember_area_paths

from .clock import today
from .models import Employment, StaffIdentity
from .training_models import TrainingAttendance
from .training_rules import Standing, reference_day, standing_of
from .training_selectors import VIEW

FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass
class PersonStanding:
    staff_identity_id: int
    name: str
    area_id: str
    area_name: str
    town_code: str
    employment: str
    joined_on: dt.date | None
    standing: Standing | None          # None: employment not stated

    @property
    def employment_label(self) -> str:
        return str(Employment(self.employment).label) if self.employment else _("employment not stated")


@dataclass
class TownStanding:
    code: str
    name: str
    staff: int = 0
    behind: int = 0
    unstated: int = 0

    @property
    def percent_behind(self) -> Decimal | None:
        counted = self.staff - self.unstated
        return (Decimal(100 * self.behind) / counted).quantize(Decimal("0.1")) if counted else None


@dataclass
class TrainingStanding:
    year: int
    through: dt.date
    people: list[PersonStanding]
    towns: list[TownStanding] = field(default_factory=list)

    @property
    def behind(self) -> list[PersonStanding]:
        return [p for p in self.people if p.standing is not None and p.standing.behind]

    @property
    def totals(self) -> TownStanding:
        total = TownStanding(code="", name=_("All"))
        for t in self.towns:
            total.staff += t.staff
            total.behind += t.behind
            total.unstated += t.unstated
        return total


def checked_year(year, on: dt.date) -> int:
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ValidationError(_("Give the year as four digits, e.g. %(y)d.") % {"y": on.year}, field="year")
    if year < FIRST_YEAR or year > LAST_YEAR:
        raise ValidationError(_("Choose a year from %(first)d to %(last)d.") % {"first": FIRST_YEAR, "last": LAST_YEAR},
                              field="year")
    return year


def town_of(area_code: str) -> str:
    """The town a person's figures go under (the county's own staff: the county's code)."""
    return area_code[:9] if len(area_code) >= 9 else area_code


def training_standing(actor: Actor, year, *, on: dt.date | None = None, under: str = "", town: str = "",
                      employment: str = "") -> TrainingStanding:
    """Per person hours done against hours due for `year`, and per town how many are behind.
    `town` and `employment` narrow the people listed; the towns' figures follow `employment` only,
    so the chart still compares every town."""
    actor.require(VIEW)
    on = on or today()
    year = checked_year(year, on)
    through = reference_day(year, on)
    staff = in_scope(StaffIdentity.objects.filter(is_active=True), actor)
    if under:
        actor.require_area(under)
        staff = staff.filter(area__code__startswith=under)
    if employment:
        staff = staff.filter(employment=employment)
    rows = list(staff.order_by("area_id", "name").values_list("id", "name", "area_id", "area__name", "employment", "joined_on"))
    done = dict(in_scope(TrainingAttendance.objects.filter(held_on__year=year, held_on__lte=through), actor)
                .filter(staff_identity_id__in=staff.values("id")).values("staff_identity_id")
                .annotate(hours=Sum("hours")).values_list("staff_identity_id", "hours"))
    remember_area_paths({r[2] for r in rows})
    required: dict[str, dict] = {}
    people: list[PersonStanding] = []
    towns: dict[str, TownStanding] = {}
    for staff_id, name, area_id, area_name, footing, joined_on in rows:
        standing = None
        if footing:
            if area_id not in required:
                required[area_id] = parameters_for(WORKFORCE, area_id, through)
            per_year = required[area_id][f"training_hours_{footing}"]
            standing = standing_of(per_year, done.get(staff_id) or Decimal("0"), year, joined_on, on)
        town_code = town_of(area_id)
        person = PersonStanding(staff_id, name, area_id, area_name, town_code, footing, joined_on, standing)
        people.append(person)
        t = towns.setdefault(town_code, TownStanding(town_code, ""))
        t.staff += 1
        t.behind += int(standing is not None and standing.behind)
        t.unstated += int(standing is None)
    names = dict(Area.objects.filter(code__in=list(towns)).values_list("code", "name"))
    for t in towns.values():
        t.name = names.get(t.code, t.code)
    listed = [p for p in people if not town or p.town_code == town]
    return TrainingStanding(year=year, through=through, people=listed, towns=sorted(towns.values(), key=lambda t: t.code))


def hours_by_person(actor: Actor, staff_ids: list[int], year: int) -> dict[int, Decimal]:
    """Hours credited in `year` to each of `staff_ids` (the register's pages)."""
    rows = in_scope(TrainingAttendance.objects.filter(held_on__year=year, staff_identity_id__in=staff_ids), actor) \
        .values("staff_identity_id").annotate(hours=Sum("hours")).values_list("staff_identity_id", "hours")
    return defaultdict(lambda: Decimal("0.0"), dict(rows))
