"""Every read of the household registry, always through the actor's scope (DESIGN.md §5, §8).

Search must stay fast in a county of a million people (issue 2: p95 < 50 ms for an ID or name
search), so every search path is an index range:
- an ID number or its prefix: `id_number >= q AND id_number < q || U+FFFF` on the unique index;
- a name or its prefix: the same range on the indexed `name`;
- the scope: `area_id LIKE '<code>%'` (SQLite runs with case_sensitive_like, so it is a range too).
The range trick assumes a binary collation for these columns (SQLite's default; PostgreSQL
databases created with the C / C.UTF-8 locale, as the deployment guide sets up).

Address search is a substring (`address LIKE '%q%'`) and therefore SCANS the households in scope;
it runs only for queries of 2 characters or more. Lists never count all matches: a page fetches
page_size + 1 rows to know whether there is a next page.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models import Value
from django.db.models.functions import StrIndex, Substr
from django.utils.translation import gettext as _

from safetynet.areas.models import Area
from safetynet.core.errors import NotFound
from safetynet.core.idnumbers import convert_legacy
from safetynet.core.masking import mask_id_number, mask_name
from safetynet.core.scoping import Actor, get_in_scope, in_scope
from safetynet.core.text import normalise_text

from .models import EXCLUDED_INCOME, Asset, FINANCIAL_ASSETS, Household, IncomeItem, Kinship, Person, RelationToHead, income_counts

VIEW = "registry.view"
VIEW_ID_NUMBER = "registry.view_id_number"
RANGE_END = "\uffff"
_ID_LIKE = re.compile(r"^[0-9]{5,17}[0-9X]$")


def households_in_scope(actor: Actor) -> QuerySet[Household]:
    actor.require(VIEW)
    return in_scope(Household.objects.all(), actor)


def persons_in_scope(actor: Actor) -> QuerySet[Person]:
    actor.require(VIEW)
    return in_scope(Person.objects.all(), actor)


def get_household(actor: Actor, household_id) -> Household:
    """One household by id; outside the actor's area it does not exist (404)."""
    actor.require(VIEW)
    try:
        household_id = int(household_id)
    except (TypeError, ValueError):
        raise NotFound(_("Not found."))
    return get_in_scope(Household.objects.select_related("area", "head"), actor, pk=household_id)


def get_person(actor: Actor, person_id) -> Person:
    actor.require(VIEW)
    try:
        person_id = int(person_id)
    except (TypeError, ValueError):
        raise NotFound(_("Not found."))
    return get_in_scope(Person.objects.select_related("household", "area"), actor, pk=person_id)


def person_display_id(actor: Actor, person: Person) -> str:
    """The whole number for posts allowed to see it, else masked (DESIGN.md §5).

    Lists and pages always call `mask_id_number` directly instead: there the whole number is shown
    only on request (services.reveal_id_number), so that each unmasking is logged."""
    if actor.can(VIEW_ID_NUMBER):
        return person.id_number
    return mask_id_number(person.id_number)


def looks_like_id_number(q: str) -> bool:
    """Digits (the last may be X), 6 to 18 characters: an ID number or its beginning."""
    return bool(_ID_LIKE.match(_compact(q)))


def _compact(q: str) -> str:
    """The search term as an ID number is stored: normalised (core.text), spaces gone, upper case."""
    return "".join(normalise_text(q).split()).upper()


def _person_match(q: str) -> Q:
    """An ID number or its beginning (a 15-digit one also as its 18-digit form), else a name
    or its beginning; `q` normalised as names and numbers are when stored, so a search finds
    what was stored however it is typed."""
    if looks_like_id_number(q):
        number = _compact(q)
        match = _prefix_range("id_number", number)
        if len(number) == 15 and number.isdigit():
            match |= Q(id_number=convert_legacy(number))
        return match
    return _prefix_range("name", normalise_text(q))


def _prefix_range(field: str, prefix: str) -> Q:
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + RANGE_END})


def _within(queryset: QuerySet, field: str, code: str, *, indexed: bool) -> QuerySet:
    """Rows whose `field` (the area code column, `area_id`) starts with `code`.

    `indexed=True` writes it as the usual LIKE 'code%' (an index range on the area column);
    `indexed=False` as SUBSTR(field, 1, n) = code, which no index can serve, so that SQLite's
    planner (which has no statistics unless ANALYZE ran) uses the selective index of the search
    (ID number, name, or the households' primary key in id order) instead of walking a whole
    town's worth of rows by area."""
    if not code:
        return queryset
    if indexed or connection.vendor != "sqlite":
        # PostgreSQL keeps column statistics and estimates the LIKE itself; hiding it there
        # only spoils its row estimates.
        return queryset.filter(area__code__startswith=code)
    alias = f"_{field}_prefix"
    return queryset.alias(**{alias: Substr(field, 1, len(code))}).filter(**{alias: code})


# Scopes down to a village (a few thousand households) are read through the area index; wider
# ones are walked in id order, which finds the first page long before the scope is exhausted.
NARROW_SCOPE_LENGTH = 12


def search_households(actor: Actor, q: str = "", area_code: str | None = None, address: str = "") -> QuerySet[Household]:
    """Households in scope matching `q` and `address`, distinct, ordered by id.

    `q` that looks like an ID number matches members' ID numbers exactly or by prefix (a 15-digit
    legacy number also matches its 18-digit form); any other `q` matches a member's name exactly
    or by prefix. Both are index ranges, fast at county scale (issue 2: p95 < 50 ms).
    `address` is a separate, explicit search for part of the address: a substring, which reads
    the scope's slice of the (area, address) index on SQLite and the trigram index on PostgreSQL
    (migration 0003), slower by nature, so a name search never pays for it.
    `area_code` narrows to a subtree inside scope (outside scope: 404)."""
    actor.require(VIEW)
    area_code = (area_code or "").strip()
    if area_code and not actor.covers(area_code):
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": area_code}, field="area")
    scope = area_code or actor.area_code
    q = normalise_text(q)
    address = normalise_text(address)
    households = Household.objects.all()
    if not q and not address:
        return _within(households, "area_id", scope, indexed=len(scope) >= NARROW_SCOPE_LENGTH).order_by("id")
    households = _within(households, "area_id", scope, indexed=not q)
    if q:
        persons = _within(Person.objects.all(), "area_id", scope, indexed=False)
        households = households.filter(id__in=persons.filter(_person_match(q)).values("household_id"))
    if address:
        if len(address) < 3 and connection.vendor == "postgresql":
            # Too short for trigrams: walking the whole trigram index is slower than a plain
            # (parallel) scan, which STRPOS, unlike LIKE, leaves the planner no choice but.
            households = households.alias(_at=StrIndex("address", Value(address))).filter(_at__gt=0)
        else:
            households = households.filter(address__contains=address)
    return households.order_by("id")


@dataclass
class HouseholdRow:
    household: Household
    head_name: str
    head_id_masked: str
    member_count: int


@dataclass
class Page:
    rows: list
    number: int
    page_size: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def household_page(actor: Actor, q: str = "", area_code: str | None = None, page: int = 1, page_size: int = 25,
                   address: str = "") -> Page:
    """One page of search results for the list: head's name, masked ID, address, area, member
    count. Fetches page_size + 1 households (no COUNT(*) over the whole match) and counts members
    for just this page in one grouped query."""
    page = max(1, int(page or 1))
    # Ids first (the search can then be answered from indexes alone), the rows after.
    ids = list(search_households(actor, q, area_code, address=address).values_list("id", flat=True)[(page - 1) * page_size: page * page_size + 1])
    has_next = len(ids) > page_size
    households = list(Household.objects.filter(id__in=ids[:page_size]).select_related("area", "head").order_by("id"))
    counts = dict(
        Person.objects.filter(household_id__in=[h.pk for h in households]).order_by()
        .values("household_id").annotate(n=Count("id")).values_list("household_id", "n")
    )
    rows = [HouseholdRow(
        household=h, head_name=h.head.name if h.head else "",
        head_id_masked=mask_id_number(h.head.id_number) if h.head else "",
        member_count=counts.get(h.pk, 0)) for h in households]
    return Page(rows=rows, number=page, page_size=page_size, has_next=has_next)


def household_members(household: Household) -> list[Person]:
    """Members, the head first, then in the order they were registered."""
    members = list(household.members.all())
    members.sort(key=lambda p: (p.relation_to_head != RelationToHead.HEAD, p.pk))
    return members


@dataclass
class KinshipRow:
    person: Person
    relation: str
    relation_label: str
    relative_id: int
    relative_name: str
    relative_id_masked: str
    relative_household_id: int | None  # None when the relative lives outside the actor's area


def household_kinships(actor: Actor, household: Household) -> list[KinshipRow]:
    """Kinship of this household's members with people of other households. A relative outside
    the actor's area shows with a masked name and no link (POLICY.md §7 spirit: only what is needed)."""
    rows = []
    qs = (Kinship.objects.filter(person__household=household)
          .select_related("person", "relative").order_by("person_id", "relative_id"))
    for k in qs:
        visible = actor.covers(k.relative.area_id)
        rows.append(KinshipRow(
            person=k.person, relation=k.relation, relation_label=k.get_relation_display(), relative_id=k.relative_id,
            relative_name=k.relative.name if visible else mask_name(k.relative.name),
            relative_id_masked=mask_id_number(k.relative.id_number),
            relative_household_id=k.relative.household_id if visible else None,
        ))
    return rows


@dataclass
class Declarations:
    income_items: list[IncomeItem]
    assets: list[Asset]
    monthly_income_counted: Decimal
    monthly_income_excluded: Decimal
    financial_assets: Decimal
    assets_total: Decimal


def household_declarations(household: Household) -> Declarations:
    """Declared income and assets with their totals; excluded income kinds (MLG-2021 art. 13,
    POLICY.md §1) are summed apart, and financial assets (art. 14) apart from the rest."""
    income = list(household.income_items.select_related("person"))
    assets = list(household.assets.select_related("person"))
    zero = Decimal("0.00")
    return Declarations(
        income_items=income, assets=assets,
        monthly_income_counted=sum((i.monthly_amount for i in income if income_counts(i.category)), zero),
        monthly_income_excluded=sum((i.monthly_amount for i in income if not income_counts(i.category)), zero),
        financial_assets=sum((a.value for a in assets if a.category in FINANCIAL_ASSETS and not a.is_exempt), zero),
        assets_total=sum((a.value for a in assets), zero),
    )


def household_totals(household_ids: list[int]) -> dict[int, dict]:
    """Counted monthly income per household for several households in one query each (API lists)."""
    income = dict(
        IncomeItem.objects.filter(household_id__in=household_ids).exclude(category__in=EXCLUDED_INCOME).order_by()
        .values("household_id").annotate(s=Sum("monthly_amount")).values_list("household_id", "s"))
    return {hid: {"monthly_income": income.get(hid) or Decimal("0.00")} for hid in household_ids}


def area_breadcrumb(area) -> list:
    """The household's area and its ancestors from the county down."""
    codes = [c for c in [*area.ancestor_codes(), area.code] if len(c) >= 6]
    return list(Area.objects.filter(code__in=codes).order_by("code"))


def search_persons(actor: Actor, q: str = "", area_code: str | None = None, household_id: int | None = None) -> QuerySet[Person]:
    """Persons in scope matching `q` (ID number exactly or by prefix, else name exactly or by
    prefix), optionally within one area subtree or one household; ordered by id. Same index
    ranges as `search_households`."""
    actor.require(VIEW)
    area_code = (area_code or "").strip()
    if area_code and not actor.covers(area_code):
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": area_code}, field="area")
    scope = area_code or actor.area_code
    q = normalise_text(q)
    # With a query or a household the scope must not compete with their index (see `_within`).
    selective = bool(q) or household_id is not None
    persons = _within(Person.objects.all(), "area_id", scope, indexed=not selective)
    if household_id is not None:
        persons = persons.filter(household_id=household_id)
    if q:
        persons = persons.filter(_person_match(q))
    return persons.order_by("id")
