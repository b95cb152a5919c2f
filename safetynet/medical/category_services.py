"""The county's catalogue of medical assistance categories and their terms (issue 20; POLICY.md §4).

A county never edits the national rows: it saves its own row of a category (same code: it
overrides the national one in the county; a new code: a category the county adds), and may
retire it there (`active=False`). MA-2021 names two groups the assistance must reach, special
hardship and dibao: their categories cannot be retired, and their rate is never below
`catalogue.MINIMUM_RATES` (70 %). Terms are saved for the county or one of its towns, from a
year on; a row of the same category, area and year is updated in place (audited before/after).

Every save bumps the medical reference cache (`refcache.watch` in apps.py), so `terms.categories_for`
and `terms.terms_for` read the new rows at once. The page's rows (`categories_page_rows`) say
where each category and its terms come from: national, the county's, or a town's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from safetynet.areas.models import Area, Level
from safetynet.core.audit import record_event
from safetynet.core.errors import NotFound, ValidationError
from safetynet.core.money import parse_money
from safetynet.core.scoping import Actor
from safetynet.core.text import clean_field, normalise_text
from safetynet.discovery.warning_models import MonitorCategory
from safetynet.programs import catalogue as programs_catalogue
from safetynet.programs.legal import cite

from .catalogue import MINIMUM_RATES
from .models import CategoryTerms, MedicalCategory, QualifyBy
from .rules import Terms
from .terms import categories_for, terms_for

VIEW = "medical.view"
MANAGE = "medical.categories"
REGULATION = "MA-2021"
# The programs whose live enrollments qualify a person (the programs people are enrolled in).
ENROLLMENT_PROGRAMS = (programs_catalogue.DIBAO, programs_catalogue.SPECIAL_HARDSHIP)
MAX_CAP = Decimal("1000000.00")
MAX_DEDUCTIBLE = Decimal("1000000.00")
MAX_DEDUCTIBLE_RATIO = Decimal("10")     # the terms' check constraint
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_POSITION = 999
_CODE = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")
_RATIO_PLACES = Decimal("0.0001")


# ---- reading -----------------------------------------------------------------------------------

def _county_code(value) -> str:
    code = normalise_text(value)
    if not re.fullmatch(r"[0-9]{6}", code):
        raise ValidationError(_("Give the county's 6-digit code."), field="county")
    return code


def readable_county(actor: Actor, county_code) -> str:
    """The county whose catalogue `actor` may read: its own county (a town post reads its
    county's) or one under it; any other answers 404."""
    actor.require(VIEW)
    code = _county_code(county_code)
    if not (actor.covers(code) or actor.area_code[:6] == code):
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": code}, field="county")
    return code


def _writable_county(actor: Actor, county_code) -> Area:
    actor.require(MANAGE)
    code = _county_code(county_code)
    actor.require_area(code)
    area = Area.objects.filter(code=code).first()
    if area is None:
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": code}, field="county")
    if area.level != Level.COUNTY:
        raise ValidationError(_("%(area)s is not a county.") % {"area": area.name}, field="county")
    return area


def enrollment_programs() -> list[tuple[str, str]]:
    """(code, name) of the programs a category may qualify people by enrollment in."""
    return [(code, str(programs_catalogue.PROGRAMS[code]["name"])) for code in ENROLLMENT_PROGRAMS]


def register_categories() -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in MonitorCategory.choices]


def may_retire(code: str) -> bool:
    """Whether a county may retire the category: not those MA-2021 says the assistance reaches."""
    return code not in MINIMUM_RATES


# ---- writing -----------------------------------------------------------------------------------

def _snapshot_category(row: MedicalCategory) -> dict:
    return {"county": row.county_id, "code": row.code, "name_zh": row.name_zh, "name_en": row.name_en,
            "qualify_by": row.qualify_by, "qualify_value": row.qualify_value, "position": row.position,
            "active": row.active, "source": row.source}


def _whole_number(value, *, field: str, low: int, high: int, message: str) -> int:
    text = normalise_text(value)
    if not re.fullmatch(r"-?[0-9]{1,6}", text):
        raise ValidationError(message, field=field)
    number = int(text)
    if not low <= number <= high:
        raise ValidationError(message, field=field)
    return number


def _flag(value) -> bool:
    if isinstance(value, bool):
        return value
    return normalise_text(value).lower() in ("1", "true", "yes", "on")


def check_qualification(qualify_by, qualify_value) -> tuple[str, str]:
    """(qualify_by, qualify_value) checked against each other, refused on the field at fault."""
    qualify_by = normalise_text(qualify_by)
    if qualify_by not in QualifyBy.values:
        raise ValidationError(_("Choose how people qualify: by enrollment, by the monitoring register, or by "
                                "certification only."), field="qualify_by")
    value = normalise_text(qualify_value)
    if qualify_by == QualifyBy.ENROLLMENT and value not in ENROLLMENT_PROGRAMS:
        raise ValidationError(_("Choose the program whose live enrollment qualifies people: %(choices)s.")
                              % {"choices": "、".join(name for _c, name in enrollment_programs())},
                              field="qualify_value")
    if qualify_by == QualifyBy.REGISTER and value not in MonitorCategory.values:
        raise ValidationError(_("Choose the category of the monitoring register that qualifies people: %(choices)s.")
                              % {"choices": "、".join(label for _v, label in register_categories())},
                              field="qualify_value")
    if qualify_by == QualifyBy.CERTIFICATION and value:
        raise ValidationError(_("A category qualified by certification only names no program or register category: "
                                "leave this empty."), field="qualify_value")
    return qualify_by, value


@transaction.atomic(durable=True)
def save_category(*, actor: Actor, county_code, code, name_zh, name_en, qualify_by, qualify_value="", position=0,
                  active=True, source="") -> MedicalCategory:
    """The county's own row of a category: created, or updated in place (audited before/after).
    The same code as a national category overrides it in the county; a new code adds one."""
    county = _writable_county(actor, county_code)
    code = normalise_text(code).lower()
    if not _CODE.fullmatch(code):
        raise ValidationError(_("A category's code is 2 to 40 lower-case letters, digits, _ or -, beginning with a "
                                "letter, e.g. serious_illness."), field="code")
    name_zh = clean_field(name_zh, "name_zh", max_length=100, required=True)
    name_en = clean_field(name_en, "name_en", max_length=100, required=True)
    qualify_by, qualify_value = check_qualification(qualify_by, qualify_value)
    position = _whole_number(position if position not in (None, "") else 0, field="position", low=0,
                             high=MAX_POSITION, message=_("The position is a whole number from 0 to %(max)s.")
                             % {"max": MAX_POSITION})
    active = _flag(active)
    source = clean_field(source, "source", max_length=300)
    if not active and not may_retire(code):
        raise ValidationError(_("%(regulation)s says medical assistance reaches people in special hardship and dibao "
                                "recipients: their category cannot be retired.") % {"regulation": cite(REGULATION)},
                              field="active", code="category_required")
    row = MedicalCategory.objects.select_for_update().filter(county=county, code=code).first()
    values = {"name_zh": name_zh, "name_en": name_en, "qualify_by": qualify_by, "qualify_value": qualify_value,
              "position": position, "active": active, "source": source, "updated_by": actor.username}
    if row is None:
        row = MedicalCategory.objects.create(county=county, code=code, **values)
        record_event(actor=actor, action="medical.add_category", obj=row, after=_snapshot_category(row))
        return row
    before = _snapshot_category(row)
    for name, value in values.items():
        setattr(row, name, value)
    row.save()
    record_event(actor=actor, action="medical.save_category", obj=row, before=before, after=_snapshot_category(row))
    return row


def parse_ratio(value, *, field: str, maximum: Decimal = Decimal("1")) -> Decimal:
    """A share as typed: 0.7, 0.70 or 70 % (at most four decimals once a share, nothing rounded)."""
    text = normalise_text(value).replace(" ", "")
    if not text:
        raise ValidationError(_("This field is required."), field=field)
    percent = text.endswith("%")
    try:
        number = Decimal(text.rstrip("%"))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("%(value)s is not a share: write it as 0.7 or 70%%.") % {"value": text[:20]},
                              field=field) from None
    if not number.is_finite():
        raise ValidationError(_("%(value)s is not a share: write it as 0.7 or 70%%.") % {"value": text[:20]}, field=field)
    if percent:
        number = number / 100
    if number != number.quantize(_RATIO_PLACES):
        raise ValidationError(_("A share has at most four decimals (0.1234, or 12.34%)."), field=field)
    if number < 0 or number > maximum:
        raise ValidationError(_("The share is from 0 to %(max)s.") % {"max": f"{maximum.normalize():f}"}, field=field)
    return number.quantize(_RATIO_PLACES)


def _terms_area(actor: Actor, area_code) -> Area:
    actor.require(MANAGE)
    code = normalise_text(area_code)
    if not re.fullmatch(r"[0-9]{6}|[0-9]{9}", code):
        raise ValidationError(_("Terms are set for the county or one of its towns."), field="area")
    actor.require_area(code)
    area = Area.objects.filter(code=code).first()
    if area is None:
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": code}, field="area")
    if area.level not in (Level.COUNTY, Level.TOWN):
        raise ValidationError(_("Terms are set for the county or one of its towns."), field="area")
    return area


def _snapshot_terms(row: CategoryTerms) -> dict:
    return {"category": row.category_code, "area": row.area_id, "from_year": row.from_year, "rate": str(row.rate),
            "deductible": None if row.deductible is None else str(row.deductible),
            "deductible_ratio": None if row.deductible_ratio is None else str(row.deductible_ratio),
            "annual_cap": str(row.annual_cap), "source": row.source}


def minimum_rate_message(category_code: str) -> str:
    minimum = MINIMUM_RATES[category_code]
    return (_("%(regulation)s: people in special hardship and dibao recipients get at least %(minimum)s%% of the "
              "eligible self-paid cost.") % {"regulation": cite(REGULATION), "minimum": f"{(minimum * 100).normalize():f}"})


@transaction.atomic(durable=True)
def save_terms(*, actor: Actor, area_code, category_code, from_year, rate, deductible=None, deductible_ratio=None,
               annual_cap, source="") -> CategoryTerms:
    """A category's terms for the county or one of its towns from `from_year` on: the rate,
    the deductible (an amount in yuan, or a share of the previous year's per-capita disposable
    income: exactly one) and the annual cap. Updated in place when the row exists."""
    area = _terms_area(actor, area_code)
    county = area.code[:6]
    category_code = normalise_text(category_code).lower()
    if category_code not in categories_for(county):
        raise ValidationError(_("The county does not use this category: add it (or bring it back into use) first."),
                              field="category_code")
    year = _whole_number(from_year, field="from_year", low=FIRST_YEAR, high=LAST_YEAR,
                         message=_("The year is from %(first)s to %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR})
    rate = parse_ratio(rate, field="rate")
    if rate <= 0:
        raise ValidationError(_("The rate is more than 0 and at most 100%."), field="rate")
    if category_code in MINIMUM_RATES and rate < MINIMUM_RATES[category_code]:
        raise ValidationError(minimum_rate_message(category_code), field="rate", code="below_minimum_rate")
    has_amount = normalise_text(deductible) != "" if deductible is not None else False
    has_ratio = normalise_text(deductible_ratio) != "" if deductible_ratio is not None else False
    if has_amount == has_ratio:
        raise ValidationError(_("Give the deductible either as an amount in yuan or as a share of the per-capita "
                                "disposable income, not both."), field="deductible")
    amount = parse_money(deductible, field="deductible", maximum=MAX_DEDUCTIBLE) if has_amount else None
    ratio = parse_ratio(deductible_ratio, field="deductible_ratio", maximum=MAX_DEDUCTIBLE_RATIO) if has_ratio else None
    cap = parse_money(annual_cap, field="annual_cap", maximum=MAX_CAP)
    source = clean_field(source, "source", max_length=300)
    values = {"rate": rate, "deductible": amount, "deductible_ratio": ratio, "annual_cap": cap, "source": source,
              "updated_by": actor.username}
    row = CategoryTerms.objects.select_for_update().filter(category_code=category_code, area=area, from_year=year).first()
    if row is None:
        row = CategoryTerms.objects.create(category_code=category_code, area=area, from_year=year, **values)
        record_event(actor=actor, action="medical.add_terms", obj=row, after=_snapshot_terms(row))
        return row
    before = _snapshot_terms(row)
    for name, value in values.items():
        setattr(row, name, value)
    row.save()
    record_event(actor=actor, action="medical.save_terms", obj=row, before=before, after=_snapshot_terms(row))
    return row


# ---- the page's rows ---------------------------------------------------------------------------

NATIONAL, COUNTY, TOWN = "national", "county", "town"


@dataclass
class TermsRow:
    """One terms row in force, with where it comes from and its deductible in yuan for the year."""

    row: CategoryTerms
    origin: str                   # national, county or town
    area_name: str
    deductible_yuan: Decimal | None

    @property
    def rate_percent(self) -> str:
        return f"{(self.row.rate * 100).normalize():f}"

    @property
    def ratio_percent(self) -> str:
        return "" if self.row.deductible_ratio is None else f"{(self.row.deductible_ratio * 100).normalize():f}"


@dataclass
class CategoryRow:
    code: str
    category: MedicalCategory     # the row in force in the county (its own, else the national one)
    origin: str                   # national, county (overriding a national row), or added (the county's own)
    national: MedicalCategory | None
    terms: TermsRow | None        # at the county
    towns: list[TermsRow] = field(default_factory=list)
    minimum_rate: Decimal | None = None

    @property
    def active(self) -> bool:
        return self.category.active


def _in_force(rows: list[CategoryTerms], ancestors: list[str], year: int) -> CategoryTerms | None:
    """The row terms_for applies for an area whose ancestors are `ancestors` (most specific
    first): the most specific area's, newest year not after `year`."""
    rank = {code: i for i, code in enumerate(ancestors)}
    candidates = [r for r in rows if r.from_year <= year and (r.area_id is None or r.area_id in rank)]
    if not candidates:
        return None
    return min(candidates, key=lambda r: (rank.get(r.area_id, len(ancestors)), -r.from_year))


def _terms_row(row: CategoryTerms | None, county: str, names: dict[str, str], resolved: dict[str, Terms]) -> TermsRow | None:
    if row is None:
        return None
    origin = NATIONAL if row.area_id is None else (COUNTY if row.area_id == county else TOWN)
    found = resolved.get(row.category_code)
    return TermsRow(row=row, origin=origin, area_name=names.get(row.area_id or "", ""),
                    deductible_yuan=found.deductible if found is not None else None)


def categories_page_rows(actor: Actor, county_code, year: int) -> list[CategoryRow]:
    """Each category of the county (those in use, then the retired ones) with its terms in force
    in `year` at the county and at each town that has its own, and where they come from."""
    county = readable_county(actor, county_code)
    national = {row.code: row for row in MedicalCategory.objects.filter(county__isnull=True)}
    own = {row.code: row for row in MedicalCategory.objects.filter(county_id=county)}
    in_use = categories_for(county)
    codes = sorted(set(national) | set(own), key=lambda c: ((own.get(c) or national[c]).position, c))
    terms_rows: dict[str, list[CategoryTerms]] = {}
    for row in CategoryTerms.objects.filter(Q(area__isnull=True) | Q(area__code__startswith=county),
                                            category_code__in=codes, from_year__lte=year):
        terms_rows.setdefault(row.category_code, []).append(row)
    names = dict(Area.objects.filter(code__startswith=county, level__in=(Level.COUNTY, Level.TOWN))
                 .values_list("code", "name"))
    resolved = terms_for(county, year, [c for c in codes if c in in_use])
    out = []
    for code in codes:
        rows = terms_rows.get(code, [])
        category = own.get(code) or national[code]
        county_terms = _in_force(rows, [county], year)
        towns = []
        for town in sorted({r.area_id for r in rows if r.area_id and len(r.area_id) == 9}):
            chosen = _in_force([r for r in rows if r.area_id == town], [town], year)
            if chosen is not None and code in in_use:
                towns.append(_terms_row(chosen, county, names, terms_for(town, year, [code])))
        out.append(CategoryRow(
            code=code, category=category, national=national.get(code),
            origin=(NATIONAL if code not in own else (COUNTY if code in national else "added")),
            terms=_terms_row(county_terms, county, names, resolved), towns=towns, minimum_rate=MINIMUM_RATES.get(code)))
    out.sort(key=lambda r: (not r.active, r.category.position, r.code))
    return out


def category_history(actor: Actor, county_code, code: str) -> list[TermsRow]:
    """Every terms row of a category that can apply in the county (national, the county's, its
    towns'), newest year first: the page's history under the terms form."""
    county = readable_county(actor, county_code)
    names = dict(Area.objects.filter(code__startswith=county, level__in=(Level.COUNTY, Level.TOWN))
                 .values_list("code", "name"))
    rows = list(CategoryTerms.objects.filter(category_code=code, area__isnull=True)) + list(
        CategoryTerms.objects.filter(category_code=code, area__code__startswith=county))
    rows.sort(key=lambda r: (-r.from_year, r.area_id or ""))
    return [_terms_row(r, county, names, {}) for r in rows]


def category_in_county(actor: Actor, county_code, code: str) -> MedicalCategory:
    """The row of `code` in force in the county (its own, retired or not, else the national
    one), or 404."""
    county = readable_county(actor, county_code)
    code = normalise_text(code).lower()
    row = (MedicalCategory.objects.filter(county_id=county, code=code).first()
           or MedicalCategory.objects.filter(county__isnull=True, code=code).first())
    if row is None:
        raise NotFound(_("No such category."))
    return row


def may_edit_county(actor: Actor, county_code: str) -> bool:
    return actor.can(MANAGE) and actor.covers(county_code)
