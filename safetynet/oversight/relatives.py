"""The close-relative register seen by the county (issue 18 part 3; POLICY.md §1 step 2).

- `compare_register`: for each staff identity, the registry's kinship links (of the person whose
  ID number is the staff member's) that were not declared, and the declared relatives the registry
  does not link: a few statements for a whole county, listed by town.
- `sweep_close_relatives`: every application and enrollment, old ones included, of a household
  with a member who is staff or a close relative of staff, filed as `CloseRelativeFiling`. Who is a
  close relative is `cases.closerelatives.find_close_relatives_of`, the rule acceptance uses (one
  rule, one place); the sweep reads every household of the county with a case at once, and a
  second sweep adds nothing (`key` is unique).

Declaring and withdrawing are `workforce.relatives` (below cases, as acceptance reads them too).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from safetynet.areas.models import Area, Level
from safetynet.cases.closerelatives import find_close_relatives_of
from safetynet.cases.models import Case
from safetynet.core.audit import record_event
from safetynet.core.errors import NotFound, ValidationError
from safetynet.core.scoping import Actor, in_scope
from safetynet.enrollments.models import Enrollment
from safetynet.registry.models import Kinship, Person
from safetynet.workforce.models import DeclaredRelative, StaffIdentity

from .relative_models import CloseRelativeFiling

VIEW = "oversight.view"
KEEP = "oversight.relatives"
CHUNK = 2000     # households read and matched at a time


def _county_of(actor: Actor, county_code: str) -> Area:
    county_code = (county_code or actor.area_code[:6]).strip()
    if len(county_code) != 6 or not county_code.isdigit():
        raise ValidationError(_("Choose a county (a 6-digit code)."), field="county")
    actor.require_area(county_code)
    area = Area.objects.filter(code=county_code, level=Level.COUNTY).first()
    if area is None:
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": county_code}, field="county")
    return area


# ---------------------------------------------------------------------------------------------
# The comparison with the registry
# ---------------------------------------------------------------------------------------------
@dataclass
class StaffComparison:
    identity: StaffIdentity
    undeclared: list[dict] = field(default_factory=list)      # registry links not declared
    unlinked: list[DeclaredRelative] = field(default_factory=list)   # declared, not in the registry
    declared: int = 0


@dataclass
class TownComparison:
    code: str
    name: str
    staff: list[StaffComparison] = field(default_factory=list)

    @property
    def undeclared(self) -> int:
        return sum(len(s.undeclared) for s in self.staff)

    @property
    def unlinked(self) -> int:
        return sum(len(s.unlinked) for s in self.staff)


def compare_register(actor: Actor, *, only_differences: bool = True) -> list[TownComparison]:
    """The register against the registry for the staff in the post's area, by town (the county's
    own staff first, under the county's name). Four statements whatever the number of staff."""
    actor.require(VIEW)
    identities = list(in_scope(StaffIdentity.objects.filter(is_active=True).select_related("area"), actor)
                      .order_by("area_id", "name"))
    numbers = [i.id_number for i in identities]
    people = dict(Person.objects.filter(id_number__in=numbers).values_list("id_number", "id")) if numbers else {}
    links: dict[int, list[dict]] = defaultdict(list)
    for person_id, relation, number, name, household_id in Kinship.objects.filter(person_id__in=people.values()).values_list(
            "person_id", "relation", "relative__id_number", "relative__name", "relative__household_id"):
        links[person_id].append({"relation": relation, "id_number": number, "name": name, "household_id": household_id})
    declared: dict[int, list[DeclaredRelative]] = defaultdict(list)
    for d in DeclaredRelative.objects.filter(staff_identity_id__in=[i.pk for i in identities], is_active=True):
        declared[d.staff_identity_id].append(d)
    towns: dict[str, TownComparison] = {}
    names = dict(Area.objects.filter(code__in={i.area_id[:9] for i in identities} | {i.area_id[:6] for i in identities})
                 .values_list("code", "name"))
    for identity in identities:
        registry = links.get(people.get(identity.id_number), [])
        mine = declared.get(identity.pk, [])
        declared_numbers = {d.id_number for d in mine}
        linked_numbers = {link["id_number"] for link in registry}
        row = StaffComparison(identity=identity, declared=len(mine),
                              undeclared=[link for link in registry if link["id_number"] not in declared_numbers],
                              unlinked=[d for d in mine if d.id_number not in linked_numbers])
        if only_differences and not row.undeclared and not row.unlinked:
            continue
        code = identity.town_code or identity.area_id[:6]
        town = towns.setdefault(code, TownComparison(code=code, name=names.get(code, code)))
        town.staff.append(row)
    return [towns[code] for code in sorted(towns, key=lambda c: (len(c), c))]


# ---------------------------------------------------------------------------------------------
# The sweep
# ---------------------------------------------------------------------------------------------
@dataclass
class SweepResult:
    county: str
    households: int = 0          # households with a case, read
    matched_households: int = 0
    new_filings: int = 0
    found_later: int = 0         # of the new filings, cases not filed at acceptance


@transaction.atomic(durable=True)
def sweep_close_relatives(*, actor: Actor, county_code: str, on: dt.date) -> SweepResult:
    """File every application and enrollment in the county of a household with a close relative of
    staff (see the module docstring). Idempotent: what was filed before is left as it is."""
    actor.require(KEEP)
    county = _county_of(actor, county_code)
    result = SweepResult(county=county.code)
    household_ids = sorted(set(Case.objects.filter(area__code__startswith=county.code).order_by()
                               .values_list("household_id", flat=True)))
    result.households = len(household_ids)
    known = set(CloseRelativeFiling.objects.filter(area__code__startswith=county.code).values_list("key", flat=True))
    for start in range(0, len(household_ids), CHUNK):
        chunk = household_ids[start:start + CHUNK]
        members: dict[int, list[dict]] = defaultdict(list)
        for pid, household_id, name, number in Person.objects.filter(household_id__in=chunk).order_by("id").values_list(
                "id", "household_id", "name", "id_number"):
            members[household_id].append({"person_id": pid, "name": name, "id_number": number})
        ordered = [h for h in chunk if members.get(h)]
        matched = {h: found for h, found in zip(ordered, find_close_relatives_of([members[h] for h in ordered])) if found}
        if not matched:
            continue
        result.matched_households += len(matched)
        cases = list(Case.objects.filter(household_id__in=list(matched), area__code__startswith=county.code)
                     .order_by("id").values_list("id", "household_id", "area_id", "is_close_relative"))
        enrollments: dict[int, list[int]] = defaultdict(list)
        for eid, case_id in Enrollment.objects.filter(case_id__in=[c[0] for c in cases]).order_by("id").values_list(
                "id", "case_id"):
            enrollments[case_id].append(eid)
        rows = []
        for case_id, household_id, area_id, at_acceptance in cases:
            for match in matched[household_id]:
                for enrollment_id in enrollments.get(case_id) or [None]:
                    key = f"{case_id}:{enrollment_id or 0}:{match.staff_identity_id}:{match.member_person_id}"
                    if key in known:
                        continue
                    known.add(key)
                    rows.append(CloseRelativeFiling(
                        key=key, case_id=case_id, enrollment_id=enrollment_id, household_id=household_id, area_id=area_id,
                        member_id=match.member_person_id, staff_identity_id=match.staff_identity_id,
                        relation=match.relation, at_acceptance=at_acceptance, found_on=on))
        CloseRelativeFiling.objects.bulk_create(rows, batch_size=1000)
        result.new_filings += len(rows)
        result.found_later += sum(1 for r in rows if not r.at_acceptance)
    record_event(actor=actor, action="oversight.sweep_close_relatives", object_type="areas.area", object_id=county.code,
                 after={"households": result.households, "matched_households": result.matched_households,
                        "new_filings": result.new_filings, "found_later": result.found_later})
    return result


def filings_in_scope(actor: Actor, *, town: str = "", found_later: bool | None = None,
                     q: str = "") -> QuerySet[CloseRelativeFiling]:
    """The filings a post reads, found later first (the model's order)."""
    actor.require(VIEW)
    qs = in_scope(CloseRelativeFiling.objects.select_related(
        "case", "case__program", "enrollment", "area", "member", "staff_identity"), actor)
    if town:
        qs = qs.filter(area__code__startswith=town)
    if found_later is not None:
        qs = qs.filter(at_acceptance=not found_later)
    if q:
        qs = qs.filter(Q(member__name__contains=q) | Q(staff_identity__name__contains=q))
    return qs


def filing_counts(actor: Actor) -> list[dict]:
    """Per town: filings found later and filed at acceptance (the county page's summary)."""
    counts: dict[str, dict] = {}
    for area_id, at_acceptance in filings_in_scope(actor).order_by().values_list("area_id", "at_acceptance"):
        row = counts.setdefault(area_id[:9], {"town": area_id[:9], "later": 0, "accepted": 0})
        row["accepted" if at_acceptance else "later"] += 1
    names = dict(Area.objects.filter(code__in=list(counts)).values_list("code", "name"))
    return [dict(row, name=names.get(code, code)) for code, row in sorted(counts.items())]
