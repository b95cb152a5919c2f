"""Which categories a county uses and the terms in force for an area and year (cached per process
through `core.refcache` under the reference parameters' token, `MEDICAL`: a category or terms
write anywhere bumps it, as a parameter's write does).

- `categories_for(county)`: the national categories, each replaced by the county's own row of the
  same code, plus the county's own additions; retired ones (`active=False`) left out.
- `terms_for(area_code, year, codes)`: for each code, the row of the most specific area containing
  `area_code` (the person's village's town, then county, then the national row), newest
  `from_year` not after `year`; a deductible given as a share becomes yuan with the previous
  year's per-capita disposable income of the area (programs parameter
  `medical.disposable_income_per_capita` in force on 1 January of `year`).
"""
from __future__ import annotations

import datetime as dt

from safetynet.core import refcache
from safetynet.programs.catalogue import MEDICAL as MEDICAL_PROGRAM
from safetynet.programs.selectors import parameters_for

from .models import CategoryTerms, MedicalCategory
from .rules import Terms, resolve_deductible

# Not a token of its own: inside a transaction (where a settlement reads the terms, under its
# lock) `refcache.current_tokens` reads only the PARAMETERS and AREAS tokens, once, so a "medical"
# token would read as never written there and a county's new terms would never be seen.
MEDICAL = refcache.PARAMETERS


def _county_of(area_code: str) -> str:
    return area_code[:6]


def categories_for(county_code: str) -> dict[str, MedicalCategory]:
    """{code: category} in use in the county, in the catalogue's order."""
    county_code = _county_of(county_code)

    def compute():
        rows = {}
        for row in MedicalCategory.objects.filter(county__isnull=True).order_by("position", "code"):
            rows[row.code] = row
        for row in MedicalCategory.objects.filter(county_id=county_code).order_by("position", "code"):
            rows[row.code] = row
        return {code: row for code, row in sorted(rows.items(), key=lambda kv: (kv[1].position, kv[0])) if row.active}

    return refcache.cached((MEDICAL,), ("categories", county_code), compute)


def _ancestors(area_code: str) -> list[str]:
    """The area's code and its ancestors' down to the county (most specific first)."""
    lengths = [n for n in (18, 15, 12, 9, 6) if n <= len(area_code)]
    return [area_code[:n] for n in lengths]


def _terms_rows(year: int) -> dict[str | None, list[CategoryTerms]]:
    """Every terms row from `year` or before, by area (None: national), in one query remembered
    like the terms: the answer for each village and set of categories is then picked in Python.
    (Per village, two queries a first settlement cost a quarter of a cashier's requests' CPU while
    a worker's cache was warming: a county has hundreds of villages, bench_settlement_load.py.)"""
    def load():
        by_area: dict[str | None, list[CategoryTerms]] = {}
        for row in CategoryTerms.objects.filter(from_year__lte=year).order_by("-from_year"):
            by_area.setdefault(row.area_id, []).append(row)
        return by_area

    return refcache.cached((MEDICAL,), ("terms-rows", year), load)


def terms_for(area_code: str, year: int, codes) -> dict[str, Terms]:
    """{code: Terms} in force for a person of `area_code` in `year`; a code with no terms row
    anywhere is left out (it cannot be applied)."""
    codes = tuple(sorted(codes))
    positions = {code: c.position for code, c in categories_for(area_code).items()}

    def compute():
        ancestors = _ancestors(area_code)
        by_area = _terms_rows(year)
        rows = [row for area in [*ancestors, None] for row in by_area.get(area, ()) if row.category_code in codes]
        rank = {code: i for i, code in enumerate(ancestors)}
        chosen: dict[str, CategoryTerms] = {}
        for row in rows:
            key = (rank.get(row.area_id, len(ancestors)), -row.from_year)
            best = chosen.get(row.category_code)
            if best is None or key < (rank.get(best.area_id, len(ancestors)), -best.from_year):
                chosen[row.category_code] = row
        income = None
        out = {}
        for code, row in chosen.items():
            if row.deductible is None and income is None:
                income = parameters_for(MEDICAL_PROGRAM, area_code, dt.date(year, 1, 1))["disposable_income_per_capita"]
            out[code] = Terms(code, row.rate, resolve_deductible(deductible=row.deductible, ratio=row.deductible_ratio,
                                                                 disposable_income=income),
                              row.annual_cap, positions.get(code, 999), row.source)
        return out

    return refcache.cached((MEDICAL,), ("terms", area_code, year, codes), compute)
