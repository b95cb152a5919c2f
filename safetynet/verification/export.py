"""The households to verify, from the registry to Arrow, in bulk (a few queries per 5,000
households, never one per person).

Two tables (schemas in expressions.py): `members` (one row per person: identity, age and
disability facts the rule needs, the registry's own death mark) and `households` (area, urban or
rural, and what the household declared, by category, for the larger-of-declared-and-found rule
of assessment.py). Each household gets a `chunk` number: the unit a batch run commits.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Iterable

import pyarrow as pa
from django.db.models import Count, Sum

from safetynet.areas.models import Area
from safetynet.registry.models import Asset, Household, IncomeItem, Person, income_counts

from .expressions import HOUSEHOLD_SCHEMA, MEMBER_SCHEMA

BATCH = 5000
ZERO = Decimal("0.00")

# Declared income categories that no department reports: they count as declared (assessment.py).
_DEPARTMENT_INCOME = {"wages", "pension", "unemployment"}
_OTHER_FINANCIAL = {"funds", "claims", "online_finance"}
_COUNTED_ASSETS = {"home": "home", "non_residential": "non_residential", "vehicle": "vehicle",
                   "mobility_vehicle": "mobility_vehicle", "business": "business"}


def chunk_numbers(household_ids: list[int], chunk_size: int) -> dict[int, int]:
    ordered = sorted(set(household_ids))
    return {hid: i // max(1, chunk_size) for i, hid in enumerate(ordered)}


def _village_classes(area_codes: Iterable[str]) -> dict[str, bool]:
    villages = {code[:12] for code in area_codes}
    classes = {}
    codes = sorted(villages)
    for start in range(0, len(codes), BATCH):
        for code, klass in Area.objects.filter(code__in=codes[start:start + BATCH]).values_list("code", "urban_rural_class"):
            classes[code] = (klass or "").startswith("1")
    return classes


def export_households(household_ids: Iterable[int], *, chunk_size: int = 50_000) -> tuple[pa.Table, pa.Table]:
    """(members, households) for the given households, ordered by household id."""
    ids = sorted(set(int(h) for h in household_ids))
    chunks = chunk_numbers(ids, chunk_size)
    member_cols: dict[str, list] = {name: [] for name in MEMBER_SCHEMA.names}
    house: dict[int, dict] = {}
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        for row in (Person.objects.filter(household_id__in=batch).order_by("household_id", "id")
                    .values_list("household_id", "id", "id_number", "name", "birth_date", "disability_type",
                                 "disability_grade", "serious_illness", "is_deceased", "area_id")):
            household_id, person_id, id_number, name, birth, dtype, grade, ill, dead, area = row
            member_cols["household_id"].append(household_id)
            member_cols["person_id"].append(person_id)
            member_cols["chunk"].append(chunks[household_id])
            member_cols["id_number"].append(id_number)
            member_cols["name"].append(name)
            member_cols["birth_date"].append(birth)
            member_cols["disability_type"].append(dtype or "")
            member_cols["disability_grade"].append(grade)
            member_cols["serious_illness"].append(bool(ill))
            member_cols["is_deceased"].append(bool(dead))
            house.setdefault(household_id, {"area_code": area})
        for household_id, area in Household.objects.filter(pk__in=batch).values_list("id", "area_id"):
            house.setdefault(household_id, {"area_code": area})["area_code"] = area
        income = defaultdict(lambda: defaultdict(lambda: ZERO))
        for household_id, category, total in (IncomeItem.objects.filter(household_id__in=batch)
                                              .values_list("household_id", "category").annotate(total=Sum("monthly_amount"))
                                              .values_list("household_id", "category", "total")):
            income[household_id][category] += total or ZERO
        assets = defaultdict(lambda: defaultdict(lambda: ZERO))
        counts = defaultdict(lambda: defaultdict(int))
        for household_id, category, exempt, total, quantity in (
                Asset.objects.filter(household_id__in=batch).values_list("household_id", "category", "is_exempt")
                .annotate(total=Sum("value"), quantity=Sum("quantity"), n=Count("id"))
                .values_list("household_id", "category", "is_exempt", "total", "quantity")):
            if category in ("deposit", "securities", "insurance") and not exempt:
                assets[household_id][category] += total or ZERO
            elif category in _OTHER_FINANCIAL and not exempt:
                assets[household_id]["other_financial"] += total or ZERO
            elif category == "vehicle" and exempt:
                counts[household_id]["mobility_vehicle"] += int(quantity or 0)
            elif category in _COUNTED_ASSETS:
                counts[household_id][_COUNTED_ASSETS[category]] += int(quantity or 0)
        for household_id in batch:
            entry = house.setdefault(household_id, {"area_code": ""})
            declared = income.get(household_id, {})
            entry["declared_wages"] = declared.get("wages", ZERO)
            entry["declared_pension"] = declared.get("pension", ZERO)
            entry["declared_unemployment"] = declared.get("unemployment", ZERO)
            entry["declared_other_income"] = sum((v for k, v in declared.items()
                                                  if k not in _DEPARTMENT_INCOME and income_counts(k)), ZERO)
            held = assets.get(household_id, {})
            for category in ("deposit", "securities", "insurance", "other_financial"):
                entry[f"declared_{category}"] = held.get(category, ZERO)
            owned = counts.get(household_id, {})
            for category in ("home", "non_residential", "vehicle", "mobility_vehicle", "business"):
                entry[f"declared_{category}"] = owned.get(category, 0)
    urban = _village_classes(e["area_code"] for e in house.values() if e.get("area_code"))
    household_cols: dict[str, list] = {name: [] for name in HOUSEHOLD_SCHEMA.names}
    for household_id in ids:
        entry = house[household_id]
        household_cols["household_id"].append(household_id)
        household_cols["area_code"].append(entry["area_code"])
        household_cols["is_urban"].append(urban.get((entry["area_code"] or "")[:12], False))
        household_cols["chunk"].append(chunks[household_id])
        for name in HOUSEHOLD_SCHEMA.names[4:]:
            household_cols[name].append(entry[name])
    members = pa.table(member_cols, schema=MEMBER_SCHEMA.to_pyarrow())
    households = pa.table(household_cols, schema=HOUSEHOLD_SCHEMA.to_pyarrow())
    return members, households
