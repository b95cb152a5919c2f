"""The household as it stood at application, and the facts the rules see (DESIGN.md §4).

`take_household_snapshot` copies the registry into a JSON-able dict (3 prepared queries whatever
the household's size: members, income, assets; the village's urban-rural class comes from the
cached area tree). The case keeps it with its SHA-256 (`snapshot_hash`), so a decision can name exactly
which facts it rested on and be re-computed years later, even after the registry changed.

`facts_from_snapshot` turns a snapshot (plus, when a verification report gives them, the
verified income and assets) into `programs.facts.HouseholdFacts` for the rule functions. It is
pure: no database.

Snapshot shape (version 1)::

    {"version": 1, "taken_at": "...",
     "household": {"id", "area", "address", "registration_type", "is_urban", "bank_account", "head"},
     "members": [{"person_id", "name", "id_number", "sex", "birth_date", "relation_to_head",
                  "disability_type", "disability_grade", "serious_illness", "work_ability",
                  "is_deceased"}],
     "income": [{"person_id", "category", "monthly_amount", "description"}],
     "assets": [{"person_id", "category", "value", "quantity", "is_exempt", "description"}]}

Amounts are decimal strings. Whole ID numbers are kept (the case file needs them for the
close-relative check); pages mask them per role, and the audit ledger only ever sees the hash.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal

from django.utils import timezone

from safetynet.core.statements import Prepared, rows_by_key
from safetynet.programs.facts import AssetFacts, HouseholdFacts, MemberFacts
from safetynet.registry.models import FINANCIAL_ASSETS, Asset, AssetCategory, Household, IncomeItem, Person, income_counts

SNAPSHOT_VERSION = 1
MEMBER_FIELDS = ("id", "name", "id_number", "sex", "birth_date", "relation_to_head", "disability_type",
                 "disability_grade", "serious_illness", "work_ability", "is_deceased")


def village_is_urban(area_code: str) -> bool:
    """Only villages carry the urban-rural class (POLICY.md §8); groups and grids inherit it. A
    village whose class is unknown is refused ("class_unknown"), never taken as rural."""
    from safetynet.programs.selectors import area_path, urban_for   # cached (core/refcache.py)

    return urban_for(area_path(area_code[:12]))


# Prepared once per connection (core/statements.py): a snapshot is taken at every application,
# for all the households of a step at once.
_MEMBERS_OF = Prepared(lambda ids: Person.objects.filter(household_id__in=ids).order_by("household_id", "id")
                       .values_list("household_id", *MEMBER_FIELDS))
_INCOME_OF = Prepared(lambda ids: IncomeItem.objects.filter(household_id__in=ids).order_by("household_id", "id")
                      .values_list("household_id", "person_id", "category", "monthly_amount", "description"))
_ASSETS_OF = Prepared(lambda ids: Asset.objects.filter(household_id__in=ids).order_by("household_id", "id")
                      .values_list("household_id", "person_id", "category", "value", "quantity", "is_exempt", "description"))


def take_household_snapshot(household: Household, *, is_urban: bool | None = None) -> dict:
    """The household's members, declared income and assets now, as a JSON-able dict."""
    return take_household_snapshots([household], is_urban=is_urban)[household.pk]


def take_household_snapshots(households, *, is_urban: bool | None = None) -> dict[int, dict]:
    """{household id: its snapshot}, the members, income and assets of all of them read in three
    statements (a step filing many applications at once reads them together)."""
    ids = [household.pk for household in households]
    members_of, income_of, assets_of = (rows_by_key(read, ids) for read in (_MEMBERS_OF, _INCOME_OF, _ASSETS_OF))
    return {household.pk: _snapshot(household, members_of[household.pk], income_of[household.pk],
                                    assets_of[household.pk], is_urban) for household in households}


def _snapshot(household: Household, member_rows, income_rows, asset_rows, is_urban: bool | None) -> dict:
    if is_urban is None:
        is_urban = village_is_urban(household.area_id)
    members = [
        {"person_id": m[0], "name": m[1], "id_number": m[2], "sex": m[3], "birth_date": m[4].isoformat(),
         "relation_to_head": m[5], "disability_type": m[6], "disability_grade": m[7], "serious_illness": m[8],
         "work_ability": m[9], "is_deceased": m[10]}
        for m in member_rows
    ]
    income = [
        {"person_id": person_id, "category": category, "monthly_amount": f"{amount:.2f}", "description": description}
        for person_id, category, amount, description in income_rows
    ]
    assets = [
        {"person_id": person_id, "category": category, "value": f"{value:.2f}", "quantity": quantity,
         "is_exempt": is_exempt, "description": description}
        for person_id, category, value, quantity, is_exempt, description in asset_rows
    ]
    return {
        "version": SNAPSHOT_VERSION,
        "taken_at": timezone.now().isoformat(),
        "household": {"id": household.pk, "area": household.area_id, "address": household.address,
                      "registration_type": household.registration_type, "is_urban": bool(is_urban),
                      "bank_account": household.bank_account, "head": household.head_id},
        "members": members,
        "income": income,
        "assets": assets,
    }


def snapshot_hash(snapshot: dict) -> str:
    """SHA-256 of the canonical JSON (sorted keys), so the same facts always hash the same."""
    payload = json.dumps(snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def living_members(snapshot: dict) -> list[dict]:
    return [m for m in snapshot.get("members", []) if not m.get("is_deceased")]


def facts_from_snapshot(snapshot: dict, on_date: dt.date, *, findings: dict | None = None,
                        covered_person_id: int | None = None) -> HouseholdFacts:
    """Facts for the rule functions from a snapshot, on `on_date` (ages are counted to it).

    `findings` is a verification report's findings: an `income` or `assets` list in the
    snapshot's item shape replaces the declared one (verified facts win over declared ones,
    POLICY.md §5). Income not tied to a member is counted with the head (or the first member):
    the gap method uses the household total. A dead member's own income leaves with him (his
    pension stops with his life), as his place in the count and his increment do. With
    `covered_person_id` (individual coverage, MLG-2021 art. 8) only that member counts for the
    amount; the others are still listed."""
    findings = findings or {}
    members = living_members(snapshot)
    dead = {m["person_id"] for m in snapshot.get("members", []) if m.get("is_deceased")}
    income_items = findings.get("income", snapshot.get("income", []))
    asset_items = findings.get("assets", snapshot.get("assets", []))
    ids = [m["person_id"] for m in members]
    head = snapshot.get("household", {}).get("head")
    fallback = head if head in ids else (ids[0] if ids else None)
    counted: dict = {pid: Decimal("0") for pid in ids}
    excluded: dict = {pid: Decimal("0") for pid in ids}
    for item in income_items:
        pid = item.get("person_id")
        if pid in dead:
            continue
        if pid not in counted:
            pid = fallback
        if pid is None:
            continue
        amount = Decimal(str(item.get("monthly_amount") or "0"))
        (counted if income_counts(item.get("category", "")) else excluded)[pid] += amount
    member_facts = tuple(
        MemberFacts(
            birth_date=dt.date.fromisoformat(m["birth_date"]),
            monthly_income=counted[m["person_id"]],
            excluded_income=excluded[m["person_id"]],
            disability_type=m.get("disability_type") or "",
            disability_grade=m.get("disability_grade"),
            serious_illness=bool(m.get("serious_illness")),
            work_ability=m.get("work_ability") or "full",
            is_applicant=covered_person_id is None or m["person_id"] == covered_person_id,
            person_id=m["person_id"],
            name=m.get("name", ""),
        )
        for m in members
    )
    return HouseholdFacts(members=member_facts, assets=asset_facts(asset_items),
                          is_urban=bool(snapshot.get("household", {}).get("is_urban")), on_date=on_date)


def asset_facts(items: list[dict]) -> AssetFacts:
    """Assets by MLG-2021 art. 14 (POLICY.md §1): financial assets summed (unless exempt),
    properties, vehicles and businesses counted; mobility vehicles and vehicles exempt as a
    necessity counted apart."""
    financial = Decimal("0")
    counts = {"home": 0, "non_residential": 0, "vehicle": 0, "exempt_vehicle": 0, "business": 0}
    for item in items:
        category = item.get("category", "")
        quantity = int(item.get("quantity") or 1)
        exempt = bool(item.get("is_exempt"))
        if category in FINANCIAL_ASSETS:
            if not exempt:
                financial += Decimal(str(item.get("value") or "0"))
        elif category == AssetCategory.HOME:
            counts["home"] += quantity
        elif category == AssetCategory.NON_RESIDENTIAL:
            counts["non_residential"] += quantity
        elif category == AssetCategory.VEHICLE:
            counts["exempt_vehicle" if exempt else "vehicle"] += quantity
        elif category == AssetCategory.MOBILITY_VEHICLE:
            counts["exempt_vehicle"] += quantity
        elif category == AssetCategory.BUSINESS:
            counts["business"] += quantity
    return AssetFacts(financial=financial, homes=counts["home"], non_residential_properties=counts["non_residential"],
                      vehicles=counts["vehicle"], exempt_vehicles=counts["exempt_vehicle"], businesses=counts["business"])


def members_count(snapshot: dict, covered_person_id: int | None = None) -> int:
    return 1 if covered_person_id else len(living_members(snapshot))


def member_name(snapshot: dict, person_id: int) -> str:
    for m in snapshot.get("members", []):
        if m["person_id"] == person_id:
            return m.get("name", "")
    return ""


def counted_income_total(income: list[dict]) -> Decimal:
    """The counted monthly income of snapshot-shaped income rows (MLG-2021 art. 13)."""
    return sum((Decimal(i["monthly_amount"]) for i in income if income_counts(i["category"])), Decimal("0"))

