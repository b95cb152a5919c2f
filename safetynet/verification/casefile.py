"""What a verification gives a case: the summary and the verified income and assets in the shape
`cases.snapshots.facts_from_snapshot` reads (verified items replace the declared ones there).

The categories departments cover carry the verified figure (the larger of declared and found,
assessment.py); the declared items of the other categories (business income, support from
relatives, funds, claims ...) are copied from the case's snapshot unchanged, so the rule sees
the whole household.
"""
from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from .assessment import FINANCIAL
from .coverage import gaps, read_datasets

COUNTED_INCOME = ("wages", "pension", "unemployment")

_DEPARTMENT_INCOME = set(COUNTED_INCOME) | {"excluded_basic_pension"}
_DEPARTMENT_ASSETS = set(FINANCIAL) | {"home", "non_residential", "vehicle", "mobility_vehicle", "business"}

FLAG_LABELS = {
    "income_over_standard": _l("income over the standard"),
    "financial_assets_over_limit": _l("financial assets over the limit"),
    "more_than_one_home": _l("more homes than allowed"),
    "non_residential_property": _l("non-residential property"),
    "vehicle": _l("motor vehicle"),
    "business": _l("registered business"),
    "member_deceased": _l("a member has died"),
    "undeclared_wages": _l("wages not declared"),
}


def flag_label(flag: str) -> str:
    label = FLAG_LABELS.get(flag)
    return str(label) if label else flag


def _money(value) -> str:
    return f"{Decimal(str(value or 0)):.2f}"


def completeness_text(coverage) -> str:
    """The report's first words when it was built on missing or out-of-date data ("" when complete):
    which datasets, and the reason given for each at sign-off."""
    missing = gaps(coverage)
    if not missing:
        return ""
    lines = [_("INCOMPLETE: %(n)d of %(total)d department datasets were missing or out of date; this report cannot "
               "show that the household is within the limits.") % {"n": len(missing), "total": len(read_datasets())}]
    lines += ["- " + c.describe() for c in missing]
    return "\n".join(lines)


def summary_text(result, findings_count: int, coverage=()) -> str:
    """What the case keeps of the report. Built on missing or out-of-date data, it says so first,
    and "no flag" reads as "no flag in the data that was there", never as all departments checked."""
    head = completeness_text(coverage)
    numbers = {"n": findings_count, "income": f"{Decimal(result.counted_income):,.2f}",
               "assets": f"{Decimal(result.financial_assets):,.2f}"}
    if head:
        numbers["flags"] = ", ".join(flag_label(f) for f in result.flags) or _("none in the data that was there")
        numbers["read"] = len(read_datasets()) - sum(1 for c in coverage if c.is_gap)
        body = _("Department data from %(read)d current datasets: %(n)d records found. Counted income ¥%(income)s a month; "
                 "financial assets ¥%(assets)s. Flags: %(flags)s.") % numbers
        return head + "\n" + body
    numbers["flags"] = ", ".join(flag_label(f) for f in result.flags) or _("none")
    return _("Department data: %(n)d records found. Counted income ¥%(income)s a month; financial assets ¥%(assets)s. "
             "Flags: %(flags)s.") % numbers


def case_findings(run, result, findings: list[dict], snapshot: dict, coverage=()) -> dict:
    """The `findings` dict of the case's VerificationReport; `coverage` per dataset (coverage.py),
    with the reasons given at sign-off for what was missing or out of date."""
    income = []
    for category, amount in (result.income or {}).items():
        if category in _DEPARTMENT_INCOME and Decimal(str(amount)) > 0:
            income.append({"person_id": None, "category": category, "monthly_amount": _money(amount),
                           "description": _("verified with department data")})
    income += [dict(item) for item in snapshot.get("income", []) if item.get("category") not in _DEPARTMENT_INCOME]
    assets = []
    held = result.assets or {}
    for category in FINANCIAL:
        value = Decimal(str(held.get(category) or 0))
        if value > 0:
            assets.append({"person_id": None, "category": category, "value": _money(value), "quantity": 1, "is_exempt": False,
                           "description": _("verified with department data")})
    for category in ("home", "non_residential", "vehicle", "mobility_vehicle", "business"):
        count = int(held.get(category) or 0)
        if count:
            assets.append({"person_id": None, "category": category, "value": "0.00", "quantity": count,
                           "is_exempt": category == "mobility_vehicle", "description": _("verified with department data")})
    assets += [dict(item) for item in snapshot.get("assets", []) if item.get("category") not in _DEPARTMENT_ASSETS]
    records = [{"person_id": f.get("person_id"), "source": f.get("source"), "item": f.get("item"),
                "monthly_amount": None if f.get("monthly_amount") is None else _money(f.get("monthly_amount")),
                "value": None if f.get("value") is None else _money(f.get("value")),
                "subject": f.get("subject") or "", "date": f.get("record_date").isoformat() if f.get("record_date") else None}
               for f in findings]
    return {"run": run.pk, "household_result": result.pk, "flags": list(result.flags), "rule": result.rule,
            "income": income, "assets": assets, "records": records,
            "coverage": [c.as_dict() for c in coverage], "complete": not any(c.is_gap for c in coverage)}
