"""Who qualifies for which medical assistance category on a day (POLICY.md §4), for a list of
persons at once: three queries whatever the list's length.

A category's `qualify_by` says where its evidence is: a live enrollment of the household in the
program (household coverage) or of the person (individual coverage or special hardship), a
current entry of the monitoring register of the household, or only a certification. A valid
certification (not revoked, `valid_from` ≤ day ≤ `valid_until`) qualifies a person for its
category whatever the category's `qualify_by`. Each qualification names its evidence, which the
settlement's answer repeats.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from safetynet.core.statements import Prepared
from safetynet.discovery.warning_models import MonitoredHousehold
from safetynet.enrollments.models import LIVE_STATUSES, Enrollment

from .models import Certification, QualifyBy
from .terms import categories_for


@dataclass(frozen=True)
class PersonRef:
    id: int
    household_id: int
    area_id: str


# Compiled once per connection and prepared on the server (core/statements.py): a one-stop
# settlement asks this for one person, and through the queryset API building the three reads cost
# more CPU than running them (bench/bench_settlement_load.py). Prepared reads take ints and texts,
# so the day is compared here, not in SQL.
_ENROLLMENTS = Prepared(lambda households: Enrollment.objects.filter(household_id__in=households,
                                                                     status__in=LIVE_STATUSES)
                        .values_list("pk", "household_id", "person_id", "program_id"))
_REGISTER = Prepared(lambda households: MonitoredHousehold.objects.filter(household_id__in=households,
                                                                          until__isnull=True)
                     .values_list("pk", "household_id", "category", "since"))
_CERTIFIED = Prepared(lambda persons: Certification.objects.filter(person_id__in=persons, revoked_at__isnull=True)
                      .values_list("pk", "person_id", "category_code", "valid_until", "valid_from"))


def qualifications(persons: list[PersonRef], on: dt.date) -> dict[int, dict[str, dict]]:
    """{person id: {category code: evidence}} for each person, by the categories of the person's
    county; a person qualifying for nothing maps to {}."""
    out: dict[int, dict[str, dict]] = {p.id: {} for p in persons}
    if not persons:
        return out
    households = sorted({p.household_id for p in persons})
    person_ids = sorted({p.id for p in persons})
    by_household: dict[int, list[tuple]] = defaultdict(list)
    for row in _ENROLLMENTS.rows(households):
        by_household[row[1]].append(row)
    register: dict[int, list[tuple]] = defaultdict(list)
    for pk, household_id, category, since in _REGISTER.rows(households):
        if since <= on:
            register[household_id].append((pk, household_id, category))
    certified: dict[int, list[tuple]] = defaultdict(list)
    for pk, person_id, code, until, since in _CERTIFIED.rows(person_ids):
        if since <= on <= until:
            certified[person_id].append((pk, person_id, code, until))
    for person in persons:
        found = out[person.id]
        categories = categories_for(person.area_id)
        for code, category in categories.items():
            if category.qualify_by == QualifyBy.ENROLLMENT:
                for pk, _h, covered, program in by_household[person.household_id]:
                    if program == category.qualify_value and covered in (None, person.id):
                        found[code] = {"basis": "enrollment", "enrollment": pk, "program": program}
                        break
            elif category.qualify_by == QualifyBy.REGISTER:
                for pk, _h, register_category in register[person.household_id]:
                    if register_category == category.qualify_value:
                        found[code] = {"basis": "register", "entry": pk, "register_category": register_category}
                        break
        for pk, _p, code, until in certified[person.id]:
            if code in categories and code not in found:
                found[code] = {"basis": "certification", "certification": pk, "valid_until": until.isoformat()}
    return out
