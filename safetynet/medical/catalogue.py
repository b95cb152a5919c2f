"""The national default categories and terms (POLICY.md §4; MA-2021), seeded by migration 0002
and edited by each county on the category pages.

The published local catalogue POLICY.md cites has six categories. Caps: 30,000 a year for special
hardship, dibao and people returned to poverty; 10,000 for the others. Deductibles: none for
special hardship and dibao, 10 % of the previous year's per-capita disposable income for the
low-income margin (and, a local default here, for people returned to poverty and those at risk of
returning), 25 % for the impoverished by illness. Rates: 100 % special hardship, 70 % dibao (at
least 70 % by MA-2021), 60 % the others.
"""
from __future__ import annotations

from decimal import Decimal

from .models import QualifyBy

SPECIAL_HARDSHIP = "special_hardship"
DIBAO = "dibao"
RETURNED_TO_POVERTY = "returned_to_poverty"
MARGIN = "low_income_margin"
AT_RISK = "at_risk"
ILLNESS = "impoverished_by_illness"

SOURCE = "POLICY.md §4 · MA-2021"
LOCAL = "POLICY.md §4 · MA-2021 (a published local catalogue; a local default)"

# code: (position, name_zh, name_en, qualify_by, qualify_value)
CATEGORIES = {
    SPECIAL_HARDSHIP: (1, "特困供养人员", "People in special hardship", QualifyBy.ENROLLMENT, "special_hardship"),
    DIBAO: (2, "最低生活保障对象", "Dibao recipients", QualifyBy.ENROLLMENT, "dibao"),
    RETURNED_TO_POVERTY: (3, "返贫致贫人口", "People returned to poverty", QualifyBy.CERTIFICATION, ""),
    MARGIN: (4, "低保边缘家庭成员", "Low-income margin households", QualifyBy.REGISTER, "margin"),
    AT_RISK: (5, "防止返贫监测对象", "People at risk of returning to poverty", QualifyBy.REGISTER, "at_risk"),
    ILLNESS: (6, "因病致贫重病患者", "People impoverished by illness", QualifyBy.REGISTER, "rigid_expenses"),
}

# code: (rate, deductible in yuan or None, deductible ratio or None, annual cap, source)
TERMS = {
    SPECIAL_HARDSHIP: (Decimal("1.0000"), Decimal("0.00"), None, Decimal("30000.00"), SOURCE),
    DIBAO: (Decimal("0.7000"), Decimal("0.00"), None, Decimal("30000.00"), SOURCE),
    RETURNED_TO_POVERTY: (Decimal("0.6000"), None, Decimal("0.1000"), Decimal("30000.00"), LOCAL),
    MARGIN: (Decimal("0.6000"), None, Decimal("0.1000"), Decimal("10000.00"), LOCAL),
    AT_RISK: (Decimal("0.6000"), None, Decimal("0.1000"), Decimal("10000.00"), LOCAL),
    ILLNESS: (Decimal("0.6000"), None, Decimal("0.2500"), Decimal("10000.00"), LOCAL),
}
TERMS_FROM_YEAR = 2022   # MA-2021 in force from 2022 in most provinces

# Categories MA-2021 gives at least this rate.
MINIMUM_RATES = {SPECIAL_HARDSHIP: Decimal("0.7000"), DIBAO: Decimal("0.7000")}


def seed(MedicalCategory, CategoryTerms) -> None:
    """Add the national defaults that are missing (a migration's and a test's seed)."""
    for code, (position, zh, en, qualify_by, value) in CATEGORIES.items():
        MedicalCategory.objects.get_or_create(code=code, county=None, defaults={
            "name_zh": zh, "name_en": en, "qualify_by": qualify_by, "qualify_value": value, "position": position,
            "source": SOURCE})
    for code, (rate, deductible, ratio, cap, source) in TERMS.items():
        CategoryTerms.objects.get_or_create(category_code=code, area=None, from_year=TERMS_FROM_YEAR, defaults={
            "rate": rate, "deductible": deductible, "deductible_ratio": ratio, "annual_cap": cap, "source": source})
